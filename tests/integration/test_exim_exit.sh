#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Master gone: Debian's real Exim daemon re-execs itself on SIGHUP, and when
# that exec fails it logs "exec of ... failed" and exits (src/daemon.c):
# the MTA is gone. Here the exec fails with E2BIG: the daemon keeps two
# 80 kB environment variables (keep_environment) and its stack limit is
# lowered while it runs, so the kernel's argument space is its 128 kB
# floor. mailbpf must raise daemon_exited with the exit status and the
# reload's sender, set mailbpf_daemon_up{daemon="exim"} to 0, and resolve
# when a new Exim daemon runs.
#
# Private instances: own config (-C), spool, logs, pid file and port
# (tests/lib/exim.sh).
. "$(dirname "$0")/lib.sh"
. "$ROOT/tests/lib/exim.sh"

exim_need
command -v prlimit >/dev/null || skip_all "prlimit (util-linux) is not installed"

exim_instance "MB_BIG1 : MB_BIG2"
exim_conf_ok

alert() { # KIND SEV PID
	grep -F "\"kind\":\"$1\"" "$TMP/alerts.log" 2>/dev/null | grep -F "\"severity\":\"$2\"" |
		grep -F "\"pid\":$3," | head -1
}

# Other exim4 daemons (another test's) make daemon_up 1 on their own.
other_exims() {
	local p n=0
	for p in /proc/[0-9]*; do
		[ "${p#/proc/}" != "$MASTER" ] || continue
		[ "$(cat "$p/comm" 2>/dev/null)" = exim4 ] || continue
		[ "$(cat "/proc/$(awk '{print $4}' "$p/stat" 2>/dev/null)/comm" 2>/dev/null)" = exim4 ] && continue
		n=$((n + 1))
	done
	echo "$n"
}

start_run --interval 2 || { not_ok "mailbpf run starts" "$(cat "$TMP/run.err")"; finish; }
ok "mailbpf run starts"
big=$(head -c 80000 /dev/zero | tr '\0' x)
exim_start "$EX/exim.pid" MB_BIG1="$big" MB_BIG2="$big"
ok "exim4 daemon running (pid $MASTER) with 160 kB of kept environment"
# Exim installs its SIGHUP handler once it is ready: wait for it (SigCgt bit 0).
hup_caught() {
	python3 - "/proc/$MASTER/status" <<'EOF'
import sys
for l in open(sys.argv[1]):
    if l.startswith("SigCgt:"):
        sys.exit(0 if int(l.split()[1], 16) & 1 else 1)
sys.exit(1)
EOF
}
check "exim catches SIGHUP" wait_for 10 hup_caught
check "textfile: daemon_up{exim} == 1 once the scan saw it" \
	wait_for 20 metric_is 'mailbpf_daemon_up{daemon="exim"}' 1
# A master is known once it is 2 s old (not a daemonizing parent) and a
# scan (every 2 s here) saw it.
sleep 4.5

# The daemon runs as Debian-exim: lowering its soft limit needs its uid
# where root lacks CAP_SYS_RESOURCE (a container).
stack=$(prlimit --pid "$MASTER" --stack --output SOFT --noheadings 2>/dev/null)
if ! prlimit --pid "$MASTER" --stack=65536: 2>/dev/null; then
	setpriv --reuid "$(id -u "$EXIM_USER")" --regid "$(id -g "$EXIM_USER")" --clear-groups \
		prlimit --pid "$MASTER" --stack=65536: || not_ok "lowering the daemon's stack limit"
fi
# Sent again if Exim's log shows no "SIGHUP received" within 2 s: the
# daemon acts on it in its main loop, and a first one can be lost to its
# start-up (seen here about one run in three, with nothing in its log).
for try in 1 2 3; do
	send_from cron-reload 1 "$MASTER" || not_ok "SIGHUP sent to the exim master"
	wait_for 2 grep -q "pid $MASTER: SIGHUP received" "$EX/mainlog" && break
	echo "# exim did not log SIGHUP #$try, sending again"
done
check "exim exits after its failed re-exec" wait_for 10 eval '! kill -0 "$MASTER" 2>/dev/null'
check "exim logged the failed exec" \
	wait_for 5 grep -q "pid $MASTER: exec of .* failed: Argument list too long" "$EX/mainlog"
if wait_for 10 eval '[ -n "$(alert daemon_exited critical "$MASTER")" ]'; then
	line=$(alert daemon_exited critical "$MASTER")
	ok "daemon_exited for the exim master"
	echo "# $line"
	check "alert: daemon exim" test "$(json_get "$line" details daemon)" = exim
	check "alert: status exit 1 (log_write LOG_PANIC_DIE)" \
		test "$(json_get "$line" details status)" = "exit 1"
	check "alert: names the reload's sender cron-reload" \
		test "$(json_get "$line" details sender1_comm)" = cron-reload
	check "alert: the SIGHUP came just before (gap_ms < 5000)" \
		eval '[ "$(json_get "$line" details gap_ms)" -lt 5000 ]'
	OTHERS=$(other_exims)
	if [ "$OTHERS" -eq 0 ]; then
		check "alert: no new master" test "$(json_get "$line" details new_master)" = "none yet"
		check "textfile: daemon_up{exim} == 0" \
			wait_for 6 metric_is 'mailbpf_daemon_up{daemon="exim"}' 0
	else
		ok "alert: new_master and daemon_up not judged: another exim4 daemon runs"
	fi
else
	not_ok "daemon_exited for the exim master" "$(cat "$TMP/alerts.log" 2>/dev/null)" \
		"$(cat "$EX/mainlog")"
fi
check "the failed re-exec is in the reload -> exec chain too (E2BIG by the master)" \
	eval 'grep -F "\"kind\":\"reload_exec_chain\"" "$TMP/alerts.log" | grep -F "\"target_pid\":$MASTER," | grep -qF "\"errno\":\"E2BIG\""'
check "textfile: incidents_total{daemon_exited} >= 1" \
	wait_for 6 eval '[ "$(num "mailbpf_incidents_total{kind=\"daemon_exited\"}")" -ge 1 ]'

# The admin starts Exim again: resolved (when it was down: no other daemon).
OLD=$MASTER
exim_start "$EX/exim2.pid"
if [ "${OTHERS:-1}" -ne 0 ]; then
	ok "resolution not judged: another exim4 daemon ran meanwhile"
elif wait_for 20 eval 'grep -F "\"kind\":\"daemon_exited\"" "$TMP/alerts.log" | grep -F "\"state\":\"resolved\"" | grep -qF "\"old_pid\":$OLD,"'; then
	ok "resolved once a new exim master (pid $MASTER) runs"
	echo "# $(grep -F '"state":"resolved"' "$TMP/alerts.log" | grep -F "\"old_pid\":$OLD," | head -1)"
else
	not_ok "resolved once a new exim master runs" "$(cat "$TMP/alerts.log")"
fi
check "textfile: daemon_up{exim} == 1 again" \
	wait_for 6 metric_is 'mailbpf_daemon_up{daemon="exim"}' 1
: "${stack:=}"
stop_run
check "mailbpf run exits 0 on SIGTERM" test "$RUN_RC" -eq 0
finish
