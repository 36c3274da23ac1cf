# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# shellcheck shell=bash
# A private instance of Debian's own Dovecot for an integration suite
# (source after tests/integration/lib.sh): its own config, sockets, state,
# log and loopback port, all under $TMP, so the host's Dovecot, if any, is
# never touched. IMAP only, no TLS, one passwd-file user tester/secret.
#
#   dovecot_need                   skip the suite without dovecot/doveadm
#   dovecot_instance NAME [GLOBAL [IMAP_LOGIN]]
#                                  a config in $TMP/NAME: sets DV, CONF, PORT
#   dovecot_conf_ok                doveconf accepts $CONF, or not_ok + finish
#   dovecot_start [ENV=VALUE...]   start the master of $CONF: sets MASTER,
#                                  or not_ok + finish; stopped at exit
#   imap_works                     LOGIN + SELECT on $PORT succeed

dovecot_need() {
	if ! command -v dovecot >/dev/null || ! command -v doveadm >/dev/null; then
		skip_all "dovecot-core is not installed$(why_left_out dovecot-core)"
	fi
}

# Dovecot's unprivileged processes (auth as "dovecot", imap as the mail
# user) must reach the passwd-file and the maildir: each instance is a
# world-traversable tree of its own under the private $TMP.
# GLOBAL: more top-level settings; IMAP_LOGIN: more settings of
# service imap-login (e.g. "executable = ...").
dovecot_instance() {
	local dv=$TMP/$1
	chmod 711 "$TMP"
	mkdir -p "$dv/home/tester"
	chmod 755 "$dv" "$dv/home"
	chown 65534:65534 "$dv/home/tester"
	echo "tester:{PLAIN}secret:65534:65534::$dv/home/tester" >"$dv/passwd"
	chmod 644 "$dv/passwd"
	PORT=$(free_port)
	cat >"$dv/dovecot.conf" <<EOC
# Minimal Dovecot 2.3: IMAP on loopback only, no TLS, one passwd-file user.
base_dir = $dv/run
state_dir = $dv/state
log_path = $dv/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain
${2:-}
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u $dv/passwd
}
userdb {
  driver = passwd-file
  args = username_format=%u $dv/passwd
}
mail_location = maildir:~/Maildir
service imap-login {
  ${3:-}
  inet_listener imap {
    address = 127.0.0.1
    port = $PORT
  }
  inet_listener imaps {
    port = 0
  }
}
EOC
	DV=$dv
	CONF=$dv/dovecot.conf
}

dovecot_conf_ok() {
	local out
	if ! out=$(doveconf -n -c "$CONF" 2>&1); then
		not_ok "doveconf accepts the test configuration" "$out"
		finish
	fi
}

# The master daemonizes: the pid file is the only handle on it. Stopped
# through doveadm first, then killed in case it ignored that; the log and
# other children leave with it.
dovecot_start() {
	at_exit "doveadm -c '$CONF' stop </dev/null; sleep 0.3; [ -s '$DV/run/master.pid' ] && kill -9 \$(cat '$DV/run/master.pid')"
	# Not $(dovecot ...): the daemonized master would hold the pipe open.
	if ! env "$@" dovecot -c "$CONF" >"$DV/start.out" 2>&1 </dev/null; then
		not_ok "dovecot starts" "$(cat "$DV/start.out")" "$(cat "$DV/dovecot.log" 2>/dev/null)"
		finish
	fi
	wait_for 10 test -s "$DV/run/master.pid"
	MASTER=$(cat "$DV/run/master.pid" 2>/dev/null)
	if [ -z "$MASTER" ] || ! grep -qx dovecot "/proc/$MASTER/comm" 2>/dev/null; then
		not_ok "dovecot starts" "master.pid: '$MASTER'" "$(cat "$DV/dovecot.log" 2>/dev/null)"
		finish
	fi
}

# IMAP LOGIN + SELECT: proves a working Dovecot, not just a live pid.
imap_works() {
	python3 - "$PORT" <<'EOP' >/dev/null 2>&1
import imaplib, sys
m = imaplib.IMAP4("127.0.0.1", int(sys.argv[1]), timeout=5)
m.login("tester", "secret")
assert m.select("INBOX")[0] == "OK"
m.logout()
EOP
}
