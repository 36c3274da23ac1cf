#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Exec probe tiers and feature fallbacks, each forced on this kernel
# (MAILBPF_HIDE_FEATURES makes mailbpf's probes report a feature missing,
# as an older kernel would): whatever is missing, the exec family picks the
# next tier or variant, the other families stay attached, E2BIG forensics
# stay complete (names of environment variables included), and nothing of
# libbpf reaches stderr. The near miss on one string is checked here too.
. "$(dirname "$0")/lib.sh"

grep -q ' /sys/kernel/tracing tracefs ' /proc/mounts ||
	mount -t tracefs tracefs /sys/kernel/tracing 2>/dev/null || true

# An exec of a copy of true (its own alert key: one alert per program a
# minute) whose environment has SSL_CA of $1 bytes.
cp /bin/true "$TMP/doveconf"
env_exec() {
	python3 - "$1" "$TMP/doveconf" <<'PY'
import os, sys
env = dict(os.environ)
env["SSL_CA"] = "x" * int(sys.argv[1])
try:
    os.execve(sys.argv[2], ["doveconf"], env)
except OSError:
    pass
PY
}

big=$(head -c 200000 /dev/zero | tr '\0' a)

# run_case LABEL HIDE ARGS...: the daemon with MAILBPF_HIDE_FEATURES=HIDE.
run_case() {
	local label=$1 hide=$2
	shift 2
	rm -rf "$TMP/textfile" "$TMP/state" "$TMP/alerts.log"
	MAILBPF_HIDE_FEATURES=$hide start_run --interval 1 "$@" ||
		{ not_ok "$label: daemon starts" "$(cat "$TMP/run.err")"; return 1; }
	ok "$label: daemon starts"
	sed 's/^/#   /' "$TMP/run.err"
	check "$label: no libbpf line" test "$(grep -ci '^libbpf\|verifier' "$TMP/run.err")" -eq 0
	wait_for 10 test -s "$TEXTFILE"
	for p in signal xfs block exec_near; do
		wait_for 5 metric_is "mailbpf_probe_attached{probe=\"$p\"}" 1
		check "$label: $p still attached" metric_is "mailbpf_probe_attached{probe=\"$p\"}" 1
	done
	/bin/true "$big" 2>/dev/null
	env_exec 219605
	wait_for 10 grep -q 'SSL_CA (envp' "$TMP/alerts.log"
	check "$label: E2BIG over MAX_ARG_STRLEN with argv forensics" \
		grep -q '"forensics":"argv\[1\] is 200001 bytes, 68929 over MAX_ARG_STRLEN' "$TMP/alerts.log"
	check "$label: E2BIG names the environment variable" \
		grep -q '"forensics":"SSL_CA (envp\[[0-9]*\]) is 219613 bytes' "$TMP/alerts.log"
	return 0
}

# 1. Which tiers this kernel runs, each forced alone (a forced tier is that
# tier or none); then auto must choose the best of those and work. Nothing
# here assumes what this host has.
usable=()
for t in fexit syscall; do
	rm -rf "$TMP/textfile" "$TMP/state" "$TMP/alerts.log"
	start_run --interval 1 --exec-probe "$t" || { not_ok "forced $t: daemon starts" "$(cat "$TMP/run.err")"; continue; }
	wait_for 10 test -s "$TEXTFILE"
	wait_for 5 metric_is 'mailbpf_probe_attached{probe="exec"}' 1
	if metric_is 'mailbpf_probe_attached{probe="exec"}' 1; then
		usable+=("$t")
		check "forced $t: mailbpf_exec_probe_info names it" metric_is "mailbpf_exec_probe_info{mode=\"$t\"}" 1
	else
		check "forced $t: not loadable here, a warning says why" grep -q "exec_probe $t not available here: " "$TMP/run.err"
	fi
	stop_run
done
echo "# exec tiers this kernel runs: ${usable[*]:-none}"
check "some exec tier runs on this kernel" test "${#usable[@]}" -gt 0
run_case "default" ""
tier=$(sed -n 's/.*exec probe \([a-z]*\).*/\1/p' "$TMP/run.err")
check "default: auto chose the best tier this kernel runs (${usable[0]:-none}), got $tier" test "$tier" = "${usable[0]:-none}"
check "default: mailbpf_exec_probe_info names it" metric_is "mailbpf_exec_probe_info{mode=\"$tier\"}" 1
# 92 % of MAX_ARG_STRLEN in one variable, 6 % of the total limit.
env_exec 120000
wait_for 10 grep -q '"kind":"exec_near_miss"' "$TMP/alerts.log"
line=$(grep '"kind":"exec_near_miss"' "$TMP/alerts.log" | grep '"limit_name":"max_arg_strlen"' | head -1)
check "near miss on one string: warned against MAX_ARG_STRLEN" test -n "$line"
check "near miss on one string: names SSL_CA" grep -q '"longest_name":"SSL_CA"' <<<"$line"
wait_for 5 awk '$1 == "mailbpf_exec_arg_headroom_ratio{program=\"doveconf\"}" && $2 >= 0.9 { f = 1 } END { exit !f }' "$TEXTFILE"
check "near miss on one string: headroom gauge >= 0.9" \
	awk '$1 == "mailbpf_exec_arg_headroom_ratio{program=\"doveconf\"}" && $2 >= 0.9 { f = 1 } END { exit !f }' "$TEXTFILE"
stop_run

# 2. Without fexit (a kernel that refuses trampolines): the syscall tier, named with the reason.
run_case "no fexit" "fexit"
check "no fexit: falls to the syscall tier and says why" \
	grep -q 'exec probe syscall (fexit: hidden by MAILBPF_HIDE_FEATURES)' "$TMP/run.err"
check "no fexit: mailbpf_exec_probe_info{mode=syscall}" metric_is 'mailbpf_exec_probe_info{mode="syscall"}' 1
"$TMP/no-such-binary" 2>/dev/null
wait_for 5 grep -q 'ENOENT' "$TEXTFILE"
check "no fexit: the syscall tier sees ENOENT" grep -q 'errno="ENOENT"' "$TEXTFILE"
stop_run

# 2b. A 5.10-like kernel: no ISA v3 (v2 objects), no bpf_get_current_task_btf,
# no bpf_task_pt_regs, no bpf_loop. Every family still attaches, forensics
# are exact, and the start line names what is missing, once.
run_case "5.10-like" "isa_v3,task_btf,task_pt_regs,bpf_loop"
check "5.10-like: the start line names each missing feature" \
	grep -q 'degraded on this kernel: kernel lacks: BPF ISA v3 (v2 objects loaded), bpf_loop .*, bpf_get_current_task_btf .*, bpf_task_pt_regs' "$TMP/run.err"
check "5.10-like: said once" test "$(grep -c 'degraded on this kernel' "$TMP/run.err")" -eq 1
for p in exec proc; do
	check "5.10-like: $p attached" metric_is "mailbpf_probe_attached{probe=\"$p\"}" 1
done
stop_run
MAILBPF_HIDE_FEATURES=isa_v3,task_btf "$MAILBPF" check >"$TMP/check.out" 2>&1
check "5.10-like: check warns with the missing features" \
	grep -q '^WARN  kernel BPF features: kernel lacks: BPF ISA v3 (v2 objects loaded), bpf_loop .*, bpf_get_current_task_btf' "$TMP/check.out"

# 3. No bpf_loop (5.15): the bounded walk still measures both cases exactly.
run_case "no bpf_loop" "bpf_loop"
stop_run

# 4. No readable kernel config: windows on the precise clock; collisions still seen.
run_case "no kernel config" "kconfig"
pid=$(spawn_named dovecot)
send_from crond-job 1 "$pid"
send_from panel-helper 1 "$pid"
wait_for 10 grep -q '"kind":"reload_collision"' "$TMP/alerts.log"
check "no kernel config: reload collision still detected" grep -q '"kind":"reload_collision"' "$TMP/alerts.log"
stop_run
MAILBPF_HIDE_FEATURES=kconfig "$MAILBPF" check >"$TMP/check.out" 2>&1
check "no kernel config: check warns about it" grep -q '^WARN  kernel config: unreadable' "$TMP/check.out"

# 5. A forced tier this kernel lacks: a warning naming it, the rest runs.
MAILBPF_HIDE_FEATURES=fexit start_run --interval 1 --exec-probe fexit
check "forced fexit: warns that it is not available and why" \
	grep -q 'exec_probe fexit not available here: hidden by MAILBPF_HIDE_FEATURES' "$TMP/run.err"
wait_for 10 test -s "$TEXTFILE"
check "forced fexit: exec not attached" metric_is 'mailbpf_probe_attached{probe="exec"}' 0
check "forced fexit: signal still attached" metric_is 'mailbpf_probe_attached{probe="signal"}' 1
stop_run
finish
