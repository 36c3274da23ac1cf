#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Real ext4 on loop devices, as Debian mounts it (errors=remount-ro):
# (1) real I/O errors from faultfs under the loop device: ext4_error
#     counted, the kernel's remount read-only is a critical fs_readonly,
#     sticky across a mailbpf restart, cleared by unmount; the kernel's own
#     error path (trigger_fs_error) the same way;
# (2) an admin's mount -o remount,ro: a warning, cleared by remount,rw;
# (3) EXT4_IOC_SHUTDOWN (xfs_io -x -c shutdown): fs_shutdown, fstype ext4;
# (4) an image whose superblock recorded errors in an earlier mount:
#     reported at mailbpf start with the recorded function and line;
# (5) the textfile with the new families through a real node_exporter
#     scrape and promtool's linter.
. "$(dirname "$0")/lib.sh"
. "$ROOT/tests/lib/fsloop.sh"

export XFS_FAULT_FSTYPE=ext4 XFS_FAULT_SIZE=64M
fsloop_faultfs
grep -qw ext4 /proc/filesystems || modprobe ext4 2>/dev/null
grep -qw ext4 /proc/filesystems || skip_all "no ext4 in this kernel"
command -v mkfs.ext4 >/dev/null || skip_all "mkfs.ext4 (e2fsprogs) is not installed"

# plain_ext4 DIR: ext4 on a loop device over a plain file -> LOOP DEVNAME MNT
plain_ext4() { loop_fs ext4 "$1" 64M errors=remount-ro; }

alerts() { # alerts KIND DEVNAME [SEVERITY]: matching alert lines
	grep "\"kind\":\"$1\"" "$TMP/alerts.log" 2>/dev/null | grep "\"device\":\"$2\"" |
		grep "\"severity\":\"${3:-}" || true
}

# ---------------------------------------------------------------- (1) real I/O errors
faulty_fs "$TMP/a" || { not_ok "ext4 on faultfs set up" "$FSLOOP_OUT"; finish; }
mkdir "$MNT/spool" && for i in $(seq 20); do echo "$i" >"$MNT/spool/m$i"; done
# A fresh mount, so the directory blocks must come from the failing disk.
umount "$MNT" && mount -t ext4 -o noatime,errors=remount-ro "$LOOP" "$MNT"
start_trace --type fs_error || { not_ok "trace attaches"; finish; }
start_run --interval 1 || { not_ok "daemon starts" "$(cat "$TMP/run.err")"; finish; }
check "a normal start prints no libbpf line" eval '! grep -q libbpf "$TMP/run.err"'
check "ext4 probe attached" wait_for 3 metric_is 'mailbpf_probe_attached{probe="ext4"}' 1
bash "$XF" ctl "$TMP/a" "fail read"
ls -l "$MNT/spool" >/dev/null 2>&1
stat "$MNT/spool/m3" >/dev/null 2>&1
bash "$XF" ctl "$TMP/a" ok
# shellcheck disable=SC2034 # used in the eval strings below
key="{device=\"$DEVNAME\",mountpoint=\"$MNT\",fstype=\"ext4\"}"
ekey="{device=\"$DEVNAME\",mountpoint=\"$MNT\",fstype=\"ext4\",source=\"ext4_error\"}"
# Whatever mountinfo says of it (6.18: emergency_ro, 5.15: ro, Debian's 6.1:
# nothing, ext4 shut itself down), writes fail now.
check "the kernel stopped the writes (EROFS or EIO)" eval '! touch "$MNT/after-error" 2>/dev/null'
wait_for 5 grep -q '"source":"ext4_error"' "$TMP/trace.json"
sleep 1.5
stop_trace
traced=$(grep -c '"source":"ext4_error"' "$TMP/trace.json")
echo "# ext4_error events traced: $traced"
line=$(trace_lines '"source":"ext4_error"' "\"device\":\"$DEVNAME\"" | head -1)
check "trace: ext4_error with device, mount point, fstype" \
	grep -q "\"device\":\"$DEVNAME\",\"mountpoint\":\"$MNT\",\"fstype\":\"ext4\"" <<<"$line"
check "trace: the kernel function and line" grep -Eq '"function":"[a-z_0-9]+","line":[0-9]+' <<<"$line"
check "ext4 errors counted per device and mount (= trace's $traced)" \
	wait_for 3 metric_is "mailbpf_fs_errors_total$ekey" "$traced"
check "fs_error alert (critical)" test -n "$(alerts fs_error "$DEVNAME" critical)"
check "fs_readonly alert is critical" wait_for 4 eval 'test -n "$(alerts fs_readonly "$DEVNAME" critical)"'
check "fs_readonly names the ext4 error" eval 'alerts fs_readonly "$DEVNAME" critical | grep -q "ext4_error in "'
rkey="{device=\"$DEVNAME\",mountpoint=\"$MNT\",fstype=\"ext4\",cause=\"errors\"}"
check "mailbpf_fs_readonly{cause=errors} is 1" wait_for 3 metric_is "mailbpf_fs_readonly$rkey" 1
check "the superblock's error count is exported" \
	wait_for 3 eval 'test "$(num "mailbpf_fs_recorded_errors$key")" -ge 1'
stop_run
check "state saved" grep -q '^readonly ' "$TMP/state/fs-state"
: >"$TMP/alerts.log"
start_run --interval 1 || not_ok "daemon restarts"
check "read-only still flagged after a restart" wait_for 3 metric_is "mailbpf_fs_readonly$rkey" 1
check "and not raised again" test -z "$(alerts fs_readonly "$DEVNAME" critical)"
umount "$MNT"
check "flag cleared once unmounted" wait_for 4 metric_is "mailbpf_fs_readonly$rkey" ""
check "the clearing is an info alert" eval 'alerts fs_readonly "$DEVNAME" info | grep -q cleared'
bash "$XF" teardown "$TMP/a"

# The kernel's own error path: /sys/fs/ext4/DEV/trigger_fs_error.
plain_ext4 "$TMP/b" || { not_ok "plain ext4 set up"; finish; }
sleep 1.2 # one interval: mailbpf has seen it read-write
echo "mailbpf test error" >"/sys/fs/ext4/$DEVNAME/trigger_fs_error"
rkey="{device=\"$DEVNAME\",mountpoint=\"$MNT\",fstype=\"ext4\",cause=\"errors\"}"
check "trigger_fs_error: fs_readonly critical" wait_for 4 eval 'test -n "$(alerts fs_readonly "$DEVNAME" critical)"'
check "trigger_fs_error: the error is named (trigger_test_error)" \
	eval 'alerts fs_error "$DEVNAME" critical | grep -q "trigger_test_error"'
check "trigger_fs_error: counted" \
	wait_for 3 metric_is "mailbpf_fs_errors_total{device=\"$DEVNAME\",mountpoint=\"$MNT\",fstype=\"ext4\",source=\"ext4_error\"}" 1
check "trigger_fs_error: gauge 1" wait_for 3 metric_is "mailbpf_fs_readonly$rkey" 1
loop_fs_unplug "$TMP/b"
check "trigger_fs_error: cleared after unmount" wait_for 4 metric_is "mailbpf_fs_readonly$rkey" ""

# ---------------------------------------------------------------- (4) recorded at start
# The image of (1b) keeps its error in the superblock: mount it again with
# mailbpf stopped, then start it.
stop_run
: >"$TMP/alerts.log"
plain_ext4 "$TMP/b" || { not_ok "ext4 with recorded errors mounted again"; finish; }
start_run --interval 1 || not_ok "daemon starts over an ext4 with recorded errors"
rec=$(alerts fs_recorded_errors "$DEVNAME" warning)
check "recorded errors reported at start (warning)" test -n "$rec"
check "with the recorded function, line and errno" \
	grep -q '"first_function":"trigger_test_error","first_line":[0-9]*' <<<"$rec"
check "recorded error count exported" \
	wait_for 3 metric_is "mailbpf_fs_recorded_errors{device=\"$DEVNAME\",mountpoint=\"$MNT\",fstype=\"ext4\"}" 1
check "a read-write mount with old errors is not read-only" \
	test -z "$(alerts fs_readonly "$DEVNAME")"
stop_run
: >"$TMP/alerts.log"
start_run --interval 1 || not_ok "daemon restarts"
check "recorded errors not reported again after a restart" \
	test -z "$(alerts fs_recorded_errors "$DEVNAME")"
loop_fs_unplug "$TMP/b"

# ---------------------------------------------------------------- (2) admin remount
plain_ext4 "$TMP/c" || { not_ok "clean ext4 set up"; finish; }
sleep 1.2 # one interval: mailbpf has seen it read-write
mount -o remount,ro "$MNT"
akey="{device=\"$DEVNAME\",mountpoint=\"$MNT\",fstype=\"ext4\",cause=\"admin\"}"
check "admin remount,ro: a warning" wait_for 4 eval 'test -n "$(alerts fs_readonly "$DEVNAME" warning)"'
check "admin remount,ro: not critical" test -z "$(alerts fs_readonly "$DEVNAME" critical)"
check "admin remount,ro: gauge with cause admin" wait_for 3 metric_is "mailbpf_fs_readonly$akey" 1
mount -o remount,rw "$MNT"
check "remount,rw clears it" wait_for 4 metric_is "mailbpf_fs_readonly$akey" ""

# ---------------------------------------------------------------- (3) shutdown
skey="{device=\"$DEVNAME\",mountpoint=\"$MNT\",fstype=\"ext4\"}"
if command -v xfs_io >/dev/null; then
	xfs_io -x -c shutdown "$MNT"
	check "ext4 shutdown: fs_shutdown alert, critical" \
		wait_for 4 eval 'test -n "$(alerts fs_shutdown "$DEVNAME" critical)"'
	check "ext4 shutdown: fstype ext4, source ext4_shutdown" \
		eval 'alerts fs_shutdown "$DEVNAME" critical | grep -q "\"fstype\":\"ext4\",\"source\":\"ext4_shutdown\""'
	check "ext4 shutdown: gauge" wait_for 3 metric_is "mailbpf_fs_shutdown$skey" 1
	stop_run
	start_run --interval 1 || not_ok "daemon restarts"
	check "ext4 shutdown: still flagged after a restart" wait_for 3 metric_is "mailbpf_fs_shutdown$skey" 1
	loop_fs_unplug "$TMP/c"
	check "ext4 shutdown: cleared after unmount" wait_for 4 metric_is "mailbpf_fs_shutdown$skey" ""
else
	not_ok "xfs_io (xfsprogs) is installed"
fi

# ---------------------------------------------------------------- (5) node_exporter, promtool
NE=$(command -v prometheus-node-exporter)
if [ -n "$NE" ] && command -v promtool >/dev/null; then
	# An error in this run, so the new families have samples.
	plain_ext4 "$TMP/d" || not_ok "another ext4 set up"
	echo "mailbpf scrape test" >"/sys/fs/ext4/$DEVNAME/trigger_fs_error"
	wait_for 4 metric_is "mailbpf_fs_readonly{device=\"$DEVNAME\",mountpoint=\"$MNT\",fstype=\"ext4\",cause=\"errors\"}" 1
	check "promtool lints the textfile" promtool check metrics <"$TEXTFILE"
	PORT=$(free_port)
	"$NE" --web.listen-address="127.0.0.1:$PORT" --collector.disable-defaults \
		--collector.textfile --collector.textfile.directory="$TMP/textfile" \
		>"$TMP/ne.log" 2>&1 &
	at_exit "kill -TERM $!"
	got() { curl -fsS --max-time 5 "http://127.0.0.1:$PORT/metrics" >"$TMP/scrape.txt" 2>/dev/null; }
	check "node_exporter serves it" wait_for 15 got
	check "no textfile scrape error" grep -q '^node_textfile_scrape_error 0' "$TMP/scrape.txt"
	for fam in mailbpf_fs_errors_total mailbpf_fs_readonly mailbpf_fs_recorded_errors \
		mailbpf_probe_program_attached; do
		check "scrape has $fam" grep -q "^# TYPE $fam " "$TMP/scrape.txt"
	done
	check "scrape has this ext4 error" grep -q \
		"^mailbpf_fs_errors_total{device=\"$DEVNAME\",fstype=\"ext4\",mountpoint=\"$MNT\",source=\"ext4_error\"} 1" \
		"$TMP/scrape.txt"
	check "scrape has its read-only gauge" grep -q \
		"^mailbpf_fs_readonly{cause=\"errors\",device=\"$DEVNAME\",fstype=\"ext4\",mountpoint=\"$MNT\"} 1" \
		"$TMP/scrape.txt"
	loop_fs_unplug "$TMP/d"
else
	# As test_node_exporter.sh: make test installs both; a bare VM may not have promtool.
	echo "# (5) skipped: prometheus-node-exporter or promtool not installed"
fi
stop_run

# ---------------------------------------------------------------- (6) ProtectSystem=strict
# The shipped unit makes every mount read-only in mailbpf's own mount
# namespace; only the superblock says whether the filesystem is. A daemon
# whose view of the spool is a read-only mount must still see the spool go
# read-only, and not call it read-only before.
plain_ext4 "$TMP/e" || not_ok "ext4 for the read-only namespace set up"
: >"$TMP/alerts.log"
mkdir -p "$TMP/textfile" "$TMP/state"
unshare -m --propagation slave bash -c '
	mount -o remount,bind,ro "$1" || exit 99
	exec "$2" run --textfile "$3" --state-dir "$4" --alert-log "$5" --interval 1
' _ "$MNT" "$MAILBPF" "$TEXTFILE" "$TMP/state" "$TMP/alerts.log" >"$TMP/ns.out" 2>"$TMP/ns.err" &
ns_pid=$!
at_exit "kill -TERM $ns_pid; wait $ns_pid"
if wait_for 20 grep -q "running:" "$TMP/ns.err"; then
	sleep 1.2
	check "read-only mount in mailbpf's namespace: nothing flagged at start" \
		test -z "$(alerts fs_readonly "$DEVNAME")"
	echo "mailbpf namespace test" >"/sys/fs/ext4/$DEVNAME/trigger_fs_error"
	check "read-only mount in mailbpf's namespace: the error's read-only remount is critical" \
		wait_for 4 eval 'test -n "$(alerts fs_readonly "$DEVNAME" critical)"'
else
	not_ok "daemon runs with the spool mounted read-only in its namespace" "$(cat "$TMP/ns.err")"
fi
kill -TERM "$ns_pid"
wait "$ns_pid"
loop_fs_unplug "$TMP/e"
finish
