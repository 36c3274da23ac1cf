// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Start-up failure loops, see detect_startup.h.
 *
 * What the daemons do, as read in their sources:
 * - Dovecot 2.3.19 (src/master/service-monitor.c): a child that exits
 *   non-zero before its first status (process->to_status still set) makes
 *   service_monitor_throttle() log "command startup failed, throttling for
 *   N secs"; throttle_msecs starts at SERVICE_STARTUP_FAILURE_THROTTLE_MIN_MSECS
 *   (2 s, src/master/service.h), doubles after each such failure up to
 *   ..._MAX_MSECS (60 s), and an exit 0 resets it. execv_const()
 *   (src/lib/execv-const.c) exits FATAL_OUTOFMEM (83) when the exec failed
 *   with ENOMEM, else FATAL_EXEC (84); FATAL_DEFAULT is 89
 *   (src/lib/failures.h).
 * - Postfix 3.x (src/master/master_spawn.c): a child that exits abnormally
 *   before serving a request (use_count == 0) logs "bad command startup --
 *   throttling" and master_throttle() holds the service for throttle_delay
 *   (service_throttle_time, 60 s); a failed execvp() ends in msg_fatal(),
 *   which sleeps 1 s and exits 1 (src/util/msg.c).
 * - Exim (src/daemon.c) restarts no children; its master's death is
 *   detect_master.c's.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "detect.h"
#include "detect_startup.h"
#include "names.h"

struct joined {
	uint32_t tgid;
	int err;
	uint64_t ts_ns;
	char filename[MB_PATH_LEN];
};

struct mb_startup_det {
	struct mb_config cfg;
	struct mb_alert_sink sink;
	struct mb_chain_det *chain;
	struct joined join[MB_STARTUP_JOIN];
	int join_next;
	int n;
	struct mb_startup_stats s[MB_STARTUP_SERVICES];
};

struct mb_startup_det *mb_startup_new(const struct mb_config *cfg, struct mb_alert_sink sink,
				      struct mb_chain_det *chain)
{
	struct mb_startup_det *d = MB_DET_NEW(struct mb_startup_det, cfg, sink);

	if (!d)
		return NULL;
	d->chain = chain;
	return d;
}

void mb_startup_free(struct mb_startup_det *d)
{
	free(d);
}

void mb_startup_meaning(int flavor, uint32_t code, char *buf, size_t len)
{
	unsigned st = code >> 8 & 0xff;

	if (code & 0x7f) {
		snprintf(buf, len, "killed by %s%s", mb_signal_name((int)(code & 0x7f)),
			 code & 0x80 ? " (core dumped)" : "");
		return;
	}
	if (flavor == MB_FLAVOR_DOVECOT) {
		switch (st) {
		case 80:
		case 81:
		case 82:
			snprintf(buf, len, "cannot log (FATAL_LOG*)");
			return;
		case 83:
			snprintf(buf, len, "out of memory (FATAL_OUTOFMEM)");
			return;
		case 84:
			snprintf(buf, len, "exec() failed (FATAL_EXEC)");
			return;
		case 89:
			snprintf(buf, len, "fatal error (FATAL_DEFAULT)");
			return;
		}
	} else if (flavor == MB_FLAVOR_POSTFIX && st == 1) {
		snprintf(buf, len, "fatal error (msg_fatal; a failed exec exits so)");
		return;
	}
	snprintf(buf, len, "exit status %u", st);
}

void mb_startup_action(int flavor, uint64_t count, char *buf, size_t len, int64_t *throttle_s)
{
	int64_t t = 0;

	if (flavor == MB_FLAVOR_DOVECOT) {
		/* 2 s after the first failure in a row, doubling, at most 60 s. */
		t = 2;
		for (uint64_t i = 1; i < count && t < 60; i++)
			t *= 2;
		if (t > 60)
			t = 60;
		snprintf(buf, len, "Dovecot throttles the service: next start in %lld s",
			 (long long)t);
	} else if (flavor == MB_FLAVOR_POSTFIX) {
		t = 60;
		snprintf(buf, len,
			 "Postfix throttles the service for service_throttle_time (default 60 s)");
	} else {
		buf[0] = '\0';
	}
	if (throttle_s)
		*throttle_s = t;
}

void mb_startup_feed_exec(struct mb_startup_det *d, const struct mb_exec_event *e)
{
	struct joined *j;

	if (!d || !e || e->hdr.type != MB_EV_EXEC_FAIL || !e->err)
		return;
	j = &d->join[d->join_next];
	d->join_next = (d->join_next + 1) % MB_STARTUP_JOIN;
	j->tgid = e->task.tgid;
	j->err = e->err;
	j->ts_ns = e->hdr.ts_ns;
	mb_copy_fixed(j->filename, sizeof(j->filename), e->filename, MB_PATH_LEN);
}

/* The failed exec of this process, newest first; pids are reused, so recent only. */
static const struct joined *joined_for(const struct mb_startup_det *d, uint32_t tgid, uint64_t now)
{
	for (int i = 1; i <= MB_STARTUP_JOIN; i++) {
		const struct joined *j =
			&d->join[(d->join_next - i + MB_STARTUP_JOIN) % MB_STARTUP_JOIN];

		if (j->tgid == tgid && j->ts_ns <= now && now - j->ts_ns < 10 * NS_PER_SEC)
			return j;
	}
	return NULL;
}

static struct mb_startup_stats *find(struct mb_startup_det *d, int idx, uint32_t master,
				     const char *service, int create)
{
	struct mb_startup_stats *s, *victim = NULL;

	for (int i = 0; i < d->n; i++) {
		s = &d->s[i];
		if (s->idx == idx && s->master_tgid == master && !strcmp(s->service, service))
			return s;
		if (!s->failing && (!victim || s->last_ns < victim->last_ns))
			victim = s;
	}
	if (!create)
		return NULL;
	if (d->n < MB_STARTUP_SERVICES)
		s = &d->s[d->n++];
	else if (victim) /* full: the longest-resolved loop makes room */
		s = victim;
	else
		return NULL;
	memset(s, 0, sizeof(*s));
	s->idx = idx;
	s->master_tgid = master;
	snprintf(s->service, sizeof(s->service), "%s", service);
	return s;
}

static void emit(struct mb_startup_det *d, const struct mb_alert *a)
{
	if (d->sink.emit)
		d->sink.emit(d->sink.ctx, a);
}

static void raise_alert(struct mb_startup_det *d, struct mb_startup_stats *s, const char *filename,
			uint64_t now)
{
	const struct mb_daemon_cfg *dc = &d->cfg.daemons[s->idx];
	char status[32], meaning[96], action[128], why[160] = "";
	uint64_t dur = s->last_ns - s->first_ns;
	int64_t throttle;
	struct mb_alert a;

	mb_exit_status_str(s->last_code, status, sizeof(status));
	mb_startup_meaning(dc->flavor, s->last_code, meaning, sizeof(meaning));
	mb_startup_action(dc->flavor, s->count, action, sizeof(action), &throttle);
	if (s->err)
		snprintf(why, sizeof(why), ": %s", mb_errno_name(s->err));
	mb_alert_start(&a, now, MB_SEV_CRITICAL, MB_AK_SERVICE_STARTUP_FAILING);
	mb_alert_str(&a, "daemon", dc->name);
	mb_alert_str(&a, "service", s->service);
	mb_alert_str(&a, "status", status);
	mb_alert_str(&a, "meaning", meaning);
	if (s->err)
		mb_alert_str(&a, "errno", mb_errno_name(s->err));
	if (filename && *filename)
		mb_alert_str(&a, "filename", filename);
	mb_alert_int(&a, "master_pid", s->master_tgid);
	mb_alert_int(&a, "count", (int64_t)s->count);
	mb_alert_int(&a, "first_ns", (int64_t)s->first_ns);
	mb_alert_int(&a, "last_ns", (int64_t)s->last_ns);
	mb_alert_int(&a, "duration_ms", (int64_t)(dur / NS_PER_MS));
	if (*action) {
		mb_alert_str(&a, "daemon_action", action);
		mb_alert_int(&a, "throttle_s", throttle);
	}
	mb_alert_summary(
		&a, "%s: service %s fails at start-up: %s, %s%s; %llu failure(s) in %llu s%s%s",
		dc->name, s->service, status, meaning, why, (unsigned long long)s->count,
		(unsigned long long)(dur / NS_PER_SEC), *action ? "; " : "", action);
	s->alerted = 1;
	emit(d, &a);
}

static int chain_still_failing(const struct mb_startup_det *d, int idx, uint32_t master)
{
	for (int i = 0; i < d->n; i++)
		if (d->s[i].idx == idx && d->s[i].failing && d->s[i].in_chain &&
		    d->s[i].master_tgid == master)
			return 1;
	return 0;
}

static void resolve(struct mb_startup_det *d, struct mb_startup_stats *s, const char *how,
		    uint64_t now)
{
	const struct mb_daemon_cfg *dc = &d->cfg.daemons[s->idx];
	uint64_t out = now > s->first_ns ? now - s->first_ns : 0;
	struct mb_alert a;

	s->failing = 0;
	/* The chain ends once none of its services is failing any more. */
	if (s->in_chain && d->chain && !chain_still_failing(d, s->idx, s->master_tgid))
		mb_chain_feed_alive(d->chain, s->idx, s->master_tgid, now);
	if (!s->alerted)
		return;
	mb_alert_start(&a, now, MB_SEV_INFO, MB_AK_SERVICE_STARTUP_FAILING);
	mb_alert_str(&a, "daemon", dc->name);
	mb_alert_str(&a, "service", s->service);
	mb_alert_str(&a, "state", "resolved");
	mb_alert_str(&a, "resolved_by", how);
	mb_alert_int(&a, "count", (int64_t)s->count);
	mb_alert_int(&a, "outage_ms", (int64_t)(out / NS_PER_MS));
	mb_alert_summary(
		&a, "%s: service %s starts again (%s) after %llu start-up failures over %llu s",
		dc->name, s->service, how, (unsigned long long)s->count,
		(unsigned long long)(out / NS_PER_SEC));
	s->alerted = 0;
	emit(d, &a);
}

static int same_comm(const char *service, const char *comm)
{
	/* A comm is the program's name cut at 15 bytes. */
	return !strncmp(service, comm, MB_COMM_LEN - 1);
}

static void failure(struct mb_startup_det *d, int idx, const struct mb_exit_event *e)
{
	const struct mb_daemon_cfg *dc = &d->cfg.daemons[idx];
	const struct joined *j = e->execd ? NULL : joined_for(d, e->pid, e->hdr.ts_ns);
	char service[MB_SERVICE_LEN], status[32], meaning[96], action[128];
	struct mb_chain_loop loop = { service, status, meaning, action, 0, 0 };
	struct mb_startup_stats *s;
	uint64_t now = e->hdr.ts_ns;

	if (j && j->filename[0])
		snprintf(service, sizeof(service), "%s", mb_basename(j->filename));
	else
		mb_copy_fixed(service, sizeof(service), e->comm, MB_COMM_LEN);
	s = find(d, idx, e->ppid, service, 1);
	if (!s)
		return;
	s->named = e->execd || (j && j->filename[0]);
	if (!s->failing) {
		s->failing = 1;
		s->count = 0;
		s->first_ns = now;
		s->err = 0;
		s->in_chain = 0;
	}
	s->count += 1 + (uint64_t)e->suppressed;
	s->last_ns = now;
	s->last_code = e->exit_code;
	mb_copy_fixed(s->kcomm, sizeof(s->kcomm), e->comm, MB_COMM_LEN);
	if (j)
		s->err = j->err;

	mb_exit_status_str(e->exit_code, status, sizeof(status));
	mb_startup_meaning(dc->flavor, e->exit_code, meaning, sizeof(meaning));
	mb_startup_action(dc->flavor, s->count, action, sizeof(action), &loop.throttle_s);
	loop.count = 1 + (uint64_t)e->suppressed;
	loop.err = s->err;
	if (!s->alerted && d->chain) {
		if (mb_chain_feed_exit(d->chain, idx, e, &loop)) {
			s->in_chain = 1;
			return;
		}
		s->in_chain = 0; /* no incident (any more) to be part of */
	}
	/*
	 * One failure may be a one-off; a failed exec (84, or an exec failure
	 * seen for this pid) repeats at every restart: alert at once.
	 */
	if (!s->alerted &&
	    (s->count >= 2 || j || (dc->flavor == MB_FLAVOR_DOVECOT && (e->exit_code >> 8) == 84)))
		raise_alert(d, s, j ? j->filename : NULL, now);
}

void mb_startup_feed_exit(struct mb_startup_det *d, const struct mb_exit_event *e)
{
	int idx;

	if (!d || !e || !e->watched || e->watched > (uint32_t)d->cfg.ndaemons)
		return;
	idx = (int)e->watched - 1;
	mb_startup_tick(d, e->hdr.ts_ns);
	if (e->kind == MB_EXIT_STARTUP_FAIL) {
		failure(d, idx, e);
		return;
	}
	if (e->kind != MB_EXIT_CHILD_OK || e->exit_code)
		return;
	/* A child that exec'd the service's program and exited 0 has started. */
	for (int i = 0; i < d->n; i++) {
		struct mb_startup_stats *s = &d->s[i];

		if (s->failing && s->idx == idx && s->master_tgid == e->ppid && e->execd &&
		    same_comm(s->service, e->comm))
			resolve(d, s, "a child exited 0", e->hdr.ts_ns);
	}
}

void mb_startup_feed_alive(struct mb_startup_det *d, int idx, uint32_t ppid, const char *comm,
			   uint64_t age_ns, uint64_t now)
{
	uint64_t window;

	if (!d || idx < 0 || idx >= d->cfg.ndaemons || !comm)
		return;
	window = d->cfg.daemons[idx].startup_window_ms * NS_PER_MS;
	for (int i = 0; i < d->n; i++) {
		struct mb_startup_stats *s = &d->s[i];

		/*
		 * Started after the last failure, and lived past the window. A
		 * child that failed before its exec and whose exec record was
		 * not seen has no program name: any child of the master will do.
		 */
		if (s->failing && s->idx == idx && s->master_tgid == ppid && age_ns >= window &&
		    now - age_ns >= s->last_ns && (!s->named || same_comm(s->service, comm)))
			resolve(d, s, "a child lived past the start-up window", now);
	}
}

void mb_startup_tick(struct mb_startup_det *d, uint64_t now)
{
	if (!d)
		return;
	for (int i = 0; i < d->n; i++) {
		struct mb_startup_stats *s = &d->s[i];

		if (s->failing && now >= s->last_ns && now - s->last_ns >= MB_STARTUP_QUIET_NS)
			resolve(d, s, "no failure for 180 s", now);
	}
}

int mb_startup_failing(const struct mb_startup_det *d, int idx)
{
	if (!d)
		return 0;
	for (int i = 0; i < d->n; i++)
		if (d->s[i].failing && d->s[i].idx == idx)
			return 1;
	return 0;
}

int mb_startup_count(const struct mb_startup_det *d)
{
	return d ? d->n : 0;
}

const struct mb_startup_stats *mb_startup_at(const struct mb_startup_det *d, int i)
{
	return d && i >= 0 && i < d->n ? &d->s[i] : NULL;
}

const char *mb_startup_service_for(const struct mb_startup_det *d, int idx, const char *kcomm)
{
	const struct mb_startup_stats *best = NULL;

	for (int i = 0; d && i < d->n; i++) {
		const struct mb_startup_stats *s = &d->s[i];

		if (s->idx == idx && !strncmp(s->kcomm, kcomm, MB_COMM_LEN) &&
		    (!best || s->last_ns > best->last_ns))
			best = s;
	}
	return best ? best->service : kcomm;
}
