#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# The daemon as systemd starts it: under the shipped unit's exact
# CapabilityBoundingSet (parsed from deploy/systemd/mailbpf.service, so the
# test and the unit cannot drift), no inheritable or ambient capabilities,
# no_new_privs as the unit's NoNewPrivileges=yes sets before exec. It must
# stay up with every probe attached, keep only CAP_BPF, and still count.
. "$(dirname "$0")/lib.sh"

unit=$ROOT/deploy/systemd/mailbpf.service
command -v setpriv >/dev/null || skip_all "setpriv (util-linux) missing"
caps=$(sed -n 's/^CapabilityBoundingSet=//p' "$unit")
check "unit has a CapabilityBoundingSet" test -n "$caps"
bset=-all
for c in $caps; do
	c=${c#CAP_}
	bset="$bset,+${c,,}"
done
grep -q '^NoNewPrivileges=yes' "$unit" && nnp=--no-new-privs || nnp=
echo "# setpriv --bounding-set $bset $nnp"

# systemd mounts tracefs at boot; a bare host may not have it yet.
grep -q ' /sys/kernel/tracing tracefs ' /proc/mounts ||
	mount -t tracefs tracefs /sys/kernel/tracing 2>/dev/null || true

mkdir -p "$TMP/textfile" "$TMP/state"
TEXTFILE=$TMP/textfile/mailbpf.prom
setpriv --bounding-set "$bset" --inh-caps -all --ambient-caps -all $nnp -- \
	"$MAILBPF" run --textfile "$TEXTFILE" --state-dir "$TMP/state" \
	--alert-log "$TMP/alerts.log" >"$TMP/run.out" 2>"$TMP/run.err" &
RUN_PID=$!
at_exit "kill -TERM $RUN_PID; wait $RUN_PID"
wait_for 20 grep -q "running:" "$TMP/run.err"
check "daemon starts under the unit's bounding set" kill -0 $RUN_PID
sed 's/^/#   /' "$TMP/run.err"
check "no warning on a normal start" test "$(grep -vc 'running:' "$TMP/run.err")" -eq 0
check "no libbpf line on a normal start" test "$(grep -ci 'libbpf' "$TMP/run.err")" -eq 0

status=/proc/$RUN_PID/status
eff=$(awk '/^CapEff:/ { print $2 }' "$status")
prm=$(awk '/^CapPrm:/ { print $2 }' "$status")
amb=$(awk '/^CapAmb:/ { print $2 }' "$status")
# CAP_BPF is capability 39: 1 << 39.
check "after start only CAP_BPF is effective ($eff)" test "$eff" = 0000008000000000
check "after start only CAP_BPF is permitted ($prm)" test "$prm" = 0000008000000000
check "nothing ambient ($amb)" test "$amb" = 0000000000000000
check "no_new_privs set" grep -q '^NoNewPrivs:[[:space:]]*1' "$status"

wait_for 20 test -s "$TEXTFILE"
for p in $(awk '/^mailbpf_probe_attached\{/ { print $1 }' "$TEXTFILE"); do
	check "attached: $p" metric_is "$p" 1
done
check "probes listed in the textfile" grep -q '^mailbpf_probe_attached{' "$TEXTFILE"

# Still counting once the capabilities are gone (count maps are bpf() reads).
big=$(head -c 200000 /dev/zero | tr '\0' a)
# A name of its own: another suite's E2BIG of "true" must not count here.
cp /bin/true "$TMP/capstrue"
"$TMP/capstrue" "$big" 2>/dev/null
wait_for 20 grep -q '"kind":"exec_e2big"' "$TMP/alerts.log"
check "E2BIG alerted after the privilege drop" grep -q '"kind":"exec_e2big"' "$TMP/alerts.log"
kill -HUP $RUN_PID
sleep 1
check "reload (SIGHUP) keeps it running" kill -0 $RUN_PID
wait_for 20 metric_is 'mailbpf_exec_failures_total{errno="E2BIG",program="capstrue"}' 1
check "E2BIG counted in the textfile" metric_is 'mailbpf_exec_failures_total{errno="E2BIG",program="capstrue"}' 1
kill -TERM $RUN_PID
wait $RUN_PID
check "clean exit on SIGTERM" test $? -eq 0
finish
