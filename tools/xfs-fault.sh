#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# xfs-fault.sh - an XFS on a disk that really fails, for integration tests.
#
# The kernels we test on have no dm-error, null_blk, scsi_debug or fault
# injection, so the "disk" is a loop device whose backing file lives on
# faultfs (tools/faultfs.c), a FUSE file system that can be told to return
# -EIO. The errors are genuine: the loop driver completes requests with
# BLK_STS_IOERR (block:block_rq_error) and XFS sees failed buffers
# (xfs:xfs_buf_ioerror) and shuts itself down (xfs:xfs_force_shutdown).
#
# Usage (as root), as a command or, after `source`, as xfault_* functions:
#   xfs-fault.sh setup DIR     300 MiB image, faultfs, loop, mkfs.xfs, mount
#                              at DIR/mnt (noatime); prints key=value lines:
#                              loop= dev=MAJ:MIN mnt= ctl= faultfs_pid=
#   xfs-fault.sh fail DIR      make the disk fail and drive XFS into it until
#                              it shuts down (metadata read errors, then
#                              metadata write errors and a shutdown with
#                              flags metadata_io); prints nothing. Exit 1 if
#                              XFS did not shut down in XFS_FAULT_TIMEOUT s.
#                              Afterwards every read and write fails.
#   xfs-fault.sh ctl DIR CMD   send a raw faultfs command ("ok", "fail read");
#                              `cat DIR/fuse/ctl` shows rules and counts
#   xfs-fault.sh shutdown DIR  xfs_io -x -c 'shutdown -f' on DIR/mnt
#   xfs-fault.sh teardown DIR  undo setup; safe to repeat, after a partial
#                              setup and on a shut-down fs. Leaves DIR itself.
#
# FAULTFS names the faultfs binary (default /work/main/.output/faultfs).
# XFS_FAULT_FSTYPE=ext4 makes setup put ext4 there instead (mounted with
# XFS_FAULT_EXT4_OPTS, default errors=remount-ro as Debian's fstab does);
# fail and shutdown are XFS's, ctl and teardown work for both.

FAULTFS=${FAULTFS:-/work/main/.output/faultfs}
XFS_FAULT_TIMEOUT=${XFS_FAULT_TIMEOUT:-10}
# 300 MiB is the smallest file system current mkfs.xfs will make.
XFS_FAULT_SIZE=${XFS_FAULT_SIZE:-300M}
XFS_FAULT_FSTYPE=${XFS_FAULT_FSTYPE:-xfs}
XFS_FAULT_EXT4_OPTS=${XFS_FAULT_EXT4_OPTS:-errors=remount-ro}

xfault_err() {
	echo "xfs-fault: $*" >&2
}

# Read DIR/state (key=value lines written by setup) into xf_* variables.
xfault_load() {
	local key val
	xf_dir=$1 xf_pid='' xf_loop='' xf_log_off='' xf_log_len='' xf_size=''
	[[ -r $xf_dir/state ]] || return 0
	while IFS='=' read -r key val; do
		case $key in
		pid | loop | log_off | log_len | size) printf -v "xf_$key" %s "$val" ;;
		esac
	done <"$xf_dir/state"
}

xfault_mounted() {
	findmnt -rn --mountpoint "$1" >/dev/null 2>&1
}

# faultfs still running (not a zombie), and the one serving this DIR?
xfault_pid_alive() {
	local pid=$1 dir=$2 state
	[[ -n $pid && -r /proc/$pid/stat ]] || return 1
	state=$(awk '{ print $3 }' "/proc/$pid/stat" 2>/dev/null) || return 1
	[[ $state != Z ]] || return 1
	tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF "$dir/fuse"
}

xfault_ctl() {
	local dir
	dir=$(realpath -m "$1") || return 1
	# A write to ctl blocks only if faultfs hangs; do not hang with it.
	# shellcheck disable=SC2016 # $1 and $2 belong to the inner shell
	timeout 5 bash -c 'printf "%s\n" "$1" >"$2"' _ "$2" "$dir/fuse/ctl"
}

# How many requests faultfs has failed in direction $2 (read or write).
xfault_failed() {
	local n
	n=$(timeout 5 sed -n "s/^$2=.* failed=\([0-9]*\)\$/\1/p" "$1/fuse/ctl" 2>/dev/null)
	echo "${n:-0}"
}

xfault_setup() {
	local dir i dev log_fsb log_blocks bsize
	[[ $EUID -eq 0 ]] || { xfault_err "setup needs root"; return 1; }
	[[ -x $FAULTFS ]] || { xfault_err "no faultfs binary at $FAULTFS"; return 1; }
	mkdir -p "$1" && dir=$(realpath "$1") || return 1
	xfault_teardown "$dir" # a stale setup would make everything below fail
	mkdir -p "$dir/fuse" "$dir/mnt" || return 1
	rm -f "$dir/backing.img"
	truncate -s "$XFS_FAULT_SIZE" "$dir/backing.img" || return 1

	# -f keeps faultfs a child we know the pid of; all fds away from the
	# caller, or a $(xfs-fault.sh setup) would wait for faultfs to exit.
	"$FAULTFS" "$dir/backing.img" "$dir/fuse" -f </dev/null >"$dir/faultfs.log" 2>&1 &
	echo "pid=$!" >"$dir/state"
	xfault_load "$dir"
	for ((i = 0; i < 50; i++)); do
		[[ -e $dir/fuse/disk.img ]] && break
		xfault_pid_alive "$xf_pid" "$dir" || break
		sleep 0.1
	done
	if [[ ! -e $dir/fuse/disk.img ]]; then
		xfault_err "faultfs did not start: $(cat "$dir/faultfs.log")"
		xfault_teardown "$dir"
		return 1
	fi

	# Direct I/O keeps the loop driver's own page cache out of the way,
	# so every request reaches faultfs; fall back if it is refused.
	xf_loop=$(losetup -f --show --direct-io=on "$dir/fuse/disk.img" 2>/dev/null) ||
		xf_loop=$(losetup -f --show "$dir/fuse/disk.img") ||
		{ xfault_teardown "$dir"; return 1; }
	echo "loop=$xf_loop" >>"$dir/state"

	if [[ $XFS_FAULT_FSTYPE == ext4 ]]; then
		if ! mkfs.ext4 -F -q "$xf_loop" >/dev/null ||
			! mount -t ext4 -o "noatime,$XFS_FAULT_EXT4_OPTS" "$xf_loop" "$dir/mnt"; then
			xfault_err "ext4 on $xf_loop failed"
			xfault_teardown "$dir"
			return 1
		fi
		echo "loop=$xf_loop"
		echo "dev=$(cat "/sys/block/${xf_loop#/dev/}/dev")"
		echo "mnt=$dir/mnt"
		echo "ctl=$dir/fuse/ctl"
		echo "faultfs_pid=$xf_pid"
		return 0
	fi
	if ! mkfs.xfs -f -q "$xf_loop" >/dev/null; then
		xfault_err "mkfs.xfs failed"
		xfault_teardown "$dir"
		return 1
	fi
	# Where the internal log lives, so "fail" can spare it (see there).
	log_fsb=$(xfs_db -r -c 'sb 0' -c 'p logstart' "$xf_loop" | awk '{ print $3 }')
	log_blocks=$(xfs_db -r -c 'sb 0' -c 'p logblocks' "$xf_loop" | awk '{ print $3 }')
	bsize=$(xfs_db -r -c 'sb 0' -c 'p blocksize' "$xf_loop" | awk '{ print $3 }')
	xf_log_off=$(xfs_db -r -c "convert fsb $log_fsb byte" "$xf_loop" |
		sed -n 's/.*(\([0-9]*\)).*/\1/p')
	if [[ -z $xf_log_off || -z $log_blocks || -z $bsize ]]; then
		xfault_err "cannot locate the XFS log"
		xfault_teardown "$dir"
		return 1
	fi
	{
		echo "log_off=$xf_log_off"
		echo "log_len=$((log_blocks * bsize))"
		echo "size=$(stat -c %s "$dir/backing.img")"
	} >>"$dir/state"

	# noatime: an atime update logs the inode, and a read error inside
	# that transaction would shut XFS down before "fail" has produced
	# more than one error.
	if ! mount -t xfs -o noatime "$xf_loop" "$dir/mnt"; then
		xfault_err "mount failed"
		xfault_teardown "$dir"
		return 1
	fi
	dev=$(cat "/sys/block/${xf_loop#/dev/}/dev")
	echo "loop=$xf_loop"
	echo "dev=$dev"
	echo "mnt=$dir/mnt"
	echo "ctl=$dir/fuse/ctl"
	echo "faultfs_pid=$xf_pid"
}

# Did XFS on $1 (e.g. loop0) log a shutdown after kernel log line $2?
xfault_is_shutdown() {
	dmesg | sed -n "/$2/,\$p" |
		grep -qE "XFS \($1\): .*(Shutting down filesystem|has been shut down)"
}

# One round of metadata I/O on mount $1: evict inodes and metadata buffers
# (slab caches only, which also kicks the AIL to write back), then need them
# again; with a second argument, also dirty more metadata and flush it.
xfault_poke() {
	echo 2 >/proc/sys/vm/drop_caches
	ls -laR "$1" >/dev/null 2>&1
	cat "$1"/.xfs-fault/* >/dev/null 2>&1
	[[ -n ${2:-} ]] || return 0
	{ : >"$1/.xfs-fault/g$2"; } 2>/dev/null
	sync -f "$1" 2>/dev/null
}

xfault_fail() {
	local dir name marker mnt i end
	dir=$(realpath -m "$1") || return 1
	xfault_load "$dir"
	mnt=$dir/mnt
	if [[ -z $xf_loop ]] || ! xfault_mounted "$mnt"; then
		xfault_err "$dir is not set up"
		return 1
	fi
	name=${xf_loop#/dev/}

	# By default XFS retries failed async metadata writes forever; with
	# no retries the second failure of a buffer is permanent and XFS
	# shuts down with SHUTDOWN_META_IO_ERROR, which is traced.
	{ echo 0 >"/sys/fs/xfs/$name/error/metadata/EIO/max_retries"; } 2>/dev/null

	# Dirty metadata and cached inodes while the disk works (whatever
	# rules an earlier ctl set), so there is something to write back and
	# read in again below.
	xfault_ctl "$dir" ok || return 1
	mkdir -p "$mnt/.xfs-fault" 2>/dev/null
	for ((i = 0; i < 64; i++)); do
		{ : >"$mnt/.xfs-fault/f$i"; } 2>/dev/null
	done
	sync -f "$mnt" 2>/dev/null

	marker="xfs-fault-$$-$(date +%s%N)"
	echo "$marker: failing $xf_loop" >/dev/kmsg

	# Reads first: re-reading evicted inodes fails, but outside
	# transactions (setup mounts noatime), so XFS carries on and we get
	# several read errors. Eviction is not immediate (XFS reclaims inodes
	# in the background, buffers age out over several shrinker passes),
	# so poke until faultfs has really failed a few reads.
	xfault_ctl "$dir" "fail read" || return 1
	end=$((SECONDS + XFS_FAULT_TIMEOUT / 2))
	while (($(xfault_failed "$dir" read) < 4 && SECONDS < end)); do
		xfault_poke "$mnt"
		sleep 0.1
	done
	# Then writes, except to the log, with reads working again so that
	# new metadata can be dirtied: the AIL cannot write it back and,
	# with no retries, XFS shuts down. A failed log write would shut it
	# down through xlog_force_shutdown(), which skips the
	# xfs_force_shutdown tracepoint; metadata errors go through it.
	xfault_ctl "$dir" ok || return 1
	if ((xf_log_off > xf_size - xf_log_off - xf_log_len)); then
		xfault_ctl "$dir" "fail write 0 $xf_log_off" || return 1
	else
		xfault_ctl "$dir" "fail write $((xf_log_off + xf_log_len)) $xf_size" || return 1
	fi
	end=$((SECONDS + XFS_FAULT_TIMEOUT))
	for ((i = 1; SECONDS < end; i++)); do
		xfault_is_shutdown "$name" "$marker" && break
		xfault_poke "$mnt" "$i"
		sleep 0.2
	done
	# From now on the whole disk is dead, log included.
	xfault_ctl "$dir" fail
	if ! xfault_is_shutdown "$name" "$marker"; then
		xfault_err "XFS on $xf_loop did not shut down in ${XFS_FAULT_TIMEOUT}s"
		return 1
	fi
}

xfault_shutdown() {
	local dir
	dir=$(realpath -m "$1") || return 1
	xfault_mounted "$dir/mnt" || { xfault_err "$dir/mnt not mounted"; return 1; }
	xfs_io -x -c 'shutdown -f' "$dir/mnt"
}

# Loop devices whose backing file is DIR/fuse/disk.img. The listing comes
# from sysfs, so it works even when faultfs is gone and the file is not.
xfault_loops() {
	losetup -l -n -O NAME,BACK-FILE 2>/dev/null |
		awk -v f="$1/fuse/disk.img" '$2 == f { print $1 }'
}

xfault_teardown() {
	local dir loop loops busy i
	dir=$(realpath -m "$1") || return 1
	xfault_load "$dir"

	# Healthy again, so a file system that is not shut down can write
	# back what it holds and unmount instead of retrying forever.
	if xfault_pid_alive "$xf_pid" "$dir" && xfault_mounted "$dir/fuse"; then
		xfault_ctl "$dir" ok 2>/dev/null
	fi

	# Lazy: never blocks here, even on a dead disk. XFS lets go of the
	# loop device once its sysfs directory is gone; if something still
	# uses the mount, that only happens when it stops, and the loop
	# device (autoclear) and faultfs's lazily unmounted file go with it.
	for ((i = 0; i < 5 && $(findmnt -rn --mountpoint "$dir/mnt" | wc -l) > 0; i++)); do
		umount -l "$dir/mnt" 2>/dev/null
	done
	loops=$({
		[[ -n $xf_loop ]] && echo "$xf_loop"
		xfault_loops "$dir"
	} | sort -u)
	for ((i = 0; i < 100; i++)); do
		busy=
		for loop in $loops; do
			[[ -d /sys/fs/xfs/${loop#/dev/} || -d /sys/fs/ext4/${loop#/dev/} ]] && busy=1
		done
		[[ -n $busy ]] || break
		sleep 0.1
	done

	# losetup -d on a busy device only sets autoclear; wait until it is
	# really detached, or fusermount below fails with EBUSY.
	for loop in $(xfault_loops "$dir"); do
		losetup -d "$loop" 2>/dev/null
	done
	for ((i = 0; i < 50; i++)); do
		[[ -z $(xfault_loops "$dir") ]] && break
		sleep 0.1
	done
	[[ -n $(xfault_loops "$dir") ]] &&
		xfault_err "loop device still attached: $(xfault_loops "$dir")"

	if xfault_mounted "$dir/fuse"; then
		fusermount3 -u "$dir/fuse" 2>/dev/null ||
			fusermount3 -u -z "$dir/fuse" 2>/dev/null ||
			umount -l "$dir/fuse" 2>/dev/null
	fi
	# Unmounting makes faultfs exit by itself; only then fall back on
	# signals, and only for the faultfs of this DIR.
	for ((i = 0; i < 30; i++)); do
		xfault_pid_alive "$xf_pid" "$dir" || break
		((i == 10)) && kill -TERM "$xf_pid" 2>/dev/null
		((i == 20)) && kill -KILL "$xf_pid" 2>/dev/null
		sleep 0.1
	done
	xfault_pid_alive "$xf_pid" "$dir" && xfault_err "faultfs $xf_pid survived"

	rm -f "$dir/backing.img" "$dir/faultfs.log" "$dir/state"
	rmdir "$dir/mnt" "$dir/fuse" 2>/dev/null
	return 0
}

if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
	set -u
	case ${1:-} in
	setup | fail | shutdown | teardown)
		[[ $# -eq 2 ]] || { xfault_err "usage: $0 $1 DIR"; exit 2; }
		"xfault_$1" "$2"
		;;
	ctl)
		[[ $# -eq 3 ]] || { xfault_err "usage: $0 ctl DIR CMD"; exit 2; }
		xfault_ctl "$2" "$3"
		;;
	*)
		xfault_err "usage: $0 setup|fail|ctl|shutdown|teardown DIR"
		exit 2
		;;
	esac
fi
