/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Diagnostics on stderr: lowercase, prefixed, one line each. */
#ifndef MAILBPF_LOG_H
#define MAILBPF_LOG_H

extern int mb_verbose;

enum mb_log_level { MB_LOG_DEBUG, MB_LOG_INFO, MB_LOG_WARN };

void mb_log(enum mb_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define warn(...) mb_log(MB_LOG_WARN, __VA_ARGS__)
#define note(...) mb_log(MB_LOG_INFO, __VA_ARGS__)
#define debug(...) mb_log(MB_LOG_DEBUG, __VA_ARGS__)

/* libbpf's print callback: printed with -v, else kept (see log.c). */
#include <stdarg.h>
#include <bpf/libbpf.h>
int mb_libbpf_print(enum libbpf_print_level level, const char *fmt, va_list args);
void mb_libbpf_log_clear(void);
/* -v: debug lines and libbpf's messages go to stderr (else libbpf's are kept). */
void mb_libbpf_verbose(int on);
const char *mb_libbpf_log_last(void);

#endif
