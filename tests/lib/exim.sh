# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# shellcheck shell=bash
# A private instance of Debian's real Exim daemon for an integration suite
# (source after tests/integration/lib.sh): its own config (-C), spool,
# logs, pid file and loopback port under $TMP; /etc/exim4 and
# /var/spool/exim4 are not touched. Exim honours -C from root but then runs
# as its own user (Debian-exim), hence the ownership of its directories.
#
#   exim_need                      skip the suite without exim4 or Debian-exim;
#                                  sets EXIM, EXIM_USER
#   exim_instance [KEEP_ENV]       config in $TMP/exim (keep_environment =
#                                  KEEP_ENV): sets EX, CONF, PORT
#   exim_conf_ok                   exim -bV accepts $CONF, or not_ok + finish
#   exim_start PIDFILE [ENV=VALUE...]
#                                  exim -bd: sets MASTER, or not_ok + finish;
#                                  stopped at exit
#   smtp_works                     greeting and EHLO answered on $PORT

exim_need() {
	EXIM=$(command -v exim4) || skip_all "exim4 is not installed$(why_left_out exim4-daemon-light)"
	EXIM_USER=$(id -un Debian-exim 2>/dev/null) || skip_all "no Debian-exim user"
}

exim_instance() {
	EX=$TMP/exim
	mkdir -p "$EX/spool"
	chmod 711 "$TMP"
	chown "$EXIM_USER:$EXIM_USER" "$EX" "$EX/spool"
	PORT=$(free_port)
	CONF=$EX/exim.conf
	cat >"$CONF" <<EOC
# Minimal Exim: SMTP on loopback only, accepts nothing, logs under \$TMP.
primary_hostname = mailbpf-test.invalid
local_interfaces = 127.0.0.1
daemon_smtp_ports = $PORT
spool_directory = $EX/spool
log_file_path = $EX/%slog
keep_environment = ${1:-}
tls_advertise_hosts =
acl_smtp_rcpt = acl_check_rcpt
begin acl
acl_check_rcpt:
  deny message = this test instance accepts no mail
EOC
}

exim_conf_ok() {
	local out
	if ! out=$("$EXIM" -C "$CONF" -bV 2>&1); then
		not_ok "exim4 accepts the test configuration" "$out"
		finish
	fi
}

# exim -bd daemonizes; the pid file is the handle. TERM first (Exim takes a
# moment to leave), then KILL whatever is left.
exim_start() {
	local pidfile=$1
	shift
	# In a subshell: the cleanup loop in lib.sh has variables of its own.
	at_exit "(p=\$(cat '$pidfile'); kill -TERM \$p; for n in 1 2 3 4 5 6 7 8 9 10; do kill -0 \$p || break; sleep 0.2; done; kill -9 \$p)"
	# Not $(exim4 ...): the daemonized child would hold the pipe open.
	if ! env "$@" "$EXIM" -C "$CONF" -bd -oX "$PORT" -oP "$pidfile" >"$EX/start.out" 2>&1 </dev/null; then
		not_ok "exim4 -bd starts" "$(cat "$EX/start.out")" "$(cat "$EX"/*log 2>/dev/null)"
		finish
	fi
	wait_for 10 test -s "$pidfile"
	MASTER=$(cat "$pidfile" 2>/dev/null)
	if [ -z "$MASTER" ] || ! grep -qx exim4 "/proc/$MASTER/comm" 2>/dev/null; then
		not_ok "exim4 -bd starts" "pid file: '$MASTER'" "$(cat "$EX"/*log 2>/dev/null)"
		finish
	fi
}

# An SMTP greeting and EHLO answered: a working daemon, not just a pid.
smtp_works() {
	python3 - "$PORT" <<'EOP' >/dev/null 2>&1
import smtplib, sys
s = smtplib.SMTP("127.0.0.1", int(sys.argv[1]), timeout=5)
assert s.ehlo()[0] == 250
s.quit()
EOP
}
