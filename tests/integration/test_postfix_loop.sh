#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# A start-up failure loop on Debian's real Postfix master: smtpd's exec
# fails with E2BIG (two imported 80 kB environment variables, and the
# running master's stack limit lowered so the kernel's argument space is
# its 128 kB floor), the child exits 1 a second later (msg_fatal) and the
# master logs "bad command startup -- throttling" (master_spawn.c).
# mailbpf must raise service_startup_failing for postfix/smtpd with status
# 1 and E2BIG, count exactly the exits Postfix logged, and resolve once an
# smtpd lives.
#
# Debian's postfix conflicts with the installed exim4, so the package is
# unpacked privately (apt-get download + dpkg -x, cached) and run from
# there: its own config, queue and data directories under $TMP, mail_owner
# nobody. Postfix logs only to syslog: the master runs in a private mount
# namespace whose /dev has a /dev/log this test reads. mailbpf watches it by
# its exe path, through the config.
. "$(dirname "$0")/lib.sh"

command -v dpkg >/dev/null && command -v apt-get >/dev/null || skip_all "no dpkg/apt-get"
command -v prlimit >/dev/null && command -v unshare >/dev/null || skip_all "no prlimit/unshare"
CACHE=/var/cache/mailbpf-test/postfix
deb=$(ls "$CACHE"/postfix_*.deb 2>/dev/null | head -1)
if [ -z "$deb" ]; then
	mkdir -p "$CACHE"
	(cd "$CACHE" && apt-get download postfix >/dev/null 2>&1)
	deb=$(ls "$CACHE"/postfix_*.deb 2>/dev/null | head -1)
fi
[ -n "$deb" ] || skip_all "cannot download Debian's postfix package"
id nobody >/dev/null 2>&1 && getent group mail >/dev/null || skip_all "no nobody user or mail group"

PF=$TMP/pf
R=$PF/root
mkdir -p "$PF/conf" "$PF/data" "$PF/dev"
dpkg -x "$deb" "$R" || { not_ok "dpkg -x $deb"; finish; }
chmod 755 "$TMP" "$PF"
for d in pid private public active bounce corrupt defer deferred flush hold incoming saved trace maildrop; do
	mkdir -p "$PF/queue/$d"
done
chown nobody "$PF/data" "$PF"/queue/{private,public,active,bounce,corrupt,defer,deferred,flush,hold,incoming,saved,trace}
PORT=$(free_port)
cat >"$PF/conf/main.cf" <<EOF
compatibility_level = 3.6
queue_directory = $PF/queue
data_directory = $PF/data
command_directory = $R/usr/sbin
daemon_directory = $R/usr/lib/postfix/sbin
shlib_directory = $R/usr/lib/postfix
meta_directory = $R/etc/postfix
mail_owner = nobody
default_privs = daemon
setgid_group = mail
myhostname = mailbpf-test.invalid
inet_interfaces = loopback-only
inet_protocols = ipv4
mydestination =
local_recipient_maps =
relay_domains =
smtpd_relay_restrictions = reject
smtpd_tls_security_level = none
biff = no
# The default is 60 s; short, so the test sees the retry after the fix.
service_throttle_time = 5s
# One connection per smtpd, so every connection is a new start.
max_use = 1
max_idle = 1s
import_environment = MAIL_CONFIG MAIL_DEBUG MAIL_LOGTAG TZ LANG=C LD_LIBRARY_PATH MB_BIG1 MB_BIG2
EOF
cat >"$PF/conf/master.cf" <<EOF
127.0.0.1:$PORT inet n - n - - smtpd
proxymap  unix - - n - - proxymap
anvil     unix - - n - 1 anvil
EOF
cat >"$PF/syslog.py" <<'EOF'
import os, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
f = open(sys.argv[2], "ab", buffering=0)
while True:
    f.write(s.recv(65536) + b"\n")
EOF
: >"$PF/syslog.txt"
big=$(head -c 80000 /dev/zero | tr '\0' x)
# In its own mount namespace: a /dev with null, zero, urandom and a /dev/log.
MB_BIG1=$big MB_BIG2=$big LD_LIBRARY_PATH=$R/usr/lib/postfix unshare -m --propagation private bash -c '
	mount -t tmpfs tmpfs "$1/dev" || exit 99
	for n in null zero urandom random; do touch "$1/dev/$n"; mount --bind "/dev/$n" "$1/dev/$n"; done
	mount --bind "$1/dev" /dev || exit 99
	python3 "$1/syslog.py" /dev/log "$1/syslog.txt" &
	while [ ! -S /dev/log ]; do sleep 0.05; done
	exec "$2/usr/lib/postfix/sbin/master" -c "$1/conf" -d
' _ "$PF" "$R" >"$PF/master.out" 2>&1 &
NS=$!
at_exit "kill -TERM \$(cat '$PF/queue/pid/master.pid' 2>/dev/null) $NS; sleep 0.5; kill -9 $NS"
if ! wait_for 10 test -s "$PF/queue/pid/master.pid"; then
	not_ok "postfix master starts" "$(cat "$PF/master.out" "$PF/syslog.txt")"
	finish
fi
MASTER=$(tr -d ' \n' <"$PF/queue/pid/master.pid")
check "postfix master running (pid $MASTER, comm master)" grep -qx master "/proc/$MASTER/comm"
echo "# master exe: $(readlink "/proc/$MASTER/exe"), parent: $(awk '{print $4}' "/proc/$MASTER/stat")"

smtp_greets() {
	python3 - "$PORT" <<'EOF' >/dev/null 2>&1
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=3)
assert s.recv(100).startswith(b"220 ")
EOF
}
check "postfix answers SMTP (220)" wait_for 10 smtp_greets

cat >"$TMP/mailbpf.conf" <<EOF
[daemon postfix]
comm = master
exe = $R/usr/lib/postfix/sbin/master
EOF
start_run --interval 2 --config "$TMP/mailbpf.conf" ||
	{ not_ok "mailbpf run starts" "$(cat "$TMP/run.err")"; finish; }
ok "mailbpf run starts, watching postfix by exe $R/usr/lib/postfix/sbin/master"

# Clients keep coming: each connection makes the master start an smtpd.
poke() {
	python3 - "$PORT" "$1" <<'EOF' >/dev/null 2>&1 &
import socket, sys, time
while True:
    try:
        s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=float(sys.argv[2]))
        s.recv(100)
        time.sleep(float(sys.argv[2]))
        s.close()
    except OSError:
        pass
    time.sleep(0.3)
EOF
	POKE=$!
	at_exit "kill $POKE"
}

prlimit --pid "$MASTER" --stack=65536: || not_ok "prlimit on the postfix master"
poke 1
throttles() { grep -c "sbin/smtpd: bad command startup -- throttling" "$PF/syslog.txt"; }
logged() { grep -c "sbin/smtpd pid [0-9]* exit status 1" "$PF/syslog.txt"; }
check "postfix logs smtpd's exec failing and throttles it" wait_for 20 eval '[ "$(throttles)" -ge 2 ]'
echo "# $(grep -m1 'master_spawn: exec' "$PF/syslog.txt" | cut -c1-160)"
line=$(grep -F '"kind":"service_startup_failing"' "$TMP/alerts.log" | grep -F '"severity":"critical"' |
	grep -F "\"master_pid\":$MASTER," | head -1)
if [ -n "$line" ]; then
	ok "service_startup_failing for the postfix master"
	echo "# $line"
	check "alert: daemon postfix" test "$(json_get "$line" details daemon)" = postfix
	check "alert: service smtpd" test "$(json_get "$line" details service)" = smtpd
	check "alert: status exit 1" test "$(json_get "$line" details status)" = "exit 1"
	check "alert: errno E2BIG (the child's failed exec)" test "$(json_get "$line" details errno)" = E2BIG
	check "alert: says Postfix throttles the service" \
		eval 'json_get "$line" details daemon_action | grep -q "^Postfix throttles the service"'
else
	not_ok "service_startup_failing for the postfix master" "$(cat "$TMP/alerts.log" 2>/dev/null)" \
		"$(tail -5 "$PF/syslog.txt")"
fi
kill "$POKE" 2>/dev/null
wait "$POKE" 2>/dev/null
sleep 2 # the last child exits a second after its exec failed
m='mailbpf_service_startup_failures_total{daemon="postfix",service="smtpd",status="1"}'
check "textfile: smtpd start-up failures == the $(logged) Postfix logged" \
	wait_for 6 eval '[ "$(num "$m")" -eq "$(logged)" ]'
check "textfile: service_failing{postfix,smtpd} == 1" \
	metric_is 'mailbpf_service_failing{daemon="postfix",service="smtpd"}' 1

# The fix: the stack limit back; after the throttle an smtpd starts and lives.
prlimit --pid "$MASTER" --stack=8388608: || not_ok "prlimit back on the postfix master"
poke 5
if wait_for 30 eval 'grep -F "\"kind\":\"service_startup_failing\"" "$TMP/alerts.log" | grep -F "\"state\":\"resolved\"" | grep -qF "\"service\":\"smtpd\""'; then
	ok "resolved once an smtpd lives"
	echo "# $(grep -F '"state":"resolved"' "$TMP/alerts.log" | grep -F '"service":"smtpd"' | head -1)"
else
	not_ok "resolved once an smtpd lives" "$(cat "$TMP/alerts.log")" "$(tail -5 "$PF/syslog.txt")"
fi
check "textfile: service_failing{postfix,smtpd} == 0" \
	wait_for 6 metric_is 'mailbpf_service_failing{daemon="postfix",service="smtpd"}' 0
check "postfix answers SMTP again" wait_for 10 smtp_greets
check "the running master is known: daemon_up{postfix} == 1" \
	metric_is 'mailbpf_daemon_up{daemon="postfix"}' 1
grep -F "\"kind\":\"daemon_exited\"" "$TMP/alerts.log" | sed "s/^/# /" | cut -c1-400
check "no daemon_exited while the master runs" \
	eval '! grep -F "\"kind\":\"daemon_exited\"" "$TMP/alerts.log" | grep -qF "\"pid\":$MASTER,"'
stop_run
check "mailbpf run exits 0 on SIGTERM" test "$RUN_RC" -eq 0
finish
