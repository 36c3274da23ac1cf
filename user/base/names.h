/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Names for the numbers the kernel hands us (errno, signal, signal_generate
 * result) and small string helpers for the fixed-size char arrays in
 * bpf/mailbpf.h and for alert text. Implemented in detect_common.c.
 */
#ifndef MAILBPF_NAMES_H
#define MAILBPF_NAMES_H

#include <stddef.h>
#include <stdint.h>
#include "../bpf/mailbpf.h"
#include "detect.h"

/*
 * "E2BIG", "ENOENT", ... for a positive errno (a negative one is folded to
 * its absolute value, as tracepoints report them negative). Unknown values
 * give "E<n>" from a small thread-local ring of buffers, so a few names may
 * be used in one printf; never NULL.
 */
const char *mb_errno_name(int err);

/* "SIGHUP", "SIGUSR1", ... (Linux x86 numbering); "SIG<n>" otherwise. */
const char *mb_signal_name(int sig);

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

/*
 * printf into a->summary. Summaries quote kernel strings of any length and
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
