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

#define K(id, n, an, st, inc, fs) [MB_AK_##id] = { n, an, st, inc, fs }
/*                                                                  state incident fs */
const struct mb_alert_kind_info mb_alert_kinds[MB_AK_MAX] = {
	K(RELOAD_COLLISION, "reload_collision", "MailbpfReloadCollision", 0, 1, 0),
	K(RELOAD_STORM, "reload_storm", "MailbpfReloadStorm", 0, 1, 0),
	K(RELOAD_EXEC_CHAIN, "reload_exec_chain", "MailbpfReloadExecChain", 1, 1, 0),
	K(EXEC_E2BIG, "exec_e2big", "MailbpfExecE2BIG", 0, 1, 0),
	K(EXEC_FAILURE, "exec_failure", "MailbpfExecFailure", 0, 1, 0),
	K(EXEC_NEAR_MISS, "exec_near_miss", "MailbpfExecArgLimitNearlyExhausted", 0, 1, 0),
	K(FS_IO_ERROR, "fs_io_error", "MailbpfFilesystemIOErrors", 0, 1, 1),
	K(FS_CORRUPTION, "fs_corruption", "MailbpfFilesystemCorruption", 0, 1, 1),
	K(FS_SHUTDOWN, "fs_shutdown", "MailbpfFilesystemShutdown", 1, 1, 1),
	K(BLOCK_IO_ERROR, "block_io_error", "MailbpfBlockIOErrors", 0, 1, 0),
	K(FS_ERROR, "fs_error", "MailbpfFilesystemErrors", 0, 1, 1),
	/* An admin's read-only remount is MailbpfFilesystemRemountedReadOnly (push_msg.c). */
	K(FS_READONLY, "fs_readonly", "MailbpfFilesystemReadOnly", 1, 1, 1),
	K(FS_RECORDED_ERRORS, "fs_recorded_errors", "MailbpfFilesystemRecordedErrors", 0, 1, 1),
	K(SERVICE_STARTUP_FAILING, "service_startup_failing", "MailbpfServiceStartupFailing", 1, 1,
	  0),
	K(DAEMON_EXITED, "daemon_exited", "MailbpfDaemonDown", 1, 1, 0),
	K(TEXTFILE_WRITE, "textfile_write", "MailbpfTextfileFilesystemFailing", 1, 0, 0),
};
#undef K

int mb_alert_kind_of(const char *name)
{
	for (int i = 0; name && i < MB_AK_MAX; i++)
		if (!strcmp(mb_alert_kinds[i].name, name))
			return i;
	return -1;
}

void mb_alert_start(struct mb_alert *a, uint64_t ts_ns, enum mb_severity sev,
		    enum mb_alert_kind kind)
{
	mb_alert_init(a, ts_ns, sev,
		      (unsigned)kind < MB_AK_MAX ? mb_alert_kinds[kind].name : "alert");
}

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
