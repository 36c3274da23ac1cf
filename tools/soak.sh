#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Soak (not in CI): `mailbpf run` under mixed storms for SOAK_SECONDS
# (default 600). Each minute: E2BIG bursts, a fork+exec storm, a reload
# storm to a watched stand-in "dovecot" and one to an unwatched process.
# At the end the daemon's counts must equal what was generated, no record
# may be lost, and RSS must be flat (last sample within 10% of the first).
# Usage: sudo tools/soak.sh   (after make; builds .output/mbload if needed)
set -u
cd "$(dirname "$0")/.."
SECS=${SOAK_SECONDS:-600}
MB=./mailbpf
LOAD=.output/mbload
[ -x "$LOAD" ] || make -s .output/mbload || exit 1
tmp=$(mktemp -d /tmp/mailbpf-soak.XXXXXX)
pids=()
cleanup() {
	kill "${pids[@]}" 2>/dev/null
	wait 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT

metric() {
	awk -v k="$1" '$0 !~ /^#/ { v = $NF; $NF = ""; sub(/ $/, ""); if ($0 == k) print v }' \
		"$tmp/m.prom"
}

$MB run --textfile "$tmp/m.prom" --state-dir "$tmp" --alert-log "$tmp/alerts.log" \
	--interval 2 2>"$tmp/run.err" &
mb=$!
pids+=("$mb")
for _ in $(seq 100); do grep -q running: "$tmp/run.err" && break; sleep 0.1; done
$LOAD target dovecot >"$tmp/t1" &
pids+=($!)
$LOAD target soakother >"$tmp/t2" &
pids+=($!)
sleep 0.5
watched=$(sed -n 's/.*pid=\([0-9]*\).*/\1/p' "$tmp/t1")
other=$(sed -n 's/.*pid=\([0-9]*\).*/\1/p' "$tmp/t2")

e2big=0 hups=0 round=0
end=$(($(date +%s) + SECS))
rss=()
while [ "$(date +%s)" -lt "$end" ]; do
	round=$((round + 1))
	$LOAD e2big 5000 soak-e2big >/dev/null && e2big=$((e2big + 5000))
	$LOAD exec 2000 10 >/dev/null
	$LOAD sighup 50000 "$watched" 10 >"$tmp/h" && hups=$((hups + $(sed -n 's/.* ops=\([0-9]*\) errors=0 .*/\1/p' "$tmp/h")))
	$LOAD sighup 50000 "$other" 10 >/dev/null
	rss+=("$(awk '/^VmRSS:/ { print $2 }' /proc/$mb/status)")
	echo "soak: round $round, rss ${rss[-1]} kB, e2big $e2big, reloads $hups"
	sleep 5
done
sleep 3 # two intervals: the textfile has caught up
got_e2big=$(metric 'mailbpf_exec_failures_total{errno="E2BIG",program="soak-e2big"}')
got_hups=$(metric 'mailbpf_reload_signals_total{daemon="dovecot",signal="SIGHUP"}')
lost=$(awk '/^mailbpf_events_lost_total/ { s += $NF } END { print s + 0 }' "$tmp/m.prom")
first=${rss[0]} last=${rss[-1]}
fail=0
echo "soak: E2BIG generated $e2big, counted $got_e2big"
[ "$got_e2big" = "$e2big" ] || fail=1
echo "soak: reloads sent $hups, counted $got_hups"
[ "$got_hups" = "$hups" ] || fail=1
echo "soak: records lost $lost"
[ "$lost" = 0 ] || fail=1
echo "soak: RSS first ${first} kB, last ${last} kB, samples: ${rss[*]}"
[ $((last * 10)) -le $((first * 11)) ] || fail=1
[ $fail -eq 0 ] && echo "soak: 1 passed, 0 failed" || echo "soak: 0 passed, 1 failed"
exit $fail
