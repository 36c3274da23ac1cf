#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# The daemon end to end with real kernel events: a reload collision, exact
# E2BIG counts, and the outage itself (reloads, then the daemon's children
# failing exec with E2BIG) as ONE incident.
. "$(dirname "$0")/lib.sh"

# A stand-in Dovecot master: on SIGHUP it forks children that exec with a
# 200 KiB argument, as the outage's master did when restarting services.
spawn_master() {
	python3 -c '
import ctypes, os, signal, sys, time
ctypes.CDLL(None).prctl(15, b"dovecot", 0, 0, 0)
big = "x" * 204800
def reload(*a):
    for _ in range(int(sys.argv[1])):
        if os.fork() == 0:
            try:
                os.execv("/bin/true", ["/bin/true", big])
            except OSError:
                os._exit(1)
        os.wait()
signal.signal(signal.SIGHUP, reload)
time.sleep(120)
' "$1" >/dev/null 2>&1 &
	local pid=$!
	at_exit "kill -9 $pid"
	wait_for 5 grep -qx dovecot "/proc/$pid/comm"
	echo "$pid"
}

start_run --interval 2 || { not_ok "daemon starts" "$(cat "$TMP/run.err")"; finish; }
ok "daemon starts"
check "textfile written at start" test -s "$TEXTFILE"

# 1. Collision: two reloads 40 ms apart from differently named senders.
target=$(spawn_named dovecot)
t0=$(date +%s%N)
send_from cron-reload 1 "$target"
sleep 0.04
send_from panel-reload 1 "$target"
if wait_for 2 grep -q '"kind":"reload_collision"' "$TMP/alerts.log"; then
	ms=$((($(date +%s%N) - t0) / 1000000))
	ok "collision alert line"
	echo "# collision alert after ${ms} ms"
	line=$(grep '"kind":"reload_collision"' "$TMP/alerts.log" | head -1)
	check "alert names both senders" \
		grep -q 'cron-reload.*panel-reload\|panel-reload.*cron-reload' <<<"$line"
	check "alert gives the gap in ms" grep -Eq '"gap_ms":[0-9]+' <<<"$line"
else
	not_ok "collision alert line" "$(cat "$TMP/alerts.log" "$TMP/run.err")"
fi
wait_for 3 metric_is 'mailbpf_reload_collisions_total{daemon="dovecot"}' 1
check "collision counted in the textfile" \
	test "$(metric 'mailbpf_reload_collisions_total{daemon="dovecot"}')" = 1
check "both reloads counted exactly" \
	test "$(metric 'mailbpf_reload_signals_total{daemon="dovecot",signal="SIGHUP"}')" = 2
check "last collision timestamp set" \
	test "$(metric 'mailbpf_reload_last_collision_timestamp_seconds{daemon="dovecot"}')" -gt 0

# 2. Exact counts: 300 E2BIGs of one program, whatever reached the ring buffer.
big=$(head -c 204800 /dev/zero | tr '\0' x)
cp /bin/true "$TMP/e2big-probe"
for i in $(seq 300); do "$TMP/e2big-probe" "$big" 2>/dev/null; done
wait_for 4 metric_is 'mailbpf_exec_failures_total{errno="E2BIG",program="e2big-probe"}' 300
check "300 E2BIGs counted exactly" \
	test "$(metric 'mailbpf_exec_failures_total{errno="E2BIG",program="e2big-probe"}')" = 300
check "one E2BIG alert, not 300" \
	test "$(grep -c '"kind":"exec_e2big".*e2big-probe' "$TMP/alerts.log")" = 1

# 3. The outage: two reloads, then the master's children fail with E2BIG.
master=$(spawn_master 20)
send_from crond 1 "$master"
sleep 0.04
send_from dataskq 1 "$master"
if wait_for 5 grep -q '"kind":"reload_exec_chain"' "$TMP/alerts.log"; then
	ok "reload -> exec failure chain raised"
	check "exactly one chain incident for 40 failing execs" \
		test "$(grep -c '"kind":"reload_exec_chain".*"severity":"critical"\|"severity":"critical".*"kind":"reload_exec_chain"' "$TMP/alerts.log")" = 1
	line=$(grep '"kind":"reload_exec_chain"' "$TMP/alerts.log" | head -1)
	check "chain incident names the reload senders" \
		grep -q 'crond' <<<"$line"
else
	not_ok "reload -> exec failure chain raised" "$(cat "$TMP/alerts.log")"
fi
wait_for 4 metric_is 'mailbpf_incidents_total{kind="reload_exec_chain"}' 1
check "chain incident counted once" \
	test "$(metric 'mailbpf_incidents_total{kind="reload_exec_chain"}')" = 1

stop_run
check "daemon exits 0 on SIGTERM" test "$RUN_RC" -eq 0
check "every alert line is JSON" python3 -c '
import json, sys
for l in open(sys.argv[1]):
    json.loads(l)
' "$TMP/alerts.log"

# A generic master comm ("master" is Postfix's) only counts when the process
# runs the configured executable: checked in the kernel by inode.
py=$(python3 -c 'import os, sys; print(os.path.realpath(sys.executable))')
printf '[daemon postfix]\nexe = %s\n' "$py" >"$TMP/exe.conf"
start_run --config "$TMP/exe.conf" --interval 1 || not_ok "daemon starts with exe check"
real=$(spawn_named master) # python3: its exe is the configured one
cp /bin/sleep "$TMP/master"
(trap '' HUP; exec "$TMP/master" 30) &
impostor=$!
disown "$impostor"
at_exit "kill -9 $impostor"
sleep 0.2
kill -HUP "$impostor" "$impostor" "$real"
wait_for 3 metric_is 'mailbpf_reload_signals_total{daemon="postfix",signal="SIGHUP"}' 1
check "reload to the configured postfix master counted" \
	test "$(metric 'mailbpf_reload_signals_total{daemon="postfix",signal="SIGHUP"}')" = 1
check "reloads to another binary named master ignored" \
	test "$(metric 'mailbpf_reload_collisions_total{daemon="postfix"}')" = 0

# A reload storm is counted in the kernel, not shipped: exact totals, the
# collisions every reload after the first is, one storm alert.
storm=$(spawn_named dovecot)
python3 -c 'import os, sys; [os.kill(int(sys.argv[1]), 1) for _ in range(2000)]' "$storm"
wait_for 4 metric_is 'mailbpf_reload_signals_total{daemon="dovecot",signal="SIGHUP"}' 2000
check "2000 storm reloads counted exactly" \
	metric_is 'mailbpf_reload_signals_total{daemon="dovecot",signal="SIGHUP"}' 2000
wait_for 3 metric_is 'mailbpf_reload_collisions_total{daemon="dovecot"}' 1999
check "every reload after the first is a collision (1999)" \
	metric_is 'mailbpf_reload_collisions_total{daemon="dovecot"}' 1999
check "one storm alert" test "$(grep -c '"kind":"reload_storm"' "$TMP/alerts.log")" = 1
check "no record lost in the storm" metric_is 'mailbpf_events_lost_total{probe="signal"}' 0
stop_run

# Bad input: clear error naming the culprit, exit 2, nothing attached.
printf '[global]\ninterval = 15\nbogus = 1\n' >"$TMP/bad.conf"
"$MAILBPF" run --config "$TMP/bad.conf" --textfile "$TMP/textfile/x.prom" \
	--alert-log "$TMP/bad.log" >/dev/null 2>"$TMP/bad.err"
check "bad config exits 2" test $? -eq 2
check "bad config error names file:line and key" grep -q "bad.conf:3: bogus" "$TMP/bad.err"
check "bad config leaves no textfile" test ! -e "$TMP/textfile/x.prom"
"$MAILBPF" run --interval 0 >/dev/null 2>"$TMP/flag.err"
check "bad flag exits 2" test $? -eq 2
check "bad flag error names the flag" grep -q -- "--interval '0'" "$TMP/flag.err"
"$MAILBPF" run --textfile /nonexistent/dir/m.prom --alert-log - >/dev/null 2>"$TMP/dir.err"
check "missing textfile directory exits 1" test $? -eq 1
check "missing textfile directory is named" grep -q "/nonexistent/dir" "$TMP/dir.err"

finish
