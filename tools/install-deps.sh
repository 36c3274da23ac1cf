#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Install what mailbpf's build and tests need from Debian's packages.
# Idempotent: it only calls apt-get when a listed command or header is missing,
# so `make test` can run it every time at no cost.
set -euo pipefail

# command-or-file -> package
need=(
	"clang:clang"
	"llvm-strip:llvm"
	"bpftool:bpftool"
	"/usr/include/bpf/libbpf.h:libbpf-dev"
	"/usr/include/libelf.h:libelf-dev"
	"/usr/include/zlib.h:zlib1g-dev"
	"/usr/include/cmocka.h:libcmocka-dev"
	"pkg-config:pkg-config"
	"mkfs.xfs:xfsprogs"
	"xfs_io:xfsprogs"
	"losetup:mount"
	"/usr/sbin/dovecot:dovecot-imapd"
	"/usr/bin/doveadm:dovecot-core"
	"/usr/sbin/exim4:exim4-daemon-light"
	"/usr/bin/prometheus-node-exporter:prometheus-node-exporter"
	"promtool:prometheus"
	"/usr/bin/prometheus-alertmanager:prometheus-alertmanager"
	"curl:curl"
	"python3:python3"
	"strace:strace"
	"ss:iproute2"
	"man:man-db"
	"/usr/include/fuse3/fuse.h:libfuse3-dev"
	"fusermount3:fuse3"
	"/usr/lib/llvm-14/lib/clang/14.0.6/lib/linux/libclang_rt.fuzzer-x86_64.a:libclang-rt-14-dev"
)

have() {
	case "$1" in
	/*) [ -e "$1" ] ;;
	*) command -v "$1" >/dev/null 2>&1 || [ -x "/usr/sbin/$1" ] ;;
	esac
}

missing=()
for pair in "${need[@]}"; do
	what=${pair%%:*}
	pkg=${pair#*:}
	have "$what" || missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] && exit 0

# shellcheck disable=SC2207
missing=($(printf '%s\n' "${missing[@]}" | sort -u))
if [ "$(id -u)" -ne 0 ]; then
	echo "install-deps: missing packages: ${missing[*]}" >&2
	echo "install-deps: run as root: apt-get install ${missing[*]}" >&2
	exit 1
fi
echo "install-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
# Daemons installed for the integration tests must not start by themselves:
# the tests start their own instances with their own configs.
policy=/usr/sbin/policy-rc.d
made_policy=0
if [ ! -e "$policy" ]; then
	printf '#!/bin/sh\nexit 101\n' >"$policy"
	chmod 755 "$policy"
	made_policy=1
fi
trap '[ $made_policy -eq 1 ] && rm -f "$policy"' EXIT
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
