// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Embedded defaults and the INI file on top of them. The file is parsed
 * into a scratch copy that replaces *c only when all of it is valid, so a
 * SIGHUP with a broken file keeps the daemon running on the old config.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "config.h"
#include "config_parse.h"
#include "escape.h"

#define LINE_MAX_LEN 1024
#define MAX_SLOTS (2 * MB_MAX_DAEMONS) /* sections seen, before enabled=no drops some */

struct slot {
	struct mb_daemon_cfg d;
	int enabled;
	int has_comm; /* defaults have one; a new section must set it */
	int line; /* of its section header, 0 for an untouched default */
};

struct parser {
	const char *file;
	int line;
	char *err;
	size_t errlen;
	struct mb_config *c;
	struct slot slots[MAX_SLOTS];
	int nslots;
	struct slot *cur; /* NULL in [global] */
	int in_section, global_line;
	int failed; /* err holds a FILE:LINE message */
	int seen[16]; /* line each key of the current section was set on */
};

static int __attribute__((format(printf, 3, 4)))
fail(struct parser *p, const char *key, const char *fmt, ...)
{
	char k[80], what[320];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	mb_term_escape(k, sizeof(k), key);
	p->failed = 1;
	if (p->err && p->errlen)
		snprintf(p->err, p->errlen, "%s:%d: %s: %s", p->file, p->line, k, what);
	return -EINVAL;
}

static void add_comm(struct mb_daemon_cfg *d, const char *comm)
{
	snprintf(d->comms[d->ncomms++], MB_COMM_LEN, "%s", comm);
}

void mb_config_defaults(struct mb_config *c)
{
	struct mb_daemon_cfg *d = c->daemons;

	memset(c, 0, sizeof(*c));
	/* Debian's prometheus-node-exporter reads this directory. */
	snprintf(c->textfile, sizeof(c->textfile),
		 "/var/lib/prometheus/node-exporter/mailbpf.prom");
	snprintf(c->alert_log, sizeof(c->alert_log), "-");
	snprintf(c->state_dir, sizeof(c->state_dir), "/var/lib/mailbpf");
	c->interval_s = 15;
	c->near_miss_pct = 50;
	c->top_n = 50;
	mb_config_daemon_defaults(d, "dovecot");
	add_comm(d++, "dovecot");
	mb_config_daemon_defaults(d, "exim");
	add_comm(d, "exim4");
	add_comm(d++, "exim");
	/* Postfix's master has the most generic comm there is: pin the exe. */
	mb_config_daemon_defaults(d, "postfix");
	add_comm(d, "master");
	snprintf(d->exe, sizeof(d->exe), "/usr/lib/postfix/sbin/master");
	c->ndaemons = 3;
}

int mb_config_daemon_for_comm(const struct mb_config *c, const char *comm)
{
	int i, j;

	if (!comm || !*comm)
		return 0;
	for (i = 0; i < c->ndaemons; i++) {
		for (j = 0; j < c->daemons[i].ncomms; j++) {
			if (!strncmp(c->daemons[i].comms[j], comm, MB_COMM_LEN))
				return i + 1;
		}
	}
	return 0;
}

static char *trim(char *s)
{
	char *e;

	s += strspn(s, " \t");
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\n' || e[-1] == '\r'))
		*--e = '\0';
	return s;
}

struct keydef {
	const char *name;
	const char *expect;
};

enum {
	G_TEXTFILE,
	G_INTERVAL,
	G_ALERT_LOG,
	G_STATE_DIR,
	G_SYSLOG,
	G_NEAR_MISS,
	G_TOP_N,
	G_EXEC_PROBE,
	G_LISTEN,
	G_ALERTMANAGER,
};

static const struct keydef global_keys[] = {
	[G_TEXTFILE] = { "textfile", "an absolute path ending in .prom" },
	[G_INTERVAL] = { "interval", "seconds 1..3600, or a duration like 2m" },
	[G_ALERT_LOG] = { "alert_log", "- for stdout or an absolute path" },
	[G_STATE_DIR] = { "state_dir", "an absolute path" },
	[G_SYSLOG] = { "syslog", "yes or no" },
	[G_NEAR_MISS] = { "near_miss_percent", "a percentage 1..100" },
	[G_TOP_N] = { "top_n", "an integer 1..1000" },
	[G_EXEC_PROBE] = { "exec_probe", "auto, fexit or syscall" },
	[G_LISTEN] = { "listen", "IPv4:PORT or [IPv6]:PORT, like 127.0.0.1:9638, or nothing" },
	[G_ALERTMANAGER] = { "alertmanager_url",
			     "an http:// URL like http://127.0.0.1:9093 (no https), at most 4" },
	{ NULL, NULL },
};

static int set_global(struct mb_config *c, int key, const char *v)
{
	uint64_t ms;

	switch (key) {
	case G_TEXTFILE:
		/* node_exporter's textfile collector reads *.prom and nothing else. */
		return mb_config_parse_path(v, ".prom", c->textfile, sizeof(c->textfile));
	case G_INTERVAL:
		if (!mb_config_parse_u32(v, 1, 3600, &c->interval_s))
			return 0;
		if (mb_config_parse_duration_ms(v, &ms) || ms % 1000 || ms > 3600 * 1000)
			return -EINVAL;
		c->interval_s = (uint32_t)(ms / 1000);
		return 0;
	case G_ALERT_LOG:
		if (!strcmp(v, "-")) {
			strcpy(c->alert_log, v);
			return 0;
		}
		return mb_config_parse_path(v, "", c->alert_log, sizeof(c->alert_log));
	case G_STATE_DIR:
		return mb_config_parse_path(v, "", c->state_dir, sizeof(c->state_dir));
	case G_SYSLOG:
		return mb_config_parse_bool(v, &c->syslog);
	case G_NEAR_MISS:
		return mb_config_parse_u32(v, 1, 100, &c->near_miss_pct);
	case G_TOP_N:
		return mb_config_parse_u32(v, 1, 1000, &c->top_n);
	case G_EXEC_PROBE:
		return mb_config_parse_exec_probe(v, &c->exec_probe);
	case G_LISTEN:
		return mb_config_parse_listen(v, c->listen, sizeof(c->listen));
	case G_ALERTMANAGER:
		if (c->nalertmanagers == MB_MAX_ALERTMANAGERS)
			return -ERANGE;
		if (mb_config_parse_url(v, c->alertmanagers[c->nalertmanagers], MB_PATH_LEN))
			return -EINVAL;
		c->nalertmanagers++;
		return 0;
	}
	return -EINVAL;
}

enum {
	D_COMM,
	D_EXE,
	D_SIGNALS,
	D_WINDOW,
	D_STORM,
	D_CHAIN_WINDOW,
	D_ENABLED,
	D_STARTUP_WINDOW,
	D_STARTUP_STATUS,
	D_FLAVOR,
};

static const struct keydef daemon_keys[] = {
	[D_COMM] = { "comm", "1 to 4 comma-separated names of 1..15 bytes" },
	[D_EXE] = { "exe", "an absolute path, or nothing" },
	[D_SIGNALS] = { "signals", "signal names or numbers 1..63, like HUP USR1 USR2" },
	[D_WINDOW] = { "window", "a duration like 500ms, 5s, 2m, up to 24h" },
	[D_STORM] = { "storm", "count/duration like 10/60s" },
	[D_CHAIN_WINDOW] = { "chain_window", "a duration like 500ms, 5s, 2m, up to 24h" },
	[D_ENABLED] = { "enabled", "yes or no" },
	[D_STARTUP_WINDOW] = { "startup_window",
			       "0 (off) or a duration like 500ms, 2s, up to 24h" },
	[D_STARTUP_STATUS] = { "startup_status", "exit statuses 1..255 like 83 84 89, or none" },
	[D_FLAVOR] = { "flavor", "dovecot, postfix, exim or other" },
	{ NULL, NULL },
};

static int set_daemon(struct slot *s, int key, const char *v)
{
	struct mb_daemon_cfg *d = &s->d;

	switch (key) {
	case D_COMM:
		if (mb_config_parse_comms(v, d->comms, &d->ncomms))
			return -EINVAL;
		s->has_comm = 1;
		return 0;
	case D_EXE:
		if (*v) /* empty: match on comm alone */
			return mb_config_parse_path(v, "", d->exe, sizeof(d->exe));
		d->exe[0] = '\0';
		return 0;
	case D_SIGNALS:
		return mb_config_parse_signals(v, &d->sigmask);
	case D_WINDOW:
		return mb_config_parse_duration_ms(v, &d->window_ms);
	case D_STORM:
		return mb_config_parse_storm(v, &d->storm_count, &d->storm_window_ms);
	case D_CHAIN_WINDOW:
		return mb_config_parse_duration_ms(v, &d->chain_window_ms);
	case D_ENABLED:
		return mb_config_parse_bool(v, &s->enabled);
	case D_STARTUP_WINDOW:
		if (!strcmp(v, "0")) {
			d->startup_window_ms = 0;
			return 0;
		}
		return mb_config_parse_duration_ms(v, &d->startup_window_ms);
	case D_STARTUP_STATUS:
		return mb_config_parse_statuses(v, d->startup_status);
	case D_FLAVOR:
		return mb_config_parse_flavor(v, &d->flavor);
	}
	return -EINVAL;
}

static int valid_daemon_name(const char *s)
{
	size_t n = strlen(s);

	/* It becomes a label value and a file name in state_dir: keep it plain. */
	return n && n < MB_NAME_LEN &&
	       strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") == n;
}

static int parse_section(struct parser *p, char *s)
{
	char hdr[80], *end = strchr(s, ']'), *inner, *name;
	struct slot *slot;
	int i;

	snprintf(hdr, sizeof(hdr), "%s", s);
	if (!end || *trim(end + 1))
		return fail(p, hdr, "unknown section (expected [global] or [daemon NAME])");
	*end = '\0';
	inner = trim(s + 1);
	memset(p->seen, 0, sizeof(p->seen));
	p->in_section = 1;
	p->cur = NULL;
	if (!strcmp(inner, "global")) {
		if (p->global_line)
			return fail(p, hdr, "duplicate section (first on line %d)", p->global_line);
		p->global_line = p->line;
		return 0;
	}
	if (strncmp(inner, "daemon", 6) || (inner[6] != ' ' && inner[6] != '\t'))
		return fail(p, hdr, "unknown section (expected [global] or [daemon NAME])");
	name = trim(inner + 6);
	if (!valid_daemon_name(name))
		return fail(p, hdr, "bad daemon name (expected 1..31 of A-Z a-z 0-9 _ . -)");
	for (i = 0; i < p->nslots; i++) {
		slot = &p->slots[i];
		if (strcmp(slot->d.name, name))
			continue;
		if (slot->line)
			return fail(p, hdr, "duplicate section (first on line %d)", slot->line);
		/* A default daemon: keys not given keep the default's values. */
		slot->line = p->line;
		p->cur = slot;
		return 0;
	}
	if (p->nslots == MAX_SLOTS)
		return fail(p, hdr, "too many daemons (expected at most %d)", MB_MAX_DAEMONS);
	slot = &p->slots[p->nslots++];
	mb_config_daemon_defaults(&slot->d, name);
	slot->enabled = 1;
	slot->line = p->line;
	p->cur = slot;
	return 0;
}

static int parse_kv(struct parser *p, char *s)
{
	char *eq = strchr(s, '='), *key, *val, list[160] = "", v[64];
	const struct keydef *tab, *k;
	int idx;

	if (!eq)
		return fail(p, s, "missing '=' (expected key = value)");
	*eq = '\0';
	key = trim(s);
	val = trim(eq + 1);
	if (!*key)
		return fail(p, "=", "missing key (expected key = value)");
	if (!p->in_section)
		return fail(p, key,
			    "key outside a section (expected [global] or [daemon NAME] first)");
	tab = p->cur ? daemon_keys : global_keys;
	for (k = tab; k->name && strcmp(k->name, key); k++)
		;
	if (!k->name) {
		for (k = tab; k->name; k++)
			snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s",
				 k == tab ? "" : ", ", k->name);
		return fail(p, key, "unknown key (expected one of %s)", list);
	}
	idx = (int)(k - tab);
	/* alertmanager_url repeats: one line per Alertmanager of an HA pair. */
	if (p->seen[idx] && (p->cur || idx != G_ALERTMANAGER))
		return fail(p, key, "duplicate key (first set on line %d)", p->seen[idx]);
	p->seen[idx] = p->line;
	if (p->cur ? set_daemon(p->cur, idx, val) : set_global(p->c, idx, val)) {
		if (mb_term_escape(v, sizeof(v), val) >= sizeof(v))
			return fail(p, key, "bad value '%s...' (expected %s)", v, k->expect);
		return fail(p, key, "bad value '%s' (expected %s)", v, k->expect);
	}
	return 0;
}

/* Drop disabled daemons, then check what needs the whole file to know. */
static int finish(struct parser *p, struct mb_config *c)
{
	char hdr[MB_NAME_LEN + 16], comm[4 * MB_COMM_LEN];
	int i, j, k, n = 0, from[MB_MAX_DAEMONS];
	struct slot *s;

	for (i = 0; i < p->nslots; i++) {
		s = &p->slots[i];
		if (!s->enabled)
			continue;
		p->line = s->line;
		snprintf(hdr, sizeof(hdr), "[daemon %s]", s->d.name);
		if (!s->has_comm)
			return fail(p, "comm",
				    "missing in %s (expected comm = NAME for a new daemon)", hdr);
		if (n == MB_MAX_DAEMONS)
			return fail(p, hdr, "too many daemons (expected at most %d enabled)",
				    MB_MAX_DAEMONS);
		/* Signals are matched to a daemon by comm: one owner each. */
		c->ndaemons = n;
		for (j = 0; j < s->d.ncomms; j++) {
			k = mb_config_daemon_for_comm(c, s->d.comms[j]);
			if (!k)
				continue;
			if (p->slots[from[k - 1]].line > p->line)
				p->line = p->slots[from[k - 1]].line;
			mb_term_escape(comm, sizeof(comm), s->d.comms[j]);
			return fail(p, "comm",
				    "'%s' is in both %s and [daemon %s] (expected one owner)", comm,
				    hdr, c->daemons[k - 1].name);
		}
		from[n] = i;
		c->daemons[n++] = s->d;
	}
	c->ndaemons = n;
	return 0;
}

int mb_config_load(struct mb_config *c, const char *path, char *err, size_t errlen)
{
	char buf[LINE_MAX_LEN + 2], *s, *eq;
	struct mb_config tmp;
	struct parser p;
	FILE *f = NULL;
	int ret, i;
	size_t len;

	memset(&p, 0, sizeof(p));
	p.file = path ? path : "";
	p.err = err;
	p.errlen = errlen;
	p.c = &tmp;
	if (err && errlen)
		err[0] = '\0';
	mb_config_defaults(&tmp);
	for (i = 0; i < tmp.ndaemons; i++) {
		p.slots[i].d = tmp.daemons[i];
		p.slots[i].enabled = 1;
		p.slots[i].has_comm = 1;
	}
	p.nslots = tmp.ndaemons;
	ret = strlen(p.file) < sizeof(tmp.source) ? 0 : -ENAMETOOLONG;
	if (!ret && !(f = fopen(p.file, "re")))
		ret = -errno;
	errno = 0;
	while (!ret && fgets(buf, sizeof(buf), f)) {
		p.line++;
		len = strlen(buf);
		if (len == sizeof(buf) - 1 && buf[len - 1] != '\n') {
			eq = strchr(buf, '=');
			if (eq)
				*eq = '\0';
			ret = fail(&p, eq ? trim(buf) : "line",
				   "line too long (expected at most %d bytes)", LINE_MAX_LEN);
			break;
		}
		s = buf;
		if (p.line == 1 && !strncmp(s, "\xef\xbb\xbf", 3))
			s += 3; /* a BOM left by an editor */
		s = trim(s);
		if (!*s || *s == '#' || *s == ';')
			continue;
		ret = *s == '[' ? parse_section(&p, s) : parse_kv(&p, s);
	}
	if (!ret && ferror(f))
		ret = errno ? -errno : -EIO;
	if (ret && !p.failed && err && errlen)
		snprintf(err, errlen, "%s: %s", p.file, strerror(-ret));
	if (!ret)
		ret = finish(&p, &tmp);
	if (!ret) {
		snprintf(tmp.source, sizeof(tmp.source), "%s", p.file);
		*c = tmp;
	}
	if (f)
		fclose(f);
	return ret;
}
