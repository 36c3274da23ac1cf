// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Every enum -> string table of mailbpf, one home each: errno, signals,
 * signal_generate results, wait statuses, severities, event types, fs
 * sources and shutdown flags, probe families, program states, exec tiers and
 * daemon flavours; and the small helpers for the kernel's fixed-size char
 * arrays. Nothing here allocates or fails.
 */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include "names.h"
#include "progs.h"

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

/*
 * Signal numbers as the kernel reports them on x86-64, the one architecture
 * mailbpf builds for (the Makefile refuses others). The one table of them:
 * names in trace lines, alerts and metrics, and the config's `signals =`
 * list read back through mb_signal_number(). The build host's <signal.h>
 * must agree, or this does not compile.
 */
static const char *const sig_names[] = {
	[1] = "SIGHUP",	    [2] = "SIGINT",   [3] = "SIGQUIT",	 [4] = "SIGILL",   [5] = "SIGTRAP",
	[6] = "SIGABRT",    [7] = "SIGBUS",   [8] = "SIGFPE",	 [9] = "SIGKILL",  [10] = "SIGUSR1",
	[11] = "SIGSEGV",   [12] = "SIGUSR2", [13] = "SIGPIPE",	 [14] = "SIGALRM", [15] = "SIGTERM",
	[16] = "SIGSTKFLT", [17] = "SIGCHLD", [18] = "SIGCONT",	 [19] = "SIGSTOP", [20] = "SIGTSTP",
	[21] = "SIGTTIN",   [22] = "SIGTTOU", [23] = "SIGURG",	 [24] = "SIGXCPU", [25] = "SIGXFSZ",
	[26] = "SIGVTALRM", [27] = "SIGPROF", [28] = "SIGWINCH", [29] = "SIGIO",   [30] = "SIGPWR",
	[31] = "SIGSYS",
};
#define SIG_SAME(name, n) _Static_assert(name == n, #name " is not " #n " here")
SIG_SAME(SIGHUP, 1);
SIG_SAME(SIGINT, 2);
SIG_SAME(SIGQUIT, 3);
SIG_SAME(SIGILL, 4);
SIG_SAME(SIGTRAP, 5);
SIG_SAME(SIGABRT, 6);
SIG_SAME(SIGIOT, 6);
SIG_SAME(SIGBUS, 7);
SIG_SAME(SIGFPE, 8);
SIG_SAME(SIGKILL, 9);
SIG_SAME(SIGUSR1, 10);
SIG_SAME(SIGSEGV, 11);
SIG_SAME(SIGUSR2, 12);
SIG_SAME(SIGPIPE, 13);
SIG_SAME(SIGALRM, 14);
SIG_SAME(SIGTERM, 15);
SIG_SAME(SIGSTKFLT, 16);
SIG_SAME(SIGCHLD, 17);
SIG_SAME(SIGCONT, 18);
SIG_SAME(SIGSTOP, 19);
SIG_SAME(SIGTSTP, 20);
SIG_SAME(SIGTTIN, 21);
SIG_SAME(SIGTTOU, 22);
SIG_SAME(SIGURG, 23);
SIG_SAME(SIGXCPU, 24);
SIG_SAME(SIGXFSZ, 25);
SIG_SAME(SIGVTALRM, 26);
SIG_SAME(SIGPROF, 27);
SIG_SAME(SIGWINCH, 28);
SIG_SAME(SIGIO, 29);
SIG_SAME(SIGPOLL, 29);
SIG_SAME(SIGPWR, 30);
SIG_SAME(SIGSYS, 31);

#define NSIGNAMES ((int)(sizeof(sig_names) / sizeof(sig_names[0])))

const char *mb_signal_name(int sig)
{
	if (sig > 0 && sig < NSIGNAMES && sig_names[sig])
		return sig_names[sig];
	return fallback("SIG", sig);
}

int mb_signal_number(const char *name)
{
	if (!name)
		return -EINVAL;
	if (!strncasecmp(name, "SIG", 3))
		name += 3;
	/* The two other names <signal.h> gives: SIGIOT and SIGPOLL. */
	if (!strcasecmp(name, "IOT"))
		return SIGIOT;
	if (!strcasecmp(name, "POLL"))
		return SIGPOLL;
	for (int i = 1; i < NSIGNAMES; i++)
		if (sig_names[i] && !strcasecmp(name, sig_names[i] + 3))
			return i;
	return -EINVAL;
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

static const char *const type_names[MB_EV_MAX] = {
	[MB_EV_EXEC_FAIL] = "exec_fail",     [MB_EV_EXEC_NEAR] = "exec_near",
	[MB_EV_SIGNAL] = "signal",	     [MB_EV_FS_ERROR] = "fs_error",
	[MB_EV_FS_SHUTDOWN] = "fs_shutdown", [MB_EV_FS_CORRUPT] = "fs_corrupt",
	[MB_EV_BLOCK_ERROR] = "block_error", [MB_EV_PROC_EXIT] = "proc_exit",
};

const char *mb_event_type_name(uint32_t type)
{
	return type < MB_EV_MAX && type_names[type] ? type_names[type] : "unknown";
}

int mb_event_type_parse(const char *name)
{
	for (int t = 1; t < MB_EV_MAX; t++)
		if (type_names[t] && !strcmp(name, type_names[t]))
			return t;
	return -EINVAL;
}

static const char *const fs_sources[] = {
	[MB_FS_BUF_IOERROR] = "xfs_buf_ioerror",
	[MB_FS_FORCE_SHUTDOWN] = "xfs_force_shutdown",
	[MB_FS_MARK_SICK] = "xfs_fs_mark_sick",
	[MB_FS_MARK_CORRUPT] = "xfs_fs_mark_corrupt",
	[MB_FS_INODE_SICK] = "xfs_inode_mark_sick",
	[MB_FS_INODE_CORRUPT] = "xfs_inode_mark_corrupt",
	[MB_FS_GROUP_SICK] = "xfs_group_mark_sick",
	[MB_FS_GROUP_CORRUPT] = "xfs_group_mark_corrupt",
	[MB_FS_BTREE_CORRUPT] = "xfs_btree_corrupt",
	[MB_FS_UNFIXED_CORRUPTION] = "xfs_fs_unfixed_corruption",
	[MB_FS_BLOCK_RQ_ERROR] = "block_rq_error",
	[MB_FS_STAT_EIO] = "stat_eio",
	[MB_FS_EXT4_ERROR] = "ext4_error",
	[MB_FS_EXT4_SHUTDOWN] = "ext4_shutdown",
	[MB_FS_AG_SICK] = "xfs_ag_mark_sick",
	[MB_FS_AG_CORRUPT] = "xfs_ag_mark_corrupt",
	[MB_FS_BLOCK_NOTSUPP] = "block_rq_notsupp",
	[MB_FS_MNT_SHUTDOWN] = "mountinfo_shutdown",
};

const char *mb_fs_source_name(uint32_t source)
{
	if (source < sizeof(fs_sources) / sizeof(fs_sources[0]) && fs_sources[source])
		return fs_sources[source];
	return "unknown";
}

void mb_fs_shutdown_flags_str(uint32_t flags, char *buf, size_t len)
{
	static const struct {
		uint32_t bit;
		const char *name;
	} bits[] = {
		{ MB_XFS_SHUTDOWN_META_IO, "metadata_io" },
		{ MB_XFS_SHUTDOWN_LOG_IO, "log_io" },
		{ MB_XFS_SHUTDOWN_FORCE_UMOUNT, "force_umount" },
		{ MB_XFS_SHUTDOWN_CORRUPT, "corruption" },
		{ MB_XFS_SHUTDOWN_DEVICE_REMOVED, "device_removed" },
	};
	size_t off = 0, i;
	int n;

	if (!buf || !len)
		return;
	snprintf(buf, len, "none");
	for (i = 0; i < sizeof(bits) / sizeof(bits[0]) && off < len; i++) {
		if (!(flags & bits[i].bit))
			continue;
		flags &= ~bits[i].bit;
		n = snprintf(buf + off, len - off, "%s%s", off ? "|" : "", bits[i].name);
		off += n > 0 ? (size_t)n : 0;
	}
	if (flags && off < len)
		snprintf(buf + off, len - off, "%s0x%x", off ? "|" : "", flags);
}

void mb_fs_shutdown_desc(uint32_t source, uint32_t flags, char *buf, size_t len)
{
	/* EXT4_GOING_FLAGS_*: how much was written before the shutdown. */
	static const char *const ext4[] = { "default", "logflush", "nologflush" };

	if (!buf || !len)
		return;
	if (source == MB_FS_EXT4_SHUTDOWN)
		snprintf(buf, len, "%s", flags < 3 ? ext4[flags] : "unknown");
	else if (source == MB_FS_MNT_SHUTDOWN)
		snprintf(buf, len, "unknown");
	else
		mb_fs_shutdown_flags_str(flags, buf, len);
}

static const char *const probe_names[MB_PROBE_MAX] = {
	[MB_PROBE_EXEC] = "exec", [MB_PROBE_EXEC_NEAR] = "exec_near", [MB_PROBE_SIGNAL] = "signal",
	[MB_PROBE_XFS] = "xfs",	  [MB_PROBE_BLOCK] = "block",	      [MB_PROBE_EXT4] = "ext4",
	[MB_PROBE_PROC] = "proc",
};

const char *mb_probe_name(int probe)
{
	return probe >= 0 && probe < MB_PROBE_MAX ? probe_names[probe] : "unknown";
}

const char *mb_prog_state_name(int state)
{
	switch (state) {
	case MB_PROG_ATTACHED:
		return "attached";
	case MB_PROG_NO_TRACEPOINT:
		return "no tracepoint in this kernel";
	case MB_PROG_LOAD_FAILED:
		return "does not load on this kernel";
	case MB_PROG_ATTACH_FAILED:
		return "does not attach";
	case MB_PROG_UNUSED:
		return "not needed here";
	default:
		return "not loaded";
	}
}

static const char *const exec_probe_names[MB_EXEC_PROBE_MAX] = {
	[MB_EXEC_PROBE_AUTO] = "auto",
	[MB_EXEC_PROBE_FEXIT] = "fexit",
	[MB_EXEC_PROBE_SYSCALL] = "syscall",
};

const char *mb_exec_probe_name(int probe)
{
	return probe > 0 && probe < MB_EXEC_PROBE_MAX ? exec_probe_names[probe] :
							exec_probe_names[0];
}

static const char *const flavor_names[] = { "other", "dovecot", "postfix", "exim" };

const char *mb_flavor_name(int flavor)
{
	return flavor > 0 && flavor <= MB_FLAVOR_EXIM ? flavor_names[flavor] : flavor_names[0];
}

static const char *const exit_kinds[] = {
	[MB_EXIT_STARTUP_FAIL] = "startup_failure",
	[MB_EXIT_CHILD_OK] = "child_ok",
	[MB_EXIT_MASTER] = "master",
};

const char *mb_exit_kind_name(uint32_t kind)
{
	return kind < sizeof(exit_kinds) / sizeof(exit_kinds[0]) && exit_kinds[kind] ?
		       exit_kinds[kind] :
		       "unknown";
}
