#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Install what one purpose needs from Debian's packages:
#
#   install-deps.sh [-n] build   `make`, `make run`: the compiler and libraries only
#   install-deps.sh [-n] test    `make test`: the build set and the test set
#   install-deps.sh [-n] deb     `make deb`: the build set and Debian's packaging tools
#   install-deps.sh [-n] bench   `make bench`: the build set and libbpf-tools
#
# -n: say what would be installed and what left out, install nothing.
# Idempotent: apt-get runs only when a listed command, file or package is
# missing, so make can call it every time at no cost. It never removes or
# replaces an installed package: the install is simulated first
# (apt-get -s) and any package whose install would remove one is refused by
# name. A mail server the tests use is left out, with a note, when the host
# already runs another one (the suite that needs it then says why it is
# skipped; the reasons are kept in .output/deps-SET.notes for its skip
# line). Without root it names the missing packages and the command.
set -euo pipefail
cd "$(dirname "$0")/.."

# Each entry is CHECK:PACKAGE[:ROLE]. CHECK is a command (found on PATH or in
# /usr/sbin), an absolute path that must exist, or "-" for "PACKAGE is
# installed". ROLE is a virtual package: when another installed package
# provides it (another IMAP server: dovecot-imapd does not conflict with
# one, so apt would install both), PACKAGE is left out. An MTA needs no
# ROLE: exim4 conflicts with mail-transport-agent, so the simulation finds
# the removal.
# To extend a set, add a line.
build_set=(
	"make:make"
	# One compiler for everything: clang builds the BPF objects and, with no
	# gcc installed, is also `cc` (the flags suit both).
	"clang:clang"
	"llvm-strip:llvm"
	"bpftool:bpftool"
	"/usr/include/bpf/libbpf.h:libbpf-dev"
	"/usr/include/libelf.h:libelf-dev"
	"/usr/include/zlib.h:zlib1g-dev"
	"pkg-config:pkg-config"
)
test_set=(
	"/usr/include/cmocka.h:libcmocka-dev"
	# ASan/UBSan and libFuzzer runtimes when cc is clang.
	"/usr/lib/llvm-14/lib/clang/14.0.6/lib/linux/libclang_rt.fuzzer-x86_64.a:libclang-rt-14-dev"
	"mkfs.xfs:xfsprogs"
	"xfs_io:xfsprogs"
	"losetup:mount"
	"/usr/sbin/dovecot:dovecot-imapd:imap-server"
	"/usr/bin/doveadm:dovecot-core:imap-server"
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
	# The package suite: clean Debian 12 roots, building and checking the .deb.
	"debootstrap:debootstrap"
	"zstd:zstd"
	"dpkg-buildpackage:dpkg-dev"
	"dh:debhelper"
	"-:build-essential"
	"lintian:lintian"
	"git:git"
	# The VM suite: Debian's kernels under qemu, image made with mkfs.ext4 -d,
	# results read back with debugfs, Release files checked with gpg.
	"qemu-system-x86_64:qemu-system-x86"
	"debugfs:e2fsprogs"
	"gpg:gpg"
)
deb_set=(
	"dpkg-buildpackage:dpkg-dev"
	"dh:debhelper"
	# dpkg-buildpackage checks the implicit build dependencies too.
	"-:build-essential"
)
bench_set=(
	"-:libbpf-tools"
)

dry=0
if [ "${1:-}" = -n ]; then
	dry=1
	shift
fi
purpose=${1:-build}
case "$purpose" in
build) want=("${build_set[@]}") ;;
test) want=("${build_set[@]}" "${test_set[@]}") ;;
deb) want=("${build_set[@]}" "${deb_set[@]}") ;;
bench) want=("${build_set[@]}" "${bench_set[@]}") ;;
*)
	echo "install-deps: unknown set '$purpose' (build, test, deb or bench)" >&2
	exit 2
	;;
esac

notes=.output/deps-$purpose.notes
{ mkdir -p .output && : >"$notes"; } 2>/dev/null || notes=/dev/null
# leave_out PACKAGE REASON: the note for the suite's skip line, and stderr.
leave_out() {
	echo "$1: $2" >>"$notes"
	echo "install-deps: not installing $1: $2; the suite that needs it will be skipped" >&2
}

installed() {
	[ "$(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null)" = installed ]
}

have() { # have CHECK PACKAGE
	case "$1" in
	-) installed "$2" ;;
	/*) [ -e "$1" ] ;;
	*) command -v "$1" >/dev/null 2>&1 || [ -x "/usr/sbin/$1" ] ;;
	esac
}

# Installed packages other than those of PACKAGE's family that provide ROLE.
# (dovecot-core and dovecot-imapd are one family: the prefix before "-".)
other_providers() { # other_providers ROLE PACKAGE
	local family=${2%%-*}
	dpkg-query -W -f='${db:Status-Status} ${Package} ${Provides}\n' 2>/dev/null |
		awk -v role="$1" -v fam="$family" '$1 == "installed" {
			pkg = $2; sub(/^[^ ]+ [^ ]+ ?/, "")
			n = split($0, p, /, */)
			for (i = 1; i <= n; i++) {
				sub(/ .*/, "", p[i])
				if (p[i] == role && index(pkg, fam "-") != 1 && pkg != fam) print pkg
			}
		}' | sort -u | tr '\n' ' ' | sed 's/ $//'
}

missing=()
for entry in "${want[@]}"; do
	IFS=: read -r what pkg role <<<"$entry"
	have "$what" "$pkg" && continue
	if [ -n "${role:-}" ]; then
		others=$(other_providers "$role" "$pkg")
		if [ -n "$others" ]; then
			leave_out "$pkg" "$others already provides $role here"
			continue
		fi
	fi
	missing+=("$pkg")
done
if [ ${#missing[@]} -eq 0 ]; then
	[ "$dry" -eq 0 ] || echo "install-deps: nothing to install for '$purpose'"
	exit 0
fi

# shellcheck disable=SC2207
missing=($(printf '%s\n' "${missing[@]}" | sort -u))
if [ "$(id -u)" -ne 0 ]; then
	echo "install-deps: missing packages for '$purpose': ${missing[*]}" >&2
	echo "install-deps: as root, run: apt-get install --no-install-recommends ${missing[*]}" >&2
	exit 1
fi

export DEBIAN_FRONTEND=noninteractive
apt-get -o DPkg::Lock::Timeout=300 update -qq

# The removals an install of the given packages would make ("" if none).
removals() {
	apt-get -s -qq install --no-install-recommends "$@" 2>&1 |
		awk '/^Remv / { print $2 }' | tr '\n' ' ' | sed 's/ $//'
}

gone=$(removals "${missing[@]}")
if [ -n "$gone" ]; then
	# Name each culprit; a mail server is left out, anything else is fatal.
	keep=()
	refused=0
	for pkg in "${missing[@]}"; do
		g=$(removals "$pkg")
		if [ -z "$g" ]; then
			keep+=("$pkg")
			continue
		fi
		case "$pkg" in
		exim4-* | dovecot-*)
			leave_out "$pkg" "installing it would remove $g"
			;;
		*)
			echo "install-deps: refusing to install $pkg: it would remove $g" >&2
			refused=1
			;;
		esac
	done
	[ "$refused" -eq 0 ] || exit 1
	missing=("${keep[@]}")
	[ ${#missing[@]} -eq 0 ] && exit 0
	gone=$(removals "${missing[@]}")
	if [ -n "$gone" ]; then
		echo "install-deps: refusing to install ${missing[*]}: together they would remove $gone" >&2
		exit 1
	fi
fi

if [ "$dry" -eq 1 ]; then
	echo "install-deps: would install for '$purpose': ${missing[*]}"
	exit 0
fi
echo "install-deps: installing for '$purpose': ${missing[*]}" >&2
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
apt-get -o DPkg::Lock::Timeout=300 install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
