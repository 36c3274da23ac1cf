// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * JSON Lines alert log and syslog. Every string in an alert may hold bytes
 * a local user chose (a comm, a file name), so each one is escaped here:
 * a forged closing brace or newline must never start a second record.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>
#include "alertlog.h"
#include "escape.h"

/* The words are mb_severity_name()'s; syslog wants its own priorities. */
static int sev_prio(enum mb_severity s)
{
	return s == MB_SEV_CRITICAL ? LOG_CRIT : s == MB_SEV_INFO ? LOG_INFO : LOG_WARNING;
}

static int open_file(const char *path, FILE **out)
{
	int fd, err;
	FILE *f;

	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY, 0640);
	if (fd < 0)
		return -errno;
	f = fdopen(fd, "a");
	if (!f) {
		err = -errno;
		close(fd);
		return err;
	}
	/* Lines are built whole in memory: unbuffered, each is one write(2). */
	setvbuf(f, NULL, _IONBF, 0);
	*out = f;
	return 0;
}

int mb_alertlog_open(struct mb_alertlog *l, const char *path, int use_syslog)
{
	int err;

	memset(l, 0, sizeof(*l));
	if (!path)
		path = "";
	if (strlen(path) >= sizeof(l->path)) {
		snprintf(l->errmsg, sizeof(l->errmsg), "%.64s...: %s", path,
			 strerror(ENAMETOOLONG));
		return -ENAMETOOLONG;
	}
	strcpy(l->path, path);
	if (!strcmp(path, "-")) {
		l->f = stdout;
	} else if (*path) {
		err = open_file(path, &l->f);
		if (err) {
			snprintf(l->errmsg, sizeof(l->errmsg), "%s: %s", path, strerror(-err));
			return err;
		}
		l->own = 1;
	}
	l->use_syslog = use_syslog;
	if (use_syslog)
		openlog("mailbpf", LOG_PID, LOG_DAEMON);
	return 0;
}

int mb_alertlog_reopen(struct mb_alertlog *l)
{
	FILE *nf;
	int err;

	if (!l->own)
		return 0;
	err = open_file(l->path, &nf);
	if (err) {
		snprintf(l->errmsg, sizeof(l->errmsg), "%s: %s", l->path, strerror(-err));
		return err;
	}
	fclose(l->f);
	l->f = nf;
	return 0;
}

void mb_alertlog_close(struct mb_alertlog *l)
{
	if (l->own && l->f)
		fclose(l->f);
	else if (l->f)
		fflush(l->f);
	if (l->use_syslog)
		closelog();
	memset(l, 0, sizeof(*l));
}

/*
 * Escape and print a char array of at most max bytes. The array comes from
 * a detector; bounding it here means one missing NUL cannot read past it.
 */
static void put_json(FILE *m, const char *s, size_t max,
		     size_t (*esc)(char *, size_t, const char *))
{
	char raw[MB_FIELD_LEN * 2], out[MB_FIELD_LEN * 2 * 6 + 1];
	size_t n = s ? strnlen(s, max) : 0;

	if (n >= sizeof(raw))
		n = sizeof(raw) - 1;
	if (n)
		memcpy(raw, s, n);
	raw[n] = '\0';
	esc(out, sizeof(out), raw);
	fputs(out, m);
}

/* "2026-11-22T06:30:01.123Z", millisecond precision, rounded. */
static void format_time(char *out, size_t len, double t)
{
	struct tm tm;
	time_t sec;
	long ms;

	if (!(t >= 0)) /* also NaN */
		t = 0;
	if (t > 253402300799.0) /* 9999-12-31T23:59:59Z */
		t = 253402300799.0;
	sec = (time_t)t;
	ms = lround((t - (double)sec) * 1000);
	if (ms >= 1000) {
		sec++;
		ms -= 1000;
	}
	gmtime_r(&sec, &tm);
	snprintf(out, len, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ", tm.tm_year + 1900, tm.tm_mon + 1,
		 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ms);
}

static void send_syslog(const struct mb_alert *a)
{
	char kind[128], summary[sizeof(a->summary) * 4 + 1], raw[sizeof(a->summary)];
	size_t n = strnlen(a->summary, sizeof(raw) - 1);

	memcpy(raw, a->summary, n);
	raw[n] = '\0';
	/* syslog daemons differ in what they do with control bytes: escape. */
	mb_term_escape(kind, sizeof(kind), a->kind ? a->kind : "alert");
	mb_term_escape(summary, sizeof(summary), raw);
	syslog(sev_prio(a->severity), "%s: %s", kind, summary);
}

int mb_alertlog_write(struct mb_alertlog *l, const struct mb_alert *a, double wall_time_s)
{
	char ts[128], *line = NULL;
	int i, nfields, first = 1, err = 0;
	size_t len = 0;
	FILE *m;

	if (l->use_syslog)
		send_syslog(a);
	if (!l->f)
		return 0;
	m = open_memstream(&line, &len);
	if (!m) {
		snprintf(l->errmsg, sizeof(l->errmsg), "%s: %s", l->path, strerror(ENOMEM));
		return -ENOMEM;
	}
	format_time(ts, sizeof(ts), wall_time_s);
	fprintf(m, "{\"time\":\"%s\",\"severity\":\"%s\",\"kind\":\"", ts,
		mb_severity_name(a->severity));
	put_json(m, a->kind ? a->kind : "alert", MB_FIELD_LEN, mb_json_escape);
	fputs("\",\"summary\":\"", m);
	put_json(m, a->summary, sizeof(a->summary), mb_json_escape);
	fputs("\",\"details\":{", m);
	nfields = a->nfields < 0 ? 0 : a->nfields > MB_ALERT_FIELDS ? MB_ALERT_FIELDS : a->nfields;
	for (i = 0; i < nfields; i++) {
		const struct mb_field *fl = &a->fields[i];

		if (!fl->key)
			continue;
		fputs(first ? "\"" : ",\"", m);
		first = 0;
		put_json(m, fl->key, MB_FIELD_LEN, mb_json_escape);
		if (fl->type == MB_F_INT) {
			fprintf(m, "\":%" PRId64, fl->i);
		} else {
			fputs("\":\"", m);
			put_json(m, fl->s, sizeof(fl->s), mb_json_escape);
			fputs("\"", m);
		}
	}
	fputs("}}\n", m);
	if (fclose(m) || !line) {
		free(line);
		snprintf(l->errmsg, sizeof(l->errmsg), "%s: %s", l->path, strerror(ENOMEM));
		return -ENOMEM;
	}
	errno = 0;
	if (fwrite(line, 1, len, l->f) != len || fflush(l->f)) {
		err = errno ? -errno : -EIO;
		snprintf(l->errmsg, sizeof(l->errmsg), "%s: %s", l->path, strerror(-err));
		/* A full disk may clear up: let the next alert try again. */
		clearerr(l->f);
	}
	free(line);
	return err;
}
