// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Prometheus text exposition builder and atomic textfile writer.
 * node_exporter's textfile collector rejects a whole file for
 * one malformed line, so names are validated and values escaped here, once.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "escape.h"
#include "prom.h"

void mb_prom_init(struct mb_prom *p)
{
	memset(p, 0, sizeof(*p));
}

void mb_prom_free(struct mb_prom *p)
{
	free(p->buf);
	mb_prom_init(p);
}

void mb_prom_reset(struct mb_prom *p)
{
	p->len = 0;
	p->err = 0;
	if (p->buf)
		p->buf[0] = '\0';
}

static int reserve(struct mb_prom *p, size_t extra)
{
	size_t cap = p->cap ? p->cap : 4096;
	char *nb;

	if (p->err)
		return p->err;
	if (extra > SIZE_MAX / 2 - p->len) {
		p->err = -ENOMEM;
		return p->err;
	}
	while (cap < p->len + extra + 1)
		cap *= 2;
	if (cap == p->cap)
		return 0;
	nb = realloc(p->buf, cap);
	if (!nb) {
		p->err = -ENOMEM;
		return p->err;
	}
	p->buf = nb;
	p->cap = cap;
	return 0;
}

static void appendf(struct mb_prom *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Errors only set p->err: callers check it once after a whole line. */
static void appendf(struct mb_prom *p, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || reserve(p, (size_t)n))
		return;
	va_start(ap, fmt);
	vsnprintf(p->buf + p->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	p->len += (size_t)n;
}

static void append_escaped(struct mb_prom *p, size_t (*esc)(char *, size_t, const char *),
			   const char *s)
{
	size_t n = esc(NULL, 0, s);

	if (reserve(p, n))
		return;
	esc(p->buf + p->len, n + 1, s);
	p->len += n;
}

static int valid_name(const char *s, int colon)
{
	const char *c;

	if (!s || !*s || (*s >= '0' && *s <= '9'))
		return 0;
	for (c = s; *c; c++) {
		if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
		      (*c >= '0' && *c <= '9') || *c == '_' || (colon && *c == ':')))
			return 0;
	}
	return 1;
}

/*
 * Counters must read as integers ("12", not "1.2e+01"), which %.17g gives
 * only below 1e17; other values get the shortest form that reads back
 * exactly, so 0.1 is "0.1" and not "0.10000000000000001".
 */
static void format_value(char *out, size_t len, double v)
{
	int prec;

	if (isnan(v)) {
		snprintf(out, len, "NaN");
	} else if (isinf(v)) {
		snprintf(out, len, v > 0 ? "+Inf" : "-Inf");
	} else if (v == 0) {
		snprintf(out, len, "0"); /* never "-0" */
	} else if (v == trunc(v) && fabs(v) < 1e17) {
		snprintf(out, len, "%.0f", v);
	} else {
		for (prec = 1; prec <= 17; prec++) {
			snprintf(out, len, "%.*g", prec, v);
			if (strtod(out, NULL) == v)
				break;
		}
	}
}

/* Undo a half-written line so a failed call leaves whole lines only. */
static int rollback(struct mb_prom *p, size_t len, int err)
{
	if (p->buf && len <= p->len) {
		p->len = len;
		p->buf[len] = '\0';
	}
	return err;
}

int mb_prom_family(struct mb_prom *p, const char *name, const char *type, const char *help)
{
	size_t start = p->len;

	if (!valid_name(name, 1) || !type ||
	    (strcmp(type, "counter") && strcmp(type, "gauge") && strcmp(type, "untyped")))
		return -EINVAL;
	appendf(p, "# HELP %s ", name);
	append_escaped(p, mb_prom_help_escape, help);
	appendf(p, "\n# TYPE %s %s\n", name, type);
	return p->err ? rollback(p, start, p->err) : 0;
}

int mb_prom_sample(struct mb_prom *p, const char *name, const char *const *labels, double value)
{
	size_t start = p->len, i;
	char num[64];

	if (!valid_name(name, 1))
		return -EINVAL;
	for (i = 0; labels && labels[i]; i += 2) {
		/* __-prefixed label names are reserved for Prometheus itself. */
		if (!valid_name(labels[i], 0) || !labels[i + 1] || !strncmp(labels[i], "__", 2))
			return -EINVAL;
	}
	appendf(p, "%s", name);
	for (i = 0; labels && labels[i]; i += 2) {
		appendf(p, "%s%s=\"", i ? "," : "{", labels[i]);
		append_escaped(p, mb_prom_escape, labels[i + 1]);
		appendf(p, "\"");
	}
	format_value(num, sizeof(num), value);
	appendf(p, "%s %s\n", i ? "}" : "", num);
	return p->err ? rollback(p, start, p->err) : 0;
}

static int write_all(int fd, const char *buf, size_t len)
{
	ssize_t n;

	while (len) {
		n = write(fd, buf, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -EIO; /* no progress: do not spin */
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

int mb_textfile_write(const char *path, const char *buf, size_t len)
{
	const int flags = O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC;
	char dir[PATH_MAX], tmp[PATH_MAX];
	int fd = -1, dfd = -1, made = 0, err = 0, n;
	const char *slash, *base;

	if (!path || !*path)
		return -EINVAL;
	slash = strrchr(path, '/');
	base = slash ? slash + 1 : path;
	if (!*base)
		return -EISDIR;
	if (!slash)
		n = snprintf(dir, sizeof(dir), ".");
	else
		n = snprintf(dir, sizeof(dir), "%.*s", slash == path ? 1 : (int)(slash - path),
			     path);
	if (n < 0 || (size_t)n >= sizeof(dir))
		return -ENAMETOOLONG;
	/* Same directory, so rename() is atomic; the leading dot and the
	 * suffix keep node_exporter (*.prom only) from reading a partial file.
	 */
	n = snprintf(tmp, sizeof(tmp), "%.*s.%s.tmp.%d", (int)(base - path), path, base,
		     (int)getpid());
	if (n < 0 || (size_t)n >= sizeof(tmp))
		return -ENAMETOOLONG;

	fd = open(tmp, flags, 0644);
	if (fd < 0 && errno == EEXIST) {
		/* Left by an earlier process that had our PID and crashed. */
		unlink(tmp);
		fd = open(tmp, flags, 0644);
	}
	if (fd < 0) {
		err = -errno;
		goto cleanup;
	}
	made = 1;
	/* The daemon may run with a strict umask; node_exporter is another user. */
	if (fchmod(fd, 0644) < 0) {
		err = -errno;
		goto cleanup;
	}
	err = write_all(fd, buf, len);
	if (err)
		goto cleanup;
	if (fsync(fd) < 0) {
		err = -errno;
		goto cleanup;
	}
	/* close() can report a delayed write error (NFS); it must count. */
	n = close(fd);
	fd = -1;
	if (n < 0) {
		err = -errno;
		goto cleanup;
	}
	if (rename(tmp, path) < 0) {
		err = -errno;
		goto cleanup;
	}
	made = 0;
	/* Make the rename itself survive a crash. */
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0 || fsync(dfd) < 0)
		err = -errno;
cleanup:
	if (fd >= 0)
		close(fd);
	if (made)
		unlink(tmp);
	if (dfd >= 0)
		close(dfd);
	return err;
}

void mb_textfile_dir(const char *path, char *dir, size_t len)
{
	char *slash;

	snprintf(dir, len, "%s", path);
	slash = strrchr(dir, '/');
	if (slash == dir)
		dir[1] = 0;
	else if (slash)
		*slash = 0;
	else
		snprintf(dir, len, ".");
}

int mb_textfile_probe(const char *path, char *dir, size_t len)
{
	char probe[MB_PATH_LEN + 32];
	int fd;

	mb_textfile_dir(path, dir, len);
	snprintf(probe, sizeof(probe), "%s/.mailbpf-check.%d", dir, (int)getpid());
	fd = open(probe, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	close(fd);
	unlink(probe);
	return 0;
}
