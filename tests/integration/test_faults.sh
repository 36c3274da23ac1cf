#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Faults around the daemon, each one made real: no privilege, a symlink
# planted where the textfile goes, the textfile directory removed, made
# read-only, or on a full disk, the daemon SIGKILLed, a ring buffer far too
# small for a burst, and broken configuration files. What must hold: a
# clear error and nothing attached when mailbpf cannot run; no write through
# a planted link; monitoring goes on while the textfile cannot be written,
# the last good file stays, failures are counted and it recovers; lost
# records are counted while the kernel-side counts stay exact.
. "$(dirname "$0")/lib.sh"

# no_bpf_calls FILE: an strace log with no bpf(2) call in it.
no_bpf_calls() { ! grep -q 'bpf(' "$1"; }

# ---------------------------------------------------------------- (a)
# Without privilege: the check runs before anything touches the kernel, so
# strace must see no bpf(2) call at all, and stderr says what is missing.
NB=(setpriv --reuid=nobody --regid=nogroup --clear-groups --inh-caps=-all)
for cmd in run trace; do
	args=()
	[ "$cmd" = run ] && args=(--textfile "$TMP/nobody/mailbpf.prom" --alert-log -)
	strace -f -qq -e trace=bpf -o "$TMP/strace.$cmd" \
		"${NB[@]}" "$MAILBPF" "$cmd" "${args[@]}" >"$TMP/nobody.$cmd.out" 2>"$TMP/nobody.$cmd.err"
	rc=$?
	check "$cmd as nobody exits 1" test "$rc" -eq 1
	check "$cmd as nobody names CAP_BPF, CAP_PERFMON and root" \
		grep -q 'needs root, or CAP_BPF and CAP_PERFMON (have CAP_BPF=no, CAP_PERFMON=no)' \
		"$TMP/nobody.$cmd.err"
	check "$cmd as nobody makes no bpf() call" no_bpf_calls "$TMP/strace.$cmd"
done
check "run as nobody writes no textfile" test ! -e "$TMP/nobody/mailbpf.prom"
# Root with CAP_BPF alone (bounding set): the message says which one is missing.
setpriv --bounding-set=-all,+bpf "$MAILBPF" run --textfile "$TMP/capbpf.prom" \
	--alert-log - >/dev/null 2>"$TMP/capbpf.err"
check "run with CAP_BPF only exits 1" test $? -eq 1
check "run with CAP_BPF only says CAP_PERFMON is missing" \
	grep -q 'have CAP_BPF=yes, CAP_PERFMON=no' "$TMP/capbpf.err"

# ---------------------------------------------------------------- (b)
# A symlink planted at the textfile path, pointing at a file elsewhere:
# rename() replaces the link, the target is never written. The daemon runs
# under umask 077 and the file must still be 0644 (node_exporter is another
# user).
mkdir -p "$TMP/textfile" "$TMP/outside"
echo sentinel >"$TMP/outside/target"
ln -s "$TMP/outside/target" "$TMP/textfile/mailbpf.prom"
umask 077
start_run --interval 1 || { not_ok "daemon starts" "$(cat "$TMP/run.err")"; finish; }
umask 022
ok "daemon starts under umask 077 with a symlink at the textfile path"
check "the symlink is replaced by a regular file" \
	eval 'test -f "$TEXTFILE" && test ! -L "$TEXTFILE"'
check "the symlink's target is untouched" test "$(cat "$TMP/outside/target")" = sentinel
check "textfile mode is 0644 despite umask 077" test "$(stat -c %a "$TEXTFILE")" = 644

# Every temporary is created O_EXCL|O_NOFOLLOW, 0644, and fchmod'ed 0644:
# watch the daemon write two files.
timeout 2.5 strace -qq -p "$RUN_PID" -e trace=openat,fchmod,rename \
	-o "$TMP/strace.write" >/dev/null 2>&1
tmpopen=$(grep -F '.mailbpf.prom.tmp.' "$TMP/strace.write" | grep openat | head -1)
echo "# ${tmpopen:-no temporary seen}"
check "temporary opened O_EXCL|O_NOFOLLOW with mode 0644" \
	grep -Eq 'O_EXCL.*O_NOFOLLOW.*, 0644\)' <<<"$tmpopen"
check "temporary fchmod'ed to 0644" grep -q 'fchmod([0-9]*, 0644)' "$TMP/strace.write"
check "temporary renamed over the textfile" \
	grep -q "rename(\"$TMP/textfile/.mailbpf.prom.tmp.$RUN_PID\", \"$TEXTFILE\")" \
	"$TMP/strace.write"

# A symlink planted at the temporary's own name (it is predictable: the
# pid): O_NOFOLLOW|O_EXCL refuses it, the daemon removes it and retries.
echo sentinel2 >"$TMP/outside/target2"
ln -s "$TMP/outside/target2" "$TMP/textfile/.mailbpf.prom.tmp.$RUN_PID"
t1=$(metric mailbpf_last_update_timestamp_seconds)
updated() { test "$(metric mailbpf_last_update_timestamp_seconds)" != "$1"; }
check "textfile still updated with a symlink at the temporary's name" wait_for 5 updated "$t1"
check "that symlink's target is untouched" test "$(cat "$TMP/outside/target2")" = sentinel2
check "no stray file left in the textfile directory" \
	test "$(ls -A "$TMP/textfile")" = mailbpf.prom

# ---------------------------------------------------------------- (c)
# The textfile directory removed at runtime: the daemon keeps running and
# keeps counting (an E2BIG during the outage must show up exactly once the
# directory is back), says so once, counts the failed writes, recovers.
big=$(head -c 204800 /dev/zero | tr '\0' x)
cp /bin/true "$TMP/mbfault-e2big"
rm -rf "$TMP/textfile"
for i in 1 2 3; do "$TMP/mbfault-e2big" "$big" 2>/dev/null; done
sleep 2.5 # at least two failed writes
check "daemon survives its textfile directory vanishing" kill -0 "$RUN_PID"
check "it says it cannot write, naming the file" \
	grep -q "cannot write $TEXTFILE: No such file or directory (will retry)" "$TMP/run.err"
check "it goes on monitoring: the E2BIG alert is written meanwhile" \
	grep -q '"kind":"exec_e2big".*mbfault-e2big' "$TMP/alerts.log"
mkdir "$TMP/textfile"
check "textfile back once the directory is" wait_for 5 test -s "$TEXTFILE"
errs=$(metric mailbpf_textfile_write_errors_total)
echo "# textfile write errors while the directory was gone: $errs"
check "failed writes counted (${errs:-none})" test "${errs:-0}" -ge 2
check "the E2BIGs during the outage counted exactly" \
	test "$(metric 'mailbpf_exec_failures_total{errno="E2BIG",program="mbfault-e2big"}')" = 3
check "recovery is logged" grep -q "writing $TEXTFILE works again" "$TMP/run.err"

# Read-only: the directory bind-mounted read-only over itself.
mount --bind "$TMP/textfile" "$TMP/textfile" && at_exit "umount -l '$TMP/textfile'"
mount -o remount,bind,ro "$TMP/textfile"
cp "$TEXTFILE" "$TMP/before-ro.prom"
sleep 2.5
check "read-only directory: the last good file stays as it was" cmp -s "$TEXTFILE" "$TMP/before-ro.prom"
check "read-only directory: the error is EROFS" grep -q "Read-only file system" "$TMP/run.err"
umount "$TMP/textfile"
more_errors() { test "$(metric mailbpf_textfile_write_errors_total)" -ge "$((errs + 2))"; }
check "read-only failures counted after recovery" wait_for 5 more_errors
check "daemon still alive" kill -0 "$RUN_PID"
stop_run
check "daemon exits 0 after all that" test "$RUN_RC" -eq 0

# ---------------------------------------------------------------- (c) full disk, (d)
# A 64 KiB tmpfs as the textfile directory, filled up by another file: the
# write fails with ENOSPC, the temporary is removed, the last good file
# stays whole and parseable, and the file comes back when space does.
rm -rf "$TMP/textfile"
mkdir -p "$TMP/textfile"
mount -t tmpfs -o size=64k,mode=0755 mbfault-tiny "$TMP/textfile" &&
	at_exit "umount -l '$TMP/textfile'"
start_run --interval 1 || { not_ok "daemon starts on a tiny tmpfs" "$(cat "$TMP/run.err")"; finish; }
dd if=/dev/zero of="$TMP/textfile/fill" bs=4k 2>/dev/null
check "disk full: the failure is reported" \
	wait_for 5 grep -q "cannot write $TEXTFILE: No space left on device" "$TMP/run.err"
cp "$TEXTFILE" "$TMP/before-full.prom"
sleep 2.2
check "disk full: the last good file is unchanged" cmp -s "$TEXTFILE" "$TMP/before-full.prom"
check "disk full: the last good file passes promtool" promtool check metrics <"$TEXTFILE"
check "disk full: no temporary left behind" \
	test "$(ls -A "$TMP/textfile" | sort | tr '\n' ' ')" = "fill mailbpf.prom "
rm "$TMP/textfile/fill"
full_errors() { test "$(metric mailbpf_textfile_write_errors_total)" -ge 2; }
check "disk full: recovers, failures counted" wait_for 5 full_errors
echo "# textfile write errors on the full disk: $(metric mailbpf_textfile_write_errors_total)"

# (d) SIGKILL: no cleanup runs, yet the file is whole (it only ever changes
# by rename), its timestamp stops, and the kernel frees the probes.
progs=$(awk '/^prog_id:/ { print $2 }' /proc/"$RUN_PID"/fdinfo/* 2>/dev/null | sort -u)
kill -KILL "$RUN_PID"
wait "$RUN_PID" 2>/dev/null
check "after SIGKILL the textfile passes promtool" promtool check metrics <"$TEXTFILE"
t1=$(metric mailbpf_last_update_timestamp_seconds)
sleep 2.2
check "after SIGKILL the timestamp stops moving" \
	test "$(metric mailbpf_last_update_timestamp_seconds)" = "$t1"
check "after SIGKILL only mailbpf.prom is a *.prom file" \
	test "$(cd "$TMP/textfile" && ls -- *.prom)" = mailbpf.prom
progs_gone() {
	local id
	for id in $progs; do bpftool prog show id "$id" >/dev/null 2>&1 && return 1; done
	return 0
}
check "after SIGKILL its $(wc -w <<<"$progs") BPF programs are gone" \
	eval 'test -n "$progs" && wait_for 10 progs_gone'
umount "$TMP/textfile"

# ---------------------------------------------------------------- (e)
# The smallest ring buffer (4 KiB, about 20 signal records) and bursts far
# bigger: exec records (300 distinct programs, none rate-limited) are lost
# and counted per probe; the reload storm is folded in the kernel (first
# reload, first collision, then one record a second), so none of its
# records are lost; the counts kept in kernel maps stay exact either way. A watched daemon of our own, so that nobody
# else's signals are counted.
master_comm=mbf-$$
master_comm=${master_comm:0:15}
printf '[daemon faultd]\ncomm = %s\n' "$master_comm" >"$TMP/faults.conf"
start_run --interval 1 --ringbuf-kb 4 --config "$TMP/faults.conf" ||
	{ not_ok "daemon starts with --ringbuf-kb 4" "$(cat "$TMP/run.err")"; finish; }
python3 -c '
import ctypes, signal, sys, time
ctypes.CDLL(None).prctl(15, sys.argv[1].encode(), 0, 0, 0)
signal.signal(signal.SIGHUP, lambda *a: None)
open(sys.argv[2], "w").close()
time.sleep(60)
' "$master_comm" "$TMP/master.ready" &
master=$!
disown "$master"
at_exit "kill -9 $master"
wait_for 5 test -e "$TMP/master.ready"
# 8 senders with their own names, 500 SIGHUPs each, all at once.
sent=$(python3 -c '
import ctypes, os, signal, sys
pid, kids = int(sys.argv[1]), []
for k in range(8):
    c = os.fork()
    if c == 0:
        ctypes.CDLL(None).prctl(15, b"mbf-sender-%d" % k, 0, 0, 0)
        for _ in range(500):
            os.kill(pid, signal.SIGHUP)
        os._exit(0)
    kids.append(c)
print(sum(os.waitpid(c, 0)[1] == 0 for c in kids) * 500)
' "$master")
# 300 distinct programs failing with ENOEXEC, as fast as one process can.
mkdir "$TMP/burst"
printf '\0\0\0\0' >"$TMP/burst/noexec"
chmod 755 "$TMP/burst/noexec"
for i in $(seq -w 1 300); do ln -s noexec "$TMP/burst/fault$i"; done
failed=$(python3 -c '
import errno, os, sys
n = 0
for i in range(1, 301):
    try:
        os.execv("%s/fault%03d" % (sys.argv[1], i), ["x"])
    except OSError as e:
        n += e.errno == errno.ENOEXEC
print(n)
' "$TMP/burst")
check "4000 SIGHUPs sent" test "$sent" = 4000
check "300 ENOEXECs" test "$failed" = 300
reloads_counted() { test "$(metric "mailbpf_reload_signals_total{daemon=\"faultd\",signal=\"SIGHUP\"}")" = 4000; }
wait_for 5 reloads_counted
n=$(metric "mailbpf_reload_signals_total{daemon=\"faultd\",signal=\"SIGHUP\"}")
check "every one of the 4000 reloads counted (${n:-none})" test "${n:-0}" = 4000
enoexec_sum() {
	awk '/^mailbpf_exec_failures_total[{]errno="ENOEXEC",/ { s += $NF } END { print s + 0 }' "$TEXTFILE"
}
enoexec_counted() { test "$(enoexec_sum)" -ge 300; }
wait_for 5 enoexec_counted
check "every one of the 300 ENOEXECs counted ($(enoexec_sum))" test "$(enoexec_sum)" = 300
lost_sig=$(metric 'mailbpf_events_lost_total{probe="signal"}')
lost_exec=$(metric 'mailbpf_events_lost_total{probe="exec"}')
echo "# records lost with a 4 KiB ring buffer: signal ${lost_sig:-?} of 4000, exec ${lost_exec:-?} of 300"
check "reload storm folded in the kernel: no signal record lost (${lost_sig:-none})" \
	test "${lost_sig:-x}" = 0
check "lost exec records counted (${lost_exec:-none})" test "${lost_exec:-0}" -gt 0
check "the textfile passes promtool" promtool check metrics <"$TEXTFILE"

# ---------------------------------------------------------------- (f)
# Bad configuration, on start: exit 2, "FILE:LINE: key: ..." on stderr,
# nothing loaded (no bpf(2) call) and no textfile written. On SIGHUP: the
# same message, and the running daemon keeps its configuration.
bad_config() { # bad_config NAME "FILE:LINE: KEY" CONTENT (printf format)
	local f=$TMP/$1.conf
	printf "$3" >"$f"
	strace -f -qq -e trace=bpf -o "$TMP/strace.$1" "$MAILBPF" run --config "$f" \
		--textfile "$TMP/bad/m.prom" --state-dir "$TMP/bad/state" \
		--alert-log "$TMP/bad/alerts.log" >/dev/null 2>"$TMP/$1.err"
	local rc=$?
	if [ "$rc" -eq 2 ] && grep -qF -- "$f:$2" "$TMP/$1.err" && no_bpf_calls "$TMP/strace.$1" &&
		[ ! -e "$TMP/bad/m.prom" ] && ! grep -q running: "$TMP/$1.err"; then
		ok "bad config ($1): exit 2, '$2', nothing attached"
	else
		not_ok "bad config ($1): exit 2, '$2', nothing attached" \
			"exit $rc" "$(cat "$TMP/$1.err")" "$(grep -c 'bpf(' "$TMP/strace.$1") bpf calls"
	fi
}
mkdir -p "$TMP/bad"
bad_config unknown_key "3: bogus: unknown key" '[global]\ninterval = 15\nbogus = 1\n'
bad_config bad_interval "2: interval: bad value '0'" '[global]\ninterval = 0\n'
bad_config bare_window "3: window: bad value '5'" '# comment\n[daemon dovecot]\nwindow = 5\n'
bad_config dup_key "3: top_n: duplicate key (first set on line 2)" '[global]\ntop_n = 5\ntop_n = 6\n'
bad_config no_equals "2: interval 15: missing '='" '[global]\ninterval 15\n'
bad_config bad_section "1: [globl]: unknown section" '[globl]\n'
bad_config outside "1: interval: key outside a section" 'interval = 15\n'
bad_config long_comm "2: comm: bad value" '[daemon x]\ncomm = abcdefghijklmnopq\n'
bad_config no_comm "1: comm: missing in [daemon x]" '[daemon x]\nwindow = 5s\n'
bad_config two_owners "1: comm: 'dovecot' is in both" '[daemon x]\ncomm = dovecot\n'
bad_config too_many "11: [daemon f]: too many daemons" \
	'[daemon a]\ncomm = a\n[daemon b]\ncomm = b\n[daemon c]\ncomm = c\n[daemon d]\ncomm = d\n[daemon e]\ncomm = e\n[daemon f]\ncomm = f\n'
bad_config long_line "2: alert_log: line too long" "[global]\nalert_log = /$(head -c 1100 /dev/zero | tr '\0' a)\n"
bad_config bad_signal "2: signals: bad value 'HUP KILLME'" '[daemon dovecot]\nsignals = HUP KILLME\n'
# A hostile value is quoted escaped: no raw ESC reaches the terminal.
bad_config escape "2: textfile: bad value '/x/\\x1b[31m\\x01.prm'" '[global]\ntextfile = /x/\033[31m\001.prm\n'
no_raw_esc() { ! LC_ALL=C grep -q $'\x1b' "$1"; }
check "bad config: no raw ESC on stderr" no_raw_esc "$TMP/escape.err"
"$MAILBPF" run --config "$TMP/nonexistent.conf" --textfile "$TMP/bad/m.prom" \
	--alert-log - >/dev/null 2>"$TMP/missing.err"
rc=$?
check "missing config file: exit 2 and the file named" \
	eval 'test $rc -eq 2 && grep -q "$TMP/nonexistent.conf: No such file or directory" "$TMP/missing.err"'

# SIGHUP with a broken file: reported, old configuration kept, still counting.
printf '[daemon faultd]\ncomm = %s\nwindow = 5\n' "$master_comm" >"$TMP/faults.conf"
kill -HUP "$RUN_PID"
check "SIGHUP with a bad config: error names file:line and key" \
	wait_for 5 grep -qF "$TMP/faults.conf:3: window: bad value '5'" "$TMP/run.err"
check "SIGHUP with a bad config: the running configuration is kept" \
	grep -q "config reload failed; keeping the running configuration" "$TMP/run.err"
python3 -c 'import os, sys; os.kill(int(sys.argv[1]), 1)' "$master"
reload_4001() { test "$(metric "mailbpf_reload_signals_total{daemon=\"faultd\",signal=\"SIGHUP\"}")" = 4001; }
check "still watching faultd after the failed reload" wait_for 5 reload_4001
stop_run
check "daemon exits 0" test "$RUN_RC" -eq 0
finish
