// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Exec failure alerts with E2BIG forensics, see detect_exec.h.
 *
 * A daemon that cannot exec its helpers retries in a loop, so the same
 * failure repeats thousands of times: alerts are limited per (kind,
 * program) and what was held back is counted into the next alert.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "detect.h"
#include "detect_exec.h"
#include "names.h"
#include "ratelimit.h"

enum rl_kind { RL_E2BIG, RL_FAILURE, RL_NEAR };

struct mb_exec_det {
	struct mb_config cfg;
	struct mb_alert_sink sink;
	struct mb_rl_slot tab[MB_EXEC_TABLE];
};

/* fs/exec.c bprm_stack_limits(), for records whose limit the kernel left 0. */
static uint64_t derive_limit(uint64_t rlim_stack)
{
	uint64_t limit = MB_STK_LIM / 4 * 3;

	if (!rlim_stack)
		return 0;
	if (rlim_stack / 4 < limit)
		limit = rlim_stack / 4;
	return limit > MB_ARG_MAX ? limit : MB_ARG_MAX;
}

uint64_t mb_exec_used(const struct mb_exec_event *e)
{
	uint64_t ptrs = (e->argc ? e->argc : 1) + (uint64_t)e->envc;

	/* The pointer arrays count too: argv[] and envp[] land on the same stack. */
	return e->argv_bytes + e->env_bytes + strnlen(e->filename, MB_PATH_LEN) + 1 + ptrs * 8;
}

void mb_exec_analyze(const struct mb_exec_event *e, struct mb_exec_verdict *v)
{
	int sizes = !!(e->flags & MB_EXEC_F_SIZES);

	memset(v, 0, sizeof(*v));
	v->limit = e->limit ? e->limit : derive_limit(e->rlim_stack);
	v->is_env = !!e->longest_is_env;
	v->idx = e->longest_idx;
	if (sizes)
		v->used = mb_exec_used(e);
	/*
	 * copy_strings() checks each string's length before the running total,
	 * so an oversized string is the definite cause when there is one.
	 */
	if ((e->flags & MB_EXEC_F_OVER_STRLEN) || (sizes && e->longest > MB_MAX_ARG_STRLEN)) {
		v->hit = MB_EXEC_LIMIT_STRLEN;
		if (sizes && e->longest > MB_MAX_ARG_STRLEN)
			v->over_by = e->longest - MB_MAX_ARG_STRLEN;
		return;
	}
	if (sizes && v->limit && v->used > v->limit) {
		v->hit = MB_EXEC_LIMIT_TOTAL;
		v->over_by = v->used - v->limit;
	}
}

const char *mb_exec_limit_name(enum mb_exec_limit l)
{
	switch (l) {
	case MB_EXEC_LIMIT_STRLEN:
		return "max_arg_strlen";
	case MB_EXEC_LIMIT_TOTAL:
		return "total";
	case MB_EXEC_LIMIT_UNKNOWN:
		break;
	}
	return "unknown";
}

int mb_exec_forensics(const struct mb_exec_event *e, char *buf, size_t len)
{
	char name[MB_ENV_NAME_LEN];
	const char *where;
	struct mb_exec_verdict v;
	int n;

	if (!e || !buf || !len)
		return -EINVAL;
	mb_exec_analyze(e, &v);
	where = v.is_env ? "envp" : "argv";
	if (v.hit == MB_EXEC_LIMIT_STRLEN && v.over_by && mb_exec_env_name(e, name, sizeof(name)))
		n = snprintf(buf, len, "%s (%s[%u]) is %llu bytes, %llu over MAX_ARG_STRLEN (%lu)",
			     name, where, v.idx, (unsigned long long)e->longest,
			     (unsigned long long)v.over_by, MB_MAX_ARG_STRLEN);
	else if (v.hit == MB_EXEC_LIMIT_STRLEN && v.over_by)
		n = snprintf(buf, len, "%s[%u] is %llu bytes, %llu over MAX_ARG_STRLEN (%lu)",
			     where, v.idx, (unsigned long long)e->longest,
			     (unsigned long long)v.over_by, MB_MAX_ARG_STRLEN);
	else if (v.hit == MB_EXEC_LIMIT_STRLEN)
		n = snprintf(
			buf, len,
			"one argv/envp string is over MAX_ARG_STRLEN (%lu); its size was not measured",
			MB_MAX_ARG_STRLEN);
	else if (v.hit == MB_EXEC_LIMIT_TOTAL)
		n = snprintf(
			buf, len,
			"argv+envp need %llu bytes (argv %llu in %u strings, envp %llu in %u strings, filename and %llu pointers), %llu over the limit %llu (RLIMIT_STACK %llu)",
			(unsigned long long)v.used, (unsigned long long)e->argv_bytes, e->argc,
			(unsigned long long)e->env_bytes, e->envc,
			(unsigned long long)(e->argc ? e->argc : 1) + e->envc,
			(unsigned long long)v.over_by, (unsigned long long)v.limit,
			(unsigned long long)e->rlim_stack);
	else if (!(e->flags & MB_EXEC_F_SIZES))
		n = snprintf(
			buf, len,
			"sizes unknown: argv/envp were not measured, so either one string was over MAX_ARG_STRLEN (%lu) or the total was over the limit %llu",
			MB_MAX_ARG_STRLEN, (unsigned long long)v.limit);
	else
		/* Possible when the walk was cut short or argv changed under us. */
		n = snprintf(
			buf, len,
			"limit unknown: measured %llu of %llu bytes and no string over MAX_ARG_STRLEN%s",
			(unsigned long long)v.used, (unsigned long long)v.limit,
			(e->flags & MB_EXEC_F_TRUNCATED) ? " (measurement truncated)" : "");
	return n;
}

struct mb_exec_det *mb_exec_new(const struct mb_config *cfg, struct mb_alert_sink sink)
{
	return MB_DET_NEW(struct mb_exec_det, cfg, sink);
}

void mb_exec_free(struct mb_exec_det *x)
{
	free(x);
}

struct exec_ctx {
	char program[MB_PATH_LEN];
	char filename[MB_PATH_LEN];
	char comm[MB_COMM_LEN + 1];
	char chain[MB_FIELD_LEN];
	char sup[64];
};

static void common_fields(struct mb_alert *a, const struct mb_exec_event *e,
			  const struct exec_ctx *c)
{
	mb_alert_str(a, "program", c->program);
	mb_alert_str(a, "filename", c->filename);
	mb_alert_int(a, "pid", e->task.tgid);
	mb_alert_int(a, "ppid", e->task.ppid);
	mb_alert_int(a, "uid", e->task.uid);
	mb_alert_str(a, "comm", c->comm);
	mb_alert_str(a, "parent_chain", c->chain);
}

static void size_fields(struct mb_alert *a, const struct mb_exec_event *e)
{
	char name[MB_ENV_NAME_LEN], where[32];

	mb_alert_int(a, "argc", e->argc);
	mb_alert_int(a, "argv_bytes", (int64_t)e->argv_bytes);
	mb_alert_int(a, "envc", e->envc);
	mb_alert_int(a, "env_bytes", (int64_t)e->env_bytes);
	mb_alert_int(a, "longest", (int64_t)e->longest);
	if (!e->longest)
		return;
	snprintf(where, sizeof(where), "%s[%u]", e->longest_is_env ? "envp" : "argv",
		 e->longest_idx);
	mb_alert_str(a, "longest_at", where);
	if (mb_exec_env_name(e, name, sizeof(name)))
		mb_alert_str(a, "longest_name", name);
}

static void alert_e2big(struct mb_alert *a, const struct mb_exec_event *e, const struct exec_ctx *c)
{
	char why[MB_FIELD_LEN];
	struct mb_exec_verdict v;

	mb_exec_analyze(e, &v);
	mb_exec_forensics(e, why, sizeof(why));
	mb_alert_start(a, e->hdr.ts_ns, MB_SEV_CRITICAL, MB_AK_EXEC_E2BIG);
	common_fields(a, e, c);
	size_fields(a, e);
	mb_alert_int(a, "limit", (int64_t)v.limit);
	mb_alert_int(a, "rlim_stack", (int64_t)e->rlim_stack);
	mb_alert_str(a, "limit_hit", mb_exec_limit_name(v.hit));
	mb_alert_int(a, "over_by", (int64_t)v.over_by);
	mb_alert_str(a, "errno", "E2BIG");
	mb_alert_str(a, "forensics", why);
	mb_alert_summary(a, "%s: exec by \"%s\" (pid %u) failed with E2BIG: %s%s", c->program,
			 c->comm, e->task.tgid, why, c->sup);
}

static void alert_failure(struct mb_alert *a, const struct mb_exec_event *e,
			  const struct exec_ctx *c)
{
	const char *err = mb_errno_name(e->err);

	mb_alert_start(a, e->hdr.ts_ns, MB_SEV_WARNING, MB_AK_EXEC_FAILURE);
	common_fields(a, e, c);
	mb_alert_str(a, "errno", err);
	mb_alert_int(a, "argc", e->argc);
	mb_alert_int(a, "envc", e->envc);
	mb_alert_summary(a, "%s: exec by \"%s\" (pid %u) failed with %s (%s)%s", c->program,
			 c->comm, e->task.tgid, err, c->filename, c->sup);
}

/*
 * A successful exec close to one of the two limits: the total against the
 * stack-derived limit, or (the kernel decides, MB_EXEC_F_NEAR_STRLEN) one
 * string against MAX_ARG_STRLEN, the likelier E2BIG: a config value
 * exported into the environment grows until one exec fails.
 */
static void alert_near(struct mb_alert *a, const struct mb_exec_event *e, const struct exec_ctx *c,
		       uint32_t threshold)
{
	int by_strlen = !!(e->flags & MB_EXEC_F_NEAR_STRLEN);
	char name[MB_ENV_NAME_LEN], what[MB_ENV_NAME_LEN + 40];
	struct mb_exec_verdict v;
	uint64_t used = mb_exec_used(e);
	uint64_t limit, pct;

	mb_exec_analyze(e, &v);
	if (by_strlen) {
		used = e->longest;
		limit = MB_MAX_ARG_STRLEN;
	} else {
		limit = v.limit;
	}
	pct = limit ? used * 100 / limit : 0;
	mb_alert_start(a, e->hdr.ts_ns, MB_SEV_WARNING, MB_AK_EXEC_NEAR_MISS);
	common_fields(a, e, c);
	size_fields(a, e);
	mb_alert_int(a, "used", (int64_t)used);
	mb_alert_int(a, "limit", (int64_t)limit);
	mb_alert_str(a, "limit_name", by_strlen ? "max_arg_strlen" : "total");
	mb_alert_int(a, "percent", (int64_t)pct);
	mb_alert_int(a, "threshold_pct", threshold);
	if (!by_strlen) {
		mb_alert_summary(
			a,
			"%s: exec by \"%s\" (pid %u) used %llu%% of its argument limit (%llu of %llu bytes); E2BIG is close%s",
			c->program, c->comm, e->task.tgid, (unsigned long long)pct,
			(unsigned long long)used, (unsigned long long)limit, c->sup);
		return;
	}
	if (mb_exec_env_name(e, name, sizeof(name)))
		snprintf(what, sizeof(what), "%s (envp[%u])", name, e->longest_idx);
	else
		snprintf(what, sizeof(what), "%s[%u]", e->longest_is_env ? "envp" : "argv",
			 e->longest_idx);
	mb_alert_summary(
		a,
		"%s: exec by \"%s\" (pid %u) passed %s of %llu bytes, %llu%% of MAX_ARG_STRLEN (%lu); one string over it is E2BIG%s",
		c->program, c->comm, e->task.tgid, what, (unsigned long long)used,
		(unsigned long long)pct, MB_MAX_ARG_STRLEN, c->sup);
}

void mb_exec_feed(struct mb_exec_det *x, const struct mb_exec_event *e)
{
	struct exec_ctx c;
	struct mb_alert a;
	enum rl_kind kind;
	int64_t sup;

	if (!x || !e)
		return;
	if (e->hdr.type == MB_EV_EXEC_NEAR && e->err == 0)
		kind = RL_NEAR;
	else if (e->err == E2BIG)
		kind = RL_E2BIG;
	else if (e->err != 0 && e->err != ENOENT)
		kind = RL_FAILURE;
	else
		return;

	mb_copy_fixed(c.filename, sizeof(c.filename), e->filename, MB_PATH_LEN);
	mb_copy_fixed(c.comm, sizeof(c.comm), e->task.comm, MB_COMM_LEN);
	/* No file name (execveat with an empty path): the caller's comm is all we have. */
	mb_copy_fixed(c.program, sizeof(c.program),
		      c.filename[0] ? mb_basename(c.filename) : c.comm, MB_PATH_LEN);
	sup = mb_rate_limit(x->tab, MB_EXEC_TABLE, MB_EXEC_RATE_NS, kind, 0, c.program,
			    e->hdr.ts_ns, e->suppressed);
	if (sup < 0)
		return;
	mb_task_ancestry(&e->task, c.chain, sizeof(c.chain));
	c.sup[0] = '\0';
	if (sup)
		snprintf(c.sup, sizeof(c.sup), " (%lld similar suppressed)", (long long)sup);

	if (kind == RL_E2BIG)
		alert_e2big(&a, e, &c);
	else if (kind == RL_FAILURE)
		alert_failure(&a, e, &c);
	else
		alert_near(&a, e, &c, x->cfg.near_miss_pct);
	mb_alert_int(&a, "suppressed", sup);
	if (x->sink.emit)
		x->sink.emit(x->sink.ctx, &a);
}
