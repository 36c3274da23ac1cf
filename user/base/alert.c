// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Building alerts. Nothing here allocates or fails loudly: an alert that
 * runs out of field slots loses its last fields rather than the alert.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "alert.h"
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
