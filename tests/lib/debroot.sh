#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# A clean Debian 12 root for the tests that need a machine other than this
# one (a fresh clone's build, the package's install, the VM image).
#
#   debroot.sh DIR [PACKAGE...]
#
# The minbase system from `debootstrap --variant=minbase bookworm` is made
# once and cached as a tarball outside the clone, in $MAILBPF_CACHE
# (default /var/cache/mailbpf-test); delete bookworm-minbase.tar.zst (or run
# with MAILBPF_REFRESH=1) to fetch a new one. DIR is unpacked from it afresh
# and PACKAGEs are installed with apt inside, their services kept from
# starting. The host's apt configuration is never touched.
set -euo pipefail

dir=${1:?usage: debroot.sh DIR [PACKAGE...]}
shift
cache=${MAILBPF_CACHE:-/var/cache/mailbpf-test}
mirror=${MAILBPF_MIRROR:-http://deb.debian.org/debian}
tarball=$cache/bookworm-minbase.tar.zst

mkdir -p "$cache"
if [ "${MAILBPF_REFRESH:-0}" = 1 ] || [ ! -s "$tarball" ]; then
	# One maker at a time; the others wait and use its result.
	exec 9>"$cache/.minbase.lock"
	flock 9
	if [ "${MAILBPF_REFRESH:-0}" = 1 ] || [ ! -s "$tarball" ]; then
		tmp=$(mktemp -d "$cache/minbase.XXXXXX")
		echo "debroot: debootstrap --variant=minbase bookworm (cached in $tarball)" >&2
		if ! debootstrap --variant=minbase bookworm "$tmp" "$mirror" >"$tmp.log" 2>&1; then
			tail -20 "$tmp.log" >&2
			rm -rf "$tmp" "$tmp.log"
			exit 1
		fi
		rm -f "$tmp.log"
		# apt lists are dropped by debootstrap; keep the root small.
		rm -rf "$tmp"/var/cache/apt/archives/*.deb
		tar -C "$tmp" --zstd -cf "$tarball.new" . && mv "$tarball.new" "$tarball"
		rm -rf "$tmp"
	fi
	exec 9>&-
fi

mkdir -p "$dir"
tar -C "$dir" --zstd -xf "$tarball"
# / is 0755 on a real system (the tarball keeps mktemp's 0700).
chmod 755 "$dir"
# Daemons installed into the root must not start (there is no init in it).
printf '#!/bin/sh\nexit 101\n' >"$dir/usr/sbin/policy-rc.d"
chmod 755 "$dir/usr/sbin/policy-rc.d"
cp /etc/resolv.conf "$dir/etc/resolv.conf" 2>/dev/null || true
if [ $# -gt 0 ]; then
	chroot "$dir" env DEBIAN_FRONTEND=noninteractive apt-get -o APT::Sandbox::User=root update -qq
	chroot "$dir" env DEBIAN_FRONTEND=noninteractive \
		apt-get -o APT::Sandbox::User=root install -y -qq --no-install-recommends "$@" >/dev/null
	chroot "$dir" apt-get clean
fi
