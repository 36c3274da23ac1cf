#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# The support matrix, written from what the VM runs recorded, never by hand:
#
#   support.sh [RESULTS_DIR] > SUPPORT.md     (default .output/vm, from test_vm.sh)
#
# Per kernel: which probes attached (the textfile's mailbpf_probe_attached
# and mailbpf_exec_probe_info, read by node_exporter's textfile collector in
# the guest), what `mailbpf check` left out, and the guest test's result.
# `make support-matrix` runs it into docs/SUPPORT.md.
. "$(dirname "$0")/lib.sh"
set +e
res=${1:-$VM_ROOT/.output/vm}
[ -d "$res" ] || { echo "support.sh: $res: no VM results (run make test-vm)" >&2 && exit 1; }

# distro RELEASE: the Debian release whose kernel this is (from kernels.sh's
# record of which suite gave which kernel).
distro() {
	local f s
	for f in "$VM_CACHE"/suite-*.release; do
		[ "$(cat "$f" 2>/dev/null)" = "$1" ] || continue
		s=${f##*/suite-}
		s=${s%.release}
		read -r suite meta < <(vm_suite_spec "$s")
		case $suite in
		sid) echo "Debian unstable (sid)" ;;
		*) echo "Debian $(vm_suite_number "$suite") ($suite$([ "$meta" = linux-image-amd64 ] || echo ", ${meta#linux-image-}"))" ;;
		esac
		return
	done
	echo "?"
}

attached() { sed -n 's/^mailbpf_probe_attached{probe="\([^"]*\)"} 1$/\1/p' "$1" | paste -sd' '; }
missing() { sed -n 's/^mailbpf_probe_attached{probe="\([^"]*\)"} 0$/\1/p' "$1" | paste -sd' '; }
mode() { sed -n 's/^mailbpf_exec_probe_info{mode="\([^"]*\)"} 1$/\1/p' "$1"; }
# why_not DIR: per family not attached, or attached without some of its
# programs, what `mailbpf check` said, programs grouped by reason; then the
# exec tiers passed over (or all failing) with their reasons.
why_not() {
	local d=$1 r tier
	awk -v missing=" $(missing "$d/probes.txt") " '
		/^WARN +probe [a-z_0-9]+: [a-z_0-9]+ left out: / {
			fam = $3; sub(/:$/, "", fam); prog = $4
			why = $0; sub(/.* left out: /, "", why)
			k = fam SUBSEP why
			if (!(k in progs)) { order[++n] = k }
			progs[k] = progs[k] (progs[k] == "" ? "" : ", ") prog
		}
		END {
			for (i = 1; i <= n; i++) {
				split(order[i], kw, SUBSEP)
				fams[kw[1]] = fams[kw[1]] (fams[kw[1]] == "" ? "" : "; ") kw[2] ": " progs[order[i]]
				if (!(kw[1] in seen)) { seen[kw[1]] = 1; forder[++m] = kw[1] }
			}
			nm = split(missing, ms, " ")
			for (i = 1; i <= nm; i++) if (!(ms[i] in seen)) { seen[ms[i]] = 1; forder[++m] = ms[i] }
			for (i = 1; i <= m; i++) {
				f = forder[i]
				if (index(missing, " " f " "))
					out = out sep f " not attached" (f in fams ? " (" fams[f] ")" : "")
				else
					out = out sep f ": programs left out (" fams[f] ")"
				sep = "; "
			}
			print out
		}' "$d/check.txt"
	tier=$(mode "$d/probes.txt")
	r=$(sed -n 's/^[A-Z]* *exec probe: [a-z]* (\(.*\))$/\1/p' "$d/check.txt")
	[ -z "$r" ] || echo "${tier:+better }exec tiers: $r"
}
# Sub-probes check left out, and its warnings about the kernel (not the
# mail daemons this guest does not run).
left_out() {
	{
		sed -n 's/^mailbpf: \(.* left out: .*\)/\1/p' "$1"
		grep '^WARN' "$1" | grep -v 'WARN  daemon ' | sed 's/^WARN  *//'
	} | sort -u | paste -sd';' | sed 's/;/; /g'
}

kernels=()
if [ -s "$res/kernels" ]; then
	# The kernels of the last run, in its order (test_vm.sh).
	while read -r k; do [ -d "$res/$k" ] && kernels+=("$k"); done <"$res/kernels"
else
	for d in "$res"/*/; do
		[ -f "$d/kernel" ] || [ -f "$d/counts" ] || continue
		kernels+=("$(basename "$d")")
	done
fi
[ ${#kernels[@]} -gt 0 ] || { echo "support.sh: no kernel results in $res" >&2 && exit 1; }

version=$(cat "$VM_ROOT/VERSION" 2>/dev/null)
commit=$(paste -sd' ' "$res/commit" 2>/dev/null)
cat <<EOM
# mailbpf support matrix

Written by \`tests/vm/support.sh\` from the results of \`make test-vm\` (mailbpf
$version, commit $commit, $(date -u +%Y-%m-%d)); do not edit by hand, run
\`make test-vm support-matrix\`. Each kernel is the newest Debian package of
its suite, booted under qemu (TCG) with a Debian 12 systemd image; mailbpf is installed in the
guest and started from the shipped unit (tests/vm/README.md).

| kernel | suite | exec tier | families attached | left out, and why | VM test |
|---|---|---|---|---|---|
EOM
for k in "${kernels[@]}"; do
	d=$res/$k
	read -r p f <"$d/counts" 2>/dev/null || { p='?'; f='?'; }
	wn=$(why_not "$d" | awk 'NF { printf "%s%s", n++ ? "; " : "", $0 }' | sed 's/|/\\|/g')
	tier=$(mode "$d/probes.txt")
	fams=$(attached "$d/probes.txt")
	printf '| %s | %s | %s | %s | %s | %s passed, %s failed |\n' "$k" "$(distro "$k")" \
		"${tier:-none}" "${fams:-none}" "${wn:-—}" "$p" "$f"
done
cat <<'EOM'
| 5.15 (Ubuntu 22.04 GA) | Ubuntu 22.04 | fexit expected | on paper: every family expected | — | not booted here |
| 6.8 (Ubuntu 24.04) | Ubuntu 24.04 | fexit expected | on paper: every family expected | — | not booted here |
| 5.14 (RHEL/Alma 9) | RHEL 9, AlmaLinux 9 | fexit expected | on paper: every family expected | — | not booted here |
| 4.18 (RHEL/Alma 8) | RHEL 8, AlmaLinux 8 | fexit expected where the ring buffer is backported | on paper: as 5.10 (v2 objects, every fallback) if BTF and the BPF ring buffer are there, else none and `mailbpf run` exits 1 | — | not booted here |
| 5.4 (Ubuntu 20.04 GA) | Ubuntu 20.04 | none | none: no BPF ring buffer (5.8) nor vmlinux BTF; `mailbpf run` exits 1 (the HWE 5.15 kernel is the 5.15 row) | — | not booted here |

"exec tier" and "families attached" are the textfile's
`mailbpf_exec_probe_info` and `mailbpf_probe_attached` while the daemon ran
under systemd; "left out" names each family with `mailbpf_probe_attached 0`
with what `mailbpf check` said of it, the better exec tiers passed over with
their reasons, and the single programs left out of an attached family. XFS
probes need xfs.ko loaded: the guest mounts its XFS filesystems before
`systemctl start mailbpf`, as a host with XFS in /etc/fstab would. From 7.x
Debian installs the kernel config as /usr/lib/modules/RELEASE/config (no
/boot): the guests of those kernels have no /boot/config-*.

### Rows on paper (not booted here)

These kernels are not Debian packages, so they are not booted by this suite;
the rows are reasoned from the kernel features mailbpf probes for, and from
upstream's history (RHEL 9's 5.14 carries BPF backports, so its row is the
least certain):

- signal (`tp_btf/signal_generate`): BTF-enabled raw tracepoints exist since
  5.5; all three ship `/sys/kernel/btf/vmlinux`.
- exec: fexit on `__x64_sys_execve` (trampolines since 5.5, x86-64); Secure
  Boot's lockdown on Ubuntu and RHEL is "integrity", which does not refuse
  tracing programs. `bpf_loop` is 5.17+: 5.14/5.15 use the bounded argv walk.
- xfs: `xfs_group_mark_*` is 6.13+; older kernels report AG health through
  `xfs_ag_mark_*`, which mailbpf probes instead (as on 6.1 and 6.12 above).
  RHEL 9 supports XFS as its default filesystem; Ubuntu ships xfs.ko.
- block: `block:block_rq_error` is newer than 5.15 (present from 5.18/5.19);
  before it the `block_rq_complete` fallback runs, its record layout chosen
  with `bpf_core_type_exists`.
- proc: `sched:sched_process_exit` (as `tp_btf`, or the raw tracepoint where
  that does not load) is far older than all three.
- ext4: the `ext4:ext4_error` and `ext4:ext4_shutdown` tracepoints predate
  5.14 as far as read here (unverified on those kernels: the row that most
  needs a boot).

### Old kernels: what 5.10 implies for RHEL 8, RHEL 9 and Ubuntu 20.04

5.10 is the oldest kernel booted here. On it mailbpf loads its BPF objects
built for ISA v2 (5.10 refuses v3's atomics with fetch: `BPF_STX uses
reserved fields`), reads the current task and its saved registers through
probe reads (`bpf_get_current_task_btf` is 5.11, `bpf_task_pt_regs` 5.15),
walks argv/envp in a bounded loop of 96 strings (`bpf_loop` is 5.17), and
says so once on its start line (`degraded on this kernel: kernel lacks: ...`)
and in `mailbpf check` (`WARN kernel BPF features`). What it cannot do
without is a kernel with BTF (`/sys/kernel/btf/vmlinux`), `tp_btf` programs
(5.5) and the BPF ring buffer (5.8): without those no family loads, and
`mailbpf run` exits 1 with `no probe attached on this kernel` rather than
running blind.

- **RHEL/AlmaLinux 9 (5.14 with backports):** above 5.12, so the v3
  objects; `bpf_get_current_task_btf` present; `bpf_task_pt_regs` and
  `bpf_loop` depend on the minor release's backports, and whichever is
  missing is probed and replaced as on 5.10. Expected: every family.
- **RHEL/AlmaLinux 8 (4.18 with backports):** BTF since 8.2 and the ring
  buffer since the 8.x releases that backported BPF from 5.8+; the v2
  objects and every fallback above. A 4.18 without the ring buffer loads
  nothing and the unit fails visibly. Not booted here (not a Debian kernel).
- **Ubuntu 20.04 (5.4 GA):** no BPF ring buffer (5.8) and no
  `/sys/kernel/btf/vmlinux` in the GA kernel: mailbpf exits 1 there. The
  HWE kernel (5.15) has both and behaves as the 5.15 row.
EOM
for k in "${kernels[@]}"; do
	d=$res/$k
	echo
	echo "## $k"
	echo
	pkg=$(cat "$(vm_kernel_dir "$k")/.package" 2>/dev/null)
	[ -z "$pkg" ] || echo "Package: \`${pkg%%=*}\` ${pkg#*=}."
	if [ "$(cat "$(vm_kernel_dir "$k")/layout" 2>/dev/null)" = split ]; then
		echo "Split layout (7.x): the files are in \`linux-binary-$k\`, \`linux-modules-$k\` and"
		echo "\`linux-base-$k\`; the guest's config is \`/usr/lib/modules/$k/config\`, with no"
		echo "\`/boot/config-*\`."
	fi
	echo
	echo "- probes attached: $(attached "$d/probes.txt")"
	echo "- exec probe mode: $(grep -m1 'exec probe:' "$d/check.txt" | sed 's/^[A-Z]* *exec probe: //')"
	lo=$(left_out "$d/check.txt")
	echo "- left out by \`mailbpf check\`: ${lo:-nothing}"
	if grep -q 'probe xfs' "$d/check-before-xfs.txt" 2>/dev/null; then
		echo "- before xfs.ko is loaded: $(grep 'probe xfs' "$d/check-before-xfs.txt" | sed 's/  */ /g')"
	fi
	if [ -s "$d/run-verbose.err" ]; then
		echo "- why BPF objects were refused (\`mailbpf run -v\`, run when no exec tier loads: the verifier's first and last word per program, or libbpf's):"
		awk '/-- BEGIN PROG LOAD LOG --/ { p = $3; n = 0; inlog = 1; next }
			/-- END PROG LOAD LOG --/ { if (!(p in seen)) { seen[p] = 1; print p " " first " ... " last }
				inlog = 0; next }
			inlog && !/^processed / { if (!n++) first = $0; last = $0 }
			/incompatible with kernel|failed to resolve|failed to load object/ && !(($0) in seen) { seen[$0] = 1; print }' \
			"$d/run-verbose.err" | cut -c1-200 | head -8 | sed 's/^/  - `/; s/$/`/'
	fi
	if [ -f "$d/guest.log" ] && grep -q '^not ok' "$d/guest.log"; then
		echo "- failing VM checks:"
		grep '^not ok' "$d/guest.log" | sed 's/^not ok - vm: /  - /'
	fi
	echo
	echo '`mailbpf check` in the guest:'
	echo
	echo '```'
	grep -v '^mailbpf: tracepoint' "$d/check.txt"
	echo '```'
done
