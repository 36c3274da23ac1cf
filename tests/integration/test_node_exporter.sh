#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# The textfile as Prometheus gets it: through Debian's real node_exporter
# (textfile collector only, on a loopback port of our own), after a real
# reload collision. node_exporter drops a whole file it cannot parse and
# only says so in node_textfile_scrape_error, so "the file looks right" is
# not enough: the samples must come out of /metrics, and promtool's linter
# must find nothing to say about the file.
. "$(dirname "$0")/lib.sh"

NE=$(command -v prometheus-node-exporter) || skip_all "prometheus-node-exporter is not installed"
PROMTOOL=$(command -v promtool) || skip_all "promtool (prometheus) is not installed"

# scrape: /metrics -> $TMP/scrape.txt (curl, or python3 where curl is absent).
scrape() {
	local url=http://127.0.0.1:$PORT/metrics
	if command -v curl >/dev/null; then
		curl -fsS --max-time 5 -o "$TMP/scrape.txt" "$url"
	else
		python3 -c 'import sys, urllib.request
open(sys.argv[2], "wb").write(urllib.request.urlopen(sys.argv[1], timeout=5).read())' \
			"$url" "$TMP/scrape.txt"
	fi
}

# scraped NAME_WITH_LABELS: one sample's value from the last scrape ("" if absent).
scraped() {
	awk -v k="$1" '$0 !~ /^#/ { v = $NF; $NF = ""; sub(/ $/, ""); if ($0 == k) print v }' \
		"$TMP/scrape.txt" 2>/dev/null
}

# True when the numeric value $1 compares to $3 with awk operator $2 ("" fails).
cmp() {
	[ -n "$1" ] && awk -v a="$1" -v b="$3" "BEGIN { exit !(a $2 b) }"
}

mkdir -p "$TMP/textfile"
PORT=$(free_port)
"$NE" --web.listen-address="127.0.0.1:$PORT" --collector.disable-defaults \
	--collector.textfile --collector.textfile.directory="$TMP/textfile" \
	>"$TMP/ne.log" 2>&1 &
NE_PID=$!
at_exit "kill -TERM $NE_PID; wait $NE_PID"
# Polled until it listens; refused connections meanwhile are expected.
if ! wait_for 15 eval 'scrape 2>/dev/null'; then
	not_ok "node_exporter serves /metrics on 127.0.0.1:$PORT" "$(tail -5 "$TMP/ne.log")"
	finish
fi
ok "node_exporter serves /metrics on 127.0.0.1:$PORT"

start_run --interval 2 || { not_ok "mailbpf run starts" "$(cat "$TMP/run.err")"; finish; }
ok "mailbpf run starts"
check "textfile written in the node_exporter directory" test -s "$TEXTFILE"

# A reload collision, as in the outage: two differently named senders,
# 40 ms apart, to a process named dovecot.
target=$(spawn_named dovecot)
send_from cron-reload 1 "$target"
sleep 0.04
send_from panel-reload 1 "$target"
check "collision alert written" \
	wait_for 5 grep -qF "\"kind\":\"reload_collision\"" "$TMP/alerts.log"
# Every sample below comes from the textfile; wait until it carries the
# collision, then scrape once and judge that one scrape.
check "textfile carries the collision" \
	wait_for 5 eval 'cmp "$(metric "mailbpf_reload_collisions_total{daemon=\"dovecot\"}")" ">=" 1'

if scrape; then
	ok "scrape after the collision"
else
	not_ok "scrape after the collision" "$(tail -5 "$TMP/ne.log")"
	finish
fi
check "node_textfile_scrape_error 0 (node_exporter parsed the file)" \
	test "$(scraped node_textfile_scrape_error)" = 0
# node_exporter 1.5 labels the file by its full path.
check "node_textfile_mtime_seconds{file=\"$TEXTFILE\"} present" \
	test -n "$(scraped "node_textfile_mtime_seconds{file=\"$TEXTFILE\"}")"

version=$("$MAILBPF" --version | awk '{ print $NF }')
check "scraped: mailbpf_build_info{version=\"$version\"} 1" \
	test "$(scraped "mailbpf_build_info{version=\"$version\"}")" = 1
v=$(scraped 'mailbpf_reload_signals_total{daemon="dovecot",signal="SIGHUP"}')
check "scraped: reload_signals_total{dovecot,SIGHUP} >= 2 (got ${v:-none})" cmp "$v" ">=" 2
v=$(scraped 'mailbpf_reload_collisions_total{daemon="dovecot"}')
check "scraped: reload_collisions_total{dovecot} >= 1 (got ${v:-none})" cmp "$v" ">=" 1
v=$(scraped 'mailbpf_incidents_total{kind="reload_collision"}')
check "scraped: incidents_total{reload_collision} >= 1 (got ${v:-none})" cmp "$v" ">=" 1
check "scraped: probe_attached{probe=\"exec\"} 1" \
	test "$(scraped 'mailbpf_probe_attached{probe="exec"}')" = 1
check "scraped: probe_attached{probe=\"signal\"} 1" \
	test "$(scraped 'mailbpf_probe_attached{probe="signal"}')" = 1
v=$(scraped mailbpf_last_update_timestamp_seconds)
now=$(date +%s)
check "scraped: last_update_timestamp_seconds within 60 s of now (${v:-none} vs $now)" \
	eval 'cmp "$v" ">=" $((now - 60)) && cmp "$v" "<=" $((now + 60))'
check "scraped: HELP and TYPE of mailbpf_reload_collisions_total" \
	eval 'grep -q "^# HELP mailbpf_reload_collisions_total " "$TMP/scrape.txt" &&
		grep -q "^# TYPE mailbpf_reload_collisions_total counter" "$TMP/scrape.txt"'

# promtool reads the exposition from stdin; any output is a lint finding.
out=$("$PROMTOOL" check metrics <"$TEXTFILE" 2>&1)
rc=$?
if [ "$rc" -eq 0 ] && [ -z "$out" ]; then
	ok "promtool check metrics: clean"
else
	not_ok "promtool check metrics: clean (exit $rc)" "$out"
fi

# After mailbpf stops, its last textfile must still parse: node_exporter
# keeps serving it, and staleness is judged by last_update_timestamp.
stop_run
check "mailbpf run exits 0 on SIGTERM" test "$RUN_RC" -eq 0
if scrape; then
	check "after stop: node_textfile_scrape_error 0" \
		test "$(scraped node_textfile_scrape_error)" = 0
	check "after stop: the collision is still served" \
		cmp "$(scraped 'mailbpf_reload_collisions_total{daemon="dovecot"}')" ">=" 1
else
	not_ok "scrape after mailbpf stopped" "$(tail -5 "$TMP/ne.log")"
fi
finish
