#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Only real I/O failures are block errors. mkfs.xfs and mkfs.ext4 (with
# discard) on a loop device whose file is on tmpfs send a write-zeroes the
# file cannot do: the request completes with BLK_STS_NOTSUPP (-EOPNOTSUPP
# in block_rq_error, as `fstrim` on a disk without discard would). That is
# counted in mailbpf_block_unsupported_total and never alerts; a real read
# error on a failing disk (faultfs under the loop device) still does.
. "$(dirname "$0")/lib.sh"
. "$ROOT/tests/lib/fsloop.sh"

fsloop_faultfs
command -v mkfs.xfs >/dev/null && command -v mkfs.ext4 >/dev/null ||
	skip_all "mkfs.xfs and mkfs.ext4 are needed"

mkdir -p "$TMP/shm"
mount -t tmpfs -o size=700m mbnotsupp "$TMP/shm" || skip_all "cannot mount a tmpfs"
at_exit "umount -l '$TMP/shm'"
start_trace --type block_error || { not_ok "trace attaches"; finish; }
start_run --interval 1 || { not_ok "daemon starts" "$(cat "$TMP/run.err")"; finish; }

for fs in xfs ext4; do
	truncate -s 300M "$TMP/shm/$fs.img"
	loop=$(losetup -f --show "$TMP/shm/$fs.img") || { not_ok "loop device for $fs"; continue; }
	at_exit "losetup -d $loop"
	dev=$(basename "$loop")
	# The loop device may be the one the previous mkfs used: count from here.
	before=$(num "mailbpf_block_unsupported_total{device=\"$dev\"}")
	[ "$before" -ge 0 ] || before=0
	if [ "$fs" = xfs ]; then
		mkfs.xfs -f -q "$loop" >/dev/null
	else
		mkfs.ext4 -F -q -E discard "$loop" >/dev/null
	fi
	check "mkfs.$fs on $dev: the unsupported request is counted apart" \
		wait_for 4 eval 'test "$(num "mailbpf_block_unsupported_total{device=\"$dev\"}")" -gt "$before"'
	echo "# mkfs.$fs: $(($(num "mailbpf_block_unsupported_total{device=\"$dev\"}") - before)) unsupported request(s) on $dev"
	check "mkfs.$fs on $dev: no block I/O error counted" \
		test -z "$(metric "mailbpf_block_io_errors_total{device=\"$dev\"}")"
	check "mkfs.$fs on $dev: no block_io_error alert" \
		eval '! grep "\"kind\":\"block_io_error\"" "$TMP/alerts.log" | grep -q "\"device\":\"$dev\""'
	losetup -d "$loop"
done
check "no block_error record reached trace" eval '! grep -q "\"type\":\"block_error\"" "$TMP/trace.json"'

# A real read error still counts and alerts.
faulty_fs "$TMP/f" || { not_ok "xfs on faultfs set up" "$FSLOOP_OUT"; finish; }
dev=$DEVNAME
bash "$XF" ctl "$TMP/f" "fail read"
dd if="/dev/$dev" of=/dev/null bs=4k count=1 skip=1000 iflag=direct 2>/dev/null
bash "$XF" ctl "$TMP/f" ok
check "a real read error is a block I/O error" \
	wait_for 4 eval 'test "$(num "mailbpf_block_io_errors_total{device=\"$dev\"}")" -ge 1'
check "and alerts" wait_for 3 eval 'grep "\"kind\":\"block_io_error\"" "$TMP/alerts.log" | grep -q "\"device\":\"$dev\""'
check "and is traced with its errno" \
	wait_for 3 eval 'grep "\"type\":\"block_error\"" "$TMP/trace.json" | grep -q "\"device\":\"$dev\".*\"error\":\"EIO\""'
stop_trace
stop_run
finish
