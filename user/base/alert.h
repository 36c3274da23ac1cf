/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Alerts: what a detector (detect/) concludes, as the outputs (output/)
 * write it. Detectors are pure state machines fed decoded kernel events and
 * a clock (CLOCK_BOOTTIME nanoseconds, the same clock as mb_hdr.ts_ns); what
 * they conclude leaves through an alert sink. This is where the two layers
 * meet: neither includes the other.
 */
#ifndef MAILBPF_ALERT_H
#define MAILBPF_ALERT_H

#include <stdint.h>
#include "../bpf/mailbpf.h"
#include "clock.h"
#include "config.h"

enum mb_severity {
	MB_SEV_INFO = 0,
	MB_SEV_WARNING = 1,
	MB_SEV_CRITICAL = 2,
};

enum mb_field_type { MB_F_STR, MB_F_INT };

#define MB_ALERT_FIELDS 24
#define MB_FIELD_LEN 256

struct mb_field {
	const char *key; /* static string */
	enum mb_field_type type;
	int64_t i;
	char s[MB_FIELD_LEN]; /* raw bytes from the kernel: writers escape */
};

/*
 * Every kind of alert mailbpf raises, one table (alert.c): its name (the
 * alert log's `kind`, the incidents label), its Alertmanager alertname,
 * whether it is a state that ends when its detector says so, and so on.
 */
enum mb_alert_kind {
	MB_AK_RELOAD_COLLISION,
	MB_AK_RELOAD_STORM,
	MB_AK_RELOAD_EXEC_CHAIN,
	MB_AK_EXEC_E2BIG,
	MB_AK_EXEC_FAILURE,
	MB_AK_EXEC_NEAR_MISS,
	MB_AK_FS_IO_ERROR,
	MB_AK_FS_CORRUPTION,
	MB_AK_FS_SHUTDOWN,
	MB_AK_BLOCK_IO_ERROR,
	MB_AK_FS_ERROR,
	MB_AK_FS_READONLY,
	MB_AK_FS_RECORDED_ERRORS,
	MB_AK_SERVICE_STARTUP_FAILING,
	MB_AK_DAEMON_EXITED,
	MB_AK_TEXTFILE_WRITE, /* raised by the daemon when the textfile cannot be written */
	MB_AK_MAX,
};

struct mb_alert_kind_info {
	const char *name; /* "reload_collision": mb_alert.kind */
	const char *alertname; /* "MailbpfReloadCollision" */
	unsigned is_state : 1; /* ends when its detector says so (info), not after a time */
	unsigned incident : 1; /* counted in mailbpf_incidents_total{kind} */
	unsigned fs_state : 1; /* changes what the fs detectors save in state_dir */
};

extern const struct mb_alert_kind_info mb_alert_kinds[MB_AK_MAX];

/* The enum mb_alert_kind of a kind name, -1 for one not in the table. */
int mb_alert_kind_of(const char *name);

struct mb_alert {
	uint64_t ts_ns; /* boot-time ns of the event that raised it */
	enum mb_severity severity;
	const char *kind; /* static: mb_alert_kinds[].name, "reload_collision", ... */
	char summary[512]; /* one human line (raw: writers escape) */
	int nfields;
	struct mb_field fields[MB_ALERT_FIELDS];
};

struct mb_alert_sink {
	void (*emit)(void *ctx, const struct mb_alert *a);
	void *ctx;
};

/* Helpers for building alerts (alert.c). */
void mb_alert_start(struct mb_alert *a, uint64_t ts_ns, enum mb_severity sev,
		    enum mb_alert_kind kind);
/* The same by name (tests; a name not in the table is kept as it is). */
void mb_alert_init(struct mb_alert *a, uint64_t ts_ns, enum mb_severity sev, const char *kind);
void mb_alert_str(struct mb_alert *a, const char *key, const char *val);
void mb_alert_int(struct mb_alert *a, const char *key, int64_t val);
const char *mb_severity_name(enum mb_severity s); /* names.c */

#endif
