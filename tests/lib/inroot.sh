# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# shellcheck shell=bash
# Clean Debian 12 roots for an integration suite (source after lib.sh).
#
# A root comes from tests/lib/debroot.sh (the cached minbase tarball) under
# /var/tmp/mailbpf-roots, with /proc, /sys and /dev bound in for builds and
# BPF loads against the host kernel. The binds are made slaves, so that
# unmounting them never propagates back to the host's own mounts. The .debs
# apt downloads are kept in $MAILBPF_CACHE/apt-archives and shared by all
# roots (a second run downloads nothing). At exit every root is unmounted
# and removed; removal is refused while anything is still mounted in it,
# and never crosses into another filesystem.
ROOTS_DIR=${MAILBPF_ROOTS:-/var/tmp/mailbpf-roots}
ROOTS_CACHE=${MAILBPF_CACHE:-/var/cache/mailbpf-test}

# mounts_under DIR: the mount points at or below DIR, deepest first.
mounts_under() {
	findmnt -rn -o TARGET | awk -v d="$1" 'index($0, d "/") == 1 || $0 == d' | sort -r
}

drop_root() {
	local dir=$1 m
	for m in $(mounts_under "$dir"); do
		umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null
	done
	if [ -n "$(mounts_under "$dir")" ]; then
		echo "# inroot: still mounted under $dir, not removing it: $(mounts_under "$dir" | tr '\n' ' ')" >&2
		return 1
	fi
	rm -rf --one-file-system "$dir"
}

# in_root DIR COMMAND...: run COMMAND in the root with a clean environment.
# Under a lock on the shared apt archive: apt in two roots at once (another
# suite's run on this machine) would fail on its lock instead of waiting.
in_root() {
	local dir=$1
	shift
	flock "$ROOTS_CACHE/.apt-archives.lock" chroot "$dir" env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
		HOME=/root LANG=C.UTF-8 TERM=dumb DEBIAN_FRONTEND=noninteractive "$@"
}

# new_root NAME [PACKAGE...]: a fresh root with PACKAGEs installed (apt,
# no recommends); prints its path. Progress and errors go to stderr.
new_root() {
	local name=$1 dir
	shift
	mkdir -p "$ROOTS_DIR" "$ROOTS_CACHE/apt-archives/partial"
	dir=$(mktemp -d "$ROOTS_DIR/$NAME-$name.XXXXXX")
	at_exit "drop_root $dir"
	bash "$ROOT/tests/lib/debroot.sh" "$dir" >&2 || return 1
	# / is 0755 on a real system; the tarball's "." has debootstrap's
	# mktemp mode (0700), which locks every user but root out.
	chmod 755 "$dir"
	mount --bind "$ROOTS_CACHE/apt-archives" "$dir/var/cache/apt/archives" &&
		mount -t proc proc "$dir/proc" &&
		mount --rbind /sys "$dir/sys" && mount --make-rslave "$dir/sys" &&
		mount --rbind /dev "$dir/dev" && mount --make-rslave "$dir/dev" || return 1
	# As debroot.sh does: the root's _apt cannot read the bound archives.
	in_root "$dir" apt-get -o APT::Sandbox::User=root -qq update >&2 || return 1
	if [ $# -gt 0 ]; then
		in_root "$dir" apt-get -o APT::Sandbox::User=root install -y -qq \
			--no-install-recommends "$@" >/dev/null || return 1
	fi
	echo "$dir"
}

# root_has DIR PACKAGE: PACKAGE is installed in the root.
root_has() {
	[ "$(in_root "$1" dpkg-query -W -f='${db:Status-Status}' "$2" 2>/dev/null)" = installed ]
}

# root_packages DIR [PATTERN]: installed packages (names), sorted.
root_packages() {
	in_root "$1" dpkg-query -W -f='${db:Status-Status} ${Package}\n' ${2:+"$2"} 2>/dev/null |
		awk '$1 == "installed" { print $2 }' | sort
}
