// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * libFuzzer target: a raw ring-buffer record -> mb_event_decode() ->
 * mb_event_json() and mb_event_human(), as `mailbpf trace` does.
 *
 * Every string in a record (comm, ancestors' comms, file names, the
 * shutdown's source file) is chosen by some local user, and the decoder is
 * documented as the fuzz target for everything the kernel hands over. So:
 *   - decode accepts only records of the right size for their type;
 *   - JSON output is one complete, valid JSON object (checked by a strict
 *     RFC 8259 parser below, UTF-8 included) with no raw control byte;
 *   - human output is valid UTF-8 with no control byte, no C1 control and
 *     no bidi override (escape.h promises terminal-safe text);
 *   - a returned length is the string's length, and a short buffer is
 *     never overrun (exact-size heap buffers, so ASan sees one byte over).
 * The same record then takes the daemon's path (user/collector/daemon.c on_event):
 * the reload, exec, chain and filesystem detectors, each alert written by
 * the real alert log writer and checked as one valid JSON line; the
 * record is fed twice (a repeat, later) and with a synthesized partner (a
 * reload for an exec failure and the other way round) so collisions,
 * rate-limit folding and the reload -> exec chain all see fuzzed strings.
 * Filesystem state (the sticky shutdown flags) must survive its own save
 * and load unchanged.
 * The mount table has a hostile mount point, as a FUSE mount can have.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "alertlog.h"
#include "config.h"
#include "config_parse.h"
#include "detect_chain.h"
#include "detect_exec.h"
#include "detect_fs.h"
#include "detect_master.h"
#include "detect_reload.h"
#include "detect_startup.h"
#include "event_fmt.h"

#define CHECK(cond, what, out)                                                                     \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "fuzz_event: %s: %s (%s:%d)\n  output: %s\n", what, #cond, \
				__FILE__, __LINE__, out ? out : "");                               \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

/* ---- UTF-8 (Unicode table 3-7) ---- */
static size_t utf8_seq(const unsigned char *s, const unsigned char *end, uint32_t *cp)
{
	unsigned char c = s[0], lo = 0x80, hi = 0xbf;
	size_t n, i;

	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if (c >= 0xc2 && c <= 0xdf)
		n = 2, *cp = c & 0x1f;
	else if (c >= 0xe0 && c <= 0xef)
		n = 3, *cp = c & 0x0f, lo = c == 0xe0 ? 0xa0 : 0x80, hi = c == 0xed ? 0x9f : 0xbf;
	else if (c >= 0xf0 && c <= 0xf4)
		n = 4, *cp = c & 0x07, lo = c == 0xf0 ? 0x90 : 0x80, hi = c == 0xf4 ? 0x8f : 0xbf;
	else
		return 0;
	if ((size_t)(end - s) < n || s[1] < lo || s[1] > hi)
		return 0;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		*cp = *cp << 6 | (s[i] & 0x3f);
	}
	return n;
}

/* ---- a strict JSON parser: returns the end of the value or NULL ---- */
static const unsigned char *ws(const unsigned char *p, const unsigned char *e)
{
	while (p < e && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
		p++;
	return p;
}

static int hex(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static const unsigned char *jstring(const unsigned char *p, const unsigned char *e)
{
	uint32_t cp;
	size_t n;

	if (p >= e || *p++ != '"')
		return NULL;
	while (p < e && *p != '"') {
		if (*p < 0x20 || *p == 0x7f) /* raw control byte: invalid (0x7f: ours) */
			return NULL;
		if (*p == '\\') {
			if (++p >= e)
				return NULL;
			if (*p == 'u') {
				if (e - p < 5 || !hex(p[1]) || !hex(p[2]) || !hex(p[3]) ||
				    !hex(p[4]))
					return NULL;
				p += 5;
			} else if (strchr("\"\\/bfnrt", *p) && *p) {
				p++;
			} else {
				return NULL;
			}
			continue;
		}
		n = utf8_seq(p, e, &cp);
		if (!n)
			return NULL;
		p += n;
	}
	return p < e ? p + 1 : NULL;
}

static const unsigned char *jvalue(const unsigned char *p, const unsigned char *e, int depth);

static const unsigned char *jnumber(const unsigned char *p, const unsigned char *e)
{
	const unsigned char *s;

	if (p < e && *p == '-')
		p++;
	if (p >= e)
		return NULL;
	if (*p == '0')
		p++;
	else if (*p >= '1' && *p <= '9')
		while (p < e && *p >= '0' && *p <= '9')
			p++;
	else
		return NULL;
	if (p < e && *p == '.') {
		s = ++p;
		while (p < e && *p >= '0' && *p <= '9')
			p++;
		if (p == s)
			return NULL;
	}
	if (p < e && (*p == 'e' || *p == 'E')) {
		p++;
		if (p < e && (*p == '+' || *p == '-'))
			p++;
		s = p;
		while (p < e && *p >= '0' && *p <= '9')
			p++;
		if (p == s)
			return NULL;
	}
	return p;
}

static const unsigned char *jcontainer(const unsigned char *p, const unsigned char *e, int depth,
				       int obj)
{
	unsigned char close = obj ? '}' : ']';

	p = ws(p + 1, e);
	if (p < e && *p == close)
		return p + 1;
	for (;;) {
		if (obj) {
			p = jstring(ws(p, e), e);
			if (!p)
				return NULL;
			p = ws(p, e);
			if (p >= e || *p++ != ':')
				return NULL;
		}
		p = jvalue(p, e, depth + 1);
		if (!p)
			return NULL;
		p = ws(p, e);
		if (p < e && *p == ',') {
			p++;
			continue;
		}
		return p < e && *p == close ? p + 1 : NULL;
	}
}

static const unsigned char *jvalue(const unsigned char *p, const unsigned char *e, int depth)
{
	if (depth > 32)
		return NULL;
	p = ws(p, e);
	if (p >= e)
		return NULL;
	switch (*p) {
	case '{':
		return jcontainer(p, e, depth, 1);
	case '[':
		return jcontainer(p, e, depth, 0);
	case '"':
		return jstring(p, e);
	case 't':
		return e - p >= 4 && !memcmp(p, "true", 4) ? p + 4 : NULL;
	case 'f':
		return e - p >= 5 && !memcmp(p, "false", 5) ? p + 5 : NULL;
	case 'n':
		return e - p >= 4 && !memcmp(p, "null", 4) ? p + 4 : NULL;
	}
	return jnumber(p, e);
}

static int json_object_ok(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s, *e = p + len;

	if (!len || *p != '{')
		return 0;
	p = jvalue(p, e, 0);
	return p && ws(p, e) == e;
}

/* Text a terminal shows as is: see mb_term_escape() in escape.h. */
static int term_safe(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s, *e = p + len;
	uint32_t cp;
	size_t n;

	while (p < e) {
		n = utf8_seq(p, e, &cp);
		if (!n || cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp <= 0x9f) || cp == 0x061c ||
		    cp == 0x200e || cp == 0x200f || (cp >= 0x202a && cp <= 0x202e) ||
		    (cp >= 0x2066 && cp <= 0x2069))
			return 0;
		p += n;
	}
	return 1;
}

static struct mb_mounts mounts, no_mounts;
static struct mb_config cfg;

static void setup(void)
{
	static const struct {
		uint32_t dev;
		const char *dn, *mp, *fs;
	} m[] = {
		{ 7u << 20 | 0, "loop0", "/var/vmail", "xfs" },
		{ 8u << 20 | 1, "sda1", "/", "ext4" },
		/* A FUSE mount point: mountinfo's octal escapes undone. */
		{ 0u << 20 | 52, "0:52", "/home/u/x\"}\n\x1b[31mmailbpf_fs_shutdown{\xff\xfe\\",
		  "fuse.x" },
	};

	for (size_t i = 0; i < sizeof(m) / sizeof(m[0]); i++) {
		mounts.m[i].dev = m[i].dev;
		mounts.m[i].mount_id = 20 + (int)i;
		snprintf(mounts.m[i].devname, sizeof(mounts.m[i].devname), "%s", m[i].dn);
		snprintf(mounts.m[i].mountpoint, sizeof(mounts.m[i].mountpoint), "%s", m[i].mp);
		snprintf(mounts.m[i].fstype, sizeof(mounts.m[i].fstype), "%s", m[i].fs);
	}
	mounts.n = 3;
	mb_config_defaults(&cfg);
}

/* Format into an exact-size heap buffer of len bytes. */
static void format(const struct mb_fmt *f, const union mb_event *ev, size_t len, int json)
{
	char *buf = malloc(len);
	int n;

	if (!buf)
		abort();
	memset(buf, 0, len);
	n = json ? mb_event_json(f, ev, buf, len) : mb_event_human(f, ev, buf, len);
	if (n >= 0) {
		CHECK((size_t)n < len && strlen(buf) == (size_t)n, "length", buf);
		if (json)
			CHECK(json_object_ok(buf, (size_t)n), "invalid JSON", buf);
		else
			CHECK(term_safe(buf, (size_t)n), "unsafe terminal text", buf);
	} else {
		CHECK(n == -ENOSPC, "error", buf);
	}
	free(buf);
}

/* ---- the daemon's path ---- */
struct sink_ctx {
	struct mb_alertlog log;
	char *buf;
	size_t len, checked;
	int64_t boot_to_wall_ns;
	unsigned alerts;
};

static void on_alert(void *p, const struct mb_alert *a)
{
	struct sink_ctx *c = p;
	/* In double: daemon.c's int64 sum overflows for a ts_ns near 2^63. */
	double wall = (double)a->ts_ns / 1e9 + (double)c->boot_to_wall_ns / 1e9;
	char *line, *nl;
	size_t n;

	CHECK(mb_alertlog_write(&c->log, a, wall) == 0, "alert log write", "");
	fflush(c->log.f);
	/* Exactly one new line, ending in its only newline. */
	line = c->buf + c->checked;
	n = c->len - c->checked;
	nl = memchr(line, '\n', n);
	CHECK(n && nl == line + n - 1, "alert is not one line", line);
	*nl = '\0';
	CHECK(json_object_ok(line, n - 1), "invalid JSON alert", line);
	*nl = '\n';
	c->checked = c->len;
	c->alerts++;
}

static void fs_state_roundtrip(struct mb_fs_det *fs, struct mb_alert_sink sink)
{
	static const char boot[] = "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0";
	char *a = NULL, *b = NULL;
	size_t alen = 0, blen = 0;
	struct mb_fs_det *back = mb_fs_new(sink);
	FILE *f = open_memstream(&a, &alen), *g;

	if (!f || !back)
		abort();
	CHECK(mb_fs_save(fs, f, boot) == 0, "fs state save", "");
	fclose(f);
	f = fmemopen(a, alen, "r");
	CHECK(f && mb_fs_load(back, f, boot) == mb_fs_shutdown_count(fs),
	      "fs state does not load back", a);
	fclose(f);
	g = open_memstream(&b, &blen);
	if (!g)
		abort();
	CHECK(mb_fs_save(back, g, boot) == 0, "fs state save", "");
	fclose(g);
	CHECK(alen == blen && !memcmp(a, b, alen), "fs state changed on save/load", b);
	mb_fs_free(back);
	free(a);
	free(b);
}

static void daemon_path(const union mb_event *in, int64_t boot_to_wall_ns)
{
	struct sink_ctx c = { .boot_to_wall_ns = boot_to_wall_ns };
	struct mb_alert_sink sink = { on_alert, &c };
	struct mb_reload_det *reload = mb_reload_new(&cfg, sink);
	struct mb_exec_det *exec = mb_exec_new(&cfg, sink);
	struct mb_chain_det *chain = mb_chain_new(&cfg, sink);
	struct mb_fs_det *fs = mb_fs_new(sink);
	union mb_event ev = *in, other;
	uint64_t t = in->hdr.ts_ns;
	int idx;

	c.log.f = open_memstream(&c.buf, &c.len);
	if (!reload || !exec || !chain || !fs || !c.log.f)
		abort();
	switch (ev.hdr.type) {
	case MB_EV_SIGNAL:
		for (int i = 0; i < 2; i++, ev.sig.hdr.ts_ns += 20 * NS_PER_MS) {
			idx = mb_reload_feed(reload, &ev.sig);
			if (idx > 0)
				mb_chain_feed_reload(chain, idx - 1, &ev.sig);
		}
		/* The reloaded master's child fails to exec: a chain opens. */
		memset(&other, 0, sizeof(other));
		other.exec.hdr.type = MB_EV_EXEC_FAIL;
		other.exec.hdr.ts_ns = ev.sig.hdr.ts_ns;
		other.exec.task = ev.sig.sender;
		other.exec.task.ppid = ev.sig.target_tgid;
		other.exec.err = E2BIG;
		memcpy(other.exec.filename, ev.sig.target_comm, MB_COMM_LEN);
		mb_exec_feed(exec, &other.exec);
		mb_chain_feed_exec(chain, &other.exec);
		break;
	case MB_EV_EXEC_FAIL:
	case MB_EV_EXEC_NEAR:
		/* A reload of the first daemon's master, the failing task's parent. */
		memset(&other, 0, sizeof(other));
		other.sig.hdr.type = MB_EV_SIGNAL;
		other.sig.hdr.ts_ns = t - 10 * NS_PER_MS;
		other.sig.sig = 1;
		other.sig.watched = 1;
		other.sig.target_tgid = other.sig.target_pid = ev.exec.task.ppid;
		other.sig.sender = ev.exec.task;
		idx = mb_reload_feed(reload, &other.sig);
		if (idx > 0)
			mb_chain_feed_reload(chain, idx - 1, &other.sig);
		/* Twice, the second past the alert rate limit. */
		for (int i = 0; i < 2; i++, ev.exec.hdr.ts_ns += 61 * NS_PER_SEC) {
			mb_exec_feed(exec, &ev.exec);
			if (ev.hdr.type == MB_EV_EXEC_FAIL)
				mb_chain_feed_exec(chain, &ev.exec);
		}
		break;
	case MB_EV_PROC_EXIT: {
		/* The exit as a start-up failure, a clean exit and a master's; twice. */
		struct mb_startup_det *su = mb_startup_new(&cfg, sink, chain);
		struct mb_master_det *md = mb_master_new(&cfg, sink);

		if (!su || !md)
			abort();
		mb_master_scan_begin(md);
		mb_master_scan_add(md, (int)(ev.exit.watched % MB_MAX_DAEMONS) - 1, ev.exit.pid,
				   3600 * NS_PER_SEC);
		mb_master_scan_end(md, t);
		for (int i = 0; i < 2; i++, ev.exit.hdr.ts_ns += 2 * NS_PER_SEC) {
			mb_startup_feed_exit(su, &ev.exit);
			mb_master_feed_exit(md, &ev.exit);
			mb_startup_feed_alive(su, (int)ev.exit.watched - 1, ev.exit.ppid,
					      ev.exit.comm, 3 * NS_PER_SEC,
					      ev.exit.hdr.ts_ns + NS_PER_SEC);
		}
		mb_startup_tick(su, t + 2 * MB_DURATION_MAX_MS * NS_PER_MS);
		mb_master_scan_begin(md);
		mb_master_scan_end(md, t + 10 * NS_PER_SEC);
		mb_startup_free(su);
		mb_master_free(md);
		break;
	}
	default:
		for (int i = 0; i < 2; i++, ev.fs.hdr.ts_ns += 2 * NS_PER_SEC)
			mb_fs_feed(fs, &ev.fs, &mounts);
		mb_fs_refresh(fs, &mounts, ev.fs.hdr.ts_ns);
		fs_state_roundtrip(fs, sink);
	}
	/* Long after: open incidents resolve, filesystems are unmounted. */
	mb_chain_tick(chain, t + 2 * MB_DURATION_MAX_MS * NS_PER_MS);
	mb_fs_refresh(fs, &no_mounts, t + 3600 * NS_PER_SEC);

	mb_reload_free(reload);
	mb_exec_free(exec);
	mb_chain_free(chain);
	mb_fs_free(fs);
	fclose(c.log.f);
	free(c.buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;
	struct mb_fmt f = { 0 };
	union mb_event ev;
	size_t small;
	int ret;

	if (!ready) {
		setup();
		ready = 1;
	}
	memset(&ev, 0xa5, sizeof(ev));
	ret = mb_event_decode(&ev, data, size);
	if (ret) {
		CHECK(ret == -EINVAL, "decode error", "");
		return 0;
	}
	CHECK(size >= sizeof(struct mb_hdr), "accepted a short record", "");
	/* A fixed offset (the epoch at boot) keeps runs reproducible. */
	f.boot_to_wall_ns = 1700000000LL * 1000000000LL;
	f.mounts = &mounts;
	f.cfg = &cfg;
	/* trace's buffer size, then a short one picked from the record. */
	format(&f, &ev, 8192, 1);
	format(&f, &ev, 8192, 0);
	small = 1 + data[size - 1] % 600;
	format(&f, &ev, small, 1);
	format(&f, &ev, small, 0);
	/* No mount table and no config, as early in trace's life. */
	f.mounts = NULL;
	f.cfg = NULL;
	format(&f, &ev, 8192, 1);
	format(&f, &ev, 8192, 0);

	daemon_path(&ev, 1700000000LL * 1000000000LL);
	return 0;
}
