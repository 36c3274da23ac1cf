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

struct mb_alert {
	uint64_t ts_ns; /* boot-time ns of the event that raised it */
	enum mb_severity severity;
	const char *kind; /* static: "reload_collision", "fs_shutdown", ... */
	char summary[512]; /* one human line (raw: writers escape) */
	int nfields;
	struct mb_field fields[MB_ALERT_FIELDS];
};

struct mb_alert_sink {
	void (*emit)(void *ctx, const struct mb_alert *a);
	void *ctx;
};

/* Helpers for building alerts (alert.c). */
void mb_alert_init(struct mb_alert *a, uint64_t ts_ns, enum mb_severity sev, const char *kind);
void mb_alert_str(struct mb_alert *a, const char *key, const char *val);
void mb_alert_int(struct mb_alert *a, const char *key, int64_t val);
const char *mb_severity_name(enum mb_severity s); /* names.c */

#endif
