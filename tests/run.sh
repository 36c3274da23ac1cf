#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# The test runner behind `make test`: cmocka unit tests (built with ASan and
# UBSan), promtool rule tests, then the root integration tests against the
# real kernel, real XFS, real Dovecot/Exim and a real node_exporter, then
# the VM tests (Debian's 6.1 and 6.12 kernels under qemu, with systemd).
# A suite that cannot run here (tests/lib/tap.sh's skip_all: "skip - NAME:
# REASON"), a part left out (MAILBPF_VM=0) and a cmocka test skipped each
# count as one skipped, named with the reason before the summary:
#   # skipped: test_exim: exim4 is not installed
# Ends with one line: "total: N passed, M failed, K skipped".
set -u
cd "$(dirname "$0")/.."
passed=0
failed=0
suites_failed=()
skips=() # "NAME: REASON"

add() { # add SUITE PASSED FAILED
	passed=$((passed + $2))
	failed=$((failed + $3))
	[ "$3" -eq 0 ] || suites_failed+=("$1")
}

skip() { # skip NAME REASON
	skips+=("$1: $2")
}

# tap SUITE OUTPUT RC: count a TAP-ish suite's ok/not ok/skip lines. A suite
# that exits non-zero with no failure, or says nothing at all, has failed.
tap() {
	local name=$1 out=$2 rc=$3 p f s line
	p=$(grep -c '^ok - ' <<<"$out")
	f=$(grep -c '^not ok - ' <<<"$out")
	s=$(grep -c '^skip - ' <<<"$out")
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		echo "not ok - $name: exited $rc"
		f=1
	elif [ "$p" -eq 0 ] && [ "$f" -eq 0 ] && [ "$s" -eq 0 ]; then
		echo "not ok - $name: no ok, not ok or skip line"
		f=1
	fi
	while IFS= read -r line; do
		line=${line#skip - }
		skip "${line%%: *}" "${line#*: }"
	done < <(grep '^skip - ' <<<"$out")
	add "$name" "$p" "$f"
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
	# cmocka lists the tests skip() skipped after its summary line.
	s=0
	while IFS= read -r n; do
		skip "$(basename "$t")" "$n (cmocka skip())"
		s=$((s + 1))
	done < <(awk '/^\[  SKIPPED \] [0-9]+ test\(s\), listed below:/ { l = 1; next }
		l && sub(/^\[  SKIPPED \] /, "") { print }' <<<"$out")
	echo "$(basename "$t"): $p passed, $f failed$([ "$s" -eq 0 ] || echo ", $s skipped")"
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
	tap "$(basename "$t" .sh)" "$out" "$rc"
done

# Other kernels and systemd: Debian 12's and 13's kernels under qemu, the
# daemon from the shipped unit (tests/vm/test_vm.sh; MAILBPF_VM=0 skips it).
if [ "${MAILBPF_VM:-1}" != 0 ]; then
	echo "== VM tests (Debian kernels under qemu, systemd)"
	timeout -k 10 3000 bash tests/vm/test_vm.sh >"$log" 2>&1 </dev/null
	rc=$?
	out=$(cat "$log")
	echo "$out"
	tap vm "$out" "$rc"
else
	echo "== VM tests: skipped (MAILBPF_VM=0)"
	skip vm "MAILBPF_VM=0"
fi

echo
for s in "${skips[@]}"; do
	echo "# skipped: $s"
done
[ ${#suites_failed[@]} -eq 0 ] || echo "failing suites: ${suites_failed[*]}"
echo "total: $passed passed, $failed failed, ${#skips[@]} skipped"
[ "$failed" -eq 0 ]
