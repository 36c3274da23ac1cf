/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Diagnostics on stderr: lowercase, prefixed, one line each. */
#ifndef MAILBPF_LOG_H
#define MAILBPF_LOG_H

extern int mb_verbose;

void warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
