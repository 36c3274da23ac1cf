// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Shared pieces of the detectors: alert building, mount lookup and the
 * names of kernel numbers. Nothing here allocates or fails loudly: an alert
 * that runs out of field slots loses its last fields rather than the alert.
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "detect.h"
#include "names.h"

void mb_alert_init(struct mb_alert *a, uint64_t ts_ns, enum mb_severity sev, const char *kind)
{
	memset(a, 0, sizeof(*a));
	a->ts_ns = ts_ns;
	a->severity = sev;
	a->kind = kind;
}

static struct mb_field *next_field(struct mb_alert *a, const char *key)
{
	struct mb_field *f;

	/* Dropping the field keeps the alert: the summary still says it all. */
	if (!key || a->nfields < 0 || a->nfields >= MB_ALERT_FIELDS)
		return NULL;
	f = &a->fields[a->nfields++];
	memset(f, 0, sizeof(*f));
	f->key = key;
	return f;
}

void mb_alert_str(struct mb_alert *a, const char *key, const char *val)
{
	struct mb_field *f = next_field(a, key);
	size_t n;

	if (!f)
		return;
	f->type = MB_F_STR;
	if (!val)
		return;
	/* Raw bytes on purpose: only the writers know their escaping rules. */
	n = strnlen(val, sizeof(f->s) - 1);
	memcpy(f->s, val, n);
	f->s[n] = '\0';
}

void mb_alert_int(struct mb_alert *a, const char *key, int64_t val)
{
	struct mb_field *f = next_field(a, key);

	if (!f)
		return;
	f->type = MB_F_INT;
	f->i = val;
}

void mb_alert_summary(struct mb_alert *a, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(a->summary, sizeof(a->summary), fmt, ap);
	va_end(ap);
}

const char *mb_severity_name(enum mb_severity s)
{
	switch (s) {
	case MB_SEV_INFO:
		return "info";
	case MB_SEV_WARNING:
		return "warning";
	case MB_SEV_CRITICAL:
		return "critical";
	}
	/* Out of range: treated as a warning, never dropped or left unnamed. */
	return "warning";
}

/*
 * Bind mounts share a dev; the first line of mountinfo for it is the
 * original mount, which is the name an operator knows the device by.
 */
const struct mb_mount *mb_mounts_find(const struct mb_mounts *t, uint32_t dev)
{
	int i, n;

	if (!t)
		return NULL;
	n = t->n < MB_MAX_MOUNTS ? t->n : MB_MAX_MOUNTS;
	for (i = 0; i < n; i++)
		if (t->m[i].dev == dev)
			return &t->m[i];
	return NULL;
}

/*
 * A few unknown numbers can appear in one printf, so rotate through a small
 * set of thread-local buffers instead of sharing one.
 */
static const char *fallback(const char *prefix, int n)
{
	static __thread char bufs[4][24];
	static __thread unsigned int next;
	char *b = bufs[next++ % 4];

	snprintf(b, sizeof(bufs[0]), "%s%d", prefix, n);
	return b;
}

#define ERRNO_CASE(x) \
	case x:       \
		return #x

const char *mb_errno_name(int err)
{
	if (err < 0 && err != INT_MIN)
		err = -err;
	switch (err) {
		ERRNO_CASE(EPERM);
		ERRNO_CASE(ENOENT);
		ERRNO_CASE(ESRCH);
		ERRNO_CASE(EINTR);
		ERRNO_CASE(EIO);
		ERRNO_CASE(ENXIO);
		ERRNO_CASE(E2BIG);
		ERRNO_CASE(ENOEXEC);
		ERRNO_CASE(EBADF);
		ERRNO_CASE(ECHILD);
		ERRNO_CASE(EAGAIN);
		ERRNO_CASE(ENOMEM);
		ERRNO_CASE(EACCES);
		ERRNO_CASE(EFAULT);
		ERRNO_CASE(EBUSY);
		ERRNO_CASE(EEXIST);
		ERRNO_CASE(EXDEV);
		ERRNO_CASE(ENODEV);
		ERRNO_CASE(ENOTDIR);
		ERRNO_CASE(EISDIR);
		ERRNO_CASE(EINVAL);
		ERRNO_CASE(ENFILE);
		ERRNO_CASE(EMFILE);
		ERRNO_CASE(ENOTTY);
		ERRNO_CASE(ETXTBSY);
		ERRNO_CASE(EFBIG);
		ERRNO_CASE(ENOSPC);
		ERRNO_CASE(ESPIPE);
		ERRNO_CASE(EROFS);
		ERRNO_CASE(EMLINK);
		ERRNO_CASE(EPIPE);
		ERRNO_CASE(EDOM);
		ERRNO_CASE(ERANGE);
		ERRNO_CASE(EDEADLK);
		ERRNO_CASE(ENAMETOOLONG);
		ERRNO_CASE(ENOLCK);
		ERRNO_CASE(ENOSYS);
		ERRNO_CASE(ENOTEMPTY);
		ERRNO_CASE(ELOOP);
		ERRNO_CASE(ENODATA);
		ERRNO_CASE(ETIME);
		ERRNO_CASE(ENOLINK);
		ERRNO_CASE(EPROTO);
		ERRNO_CASE(EOVERFLOW);
		ERRNO_CASE(ELIBBAD);
		ERRNO_CASE(EILSEQ);
		ERRNO_CASE(EUSERS);
		ERRNO_CASE(ENOTSOCK);
		ERRNO_CASE(EOPNOTSUPP);
		ERRNO_CASE(EADDRINUSE);
		ERRNO_CASE(ENETDOWN);
		ERRNO_CASE(ENETUNREACH);
		ERRNO_CASE(ECONNABORTED);
		ERRNO_CASE(ECONNRESET);
		ERRNO_CASE(ENOBUFS);
		ERRNO_CASE(ENOTCONN);
		ERRNO_CASE(ETIMEDOUT);
		ERRNO_CASE(ECONNREFUSED);
		ERRNO_CASE(EHOSTUNREACH);
		ERRNO_CASE(EALREADY);
		ERRNO_CASE(EINPROGRESS);
		ERRNO_CASE(ESTALE);
		ERRNO_CASE(EUCLEAN); /* what XFS reports as EFSCORRUPTED */
		ERRNO_CASE(EREMOTEIO);
		ERRNO_CASE(EDQUOT);
		ERRNO_CASE(ENOMEDIUM);
		ERRNO_CASE(ECANCELED);
		ERRNO_CASE(EKEYEXPIRED);
		ERRNO_CASE(EOWNERDEAD);
		ERRNO_CASE(ENOTRECOVERABLE);
		ERRNO_CASE(EHWPOISON);
	}
	return fallback("E", err);
}

/* Linux x86/arm/generic numbering; mips, alpha and sparc differ. */
static const char *const sig_names[] = {
	[1] = "SIGHUP",	    [2] = "SIGINT",   [3] = "SIGQUIT",	 [4] = "SIGILL",   [5] = "SIGTRAP",
	[6] = "SIGABRT",    [7] = "SIGBUS",   [8] = "SIGFPE",	 [9] = "SIGKILL",  [10] = "SIGUSR1",
	[11] = "SIGSEGV",   [12] = "SIGUSR2", [13] = "SIGPIPE",	 [14] = "SIGALRM", [15] = "SIGTERM",
	[16] = "SIGSTKFLT", [17] = "SIGCHLD", [18] = "SIGCONT",	 [19] = "SIGSTOP", [20] = "SIGTSTP",
	[21] = "SIGTTIN",   [22] = "SIGTTOU", [23] = "SIGURG",	 [24] = "SIGXCPU", [25] = "SIGXFSZ",
	[26] = "SIGVTALRM", [27] = "SIGPROF", [28] = "SIGWINCH", [29] = "SIGIO",   [30] = "SIGPWR",
	[31] = "SIGSYS",
};

const char *mb_signal_name(int sig)
{
	if (sig > 0 && sig < (int)(sizeof(sig_names) / sizeof(sig_names[0])) && sig_names[sig])
		return sig_names[sig];
	return fallback("SIG", sig);
}

void mb_exit_status_str(uint32_t code, char *buf, size_t len)
{
	if (code & 0x7f)
		snprintf(buf, len, "%s%s", mb_signal_name((int)(code & 0x7f)),
			 code & 0x80 ? " (core)" : "");
	else
		snprintf(buf, len, "exit %u", code >> 8 & 0xff);
}

void mb_exit_status_label(uint32_t code, char *buf, size_t len)
{
	if (code & 0x7f)
		snprintf(buf, len, "%s", mb_signal_name((int)(code & 0x7f)));
	else
		snprintf(buf, len, "%u", code >> 8 & 0xff);
}

const char *mb_sig_result_name(int r)
{
	switch (r) {
	case MB_SIG_DELIVERED:
		return "delivered";
	case MB_SIG_IGNORED:
		return "ignored";
	case MB_SIG_ALREADY_PENDING:
		return "already_pending";
	case MB_SIG_OVERFLOW_FAIL:
		return "overflow_fail";
	case MB_SIG_LOSE_INFO:
		return "lose_info";
	}
	return "unknown";
}

void mb_copy_fixed(char *dst, size_t dstlen, const char *src, size_t srcmax)
{
	size_t n;

	if (!dst || !dstlen)
		return;
	n = src ? strnlen(src, srcmax) : 0;
	if (n > dstlen - 1)
		n = dstlen - 1;
	if (n)
		memcpy(dst, src, n);
	dst[n] = '\0';
}

void mb_task_ancestry(const struct mb_task *t, char *buf, size_t len)
{
	char comm[MB_COMM_LEN + 1];
	size_t off;
	int i, n;

	if (!buf || !len)
		return;
	buf[0] = '\0';
	if (!t)
		return;
	mb_copy_fixed(comm, sizeof(comm), t->comm, MB_COMM_LEN);
	n = snprintf(buf, len, "%s", comm);
	off = n < 0 ? 0 : (size_t)n;
	for (i = 0; i < MB_ANCESTORS && off < len; i++) {
		/* The kernel stops filling at init or at a task it could not read. */
		if (!t->anc_comm[i][0])
			break;
		mb_copy_fixed(comm, sizeof(comm), t->anc_comm[i], MB_COMM_LEN);
		n = snprintf(buf + off, len - off, "<%s", comm);
		if (n < 0)
			break;
		off += (size_t)n;
	}
}

const char *mb_basename(const char *path)
{
	const char *slash;

	if (!path)
		return "";
	slash = strrchr(path, '/');
	/* "/usr/bin/" names a directory, not a program: keep it whole. */
	if (!slash || !slash[1])
		return path;
	return slash + 1;
}

size_t mb_exec_env_name(const struct mb_exec_event *e, char *buf, size_t len)
{
	size_t n = 0;

	if (!len)
		return 0;
	if (e->longest_is_env && e->longest)
		while (n < sizeof(e->longest_name) - 1 && n < len - 1 && e->longest_name[n] &&
		       e->longest_name[n] != '=')
			n++;
	memcpy(buf, e->longest_name, n);
	buf[n] = 0;
	return n;
}
