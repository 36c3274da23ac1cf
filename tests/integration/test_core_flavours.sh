#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# The block_rq_complete fallback on a kernel before 5.18, whose record is
# trace_event_raw_block_rq_complete (no block_rq_completion class, no
# block_rq_error). The fs object is relocated against the BTF of such a
# record (tests/integration/data/btf-5.15-block.c, compiled with -g;
# MAILBPF_FS_BTF): block_rq_error and every XFS and ext4 program find no
# types there and are rejected by the verifier, each left out alone, while
# block_rq_complete takes its old-layout branch, loads, and counts a real
# read error (dev, sector, error sit where they did before 5.18).
. "$(dirname "$0")/lib.sh"
. "$ROOT/tests/lib/fsloop.sh"

command -v clang >/dev/null || skip_all "clang is needed to build the BTF"
fsloop_faultfs
clang -g -O0 -target bpf -c "$ROOT/tests/integration/data/btf-5.15-block.c" -o "$TMP/btf.o" ||
	{ not_ok "the 5.15 block record compiles to BTF"; finish; }
export MAILBPF_FS_BTF=$TMP/btf.o

"$MAILBPF" check >"$TMP/check.out" 2>&1
check "check: block attached through block_rq_complete" grep -q '^OK    probe block: attached' "$TMP/check.out"
check "check: block_rq_error left out (no such record there)" \
	grep -q '^WARN  probe block: block_rq_error left out: does not load' "$TMP/check.out"
check "check: block_rq_complete is not left out" eval '! grep -q "block_rq_complete left out" "$TMP/check.out"'
check "check: the exec and signal probes attached" eval \
	'grep -q "^OK    probe exec: attached" "$TMP/check.out" && grep -q "^OK    probe signal: attached" "$TMP/check.out"'
check "check: no libbpf line" eval '! grep -qi libbpf "$TMP/check.out"'

start_run --interval 1 || { not_ok "daemon starts" "$(cat "$TMP/run.err")"; finish; }
check "block_rq_complete attached" \
	wait_for 3 metric_is 'mailbpf_probe_program_attached{probe="block",program="block_rq_complete"}' 1
faulty_fs "$TMP/x" || { not_ok "xfs on faultfs set up" "$FSLOOP_OUT"; finish; }
dev=$DEVNAME
bash "$XF" ctl "$TMP/x" "fail read"
dd if="/dev/$dev" of=/dev/null bs=4k count=1 skip=3000 iflag=direct 2>/dev/null
bash "$XF" ctl "$TMP/x" ok
check "the old-layout branch counts a real read error on $dev" \
	wait_for 4 eval 'test "$(num "mailbpf_block_io_errors_total{device=\"$dev\"}")" -ge 1'
check "and alerts with its errno and sector" wait_for 3 eval \
	'grep "\"kind\":\"block_io_error\"" "$TMP/alerts.log" | grep "\"device\":\"$dev\"" | grep -q "\"error\":\"EIO\".*\"sector\":24000"'
stop_run
finish
