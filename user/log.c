// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * stderr diagnostics. Kept apart from the alert log and the trace stream so
 * that stdout stays machine-readable (JSON lines) whatever goes wrong.
 */
#include <stdarg.h>
#include <stdio.h>
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
