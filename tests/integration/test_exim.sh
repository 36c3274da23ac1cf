#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# A reload collision on Debian's real Exim daemon. Exim handles SIGHUP by
# re-executing itself under the same pid, so the collision lands on a master
# that is in the middle of an exec: mailbpf must still attribute both SIGHUPs
# to daemon "exim" (comm exim4), name both senders, count exactly two, and
# the daemon must come out of it running, with the monitor attached.
#
# The instance is private (tests/lib/exim.sh).
. "$(dirname "$0")/lib.sh"
. "$ROOT/tests/lib/exim.sh"

exim_need

# send_pair COMM1 COMM2 GAP_S SIG PID: like send_from twice, but from one
# python3 that forks both senders, so the gap is GAP_S and not GAP_S plus
# python3's start-up time (a few hundred ms behind the pyenv shim here).
send_pair() {
	python3 -c '
import ctypes, os, sys, time
def send(comm):
    pid = os.fork()
    if pid == 0:
        ctypes.CDLL(None).prctl(15, comm.encode(), 0, 0, 0)
        os.kill(int(sys.argv[5]), int(sys.argv[4]))
        os._exit(0)
    return os.waitpid(pid, 0)[1] == 0
ok = send(sys.argv[1])
time.sleep(float(sys.argv[3]))
sys.exit(0 if send(sys.argv[2]) and ok else 1)
' "$@"
}

exim_instance
exim_conf_ok
ok "exim4 accepts the test configuration ($("$EXIM" -bV | head -1))"
PIDFILE=$EX/exim.pid
exim_start "$PIDFILE"
ok "exim4 daemon running (pid $MASTER, SMTP on 127.0.0.1:$PORT)"
check "exim answers SMTP before the reloads" wait_for 10 smtp_works

start_run --interval 2 || { not_ok "mailbpf run starts" "$(cat "$TMP/run.err")"; finish; }
ok "mailbpf run starts"

# Two differently named senders, 40 ms apart: the second SIGHUP reaches
# Exim while it is still re-executing itself for the first.
send_pair cron-reload panel-reload 0.04 1 "$MASTER"

check "collision alert for the exim master" \
	wait_for 5 grep -qF "\"target_pid\":$MASTER," "$TMP/alerts.log"
line=$(grep -F '"kind":"reload_collision"' "$TMP/alerts.log" 2>/dev/null |
	grep -F "\"target_pid\":$MASTER," | head -1)
if [ -n "$line" ]; then
	ok "reload_collision alert line"
	echo "# $line"
	check "alert: daemon exim" test "$(json_get "$line" details daemon)" = exim
	check "alert: target_pid is the exim pid $MASTER" \
		test "$(json_get "$line" details target_pid)" = "$MASTER"
	check "alert: target_comm exim4" test "$(json_get "$line" details target_comm)" = exim4
	check "alert: signal SIGHUP" test "$(json_get "$line" details signal)" = SIGHUP
	check "alert: first sender cron-reload" \
		test "$(json_get "$line" details first_sender_comm)" = cron-reload
	check "alert: second sender panel-reload" \
		test "$(json_get "$line" details second_sender_comm)" = panel-reload
	gap=$(json_get "$line" details gap_ms)
	check "alert: gap_ms about 40 (gap_ms=$gap)" \
		eval '[[ "$gap" =~ ^[0-9]+$ ]] && [ "$gap" -ge 40 ] && [ "$gap" -lt 1000 ]'
else
	not_ok "reload_collision alert line" "$(cat "$TMP/alerts.log" 2>/dev/null)"
fi

sig='mailbpf_reload_signals_total{daemon="exim",signal="SIGHUP"}'
check "textfile: collisions_total{exim} >= 1" \
	wait_for 5 eval '[ "$(num "mailbpf_reload_collisions_total{daemon=\"exim\"}")" -ge 1 ]'
wait_for 5 eval '[ "$(num "$sig")" -ge 2 ]'
check "textfile: reload_signals_total{exim,SIGHUP} == 2 (got $(num "$sig"))" \
	test "$(num "$sig")" -eq 2
check "textfile: incidents_total{reload_collision} >= 1" \
	test "$(num 'mailbpf_incidents_total{kind="reload_collision"}')" -ge 1

# Exim logs each re-exec; it must have re-executed at least once and be
# serving again from the same pid, with the same pid file.
check "exim re-executed on SIGHUP" \
	wait_for 10 grep -q "pid $MASTER: SIGHUP received: re-exec daemon" "$EX/mainlog"
check "exim answers SMTP after the reloads" wait_for 10 smtp_works
check "exim still running under its pid file's pid" \
	eval '[ "$(cat "$PIDFILE")" = "$MASTER" ] && grep -qx exim4 "/proc/$MASTER/comm"'
# Exim re-executes as its own user with our -C file and says so in the
# panic log each time; anything else there is a real panic.
check "no exim panic beyond the -C privilege notice" \
	eval '! grep -v "exim user lost privilege for using -C option" "$EX/paniclog" 2>/dev/null'

echo "# exim log: $(grep -c 're-exec daemon' "$EX/mainlog") re-exec(s), $(grep -c 'daemon started' "$EX/mainlog") start(s)"

stop_run
check "mailbpf run exits 0 on SIGTERM" test "$RUN_RC" -eq 0
check "exim survives mailbpf stopping" smtp_works
finish
