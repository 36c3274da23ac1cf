#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# The Debian package as a mail admin gets it: `make deb` in a fresh clone
# (artefacts in .output/deb, nothing beside the source), lintian clean,
# then `apt-get install ./mailbpf_*.deb` in a clean Debian 12 root: no
# compiler or -dev package pulled in, `mailbpf --version` and `mailbpf
# check` run, the unit, man page and conffiles are in place, the postinst
# prints check's WARN/FAIL lines without failing, and remove and purge
# leave only what Debian policy allows (conffiles until the purge).
#
# systemd itself (the start on install, the stop on remove) needs a booted
# system: the qemu VM suite covers it. Here the maintainer scripts run for
# real in a root without systemd, as dpkg runs them in a container.
#
# Cost: 55 s on a new machine, ~45 s once the root's packages are cached in
# /var/cache/mailbpf-test/apt-archives (make deb ~10 s, lintian ~5 s).
. "$(dirname "$0")/lib.sh"
. "$ROOT/tests/lib/inroot.sh"

command -v debootstrap >/dev/null || skip_all "debootstrap is not installed"
command -v dpkg-buildpackage >/dev/null || skip_all "dpkg-dev is not installed"
git -C "$ROOT" rev-parse HEAD >/dev/null 2>&1 || skip_all "$ROOT is not a git clone"
version=$(cat "$ROOT/VERSION")
deb=mailbpf_${version}_amd64.deb

# --- make deb in a fresh clone ---------------------------------------------------
mkdir -p "$TMP/b"
git clone -q "$ROOT" "$TMP/b/src"
make -C "$TMP/b/src" deb >"$TMP/deb.log" 2>&1
rc=$?
if [ $rc -eq 0 ]; then ok "make deb succeeds in a fresh clone"; else
	not_ok "make deb succeeds in a fresh clone" "$(tail -20 "$TMP/deb.log")"
	finish
fi
out=$TMP/b/src/.output/deb
check "the package is $out/$deb" test -s "$out/$deb"
check "its .changes and .buildinfo are beside it" \
	test -s "$out/mailbpf_${version}_amd64.changes" -a -s "$out/mailbpf_${version}_amd64.buildinfo"
check "nothing was written beside the source tree" test "$(ls -A "$TMP/b")" = src
check "the clone has no new or changed file (all in .output/)" \
	test -z "$(git -C "$TMP/b/src" status --porcelain)"
check "the build copy is gone" test ! -e "$TMP/b/src/.output/deb-build"

# --- lintian ---------------------------------------------------------------------------
lintian --fail-on error,warning --display-info --pedantic \
	"$out/mailbpf_${version}_amd64.changes" >"$TMP/lintian.out" 2>&1
rc=$?
grep -v 'running with root privileges' "$TMP/lintian.out" | sed 's/^/#   /'
check "lintian: no error and no warning" test $rc -eq 0
# Every override says why (a comment line right above it).
check "every lintian override has a reason" awk '
	/^#/ { c = 1; next }
	/^[[:space:]]*$/ { next }
	{ if (!c) bad = 1; c = 0 }
	END { exit bad }' "$ROOT/debian/mailbpf.lintian-overrides"

# --- what the package says about itself ------------------------------------------
depends=$(dpkg-deb -f "$out/$deb" Depends | tr ',' '\n' | sed 's/(.*//; s/ //g' | sort | paste -sd' ')
check "Depends is libc6, libelf1, zlib1g only ($depends)" test "$depends" = "libc6 libelf1 zlib1g"
check "Recommends prometheus-node-exporter" \
	test "$(dpkg-deb -f "$out/$deb" Recommends)" = prometheus-node-exporter
mkdir -p "$TMP/x"
dpkg-deb -x "$out/$deb" "$TMP/x"
check "libbpf is linked statically (no libbpf.so needed)" \
	bash -c "! readelf -d '$TMP/x/usr/sbin/mailbpf' | grep -q 'libbpf'"

# --- install into a clean root ----------------------------------------------------
if ! r=$(new_root pkg 2>"$TMP/root.err"); then
	not_ok "a clean Debian 12 root" "$(tail -5 "$TMP/root.err")"
	finish
fi
cp "$out/$deb" "$r/tmp/"
# Everything outside apt's and dpkg's own records, to compare after purge.
snapshot() {
	(cd "$r" && find . -xdev \( -path ./proc -o -path ./sys -o -path ./dev -o -path ./tmp \
		-o -path ./var/cache -o -path ./var/lib/apt -o -path ./var/lib/dpkg \
		-o -path ./var/log \) -prune -o -print) | sort
}
snapshot >"$TMP/before.files"
before=$(root_packages "$r")

in_root "$r" sh -c "cd /tmp && apt-get -o APT::Sandbox::User=root install -y ./$deb" \
	>"$TMP/install.log" 2>&1
rc=$?
check "apt-get install ./$deb succeeds" test $rc -eq 0
added=$(comm -13 <(echo "$before") <(root_packages "$r"))
echo "# the package pulled in: $(echo $added)"
tools=$(grep -E -- '-dev$|^(gcc|g\+\+|cpp|clang|llvm|binutils|make$|libc6-dev)' <<<"$added" | tr '\n' ' ')
check "it pulls no compiler and no -dev package${tools:+ (got: $tools)}" test -z "$tools"
check "it pulls prometheus-node-exporter (Recommends)" grep -qx prometheus-node-exporter <<<"$added"
grep '^mailbpf' "$TMP/install.log" | sed 's/^/#   /'
check "the postinst printed mailbpf check's WARN lines" grep -q '^mailbpf check: WARN ' "$TMP/install.log"
check "the textfile directory exists, so no 'not started' note" \
	bash -c "! grep -q 'mailbpf: not started' '$TMP/install.log'"

check "mailbpf --version" test "$(in_root "$r" mailbpf --version 2>&1)" = "mailbpf $version"
in_root "$r" mailbpf check >"$TMP/check.out" 2>&1
rc=$?
sed 's/^/#   /' "$TMP/check.out"
check "mailbpf check runs in the root (no FAIL, exit $rc)" test $rc -eq 0
# Every probe family's line (exec, signal, xfs, ext4, block, ...) is OK.
n_ok=$(grep -c '^OK    probe [a-z_0-9]*: attached$' "$TMP/check.out")
n_all=$(grep -Ec '^(OK|WARN|FAIL) +probe [a-z_0-9]*:' "$TMP/check.out")
check "mailbpf check attached every probe family ($n_ok of $n_all)" test "$n_ok" -eq "$n_all" -a "$n_ok" -ge 5

in_root "$r" dpkg -L mailbpf >"$TMP/files"
for f in /usr/sbin/mailbpf /lib/systemd/system/mailbpf.service /usr/share/man/man8/mailbpf.8.gz \
	/etc/mailbpf/mailbpf.conf /etc/logrotate.d/mailbpf /var/lib/mailbpf \
	/usr/share/mailbpf/prometheus/mailbpf.rules.yml /usr/share/mailbpf/grafana/mailbpf.json; do
	check "dpkg -L lists $f" grep -qx "$f" "$TMP/files"
done
conffiles=$(in_root "$r" dpkg-query -W -f='${Conffiles}\n' mailbpf | awk 'NF { print $1 }' | sort | tr '\n' ' ')
check "conffiles: /etc/logrotate.d/mailbpf /etc/mailbpf/mailbpf.conf ($conffiles)" \
	test "$conffiles" = "/etc/logrotate.d/mailbpf /etc/mailbpf/mailbpf.conf "
check "the unit is enabled for multi-user.target" \
	test -L "$r/etc/systemd/system/multi-user.target.wants/mailbpf.service"
check "the installed config is the example" cmp -s "$r/etc/mailbpf/mailbpf.conf" "$ROOT/deploy/mailbpf.conf.example"

# Run the daemon as its unit would, so remove and purge have state to clear.
mkdir -p "$r/var/log/mailbpf"
in_root "$r" timeout -s TERM 3 mailbpf run --alert-log /var/log/mailbpf/alerts.log >"$TMP/run.log" 2>&1
check "the installed daemon runs with its packaged config" grep -q '^mailbpf: running: ' "$TMP/run.log"
check "it wrote the node_exporter textfile" test -s "$r/var/lib/prometheus/node-exporter/mailbpf.prom"
echo '{"kept":"until purge"}' >>"$r/var/log/mailbpf/alerts.log"
echo state >"$r/var/lib/mailbpf/kept-until-purge"

# --- remove: binary gone, conffiles and state kept; purge: nothing left ------
in_root "$r" apt-get remove -y mailbpf >"$TMP/remove.log" 2>&1
check "apt-get remove succeeds" test $? -eq 0
check "remove: the binary is gone" test ! -e "$r/usr/sbin/mailbpf"
check "remove: the unit is gone" test ! -e "$r/lib/systemd/system/mailbpf.service"
check "remove: the conffile stays (policy)" test -s "$r/etc/mailbpf/mailbpf.conf"
check "remove: the state stays until purge" test -s "$r/var/lib/mailbpf/kept-until-purge"
check "remove: the textfile is gone (no stale metrics)" \
	test ! -e "$r/var/lib/prometheus/node-exporter/mailbpf.prom"
in_root "$r" apt-get purge -y --autoremove mailbpf >"$TMP/purge.log" 2>&1
check "apt-get purge --autoremove succeeds" test $? -eq 0
check "purge: /etc/mailbpf is gone" test ! -e "$r/etc/mailbpf"
check "purge: /var/lib/mailbpf is gone" test ! -e "$r/var/lib/mailbpf"
check "purge: /var/log/mailbpf is gone" test ! -e "$r/var/log/mailbpf"
check "purge: the unit's enablement is gone" \
	test ! -e "$r/etc/systemd/system/multi-user.target.wants/mailbpf.service"
check "purge: dpkg forgot mailbpf" bash -c "! chroot '$r' dpkg-query -W mailbpf >/dev/null 2>&1"
# What mailbpf owned or made is gone, but for directories that were there
# before (/etc, /usr/sbin, ...) or that a package still installed owns
# (/lib/systemd/system). Its Recommends' own packages are apt's autoremove
# policy, not mailbpf's: they are only listed.
left=$(while read -r f; do
	[ "$f" != /. ] || continue
	[ -e "$r$f" ] || [ -L "$r$f" ] || continue
	grep -qxF ".$f" "$TMP/before.files" && continue
	[ -d "$r$f" ] && in_root "$r" dpkg-query -S "$f" >/dev/null 2>&1 && continue
	echo "$f"
done <"$TMP/files")
left="$left$(snapshot | grep mailbpf)"
[ -z "$left" ] || printf '#   left: %s\n' $left
check "purge: nothing of mailbpf's is left" test -z "$left"
echo "# still installed (autoremove kept them): $(comm -13 <(echo "$before") <(root_packages "$r") | tr '\n' ' ')"

# --- without node_exporter: installed, not started, told why -------------------
# On a root with no Recommends ever installed, apt's purge --autoremove must
# restore it exactly.
in_root "$r" apt-get purge -y prometheus-node-exporter >/dev/null 2>&1
in_root "$r" apt-get purge -y --autoremove >/dev/null 2>&1
snapshot >"$TMP/before2.files"
in_root "$r" sh -c "cd /tmp && apt-get -o APT::Sandbox::User=root install -y --no-install-recommends ./$deb" \
	>"$TMP/install2.log" 2>&1
check "install without Recommends succeeds" test $? -eq 0
check "the postinst says why it did not start the service" \
	grep -q '^mailbpf: not started: the textfile directory /var/lib/prometheus/node-exporter does not exist' \
	"$TMP/install2.log"
check "and still prints check's lines" grep -q '^mailbpf check: ' "$TMP/install2.log"
in_root "$r" apt-get purge -y --autoremove mailbpf >/dev/null 2>&1
left=$(comm -13 "$TMP/before2.files" <(snapshot))
[ -z "$left" ] || printf '#   left: %s\n' $left
check "purge again: the root is as before the install" test -z "$left"

finish
