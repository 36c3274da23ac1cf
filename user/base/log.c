// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * stderr diagnostics. Kept apart from the alert log and the trace stream so
 * that stdout stays machine-readable (JSON lines) whatever goes wrong.
 */
#include <stdarg.h>
#include <stdio.h>
#include <bpf/libbpf.h>
#include "log.h"

int mb_verbose;

void mb_log(enum mb_log_level level, const char *fmt, ...)
{
	va_list ap;

	if (level == MB_LOG_DEBUG && !mb_verbose)
		return;
	fputs(level == MB_LOG_DEBUG ? "mailbpf: debug: " : "mailbpf: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/*
 * libbpf's own lines. Without -v they are kept, not printed: a program this
 * kernel cannot load is expected (the probes fall back, one notice each),
 * and a normal start prints nothing of libbpf's. The last failure's lines
 * stay available for the notice that explains it.
 */
static char libbpf_log[8192];
static size_t libbpf_len;

int mb_libbpf_print(enum libbpf_print_level level, const char *fmt, va_list args)
{
	int n;

	if (mb_verbose)
		return vfprintf(stderr, fmt, args);
	if (level == LIBBPF_DEBUG || libbpf_len >= sizeof(libbpf_log) - 1)
		return 0;
	n = vsnprintf(libbpf_log + libbpf_len, sizeof(libbpf_log) - libbpf_len, fmt, args);
	if (n > 0)
		libbpf_len += (size_t)n < sizeof(libbpf_log) - libbpf_len ?
				      (size_t)n :
				      sizeof(libbpf_log) - 1 - libbpf_len;
	return 0;
}

void mb_libbpf_log_clear(void)
{
	libbpf_len = 0;
	libbpf_log[0] = 0;
}

const char *mb_libbpf_log_last(void)
{
	/* The last complete line: libbpf's summary of why a load failed. */
	static char line[256];
	const char *end = libbpf_log + libbpf_len, *p;

	while (end > libbpf_log && (end[-1] == '\n' || end[-1] == ' '))
		end--;
	for (p = end; p > libbpf_log && p[-1] != '\n'; p--)
		;
	snprintf(line, sizeof(line), "%.*s", (int)(end - p), p);
	return line;
}

void mb_libbpf_verbose(int on)
{
	mb_verbose = on;
}
