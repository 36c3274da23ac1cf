#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Debian's own kernels for the VM suite, never installed on the host: for
# each entry of $VM_SUITES (lib.sh: vm_suite_spec) the newest kernel its
# meta package points at, fetched with `apt-get download` through a private
# apt state (lib.sh) and unpacked with `dpkg -x` into
# $VM_CACHE/kernel-RELEASE/: vmlinuz, config, modules/, layout, .package.
# A kernel already unpacked from the same package and version is kept.
# Writes the releases to $VM_CACHE/kernels.list (and which entry gave which
# kernel to $VM_CACHE/suite-ENTRY.release).
#
# Two package layouts:
#   boot   up to 6.x: linux-image-RELEASE[-unsigned] holds /boot/vmlinuz-R,
#          /boot/config-R and /lib/modules/R (or /usr/lib/modules/R)
#   split  7.x: linux-image-R is a meta package; linux-binary-R holds
#          /usr/lib/modules/R/vmlinuz, linux-modules-R the modules and
#          linux-base-R the config, System.map and modules.builtin* in
#          /usr/lib/modules/R (no /boot at all)
# Both are found wherever the files are; modules/ is the unpacked
# /usr/lib/modules/R (the config stays in it for split kernels, as Debian
# installs it), without vmlinuz. No modules.dep: image.sh runs depmod.
#
#   kernels.sh            # prints one kernel release per line
. "$(dirname "$0")/lib.sh"

exec 8>"$VM_CACHE/.kernels.lock"
flock 8

# pick ENTRY: "PACKAGE VERSION" of the kernel to boot for that entry: the
# newest linux-image-[0-9]* its meta package depends on, -unsigned when
# that exists (the signed one only adds the EFI signature; same build).
pick() {
	local suite meta dep
	read -r suite meta < <(vm_suite_spec "$1")
	dep=$(vm_apt_cache "$suite" depends "$meta" |
		sed -n 's/^ *Depends: \(linux-image-[0-9][^ ]*\)$/\1/p' | sort -V | tail -1)
	[ -n "$dep" ] || { vm_log "$1: no $meta dependency found in $suite" && return 1; }
	if vm_apt_cache "$suite" show "$dep-unsigned" >/dev/null 2>&1; then
		dep=$dep-unsigned
	fi
	echo "$dep $(vm_apt_cache "$suite" show "$dep" | sed -n 's/^Version: //p' | sort -V | tail -1)"
}

# parts SUITE PACKAGE VERSION: PACKAGE=VERSION and, for a split (7.x)
# kernel, the linux-binary-/linux-modules-/linux-base- packages it
# depends on.
parts() {
	echo "$2=$3"
	vm_apt_cache "$1" show "$2=$3" | sed -n 's/^Depends: //p' | tr ',' '\n' |
		sed -n 's/^ *\(linux-\(binary\|modules\|base\)-[0-9][^ ]*\) (= \([^)]*\)).*/\1=\3/p'
}

# unpack DIR: the kernel in the packages unpacked under DIR, moved to
# $VM_CACHE/kernel-RELEASE (printed).
unpack() {
	local tmp=$1 vmlinuz rel moddir config layout dir
	vmlinuz=$(ls "$tmp"/boot/vmlinuz-* "$tmp"/usr/lib/modules/*/vmlinuz "$tmp"/lib/modules/*/vmlinuz 2>/dev/null | head -1)
	[ -n "$vmlinuz" ] || { vm_log "no vmlinuz in $*" && return 1; }
	case $vmlinuz in
	*/boot/vmlinuz-*)
		rel=${vmlinuz##*/vmlinuz-}
		layout=boot
		;;
	*)
		rel=$(basename "$(dirname "$vmlinuz")")
		layout=split
		;;
	esac
	moddir=$tmp/usr/lib/modules/$rel
	[ -d "$moddir/kernel" ] || moddir=$tmp/lib/modules/$rel
	[ -d "$moddir/kernel" ] || { vm_log "no modules for $rel" && return 1; }
	config=$tmp/boot/config-$rel
	[ -f "$config" ] || config=$moddir/config
	[ -f "$config" ] || { vm_log "no config for $rel" && return 1; }
	dir=$(vm_kernel_dir "$rel")
	rm -rf "$dir.new" && mkdir -p "$dir.new"
	cp "$config" "$dir.new/config"
	mv "$vmlinuz" "$dir.new/vmlinuz"
	mv "$moddir" "$dir.new/modules"
	echo "$layout" >"$dir.new/layout"
	echo "$rel"
}

list=()
declare -A updated=()
for entry in $VM_SUITES; do
	read -r suite _ < <(vm_suite_spec "$entry") || exit 1
	# The suite's lists are refreshed when older than
	# MAILBPF_VM_LISTS_MAX_AGE minutes (default 360; 0: every run).
	lists=$VM_CACHE/apt-$suite/lists
	if [ -z "${updated[$suite]:-}" ] &&
		{ [ "${MAILBPF_VM_LISTS_MAX_AGE:-360}" = 0 ] || [ ! -e "$lists/.updated" ] ||
			[ -n "$(find "$lists/.updated" -mmin +"${MAILBPF_VM_LISTS_MAX_AGE:-360}")" ]; }; then
		if vm_apt "$suite" update -qq >"$VM_CACHE/apt-$suite.log" 2>&1; then
			touch "$lists/.updated"
		else
			vm_log "$suite: apt-get update failed (see $VM_CACHE/apt-$suite.log)"
		fi
	fi
	updated[$suite]=1
	if ! read -r pkg ver < <(pick "$entry"); then
		# Offline: boot what was unpacked last time for this entry.
		rel=$(cat "$VM_CACHE/suite-$entry.release" 2>/dev/null) || exit 1
		vm_log "$entry: using the cached kernel $rel"
		list+=("$rel")
		continue
	fi
	stamp="$pkg=$ver"
	rel=$(cat "$VM_CACHE/suite-$entry.release" 2>/dev/null || true)
	if [ -n "$rel" ] && [ "$(cat "$(vm_kernel_dir "$rel")/.package" 2>/dev/null)" = "$stamp" ]; then
		list+=("$rel")
		continue
	fi
	mapfile -t want < <(parts "$suite" "$pkg" "$ver")
	vm_log "$entry: downloading ${want[*]}"
	a=$VM_CACHE/apt-$suite
	rm -f "$a"/linux-*.deb
	t0=$(date +%s)
	vm_apt "$suite" download -qq "${want[@]}" >&2
	tmp=$(mktemp -d "$VM_CACHE/unpack.XXXXXX")
	for deb in "$a"/linux-*.deb; do dpkg -x "$deb" "$tmp"; done
	rel=$(unpack "$tmp") || exit 1
	dir=$(vm_kernel_dir "$rel")
	echo "$stamp" >"$dir.new/.package"
	rm -rf "$tmp" "$a"/linux-*.deb "$dir"
	mv "$dir.new" "$dir"
	echo "$rel" >"$VM_CACHE/suite-$entry.release"
	vm_log "$entry: $rel ($(cat "$dir/layout") layout) unpacked in $(($(date +%s) - t0)) s ($(du -sh "$dir" | cut -f1))"
	list+=("$rel")
done
printf '%s\n' "${list[@]}" >"$VM_CACHE/kernels.list"
printf '%s\n' "${list[@]}"
