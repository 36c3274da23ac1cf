# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# shellcheck shell=bash
# shellcheck disable=SC2034 # LOOP, DEVNAME, MNT, FSLOOP_OUT are for the suite
# XFS and ext4 on loop devices for an integration suite (source after
# tests/integration/lib.sh). Each sets LOOP (/dev/loopN), DEVNAME (loopN)
# and MNT, and is undone at exit.
#
#   fsloop_faultfs                 skip the suite without a built faultfs;
#                                  sets XF (tools/xfs-fault.sh), exports FAULTFS
#   faulty_fs DIR                  a disk that can be made to fail: XFS (ext4
#                                  with XFS_FAULT_FSTYPE=ext4) on a loop device
#                                  over faultfs, mounted at DIR/mnt; drive it
#                                  with `bash "$XF" ctl|fail|shutdown DIR`.
#                                  On failure returns 1, setup's output in
#                                  FSLOOP_OUT.
#   loop_fs FSTYPE DIR SIZE [OPTS] a plain FSTYPE (xfs, ext4) on a loop device
#                                  over DIR/img, mounted at DIR/mnt with OPTS.
#                                  An existing DIR/img is mounted again as it
#                                  is (not made anew).
#   loop_fs_unplug DIR             unmount and detach what loop_fs set up

fsloop_faultfs() {
	XF=$ROOT/tools/xfs-fault.sh
	export FAULTFS=${FAULTFS:-$ROOT/.output/faultfs}
	[ -x "$FAULTFS" ] || skip_all "faultfs not built (make .output/faultfs)"
}

faulty_fs() {
	mkdir -p "$1"
	at_exit "bash $XF teardown $1"
	FSLOOP_OUT=$(bash "$XF" setup "$1") || return 1
	LOOP=$(sed -n 's/^loop=//p' <<<"$FSLOOP_OUT")
	DEVNAME=$(basename "$LOOP")
	MNT=$(sed -n 's/^mnt=//p' <<<"$FSLOOP_OUT")
}

loop_fs() {
	local fs=$1 dir=$2 size=$3 opts=${4:-defaults} force=-f
	[ "$fs" = xfs ] || force=-F
	mkdir -p "$dir/mnt"
	[ -e "$dir/img" ] || { truncate -s "$size" "$dir/img" && "mkfs.$fs" "$force" -q "$dir/img" >/dev/null; } ||
		return 1
	LOOP=$(losetup -f --show "$dir/img") || return 1
	at_exit "umount -l '$dir/mnt'; losetup -d $LOOP"
	DEVNAME=$(basename "$LOOP")
	MNT=$dir/mnt
	mount -t "$fs" -o "$opts" "$LOOP" "$MNT"
}

loop_fs_unplug() {
	umount "$1/mnt" && losetup -d "$LOOP"
}
