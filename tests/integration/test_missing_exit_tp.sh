#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# A kernel without sched:sched_process_exit (simulated for real: in a
# private mount namespace the sched tracefs directory is covered by an empty one,
# what such a kernel shows). The exit probe is left out alone, with a
# notice and mailbpf_probe_attached{probe="proc"} 0; the other probes run,
# and the exit probe attaches normally where the tracepoint exists.
. "$(dirname "$0")/lib.sh"

tfs=/sys/kernel/tracing
[ -d "$tfs/events/sched" ] || mount -t tracefs tracefs "$tfs" 2>/dev/null
[ -d "$tfs/events/sched/sched_process_exit" ] || skip_all "no tracefs with sched events here"
mkdir -p "$TMP/empty" "$TMP/textfile" "$TMP/state"
TEXTFILE=$TMP/textfile/mailbpf.prom

unshare -m --propagation private bash -c '
	mount --bind "$1" "$2/events/sched" || exit 99
	exec "$3" run --textfile "$4" --state-dir "$5" --alert-log "$6" --interval 1
' _ "$TMP/empty" "$tfs" "$MAILBPF" "$TEXTFILE" "$TMP/state" "$TMP/alerts.log" \
	>"$TMP/run.out" 2>"$TMP/run.err" &
pid=$!
at_exit "kill -TERM $pid; wait $pid"
if ! wait_for 20 grep -q "running:" "$TMP/run.err"; then
	not_ok "daemon runs without sched_process_exit" "$(cat "$TMP/run.err")"
	finish
fi
ok "daemon runs without sched_process_exit"
check "a notice names the skipped tracepoint" \
	grep -q "tracepoint sched:sched_process_exit not in this kernel, exit probe skipped" "$TMP/run.err"
check "no warning about the exit probe failing" eval '! grep -q "exit probe not loaded" "$TMP/run.err"'
wait_for 3 metric_is 'mailbpf_probe_attached{probe="proc"}' 0
check "probe_attached{proc} is 0" metric_is 'mailbpf_probe_attached{probe="proc"}' 0
check "probe_attached{signal} is 1" metric_is 'mailbpf_probe_attached{probe="signal"}' 1
check "probe_attached{exec} is 1" metric_is 'mailbpf_probe_attached{probe="exec"}' 1
kill -TERM "$pid"
wait "$pid"
check "it stops cleanly" test $? -eq 0

# Where the tracepoint exists, the exit probe is attached (tp_btf, quietly).
start_run --interval 1 || { not_ok "mailbpf run starts" "$(cat "$TMP/run.err")"; finish; }
check "probe_attached{proc} is 1 on this kernel" wait_for 5 metric_is 'mailbpf_probe_attached{probe="proc"}' 1
check "no fallback notice: tp_btf loaded" eval '! grep -q "using the raw tracepoint" "$TMP/run.err"'
stop_run
finish
