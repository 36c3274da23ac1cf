#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# The README's first steps on machines that are not this one: a fresh clone
# of the committed tree, built with `make` inside clean Debian 12 roots.
#
# 1. A root with only what the README says to install first (make): make
#    installs the build set and nothing else, with whichever compiler that
#    set provides (clang, as cc: no gcc), and `make run` attaches every probe
#    against the host kernel and stops cleanly on SIGTERM.
# 2. A root that runs Postfix (and another IMAP server, GNU Mailutils'
#    imap4d): make builds mailbpf and Postfix is still installed, with no
#    Exim, Dovecot or Prometheus; the test set's install (simulated) leaves
#    Exim and Dovecot out, names why, and the two suites' skip lines say so.
# 3. Here, a fresh clone's whole tree (daemon, unit tests, tools) with
#    CC=gcc and CC=clang, warnings as errors, and the clang-built unit
#    tests pass.
#
# Cost: 229 s on a new machine (debootstrap of the minbase tarball and
# ~200 MB of .debs, both then cached in /var/cache/mailbpf-test), ~150 s
# once cached (two roots ~40 s each, the two host builds ~70 s).
. "$(dirname "$0")/lib.sh"
. "$ROOT/tests/lib/inroot.sh"

command -v debootstrap >/dev/null || skip_all "debootstrap is not installed"
git -C "$ROOT" rev-parse HEAD >/dev/null 2>&1 || skip_all "$ROOT is not a git clone"
version=$(cat "$ROOT/VERSION")

build_set="bpftool clang libbpf-dev libelf-dev llvm make pkg-config zlib1g-dev"

# --- 1. a root with make only ----------------------------------------------
if ! r=$(new_root plain make 2>"$TMP/plain-root.err"); then
	not_ok "a clean Debian 12 root with make" "$(tail -5 "$TMP/plain-root.err")"
	finish
fi
git clone -q "$ROOT" "$r/src"
before=$(root_packages "$r")

# Without root, the deps step names the packages and the command, and stops.
chroot --userspec=65534:65534 "$r" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
	bash /src/tools/install-deps.sh build >"$TMP/nonroot.out" 2>&1
rc=$?
check "without root, install-deps fails (exit 1)" test $rc -eq 1
check "without root, it names exactly the missing build packages" \
	grep -qx "install-deps: missing packages for 'build': bpftool clang libbpf-dev libelf-dev llvm pkg-config zlib1g-dev" \
	"$TMP/nonroot.out"
check "without root, it gives the apt-get command" \
	grep -q "as root, run: apt-get install --no-install-recommends bpftool clang" "$TMP/nonroot.out"

in_root "$r" make -C /src >"$TMP/plain.log" 2>&1
rc=$?
if [ $rc -eq 0 ]; then ok "fresh clone: make succeeds in a root with only make"; else
	not_ok "fresh clone: make succeeds in a root with only make" "$(tail -15 "$TMP/plain.log")"
fi
check "the built mailbpf runs in the root" \
	test "$(in_root "$r" /src/mailbpf --version 2>&1)" = "mailbpf $version"
added=$(comm -13 <(echo "$before") <(root_packages "$r") | tr '\n' ' ')
echo "# make installed: $added"
lacking=$(for p in $build_set; do root_has "$r" "$p" || echo "$p"; done | tr '\n' ' ')
check "make installed the build set ($build_set)${lacking:+, lacking: $lacking}" test -z "$lacking"
extra=$(comm -13 <(echo "$before") <(root_packages "$r") |
	grep -E '^(gcc|gcc-12|libcmocka|dovecot|exim4|postfix|prometheus|fuse3|libfuse|xfsprogs|man-db|lintian|debhelper)' |
	tr '\n' ' ')
check "make installed nothing of the test set and no gcc${extra:+ (got: $extra)}" test -z "$extra"
cc=$(in_root "$r" cc --version 2>/dev/null | head -1)
check "cc is the deps step's compiler, clang ($cc)" grep -q clang <<<"$cc"

# make run: loads BPF in the root against the host kernel; SIGTERM stops it.
in_root "$r" timeout -s TERM 6 make -C /src run >"$TMP/run.log" 2>&1
sed 's/^/#   /' "$TMP/run.log" | grep -v '^#   make' | head -8
check "make run: the daemon attached and ran" grep -q '^mailbpf: running: ' "$TMP/run.log"
check "make run: SIGTERM stops it cleanly" grep -q '^mailbpf: stopping' "$TMP/run.log"
# (Alert lines are JSON: host-wide events of other tests may name errors.)
check "make run: no error" bash -c "! grep -v '^{' '$TMP/run.log' | grep -qiE 'error|\\*\\*\\*|libbpf:'"
prom=$r/src/.output/run/mailbpf.prom
n_ok=$(grep -c '^mailbpf_probe_attached{probe="[a-z_0-9]*"} 1$' "$prom" 2>/dev/null)
n_all=$(grep -c '^mailbpf_probe_attached{' "$prom" 2>/dev/null)
check "make run wrote its textfile with every probe attached ($n_ok of $n_all)" \
	test "${n_ok:-0}" -eq "${n_all:-0}" -a "${n_ok:-0}" -ge 5

# --- 2. a root that runs Postfix ------------------------------------------------
if ! r=$(new_root postfix make postfix mailutils-imap4d 2>"$TMP/postfix-root.err"); then
	not_ok "a clean Debian 12 root with make, postfix and mailutils-imap4d" \
		"$(tail -5 "$TMP/postfix-root.err")"
	finish
fi
check "the root has postfix before the build" root_has "$r" postfix
git clone -q "$ROOT" "$r/src"
in_root "$r" make -C /src >"$TMP/postfix.log" 2>&1
rc=$?
if [ $rc -eq 0 ]; then ok "fresh clone: make succeeds on a Postfix host"; else
	not_ok "fresh clone: make succeeds on a Postfix host" "$(tail -15 "$TMP/postfix.log")"
fi
check "mailbpf built on the Postfix host" test -x "$r/src/mailbpf"
check "postfix is still installed after make" root_has "$r" postfix
mail=$(root_packages "$r" | grep -E '^(exim4|dovecot|prometheus)' | tr '\n' ' ')
check "no exim, dovecot or prometheus installed${mail:+ (got: $mail)}" test -z "$mail"

# The test set on this host, simulated: Exim is left out because apt would
# remove Postfix for it; nothing is installed.
in_root "$r" bash /src/tools/install-deps.sh -n test >"$TMP/dry.out" 2>&1
rc=$?
sed 's/^/#   /' "$TMP/dry.out"
check "install-deps -n test succeeds on the Postfix host" test $rc -eq 0
check "it leaves exim4-daemon-light out, naming postfix" \
	grep -q "not installing exim4-daemon-light: installing it would remove .*postfix" "$TMP/dry.out"
check "it leaves Dovecot out, naming the other IMAP server" \
	grep -q "not installing dovecot-imapd: mailutils-imap4d already provides imap-server" "$TMP/dry.out"
check "what it would install has no exim and no dovecot" \
	bash -c "grep '^install-deps: would install' '$TMP/dry.out' | grep -vqE 'exim4|dovecot'"
check "postfix is still installed after install-deps -n" root_has "$r" postfix
check "the reason is kept for the Exim suite" \
	grep -q '^exim4-daemon-light: installing it would remove .*postfix' "$r/src/.output/deps-test.notes"
in_root "$r" bash /src/tests/integration/test_exim.sh >"$TMP/exim.out" 2>&1
sed 's/^/#   /' "$TMP/exim.out"
check "the Exim suite is skipped, saying why" \
	grep -q '^# test_exim: skipped: exim4 is not installed: .*would remove .*postfix' "$TMP/exim.out"
in_root "$r" bash /src/tests/integration/test_dovecot.sh >"$TMP/dovecot.out" 2>&1
sed 's/^/#   /' "$TMP/dovecot.out"
check "the Dovecot suite is skipped, saying why" \
	grep -q '^# test_dovecot: skipped: dovecot-core is not installed: mailutils-imap4d already provides imap-server' \
	"$TMP/dovecot.out"

# --- 3. every compiler ----------------------------------------------------------------
for cc in gcc clang; do
	command -v $cc >/dev/null || { echo "# $cc is not installed here"; continue; }
	git clone -q "$ROOT" "$TMP/$cc"
	make -C "$TMP/$cc" -j2 CC=$cc mailbpf unit .output/faultfs .output/mbload .output/mbfloor \
		>"$TMP/$cc.log" 2>&1
	rc=$?
	if [ $rc -eq 0 ]; then ok "the whole tree builds with CC=$cc (-Werror)"; else
		not_ok "the whole tree builds with CC=$cc (-Werror)" "$(grep -E 'error|warning' "$TMP/$cc.log" | head -5)"
	fi
done
if [ -d "$TMP/clang/.output/tests" ]; then
	bad=""
	n=0
	for t in "$TMP"/clang/.output/tests/test_*; do
		n=$((n + 1))
		"$t" >/dev/null 2>&1 || bad="$bad $(basename "$t")"
	done
	check "the $n clang-built unit test programs pass (ASan+UBSan)${bad:+; failing:$bad}" test -z "$bad"
fi

finish
