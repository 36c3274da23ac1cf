#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Real XFS on a loop device whose backing file sits on faultfs (a FUSE file
# system that can be told to fail: this kernel has no dm-error or fault
# injection). Checks the trace of a forced shutdown, then the daemon's
# per-device counts against the kernel's own trace of the same errors, and
# the sticky shutdown flag across a restart until the fs is unmounted.
. "$(dirname "$0")/lib.sh"
. "$ROOT/tests/lib/fsloop.sh"

fsloop_faultfs
grep -qw xfs /proc/filesystems || skip_all "no XFS in this kernel"

# 1. trace: forced shutdown of a loop-mounted XFS.
faulty_fs "$TMP/a" || { not_ok "xfs on loop set up"; finish; }
start_trace --type fs_shutdown || { not_ok "trace attaches"; finish; }
bash "$XF" shutdown "$TMP/a"
wait_for 5 grep -q '"type":"fs_shutdown"' "$TMP/trace.json"
stop_trace
line=$(trace_lines '"type":"fs_shutdown"' "\"device\":\"$DEVNAME\"" | head -1)
if [ -n "$line" ]; then
	ok "fs_shutdown traced for $DEVNAME"
	check "shutdown has mount point and fs type" \
		grep -q "\"mountpoint\":\"$MNT\",\"fstype\":\"xfs\"" <<<"$line"
	check "shutdown flags and kernel source file" \
		grep -Eq '"flags":"force_umount","file":"fs/xfs/[a-z_]+\.c","line":[0-9]+' <<<"$line"
else
	not_ok "fs_shutdown traced for $DEVNAME" "$(cat "$TMP/trace.json")"
fi
bash "$XF" teardown "$TMP/a"

# 2. run: real I/O errors, counted per device and mount, exactly.
faulty_fs "$TMP/b" || { not_ok "second xfs set up"; finish; }
start_trace --type fs_error || { not_ok "trace attaches"; finish; }
start_run --interval 1 || { not_ok "daemon starts" "$(cat "$TMP/run.err")"; finish; }
check "disk fails and XFS shuts itself down" bash "$XF" fail "$TMP/b"
key="{device=\"$DEVNAME\",mountpoint=\"$MNT\",fstype=\"xfs\"}"
# XFS keeps retrying in the background for a moment: compare once quiet.
stable() {
	local a
	a=$(metric "mailbpf_fs_io_errors_total$key")
	sleep 2.2
	[ -n "$a" ] && [ "$a" = "$(metric "mailbpf_fs_io_errors_total$key")" ]
}
wait_for 20 stable
stop_trace
# This device's only: another XFS failing on the host at the same time is not ours.
kernel_errors=$(trace_lines '"type":"fs_error"' "\"device\":\"$DEVNAME\"" | grep -c .)
echo "# xfs_buf_ioerror events seen by trace: $kernel_errors"
check "XFS I/O errors counted per device and mount (= trace's $kernel_errors)" \
	test "$(metric "mailbpf_fs_io_errors_total$key")" = "$kernel_errors"
check "at least one XFS I/O error" test "$kernel_errors" -gt 0
check "block I/O errors counted for $DEVNAME" \
	test "$(metric "mailbpf_block_io_errors_total{device=\"$DEVNAME\"}")" -gt 0
wait_for 3 metric_is "mailbpf_fs_shutdown$key" 1
check "shutdown flagged for the mount" test "$(metric "mailbpf_fs_shutdown$key")" = 1
check "fs_shutdown alert is critical" \
	grep -q '"severity":"critical","kind":"fs_shutdown"' "$TMP/alerts.log"
check "fs_io_error alert" grep -q '"kind":"fs_io_error"' "$TMP/alerts.log"

# 3. Sticky across a restart: the state directory remembers the shutdown.
stop_run
check "state saved" test -s "$TMP/state/fs-state"
start_run --interval 1 || not_ok "daemon restarts"
wait_for 3 metric_is "mailbpf_fs_shutdown$key" 1
check "shutdown still flagged after restart" test "$(metric "mailbpf_fs_shutdown$key")" = 1

# 4. Unmount clears it.
bash "$XF" teardown "$TMP/b"
wait_for 4 metric_is "mailbpf_fs_shutdown$key" ""
check "flag cleared once unmounted" test -z "$(metric "mailbpf_fs_shutdown$key")"
stop_run

finish
