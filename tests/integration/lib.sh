# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Shared by the integration tests: TAP-style results (tests/lib/tap.sh),
# cleanup that runs even when a test fails, and helpers to run the real
# mailbpf against real events. Fixtures for real daemons and filesystems
# are in tests/lib too (dovecot.sh, exim.sh, fsloop.sh), sourced after this.
# Each test file is a bash script that sources this, calls `ok`/`not_ok`
# (or `check`), and ends with `finish`.
set -u
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
MAILBPF=${MAILBPF:-$ROOT/mailbpf}
TMP=$(mktemp -d /tmp/mailbpf-test.XXXXXX)
# ok, not_ok, check, finish, skip_all
. "$ROOT/tests/lib/tap.sh"

# Cleanups go to a file, not an array, so that helpers called in a
# command substitution (pid=$(spawn_named ...)) register theirs too.
at_exit() { printf '%s\n' "$*" >>"$TMP/.cleanups"; }

_run_cleanups() {
	local cmd
	if [ -f "$TMP/.cleanups" ]; then
		while IFS= read -r cmd; do
			eval "$cmd" >/dev/null 2>&1 || true
		done < <(tac "$TMP/.cleanups")
	fi
	rm -rf "$TMP"
}
trap _run_cleanups EXIT
trap 'exit 130' INT TERM

# why_left_out PACKAGE: ": REASON" when tools/install-deps.sh left PACKAGE
# out of the test set on this host (another MTA or IMAP server), for the
# skip line of the suite that needs it; "" otherwise.
why_left_out() {
	local r
	r=$(sed -n "s/^$1: //p" "$ROOT/.output/deps-test.notes" 2>/dev/null | head -1)
	echo "${r:+: $r (tools/install-deps.sh leaves it out)}"
}

[ "$(id -u)" -eq 0 ] || skip_all "needs root"

# wait_for SECONDS COMMAND...: poll every 50 ms until the command succeeds.
wait_for() {
	local deadline=$(($(date +%s%N) + $1 * 1000000000))
	shift
	until "$@"; do
		[ "$(date +%s%N)" -lt "$deadline" ] || return 1
		sleep 0.05
	done
}

# A process whose comm is $1 that survives HUP/USR1/USR2 (a stand-in master).
# Prints its pid.
spawn_named() {
	python3 -c '
import ctypes, signal, sys, time
ctypes.CDLL(None).prctl(15, sys.argv[1].encode(), 0, 0, 0)
for s in (signal.SIGHUP, signal.SIGUSR1, signal.SIGUSR2):
    signal.signal(s, lambda *a: None)
time.sleep(float(sys.argv[2]))
' "$1" "${2:-120}" >/dev/null 2>&1 &
	local pid=$!
	at_exit "kill -9 $pid"
	# Wait until the rename happened, or signals would go to "python3".
	wait_for 5 grep -qx "$1" "/proc/$pid/comm" || true
	echo "$pid"
}

# send_from COMM SIG PID: send a signal from a process named COMM.
send_from() {
	python3 -c '
import ctypes, os, sys
ctypes.CDLL(None).prctl(15, sys.argv[1].encode(), 0, 0, 0)
os.kill(int(sys.argv[3]), int(sys.argv[2]))
' "$@"
}

# start_trace ARGS...: mailbpf trace --json in the background -> $TMP/trace.json
start_trace() {
	# Truncate first: a previous trace's "tracing" line must not count.
	: >"$TMP/trace.err"
	"$MAILBPF" trace --json "$@" >"$TMP/trace.json" 2>"$TMP/trace.err" &
	TRACE_PID=$!
	at_exit "kill -INT $TRACE_PID; wait $TRACE_PID"
	wait_for 20 grep -q "tracing" "$TMP/trace.err"
}

stop_trace() {
	kill -INT "$TRACE_PID" 2>/dev/null
	wait "$TRACE_PID" 2>/dev/null
	TRACE_RC=$?
}

# start_run ARGS...: the daemon with its files under $TMP; alerts -> $TMP/alerts.log
start_run() {
	mkdir -p "$TMP/textfile" "$TMP/state"
	TEXTFILE=$TMP/textfile/mailbpf.prom
	: >"$TMP/run.err"
	"$MAILBPF" run --textfile "$TEXTFILE" --state-dir "$TMP/state" \
		--alert-log "$TMP/alerts.log" "$@" >"$TMP/run.out" 2>"$TMP/run.err" &
	RUN_PID=$!
	at_exit "kill -TERM $RUN_PID; wait $RUN_PID"
	wait_for 20 grep -q "running:" "$TMP/run.err"
}

stop_run() {
	kill -TERM "$RUN_PID" 2>/dev/null
	wait "$RUN_PID" 2>/dev/null
	RUN_RC=$?
}

# metric NAME_WITH_LABELS: the value of one sample in the textfile ("" if absent).
metric() {
	awk -v k="$1" '$0 !~ /^#/ { v = $NF; $NF = ""; sub(/ $/, ""); if ($0 == k) print v }' \
		"$TEXTFILE" 2>/dev/null
}

# jq-free JSON field match on the trace: lines with all the given "k":v pairs.
trace_lines() {
	local f=$TMP/trace.json pat
	local out
	out=$(cat "$f")
	for pat in "$@"; do
		out=$(printf '%s\n' "$out" | grep -F -- "$pat")
	done
	printf '%s\n' "$out" | grep -v '^$'
}

# metric_is NAME_WITH_LABELS VALUE: for wait_for, which must re-read the file
# on every try (wait_for 3 test "$(metric ...)" would expand only once).
metric_is() {
	[ "$(metric "$1")" = "$2" ]
}

# json_get LINE KEY...: one value, walking nested objects ("" if absent).
json_get() {
	python3 -c '
import json, sys
v = json.loads(sys.argv[1])
for k in sys.argv[2:]:
    v = v.get(k, "") if isinstance(v, dict) else ""
print(v)' "$@"
}

# The textfile sample, or -1 when absent, so numeric tests never see "".
num() {
	local v
	v=$(metric "$1")
	echo "${v:--1}"
}

# A loopback TCP port nothing listens on now (for the daemons tests start).
free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
