#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# The test runner behind `make test`: cmocka unit tests (built with ASan and
# UBSan), promtool rule tests, then the root integration tests against the
# real kernel, real XFS, real Dovecot/Exim and a real node_exporter, then
# the VM tests (Debian's 6.1 and 6.12 kernels under qemu, with systemd).
# Ends with one line: "total: N passed, M failed".
set -u
cd "$(dirname "$0")/.."
passed=0
failed=0
suites_failed=()

add() { # add SUITE PASSED FAILED
	passed=$((passed + $2))
	failed=$((failed + $3))
	[ "$3" -eq 0 ] || suites_failed+=("$1")
}

echo "== unit tests (cmocka, ASan+UBSan)"
for t in .output/tests/test_*; do
	[ -x "$t" ] || continue
	out=$("$t" 2>&1)
	rc=$?
	p=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test(s)\./\1/p' <<<"$out" | tail -1)
	f=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test(s), listed below:/\1/p' <<<"$out" | tail -1)
	p=${p:-0}
	f=${f:-0}
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		f=1 # crashed or a sanitizer stopped it
	fi
	[ "$f" -eq 0 ] || echo "$out"
	echo "$(basename "$t"): $p passed, $f failed"
	add "$(basename "$t")" "$p" "$f"
done

echo "== prometheus rules (promtool)"
out=$(bash tests/prometheus/run.sh 2>&1)
echo "$out"
p=$(sed -n 's/^prometheus: \([0-9]*\) passed, \([0-9]*\) failed$/\1/p' <<<"$out")
f=$(sed -n 's/^prometheus: \([0-9]*\) passed, \([0-9]*\) failed$/\2/p' <<<"$out")
add prometheus "${p:-0}" "${f:-1}"

echo "== integration tests (root, real kernel events)"
log=$(mktemp)
trap 'rm -f "$log"' EXIT
for t in tests/integration/test_*.sh; do
	# To a file, not $(...): a daemon a test started and leaked must not
	# hold the runner's pipe open forever.
	timeout -k 10 600 bash "$t" >"$log" 2>&1 </dev/null
	rc=$?
	out=$(cat "$log")
	echo "$out"
	p=$(grep -c '^ok - ' <<<"$out")
	f=$(grep -c '^not ok - ' <<<"$out")
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		echo "not ok - $(basename "$t" .sh): exited $rc"
		f=1
	fi
	add "$(basename "$t" .sh)" "$p" "$f"
done

# Other kernels and systemd: Debian 12's and 13's kernels under qemu, the
# daemon from the shipped unit (tests/vm/test_vm.sh; MAILBPF_VM=0 skips it).
if [ "${MAILBPF_VM:-1}" != 0 ]; then
	echo "== VM tests (Debian kernels under qemu, systemd)"
	timeout -k 10 3000 bash tests/vm/test_vm.sh >"$log" 2>&1 </dev/null
	rc=$?
	out=$(cat "$log")
	echo "$out"
	p=$(grep -c '^ok - ' <<<"$out")
	f=$(grep -c '^not ok - ' <<<"$out")
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		echo "not ok - vm: exited $rc"
		f=1
	fi
	add vm "$p" "$f"
fi

echo
[ ${#suites_failed[@]} -eq 0 ] || echo "failing suites: ${suites_failed[*]}"
echo "total: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
