# shellcheck shell=bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Shared by the VM harness (tests/vm/*.sh): where things are cached and how
# apt is pointed at a suite without touching the host's apt state.
set -euo pipefail
VM_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
VM_CACHE=${MAILBPF_VM_CACHE:-${MAILBPF_CACHE:-/var/cache/mailbpf-test}/vm}
VM_MIRROR=${MAILBPF_MIRROR:-http://deb.debian.org/debian}
VM_SECURITY=${MAILBPF_SECURITY_MIRROR:-http://deb.debian.org/debian-security}
VM_KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg
# The kernels the VM suite boots, one per entry: the newest kernel the
# entry's meta package points at (vm_suite_spec below).
VM_SUITES_ALL="bullseye bookworm bookworm-cloud bookworm-backports trixie trixie-backports sid"
VM_SUITES=${MAILBPF_VM_SUITES:-$VM_SUITES_ALL}
mkdir -p "$VM_CACHE"

vm_log() { echo "vm: $*" >&2; }

# vm_keyring SUITE: a keyring that verifies SUITE's Release files. The
# host's debian-archive-keyring has trixie's keys from 2023.3+deb12u1 on;
# an older one is completed from the keyring package of bookworm-updates,
# unpacked privately (never installed on the host).
vm_keyring() {
	local suite=$1 k=$VM_CACHE/keyring
	if gpg --no-default-keyring --keyring "$VM_KEYRING" --list-keys 2>/dev/null |
		grep -q "($(vm_suite_key "$suite"))"; then
		echo "$VM_KEYRING"
		return
	fi
	if [ ! -s "$k/usr/share/keyrings/debian-archive-keyring.gpg" ]; then
		vm_log "host keyring lacks $suite's key: unpacking debian-archive-keyring privately"
		VM_KEYRING_FALLBACK=1 vm_apt bookworm download debian-archive-keyring >&2
		rm -rf "$k" && mkdir -p "$k"
		dpkg -x "$VM_CACHE/apt-bookworm/debian-archive-keyring_"*.deb "$k"
		rm -f "$VM_CACHE/apt-bookworm/debian-archive-keyring_"*.deb
	fi
	echo "$k/usr/share/keyrings/debian-archive-keyring.gpg"
}

# vm_suite_number SUITE: the Debian release number (the archive key that
# signs SUITE's Release: backports are signed like their base release, sid
# with the newest archive key).
vm_suite_number() {
	case ${1%-backports} in
	bullseye) echo 11 ;;
	bookworm) echo 12 ;;
	trixie | sid | unstable) echo 13 ;;
	forky) echo 14 ;;
	*) echo "unknown suite $1" >&2 && return 1 ;;
	esac
}

# vm_suite_key SUITE: the "NN/codename" of the archive key for SUITE.
vm_suite_key() {
	case $1 in
	sid | unstable) echo 13/trixie ;;
	*) echo "$(vm_suite_number "$1")/${1%-backports}" ;;
	esac
}

# vm_suite_spec ENTRY: "SUITE META" for an entry of $VM_SUITES: the apt
# suite (its private apt state) and the meta package whose newest
# linux-image-* dependency is the kernel to boot.
#   bullseye            Debian 11, linux-image-5.10.0-NN-amd64 (+ -security)
#   bookworm            Debian 12, linux-image-6.1.0-NN-amd64
#   bookworm-cloud      Debian 12, linux-image-6.1.0-NN-cloud-amd64
#   bookworm-backports  linux-image-6.12.NN+bpo-amd64
#   trixie              Debian 13, linux-image-6.12.NN+deb13-amd64
#   trixie-backports    linux-image-7.N (7.x: split into linux-binary-,
#   sid                 linux-modules- and linux-base- packages)
vm_suite_spec() {
	case $1 in
	*-cloud) echo "${1%-cloud} linux-image-cloud-amd64" ;;
	bullseye | bookworm | trixie | forky | sid | *-backports) echo "$1 linux-image-amd64" ;;
	*) echo "unknown VM suite entry $1 (known: $VM_SUITES_ALL)" >&2 && return 1 ;;
	esac
}

# vm_apt SUITE APT-GET-ARGS...: apt-get on a private sources list, lists,
# cache and (empty) dpkg status under $VM_CACHE/apt-SUITE. Downloads land
# in that directory.
vm_apt() {
	local suite=$1 a=$VM_CACHE/apt-$1 keyring
	shift
	if [ "${VM_KEYRING_FALLBACK:-0}" = 1 ]; then
		keyring=$VM_KEYRING
	else
		keyring=$(vm_keyring "$suite")
	fi
	mkdir -p "$a/lists/partial" "$a/cache/archives/partial" "$a/parts" "$a/prefs"
	: >"$a/status"
	# A release with its updates and security suites; backports and sid
	# alone (their meta package is then the only candidate).
	case $suite in
	*-backports | sid | unstable | experimental)
		echo "deb [signed-by=$keyring] $VM_MIRROR $suite main" >"$a/sources.list"
		;;
	*)
		cat >"$a/sources.list" <<-EOF
			deb [signed-by=$keyring] $VM_MIRROR $suite main
			deb [signed-by=$keyring] $VM_MIRROR $suite-updates main
			deb [signed-by=$keyring] $VM_SECURITY $suite-security main
		EOF
		;;
	esac
	(cd "$a" && apt-get -q \
		-o Dir::Etc::sourcelist="$a/sources.list" \
		-o Dir::Etc::sourceparts="$a/parts" \
		-o Dir::Etc::preferences="$a/prefs/none" \
		-o Dir::Etc::preferencesparts="$a/prefs" \
		-o Dir::State::Lists="$a/lists" \
		-o Dir::Cache="$a/cache" \
		-o Dir::Cache::pkgcache="$a/cache/pkgcache.bin" \
		-o Dir::Cache::srcpkgcache="$a/cache/srcpkgcache.bin" \
		-o Dir::State::status="$a/status" \
		-o APT::Architecture=amd64 \
		-o APT::Architectures::=amd64 \
		-o Debug::NoLocking=1 \
		-o APT::Sandbox::User=root \
		"$@")
}

vm_apt_cache() {
	local suite=$1 a=$VM_CACHE/apt-$1
	shift
	apt-cache \
		-o Dir::Etc::sourcelist="$a/sources.list" \
		-o Dir::Etc::sourceparts="$a/parts" \
		-o Dir::Etc::preferences="$a/prefs/none" \
		-o Dir::Etc::preferencesparts="$a/prefs" \
		-o Dir::State::Lists="$a/lists" \
		-o Dir::Cache="$a/cache" \
		-o Dir::Cache::pkgcache="$a/cache/pkgcache.bin" \
		-o Dir::Cache::srcpkgcache="$a/cache/srcpkgcache.bin" \
		-o Dir::State::status="$a/status" \
		-o APT::Architecture=amd64 \
		-o APT::Architectures::=amd64 \
		"$@"
}

# vm_kernel_dir RELEASE: where kernels.sh unpacked that kernel.
vm_kernel_dir() { echo "$VM_CACHE/kernel-$1"; }

# The kernel releases already unpacked, one per line (from kernels.sh).
vm_kernels() { cat "$VM_CACHE/kernels.list" 2>/dev/null; }
