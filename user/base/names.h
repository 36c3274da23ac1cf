/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Names for the numbers the kernel and mailbpf use (errno, signal,
 * signal_generate result, event type, fs source, XFS shutdown flags, probe
 * family, program state, exec tier, daemon flavour): every enum -> string
 * table has its one home in names.c. Also small string helpers for the
 * fixed-size char arrays in bpf/mailbpf.h.
 */
#ifndef MAILBPF_NAMES_H
#define MAILBPF_NAMES_H

#include <stddef.h>
#include <stdint.h>
#include "../bpf/mailbpf.h"
#include "alert.h"

/*
 * "E2BIG", "ENOENT", ... for a positive errno (a negative one is folded to
 * its absolute value, as tracepoints report them negative). Unknown values
 * give "E<n>" from a small thread-local ring of buffers, so a few names may
 * be used in one printf; never NULL.
 */
const char *mb_errno_name(int err);

/* "SIGHUP", "SIGUSR1", ... (Linux x86-64 numbering); "SIG<n>" otherwise. */
const char *mb_signal_name(int sig);
/* The number for "HUP", "SIGHUP", "sighup" (and SIGIOT, SIGPOLL); -EINVAL otherwise. */
int mb_signal_number(const char *name);

/*
 * A wait status as the kernel keeps it (task->exit_code): "exit 84",
 * "SIGSEGV", "SIGSEGV (core)". The metric label form is mb_exit_status_label().
 */
void mb_exit_status_str(uint32_t code, char *buf, size_t len);
/* "84" for an exit status, "SIGSEGV" for a signal. */
void mb_exit_status_label(uint32_t code, char *buf, size_t len);

/*
 * enum mb_sig_result: "delivered", "ignored", "already_pending",
 * "overflow_fail", "lose_info"; "unknown" otherwise.
 */
const char *mb_sig_result_name(int r);

/*
 * Copy a kernel char array of srcmax bytes that may lack its NUL (a comm
 * read mid-update, a path cut at MB_PATH_LEN) into dst, always terminated.
 */
void mb_copy_fixed(char *dst, size_t dstlen, const char *src, size_t srcmax);

/*
 * "sh<crond<systemd": the task's own comm, then its ancestors' as read by
 * the kernel, nearest first, stopping at the first empty slot.
 */
void mb_task_ancestry(const struct mb_task *t, char *buf, size_t len);

/* "exec_fail", "signal", "fs_shutdown", ... (the --type / JSON names). */
const char *mb_event_type_name(uint32_t type);
int mb_event_type_parse(const char *name);

/* "xfs_buf_ioerror", ... for enum mb_fs_source. */
const char *mb_fs_source_name(uint32_t source);

/* XFS shutdown reasons, fs/xfs/xfs_mount.h SHUTDOWN_*. */
#define MB_XFS_SHUTDOWN_META_IO 0x01
#define MB_XFS_SHUTDOWN_LOG_IO 0x02
#define MB_XFS_SHUTDOWN_FORCE_UMOUNT 0x04
#define MB_XFS_SHUTDOWN_CORRUPT 0x08
#define MB_XFS_SHUTDOWN_DEVICE_REMOVED 0x20

/* "metadata_io|log_io", "none", unknown bits as hex. */
void mb_fs_shutdown_flags_str(uint32_t flags, char *buf, size_t len);
/* The flags of a shutdown record by its source: XFS bits, ext4's mode, or "unknown". */
void mb_fs_shutdown_desc(uint32_t source, uint32_t flags, char *buf, size_t len);

/* "startup_failure", "child_ok", "master" for enum mb_exit_kind; "unknown" otherwise. */
const char *mb_exit_kind_name(uint32_t kind);

/* "exec", "signal", ... for enum mb_probe. */
const char *mb_probe_name(int probe);
/* "attached", "no tracepoint in this kernel", ... for enum mb_prog_state (progs.h). */
const char *mb_prog_state_name(int state);
/* "auto", "fexit" or "syscall" (enum mb_exec_probe); mb_config_parse_exec_probe() reads them back. */
const char *mb_exec_probe_name(int probe);
/* "dovecot", "postfix", "exim", "other"; mb_config_parse_flavor() reads them back. */
const char *mb_flavor_name(int flavor);

/*
 * printf into a->summary (alert.c). Summaries quote kernel strings of any length and
 * are cut at sizeof(summary) by design; this keeps gcc's truncation
 * warning for the places where cutting would be a bug.
 */
void mb_alert_summary(struct mb_alert *a, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/*
 * The name of the environment variable an exec record's longest string
 * belongs to: the bytes of e->longest_name before '=' (at most
 * MB_ENV_NAME_LEN - 1). Empty, returning 0, when the longest string was an
 * argv one (those are named by index only: they can hold secrets) or the
 * kernel sent no name. Returns the name's length.
 */
size_t mb_exec_env_name(const struct mb_exec_event *e, char *buf, size_t len);

/* Last path component: "/usr/lib/dovecot/imap-login" -> "imap-login". */
const char *mb_basename(const char *path);

#endif
