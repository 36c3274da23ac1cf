// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * stderr diagnostics. Kept apart from the alert log and the trace stream so
 * that stdout stays machine-readable (JSON lines) whatever goes wrong.
 */
#include <stdarg.h>
#include <stdio.h>
#include "log.h"

int mb_verbose;

static void vlog(const char *prefix, const char *fmt, va_list ap)
{
	fprintf(stderr, "mailbpf: %s", prefix);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog("", fmt, ap);
	va_end(ap);
}

void note(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog("", fmt, ap);
	va_end(ap);
}

void debug(const char *fmt, ...)
{
	va_list ap;

	if (!mb_verbose)
		return;
	va_start(ap, fmt);
	vlog("debug: ", fmt, ap);
	va_end(ap);
}
