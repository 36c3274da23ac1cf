// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Reload -> exec failure incidents, see detect_chain.h.
 *
 * Attribution is by process tree, not by time alone: an unrelated cron job
 * failing to exec a minute after a reload is not the daemon's problem. The
 * kernel records up to MB_ANCESTORS ancestors of the failing task, so a
 * helper forked by a child of the master still matches.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "detect.h"
#include "detect_chain.h"
#include "names.h"

#define PROG_LEN 64

struct incident {
	uint32_t target_tgid;
	char target_comm[MB_COMM_LEN + 1];
	int nerr;
	int errs[MB_CHAIN_SEEN];
	int nprog;
	char progs[MB_CHAIN_SEEN][PROG_LEN];
	/* The start-up failure loop that followed: services and statuses seen. */
	int nsvc;
	char svcs[MB_CHAIN_SEEN][PROG_LEN];
	int nstatus;
	char statuses[MB_CHAIN_SEEN][PROG_LEN];
	char action[128]; /* what the daemon does now, as of the last failure */
	/* The opening alert, held until this child's exit or hold_until. */
	uint32_t hold_tgid;
	uint64_t hold_until;
	struct mb_alert held;
};

struct chain_daemon {
	struct mb_signal_event rel[MB_CHAIN_RELOADS]; /* ring, oldest at head when full */
	int nrel;
	int head;
	struct incident inc;
	struct mb_chain_stats st;
};

struct mb_chain_det {
	struct mb_config cfg;
	struct mb_alert_sink sink;
	uint64_t hold_ns;
	struct chain_daemon d[MB_MAX_DAEMONS];
};

struct mb_chain_det *mb_chain_new(const struct mb_config *cfg, struct mb_alert_sink sink)
{
	return MB_DET_NEW(struct mb_chain_det, cfg, sink);
}

void mb_chain_free(struct mb_chain_det *c)
{
	free(c);
}

static void emit(struct mb_chain_det *c, const struct mb_alert *a)
{
	if (c->sink.emit)
		c->sink.emit(c->sink.ctx, a);
}

void mb_chain_set_hold(struct mb_chain_det *c, uint64_t hold_ns)
{
	if (c)
		c->hold_ns = hold_ns;
}

static void flush_held(struct mb_chain_det *c, struct chain_daemon *cd)
{
	if (!cd->inc.hold_tgid)
		return;
	cd->inc.hold_tgid = 0;
	emit(c, &cd->inc.held);
}

void mb_chain_feed_reload(struct mb_chain_det *c, int daemon_idx, const struct mb_signal_event *e)
{
	struct chain_daemon *cd;

	if (!c || !e || daemon_idx < 0 || daemon_idx >= c->cfg.ndaemons)
		return;
	cd = &c->d[daemon_idx];
	cd->rel[(cd->head + cd->nrel) % MB_CHAIN_RELOADS] = *e;
	if (cd->nrel < MB_CHAIN_RELOADS)
		cd->nrel++;
	else
		cd->head = (cd->head + 1) % MB_CHAIN_RELOADS;
}

static int in_tree(const struct mb_task *t, uint32_t tgid)
{
	int i;

	if (!tgid)
		return 0;
	if (t->tgid == tgid || t->ppid == tgid)
		return 1;
	for (i = 0; i < MB_ANCESTORS; i++)
		if (t->anc_tgid[i] == tgid)
			return 1;
	return 0;
}

static const struct mb_signal_event *reload_at(const struct chain_daemon *cd, int i)
{
	return &cd->rel[(cd->head + i) % MB_CHAIN_RELOADS];
}

/* Reloads that may have caused a failure at now: same master, not after, within window. */
static int reload_matches(const struct mb_signal_event *r, const struct mb_task *t, uint64_t now,
			  uint64_t window)
{
	return r->hdr.ts_ns <= now && now - r->hdr.ts_ns <= window && in_tree(t, r->target_tgid);
}

static void note_seen(struct incident *inc, int err, const char *prog)
{
	int i;

	for (i = 0; i < inc->nerr && inc->errs[i] != err; i++)
		;
	if (i == inc->nerr && inc->nerr < MB_CHAIN_SEEN)
		inc->errs[inc->nerr++] = err;
	for (i = 0; i < inc->nprog && strcmp(inc->progs[i], prog); i++)
		;
	if (i == inc->nprog && inc->nprog < MB_CHAIN_SEEN)
		mb_copy_fixed(inc->progs[inc->nprog++], PROG_LEN, prog, PROG_LEN);
}

static const char *const sender_keys[MB_CHAIN_SENDERS][3] = {
	{ "sender1_pid", "sender1_comm", "sender1_ancestry" },
	{ "sender2_pid", "sender2_comm", "sender2_ancestry" },
	{ "sender3_pid", "sender3_comm", "sender3_ancestry" },
	{ "sender4_pid", "sender4_comm", "sender4_ancestry" },
};

static void open_incident(struct mb_chain_det *c, int idx, const struct mb_exec_event *e,
			  const char *prog, const char *filename)
{
	struct chain_daemon *cd = &c->d[idx];
	uint64_t now = e->hdr.ts_ns, window = c->cfg.daemons[idx].chain_window_ms * NS_PER_MS;
	const struct mb_signal_event *senders[MB_CHAIN_SENDERS], *last = NULL;
	char who[MB_CHAIN_SENDERS * 64] = "", comm[MB_COMM_LEN + 1], anc[MB_FIELD_LEN];
	int i, j, nsend = 0, nrel = 0;
	size_t off = 0;
	struct mb_alert a;

	/* Oldest first, so the sender named first is the reload that started it. */
	for (i = 0; i < cd->nrel; i++) {
		const struct mb_signal_event *r = reload_at(cd, i);

		if (!reload_matches(r, &e->task, now, window))
			continue;
		nrel++;
		last = r;
		for (j = 0; j < nsend; j++)
			if (senders[j]->sender.tgid == r->sender.tgid &&
			    !strncmp(senders[j]->sender.comm, r->sender.comm, MB_COMM_LEN))
				break;
		if (j == nsend && nsend < MB_CHAIN_SENDERS)
			senders[nsend++] = r;
	}
	if (!last)
		return;

	memset(&cd->inc, 0, sizeof(cd->inc));
	cd->inc.target_tgid = last->target_tgid;
	mb_copy_fixed(cd->inc.target_comm, sizeof(cd->inc.target_comm), last->target_comm,
		      MB_COMM_LEN);
	note_seen(&cd->inc, e->err, prog);
	cd->st.incidents++;
	cd->st.active = 1;
	cd->st.count = 1 + (uint64_t)e->suppressed;
	cd->st.loop_count = 0;
	cd->st.loop_first_ns = cd->st.loop_last_ns = 0;
	cd->st.first_ns = cd->st.last_ns = now;

	mb_alert_start(&a, now, MB_SEV_CRITICAL, MB_AK_RELOAD_EXEC_CHAIN);
	mb_alert_str(&a, "daemon", c->cfg.daemons[idx].name);
	mb_alert_str(&a, "signal", mb_signal_name((int)last->sig));
	mb_alert_int(&a, "target_pid", last->target_tgid);
	mb_alert_str(&a, "target_comm", cd->inc.target_comm);
	mb_alert_int(&a, "reloads", nrel);
	mb_alert_int(&a, "senders", nsend);
	for (i = 0; i < nsend; i++) {
		const struct mb_task *s = &senders[i]->sender;
		int n;

		mb_copy_fixed(comm, sizeof(comm), s->comm, MB_COMM_LEN);
		mb_task_ancestry(s, anc, sizeof(anc));
		mb_alert_int(&a, sender_keys[i][0], s->tgid);
		mb_alert_str(&a, sender_keys[i][1], comm);
		mb_alert_str(&a, sender_keys[i][2], anc);
		n = snprintf(who + off, sizeof(who) - off, "%s\"%s\" (pid %u)", i ? ", " : "", comm,
			     s->tgid);
		if (n > 0 && (size_t)n < sizeof(who) - off)
			off += (size_t)n;
	}
	mb_alert_str(&a, "program", prog);
	mb_alert_str(&a, "filename", filename);
	mb_alert_str(&a, "errno", mb_errno_name(e->err));
	mb_alert_int(&a, "pid", e->task.tgid);
	mb_alert_int(&a, "gap_ms", (int64_t)((now - last->hdr.ts_ns) / NS_PER_MS));
	mb_alert_int(&a, "count", (int64_t)cd->st.count);
	mb_alert_summary(
		&a,
		"%s (pid %u): exec of %s failed with %s %llu ms after %s from %s; failures in its process tree are tracked as one incident",
		c->cfg.daemons[idx].name, last->target_tgid, prog, mb_errno_name(e->err),
		(unsigned long long)((now - last->hdr.ts_ns) / NS_PER_MS),
		mb_signal_name((int)last->sig), who);
	/* A child of the master that never exec'd: its exit status is coming. */
	if (c->hold_ns && e->task.ppid == last->target_tgid &&
	    !strncmp(e->task.comm, last->target_comm, MB_COMM_LEN)) {
		cd->inc.held = a;
		cd->inc.hold_tgid = e->task.tgid;
		cd->inc.hold_until = now + c->hold_ns;
		return;
	}
	emit(c, &a);
}

static void join_names(char *buf, size_t len, const struct incident *inc, int errs)
{
	size_t off = 0;
	int i, n, max = errs ? inc->nerr : inc->nprog;

	buf[0] = '\0';
	for (i = 0; i < max && off < len; i++) {
		n = snprintf(buf + off, len - off, "%s%s", i ? "," : "",
			     errs ? mb_errno_name(inc->errs[i]) : inc->progs[i]);
		if (n < 0)
			break;
		off += (size_t)n;
	}
}

static void join_list(char *buf, size_t len, char (*list)[PROG_LEN], int n)
{
	size_t off = 0;

	buf[0] = '\0';
	for (int i = 0; i < n && off < len; i++) {
		int k = snprintf(buf + off, len - off, "%s%s", i ? "," : "", list[i]);

		if (k < 0)
			break;
		off += (size_t)k;
	}
}

static void note_str(char (*list)[PROG_LEN], int *n, const char *v)
{
	int i;

	for (i = 0; i < *n && strcmp(list[i], v); i++)
		;
	if (i == *n && *n < MB_CHAIN_SEEN)
		mb_copy_fixed(list[(*n)++], PROG_LEN, v, PROG_LEN);
}

static void close_incident(struct mb_chain_det *c, int idx, uint64_t now, const char *how)
{
	struct chain_daemon *cd = &c->d[idx];
	uint64_t dur = cd->st.last_ns - cd->st.first_ns;
	uint64_t out =
		cd->st.loop_count && now > cd->st.loop_first_ns ? now - cd->st.loop_first_ns : 0;
	char errs[MB_FIELD_LEN], progs[MB_FIELD_LEN], svcs[MB_FIELD_LEN], sts[MB_FIELD_LEN];
	char loop[MB_FIELD_LEN * 2 + 96] = "", quiet[48] = "";
	struct mb_alert a;

	flush_held(c, cd);
	cd->st.active = 0;
	join_names(errs, sizeof(errs), &cd->inc, 1);
	join_names(progs, sizeof(progs), &cd->inc, 0);
	join_list(svcs, sizeof(svcs), cd->inc.svcs, cd->inc.nsvc);
	join_list(sts, sizeof(sts), cd->inc.statuses, cd->inc.nstatus);
	mb_alert_start(&a, now, MB_SEV_INFO, MB_AK_RELOAD_EXEC_CHAIN);
	mb_alert_str(&a, "daemon", c->cfg.daemons[idx].name);
	mb_alert_int(&a, "target_pid", cd->inc.target_tgid);
	mb_alert_str(&a, "target_comm", cd->inc.target_comm);
	mb_alert_str(&a, "state", "resolved");
	mb_alert_str(&a, "resolved_by", how);
	mb_alert_int(&a, "count", (int64_t)cd->st.count);
	mb_alert_int(&a, "duration_ms", (int64_t)(dur / NS_PER_MS));
	mb_alert_int(&a, "first_ns", (int64_t)cd->st.first_ns);
	mb_alert_int(&a, "last_ns", (int64_t)cd->st.last_ns);
	mb_alert_str(&a, "errnos", errs);
	mb_alert_str(&a, "programs", progs);
	if (cd->st.loop_count) {
		mb_alert_int(&a, "loop_count", (int64_t)cd->st.loop_count);
		mb_alert_int(&a, "outage_ms", (int64_t)(out / NS_PER_MS));
		mb_alert_str(&a, "services", svcs);
		mb_alert_str(&a, "statuses", sts);
		snprintf(loop, sizeof(loop),
			 "; %llu start-up failures of %s (%s), service out for %llu s",
			 (unsigned long long)cd->st.loop_count, svcs, sts,
			 (unsigned long long)(out / NS_PER_SEC));
	}
	if (!strcmp(how, "quiet"))
		snprintf(quiet, sizeof(quiet), "none for %llu s",
			 (unsigned long long)(c->cfg.daemons[idx].chain_window_ms / 1000));
	mb_alert_summary(
		&a,
		"%s (pid %u): reload -> exec failure chain resolved: %llu failures over %llu.%01llu s (%s; %s)%s, %s",
		c->cfg.daemons[idx].name, cd->inc.target_tgid, (unsigned long long)cd->st.count,
		(unsigned long long)(dur / NS_PER_SEC),
		(unsigned long long)(dur % NS_PER_SEC / (NS_PER_SEC / 10)), errs, progs, loop,
		quiet[0] ? quiet : how);
	emit(c, &a);
}

/* The held opening alert learns the child's exit: one alert says it all. */
static void complete_held(struct chain_daemon *cd, const struct mb_chain_loop *l)
{
	struct mb_alert *a = &cd->inc.held;
	size_t n = strlen(a->summary);

	mb_alert_str(a, "service", l->service);
	mb_alert_str(a, "status", l->status);
	mb_alert_str(a, "meaning", l->meaning);
	if (*l->action) {
		mb_alert_str(a, "daemon_action", l->action);
		mb_alert_int(a, "throttle_s", l->throttle_s);
	}
	snprintf(a->summary + n, sizeof(a->summary) - n, "; the child then exited: %s, %s%s%s",
		 l->status, l->meaning, *l->action ? "; " : "", l->action);
}

int mb_chain_feed_exit(struct mb_chain_det *c, int idx, const struct mb_exit_event *e,
		       const struct mb_chain_loop *l)
{
	struct chain_daemon *cd;
	uint64_t now;

	if (!c || !e || !l || idx < 0 || idx >= c->cfg.ndaemons)
		return 0;
	now = e->hdr.ts_ns;
	mb_chain_tick(c, now);
	cd = &c->d[idx];
	if (!cd->st.active || e->ppid != cd->inc.target_tgid)
		return 0;
	if (!cd->st.loop_count)
		cd->st.loop_first_ns = now;
	cd->st.loop_count += l->count;
	cd->st.loop_last_ns = now;
	if (now > cd->st.last_ns)
		cd->st.last_ns = now;
	note_str(cd->inc.svcs, &cd->inc.nsvc, l->service);
	note_str(cd->inc.statuses, &cd->inc.nstatus, l->status);
	snprintf(cd->inc.action, sizeof(cd->inc.action), "%s", l->action);
	if (cd->inc.hold_tgid && cd->inc.hold_tgid == e->pid) {
		complete_held(cd, l);
		flush_held(c, cd);
	}
	return 1;
}

void mb_chain_feed_alive(struct mb_chain_det *c, int idx, uint32_t tgid, uint64_t now)
{
	if (!c || idx < 0 || idx >= c->cfg.ndaemons)
		return;
	/* Another master of the same daemon (a second instance) is not this incident's. */
	if (c->d[idx].st.active && c->d[idx].st.loop_count && c->d[idx].inc.target_tgid == tgid)
		close_incident(c, idx, now, "a child lives again");
}

void mb_chain_tick(struct mb_chain_det *c, uint64_t now_ns)
{
	int i;

	if (!c)
		return;
	for (i = 0; i < c->cfg.ndaemons; i++) {
		struct chain_daemon *cd = &c->d[i];
		uint64_t window = c->cfg.daemons[i].chain_window_ms * NS_PER_MS;

		if (cd->inc.hold_tgid && now_ns >= cd->inc.hold_until)
			flush_held(c, cd);
		if (cd->st.active && now_ns >= cd->st.last_ns && now_ns - cd->st.last_ns >= window)
			close_incident(c, i, now_ns, "quiet");
	}
}

void mb_chain_feed_exec(struct mb_chain_det *c, const struct mb_exec_event *e)
{
	char filename[MB_PATH_LEN], prog[PROG_LEN];
	uint64_t now;
	int i, j;

	if (!c || !e || e->err == 0 || e->err == ENOENT || e->hdr.type == MB_EV_EXEC_NEAR)
		return;
	now = e->hdr.ts_ns;
	/* Without a timer tick in between, a quiet gap still ends the last incident. */
	mb_chain_tick(c, now);
	mb_copy_fixed(filename, sizeof(filename), e->filename, MB_PATH_LEN);
	mb_copy_fixed(prog, sizeof(prog), filename[0] ? mb_basename(filename) : e->task.comm,
		      filename[0] ? PROG_LEN : MB_COMM_LEN);

	for (i = 0; i < c->cfg.ndaemons; i++) {
		struct chain_daemon *cd = &c->d[i];

		if (!cd->st.active || !in_tree(&e->task, cd->inc.target_tgid))
			continue;
		cd->st.count += 1 + (uint64_t)e->suppressed;
		if (now > cd->st.last_ns)
			cd->st.last_ns = now;
		note_seen(&cd->inc, e->err, prog);
		return;
	}
	for (i = 0; i < c->cfg.ndaemons; i++) {
		const struct chain_daemon *cd = &c->d[i];
		uint64_t window = c->cfg.daemons[i].chain_window_ms * NS_PER_MS;

		if (!window)
			continue;
		for (j = cd->nrel - 1; j >= 0; j--) {
			if (reload_matches(reload_at(cd, j), &e->task, now, window)) {
				open_incident(c, i, e, prog, filename);
				return;
			}
		}
	}
}

const struct mb_chain_stats *mb_chain_stats(const struct mb_chain_det *c, int idx)
{
	if (!c || idx < 0 || idx >= c->cfg.ndaemons)
		return NULL;
	return &c->d[idx].st;
}
