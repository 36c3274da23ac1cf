#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Inside the VM (run by tests/vm/test_vm.sh through run.sh): a Debian 12
# mail host as an admin runs it. mailbpf is installed (package or `make
# install`), Debian's Dovecot and node_exporter run under systemd, and
# mailbpf is started from the shipped unit. Prints ok/not ok lines; the
# probes this kernel attached go to out/ for docs/SUPPORT.md.
# Needs next to it: faultfs and xfs-fault.sh (tools/), and install.sh, which
# it runs once the XFS filesystems are mounted, as on a host that mounts
# them at boot (run.sh with MAILBPF_VM_INSTALL_BY_SCRIPT=1).
set -u
HERE=$PWD
OUT=$HERE/out
mkdir -p "$OUT"
TEXTFILE=/var/lib/prometheus/node-exporter/mailbpf.prom
ALERTS=/var/log/mailbpf/alerts.log
CONF=/etc/mailbpf/mailbpf.conf
_passed=0
_failed=0

ok() {
	_passed=$((_passed + 1))
	echo "ok - vm: $1"
}
not_ok() {
	_failed=$((_failed + 1))
	echo "not ok - vm: $1"
	shift
	[ $# -gt 0 ] && printf '#   %s\n' "$@"
	return 0
}
check() {
	local what=$1
	shift
	if "$@"; then ok "$what"; else not_ok "$what" "failed: $*"; fi
}
# with FAMILY check ...: the check when FAMILY's probe is attached; else a
# failure at once (no waiting for what cannot come), naming the probe.
with() {
	local fam=$1
	shift
	local why
	case " $ATTACHED " in
	*" $fam "*) "$@" ;;
	*)
		why=$(family_needs "$fam")
		# What this kernel cannot run is a skip, named; anything else a failure.
		if [ -n "$why" ]; then
			echo "skip - vm: $2 (probe $fam not attached: $why)"
		else
			not_ok "$2" "probe $fam not attached"
		fi
		;;
	esac
}
wait_for() {
	local end=$((SECONDS + $1))
	shift
	until "$@"; do
		[ "$SECONDS" -lt "$end" ] || return 1
		sleep 0.2
	done
}
metric() {
	awk -v k="$1" '$0 !~ /^#/ { v = $NF; $NF = ""; sub(/ $/, ""); if ($0 == k) print v }' \
		"$TEXTFILE" 2>/dev/null
}
num() {
	local v
	v=$(metric "$1")
	echo "${v:--1}"
}
metric_ge() { [ "$(num "$1")" -ge "$2" ] 2>/dev/null; }
# alert KIND [KEY=VALUE...]: the last alert line of KIND whose details (or,
# for severity, the line's own fields) match.
alert() {
	python3 - "$ALERTS" "$@" <<'EOF'
import json, sys
path, kind, want = sys.argv[1], sys.argv[2], sys.argv[3:]
found = None
try:
    lines = open(path).read().splitlines()
except OSError:
    sys.exit(1)
for l in lines:
    try:
        a = json.loads(l)
    except ValueError:
        continue
    d = a.get("details", {})
    if a.get("kind") == kind and all(str(d.get(k, a.get(k))) == v for k, v in (w.split("=", 1) for w in want)):
        found = l
if found is None:
    sys.exit(1)
print(found)
EOF
}
# field LINE KEY...: one value of an alert line (details.KEY with "details").
field() {
	python3 -c '
import json, sys
v = json.loads(sys.argv[1])
for k in sys.argv[2:]:
    v = v.get(k, "") if isinstance(v, dict) else ""
print(v)' "$@"
}
quiet() { "$@" >/dev/null; }
state() { systemctl show mailbpf -p ActiveState --value; }
mainpid() { systemctl show mailbpf -p MainPID --value; }
journal() { journalctl -u mailbpf -b --no-pager -o cat; }

# Where the time goes: seconds since the script started, per section.
section() { echo "# [${SECONDS} s] $*"; }
echo "# kernel $(uname -r)"

# --- XFS as a module, mounted before mailbpf starts (as /var/mail would be)
section "XFS set up"
if grep -q '^xfs ' /proc/modules; then
	not_ok "xfs.ko not loaded before the first XFS mount" "$(grep '^xfs ' /proc/modules)"
else
	ok "xfs is a module, not loaded before the first XFS mount"
fi
mailbpf check >"$OUT/check-before-xfs.txt" 2>&1
FAULTFS=$HERE/faultfs
export FAULTFS XFS_FAULT_TIMEOUT=60
# shellcheck source=../../../tools/xfs-fault.sh
. "$HERE/xfs-fault.sh"
FDIR=/srv/mail-fault
if xfault_setup "$FDIR" >"$OUT/xfault-setup.txt" 2>&1; then
	FLOOP=$(sed -n 's|^loop=/dev/||p' "$OUT/xfault-setup.txt")
	ok "XFS on a loop device on faultfs mounted at $FDIR/mnt ($FLOOP)"
else
	not_ok "XFS on a loop device on faultfs mounted" "$(cat "$OUT/xfault-setup.txt")"
	FLOOP=
fi
check "xfs.ko loaded by the mount" grep -q '^xfs ' /proc/modules
SDIR=/srv/mail-spool
mkdir -p "$SDIR"
truncate -s 300M /srv/mail-spool.img
SLOOP=$(losetup -f --show /srv/mail-spool.img)
mkfs.xfs -f -q "$SLOOP" && mount -t xfs "$SLOOP" "$SDIR"
SLOOP=${SLOOP#/dev/}
check "second XFS on $SLOOP mounted at $SDIR" quiet findmnt -rn --mountpoint "$SDIR"

# --- ext4 (as Debian mounts it, errors=remount-ro): one on faultfs for real
# I/O errors, one plain for EXT4_IOC_SHUTDOWN; both mounted before mailbpf
# starts. The faulty one is remounted so its directory blocks must come
# from the disk that will fail.
section "ext4"
EDIR=/srv/mail-ext4
if XFS_FAULT_FSTYPE=ext4 XFS_FAULT_SIZE=64M xfault_setup "$EDIR" >"$OUT/ext4-setup.txt" 2>&1 &&
	mkdir "$EDIR/mnt/spool" && for i in $(seq 20); do echo "$i" >"$EDIR/mnt/spool/m$i"; done &&
	ELOOP=$(sed -n 's|^loop=/dev/||p' "$OUT/ext4-setup.txt") &&
	umount "$EDIR/mnt" && mount -t ext4 -o noatime,errors=remount-ro "/dev/$ELOOP" "$EDIR/mnt"; then
	ok "ext4 (errors=remount-ro) on a loop device on faultfs mounted at $EDIR/mnt ($ELOOP)"
else
	not_ok "ext4 on a loop device on faultfs mounted" "$(cat "$OUT/ext4-setup.txt")"
	ELOOP=
fi
QDIR=/srv/mail-queue
mkdir -p "$QDIR"
truncate -s 64M /srv/mail-queue.img
mkfs.ext4 -F -q /srv/mail-queue.img
QLOOP=$(losetup -f --show /srv/mail-queue.img)
mount -t ext4 -o errors=remount-ro "$QLOOP" "$QDIR"
QLOOP=${QLOOP#/dev/}
check "plain ext4 on $QLOOP mounted at $QDIR" quiet findmnt -rn --mountpoint "$QDIR"

# --- mailbpf installed on the running host, started from the shipped unit
section "install, start from the unit"
if bash "$HERE/install.sh" >"$OUT/install.log" 2>&1; then
	ok "mailbpf installed ($(head -1 "$OUT/install.log"))"
else
	not_ok "mailbpf installed" "$(tail -20 "$OUT/install.log")"
fi
# The package's postinst starts it (node_exporter's directory exists);
# `systemctl start` is then what an admin types anyway, and a no-op.
echo "# after the install: mailbpf.service $(state), $(systemctl is-enabled mailbpf 2>&1)"
mailbpf check >"$OUT/check.txt" 2>&1
echo "# mailbpf check:"
sed 's/^/#   /' "$OUT/check.txt"
t0=$SECONDS
systemctl start mailbpf
if wait_for 120 test -s "$TEXTFILE" && [ "$(state)" = active ]; then
	ok "systemctl start mailbpf: active, textfile written ($((SECONDS - t0)) s)"
else
	not_ok "systemctl start mailbpf: active, textfile written" "state $(state)" \
		"$(systemctl status mailbpf --no-pager 2>&1 | tail -20)"
	# Nothing below can pass without the daemon; say so once, not 40 times.
	journal >"$OUT/mailbpf-journal.txt"
	echo "# vm: $_passed passed, $_failed failed"
	exit 1
fi
PID1=$(mainpid)
# Samples of the unit's state every half second; a restart of our own
# pauses it (the pause file).
(
	while :; do
		# Checked again after the read: a restart may begin meanwhile.
		[ -e "$OUT/.pause" ] || { s="$(state) $(mainpid)" && [ ! -e "$OUT/.pause" ] && echo "$s"; }
		sleep 0.5
	done
) >"$OUT/samples.txt" 2>&1 &
SAMPLER=$!
wait_for 60 grep -q '^mailbpf_probe_attached' "$TEXTFILE"
grep -E '^mailbpf_(probe_attached|exec_probe_info|build_info)' "$TEXTFILE" >"$OUT/probes.txt"
echo "# probes:"
sed 's/^/#   /' "$OUT/probes.txt"
[ -s "$OUT/probes.txt" ] || not_ok "mailbpf_probe_attached in the textfile" "$(head -30 "$TEXTFILE" 2>&1)"
# Whether this kernel has what a family needs, read from the kernel itself
# (tracefs, BTF), not from a list of kernel versions: a family the kernel
# supports must be attached; one it cannot support must be 0 and named by
# `mailbpf check` ("probe X: not attached"), not silently absent.
TRACEFS=/sys/kernel/tracing
[ -d "$TRACEFS/events" ] || TRACEFS=/sys/kernel/debug/tracing
tp() { [ -d "$TRACEFS/events/$1" ]; }
# fexit's target: in the kernel's BTF (its string table) and a symbol.
btf_has() { grep -qaF "$1" /sys/kernel/btf/vmlinux 2>/dev/null && grep -qw "$1" /proc/kallsyms; }
# A filesystem built as a module on a kernel without module BTF (before
# 5.11): its tracepoint records have no BTF for CO-RE to relocate against.
module_no_btf() { [ -e "/sys/module/$1/initstate" ] && [ ! -e "/sys/kernel/btf/$1" ]; }
# family_needs FAMILY: why this kernel cannot run FAMILY, or nothing.
family_needs() {
	case $1 in
	exec) btf_has __x64_sys_execve || tp syscalls/sys_exit_execve ||
		echo "no fexit target and no exec tracepoint" ;;
	exec_near) tp sched/sched_process_exec || echo "no sched:sched_process_exec" ;;
	signal) tp signal/signal_generate || echo "no signal:signal_generate" ;;
	xfs) if module_no_btf xfs; then echo "xfs.ko and no module BTF"
		else tp xfs/xfs_force_shutdown || tp xfs/xfs_buf_ioerror || echo "no xfs tracepoints (xfs.ko not loaded?)"; fi ;;
	block) tp block/block_rq_error || tp block/block_rq_complete || echo "no block:block_rq_error/complete" ;;
	ext4) if module_no_btf ext4; then echo "ext4.ko and no module BTF"
		else tp ext4/ext4_error || tp ext4/ext4_shutdown || echo "no ext4:ext4_error/ext4_shutdown"; fi ;;
	proc) tp sched/sched_process_exit || echo "no sched:sched_process_exit" ;;
	*) echo "unknown family" ;;
	esac
}
ATTACHED= MISSING=
for p in $(sed -n 's/^mailbpf_probe_attached{probe="\([^"]*\)"} .*/\1/p' "$OUT/probes.txt"); do
	v=$(metric "mailbpf_probe_attached{probe=\"$p\"}")
	why=$(family_needs "$p")
	if [ "$v" = 1 ]; then
		ATTACHED="$ATTACHED $p"
		ok "probe $p attached"
	elif [ -n "$why" ]; then
		MISSING="$MISSING $p"
		check "probe $p: not attached, this kernel has $why; named by mailbpf check" \
			grep -Eq "^(WARN|FAIL) +probe $p: not attached" "$OUT/check.txt"
	else
		MISSING="$MISSING $p"
		not_ok "probe $p attached (the kernel has what it needs)" "mailbpf_probe_attached=$v" \
			"$(grep -E "probe $p[: ]|exec probe:" "$OUT/check.txt")"
	fi
done
echo "# families attached:${ATTACHED:- none}; not attached:${MISSING:- none}"
# The exec tier: named, one this kernel's probes found usable (it is the
# one attached), and the same in the textfile, the start line and check;
# each better tier skipped comes with its reason.
TIER=$(sed -n 's/^mailbpf_exec_probe_info{mode="\([^"]*\)"} 1$/\1/p' "$OUT/probes.txt")
echo "# exec tier: ${TIER:-none}; check: $(grep 'exec probe:' "$OUT/check.txt")"
if [ -n "$TIER" ]; then
	check "exec tier $TIER named by the textfile, the start line and check, probe exec attached" eval \
		'[ "$(metric "mailbpf_probe_attached{probe=\"exec\"}")" = 1 ] &&
		journal | grep -q "exec probe $TIER" &&
		grep -Eq "^(OK|WARN) +exec probe: $TIER( |\$)" "$OUT/check.txt"'
	case $TIER in
	fexit) why="btf_has __x64_sys_execve" ;;
	syscall) why="tp syscalls/sys_exit_execve" ;;
	*) why=false ;;
	esac
	check "exec tier $TIER: the kernel has what it needs ($why)" eval "$why"
	if [ "$TIER" != fexit ]; then
		check "exec tier $TIER: check says why not a better tier" \
			grep -Eq "exec probe: $TIER \(fexit: [^)]+" "$OUT/check.txt"
	fi
else
	has=
	btf_has __x64_sys_execve && has="$has fexit"
	tp syscalls/sys_exit_execve && has="$has syscall"
	# What libbpf said, for whoever fixes it (-v prints it).
	mkdir -p /tmp/v
	timeout -s INT 15 mailbpf run -v --textfile /tmp/v/m.prom --state-dir /tmp/v/st \
		--alert-log /tmp/v/a.log >/dev/null 2>"$OUT/run-verbose.err"
	not_ok "an exec tier loads (this kernel has what these need:${has:- none})" \
		"$(grep 'exec probe' "$OUT/check.txt")" \
		"$(awk '/-- BEGIN PROG LOAD LOG --/ { p = $3; n = 0; inlog = 1; next }
			/-- END PROG LOAD LOG --/ { if (!(p in seen)) { seen[p] = 1; print p " " first " ... " last }
				inlog = 0; next }
			inlog && !/^processed / { if (!n++) first = $0; last = $0 }
			# Refused before any program reached the verifier (a kfunc extern).
			/incompatible with kernel|failed to resolve|failed to load object/ && !(($0) in seen) { seen[$0] = 1; print }' \
			"$OUT/run-verbose.err" | cut -c1-200 | head -8)"
fi

# --- two overlapping doveadm reloads from differently named senders
section "doveadm reloads"
MASTER=$(cat /run/dovecot/master.pid 2>/dev/null)
check "Debian's dovecot.service active (master pid ${MASTER:-none})" \
	eval '[ "$(systemctl is-active dovecot)" = active ] && [ -n "$MASTER" ]'
cp /usr/bin/doveadm /usr/local/sbin/cron-reload
cp /usr/bin/doveadm /usr/local/sbin/panel-helper
/usr/local/sbin/cron-reload reload &
r1=$!
/usr/local/sbin/panel-helper reload &
r2=$!
wait "$r1" "$r2"
if [[ " $ATTACHED " != *" signal "* ]]; then
	not_ok "reload_collision alert for the dovecot master $MASTER" "probe signal not attached"
elif wait_for 15 alert reload_collision target_pid="$MASTER" >/dev/null; then
	line=$(alert reload_collision target_pid="$MASTER")
	echo "# $line"
	ok "reload_collision alert for the dovecot master $MASTER"
	senders="$(field "$line" details first_sender_comm) $(field "$line" details second_sender_comm)"
	check "alert names both senders, cron-reload and panel-helper ($senders)" \
		eval '[ "$(tr " " "\n" <<<"$senders" | sort | tr "\n" " ")" = "cron-reload panel-helper " ]'
	check "alert: signal SIGHUP, daemon dovecot" eval \
		'[ "$(field "$line" details signal) $(field "$line" details daemon)" = "SIGHUP dovecot" ]'
else
	not_ok "reload_collision alert for the dovecot master $MASTER" "$(cat "$ALERTS" 2>&1 | tail -5)"
fi
with signal check "textfile: mailbpf_reload_collisions_total{daemon=dovecot} >= 1" \
	wait_for 15 metric_ge 'mailbpf_reload_collisions_total{daemon="dovecot"}' 1
with signal check "textfile: mailbpf_reload_signals_total{dovecot,SIGHUP} >= 2" \
	wait_for 15 metric_ge 'mailbpf_reload_signals_total{daemon="dovecot",signal="SIGHUP"}' 2
check "dovecot still active after the reloads" wait_for 15 eval '[ "$(systemctl is-active dovecot)" = active ]'

# --- an exec with a 200 KiB argument: E2BIG with complete forensics
# (when an exec tier loaded: without one there is nothing to check, and
# that is already a failure above)
section "E2BIG"
if [ -n "$TIER" ]; then
big=$(head -c 204800 /dev/zero | tr '\0' x)
/bin/true "$big" 2>/dev/null
rc=$?
check "exec of /bin/true with a 200 KiB argument fails (exit $rc)" test "$rc" -eq 126
if wait_for 15 alert exec_e2big filename=/bin/true >/dev/null; then
	line=$(alert exec_e2big filename=/bin/true)
	echo "# ${line:0:600}"
	ok "exec_e2big alert for /bin/true"
	for kv in argc=2 argv_bytes=204811 longest=204801 limit_hit=max_arg_strlen errno=E2BIG; do
		v=$(field "$line" details "${kv%%=*}")
		check "E2BIG forensics: ${kv%%=*} = ${kv#*=} (got $v)" test "$v" = "${kv#*=}"
	done
	f=$(field "$line" details forensics)
	check "E2BIG forensics name argv[1] over MAX_ARG_STRLEN ($f)" \
		eval '[[ "$f" == "argv[1] is 204801 bytes"*"over MAX_ARG_STRLEN"* ]]'
else
	not_ok "exec_e2big alert for /bin/true" "$(tail -5 "$ALERTS" 2>&1)"
fi
check "textfile: mailbpf_exec_failures_total{E2BIG,true} >= 1" \
	wait_for 15 metric_ge 'mailbpf_exec_failures_total{errno="E2BIG",program="true"}' 1
else
	echo "# E2BIG forensics not checked: no exec tier loaded"
fi

# --- XFS: a real I/O error and a shutdown on one mount, a forced shutdown
# on the other; each counted for its own device and mount.
section "XFS"
if [ -n "$FLOOP" ]; then
	if xfault_fail "$FDIR" >"$OUT/xfault-fail.txt" 2>&1; then
		ok "faultfs: XFS on $FLOOP hit I/O errors and shut down"
	else
		not_ok "faultfs: XFS on $FLOOP hit I/O errors and shut down" "$(cat "$OUT/xfault-fail.txt")"
	fi
	lbl="device=\"$FLOOP\",mountpoint=\"$FDIR/mnt\",fstype=\"xfs\""
	with xfs check "textfile: mailbpf_fs_io_errors_total{$lbl} >= 1" \
		wait_for 15 metric_ge "mailbpf_fs_io_errors_total{$lbl}" 1
	check "textfile: mailbpf_fs_shutdown{$lbl} 1" wait_for 15 metric_ge "mailbpf_fs_shutdown{$lbl}" 1
	with block check "textfile: mailbpf_block_io_errors_total{device=$FLOOP} >= 1" \
		wait_for 15 metric_ge "mailbpf_block_io_errors_total{device=\"$FLOOP\"}" 1
	with xfs check "alert log: fs_io_error for $FLOOP" wait_for 15 quiet alert fs_io_error device="$FLOOP"
	check "alert log: fs_shutdown for $FLOOP" wait_for 15 quiet alert fs_shutdown device="$FLOOP"
fi
xfs_io -x -c 'shutdown -f' "$SDIR"
slbl="device=\"$SLOOP\",mountpoint=\"$SDIR\",fstype=\"xfs\""
check "xfs_io shutdown: textfile mailbpf_fs_shutdown{$slbl} 1" \
	wait_for 15 metric_ge "mailbpf_fs_shutdown{$slbl}" 1
check "xfs_io shutdown: textfile has no I/O errors for $SLOOP" \
	eval '[ "$(num "mailbpf_fs_io_errors_total{$slbl}")" -le 0 ]'
check "alert log: fs_shutdown for $SLOOP at $SDIR" \
	wait_for 15 quiet alert fs_shutdown device="$SLOOP" mountpoint="$SDIR"

# --- ext4: real I/O errors under errors=remount-ro (ext4_error, the
# kernel's read-only remount), and EXT4_IOC_SHUTDOWN on the plain one.
section "ext4"
if [ -n "$ELOOP" ]; then
	xfault_ctl "$EDIR" "fail read"
	ls -l "$EDIR/mnt/spool" >/dev/null 2>&1
	stat "$EDIR/mnt/spool/m3" >/dev/null 2>&1
	xfault_ctl "$EDIR" ok
	check "ext4 on $ELOOP: the kernel stopped the writes after the I/O errors" \
		eval '! touch "$EDIR/mnt/after-error" 2>/dev/null'
	elbl="device=\"$ELOOP\",mountpoint=\"$EDIR/mnt\",fstype=\"ext4\""
	with ext4 check "textfile: mailbpf_fs_errors_total{$elbl,source=ext4_error} >= 1" \
		wait_for 20 metric_ge "mailbpf_fs_errors_total{$elbl,source=\"ext4_error\"}" 1
	with ext4 check "alert log: fs_error for ext4 on $ELOOP" wait_for 15 quiet alert fs_error device="$ELOOP"
	check "alert log: fs_readonly (critical) for ext4 on $ELOOP" \
		wait_for 40 quiet alert fs_readonly device="$ELOOP" severity=critical
	check "textfile: mailbpf_fs_readonly{$elbl,cause=errors} 1" \
		wait_for 40 metric_ge "mailbpf_fs_readonly{$elbl,cause=\"errors\"}" 1
fi
xfs_io -x -c shutdown "$QDIR"
qlbl="device=\"$QLOOP\",mountpoint=\"$QDIR\",fstype=\"ext4\""
with ext4 check "ext4 shutdown: textfile mailbpf_fs_shutdown{$qlbl} 1" \
	wait_for 15 metric_ge "mailbpf_fs_shutdown{$qlbl}" 1
with ext4 check "ext4 shutdown: alert fs_shutdown for $QLOOP, source ext4_shutdown" \
	wait_for 15 quiet alert fs_shutdown device="$QLOOP" fstype=ext4 source=ext4_shutdown
grep -E '^mailbpf_(fs_|block_)' "$TEXTFILE" >"$OUT/fs-metrics.txt"

# --- restart keeps the sticky shutdown; reload re-reads the config
section "restart, reload"
touch "$OUT/.pause"
sleep 0.6
systemctl restart mailbpf
wait_for 120 eval '[ "$(state)" = active ]' && sleep 1
PID2=$(mainpid)
rm -f "$OUT/.pause"
check "systemctl restart mailbpf: active again with a new pid ($PID1 -> $PID2)" \
	eval '[ "$(state)" = active ] && [ "$PID2" != "$PID1" ]'
started=$(date +%s)
check "after the restart: mailbpf_fs_shutdown{$slbl} still 1" \
	wait_for 60 eval '[ "$(num mailbpf_last_update_timestamp_seconds | cut -d. -f1)" -ge '"$started"' ] && metric_ge "mailbpf_fs_shutdown{$slbl}" 1'
check "after the restart: the faulty mount's shutdown still 1" \
	eval '[ -z "$FLOOP" ] || metric_ge "mailbpf_fs_shutdown{$lbl}" 1'

n0=$(journal | grep -c 'configuration reloaded')
cp "$CONF" "$OUT/mailbpf.conf.orig"
printf '\n[daemon panel]\ncomm = panel-helper\nsignals = HUP\n' >>"$CONF"
systemctl reload mailbpf
check "systemctl reload mailbpf: config re-read with the added daemon" \
	wait_for 15 eval '[ "$(journal | grep -c "configuration reloaded")" -gt '"$n0"' ]'
journal | grep 'configuration reloaded' | tail -1 | sed 's/^/# /'
echo "bogus line" >>"$CONF"
systemctl reload mailbpf
check "a broken config on reload is refused and the old one kept" \
	wait_for 15 eval 'journal | grep -q "keeping the running configuration"'
cp "$OUT/mailbpf.conf.orig" "$CONF"
check "still the same process after the reloads" test "$(mainpid)" = "$PID2"

# --- node_exporter serves the file
section "node_exporter"
curl -s --max-time 20 http://127.0.0.1:9100/metrics >"$OUT/node_exporter.txt"
check "node_exporter: node_textfile_scrape_error 0" grep -qx 'node_textfile_scrape_error 0' "$OUT/node_exporter.txt"
check "node_exporter serves mailbpf_build_info" grep -q '^mailbpf_build_info' "$OUT/node_exporter.txt"
# node_exporter sorts the labels.
check "node_exporter serves the sticky shutdown of $SLOOP" grep -qF \
	"mailbpf_fs_shutdown{device=\"$SLOOP\",fstype=\"xfs\",mountpoint=\"$SDIR\"} 1" "$OUT/node_exporter.txt"

# --- exec probe tiers and forensics on this kernel (issue 11): the tier
# chosen by probing, every errno with fexit, exact sizes for both E2BIG
# limits, environment variables by name, the near miss on one string.
section "exec tier forensics"
if [ -n "$TIER" ]; then
mailbpf trace --json -d 180 >"$OUT/tiers-trace.json" 2>"$OUT/tiers-trace.err" &
TP=$!
wait_for 60 grep -q tracing "$OUT/tiers-trace.err"
cp /bin/true /tmp/total-true
cp /bin/true /tmp/doveconf
targs=()
a90=$(printf '%090d' 0)
for ((i = 0; i < 24000; i++)); do targs+=("$a90"); done
/tmp/total-true "${targs[@]}" 2>/dev/null
unset targs
/nonexistent-mailbpf-binary 2>/dev/null
SSL_CA=$(head -c 219605 /dev/zero | tr '\0' c) /tmp/doveconf 2>/dev/null
SSL_CA=$(head -c 120000 /dev/zero | tr '\0' c) /tmp/doveconf
wait_for 30 grep -q '"type":"exec_near"' "$OUT/tiers-trace.json"
kill -INT $TP 2>/dev/null
wait $TP
tj=$OUT/tiers-trace.json
if grep -q 'kernel lacks:.*bpf_loop' "$OUT/check.txt"; then
	# No bpf_loop (before 5.17): the walk stops at 96 strings and says so.
	check "trace: E2BIG over the total limit, walk cut short without bpf_loop (truncated 1)" \
		eval "grep '\"filename\":\"/tmp/total-true\"' '$tj' | grep -q '\"truncated\":1'"
else
	check "trace: E2BIG over the total limit measured whole (argc 24001, not truncated)" \
		eval "grep '\"filename\":\"/tmp/total-true\"' '$tj' | grep -q '\"argc\":24001,\"argv_bytes\":2184016.*\"truncated\":0'"
fi
# Both tiers see every errno.
check "trace: the $TIER tier sees ENOENT of a missing binary" \
	grep -q '"errno":"ENOENT","filename":"/nonexistent-mailbpf-binary"' "$tj"
check "trace: E2BIG names the environment variable SSL_CA" \
	eval "grep '\"type\":\"exec_fail\"' '$tj' | grep -q '\"longest\":219613,\"longest_at\":\"envp\[[0-9]*\]\",\"longest_name\":\"SSL_CA\"'"
check "trace: near miss on one string against MAX_ARG_STRLEN" \
	eval "grep '\"type\":\"exec_near\"' '$tj' | grep -q '\"longest\":120008.*\"longest_name\":\"SSL_CA\".*\"near\":\"max_arg_strlen\"'"
a=$(wait_for 20 alert exec_e2big program=doveconf)
check "alert: exec_e2big forensics name SSL_CA" grep -q '"forensics":"SSL_CA (envp' <<<"$a"
a=$(wait_for 20 alert exec_near_miss program=doveconf limit_name=max_arg_strlen)
check "alert: exec_near_miss on one string names SSL_CA ($(field "$a" details percent)%)" \
	grep -q '"longest_name":"SSL_CA"' <<<"$a"
check "trace printed no libbpf line" eval '! grep -qiE "^libbpf|verifier" "$OUT/tiers-trace.err"'
else
	echo "# exec tier forensics (total limit, ENOENT, SSL_CA, near miss) not checked: no exec tier loaded"
fi

# The kernel config where Debian's packages put it: /boot/config-RELEASE up
# to 6.x; from 7.x (linux-base-RELEASE) /usr/lib/modules/RELEASE/config and
# nothing in /boot. mailbpf reads it there (CONFIG_HZ).
KREL=$(uname -r)
MODCONF=/usr/lib/modules/$KREL/config
if [ -f "$MODCONF" ]; then
	check "7.x layout: config in $MODCONF, no /boot/config-*" \
		eval '! ls /boot/config-* >/dev/null 2>&1'
fi
check "kernel config read ($(ls "/boot/config-$KREL" "$MODCONF" 2>/dev/null | paste -sd' '))" \
	grep -q '^OK    kernel config: CONFIG_HZ read' "$OUT/check.txt"

# No readable kernel config (/boot/config-* and the modules' config gone, as
# in containers and minimal images): every probe still loads, windows on
# the precise clock.
mkdir -p /root/boot-config /root/mod-config
mv /boot/config-* /root/boot-config/ 2>/dev/null
[ ! -f "$MODCONF" ] || mv "$MODCONF" /root/mod-config/config
mailbpf check >"$OUT/check-noconfig.txt" 2>&1
check "no kernel config: check says so" grep -q '^WARN  kernel config: unreadable' "$OUT/check-noconfig.txt"
check "no kernel config: the same families attached as with it" \
	eval '[ "$(grep -E "^(OK|WARN|FAIL) +probe [a-z_0-9]*: (not )?attached" "$OUT/check-noconfig.txt")" = "$(grep -E "^(OK|WARN|FAIL) +probe [a-z_0-9]*: (not )?attached" "$OUT/check.txt")" ]'
mkdir -p /tmp/nc
timeout -s INT 10 mailbpf run --textfile /tmp/nc/m.prom --state-dir /tmp/nc/st --alert-log /tmp/nc/a.log \
	>/dev/null 2>"$OUT/run-noconfig.err"
check "no kernel config: the daemon starts with no libbpf line" \
	eval 'grep -q "running:" "$OUT/run-noconfig.err" && ! grep -qi libbpf "$OUT/run-noconfig.err"'
check "no kernel config: the same probes attached as with it" \
	eval '[ "$(grep "^mailbpf_probe_attached{" /tmp/nc/m.prom)" = "$(grep "^mailbpf_probe_attached{" "$OUT/probes.txt")" ]'
mv /root/boot-config/* /boot/ 2>/dev/null
[ ! -f /root/mod-config/config ] || mv /root/mod-config/config "$MODCONF"

# --- it stayed up
section "it stayed up"
kill "$SAMPLER" 2>/dev/null
wait "$SAMPLER" 2>/dev/null
# "reloading" is the running process handling `systemctl reload`.
bad=$(grep -Evc '^(active|reloading) ' "$OUT/samples.txt")
pids=$(awk '{ print $2 }' "$OUT/samples.txt" | sort -u | tr '\n' ' ')
check "active (or reloading) in all $(wc -l <"$OUT/samples.txt") samples ($bad not), pids: $pids" \
	eval '[ "$bad" -eq 0 ] && [ "$(wc -w <<<"$pids")" -le 2 ]'
check "NRestarts=0" test "$(systemctl show mailbpf -p NRestarts --value)" = 0
journal >"$OUT/mailbpf-journal.txt"
check "journal of mailbpf: no libbpf lines or verifier dumps" \
	eval '! grep -qE "libbpf:|BPF program load failed|PROG LOAD LOG|processed [0-9]+ insns" "$OUT/mailbpf-journal.txt"'
grep -E 'libbpf:|load failed' "$OUT/mailbpf-journal.txt" | head -5 | sed 's/^/#   /'

# Let go of the io disk (faultfs runs from it) so the runner can unmount it.
xfault_teardown "$FDIR" >/dev/null 2>&1
xfault_teardown "$EDIR" >/dev/null 2>&1
umount -l "$SDIR" "$QDIR" 2>/dev/null
section "done"
echo "# vm: $_passed passed, $_failed failed"
[ "$_failed" -eq 0 ]
