#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Every program of the filesystem family is left out alone. For each one,
# its tracepoint is hidden for real (in a private mount namespace an empty
# directory covers the event's tracefs directory, so it has no id, as on a
# kernel without it): `mailbpf check` must name that one left out and
# everything else attached. Then programs the verifier really rejects
# (MAILBPF_BREAK_PROG loads them as a program type whose context they cannot read):
# the daemon starts without a libbpf line, says which one was left out,
# exports it in mailbpf_probe_program_attached, and the rest works: an XFS
# shutdown is still flagged, and with block_rq_error rejected its fallback
# block_rq_complete counts a real read error.
. "$(dirname "$0")/lib.sh"

tfs=/sys/kernel/tracing
[ -d "$tfs/events/xfs" ] || mount -t tracefs tracefs "$tfs" 2>/dev/null
[ -d "$tfs/events/xfs" ] && [ -d "$tfs/events/ext4" ] || skip_all "no tracefs with xfs and ext4 events"
mkdir -p "$TMP/empty"

# The fs programs of this build, from the object's section names.
progs=$(llvm-objdump -h "$ROOT/.output/fs.bpf.o" 2>/dev/null |
	awk '$2 ~ /^tracepoint\// { split($2, p, "/"); print p[2] "/" p[3] }')
[ -n "$progs" ] || { not_ok "fs programs listed from .output/fs.bpf.o"; finish; }
present=0
for cp in $progs; do
	cat=${cp%/*} name=${cp#*/}
	[ -e "$tfs/events/$cat/$name/id" ] || continue # not in this kernel anyway
	present=$((present + 1))
	fam=$cat
	unshare -m --propagation private bash -c 'mount --bind "$1" "$2" && exec "$3" check' \
		_ "$TMP/empty" "$tfs/events/$cat/$name" "$MAILBPF" >"$TMP/check.out" 2>&1
	left=$(grep -c ' left out: ' "$TMP/check.out")
	if [ "$name" = block_rq_error ]; then
		# Its fallback stands in: nothing is left out, block stays attached.
		check "$name hidden: block_rq_complete stands in, nothing left out" \
			test "$left" = 0
	elif [ "$name" = block_rq_complete ]; then
		check "$name hidden: not needed beside block_rq_error, nothing left out" \
			test "$left" = 0
	else
		check "$name hidden: check names it, and only it, left out" eval \
			'grep -q "^WARN  probe $fam: $name left out: no tracepoint in this kernel" "$TMP/check.out" && test "$left" = 1'
	fi
	others=$(grep -E '^(OK|WARN|FAIL) +probe [a-z_0-9]+: (not )?attached' "$TMP/check.out" |
		grep -v "^WARN  probe $fam: not attached" | grep -vc ': attached$')
	# A family stays attached without any one program, except its core ones.
	case $name in
	xfs_buf_ioerror | xfs_force_shutdown | ext4_error) want_fam=0 ;;
	*) want_fam=1 ;;
	esac
	check "$name hidden: every other probe attached" test "$others" = 0
	if [ "$want_fam" = 1 ]; then
		check "$name hidden: probe $fam still attached" grep -q "^OK    probe $fam: attached" "$TMP/check.out"
	fi
done
echo "# $present fs programs have their tracepoint on this kernel"

# Both block tracepoints gone: the block probe is out, the rest is not.
unshare -m --propagation private bash -c \
	'mount --bind "$1" "$2/block_rq_error" && mount --bind "$1" "$2/block_rq_complete" && exec "$3" check' \
	_ "$TMP/empty" "$tfs/events/block" "$MAILBPF" >"$TMP/check.out" 2>&1
check "no block tracepoint: block not attached" grep -q '^WARN  probe block: not attached' "$TMP/check.out"
check "no block tracepoint: block_rq_error named left out" \
	grep -q '^WARN  probe block: block_rq_error left out: no tracepoint' "$TMP/check.out"
check "no block tracepoint: xfs and ext4 attached" eval \
	'grep -q "^OK    probe xfs: attached" "$TMP/check.out" && grep -q "^OK    probe ext4: attached" "$TMP/check.out"'
check "at least the 13 fs programs of 6.18 were tried" test "$present" -ge 13

# Rejected by the verifier: left out alone, with one notice line each.
export MAILBPF_BREAK_PROG=xfs_fs_mark_sick,block_rq_error
start_run --interval 1 || { not_ok "daemon starts with two programs rejected" "$(cat "$TMP/run.err")"; finish; }
unset MAILBPF_BREAK_PROG
ok "daemon starts with two programs rejected"
check "no libbpf line on stderr" eval '! grep -qi libbpf "$TMP/run.err"'
check "one notice line for xfs_fs_mark_sick" \
	test "$(grep -c 'xfs_fs_mark_sick does not load on this kernel ([A-Za-z ]*), left out' "$TMP/run.err")" = 1
check "one notice line for block_rq_error" \
	test "$(grep -c 'block_rq_error does not load on this kernel' "$TMP/run.err")" = 1
check "mailbpf_probe_program_attached{xfs_fs_mark_sick} 0" \
	wait_for 3 metric_is 'mailbpf_probe_program_attached{probe="xfs",program="xfs_fs_mark_sick"}' 0
check "mailbpf_probe_program_attached{block_rq_error} 0" \
	metric_is 'mailbpf_probe_program_attached{probe="block",program="block_rq_error"}' 0
check "block_rq_complete stands in" \
	metric_is 'mailbpf_probe_program_attached{probe="block",program="block_rq_complete"}' 1
check "xfs_fs_mark_corrupt attached" \
	metric_is 'mailbpf_probe_program_attached{probe="xfs",program="xfs_fs_mark_corrupt"}' 1
check "ext4_error attached" metric_is 'mailbpf_probe_program_attached{probe="ext4",program="ext4_error"}' 1
for p in xfs ext4 block exec signal; do
	check "probe_attached{$p} 1" metric_is "mailbpf_probe_attached{probe=\"$p\"}" 1
done

export FAULTFS=${FAULTFS:-$ROOT/.output/faultfs}
XF=$ROOT/tools/xfs-fault.sh
if [ -x "$FAULTFS" ]; then
	mkdir -p "$TMP/x"
	at_exit "bash $XF teardown $TMP/x"
	out=$(bash "$XF" setup "$TMP/x") || not_ok "xfs on faultfs set up" "$out"
	dev=$(basename "$(sed -n 's/^loop=//p' <<<"$out")")
	bash "$XF" ctl "$TMP/x" "fail read"
	dd if="/dev/$dev" of=/dev/null bs=4k count=1 skip=2000 iflag=direct 2>/dev/null
	bash "$XF" ctl "$TMP/x" ok
	check "block_rq_complete counts a real read error" \
		wait_for 4 eval 'test "$(num "mailbpf_block_io_errors_total{device=\"$dev\"}")" -ge 1'
	bash "$XF" shutdown "$TMP/x"
	check "an XFS shutdown is still flagged" wait_for 4 metric_is \
		"mailbpf_fs_shutdown{device=\"$dev\",mountpoint=\"$TMP/x/mnt\",fstype=\"xfs\"}" 1
	bash "$XF" teardown "$TMP/x"
fi
stop_run
finish
