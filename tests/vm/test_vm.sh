#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# `make test-vm`: the kernels Debian ships (tests/vm/lib.sh: VM_SUITES,
# MAILBPF_VM_SUITES) booted under qemu with a Debian 12 systemd image; in each, mailbpf is installed as an admin
# would and run from the shipped unit against Debian's Dovecot, real XFS
# faults and node_exporter (guest/test_mailhost.sh). Prints the guest's
# ok/not ok lines (prefixed with the kernel), then per kernel
#   kernel 6.1.0-NN-amd64: N passed, M failed (boot+test S s; exec tier; attached)
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

# This run's kernels, for support.sh; results of kernels no longer booted go.
printf '%s\n' $kernels >"$results/kernels"
for d in "$results"/*/; do
	grep -qxF "$(basename "$d")" "$results/kernels" || rm -rf "$d"
done

# The package is built once for every guest (run.sh would build it per boot).
if grep -q '^deb:' Makefile && [ "${MAILBPF_VM_INSTALL:-deb}" = deb ]; then
	rm -f .output/deb/mailbpf_*.deb
	make -s deb >"$results/deb.log" 2>&1 || {
		echo "not ok - vm: make deb"
		tail -20 "$results/deb.log" | sed 's/^/#   /'
		echo "vm: 0 passed, 1 failed"
		exit 1
	}
else
	make -s mailbpf >"$results/deb.log" 2>&1
fi
export MAILBPF_VM_BUILT=1
echo "# vm: package built in $(($(date +%s) - t2)) s"

# boot K SLOT: one kernel's guest, results in $results/K.
boot() {
	local k=$1 out=$results/$1 s
	rm -rf "$out"
	mkdir -p "$out"
	s=$(date +%s)
	MAILBPF_VM_FILES=".output/faultfs tools/xfs-fault.sh" MAILBPF_VM_INSTALL_BY_SCRIPT=1 \
		MAILBPF_VM_SMP=$smp MAILBPF_VM_LOCK=$lock${2:+.$2} \
		bash tests/vm/run.sh "$k" tests/vm/guest/test_mailhost.sh "$out" >"$out/run.log" 2>&1
	echo $? >"$out/run-rc"
	echo "$(($(date +%s) - s))" >"$out/seconds"
}

# MAILBPF_VM_JOBS=2 (default on 2 or more CPUs): two guests at once, one
# vCPU each (TCG runs a host thread per vCPU); 1: one guest at a time with
# two vCPUs. Measured on the 2-CPU machine (README): all seven kernels in
# 866 s two at a time, 965 s one at a time (the guest test spends much of
# its time waiting on the daemon's 15 s interval, which two guests overlap).
jobs=${MAILBPF_VM_JOBS:-$([ "$(nproc)" -ge 2 ] && echo 2 || echo 1)}
lock=${MAILBPF_VM_LOCK:-/tmp/mailbpf-vm.lock}
if [ "$jobs" -ge 2 ]; then
	smp=1
	queue=$results/.queue
	printf '%s\n' $kernels >"$queue"
	for ((j = 0; j < jobs; j++)); do
		(
			# Each worker takes the next kernel off the queue.
			while k=$(flock "$queue.lock" sh -c 'head -1 "$0" && sed -i 1d "$0"' "$queue") && [ -n "$k" ]; do
				boot "$k" "$([ "$j" -eq 0 ] || echo "$j")"
			done
		) &
	done
	wait
	rm -f "$queue" "$queue.lock"
else
	smp=${MAILBPF_VM_SMP:-2}
	for k in $kernels; do boot "$k"; done
fi

for k in $kernels; do
	out=$results/$k
	rc=$(cat "$out/run-rc" 2>/dev/null || echo '?')
	secs=$(cat "$out/seconds" 2>/dev/null || echo '?')
	sed -n "s/^\(ok\|not ok\|skip\) - vm: /\1 - vm $k: /p; /^#/p" "$out/guest.log" 2>/dev/null
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
	tier=$(sed -n 's/^mailbpf_exec_probe_info{mode="\([^"]*\)"} 1$/\1/p' "$out/probes.txt" 2>/dev/null)
	fam=$(sed -n 's/^mailbpf_probe_attached{probe="\([^"]*\)"} 1$/\1/p' "$out/probes.txt" 2>/dev/null | paste -sd,)
	lines+=("kernel $k: $p passed, $f failed (boot+test $secs s, in the VM $(cat "$out/vm-seconds" 2>/dev/null) s; exec tier ${tier:-none}; attached ${fam:-none})")
	passed=$((passed + p))
	failed=$((failed + f))
done
bash tests/vm/support.sh "$results" >"$results/SUPPORT.md" 2>"$results/support.err" ||
	echo "# vm: support matrix not written: $(cat "$results/support.err")"
echo
printf '%s\n' "${lines[@]}"
echo "# vm: total $(($(date +%s) - t0)) s ($jobs at a time, $smp vCPU each)"
echo "vm: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
