/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Exec failure detector. Turns failed execs into alerts an operator can act
 * on: for E2BIG it says which of the kernel's two limits was hit and by how
 * much, because "Argument list too long" alone sent the Dovecot outage's
 * responders looking in the wrong place.
 */
#ifndef MAILBPF_DETECT_EXEC_H
#define MAILBPF_DETECT_EXEC_H

#include <stddef.h>
#include <stdint.h>
#include "alert.h"

#define MB_EXEC_TABLE 256 /* (kind, program) rate-limit slots, oldest evicted */
#define MB_EXEC_RATE_NS (60 * NS_PER_SEC) /* one alert per (kind, program) per this */

/* Which check in fs/exec.c returned E2BIG. */
enum mb_exec_limit {
	MB_EXEC_LIMIT_UNKNOWN = 0,
	MB_EXEC_LIMIT_STRLEN = 1, /* one string over MAX_ARG_STRLEN */
	MB_EXEC_LIMIT_TOTAL = 2, /* strings + pointers over the stack-derived limit */
};

struct mb_exec_verdict {
	enum mb_exec_limit hit;
	uint64_t used; /* bytes counted against the total limit (0 if not measured) */
	uint64_t limit; /* e->limit, or derived from rlim_stack when the kernel left it 0 */
	uint64_t over_by; /* bytes over the limit that was hit, 0 if unknown */
	int is_env; /* MB_EXEC_LIMIT_STRLEN: the string is envp[idx], else argv[idx] */
	uint32_t idx;
};

/*
 * What an exec consumed of its limit: argv_bytes + env_bytes +
 * strlen(filename)+1 + (max(argc,1) + envc) pointers, as bprm_stack_limits()
 * and copy_strings() count it.
 */
uint64_t mb_exec_used(const struct mb_exec_event *e);

/* Decide which limit an E2BIG hit. v is always filled. */
void mb_exec_analyze(const struct mb_exec_event *e, struct mb_exec_verdict *v);

/* "max_arg_strlen", "total", "unknown". */
const char *mb_exec_limit_name(enum mb_exec_limit l);

/*
 * One line explaining an E2BIG, e.g. "envp[3] is 140000 bytes, 8928 over
 * MAX_ARG_STRLEN (131072)". Works like snprintf: returns the length of the
 * whole line, or -EINVAL for a NULL event or buffer or a zero len.
 */
int mb_exec_forensics(const struct mb_exec_event *e, char *buf, size_t len);

struct mb_exec_det;

/* NULL with errno set on failure. The config is copied. */
struct mb_exec_det *mb_exec_new(const struct mb_config *cfg, struct mb_alert_sink sink);
void mb_exec_free(struct mb_exec_det *x);

/*
 * Feed an MB_EV_EXEC_FAIL or MB_EV_EXEC_NEAR record. ENOENT is ignored:
 * execvp() and shells try every PATH directory and fail with it routinely.
 */
void mb_exec_feed(struct mb_exec_det *x, const struct mb_exec_event *e);

#endif
