#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# `make bench`: what mailbpf costs a mail host, measured against no monitor
# and against libbpf-tools' execsnoop + sigsnoop (the generic tools an admin
# would otherwise run). A report, not a test: it exits 0 when a target is
# missed and says MISS in the table; it exits non-zero only when it could not
# measure at all.
#
# Interleaving: for every round and every workload (tools/mbload.c), the
# four configurations run back to back (their order rotates), each monitor
# started fresh for that run, so a bare run and its monitored runs are
# seconds apart and a slow drift of the host's load hits all four alike.
# The fourth, "floor", is tools/mbfloor: empty BPF programs on the
# tracepoints mailbpf uses, i.e. what the kernel charges for the hooks
# before any of mailbpf's code runs; mailbpf/floor is its own code's share.
# Ratios, judged on the best run of each configuration (the convention of
# timeit and hyperfine on a shared host): on this VM one run in three is
# slowed 10-25% by the host's other tenants, a monitor's cost is in every
# run, the best one included. The median of each round's paired ratio and
# the ratio of medians are printed beside it. Then, apart from the timed
# runs, the BPF time per operation from the kernel's own counters
# (bpf_stats), for mailbpf and for empty programs on the same tracepoints:
# what mailbpf's code costs, free of the host's noise. Then the daemon-only
# numbers: exact E2BIG count and lost events (from the textfile), RSS, time
# to attach, and how long a reload collision takes to reach the alert log
# and the textfile. The table goes to stdout and to docs/BENCHMARKS.md.
#
# Environment: MB_BENCH_ROUNDS (default 10), MB_BENCH_SECS (seconds per
# throughput run, default 1), MB_BENCH_LATENCY (collision probes, default
# 10), MB_BENCH_OUT (default docs/BENCHMARKS.md), MB_BENCH_PIN (the CPU the
# generators and targets are pinned to, default the last one; "none" lets
# the scheduler place them), MB_BENCH_KEEP=1 keeps the raw data and the
# daemons' files.
#
# Pinning: a signal storm's rate depends on whether sender and target share
# a CPU (one placement is 3x the other on a 2-CPU VM), and the scheduler
# flips between them from run to run. Both on one CPU makes the runs
# comparable; the monitors' own processes stay unpinned, and the CPU time
# they use during each run is reported.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1

ROUNDS=${MB_BENCH_ROUNDS:-10}
SECS=${MB_BENCH_SECS:-1}
NLAT=${MB_BENCH_LATENCY:-10}
OUT=${MB_BENCH_OUT:-docs/BENCHMARKS.md}
E2BIG_N=60000
MAX_OPS=1000000000 # runs are bounded by SECS, not by a count
MAILBPF=./mailbpf
FLOOR=.output/mbfloor
PIN=${MB_BENCH_PIN:-$(($(nproc) - 1))}
if [ "$PIN" = none ]; then
	LOAD=(.output/mbload)
else
	LOAD=(taskset -c "$PIN" .output/mbload)
fi
CONFIGS=(bare mailbpf libbpf-tools floor)
WORKLOADS=(exec e2big hup_unwatched hup_watched kill0)

die() {
	echo "bench: $*" >&2
	exit 1
}

[ "$(id -u)" -eq 0 ] || die "run as root (BPF programs are loaded)"
if [ ! -x "$MAILBPF" ] || [ ! -x .output/mbload ] || [ ! -x "$FLOOR" ]; then
	die "build first: make mailbpf .output/mbload .output/mbfloor"
fi

# libbpf-tools: Debian ships execsnoop/sigsnoop in /usr/sbin (older: /usr/bin).
find_tool() {
	dpkg -L libbpf-tools 2>/dev/null | grep -E "/$1\$" | while read -r f; do
		[ -x "$f" ] && echo "$f" && break
	done
}
if [ -z "$(find_tool execsnoop)" ] || [ -z "$(find_tool sigsnoop)" ]; then
	bash tools/install-deps.sh bench || die "cannot install libbpf-tools"
fi
EXECSNOOP=$(find_tool execsnoop)
SIGSNOOP=$(find_tool sigsnoop)
if [ -z "$EXECSNOOP" ] || [ -z "$SIGSNOOP" ]; then
	die "libbpf-tools has no execsnoop/sigsnoop"
fi

TMP=$(mktemp -d /tmp/mailbpf-bench.XXXXXX)
RES=$TMP/results.tsv # config workload round ops_per_s foreign_monitors ops_per_cpu_s
DAEMON=$TMP/daemon.tsv # metric tag value
: >"$RES"
: >"$DAEMON"
PIDS=()

cleanup() {
	local p
	for p in "${PIDS[@]}"; do
		kill -TERM "$p" 2>/dev/null
	done
	for p in "${PIDS[@]}"; do
		wait "$p" 2>/dev/null
	done
	if [ -n "${MB_BENCH_KEEP:-}" ]; then
		echo "bench: raw data kept in $TMP" >&2
	else
		rm -rf "$TMP"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

forget_pid() { # drop one pid from PIDS
	local keep=() p
	for p in "${PIDS[@]}"; do
		[ "$p" = "$1" ] || keep+=("$p")
	done
	PIDS=("${keep[@]}")
}

stop_pid() {
	kill -TERM "$1" 2>/dev/null
	wait "$1" 2>/dev/null
	forget_pid "$1"
}

field() { # field KEY LINE
	sed -n "s/.*[ ^]$1=\([^ ]*\).*/\1/p" <<<" $2" | head -1
}

now() { echo "$EPOCHREALTIME"; }

ms_since() { # ms_since T0 [T1]
	awk -v a="$1" -v b="${2:-$EPOCHREALTIME}" 'BEGIN { printf "%.1f", (b - a) * 1000 }'
}

note() { echo "$1 $2 $3" >>"$DAEMON"; } # metric tag value

# --- targets: an unwatched process and a "dovecot" master, both handle SIGHUP
start_target() { # start_target COMM VAR: VAR gets the pid
	local f=$TMP/target.$1 pid
	"${LOAD[@]}" target "$1" >"$f" &
	PIDS+=($!)
	for _ in $(seq 1 200); do
		pid=$(field pid "$(head -1 "$f" 2>/dev/null)")
		[ -n "$pid" ] && printf -v "$2" '%s' "$pid" && return 0
		sleep 0.01
	done
	die "target $1 did not start"
}
start_target mbtarget T_UNWATCHED
start_target dovecot T_WATCHED

# --- mailbpf: a config of its own, so a host's /etc/mailbpf is not used
MBCONF=$TMP/mailbpf.conf
cat >"$MBCONF" <<'EOF'
[daemon dovecot]
comm = dovecot
signals = HUP USR1 USR2
window = 5s
EOF

MB_PID=
MB_DIR=
MB_PROM=

start_mailbpf() { # start_mailbpf TAG [ARGS] -> sets MB_PID, MB_DIR, MB_PROM; notes attach times
	local tag=$1 t0 line ms
	shift
	MB_DIR=$TMP/mb.$tag
	mkdir -p "$MB_DIR"
	MB_PROM=$MB_DIR/mailbpf.prom
	t0=$(now)
	"$MAILBPF" run --config "$MBCONF" --textfile "$MB_PROM" --state-dir "$MB_DIR/state" \
		--alert-log "$MB_DIR/alerts.log" --interval 1 "$@" 2>"$MB_DIR/stderr" &
	MB_PID=$!
	PIDS+=("$MB_PID")
	line=
	for _ in $(seq 1 2000); do
		line=$(grep -m1 'running:' "$MB_DIR/stderr" 2>/dev/null)
		[ -n "$line" ] && break
		kill -0 "$MB_PID" 2>/dev/null || break
		sleep 0.005
	done
	[ -n "$line" ] || { cat "$MB_DIR/stderr" >&2; die "mailbpf run did not start"; }
	note attach_wall_ms "$tag" "$(ms_since "$t0")"
	ms=$(sed -n 's/.*attached in \([0-9]*\) ms.*/\1/p' <<<"$line")
	note attach_self_ms "$tag" "${ms:--1}"
}

prom_value() { # prom_value FILE SERIES
	awk -v s="$2" '$1 == s { print $2; exit }' "$1" 2>/dev/null
}

lost_total() {
	awk '/^mailbpf_events_lost_total\{/ { s += $2 } END { print s + 0 }' "$MB_PROM" 2>/dev/null
}

# Wait for a textfile written after T (wall clock); the daemon runs --interval 1.
wait_prom_after() {
	local t=$1 v
	for _ in $(seq 1 100); do
		v=$(prom_value "$MB_PROM" mailbpf_last_update_timestamp_seconds)
		[ -n "$v" ] && awk -v a="$v" -v b="$t" 'BEGIN { exit !(a > b) }' && return 0
		sleep 0.05
	done
	return 1
}

# --- libbpf-tools: both running, output to /dev/null, lost-event lines kept
LT_PIDS=()
count_fds() { # count_fds PID WORD: open fds whose target mentions WORD
	local f n=0
	for f in /proc/"$1"/fd/*; do
		[[ $(readlink "$f" 2>/dev/null) == *"$2"* ]] && n=$((n + 1))
	done
	echo "$n"
}

start_libbpf_tools() { # start_libbpf_tools TAG
	local tag=$1 t0 ok=0 e s
	t0=$(now)
	"$EXECSNOOP" -x >/dev/null 2>"$TMP/execsnoop.$tag.err" &
	e=$!
	"$SIGSNOOP" >/dev/null 2>"$TMP/sigsnoop.$tag.err" &
	s=$!
	LT_PIDS=("$e" "$s")
	PIDS+=("$e" "$s")
	# Attached once their bpf_links exist and the perf buffer's epoll is open.
	for _ in $(seq 1 1000); do
		ok=1
		[ "$(count_fds "$e" bpf_link)" -ge 2 ] || ok=0
		[ "$(count_fds "$e" eventpoll)" -ge 1 ] || ok=0
		[ "$(count_fds "$s" bpf_link)" -ge 1 ] || ok=0
		[ "$(count_fds "$s" eventpoll)" -ge 1 ] || ok=0
		[ $ok -eq 1 ] && break
		sleep 0.01
	done
	[ $ok -eq 1 ] || die "execsnoop/sigsnoop did not attach"
	note lt_attach_wall_ms "$tag" "$(ms_since "$t0")"
}

FL_PID=
start_floor() {
	local f=$TMP/floor.out
	: >"$f"
	"$FLOOR" >"$f" 2>&1 &
	FL_PID=$!
	PIDS+=("$FL_PID")
	for _ in $(seq 1 1000); do
		grep -q attached "$f" && return 0
		kill -0 "$FL_PID" 2>/dev/null || break
		sleep 0.01
	done
	cat "$f" >&2
	die "mbfloor did not attach"
}

lt_lost() { # sum of "Lost N events" lines of one tag
	cat "$TMP"/execsnoop."$1".err "$TMP"/sigsnoop."$1".err 2>/dev/null |
		sed -n 's/.*Lost \([0-9]*\) event.*/\1/p' | awk '{ s += $1 } END { print s + 0 }'
}

# Monitors on this host that the bench did not start (another session's
# tests, a packaged mailbpf): they slow the "bare" runs too.
foreign_monitors() {
	local n=0 p ours=" $MB_PID ${LT_PIDS[*]} $FL_PID "
	for p in $(pgrep -x mailbpf) $(pgrep -x execsnoop) $(pgrep -x sigsnoop) $(pgrep -x bpftrace); do
		[[ $ours == *" $p "* ]] || n=$((n + 1))
	done
	echo "$n"
}

# CPU time (clock ticks) the monitor's processes have used so far.
mon_ticks() {
	local p t=0
	for p in "$@"; do
		t=$((t + $(awk '{ print $14 + $15 }' /proc/"$p"/stat 2>/dev/null || echo 0)))
	done
	echo "$t"
}
TCK=$(getconf CLK_TCK)

# --- workloads
e2big_name() { echo "mbe2big-${1:0:1}$2"; } # e2big_name CONFIG ROUND: <= 15 characters
run_workload() { # run_workload CONFIG WORKLOAD ROUND -> prints mbload's line
	local w=$2 r=$3
	case $w in
	exec) "${LOAD[@]}" exec "$MAX_OPS" "$SECS" ;;
	e2big) "${LOAD[@]}" e2big "$E2BIG_N" "$(e2big_name "$1" "$r")" ;;
	hup_unwatched) "${LOAD[@]}" sighup "$MAX_OPS" "$T_UNWATCHED" "$SECS" ;;
	hup_watched) "${LOAD[@]}" sighup "$MAX_OPS" "$T_WATCHED" "$SECS" ;;
	kill0) "${LOAD[@]}" kill0 "$MAX_OPS" "$T_WATCHED" "$SECS" ;;
	esac
}

LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
"${LOAD[@]}" exec 50 >/dev/null # warm the page cache
T_BEGIN=$(now)
for r in $(seq 1 "$ROUNDS"); do
	for wi in "${!WORKLOADS[@]}"; do
		w=${WORKLOADS[$wi]}
		for i in 0 1 2 3; do
			cfg=${CONFIGS[$(((i + r + wi) % 4))]}
			tag=$w.$r
			case $cfg in
			mailbpf) start_mailbpf "$tag" ;;
			libbpf-tools) start_libbpf_tools "$tag" ;;
			floor) start_floor ;;
			esac
			sleep 0.3
			foreign=$(foreign_monitors)
			mon=()
			[ "$cfg" = mailbpf ] && mon=("$MB_PID")
			[ "$cfg" = libbpf-tools ] && mon=("${LT_PIDS[@]}")
			k0=$(mon_ticks "${mon[@]}")
			out=$(run_workload "$cfg" "$w" "$r")
			rc=$?
			k1=$(mon_ticks "${mon[@]}")
			[ "$cfg" = bare ] || [ "$cfg" = floor ] || note "moncpu_${cfg}_$w" "$tag" "$(awk -v k=$((k1 - k0)) -v t="$TCK" \
				-v s="$(field secs "$out")" 'BEGIN { if (s > 0) printf "%.1f", 100 * k / t / s }')"
			[ $rc -eq 0 ] || echo "bench: $w under $cfg: mbload exit $rc: $out" >&2
			rate=$(field ops_per_s "$out")
			crate=$(field ops_per_cpu_s "$out")
			echo "$cfg $w $r ${rate:-0} $foreign ${crate:-0}" >>"$RES"
			printf 'bench: round %d/%d %-13s %-12s %12s ops/s\n' "$r" "$ROUNDS" "$w" "$cfg" "$rate"
			case $cfg in
			mailbpf)
				# Exact counts and losses, from the first textfile after the run.
				t=$(now)
				wait_prom_after "$t" || echo "bench: no textfile update after $w" >&2
				note "lost_$w" "$tag" "$(lost_total)"
				if [ "$w" = e2big ]; then
					v=$(prom_value "$MB_PROM" \
						"mailbpf_exec_failures_total{errno=\"E2BIG\",program=\"$(e2big_name "$cfg" "$r")\"}")
					note e2big_counted "$tag" "${v:-0}"
				elif [ "$w" = hup_watched ]; then
					v=$(prom_value "$MB_PROM" \
						'mailbpf_reload_signals_total{daemon="dovecot",signal="SIGHUP"}')
					note hup_counted_minus_sent "$tag" "$(( ${v:-0} - $(field ops "$out") ))"
				fi
				note vmrss_kb "$tag" "$(awk '/^VmRSS:/ { print $2 }' /proc/"$MB_PID"/status)"
				note vmhwm_kb "$tag" "$(awk '/^VmHWM:/ { print $2 }' /proc/"$MB_PID"/status)"
				stop_pid "$MB_PID"
				;;
			libbpf-tools)
				kb=0
				for p in "${LT_PIDS[@]}"; do
					kb=$((kb + $(awk '/^VmRSS:/ { print $2 }' /proc/"$p"/status)))
				done
				note lt_vmrss_kb "$tag" "$kb"
				for p in "${LT_PIDS[@]}"; do
					stop_pid "$p"
				done
				LT_PIDS=()
				note "lt_lost_$w" "$tag" "$(lt_lost "$tag")"
				;;
			floor)
				stop_pid "$FL_PID"
				FL_PID=
				;;
			esac
		done
	done
done

# Reload collision -> alert line / textfile. A fresh daemon for each probe:
# collision alerts are gated per daemon (one per window), so an earlier
# reload would hold the line back. Another "dovecot" on the host (a test
# suite's) reloaded twice closes the same gate: such a probe is retried and
# counted as "gated", never as a result. A probe whose alert never came, with
# no foreign collision to explain it, is a timeout: a MISS.
echo "bench: reload collision latency, $NLAT probes"
gated=0
for r in $(seq 1 "$NLAT"); do
	for try in 1 2 3; do
		start_mailbpf "lat$r.$try"
		sleep 1.5 # steady state: past the first textfile writes
		out=$("${LOAD[@]}" latency "$T_WATCHED" "$MB_DIR/alerts.log" "$MB_PROM" dovecot)
		sleep 0.2
		stop_pid "$MB_PID"
		a=$(field alert_ms "$out")
		if [ "${a:--1}" = "-1.000" ] && grep '"kind":"reload_collision"' "$MB_DIR/alerts.log" |
			grep -vq "\"target_pid\":${T_WATCHED}[,}]"; then
			gated=$((gated + 1))
			echo "bench: probe $r: a foreign dovecot reload closed the alert gate; retrying" >&2
			sleep 1
			continue
		fi
		break
	done
	echo "bench: probe $r: ${out:-no output}"
	note alert_ms "$r" "${a:--1}"
	note textfile_ms "$r" "$(field textfile_ms "$out")"
done
# --- exec probe tiers: every tier this kernel runs (the default is the
# first of them), forced one at a time, on the workloads a tier changes:
# fork+exec and E2BIG (its own hooks) and kill(pid, 0) (the syscall tier's
# price on every other syscall). Rounds interleave the tiers with a bare
# run; ratios are best run / best bare run of this section.
TIERS=(fexit syscall)
TIER_WORKLOADS=(exec e2big kill0)
TIER_ROUNDS=$((ROUNDS < 5 ? ROUNDS : 5))
declare -A TIER_OK=() TIER_WHY=()
echo "bench: exec probe tiers, $TIER_ROUNDS rounds"
for r in $(seq 1 "$TIER_ROUNDS"); do
	for w in "${TIER_WORKLOADS[@]}"; do
		out=$(run_workload bare "$w" "t$r")
		echo "tierbare $w $r $(field ops_per_s "$out")" >>"$RES"
	done
	for t in "${TIERS[@]}"; do
		[ "${TIER_OK[$t]:-1}" = 0 ] && continue
		start_mailbpf "tier.$t.$r" --exec-probe "$t"
		if grep -q "exec_probe $t not available" "$MB_DIR/stderr"; then
			TIER_OK[$t]=0
			TIER_WHY[$t]=$(sed -n "s/.*exec_probe $t not available here: //p" "$MB_DIR/stderr" | head -1)
			stop_pid "$MB_PID"
			continue
		fi
		TIER_OK[$t]=1
		sleep 0.3
		for w in "${TIER_WORKLOADS[@]}"; do
			out=$(run_workload "tier$t" "$w" "$r")
			echo "tier_$t $w $r $(field ops_per_s "$out")" >>"$RES"
			printf 'bench: tier round %d/%d %-8s %-7s %12s ops/s\n' "$r" "$TIER_ROUNDS" "$t" "$w" \
				"$(field ops_per_s "$out")"
		done
		stop_pid "$MB_PID"
	done
done

T_END=$(now)
LOAD_END=$(cut -d' ' -f1-3 /proc/loadavg)

# --- BPF time per operation: kernel.bpf_stats_enabled counts each
# program's runs and run time; enabled only for these runs (it costs two
# clock reads per run, the same for mailbpf and for the empty programs).
max_prog_id() { bpftool prog show 2>/dev/null | awk -F: '/^[0-9]+:/ { m = $1 } END { print m + 0 }'; }
bpf_ns() { # bpf_ns ID -> "run_time_ns run_cnt" over the programs loaded after prog ID
	bpftool prog show 2>/dev/null | awk -v id="$1" '
		/^[0-9]+: / && $1 + 0 > id { for (i = 1; i < NF; i++) {
			if ($i == "run_time_ns") t += $(i + 1)
			if ($i == "run_cnt") c += $(i + 1) } }
		END { printf "%d %d\n", t, c }'
}
echo "bench: BPF time per operation (bpf_stats)"
STATS_WAS=$(sysctl -n kernel.bpf_stats_enabled)
for w in "${WORKLOADS[@]}"; do
	for cfg in mailbpf floor; do
		id0=$(max_prog_id) # what the monitor loads comes after
		if [ $cfg = mailbpf ]; then
			start_mailbpf "stats.$w"
			spid=$MB_PID
		else
			start_floor
			spid=$FL_PID
		fi
		sleep 0.3
		sysctl -qw kernel.bpf_stats_enabled=1
		read -r st0 sc0 <<<"$(bpf_ns "$id0")"
		out=$(run_workload "$cfg" "$w" s)
		read -r st1 sc1 <<<"$(bpf_ns "$id0")"
		sysctl -qw kernel.bpf_stats_enabled="$STATS_WAS"
		ops=$(field ops "$out")
		note "bpfns_${cfg}_$w" x "$(awk -v t=$((st1 - st0)) -v o="${ops:-0}" 'BEGIN { if (o > 0) printf "%.1f", t / o }')"
		note "bpfruns_${cfg}_$w" x "$(awk -v c=$((sc1 - sc0)) -v o="${ops:-0}" 'BEGIN { if (o > 0) printf "%.2f", c / o }')"
		echo "bench: bpf_stats $w $cfg: $((st1 - st0)) ns in $((sc1 - sc0)) runs for ${ops:-?} ops"
		stop_pid "$spid"
		FL_PID=
	done
done

# --- report
median() { # values on stdin -> median
	sort -g | awk '{ v[NR] = $1 } END { if (!NR) { print ""; exit }
		print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
maxv() { sort -g | tail -1; }
minv() { sort -g | head -1; }
rates() { awk -v c="$1" -v w="$2" '$1 == c && $2 == w { print $4 }' "$RES"; }
best_ratio() { # best_ratio CONFIG WORKLOAD -> best run of CONFIG / best bare run
	ratio "$(rates "$1" "$2" | maxv)" "$(rates bare "$2" | maxv)"
}
dvals() { awk -v m="$1" '$1 == m && $3 != "" { print $3 }' "$DAEMON"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0 && a != "") printf "%.3f", a / b; else print "n/a" }'; }
verdict() { # verdict VALUE OP LIMIT -> PASS/MISS
	awk -v v="$1" -v op="$2" -v l="$3" 'BEGIN {
		if (v == "" || v == "n/a") { print "MISS"; exit }
		ok = (op == ">=") ? (v + 0 >= l + 0) : (op == "<=") ? (v + 0 <= l + 0) : (v + 0 == l + 0)
		print ok ? "PASS" : "MISS" }'
}
fmt() { awk -v v="$1" 'BEGIN { if (v == "") print "n/a"; else printf "%.0f", v }'; }
# Ratio taken inside each round (runs seconds apart): the median over the
# rounds is what is judged; min–max is a noise gauge.
round_ratios() { # round_ratios CONFIG WORKLOAD -> each round's CONFIG / bare, one a line
	awk -v c="$1" -v w="$2" '$2 == w && $1 == "bare" { b[$3] = $4 } $2 == w && $1 == c { m[$3] = $4 }
		END { for (r in m) if (b[r] > 0) printf "%.6f\n", m[r] / b[r] }' "$RES"
}
paired_median() {
	round_ratios "$1" "$2" | median | awk '$1 != "" { printf "%.3f", $1; ok = 1 } END { if (!ok) print "n/a" }'
}
paired() { # paired CONFIG WORKLOAD -> "min–max"
	round_ratios "$1" "$2" | sort -g | awk 'NR == 1 { lo = $1 } { hi = $1 }
		END { if (NR) printf "%.3f–%.3f", lo, hi; else print "n/a" }'
}
# limit_row LABEL METRIC [LIMIT [UNIT]]: median and worst of a daemon
# measure, PASS when the worst is within LIMIT; no LIMIT: information only.
limit_row() {
	local w
	w=$(dvals "$2" | maxv)
	if [ -n "${3:-}" ]; then
		echo "| $1 | $(dvals "$2" | median) | $w | ≤ $3${4:-} | $(verdict "$w" "<=" "$3") |"
	else
		echo "| $1 | $(dvals "$2" | median) | $w | (info) | — |"
	fi
}
# Latency worst case: a timeout (-1) is worse than anything measured.
lat_worst() { dvals "$1" | awk '$1 < 0 { print 1e12; next } { print }' | maxv; }
lat_fmt() { awk -v v="$1" 'BEGIN { if (v >= 1e12) print "timeout (5 s)"; else print v }'; }

declare -A LABEL=([exec]="fork+exec storm (/bin/true)" [e2big]="E2BIG storm ($E2BIG_N execve, 200 KiB arg)"
	[hup_unwatched]="SIGHUP storm, unwatched process" [hup_watched]="SIGHUP storm, watched \"dovecot\""
	[kill0]="kill(pid, 0) probes")
declare -A TARGET=([exec]=0.99 [e2big]=0.97 [hup_unwatched]=0.98 [hup_watched]=0.90 [kill0]="")

table=$TMP/table.md
{
	echo "### Throughput ($ROUNDS rounds; ops/s are the best run of each configuration, ratios best / best bare)"
	echo
	echo "| workload | bare | mailbpf run | ratio | median of paired ratios (range) | ratio of medians | execsnoop+sigsnoop | ratio | empty programs (floor) | ratio | mailbpf / floor | target (mailbpf) | result |"
	echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"
	for w in "${WORKLOADS[@]}"; do
		b=$(rates bare "$w" | maxv)
		m=$(rates mailbpf "$w" | maxv)
		l=$(rates libbpf-tools "$w" | maxv)
		f=$(rates floor "$w" | maxv)
		rm_=$(best_ratio mailbpf "$w")
		rl=$(best_ratio libbpf-tools "$w")
		rf=$(best_ratio floor "$w")
		if [ -n "${TARGET[$w]}" ]; then
			tg="≥ ${TARGET[$w]}"
			res=$(verdict "$rm_" ">=" "${TARGET[$w]}")
		else
			tg="(none)"
			res="—"
		fi
		echo "| ${LABEL[$w]} | $(fmt "$b") | $(fmt "$m") | $rm_ | $(paired_median mailbpf "$w") ($(paired mailbpf "$w")) | $(ratio "$(rates mailbpf "$w" | median)" "$(rates bare "$w" | median)") | $(fmt "$l") | $rl | $(fmt "$f") | $rf | $(ratio "$m" "$f") | $tg | $res |"
	done
	echo
	echo "Monitor processes' own CPU during the run (median % of one CPU; BPF programs run in the workload's context and are not in this):"
	echo
	echo "| workload | mailbpf run | execsnoop+sigsnoop |"
	echo "|---|---:|---:|"
	for w in "${WORKLOADS[@]}"; do
		echo "| ${LABEL[$w]} | $(dvals "moncpu_mailbpf_$w" | median) | $(dvals "moncpu_libbpf-tools_$w" | median) |"
	done
	echo
	echo "### BPF time per operation (kernel bpf_stats, separate runs)"
	echo
	echo "| workload | BPF runs per op (mailbpf) | mailbpf ns per op | empty programs ns per op | mailbpf's own code, ns per op | share of a bare op (best run) |"
	echo "|---|---:|---:|---:|---:|---:|"
	for w in "${WORKLOADS[@]}"; do
		mn=$(dvals "bpfns_mailbpf_$w" | head -1)
		fn=$(dvals "bpfns_floor_$w" | head -1)
		own=$(awk -v a="$mn" -v b="$fn" 'BEGIN { if (a != "" && b != "") printf "%.1f", a - b; else print "n/a" }')
		share=$(awk -v o="$own" -v r="$(rates bare "$w" | maxv)" 'BEGIN { if (o != "n/a" && r > 0) printf "%.2f%%", 100 * o * r / 1e9; else print "n/a" }')
		echo "| ${LABEL[$w]} | $(dvals "bpfruns_mailbpf_$w" | head -1) | ${mn:-n/a} | ${fn:-n/a} | $own | $share |"
	done
	echo
	echo "### Exec probe tiers ($TIER_ROUNDS rounds, each tier forced with --exec-probe; best run / best bare run of this section)"
	echo
	echo "| tier | on this kernel | ${LABEL[exec]} | ${LABEL[e2big]} | ${LABEL[kill0]} |"
	echo "|---|---|---:|---:|---:|"
	for t in "${TIERS[@]}"; do
		if [ "${TIER_OK[$t]:-0}" = 1 ]; then
			row="| $t | runs |"
			for w in "${TIER_WORKLOADS[@]}"; do
				row="$row $(ratio "$(rates "tier_$t" "$w" | maxv)" "$(rates tierbare "$w" | maxv)") |"
			done
			echo "$row"
		else
			echo "| $t | not available: ${TIER_WHY[$t]:-not tried} | — | — | — |"
		fi
	done
	echo
	echo "### mailbpf run: counts, memory, start, alert latency"
	echo
	echo "| measure | median | worst | target | result |"
	echo "|---|---:|---:|---:|---|"
	# Exactness: every E2BIG run must be counted whole, with nothing lost.
	bad=$(dvals e2big_counted | awk -v n="$E2BIG_N" '$1 != n { c++ } END { print c + 0 }')
	lo=$(dvals e2big_counted | minv)
	echo "| E2BIG counted in the textfile (of $E2BIG_N generated) | $(dvals e2big_counted | median) | ${lo:-n/a} | = $E2BIG_N every run | $([ -n "$lo" ] && [ "$bad" -eq 0 ] && echo PASS || echo MISS) |"
	lw=$(dvals lost_e2big | maxv)
	echo "| events lost in the E2BIG run (all probes) | $(dvals lost_e2big | median) | ${lw:-n/a} | 0 | $(verdict "${lw:-}" "==" 0) |"
	for w in exec hup_unwatched hup_watched kill0; do
		echo "| events lost in the ${LABEL[$w]} run | $(dvals "lost_$w" | median) | $(dvals "lost_$w" | maxv) | (info) | — |"
	done
	echo "| SIGHUPs counted to \"dovecot\" minus sent, watched storm | $(dvals hup_counted_minus_sent | median) | $(dvals hup_counted_minus_sent | awk '{ print ($1 < 0 ? -$1 : $1) }' | maxv) | (info) | — |"
	limit_row "VmRSS after a run (KiB)" vmrss_kb 8192
	limit_row "VmHWM, peak RSS while loading (KiB): libbpf parses the kernel BTF" vmhwm_kb
	limit_row "attach, self-reported \"attached in N ms\"" attach_self_ms 300 " ms"
	limit_row "start → \"running:\" line, wall clock (ms)" attach_wall_ms 300 " ms"
	for k in alert_ms textfile_ms; do
		if [ $k = alert_ms ]; then
			name="reload collision → alert line (ms)"
			lim=20
		else
			name="reload collision → textfile shows it (ms)"
			lim=1000
		fi
		v=$(dvals $k | awk '$1 >= 0' | median)
		w=$(lat_worst $k)
		to=$(dvals $k | awk '$1 < 0 { c++ } END { print c + 0 }')
		echo "| $name, $NLAT probes, $to timed out | ${v:-n/a} | $(lat_fmt "$w") | ≤ $lim ms | $(verdict "$w" "<=" "$lim") |"
	done
	echo
	echo "### execsnoop -x + sigsnoop, for comparison"
	echo
	echo "| measure | median | worst |"
	echo "|---|---:|---:|"
	for w in "${WORKLOADS[@]}"; do
		echo "| events lost in the ${LABEL[$w]} run (\"Lost N events\") | $(dvals "lt_lost_$w" | median) | $(dvals "lt_lost_$w" | maxv) |"
	done
	echo "| VmRSS of both after a run (KiB) | $(dvals lt_vmrss_kb | median) | $(dvals lt_vmrss_kb | maxv) |"
	echo "| start → both attached, wall clock (ms) | $(dvals lt_attach_wall_ms | median) | $(dvals lt_attach_wall_ms | maxv) |"
} >"$table"

cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)
commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
dirty=$(git status --porcelain -- bpf user 2>/dev/null | grep -q . && echo " (bpf/ or user/ modified)")
ltver=$(dpkg-query -W -f '${Version}' libbpf-tools 2>/dev/null)
nres=$(wc -l <"$RES")
nforeign=$(awk '$5 > 0 { c++ } END { print c + 0 }' "$RES")
{
	echo "# mailbpf benchmarks"
	echo
	echo "Generated by \`make bench\` (tools/bench.sh, workloads from tools/mbload.c); do not edit by hand."
	echo
	echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC'); the run took $(awk -v a="$T_BEGIN" -v b="$T_END" 'BEGIN { printf "%.0f", b - a }') s"
	echo "- machine: $(nproc) CPUs, $cpu, kernel $(uname -r), $(awk '/MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo) RAM"
	echo "- mailbpf $(cat VERSION 2>/dev/null) at $commit$dirty; libbpf-tools $ltver (\`$EXECSNOOP -x\` and \`$SIGSNOOP\`, output to /dev/null)"
	echo "- $ROUNDS rounds; in each, every workload runs bare, under a fresh \`mailbpf run\`, under fresh execsnoop+sigsnoop and under empty BPF programs on mailbpf's tracepoints (\`.output/mbfloor\`: signal_generate, exit_mmap, rseq_update, sched_process_exec), back to back, order rotated;" \
		"each throughput run lasts ${SECS} s, the E2BIG run is exactly $E2BIG_N execve calls"
	echo "- \`mailbpf run --interval 1\` with --textfile/--state-dir/--alert-log in a temporary directory and a config watching comm \"dovecot\";" \
		"the watched target is \`mbload target dovecot\`, the unwatched one \`mbload target mbtarget\`, both handle SIGHUP"
	echo "- host: load average $LOAD_START at start, $LOAD_END at end; runs during which a monitor the bench did not start" \
		"(mailbpf/execsnoop/sigsnoop/bpftrace) was running: $nforeign of $nres (marked * below); collision probes held back by a foreign dovecot reload and retried: $gated"
	echo
	cat "$table"
	echo
	echo "### Raw throughput per round (ops/s)"
	echo
	echo "| workload | config | $(seq -s ' | ' 1 "$ROUNDS") |"
	echo "|---|---|$(printf -- '---:|%.0s' $(seq 1 "$ROUNDS"))"
	for w in "${WORKLOADS[@]}"; do
		for c in "${CONFIGS[@]}"; do
			printf '| %s | %s |' "$w" "$c"
			for r in $(seq 1 "$ROUNDS"); do
				printf ' %s |' "$(awk -v c="$c" -v w="$w" -v r="$r" \
					'$1 == c && $2 == w && $3 == r { printf "%.0f%s", $4, ($5 > 0 ? "*" : "") }' "$RES")"
			done
			echo
		done
	done
	echo
	echo "Reading the tables: throughput is wall-clock operations per second; a ratio is the best run of a"
	echo "configuration over the best bare run, and PASS/MISS is judged on it: on a shared host the slow runs"
	echo "are the neighbours' doing, while a monitor's cost is in every run, the best included. The median of"
	echo "each round's paired ratio (runs seconds apart; its range in brackets) and the ratio of medians show"
	echo "how far the noise goes. \"BPF time per operation\" comes from the kernel's per-program counters in"
	echo "separate runs: the empty programs' figure is what the counting itself costs, so the difference is"
	echo "mailbpf's own code, and its share of a bare operation is the slowdown it can cause."
	echo "\"Empty programs (floor)\" attaches programs that return at once to the tracepoints"
	echo "mailbpf uses: no monitor can hook those events for less on this machine, and \"mailbpf / floor\" is the"
	echo "share of mailbpf's own code. Latency rows are judged on the worst probe. The bench does not fail on a"
	echo "MISS: it is a report."
} >"$TMP/report.md"

cp "$TMP/report.md" "$OUT"
echo
cat "$table"
echo
echo "bench: written to $OUT"
exit 0
