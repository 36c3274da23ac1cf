#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# The unit and its network drop-in (deploy/systemd/network.conf). There is
# no systemd as PID 1 here, so: systemd parses the installed unit with the
# drop-in without a complaint (systemd-analyze verify --root), the drop-in
# says what it must, and the stock unit's PrivateNetwork=yes (a network
# namespace with nothing but a down lo, made with unshare -n) gives the
# clear errors the drop-in's comments promise: --listen refuses to start and
# names the drop-in; pushes are counted as errors and the daemon runs on.
# The drop-in's own effect, IP from the host namespace, is what test_push
# exercises with the real Prometheus and Alertmanager.
. "$(dirname "$0")/lib.sh"

dest=$TMP/root
make -C "$ROOT" -s install DESTDIR="$dest" PREFIX=/usr >"$TMP/install.log" 2>&1
drop=$dest/usr/share/mailbpf/systemd/network.conf
check "make install ships the network drop-in" test -s "$drop"
check "drop-in turns PrivateNetwork off" grep -qx 'PrivateNetwork=no' "$drop"
check "drop-in resets, then allows AF_INET and AF_INET6" \
	test "$(grep '^RestrictAddressFamilies=' "$drop" | tr '\n' '|')" = \
	"RestrictAddressFamilies=|RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6|"
check "stock unit has no IP networking" \
	grep -qx 'RestrictAddressFamilies=AF_UNIX' "$dest/lib/systemd/system/mailbpf.service"
if command -v systemd-analyze >/dev/null; then
	mkdir -p "$dest/etc/systemd/system/mailbpf.service.d"
	cp "$drop" "$dest/etc/systemd/system/mailbpf.service.d/"
	systemd-analyze verify --root="$dest" mailbpf.service >"$TMP/verify.txt" 2>&1
	# Outside a booted system verify also reports the missing sysinit.target
	# and /bin/kill of the bare root; only parse errors of our files count.
	bad=$(grep -E 'mailbpf\.service(\.d/network\.conf)?:[0-9]+:' "$TMP/verify.txt")
	check "systemd parses the unit with the drop-in" test -z "$bad"
	[ -z "$bad" ] || sed 's/^/#   /' <<<"$bad"
fi

AFUNIX=$ROOT/.output/afunix
[ -x "$AFUNIX" ] || make -C "$ROOT" -s .output/afunix >/dev/null 2>&1
[ -x "$AFUNIX" ] || { not_ok "tools/afunix.c builds"; finish; }
command -v unshare >/dev/null || { echo "# no unshare: PrivateNetwork not emulated"; finish; }
mkdir -p "$TMP/textfile" "$TMP/state"
unshare -n "$AFUNIX" "$MAILBPF" run --textfile "$TMP/textfile/mailbpf.prom" --state-dir "$TMP/state" \
	--listen 127.0.0.1:9638 >"$TMP/listen.out" 2>"$TMP/listen.err"
rc=$?
check "--listen without networking: refused at start (exit $rc)" test "$rc" -ne 0
check "the error names the address and the drop-in" \
	grep -q 'cannot listen on 127.0.0.1:9638: .*network.conf' "$TMP/listen.err"
[ -s "$TMP/listen.err" ] && sed 's/^/#   /' "$TMP/listen.err"

unshare -n "$AFUNIX" "$MAILBPF" run --textfile "$TMP/textfile/mailbpf.prom" --state-dir "$TMP/state" \
	--interval 1 --alertmanager http://127.0.0.1:9093 >"$TMP/push.out" 2>"$TMP/push.err" &
pid=$!
at_exit "kill -TERM $pid"
wait_for 20 grep -q "running:" "$TMP/push.err"
target=$(spawn_named dovecot)
# The signals come from this namespace's parent: the kernel sees them all the same.
send_from cron-reload 1 "$target"
send_from panel-reload 1 "$target"
TEXTFILE=$TMP/textfile/mailbpf.prom
check "push without networking: failures counted" \
	wait_for 10 eval '[ "$(num mailbpf_alert_push_errors_total)" -gt 0 ]'
check "the warning names the URL and the drop-in" \
	grep -q 'alertmanager http://127.0.0.1:9093: .*network.conf' "$TMP/push.err"
grep alertmanager "$TMP/push.err" | head -2 | sed 's/^/#   /'
check "daemon keeps running" kill -0 "$pid"
kill -TERM "$pid"
wait "$pid"
check "and stops cleanly (exit $?)" test $? -eq 0
finish
