#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Boot one of Debian's kernels with the VM image and run a script inside.
#
#   tests/vm/run.sh KERNEL_RELEASE GUEST_SCRIPT [OUTDIR]
#
# KERNEL_RELEASE is one that kernels.sh unpacked (6.1.0-NN-amd64,
# 6.12.NN+deb13-amd64; `tests/vm/run.sh list` prints them, fetching first if
# needed). mailbpf from $MAILBPF_VM_SRC (default: this clone) is built and
# installed in the guest (install_payload below), then GUEST_SCRIPT runs as
# root from a systemd oneshot after multi-user.target, in the directory that
# holds its files (extra files: $MAILBPF_VM_FILES, space separated). Its
# output, the journal, dmesg and the serial console land in OUTDIR (default
# a new /tmp/mailbpf-vm.XXXXXX, printed at the end). Exit status: the guest
# script's, or 124 when the boot timed out.
#
# Environment: MAILBPF_VM_ACCEL=tcg|kvm (tcg: guests hang under KVM on this
# machine), MAILBPF_VM_TIMEOUT (seconds for the whole boot, default 1500),
# MAILBPF_VM_SMP (vCPUs, default 2), MAILBPF_VM_LOCK (default
# /tmp/mailbpf-vm.lock; TCG takes a host CPU per vCPU, so a guest of N vCPUs
# takes the N locks LOCK, LOCK.1, ...: two 1-vCPU guests (test_vm.sh with
# MAILBPF_VM_JOBS=2 passes LOCK and LOCK.1) or one 2-vCPU guest at a time),
# MAILBPF_VM_INSTALL=tree (the make install tree even when make deb exists),
# MAILBPF_VM_INSTALL_BY_SCRIPT=1 (the guest script runs ./install.sh itself).
. "$(dirname "$0")/lib.sh"

kernel=${1:?usage: run.sh KERNEL_RELEASE|list GUEST_SCRIPT [OUTDIR]}
if [ "$kernel" = list ]; then
	[ -n "$(vm_kernels)" ] || bash "$VM_ROOT/tests/vm/kernels.sh" >/dev/null
	vm_kernels
	exit 0
fi
script=${2:?usage: run.sh KERNEL_RELEASE GUEST_SCRIPT [OUTDIR]}
[ -f "$script" ] || { echo "run.sh: $script: no such file" >&2 && exit 2; }
outdir=${3:-$(mktemp -d /tmp/mailbpf-vm.XXXXXX)}
src=${MAILBPF_VM_SRC:-$VM_ROOT}
accel=${MAILBPF_VM_ACCEL:-tcg}
case $accel in tcg | kvm) ;; *) echo "run.sh: MAILBPF_VM_ACCEL=$accel: tcg or kvm" >&2 && exit 2 ;; esac

if ! vm_kernels | grep -qxF "$kernel"; then
	bash "$VM_ROOT/tests/vm/kernels.sh" >/dev/null
	vm_kernels | grep -qxF "$kernel" || {
		echo "run.sh: kernel $kernel: not one of: $(vm_kernels | tr '\n' ' ')" >&2
		exit 2
	}
fi
disk=$(bash "$VM_ROOT/tests/vm/image.sh")
hash=${disk##*/disk-}
hash=${hash%.ext4}
initrd=$VM_CACHE/initrd-$kernel-$hash.img
[ -s "$initrd" ] || { echo "run.sh: $initrd missing (delete $disk to rebuild)" >&2 && exit 1; }

work=$(mktemp -d /tmp/mailbpf-vmio.XXXXXX)
trap 'rm -rf "$work"' EXIT
io=$work/io
mkdir -p "$io/install" "$outdir"

# install_payload DIR: what the guest installs, as an admin would. The
# Debian package when the tree can build one (`make deb` -> .output/deb/),
# else the `make install` tree (laid over / in the guest).
# MAILBPF_VM_INSTALL=tree forces the latter.
# MAILBPF_VM_BUILT=1: already built (test_vm.sh builds once for all guests).
install_payload() {
	local dir=$1
	if [ "${MAILBPF_VM_INSTALL:-deb}" = deb ] && grep -q '^deb:' "$src/Makefile" 2>/dev/null; then
		if [ "${MAILBPF_VM_BUILT:-0}" != 1 ]; then
			rm -f "$src"/.output/deb/mailbpf_*.deb
			make -C "$src" -s deb >&2
		fi
		cp "$src"/.output/deb/mailbpf_*.deb "$dir/"
	else
		[ "${MAILBPF_VM_BUILT:-0}" = 1 ] || make -C "$src" -s mailbpf >&2
		make -C "$src" -s install DESTDIR="$dir/root" >/dev/null
	fi
}
install_payload "$io/install"
cp "$script" "$io/guest.sh"
cp "$VM_ROOT/tests/vm/guest/install.sh" "$io/install.sh"
[ "${MAILBPF_VM_INSTALL_BY_SCRIPT:-0}" != 1 ] || touch "$io/.install-by-script"
for f in ${MAILBPF_VM_FILES:-}; do cp -a "$f" "$io/"; done
iodisk=$work/io.ext4
mkfs.ext4 -q -F -L mbio -d "$io" "$iodisk" 512M >/dev/null

kd=$(vm_kernel_dir "$kernel")
cpu=max
[ "$accel" = tcg ] || cpu=host
t0=$(date +%s)
rc=0
smp=${MAILBPF_VM_SMP:-2}
lock=${MAILBPF_VM_LOCK:-/tmp/mailbpf-vm.lock}
# One vCPU per lock (TCG takes a whole host CPU per vCPU): a 2-vCPU guest
# holds lock and lock.1, so it runs alone or next to nothing else.
locks=(flock "$lock")
for ((i = 1; i < smp; i++)); do locks+=(flock "${lock%.[0-9]}.$i"); done
"${locks[@]}" \
	bash -c 'date +%s >"$0" && exec "$@"' "$outdir/.vm-start" timeout -k 10 "${MAILBPF_VM_TIMEOUT:-1500}" \
	qemu-system-x86_64 -accel "$accel" -cpu "$cpu" -m 2G -smp "$smp" \
	-nographic -monitor none -serial "file:$outdir/console.log" -no-reboot \
	-nic none \
	-kernel "$kd/vmlinuz" -initrd "$initrd" \
	-append "root=/dev/vda rw console=ttyS0 panic=-1 systemd.show_status=1 net.ifnames=0" \
	-drive "file=$disk,format=raw,if=virtio,snapshot=on" \
	-drive "file=$iodisk,format=raw,if=virtio" </dev/null >"$outdir/qemu.log" 2>&1 || rc=$?
t1=$(cat "$outdir/.vm-start" 2>/dev/null || echo "$t0")
echo "$(($(date +%s) - t1))" >"$outdir/vm-seconds"
echo "$((t1 - t0))" >"$outdir/lock-seconds"

# The results: the io disk's out/ directory, read without mounting.
debugfs -R "rdump /out $work" "$iodisk" >/dev/null 2>&1 || true
[ -d "$work/out" ] && cp -a "$work/out/." "$outdir/"
if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
	vm_log "$kernel: timed out after ${MAILBPF_VM_TIMEOUT:-1500} s (console: $outdir/console.log)"
	echo "$outdir"
	exit 124
fi
if [ ! -f "$outdir/rc" ]; then
	vm_log "$kernel: the guest script never finished (qemu exited $rc; console: $outdir/console.log)"
	tail -30 "$outdir/console.log" >&2
	echo "$outdir"
	exit 1
fi
vm_log "$kernel: $(cat "$outdir/vm-seconds") s in the VM (boot to test: $(cat "$outdir/boot-seconds") s; waited $(cat "$outdir/lock-seconds") s for the lock), results in $outdir"
echo "$outdir"
exit "$(cat "$outdir/rc")"
