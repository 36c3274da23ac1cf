#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# A kernel without some tracepoints (no XFS, an old block layer): the rest
# must run, and mailbpf_probe_attached says what is missing; the exec probe
# still runs its best tier. Simulated for real: in a private mount namespace the
# tracefs directories of those events are covered by empty ones, exactly
# what such a kernel shows.
. "$(dirname "$0")/lib.sh"

tfs=/sys/kernel/tracing
[ -d "$tfs/events/xfs" ] || mount -t tracefs tracefs "$tfs" 2>/dev/null
[ -d "$tfs/events/xfs" ] || skip_all "no tracefs with xfs events here"
mkdir -p "$TMP/empty" "$TMP/textfile" "$TMP/state"
TEXTFILE=$TMP/textfile/mailbpf.prom

unshare -m --propagation private bash -c '
	mount --bind "$1" "$2/events/xfs" && mount --bind "$1" "$2/events/block" &&
		true || exit 99
	exec "$3" run --textfile "$4" --state-dir "$5" --alert-log "$6" --interval 1
' _ "$TMP/empty" "$tfs" "$MAILBPF" "$TEXTFILE" "$TMP/state" "$TMP/alerts.log" \
	>"$TMP/run.out" 2>"$TMP/run.err" &
pid=$!
at_exit "kill -TERM $pid; wait $pid"
if ! wait_for 20 grep -q "running:" "$TMP/run.err"; then
	not_ok "daemon runs without the xfs and block tracepoints" "$(cat "$TMP/run.err")"
	finish
fi
ok "daemon runs without the xfs and block tracepoints"
check "a notice names a skipped tracepoint" grep -q "tracepoint xfs:xfs_buf_ioerror not in this kernel" "$TMP/run.err"
check "the running line names the exec tier" grep -Eq "exec probe (fexit|syscall)" "$TMP/run.err"
wait_for 3 metric_is 'mailbpf_probe_attached{probe="xfs"}' 0
check "probe_attached{xfs} is 0" metric_is 'mailbpf_probe_attached{probe="xfs"}' 0
check "probe_attached{block} is 0" metric_is 'mailbpf_probe_attached{probe="block"}' 0
check "probe_attached{exec} is 1" metric_is 'mailbpf_probe_attached{probe="exec"}' 1
check "probe_attached{signal} is 1" metric_is 'mailbpf_probe_attached{probe="signal"}' 1

# The rest really works: an E2BIG is still counted.
cp /bin/true "$TMP/still-works"
"$TMP/still-works" "$(head -c 204800 /dev/zero | tr '\0' x)" 2>/dev/null
wait_for 4 metric_is 'mailbpf_exec_failures_total{errno="E2BIG",program="still-works"}' 1
check "exec failures still counted" \
	metric_is 'mailbpf_exec_failures_total{errno="E2BIG",program="still-works"}' 1

finish
