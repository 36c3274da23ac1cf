#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Hostile input, end to end. Any local user chooses the strings mailbpf
# reports: a process renames itself with prctl(PR_SET_NAME), a file can be
# called anything but "/" and NUL. Real processes and real files with such
# names (quotes, backslashes, newlines, ESC sequences, invalid UTF-8, bidi
# and C1 controls) go through the real kernel into all four outputs, and
# each output must stay well-formed with nothing forged:
#   - the textfile passes promtool, and a real node_exporter scrapes it
#     without error and without any series the attacker wrote;
#   - `trace` (human) has no raw control byte, no line split by a newline;
#   - `trace --json` and the alert log are valid JSON whose strings give the
#     original bytes back (invalid UTF-8 as U+FFFD).
# Then cardinality: 2000 distinct failing program names in a burst may not
# grow the textfile past top_n series, must still add up exactly, and the
# daemon's memory must stay small; the label table must hold its bound at
# top_n = 1 too; and a flood of 30000 distinct names must not erase the
# exact counts of what happened before it.
. "$(dirname "$0")/lib.sh"

HELPER=$TMP/hostile.py
cat >"$HELPER" <<'EOF'
import ctypes, errno, json, os, re, resource, shutil, signal, subprocess, sys, time, urllib.request

# Each fits in a comm (15 bytes), so the kernel keeps every byte of it.
NAMES = {
    "forge_fs": b'x"}\nmailbpf_fs_',          # close the label, start a series
    "forge_ok": b'"} 1\nmbevil 7\n#',         # a whole forged sample if unescaped
    "ansi":     b'\x1b[31mred\\"\x1b[0m',     # ESC sequences, backslash, quote
    "badutf8":  b'inv\xff\xfe\xc0\xaf"\\\n\x7f',  # invalid and overlong UTF-8, DEL
    "bidi":     b'\xe2\x80\xaeabc\xc2\x9b31m',    # RLO and C1 CSI: valid UTF-8 a terminal obeys
    "literal":  b'a\\nb\\"c',                 # a literal backslash-n is not a newline
}
# The directory the hostile programs live in: the whole file name reaches
# trace and the alert log (the textfile only sees the basename).
HDIR = b'x"}\n\x1b[31mmailbpf_fs_shutdown{device="evil"} 1\n\xff\xfe'
libc = ctypes.CDLL(None)

def name(arg):
    return NAMES[arg] if arg in NAMES else arg.encode()

def rename(b):
    libc.prctl(15, ctypes.c_char_p(b), 0, 0, 0)

def hpath(tmp, key):
    return os.path.join(tmp.encode(), HDIR, NAMES[key])

def utf8len(b, i):
    for k in (1, 2, 3, 4):
        try:
            b[i:i + k].decode("utf-8")
            return k
        except UnicodeDecodeError:
            pass
    return 0

def lossy(b, keep=None):
    """What a reader of the output must get back: valid UTF-8 as is, each
    invalid byte as U+FFFD, and control characters either kept (keep=None)
    or, if not in keep, U+FFFD (the Prometheus format has no escape for them)."""
    out, i = [], 0
    while i < len(b):
        n = utf8len(b, i)
        if not n:
            out.append("\ufffd")
            i += 1
            continue
        ch = b[i:i + n].decode()
        i += n
        if keep is not None and (ord(ch) < 0x20 or ord(ch) == 0x7f) and ch not in keep:
            ch = "\ufffd"
        out.append(ch)
    return "".join(out)

def term_unsafe(cp):
    return (cp < 0x20 or cp == 0x7f or 0x80 <= cp <= 0x9f or cp in (0x61c, 0x200e, 0x200f)
            or 0x202a <= cp <= 0x202e or 0x2066 <= cp <= 0x2069)

def term_esc(b):
    """mb_term_escape() as escape.h documents it."""
    out, i = [], 0
    while i < len(b):
        c = b[i]
        if c == 0x5c:
            out.append("\\\\"); i += 1; continue
        if 0x20 <= c < 0x7f:
            out.append(chr(c)); i += 1; continue
        n = utf8len(b, i)
        if n > 1 and not term_unsafe(ord(b[i:i + n].decode())):
            out.append(b[i:i + n].decode()); i += n; continue
        n = max(n, 1)
        out.append("".join("\\x%02x" % x for x in b[i:i + n])); i += n
    return "".join(out)

def result(ok, what, why=""):
    print(("PASS " if ok else "FAIL ") + what + ("" if ok or not why else ": " + why))

# ---- making events ----
def cmd_spawn(arg, secs, marker):
    rename(name(arg))
    for s in (signal.SIGHUP, signal.SIGUSR1, signal.SIGUSR2):
        signal.signal(s, lambda *a: None)
    open(marker, "w").close()
    time.sleep(float(secs))

def cmd_send(arg, sig, pid):
    rename(name(arg))
    os.kill(int(pid), int(sig))

def cmd_send_pair(arg1, arg2, sig, pid):
    """Two reloads 20 ms apart from two names (one process renaming
    itself): well inside the window whatever the load on the host."""
    cmd_send(arg1, sig, pid)
    time.sleep(0.02)
    cmd_send(arg2, sig, pid)

def cmd_e2big(tmp):
    """Copies of /bin/true with hostile names, exec'd by a caller with the
    same hostile comm, with a 200 KiB argument: E2BIG before the point of
    no return, so this process lives on to try the next one."""
    os.makedirs(os.path.join(tmp.encode(), HDIR), exist_ok=True)
    big = b"x" * 204800
    n = 0
    for key in NAMES:
        p = hpath(tmp, key)
        shutil.copy("/bin/true", p)
        os.chmod(p, 0o755)
        rename(NAMES[key])
        try:
            os.execv(p, [p, big])
        except OSError as e:
            n += e.errno == errno.E2BIG
    print(n)

def cmd_near(tmp):
    """The same files run successfully with 62 % of the argument limit
    (2 MiB under an 8 MiB stack): near misses, so each name also becomes
    the comm of a running process and a headroom label."""
    soft, hard = resource.getrlimit(resource.RLIMIT_STACK)
    want = 8 << 20
    if hard == resource.RLIM_INFINITY or hard >= want:
        resource.setrlimit(resource.RLIMIT_STACK, (want, hard))
    n = 0
    for key in NAMES:
        p = hpath(tmp, key)
        n += subprocess.run([p] + [b"y" * 100000] * 13, env={}).returncode == 0
    print(n)

def cmd_burst(d, count):
    """count symlinks p0001.. to one file the kernel cannot run: each exec
    fails with ENOEXEC (before the point of no return) under its own name."""
    count = int(count)
    os.makedirs(d)
    target = os.path.join(d, "noexec")
    with open(target, "wb") as f:
        f.write(b"\0" * 64)
    os.chmod(target, 0o755)
    for i in range(1, count + 1):
        os.symlink("noexec", os.path.join(d, "p%04d" % i))
    n = 0
    for i in range(1, count + 1):
        try:
            os.execv(os.path.join(d, "p%04d" % i), ["p"])
        except OSError as e:
            n += e.errno == errno.ENOEXEC
    print(n)

# ---- reading outputs ----
def parse_sample(line):
    """One exposition line -> (name, {label: value}, value), escapes undone."""
    m = re.match(r"([a-zA-Z_:][a-zA-Z0-9_:]*)", line)
    if not m:
        raise ValueError("no metric name")
    i, labels = m.end(), {}
    if line[i:i + 1] == "{":
        i += 1
        while line[i] != "}":
            j = line.index("=", i)
            key = line[i:j]
            if line[j + 1] != '"':
                raise ValueError("unquoted label value")
            i, v = j + 2, []
            while line[i] != '"':
                if line[i] == "\\":
                    v.append({"\\": "\\", '"': '"', "n": "\n"}[line[i + 1]])
                    i += 2
                else:
                    v.append(line[i])
                    i += 1
            labels[key] = "".join(v)
            i += 1
            if line[i] == ",":
                i += 1
        i += 1
    return m.group(1), labels, line[i:].split()[0]

def samples(text):
    return [parse_sample(l) for l in text.split("\n") if l and not l.startswith("#")]

def check_series(where, ss):
    """What the attacker wrote is label text, never a series of its own."""
    forged = [s for s in ss if s[0] == "mbevil" or "mbevil" in s[0]]
    result(not forged, where + ": no forged series", repr(forged[:3]))
    for key, raw in NAMES.items():
        want = lossy(raw, keep="\n")
        hit = [s for s in ss if s[0] == "mailbpf_exec_failures_total"
               and s[1] == {"errno": "E2BIG", "program": want}]
        result(len(hit) == 1 and hit[0][2] == "1",
               where + ": E2BIG of program %s counted once under its own label" % key, repr(hit))
        hit = [s for s in ss if s[0] == "mailbpf_exec_arg_headroom_ratio"
               and s[1] == {"program": want} and 0.5 < float(s[2]) < 1]
        result(len(hit) == 1, where + ": headroom of %s under its own label" % key)
    shut = [s for s in ss if s[0] == "mailbpf_fs_shutdown" and
            any("evil" in v or "mailbpf" in v for v in s[1].values())]
    result(not shut, where + ": no mailbpf_fs_shutdown sample from the attacker", repr(shut))

def cmd_check_textfile(path):
    raw = open(path, "rb").read()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        return result(False, "textfile is valid UTF-8", str(e))
    result(True, "textfile is valid UTF-8")
    ss = samples(text)
    bad = [s[0] for s in ss if not s[0].startswith("mailbpf_")]
    result(not bad, "textfile: every sample is a mailbpf_ metric", repr(bad[:5]))
    check_series("textfile", ss)

def cmd_check_scrape(url, textfile):
    text = urllib.request.urlopen(url, timeout=10).read().decode("utf-8")
    ss = samples(text)
    err = [s[2] for s in ss if s[0] == "node_textfile_scrape_error"]
    result(err == ["0"], "node_exporter: node_textfile_scrape_error 0", repr(err))
    families = set(re.findall(r"^# TYPE (\S+)", open(textfile).read(), re.M))
    ours = {s[0] for s in ss if not s[0].startswith(("node_", "go_", "process_", "promhttp_"))}
    result(ours <= families, "node_exporter: only the textfile's own families",
           repr(sorted(ours - families)))
    check_series("node_exporter", ss)

def cmd_check_human(path, tmp):
    raw = open(path, "rb").read()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        return result(False, "human trace is valid UTF-8", str(e))
    lines = text.split("\n")[:-1]
    bad = [c for c in text if c != "\n" and term_unsafe(ord(c))]
    result(not bad, "human trace: no control, C1 or bidi character", repr(bad[:5]))
    split = [l for l in lines[1:] if not re.match(r"\d\d:\d\d:\d\d\.\d{3} \S", l)]
    result(lines and lines[0].startswith("TIME") and not split,
           "human trace: one event per line (no line split by a newline)", repr(split[:3]))
    for key, raw_name in NAMES.items():
        esc = term_esc(raw_name)
        result(any(esc in l and "exec_fail" in l for l in lines),
               "human trace: comm %s shown escaped as %s" % (key, esc))
    path_esc = "filename=" + term_esc(hpath(tmp, "ansi"))
    result(any(path_esc in l for l in lines), "human trace: hostile file name shown escaped")

def json_lines(path, what):
    out, bad = [], 0
    for l in open(path, "rb").read().split(b"\n")[:-1]:
        try:
            out.append(json.loads(l.decode("utf-8")))
        except ValueError:
            bad += 1
    result(out and not bad, "%s: every line is valid JSON" % what, "%d bad lines" % bad)
    return out

def cmd_check_json_lines(path, what):
    json_lines(path, what)

def cmd_check_json(path, tmp, target):
    recs = json_lines(path, "trace --json")
    for key, raw in NAMES.items():
        want, fn = lossy(raw), lossy(hpath(tmp, key))
        result(any(r.get("type") == "exec_fail" and r.get("errno") == "E2BIG" and
                   r.get("comm") == want and r.get("filename") == fn for r in recs),
               "trace --json: %s comm and file name recovered" % key)
        result(any(r.get("type") == "signal" and r.get("sender_comm") == want for r in recs),
               "trace --json: %s sender comm recovered" % key)
    result(any(r.get("type") == "signal" and r.get("target_pid") == int(target) and
               r.get("target_comm") == lossy(NAMES["badutf8"]) for r in recs),
           "trace --json: hostile target comm recovered")

def cmd_check_alerts(path, tmp):
    alerts = json_lines(path, "alert log")
    for key, raw in NAMES.items():
        want, fn = lossy(raw), lossy(hpath(tmp, key))
        result(any(a.get("kind") == "exec_e2big" and a["details"].get("program") == want and
                   a["details"].get("comm") == want and a["details"].get("filename") == fn
                   for a in alerts), "alert log: E2BIG of %s names program, comm, file" % key)
        result(any(a.get("kind") == "exec_near_miss" and a["details"].get("program") == want
                   for a in alerts), "alert log: near miss of %s names the program" % key)
    coll = [a["details"] for a in alerts if a.get("kind") == "reload_collision"]
    senders = {v for d in coll for k, v in d.items() if k.endswith("sender_comm")}
    missing = [k for k, raw in NAMES.items() if lossy(raw) not in senders]
    result(not missing, "alert log: every hostile reload sender named", "missing %r; seen %r" % (
        missing, [(d.get("first_sender_comm"), d.get("second_sender_comm"), d.get("gap_ms"),
                   d.get("target_comm")) for d in coll]))

def cmd_check_cardinality(path, top_n, count):
    ss = samples(open(path, encoding="utf-8").read())
    fails = [s for s in ss if s[0] == "mailbpf_exec_failures_total"]
    by_errno = {}
    for _, l, v in fails:
        by_errno.setdefault(l["errno"], []).append((l["program"], float(v)))
    worst = max((len({p for p, _ in v if p != "other"}) for v in by_errno.values()), default=0)
    print("exec failure series: %d; most program labels for one errno: %d" % (len(fails), worst))
    result(worst <= int(top_n), "at most top_n=%s program labels per errno (plus other)" % top_n)
    result(len({(l["errno"], l["program"]) for _, l, _ in fails}) == len(fails),
           "no duplicate series")
    enoexec = by_errno.get("ENOEXEC", [])
    total = sum(v for _, v in enoexec)
    print("ENOEXEC: %d series, sum %d" % (len(enoexec), total))
    result(any(p == "other" for p, _ in enoexec), "the overflow is summed under program=\"other\"")
    result(total == int(count), "ENOEXEC series add up to the %s failures" % count, "sum %d" % total)

try:
    globals()["cmd_" + sys.argv[1].replace("-", "_")](*sys.argv[2:])
except Exception as e:
    import traceback
    traceback.print_exc(file=sys.stdout)
    print("FAIL helper %s: %r" % (sys.argv[1], e))
EOF

# checks ARGS...: run a helper check; its "PASS what" / "FAIL what: why"
# lines become ok / not_ok, anything else is shown as a comment.
checks() {
	local line
	while IFS= read -r line; do
		case $line in
		PASS\ *) ok "${line#PASS }" ;;
		FAIL\ *) not_ok "${line#FAIL }" ;;
		*) echo "# $line" ;;
		esac
	done < <(python3 "$HELPER" "$@")
}

# spawn_hostile KEY: a process named by the helper's NAMES[KEY] (or KEY
# itself) that survives reload signals. Sets SPAWNED to its pid.
spawn_hostile() {
	python3 "$HELPER" spawn "$1" 60 "$TMP/ready.$1" &
	SPAWNED=$!
	disown "$SPAWNED" # killed by at_exit; no job notice on stderr
	at_exit "kill -9 $SPAWNED"
	wait_for 5 test -e "$TMP/ready.$1"
}

# A watched daemon of our own, with a comm no other test or real daemon
# has, so the counts below are ours alone.
MASTER=mbh-$$
MASTER=${MASTER:0:15}
# A short collision window: reloads come in pairs below, each pair one
# collision alert naming both senders (one alert per window, by design).
cat >"$TMP/hostile.conf" <<EOF
[daemon hostile]
comm = $MASTER
window = 1s
EOF

start_run --config "$TMP/hostile.conf" --interval 1 ||
	{ not_ok "daemon starts" "$(cat "$TMP/run.err")"; finish; }
ok "daemon starts"
start_trace || { not_ok "trace --json attaches" "$(cat "$TMP/trace.err")"; finish; }
"$MAILBPF" trace >"$TMP/trace.txt" 2>"$TMP/trace-human.err" &
HUMAN_PID=$!
at_exit "kill -INT $HUMAN_PID; wait $HUMAN_PID"
wait_for 20 grep -qs tracing "$TMP/trace-human.err" ||
	{ not_ok "trace (human) attaches" "$(cat "$TMP/trace-human.err")"; finish; }

# 1. Reloads of the watched master from every hostile name, in pairs
# within the window, and one reload of a process whose own name is
# hostile (trace shows signals to any process).
spawn_hostile "$MASTER"
master=$SPAWNED
for pair in "forge_fs forge_ok" "ansi badutf8" "bidi literal"; do
	python3 "$HELPER" send-pair $pair 1 "$master"
	sleep 1.2 # past the window: the next pair is a new collision
done
spawn_hostile badutf8
hostile_target=$SPAWNED
python3 "$HELPER" send forge_fs 1 "$hostile_target"

# 2. E2BIG and near misses of files with hostile names in a hostile directory.
check "6 hostile programs fail with E2BIG" test "$(python3 "$HELPER" e2big "$TMP")" = 6
check "6 hostile programs run as near misses" test "$(python3 "$HELPER" near "$TMP")" = 6

wait_for 5 grep -q '"kind":"exec_near_miss".*\\u001b\[0m' "$TMP/alerts.log"
sleep 2.2 # two textfile intervals: every count and headroom read back
stop_trace
kill -INT "$HUMAN_PID"
wait "$HUMAN_PID"

echo "# t+${SECONDS}s: checks"
if promtool check metrics <"$TEXTFILE" >"$TMP/promtool.out" 2>&1; then
	ok "textfile passes promtool check metrics"
else
	not_ok "textfile passes promtool check metrics" "$(head -5 "$TMP/promtool.out")"
fi
checks check-textfile "$TEXTFILE"

# A real node_exporter reading the same directory.
port=$(free_port)
prometheus-node-exporter --web.listen-address="127.0.0.1:$port" --collector.disable-defaults \
	--collector.textfile --collector.textfile.directory="$TMP/textfile" \
	>"$TMP/node_exporter.log" 2>&1 &
NE_PID=$!
at_exit "kill $NE_PID"
if wait_for 10 curl -sf -o /dev/null "http://127.0.0.1:$port/metrics"; then
	checks check-scrape "http://127.0.0.1:$port/metrics" "$TEXTFILE"
else
	not_ok "node_exporter serves /metrics" "$(tail -5 "$TMP/node_exporter.log")"
fi
kill "$NE_PID"

# The plainest statement of "no raw control bytes": grep for them.
if LC_ALL=C grep -qaP '[\x00-\x09\x0b-\x1f\x7f]' "$TMP/trace.txt"; then
	not_ok "human trace has no raw control byte" \
		"$(LC_ALL=C grep -naP '[\x00-\x09\x0b-\x1f\x7f]' "$TMP/trace.txt" | head -3 | od -c | head -5)"
else
	ok "human trace has no raw control byte"
fi
checks check-human "$TMP/trace.txt" "$TMP"
checks check-json "$TMP/trace.json" "$TMP" "$hostile_target"
checks check-alerts "$TMP/alerts.log" "$TMP"

echo "# t+${SECONDS}s: cardinality"
# 3. Cardinality: 2000 distinct failing names as fast as one process can
# exec them. top_n is the default, 50.
t0=$(date +%s%N)
n=$(python3 "$HELPER" burst "$TMP/burst" 2000)
ms=$((($(date +%s%N) - t0) / 1000000))
echo "# 2000 ENOEXEC execs under distinct names in ${ms} ms"
check "2000 distinct programs fail with ENOEXEC" test "$n" = 2000
# A function, so wait_for re-reads the file on every try.
enoexec_counted() {
	test "$(awk '/^mailbpf_exec_failures_total[{]errno="ENOEXEC",/ { s += $NF }
		END { print s + 0 }' "$TEXTFILE")" -ge 2000
}
wait_for 10 enoexec_counted
sleep 1.2 # one more interval: nothing still on its way
checks check-cardinality "$TEXTFILE" 50 2000
check "textfile still passes promtool" promtool check metrics <"$TEXTFILE"
rss=$(awk '/^VmRSS:/ { print $2 }' "/proc/$RUN_PID/status")
echo "# daemon VmRSS after the burst: ${rss} kB"
check "daemon RSS stays under 32 MiB (${rss} kB)" test "${rss:-999999}" -lt 32768
lost=$(metric 'mailbpf_events_lost_total{probe="exec"}')
echo "# exec records lost in the burst (1 MiB ring buffer): ${lost:-?}"

stop_run
check "daemon exits 0 after all this" test "$RUN_RC" -eq 0
checks check-json-lines "$TMP/alerts.log" "alert log after the burst"

# 4. The label table at its smallest (top_n = 1, a valid setting) and a
# failing exec whose program name is empty: execve("/tmp/") or
# execve("") has no basename. The table must stay within its bound; a
# heap overflow here aborts the daemon, now or at exit.
echo "# t+${SECONDS}s: top_n = 1"
printf '[global]\ntop_n = 1\n' >"$TMP/top1.conf"
start_run --config "$TMP/top1.conf" --interval 1 ||
	{ not_ok "daemon starts with top_n = 1" "$(cat "$TMP/run.err")"; finish; }
cp /bin/true "$TMP/t1-e2big"
"$TMP/t1-e2big" "$(head -c 204800 /dev/zero | tr '\0' x)" 2>/dev/null
python3 -c '
import os, sys
d = sys.argv[1]
open(d + "/t1-noexec", "wb").write(b"\0" * 8); os.chmod(d + "/t1-noexec", 0o755)
open(d + "/t1-noperm", "wb").write(b"\0" * 8); os.chmod(d + "/t1-noperm", 0o644)
for p in ("/t1-noexec", "/t1-noperm", "/t1-noperm/x"):  # ENOEXEC, EACCES, ENOTDIR
    try: os.execv(d + p, ["x"])
    except OSError: pass
' "$TMP"
sleep 1.5 # read: one keyed series, the rest in overflow buckets
python3 -c '
import os
for p in ("/tmp/", "/"):  # EACCES with an empty program name
    try: os.execv(p, ["x"])
    except OSError: pass
'
sleep 2.2
check "top_n = 1: daemon survives a failing exec with no program name" kill -0 "$RUN_PID"
stop_run
if [ "$RUN_RC" -eq 0 ]; then
	ok "top_n = 1: daemon exits 0 (no heap corruption found at exit)"
else
	not_ok "top_n = 1: daemon exits 0 (no heap corruption found at exit)" \
		"exit $RUN_RC: $(tail -1 "$TMP/run.err")"
fi

# 5. Exact counts against a flood: 3 ENOEXECs (an errno nothing else here
# produces), then 30000 ENOEXECs under distinct names (symlinks to the same
# 8 zero bytes, about a second), between two reads of the kernel's count
# maps. Not ENOENT: the default exec probe sees failures once the kernel
# has opened the binary (bpf/exec.bpf.c), so the names must exist.
# The map is bounded; what it cannot hold must still be counted somewhere,
# never dropped in silence. The daemon is stopped meanwhile so that no
# alert-triggered read falls inside the flood: an attacker gets the same
# by timing it after a write (the textfile's mtime is public, the default
# interval is 15 s). Whether the 3 earlier failures survive depends on the
# LRU's internals (keys hit more than once tend to), so they are shown,
# not asserted; the flood's own total is exact or it is not.
echo "# t+${SECONDS}s: flood"
start_run --interval 2 || { not_ok "daemon starts (flood)" "$(cat "$TMP/run.err")"; finish; }
stamp() { metric mailbpf_last_update_timestamp_seconds; }
written() { test "$(stamp)" != "$1"; }
VICTIM=victim-$$
kill -STOP "$RUN_PID"
at_exit "kill -CONT $RUN_PID"
python3 -c '
import os, sys
p = os.path.join(sys.argv[1], sys.argv[2])
open(p, "wb").write(b"\0" * 8)
os.chmod(p, 0o755)
for _ in range(3):
    try: os.execv(p, ["x"])
    except OSError: pass
d = os.path.join(sys.argv[1], "flood")
os.mkdir(d)
for i in range(30000):
    os.symlink(p, os.path.join(d, "f%05d" % i))
for i in range(30000):
    try: os.execv(os.path.join(d, "f%05d" % i), ["x"])
    except OSError: pass
' "$TMP" "$VICTIM"
t=$(stamp)
kill -CONT "$RUN_PID"
wait_for 6 written "$t"
errno_sum() {
	awk -v e="$1" 'index($0, "mailbpf_exec_failures_total{errno=\"" e "\",") == 1 { s += $NF }
		END { print s + 0 }' "$TEXTFILE"
}
n=$(errno_sum ENOEXEC)
lost=$(metric 'mailbpf_events_lost_total{probe="exec"}')
victim=$(metric "mailbpf_exec_failures_total{errno=\"ENOEXEC\",program=\"$VICTIM\"}")
echo "# after the flood: ENOEXEC $n (30003 happened), $VICTIM ${victim:-absent} (3 happened), exec records lost ${lost:-?}"
check "all 30003 ENOEXECs of a flood of distinct names counted ($n)" test "$n" -eq 30003
stop_run
finish
