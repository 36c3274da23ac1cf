#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# A program this kernel refuses is left out alone, never its siblings or
# another family; with nothing attached at all the daemon does not look
# healthy. Real verifier rejections: MAILBPF_BREAK_PROG loads the named
# programs (any family, or "all") as cgroup sysctl programs, whose context
# a tracing program cannot read.
. "$(dirname "$0")/lib.sh"

big=$(head -c 200000 /dev/zero | tr '\0' a)
cp /bin/true "$TMP/isoltrue"

# run_broken LABEL PROGS: the daemon with PROGS refused by the verifier.
run_broken() {
	rm -rf "$TMP/textfile" "$TMP/state" "$TMP/alerts.log"
	MAILBPF_BREAK_PROG=$2 start_run --interval 1 ||
		{ not_ok "$1: daemon starts" "$(cat "$TMP/run.err")"; return 1; }
	ok "$1: daemon starts"
	sed 's/^/#   /' "$TMP/run.err"
	wait_for 10 test -s "$TEXTFILE"
	check "$1: no libbpf line on stderr" test "$(grep -ci 'libbpf' "$TMP/run.err")" -eq 0
}

# The signal family refused: every other family attached, an E2BIG counted.
run_broken "signal refused" signal_gen
wait_for 5 metric_is 'mailbpf_probe_attached{probe="signal"}' 0
check "signal refused: mailbpf_probe_attached{signal} 0" metric_is 'mailbpf_probe_attached{probe="signal"}' 0
for p in exec exec_near proc; do
	check "signal refused: $p still attached" metric_is "mailbpf_probe_attached{probe=\"$p\"}" 1
done
check "signal refused: the start line names it" grep -q 'degraded on this kernel: probes not attached: signal' "$TMP/run.err"
"$TMP/isoltrue" "$big" 2>/dev/null
wait_for 5 grep -q 'mailbpf_exec_failures_total{errno="E2BIG",program="isoltrue"} 1' "$TEXTFILE"
check "signal refused: an E2BIG is still counted" \
	grep -q 'mailbpf_exec_failures_total{errno="E2BIG",program="isoltrue"} 1' "$TEXTFILE"
stop_run

# The near-miss program refused: the exec tier stays, E2BIG forensics complete.
run_broken "exec_near refused" exec_near
check "exec_near refused: exec still attached" metric_is 'mailbpf_probe_attached{probe="exec"}' 1
check "exec_near refused: exec_near not attached" metric_is 'mailbpf_probe_attached{probe="exec_near"}' 0
check "exec_near refused: signal still attached" metric_is 'mailbpf_probe_attached{probe="signal"}' 1
"$TMP/isoltrue" "$big" 2>/dev/null
wait_for 10 grep -q '"kind":"exec_e2big"' "$TMP/alerts.log"
check "exec_near refused: E2BIG forensics complete" \
	grep -q '"forensics":"argv\[1\] is 200001 bytes, 68929 over MAX_ARG_STRLEN' "$TMP/alerts.log"
stop_run

# Both fexit programs refused: the next tier, whatever this kernel's best was.
run_broken "fexit refused" exec_fexit_execve,exec_fexit_execveat
check "fexit refused: the syscall tier runs" metric_is 'mailbpf_exec_probe_info{mode="syscall"}' 1
check "fexit refused: exec attached" metric_is 'mailbpf_probe_attached{probe="exec"}' 1
stop_run

# Every program refused: a clear error, a non-zero exit, nothing written.
rm -rf "$TMP/textfile" "$TMP/state" "$TMP/alerts.log"
mkdir -p "$TMP/textfile" "$TMP/state"
MAILBPF_BREAK_PROG=all timeout 60 "$MAILBPF" run --textfile "$TMP/textfile/mailbpf.prom" \
	--state-dir "$TMP/state" --alert-log "$TMP/alerts.log" >"$TMP/run.out" 2>"$TMP/run.err"
rc=$?
sed 's/^/#   /' "$TMP/run.err"
check "nothing attached: exits 1, a failure (rc $rc)" test "$rc" -eq 1
check "nothing attached: says so" grep -q 'no probe attached on this kernel' "$TMP/run.err"
check "nothing attached: never said running" eval '! grep -q "running:" "$TMP/run.err"'
check "nothing attached: no textfile written" test ! -e "$TMP/textfile/mailbpf.prom"
MAILBPF_BREAK_PROG=all "$MAILBPF" check >"$TMP/check.out" 2>&1
check "nothing attached: check fails" test $? -ne 0
finish
