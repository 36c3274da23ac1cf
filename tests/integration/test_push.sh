#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# The alert gets out when the filesystem under the textfile dies (issue 15).
# The textfile directory is a loop-mounted XFS that is then shut down
# (xfs_io -x -c shutdown), so the textfile cannot be written or read:
#   1. --listen: /metrics is the textfile byte for byte, promtool-clean, and
#      hostile clients (malformed, oversized, slow) do not disturb the daemon;
#   2. a real Prometheus scraping --listen with the shipped rules and a real
#      Alertmanager deliver MailbpfFilesystemShutdown to a webhook in 10 s;
#   3. --alertmanager, no Prometheus: the webhook has it within 3 s, and the
#      resolution after the unmount;
#   4. Alertmanager down for a minute of reload and E2BIG storms: push errors
#      counted, RSS flat, and the alert arrives once Alertmanager is back.
. "$(dirname "$0")/lib.sh"
. "$ROOT/tests/lib/fsloop.sh"

AM=$(command -v prometheus-alertmanager) || skip_all "prometheus-alertmanager is not installed"
PROM=$(command -v prometheus) || skip_all "prometheus is not installed"
PROMTOOL=$(command -v promtool) || skip_all "promtool is not installed"
grep -qw xfs /proc/filesystems || modprobe xfs 2>/dev/null || true
grep -qw xfs /proc/filesystems || skip_all "no XFS in this kernel"
HERE=$ROOT/tests/integration

now_ms() { echo $(($(date +%s%N) / 1000000)); }

# setup_xfs NAME: a plain XFS on a loop device at $TMP/NAME/mnt -> LOOP DEVNAME MNT
setup_xfs() { loop_fs xfs "$TMP/$1" 300M noatime; }

# hook_has PATTERN...: a webhook line matching every extended regex.
hook_has() {
	local out
	out=$(cat "$TMP/hook.log" 2>/dev/null)
	for p in "$@"; do
		out=$(grep -E -- "$p" <<<"$out") || return 1
	done
}

get() { curl -fsS --max-time 5 "$@"; }

# --- the webhook receiver and Alertmanager (real, Debian's) -----------------
python3 "$HERE/webhook.py" "$TMP/hook.port" "$TMP/hook.log" 2>"$TMP/hook.err" &
at_exit "kill $!"
wait_for 10 test -s "$TMP/hook.port" || { not_ok "webhook receiver starts" "$(cat "$TMP/hook.err")"; finish; }
HOOK_PORT=$(cat "$TMP/hook.port")
AM_PORT=$(free_port)
# group_wait 0s: notify at once; the 1s group interval lets the resolution
# out within a second of Alertmanager getting it.
cat >"$TMP/am.yml" <<EOT
route:
  receiver: hook
  group_by: [alertname, instance, device, job]
  group_wait: 0s
  group_interval: 1s
  repeat_interval: 1h
receivers:
  - name: hook
    webhook_configs:
      - url: http://127.0.0.1:$HOOK_PORT/
        send_resolved: true
EOT
start_am() {
	"$AM" --config.file="$TMP/am.yml" --storage.path="$TMP/am" \
		--web.listen-address="127.0.0.1:$AM_PORT" --cluster.listen-address= \
		>>"$TMP/am.log" 2>&1 &
	AM_PID=$!
	at_exit "kill $AM_PID"
	wait_for 20 eval 'get -o /dev/null "http://127.0.0.1:$AM_PORT/-/ready" 2>/dev/null'
}
stop_am() {
	kill -TERM "$AM_PID"
	wait "$AM_PID" 2>/dev/null
}
start_am || { not_ok "alertmanager starts" "$(tail -5 "$TMP/am.log")"; finish; }
ok "alertmanager and the webhook receiver run (127.0.0.1:$AM_PORT -> :$HOOK_PORT)"

# --- 1. /metrics from memory -------------------------------------------------
LPORT=$(free_port)
start_run --listen "127.0.0.1:$LPORT" --interval 3600 ||
	{ not_ok "run --listen starts" "$(cat "$TMP/run.err")"; finish; }
get -o "$TMP/scrape.txt" "http://127.0.0.1:$LPORT/metrics"
# --interval 3600 and no events: nothing rewrites the file in between.
check "/metrics is the textfile byte for byte" cmp "$TMP/scrape.txt" "$TEXTFILE"
out=$("$PROMTOOL" check metrics <"$TMP/scrape.txt" 2>&1)
check "promtool check metrics: clean" test -z "$out"
check "mailbpf_alert_push_errors_total exported" grep -qx 'mailbpf_alert_push_errors_total 0' "$TMP/scrape.txt"
get -o /dev/null -I "http://127.0.0.1:$LPORT/metrics"
check "HEAD /metrics answers" test $? -eq 0

# Hostile clients, and a slow one holding the only connection for 5 s while
# a reload collision happens: the daemon must see it meanwhile.
target=$(spawn_named dovecot)
python3 "$HERE/http_probe.py" "$LPORT" slow >"$TMP/slow.txt" 2>&1 &
slow=$!
sleep 0.5
send_from cron-reload 1 "$target"
send_from panel-reload 1 "$target"
check "collision detected while a slow client holds /metrics" \
	wait_for 3 grep -q '"kind":"reload_collision"' "$TMP/alerts.log"
wait "$slow"
check "slow client dropped after the 5 s request deadline" grep -q '^slow closed after [5-6]\.' "$TMP/slow.txt"
python3 "$HERE/http_probe.py" "$LPORT" garbage nohost method post path version fold \
	oversized binary >"$TMP/probe.txt" 2>&1
want="garbage 400
nohost 400
method 405
post 405
path 404
version 505
fold 400
oversized 431
binary 400"
check "bad requests get 400/404/405/431/505" test "$(cat "$TMP/probe.txt")" = "$want"
[ "$(cat "$TMP/probe.txt")" = "$want" ] || diff <(echo "$want") "$TMP/probe.txt" | sed 's/^/#   /'
get -o "$TMP/scrape.txt" "http://127.0.0.1:$LPORT/metrics"
check "/metrics still served after them" grep -q '^mailbpf_build_info' "$TMP/scrape.txt"
check "daemon still running" kill -0 "$RUN_PID"
stop_run

# --- 2. Prometheus scraping --listen, shipped rules, real Alertmanager --------
setup_xfs a || { not_ok "xfs on loop set up"; finish; }

# mailbpf check: is the textfile directory on the mail spool's filesystem?
"$MAILBPF" check --textfile "$MNT/mailbpf.prom" >"$TMP/check.txt" 2>&1
check "check: a textfile directory on its own XFS is not on the spool's filesystem" \
	grep -q "^OK    textfile directory $MNT: not on the mail spool's filesystem" "$TMP/check.txt"
spool=$(mktemp -d /var/tmp/mailbpf-check.XXXXXX)
at_exit "rm -rf $spool"
if [ -d /var/mail ] && [ "$(stat -c %d "$spool")" = "$(stat -c %d /var/mail)" ]; then
	"$MAILBPF" check --textfile "$spool/mailbpf.prom" >"$TMP/check.txt" 2>&1
	check "check: textfile directory beside /var/mail: WARN naming the spool and listen/alertmanager_url" \
		grep -Eq "^WARN  textfile directory $spool: on the filesystem of the mail spool \(/var/mail.*set listen .* or alertmanager_url" "$TMP/check.txt"
	printf '[global]\nlisten = 127.0.0.1:9638\n' >"$TMP/listen.conf"
	"$MAILBPF" check --config "$TMP/listen.conf" --textfile "$spool/mailbpf.prom" >"$TMP/check.txt" 2>&1
	check "check: the same with listen configured is OK" \
		grep -q "^OK    textfile directory $spool: on the filesystem of the mail spool .*alerts also leave by listen" "$TMP/check.txt"
else
	echo "# /var/tmp and /var/mail are on different filesystems here: shared-spool check not run"
fi
PPORT=$(free_port)
start_run --listen "127.0.0.1:$LPORT" --interval 1 --textfile "$MNT/mailbpf.prom" ||
	{ not_ok "run with the textfile on XFS starts" "$(cat "$TMP/run.err")"; finish; }
# 1 s scrapes and evaluations; the shipped rule has `for: 0m`, so no copy of
# the rules with shorter durations is needed.
cat >"$TMP/prom.yml" <<EOT
global:
  scrape_interval: 1s
  evaluation_interval: 1s
rule_files: [$ROOT/deploy/prometheus/mailbpf.rules.yml]
alerting:
  alertmanagers:
    - static_configs: [{ targets: ["127.0.0.1:$AM_PORT"] }]
scrape_configs:
  - job_name: mailbpf
    static_configs: [{ targets: ["127.0.0.1:$LPORT"] }]
EOT
"$PROM" --config.file="$TMP/prom.yml" --storage.tsdb.path="$TMP/prom" \
	--web.listen-address="127.0.0.1:$PPORT" >"$TMP/prom.log" 2>&1 &
PROM_PID=$!
at_exit "kill $PROM_PID"
up() {
	get "http://127.0.0.1:$PPORT/api/v1/query?query=up%7Bjob%3D%22mailbpf%22%7D%3D%3D1" 2>/dev/null |
		grep -q '"value"'
}
if wait_for 60 up; then
	ok "prometheus scrapes mailbpf --listen"
else
	not_ok "prometheus scrapes mailbpf --listen" "$(tail -5 "$TMP/prom.log")"
fi
t0=$(now_ms)
xfs_io -x -c shutdown "$MNT"
if wait_for 10 hook_has '^firing MailbpfFilesystemShutdown ' "device=$DEVNAME" 'job=mailbpf'; then
	ok "Prometheus -> Alertmanager -> webhook: MailbpfFilesystemShutdown in $(($(now_ms) - t0)) ms"
else
	not_ok "Prometheus -> Alertmanager -> webhook: MailbpfFilesystemShutdown within 10 s" \
		"$(tail -3 "$TMP/hook.log")" "$(grep -i warn "$TMP/prom.log" | tail -3)"
fi
check "the textfile on the dead filesystem cannot be written" \
	grep -q "cannot write $MNT/mailbpf.prom: Input/output error" "$TMP/run.err"
get -o "$TMP/scrape.txt" "http://127.0.0.1:$LPORT/metrics"
check "/metrics serves the shutdown from memory" \
	grep -q "^mailbpf_fs_shutdown{device=\"$DEVNAME\",mountpoint=\"$MNT\",fstype=\"xfs\"} 1" "$TMP/scrape.txt"
check "/metrics counts the textfile write errors" \
	grep -Eq '^mailbpf_textfile_write_errors_total [1-9]' "$TMP/scrape.txt"
kill -TERM "$PROM_PID"
wait "$PROM_PID" 2>/dev/null
stop_run
umount "$MNT"

# --- 3. --alertmanager, no Prometheus ----------------------------------------
setup_xfs b || { not_ok "second xfs set up"; finish; }
: >"$TMP/alerts.log"
start_run --interval 1 --textfile "$MNT/mailbpf.prom" --alertmanager "http://127.0.0.1:$AM_PORT" ||
	{ not_ok "run --alertmanager starts" "$(cat "$TMP/run.err")"; finish; }
TEXTFILE=$MNT/mailbpf.prom # num/metric read it; after the unmount it is writable
t0=$(now_ms)
xfs_io -x -c shutdown "$MNT"
if wait_for 3 hook_has '^firing MailbpfFilesystemShutdown ' "device=$DEVNAME"; then
	ok "pushed: MailbpfFilesystemShutdown at the webhook in $(($(now_ms) - t0)) ms"
else
	not_ok "pushed: MailbpfFilesystemShutdown at the webhook within 3 s" "$(tail -3 "$TMP/hook.log")" \
		"$(tail -3 "$TMP/run.err")"
fi
line=$(grep -E "^firing MailbpfFilesystemShutdown .*device=$DEVNAME" "$TMP/hook.log" | tail -1)
json=${line#*\{}
json="{$json"
check "labels: severity critical, instance is the host name, no job" \
	test "$(json_get "$json" labels severity)/$(json_get "$json" labels instance)/$(json_get "$json" labels job)" = "critical/$(hostname)/"
check "annotations: summary and description name the mount" \
	grep -q "$MNT" <<<"$(json_get "$json" annotations summary)$(json_get "$json" annotations description)"
check "startsAt set, no endsAt while firing" \
	test "$(json_get "$json" startsAt | cut -c1-2)/$(json_get "$json" endsAt | cut -c1-4)" = "20/0001"
check "MailbpfTextfileFilesystemFailing pushed too" \
	wait_for 3 hook_has '^firing MailbpfTextfileFilesystemFailing '
# Alertmanager and mailbpf both restart while the filesystem stays shut
# down, with the alert log on it too: mailbpf starts all the same (alerts
# to stdout), the sticky flag comes back from the state file and is pushed
# again, so Alertmanager has the alert without any new kernel event.
stop_am
stop_run
start_run --interval 1 --textfile "$MNT/mailbpf.prom" --alertmanager "http://127.0.0.1:$AM_PORT" \
	--alert-log "$MNT/alerts.log" ||
	not_ok "run --alertmanager restarts on the dead filesystem" "$(cat "$TMP/run.err")"
TEXTFILE=$MNT/mailbpf.prom
check "restart: textfile directory and alert log unusable, started anyway" \
	grep -q "not writable: Input/output error; starting anyway, alerts are pushed" "$TMP/run.err"
check "restart: alerts go to stdout" grep -q "alerts go to standard output instead" "$TMP/run.err"
start_am || not_ok "alertmanager restarts"
am_has() {
	get "http://127.0.0.1:$AM_PORT/api/v2/alerts?filter=alertname%3D%22MailbpfFilesystemShutdown%22" 2>/dev/null |
		grep -q "\"device\":\"$DEVNAME\""
}
check "after both restart, Alertmanager has MailbpfFilesystemShutdown again" wait_for 20 am_has
umount "$MNT"
t0=$(now_ms)
if wait_for 10 hook_has '^resolved MailbpfFilesystemShutdown ' "device=$DEVNAME"; then
	ok "resolution at the webhook $(($(now_ms) - t0)) ms after the unmount"
else
	not_ok "resolution at the webhook after the unmount" "$(tail -3 "$TMP/hook.log")"
fi
check "textfile failure resolved once the directory is writable" \
	wait_for 10 hook_has '^resolved MailbpfTextfileFilesystemFailing '

# --- 4. Alertmanager down during a minute of storms, then back ----------------
stop_am
errors_before=$(num mailbpf_alert_push_errors_total)
rss() { awk '/^VmRSS:/ { print $2 }' "/proc/$RUN_PID/status"; }
# Reloads from alternating senders (collisions, storms) and E2BIG execs.
python3 - "$target" 60 >"$TMP/storm.txt" 2>&1 <<'EOT' &
import ctypes, os, signal, subprocess, sys, time
pid, secs = int(sys.argv[1]), float(sys.argv[2])
libc = ctypes.CDLL(None)
end = time.time() + secs
n = e2big = 0
while time.time() < end:
    libc.prctl(15, b"cron-reload" if n % 2 else b"panel-reload", 0, 0, 0)
    os.kill(pid, signal.SIGHUP)
    n += 1
    if n % 50 == 0:
        try:
            subprocess.run(["/bin/true", "x" * 200000])
        except OSError:
            e2big += 1
    time.sleep(0.002)
print(n, e2big)
EOT
storm=$!
sleep 10
rss0=$(rss)
wait "$storm"
rss1=$(rss)
read -r nsig ne2big <"$TMP/storm.txt"
echo "# storm: $nsig reloads, $ne2big E2BIGs in 60 s with Alertmanager down; RSS ${rss0} kB after 10 s, ${rss1} kB at 60 s"
check "reload alerts raised during the storm" grep -q '"kind":"reload_storm"' "$TMP/run.out"
wait_for 3 eval '[ "$(num mailbpf_alert_push_errors_total)" -gt "$errors_before" ]'
check "mailbpf_alert_push_errors_total moved ($errors_before -> $(num mailbpf_alert_push_errors_total))" \
	test "$(num mailbpf_alert_push_errors_total)" -gt "$errors_before"
check "RSS flat with Alertmanager down (${rss0} -> ${rss1} kB)" test $((rss1 - rss0)) -le 256
t0=$(now_ms)
start_am || not_ok "alertmanager starts again"
if wait_for 30 hook_has '^firing MailbpfReloadStorm '; then
	ok "alert pushed while Alertmanager was down arrives $(($(now_ms) - t0)) ms after it is back"
else
	not_ok "alert pushed while Alertmanager was down arrives after it is back" "$(tail -3 "$TMP/hook.log")"
fi
check "E2BIG alert delivered too" wait_for 5 hook_has '^firing MailbpfExecE2BIG '
check "daemon still running" kill -0 "$RUN_PID"
stop_run
finish
