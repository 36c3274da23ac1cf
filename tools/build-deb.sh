#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# `make deb`: build mailbpf_<version>_<arch>.deb with debian/.
#
#   build-deb.sh [OUTDIR]     (default .output/deb)
#
# dpkg-buildpackage writes its results into the parent of the source tree,
# so the tree is copied to .output/deb-build/mailbpf-VERSION/ and built
# there; the .deb, .buildinfo and .changes are then moved to OUTDIR (any
# older mailbpf artefacts there are replaced) and the copy is removed.
# Nothing is written beside the source or into it outside .output/.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-.output/deb}
build=.output/deb-build

die() {
	echo "build-deb: $*" >&2
	exit 1
}

version=$(cat VERSION)
deb_version=$(dpkg-parsechangelog -l debian/changelog -S Version)
[ "$deb_version" = "$version" ] ||
	die "debian/changelog is at $deb_version but VERSION says $version: add a changelog entry (dch -v $version)"

rm -rf "$build"
src=$build/mailbpf-$version
mkdir -p "$src"
# The source as the developer has it (tracked and new files, not what
# .gitignore excludes); without git, the tree less build output.
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
	git ls-files -z -co --exclude-standard |
		tar --null -T - --ignore-failed-read -cf - 2>/dev/null | tar -C "$src" -xf -
else
	tar --exclude=./.output --exclude=./mailbpf --exclude='*.o' -cf - . | tar -C "$src" -xf -
fi

case " ${DEB_BUILD_OPTIONS:-} " in
*" parallel="*) ;;
*) DEB_BUILD_OPTIONS="${DEB_BUILD_OPTIONS:-} parallel=$(nproc)" ;;
esac
export DEB_BUILD_OPTIONS
log=$build/build.log
echo "build-deb: dpkg-buildpackage -b -us -uc in $src (log: $out/build.log)" >&2
if ! (cd "$src" && dpkg-buildpackage -b -us -uc) >"$log" 2>&1; then
	tail -40 "$log" >&2
	mkdir -p "$out" && cp "$log" "$out/build.log"
	die "dpkg-buildpackage failed (full log: $out/build.log)"
fi

mkdir -p "$out"
rm -f "$out"/mailbpf_*.deb "$out"/mailbpf-dbgsym_*.*deb "$out"/mailbpf_*.buildinfo "$out"/mailbpf_*.changes
shopt -s nullglob
arts=("$build"/*.deb "$build"/*.ddeb "$build"/*.buildinfo "$build"/*.changes)
[ ${#arts[@]} -gt 0 ] || die "dpkg-buildpackage made no package (log: $log)"
mv "${arts[@]}" "$out"/
mv "$log" "$out/build.log"
rm -rf "$build"
for f in "$out"/mailbpf_*.deb; do
	echo "build-deb: $f"
done
