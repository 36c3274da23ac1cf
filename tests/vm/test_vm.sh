#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# `make test-vm`: Debian 12's and Debian 13's own kernels booted under qemu
# with a Debian 12 systemd image; in each, mailbpf is installed as an admin
# would and run from the shipped unit against Debian's Dovecot, real XFS
# faults and node_exporter (guest/test_mailhost.sh). Prints the guest's
# ok/not ok lines (prefixed with the kernel), then per kernel
#   kernel 6.1.0-NN-amd64: N passed, M failed
# and a last line "vm: N passed, M failed". Each kernel's results (mailbpf
# check, the probes attached, journal, console) stay in .output/vm/RELEASE/,
# from which support.sh writes the support matrix (.output/vm/SUPPORT.md;
# `make support-matrix` puts it in docs/).
#
# Caches (downloads, image): /var/cache/mailbpf-test/vm (tests/vm/lib.sh).
set -u
cd "$(dirname "$0")/../.." || exit 1
results=.output/vm
mkdir -p "$results"
passed=0
failed=0
lines=()

t0=$(date +%s)
# What was tested, for the support matrix.
git rev-parse --short HEAD >"$results/commit" 2>/dev/null
git status --porcelain --untracked-files=no 2>/dev/null | grep -q . && echo "+ local changes" >>"$results/commit"
if ! kernels=$(bash tests/vm/kernels.sh); then
	echo "not ok - vm: Debian's kernels fetched and unpacked"
	echo "vm: 0 passed, 1 failed"
	exit 1
fi
t1=$(date +%s)
if ! bash tests/vm/image.sh >/dev/null; then
	echo "not ok - vm: the VM image built"
	echo "vm: 0 passed, 1 failed"
	exit 1
fi
t2=$(date +%s)
echo "# vm: kernels ready in $((t1 - t0)) s ($(echo $kernels)), image in $((t2 - t1)) s"

for k in $kernels; do
	out=$results/$k
	rm -rf "$out"
	mkdir -p "$out"
	s=$(date +%s)
	MAILBPF_VM_FILES=".output/faultfs tools/xfs-fault.sh" MAILBPF_VM_INSTALL_BY_SCRIPT=1 \
		bash tests/vm/run.sh "$k" tests/vm/guest/test_mailhost.sh "$out" >"$out/run.log" 2>&1
	rc=$?
	secs=$(($(date +%s) - s))
	echo "$secs" >"$out/seconds"
	sed -n "s/^\(ok\|not ok\) - vm: /\1 - vm $k: /p; /^#/p" "$out/guest.log" 2>/dev/null
	p=$(grep -c '^ok - ' "$out/guest.log" 2>/dev/null)
	f=$(grep -c '^not ok - ' "$out/guest.log" 2>/dev/null)
	p=${p:-0} f=${f:-0}
	if [ ! -f "$out/rc" ]; then
		echo "not ok - vm $k: the guest test finished (run.sh exited $rc)"
		tail -15 "$out/run.log" "$out/console.log" 2>/dev/null | sed 's/^/#   /'
		f=$((f + 1))
	elif [ "$(cat "$out/rc")" -ne 0 ] && [ "$f" -eq 0 ]; then
		echo "not ok - vm $k: guest test exited $(cat "$out/rc")"
		f=1
	fi
	echo "$p $f" >"$out/counts"
	lines+=("kernel $k: $p passed, $f failed (boot+test $secs s)")
	passed=$((passed + p))
	failed=$((failed + f))
done
bash tests/vm/support.sh "$results" >"$results/SUPPORT.md" 2>"$results/support.err" ||
	echo "# vm: support matrix not written: $(cat "$results/support.err")"
echo
printf '%s\n' "${lines[@]}"
echo "# vm: total $(($(date +%s) - t0)) s"
echo "vm: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
