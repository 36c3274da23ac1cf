#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# `mailbpf trace --json` against real kernel events: an E2BIG exec, reloads
# to a process named dovecot from two differently-named senders, a forced
# XFS shutdown and real XFS/block I/O errors on a loop device.
. "$(dirname "$0")/lib.sh"

start_trace || { not_ok "trace attaches" "$(cat "$TMP/trace.err")"; finish; }
ok "trace attaches"

# E2BIG: one 200 KiB argument, over MAX_ARG_STRLEN (128 KiB).
big=$(head -c 204800 /dev/zero | tr '\0' x)
/bin/true "$big" 2>/dev/null && not_ok "exec with a 200 KiB argument fails"
# The same through execveat (glibc's fexecve), and a binary that is not there.
python3 -c 'import os, sys
fd = os.open("/bin/true", os.O_RDONLY)
try: os.execve(fd, ["true", "y" * 204800], {})
except OSError as e: sys.exit(0 if e.errno == 7 else 1)' ||
	not_ok "execveat with a 200 KiB argument fails E2BIG"
# posix_spawn's vfork child has no rseq of its own: the probe's other way back.
python3 -c 'import os, sys
try: os.posix_spawn("/bin/true", ["true", "v" * 204800], {})
except OSError as e: sys.exit(0 if e.errno == 7 else 1)' ||
	not_ok "posix_spawn with a 200 KiB argument fails E2BIG"
MISSING=/nonexistent/mb-missing-$$
"$MISSING" 2>/dev/null

# Reloads: two senders with different names, 40 ms apart.
target=$(spawn_named dovecot)
send_from cron-reload 1 "$target"
sleep 0.04
send_from panel-reload 1 "$target"

wait_for 5 grep -q '"sender_comm":"panel-reload"' "$TMP/trace.json"
sleep 0.2
stop_trace

line=$(trace_lines '"type":"exec_fail"' '"errno":"E2BIG"' '"filename":"/bin/true"' | head -1)
if [ -n "$line" ]; then
	ok "E2BIG exec of /bin/true reported"
	check "argv sizes measured: longest is the 200 KiB string + NUL" \
		grep -q '"longest":204801,"longest_at":"argv\[1\]"' <<<"$line"
	check "argc 2 and argv bytes include both strings" \
		grep -q '"argc":2,"argv_bytes":204811' <<<"$line"
	check "exec limit and MAX_ARG_STRLEN reported" \
		grep -Eq '"limit":[0-9]+,"max_arg_strlen":131072' <<<"$line"
	check "over max_arg_strlen flagged" grep -q '"over":"max_arg_strlen"' <<<"$line"
else
	not_ok "E2BIG exec of /bin/true reported" "$(head -5 "$TMP/trace.json")"
fi
line=$(trace_lines '"type":"exec_fail"' '"errno":"E2BIG"' '"execveat":1' | head -1)
check "E2BIG through execveat reported as such" grep -q '"longest":204801' <<<"$line"
line=$(trace_lines '"errno":"E2BIG"' '"execveat":0' '"envc":0' | head -1)
check "E2BIG in a posix_spawn child (no rseq) reported with sizes" \
	grep -q '"argv_bytes":204806' <<<"$line"
# Both exec tiers see every errno, a missing binary's ENOENT too.
wait_for 5 grep -q "\"filename\":\"$MISSING\"" "$TMP/trace.json"
check "default exec probe: a missing binary is ENOENT" \
	grep -q '"errno":"ENOENT"' <<<"$(trace_lines "\"filename\":\"$MISSING\"")"

for sender in cron-reload panel-reload; do
	line=$(trace_lines '"type":"signal"' "\"sender_comm\":\"$sender\"" \
		"\"target_pid\":$target" | head -1)
	if [ -n "$line" ]; then
		ok "SIGHUP to dovecot from $sender"
		check "$sender: signal name, target comm and result" \
			grep -q '"signal":"SIGHUP","result":"delivered","target_pid":'"$target"',"target_tgid":'"$target"',"target_comm":"dovecot"' <<<"$line"
		check "$sender: sender ancestry read in the kernel" \
			grep -Eq "\"sender_ancestry\":\"$sender<[^\"]+\"" <<<"$line"
	else
		not_ok "SIGHUP to dovecot from $sender" "$(grep signal "$TMP/trace.json" | head -3)"
	fi
done
check "trace exits 0 on SIGINT" test "$TRACE_RC" -eq 0
check "trace reports lost events on exit" grep -q "0 lost" "$TMP/trace.err"

# --exec-probe syscall: the syscall exit tracepoints, every errno.
start_trace --exec-probe syscall ||
	{ not_ok "trace --exec-probe syscall attaches" "$(cat "$TMP/trace.err")"; finish; }
/bin/true "$big" 2>/dev/null
"$MISSING" 2>/dev/null
wait_for 5 grep -q "\"filename\":\"$MISSING\"" "$TMP/trace.json"
stop_trace
check "syscall exec probe: the missing binary is ENOENT" \
	grep -q '"errno":"ENOENT"' <<<"$(trace_lines "\"filename\":\"$MISSING\"")"
check "syscall exec probe: E2BIG with the same sizes" grep -q '"longest":204801' \
	<<<"$(trace_lines '"errno":"E2BIG"' '"filename":"/bin/true"')"

finish
