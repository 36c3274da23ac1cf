#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# The outage's domino on Debian's own Dovecot: children of the master that
# fail to start, and the master throttling their restarts (2, 4, 8 ... s).
#
# 1. A service whose exec fails: imap-login's `executable` is a file that is
#    not a program (ENOEXEC, which the default exec probe sees). Dovecot's
#    child exits 84 (FATAL_EXEC) and the master logs "command startup
#    failed, throttling for N secs". mailbpf must raise ONE
#    service_startup_failing for imap-login with status 84 and the errno,
#    count exactly the failures Dovecot logged (pid by pid, against the
#    trace), and resolve once a real imap-login lives.
# 2. The seed's sequence: two `doveadm reload` 40 ms apart, and every
#    restarted service's exec fails with E2BIG (two imported environment
#    variables of 80 kB each, under a stack limit whose argument space is
#    the kernel's 128 kB floor, set on the running master with prlimit).
#    That is ONE reload_exec_chain incident naming the senders, the failing
#    service, exit 84 and the throttling; resolved once a child lives.
#
# Private instances (own config, sockets, state, log, port under $TMP).
. "$(dirname "$0")/lib.sh"
. "$ROOT/tests/lib/dovecot.sh"

dovecot_need
command -v prlimit >/dev/null || skip_all "prlimit (util-linux) is not installed"
IMAP_LOGIN=/usr/lib/dovecot/imap-login
[ -x "$IMAP_LOGIN" ] || skip_all "no $IMAP_LOGIN"

# Users' clients keep trying: each connection makes the master start a
# login process (once its throttle is over).
poke_start() {
	python3 - "$PORT" <<'EOF' >/dev/null 2>&1 &
import socket, sys, time
while True:
    try:
        s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=1)
        s.recv(64)
        s.close()
    except OSError:
        pass
    time.sleep(0.5)
EOF
	POKE=$!
	at_exit "kill $POKE"
}

poke_stop() { kill "$POKE" 2>/dev/null; wait "$POKE" 2>/dev/null; }

# alert KIND SEV KEY VALUE: the first alert line of KIND/SEV whose details.KEY is VALUE.
alert() {
	python3 - "$TMP/alerts.log" "$@" <<'EOF'
import json, sys
f, kind, sev, key, val = sys.argv[1:6]
try:
    lines = open(f).read().splitlines()
except OSError:
    sys.exit(1)
for l in lines:
    try:
        a = json.loads(l)
    except ValueError:
        continue
    if a.get("kind") == kind and a.get("severity") == sev and \
       str(a.get("details", {}).get(key)) == val:
        print(l)
        sys.exit(0)
sys.exit(1)
EOF
}

count_alerts() { # KIND KEY VALUE
	grep -F "\"kind\":\"$1\"" "$TMP/alerts.log" 2>/dev/null | grep -cF "\"$2\":$3"
}

# Dovecot's own account: children of imap-login it reaped with error 84.
logged_84() { grep -oE "service\(imap-login\): child [0-9]+ returned error 84" "$DV/dovecot.log" | awk '{print $3}'; }
throttles() { grep -c "service($1): command startup failed, throttling" "$DV/dovecot.log"; }

# --- 1: one service whose exec fails -------------------------------------
dovecot_instance loop "" "executable = $TMP/loop/imap-login"
printf 'this is not a program\n' >"$TMP/loop/imap-login"
chmod 755 "$TMP/loop/imap-login"
dovecot_conf_ok
start_trace --type proc_exit || { not_ok "mailbpf trace starts" "$(cat "$TMP/trace.err")"; finish; }
start_run --interval 2 || { not_ok "mailbpf run starts" "$(cat "$TMP/run.err")"; finish; }
ok "mailbpf trace and run start"
dovecot_start
ok "dovecot master running (pid $MASTER), imap-login is not a program"
poke_start

if wait_for 20 eval '[ "$(throttles imap-login)" -ge 3 ]'; then
	ok "dovecot throttles imap-login ($(grep -o 'throttling for [0-9.]* secs' "$DV/dovecot.log" | tr '\n' ' '))"
else
	not_ok "dovecot throttles imap-login" "$(cat "$DV/dovecot.log")"
fi
line=$(alert service_startup_failing critical master_pid "$MASTER")
if [ -n "$line" ]; then
	ok "service_startup_failing for the dovecot master"
	echo "# $line"
	check "alert: daemon dovecot" test "$(json_get "$line" details daemon)" = dovecot
	check "alert: service imap-login" test "$(json_get "$line" details service)" = imap-login
	check "alert: status exit 84" test "$(json_get "$line" details status)" = "exit 84"
	check "alert: meaning exec() failed" \
		test "$(json_get "$line" details meaning)" = "exec() failed (FATAL_EXEC)"
	check "alert: errno ENOEXEC (the child's failed exec)" \
		test "$(json_get "$line" details errno)" = ENOEXEC
	check "alert: says Dovecot throttles the service" \
		eval 'json_get "$line" details daemon_action | grep -q "^Dovecot throttles the service: next start in [0-9]* s$"'
	check "alert: Dovecot logged the throttling too" test "$(throttles imap-login)" -ge 1
else
	not_ok "service_startup_failing for the dovecot master" "$(cat "$TMP/alerts.log" 2>/dev/null)" \
		"$(cat "$DV/dovecot.log")"
fi
check "exactly one start-up failure alert while the loop goes on" \
	test "$(count_alerts service_startup_failing master_pid "$MASTER")" -eq 1

# Counted exactly: the textfile against Dovecot's log, the trace pid by pid.
m='mailbpf_service_startup_failures_total{daemon="dovecot",service="imap-login",status="84"}'
poke_stop
sleep 1
n84=$(logged_84 | wc -l)
check "textfile: startup failures == the $n84 Dovecot logged (got $(num "$m"))" \
	wait_for 6 eval '[ "$(num "$m")" -eq "$(logged_84 | wc -l)" ]'
missing=
for p in $(logged_84); do
	trace_lines "\"pid\":$p," '"status":"84"' '"kind":"startup_failure"' >/dev/null || missing="$missing $p"
done
check "trace: every child Dovecot reaped with 84 is a proc_exit record (${n84} pids)" \
	test -z "$missing"
check "textfile: service_failing{dovecot,imap-login} == 1" \
	metric_is 'mailbpf_service_failing{daemon="dovecot",service="imap-login"}' 1
check "textfile: incidents_total{service_startup_failing} >= 1" \
	eval '[ "$(num "mailbpf_incidents_total{kind=\"service_startup_failing\"}")" -ge 1 ]'

# The fix: the real program. The next restart (after the throttle) lives.
cp "$IMAP_LOGIN" "$TMP/loop/imap-login.new" && mv "$TMP/loop/imap-login.new" "$TMP/loop/imap-login"
poke_start
check "dovecot serves IMAP again" wait_for 40 imap_works
if wait_for 20 eval 'alert service_startup_failing info service imap-login >/dev/null'; then
	line=$(alert service_startup_failing info service imap-login)
	ok "resolved once a child lives"
	echo "# $line"
	check "resolution: resolved_by names the living child" \
		eval 'json_get "$line" details resolved_by | grep -Eq "^a child (lived past the start-up window|exited 0)$"'
else
	not_ok "resolved once a child lives" "$(cat "$TMP/alerts.log")"
fi
check "textfile: service_failing{dovecot,imap-login} == 0" \
	wait_for 6 metric_is 'mailbpf_service_failing{daemon="dovecot",service="imap-login"}' 0
poke_stop
stop_trace
doveadm -c "$CONF" stop </dev/null >/dev/null 2>&1
wait_for 10 eval '! kill -0 "$MASTER" 2>/dev/null'

# --- 2: the seed's sequence ------------------------------------------------
dovecot_instance seed "import_environment = TZ MB_BIG1 MB_BIG2" ""
big=$(head -c 80000 /dev/zero | tr '\0' x)
dovecot_start MB_BIG1="$big" MB_BIG2="$big"
ok "second dovecot master running (pid $MASTER), 160 kB imported environment"
check "it serves IMAP with the normal stack limit" wait_for 10 imap_works
# 64 kB of stack: the kernel's argument space falls to ARG_MAX (128 kB).
stack=$(prlimit --pid "$MASTER" --stack --output SOFT --noheadings)
prlimit --pid "$MASTER" --stack=65536: || not_ok "prlimit on the master"
doveadm -c "$CONF" reload &
r1=$!
sleep 0.04
doveadm -c "$CONF" reload &
r2=$!
wait "$r1" "$r2"
poke_start
if wait_for 10 eval 'alert reload_exec_chain critical target_pid "$MASTER" >/dev/null'; then
	line=$(alert reload_exec_chain critical target_pid "$MASTER")
	ok "reload_exec_chain for the reloaded master"
	echo "# $line"
	# The first exec fails ms after the first SIGHUP: the second sender is in
	# the reload_collision alert, and in this one when it came first.
	check "chain: the sender is doveadm" test "$(json_get "$line" details sender1_comm)" = doveadm
	check "chain: errno E2BIG" test "$(json_get "$line" details errno)" = E2BIG
	svc=$(json_get "$line" details service)
	check "chain: names the failing service ($svc)" test -n "$svc"
	check "chain: status exit 84" test "$(json_get "$line" details status)" = "exit 84"
	check "chain: says Dovecot throttles" \
		eval 'json_get "$line" details daemon_action | grep -q "^Dovecot throttles the service"'
	check "chain: Dovecot logged that service's throttling" \
		wait_for 5 eval '[ "$(throttles "$svc")" -ge 1 ]'
else
	not_ok "reload_exec_chain for the reloaded master" "$(cat "$TMP/alerts.log")" \
		"$(cat "$DV/dovecot.log")"
fi
sleep 8 # the loop goes on: 2, 4, ... s
check "one incident: no service_startup_failing of its own for this master" \
	test "$(count_alerts service_startup_failing master_pid "$MASTER")" -eq 0
crit_chains() {
	grep -F '"severity":"critical"' "$TMP/alerts.log" | grep -F '"kind":"reload_exec_chain"' |
		grep -cF "\"target_pid\":$MASTER,"
}
check "one incident: one critical chain alert" test "$(crit_chains)" -eq 1
echo "# dovecot: $(grep -c 'command startup failed' "$DV/dovecot.log") throttled start-up failures logged"
# The fix: the stack limit back. Dovecot does not restart the dead log and
# config services by itself (the wedge the seed's admins met): the admin's
# reload does, and those children live; the incident closes.
prlimit --pid "$MASTER" --stack="${stack:-8388608}":
doveadm -c "$CONF" reload
if wait_for 60 eval 'alert reload_exec_chain info target_pid "$MASTER" >/dev/null'; then
	line=$(alert reload_exec_chain info target_pid "$MASTER")
	ok "chain resolved once a child lives"
	echo "# $line"
	check "resolution: by a living child" \
		test "$(json_get "$line" details resolved_by)" = "a child lives again"
	check "resolution: loop_count >= 2" eval '[ "$(json_get "$line" details loop_count)" -ge 2 ]'
	check "resolution: outage_ms > 0" eval '[ "$(json_get "$line" details outage_ms)" -gt 0 ]'
else
	not_ok "chain resolved once a child lives" "$(cat "$TMP/alerts.log")" "$(tail -20 "$DV/dovecot.log")"
fi
poke_stop
stop_run
check "mailbpf run exits 0 on SIGTERM" test "$RUN_RC" -eq 0
finish
