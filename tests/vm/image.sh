#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# The VM's disk: a Debian 12 system from tests/lib/debroot.sh with systemd
# as init, Debian's Dovecot and node_exporter, xfsprogs and the modules of
# every kernel kernels.sh unpacked, plus an initramfs per kernel made by
# Debian's own mkinitramfs inside that root. Written as an ext4 image by
# `mkfs.ext4 -d` (no loop mount) to
#   $VM_CACHE/disk-HASH.ext4, $VM_CACHE/initrd-RELEASE-HASH.img
# where HASH covers the package list, this script, the guest side files and
# the kernel packages, so any change to those makes a new image. Booted with
# snapshot=on: the cached image is never written.
#
#   image.sh        # prints the path of the disk image
. "$(dirname "$0")/lib.sh"

# What the guest runs: systemd as PID 1, the mail stack as Debian ships
# it, and what the tests use (xfsprogs for XFS on a loop device, fuse3 for
# tools/faultfs, curl for node_exporter). libbpf1/libelf1/zlib1g: mailbpf's
# runtime libraries, so the package (or `make install` tree) installs
# offline.
VM_PACKAGES=(systemd-sysv udev kmod initramfs-tools dovecot-imapd
	prometheus-node-exporter xfsprogs fuse3 libfuse3-3 curl procps
	iproute2 libbpf1 libelf1 zlib1g python3 zstd)
GUEST=$VM_ROOT/tests/vm/guest

kernels=$(vm_kernels)
[ -n "$kernels" ] || kernels=$(bash "$VM_ROOT/tests/vm/kernels.sh")
hash=$({
	printf '%s\n' "${VM_PACKAGES[@]}"
	cat "$0" "$GUEST/mailbpf-vmtest" "$GUEST/mailbpf-vmtest.service"
	for k in $kernels; do cat "$(vm_kernel_dir "$k")/.package"; done
	echo "$kernels"
} | sha256sum | cut -c1-12)
disk=$VM_CACHE/disk-$hash.ext4

exec 8>"$VM_CACHE/.image.lock"
flock 8
if [ -s "$disk" ]; then
	echo "$disk"
	exit 0
fi

t0=$(date +%s)
root=$(mktemp -d "$VM_CACHE/root.XXXXXX")
trap 'rm -rf "$root" "$root.log"' EXIT
vm_log "building the image root (${VM_PACKAGES[*]})"
if ! bash "$VM_ROOT/tests/lib/debroot.sh" "$root" "${VM_PACKAGES[@]}" >"$root.log" 2>&1; then
	tail -30 "$root.log" >&2
	exit 1
fi
rm -f "$root.log"
t1=$(date +%s)

# Kernel modules, and an initramfs with just what finds the root disk:
# virtio-blk and ext4 are modules on Debian's kernels.
cat >"$root/etc/initramfs-tools/conf.d/mailbpf-vm" <<'EOC'
MODULES=list
COMPRESS=zstd
EOC
printf '%s\n' virtio_pci virtio_blk ext4 >>"$root/etc/initramfs-tools/modules"
# A kernel of the boot layout (6.x and older) has its config in
# /boot/config-RELEASE, as its linux-image package installs it; a split one
# (7.x) has it in /usr/lib/modules/RELEASE/config (from linux-base-RELEASE)
# and nothing in /boot. Modules go to /usr/lib/modules/RELEASE (/lib is a
# symlink to usr/lib); Debian's packages ship no modules.dep (their
# postinst runs depmod), so depmod -b runs on the image's module tree, with
# the image's own kmod (the host need not have one).
for k in $kernels; do
	kd=$(vm_kernel_dir "$k")
	mkdir -p "$root/usr/lib/modules"
	cp -a "$kd/modules" "$root/usr/lib/modules/$k"
	case $(cat "$kd/layout" 2>/dev/null || echo boot) in
	boot)
		rm -f "$root/usr/lib/modules/$k/config"
		cp "$kd/config" "$root/boot/config-$k"
		;;
	split) [ -f "$root/usr/lib/modules/$k/config" ] || cp "$kd/config" "$root/usr/lib/modules/$k/config" ;;
	esac
	chroot "$root" depmod -b / -a "$k"
	[ -s "$root/usr/lib/modules/$k/modules.dep" ] || { vm_log "depmod wrote no modules.dep for $k" && exit 1; }
	# Bookworm's mkinitramfs reads /boot/config-RELEASE (compression
	# support): a split kernel's is there only while it runs.
	tmpconf=
	[ -f "$root/boot/config-$k" ] || { cp "$kd/config" "$root/boot/config-$k" && tmpconf=1; }
	chroot "$root" mkinitramfs -k "$k" -o "/boot/initrd.img-$k" >"$root.log" 2>&1 || { cat "$root.log" >&2 && exit 1; }
	[ -z "$tmpconf" ] || rm -f "$root/boot/config-$k"
	[ -s "$root/boot/initrd.img-$k" ] || { vm_log "mkinitramfs failed for $k" && exit 1; }
	# The initramfs is booted with -initrd, not kept in the image.
	mv "$root/boot/initrd.img-$k" "$VM_CACHE/initrd-$k-$hash.img.new"
	mv "$VM_CACHE/initrd-$k-$hash.img.new" "$VM_CACHE/initrd-$k-$hash.img"
done

# A machine that boots: root on the first virtio disk, the test runner
# started once multi-user.target is reached, no daemon kept from starting.
rm -f "$root/usr/sbin/policy-rc.d"
echo "/dev/vda / ext4 rw,errors=remount-ro 0 1" >"$root/etc/fstab"
echo mailbpf-vm >"$root/etc/hostname"
: >"$root/etc/machine-id"
install -m 0755 "$GUEST/mailbpf-vmtest" "$root/usr/local/sbin/mailbpf-vmtest"
install -m 0644 "$GUEST/mailbpf-vmtest.service" "$root/etc/systemd/system/mailbpf-vmtest.service"
chroot "$root" systemctl enable mailbpf-vmtest.service >/dev/null 2>&1
# Nothing to log in to; the console carries the test output instead.
chroot "$root" systemctl mask serial-getty@ttyS0.service getty@tty1.service >/dev/null 2>&1
mkdir -p "$root/mnt/io"

size=$(($(du -sm "$root" | cut -f1) + 1536))
rm -f "$disk.new"
mkfs.ext4 -q -F -L mbroot -d "$root" "$disk.new" "${size}M" >/dev/null
mv "$disk.new" "$disk"
# Images of other trees (another branch, an older commit) may be booting or
# queued for the lock right now: only those unused for two days go.
find "$VM_CACHE" -maxdepth 1 \( -name 'disk-*.ext4' -o -name 'initrd-*.img' \) \
	! -name "*-$hash.*" -atime +2 -delete
vm_log "image $disk: root in $((t1 - t0)) s, kernels+mkfs in $(($(date +%s) - t1)) s (${size} MiB)"
echo "$disk"
