#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Debian's own kernels for the VM suite, never installed on the host:
# for each suite in $VM_SUITES the newest kernel its linux-image-amd64 points
# at, fetched with `apt-get download` through a private apt state (lib.sh)
# and unpacked with `dpkg -x` into $VM_CACHE/kernel-RELEASE/ (vmlinuz,
# config, modules/). A kernel already unpacked from the same package and
# version is kept. Writes the releases to $VM_CACHE/kernels.list.
#
#   kernels.sh            # prints one kernel release per line
. "$(dirname "$0")/lib.sh"

exec 8>"$VM_CACHE/.kernels.lock"
flock 8

# pick SUITE: "PACKAGE VERSION" of the kernel to boot for that suite.
pick() {
	local suite=$1 dep
	dep=$(vm_apt_cache "$suite" depends linux-image-amd64 |
		sed -n 's/^ *Depends: \(linux-image-[0-9][^ ]*\)$/\1/p' | sort -V | tail -1)
	[ -n "$dep" ] || { vm_log "$suite: no linux-image-amd64 dependency found" && return 1; }
	# trixie's kernel is taken unsigned (the signed one only adds the EFI
	# signature; same build, same modules).
	[ "$suite" = bookworm ] || dep=$dep-unsigned
	echo "$dep $(vm_apt_cache "$suite" show "$dep" | sed -n 's/^Version: //p' | sort -V | tail -1)"
}

list=()
for suite in $VM_SUITES; do
	if ! vm_apt "$suite" update -qq >"$VM_CACHE/apt-$suite.log" 2>&1; then
		vm_log "$suite: apt-get update failed (see $VM_CACHE/apt-$suite.log)"
	fi
	if ! read -r pkg ver < <(pick "$suite"); then
		# Offline: boot what was unpacked last time for this suite.
		rel=$(cat "$VM_CACHE/suite-$suite.release" 2>/dev/null) || exit 1
		vm_log "$suite: using the cached kernel $rel"
		list+=("$rel")
		continue
	fi
	stamp="$pkg=$ver"
	rel=$(cat "$VM_CACHE/suite-$suite.release" 2>/dev/null || true)
	if [ -n "$rel" ] && [ "$(cat "$(vm_kernel_dir "$rel")/.package" 2>/dev/null)" = "$stamp" ]; then
		list+=("$rel")
		continue
	fi
	vm_log "$suite: downloading $pkg $ver"
	a=$VM_CACHE/apt-$suite
	rm -f "$a"/linux-image-*.deb
	t0=$(date +%s)
	vm_apt "$suite" download -qq "$pkg=$ver" >&2
	deb=$(ls "$a"/linux-image-*.deb)
	tmp=$(mktemp -d "$VM_CACHE/unpack.XXXXXX")
	dpkg -x "$deb" "$tmp"
	vmlinuz=$(ls "$tmp"/boot/vmlinuz-*)
	rel=${vmlinuz##*/vmlinuz-}
	moddir=$tmp/lib/modules/$rel
	[ -d "$moddir" ] || moddir=$tmp/usr/lib/modules/$rel
	[ -d "$moddir/kernel" ] || { vm_log "$deb: no modules for $rel" && exit 1; }
	dir=$(vm_kernel_dir "$rel")
	rm -rf "$dir.new" && mkdir -p "$dir.new"
	mv "$vmlinuz" "$dir.new/vmlinuz"
	mv "$tmp/boot/config-$rel" "$dir.new/config"
	mv "$moddir" "$dir.new/modules"
	echo "$stamp" >"$dir.new/.package"
	rm -rf "$tmp" "$deb" "$dir"
	mv "$dir.new" "$dir"
	echo "$rel" >"$VM_CACHE/suite-$suite.release"
	vm_log "$suite: $rel unpacked in $(($(date +%s) - t0)) s ($(du -sh "$dir" | cut -f1))"
	list+=("$rel")
done
printf '%s\n' "${list[@]}" >"$VM_CACHE/kernels.list"
printf '%s\n' "${list[@]}"
