#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Packaging: `make install DESTDIR=...` lays out everything a Debian mail
# host needs, the man page renders, the installed binary runs, and
# `mailbpf check` passes on this machine.
. "$(dirname "$0")/lib.sh"

dest=$TMP/root
make -C "$ROOT" -s install DESTDIR="$dest" PREFIX=/usr >"$TMP/install.log" 2>&1
check "make install DESTDIR succeeds" test $? -eq 0
for f in usr/sbin/mailbpf usr/share/man/man8/mailbpf.8 lib/systemd/system/mailbpf.service \
	usr/share/mailbpf/prometheus/mailbpf.rules.yml usr/share/mailbpf/grafana/mailbpf.json \
	etc/mailbpf/mailbpf.conf etc/logrotate.d/mailbpf; do
	check "installed $f" test -s "$dest/$f"
done
check "binary is executable" test -x "$dest/usr/sbin/mailbpf"
check "installed binary runs" "$dest/usr/sbin/mailbpf" --version
check "unit starts the installed binary" grep -q '^ExecStart=/usr/sbin/mailbpf run' \
	"$dest/lib/systemd/system/mailbpf.service"
check "unit reloads with SIGHUP" grep -q '^ExecReload=.*HUP' "$dest/lib/systemd/system/mailbpf.service"
# The example config installed as /etc/mailbpf/mailbpf.conf must be valid as is.
"$dest/usr/sbin/mailbpf" check --config "$dest/etc/mailbpf/mailbpf.conf" >"$TMP/check.out" 2>&1
rc=$?
cat "$TMP/check.out" | sed 's/^/#   /'
check "mailbpf check passes (exit 0)" test $rc -eq 0
# Every family line (exec, exec_near, signal, xfs, block, ext4, ...) says attached.
check "check attached every probe" eval \
	'test "$(grep -c "^OK    probe [a-z_0-9]*: attached$" "$TMP/check.out")" -ge 6 &&
	! grep -Eq "^(WARN|FAIL) +probe [a-z_0-9]*: (not attached|.* left out)" "$TMP/check.out"'
# Which tier is this kernel's to say: check names the one in use, and why not a better one.
check "check names the exec probe in use" grep -Eq '^(OK|WARN) +exec probe: (fexit|syscall \(fexit: .+\))$' "$TMP/check.out"
if command -v man >/dev/null; then
	MANWIDTH=80 man -l "$dest/usr/share/man/man8/mailbpf.8" >"$TMP/man.txt" 2>"$TMP/man.err"
	check "man page renders" test -s "$TMP/man.txt"
	check "man page documents every command" grep -q 'trace' "$TMP/man.txt"
fi
# Reinstalling must not overwrite an admin's config.
echo "# edited" >>"$dest/etc/mailbpf/mailbpf.conf"
make -C "$ROOT" -s install DESTDIR="$dest" PREFIX=/usr >/dev/null 2>&1
check "reinstall keeps the admin's config" grep -q '^# edited' "$dest/etc/mailbpf/mailbpf.conf"

finish
