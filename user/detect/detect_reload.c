// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Reload collision and reload storm detection, see detect_reload.h.
 *
 * Collisions are keyed by daemon and master tgid (two Dovecot instances
 * reloaded at once is not a collision), but alerts are gated per daemon:
 * whoever reads them wants one line per incident, with the count of what
 * was folded into it, not one per signal.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "detect.h"
#include "detect_reload.h"
#include "names.h"

struct target_slot {
	int used;
	uint32_t tgid;
	struct mb_signal_event last; /* previous reload of this master */
};

struct daemon_state {
	struct target_slot tgt[MB_RELOAD_TARGETS];
	int has_last;
	struct mb_signal_event last;
	struct mb_reload_stats st;
	/* Collision alert gate: one alert per window, the rest folded. */
	int alerted;
	uint64_t alert_ns;
	uint64_t folded;
	/* Timestamps of the last storm_count+1 reloads, a ring. */
	uint64_t *ring;
	uint32_t ring_len;
	uint32_t ring_n;
	uint32_t ring_head;
	int in_storm;
};

struct mb_reload_det {
	struct mb_config cfg;
	struct mb_alert_sink sink;
	struct daemon_state d[MB_MAX_DAEMONS];
};

/* Per-CPU ring buffers can hand us events a few microseconds out of order. */
static uint64_t absdiff(uint64_t a, uint64_t b)
{
	return a > b ? a - b : b - a;
}

struct mb_reload_det *mb_reload_new(const struct mb_config *cfg, struct mb_alert_sink sink)
{
	struct mb_reload_det *d = MB_DET_NEW(struct mb_reload_det, cfg, sink);
	int i;

	if (!d)
		return NULL;
	for (i = 0; i < cfg->ndaemons; i++) {
		uint32_t n = cfg->daemons[i].storm_count;

		/* storm_count 0 disables storm detection rather than flagging every reload. */
		if (!n)
			continue;
		if (n > MB_RELOAD_STORM_MAX)
			n = MB_RELOAD_STORM_MAX;
		d->d[i].ring_len = n + 1;
		d->d[i].ring = calloc(n + 1, sizeof(uint64_t));
		if (!d->d[i].ring) {
			mb_reload_free(d);
			errno = ENOMEM;
			return NULL;
		}
	}
	return d;
}

void mb_reload_free(struct mb_reload_det *d)
{
	int i;

	if (!d)
		return;
	for (i = 0; i < MB_MAX_DAEMONS; i++)
		free(d->d[i].ring);
	free(d);
}

static void emit(struct mb_reload_det *d, const struct mb_alert *a)
{
	if (d->sink.emit)
		d->sink.emit(d->sink.ctx, a);
}

static struct target_slot *target_slot(struct daemon_state *ds, uint32_t tgid)
{
	struct target_slot *victim = &ds->tgt[0];
	int i;

	for (i = 0; i < MB_RELOAD_TARGETS; i++)
		if (ds->tgt[i].used && ds->tgt[i].tgid == tgid)
			return &ds->tgt[i];
	for (i = 0; i < MB_RELOAD_TARGETS; i++) {
		if (!ds->tgt[i].used)
			return &ds->tgt[i];
		if (ds->tgt[i].last.hdr.ts_ns < victim->last.hdr.ts_ns)
			victim = &ds->tgt[i];
	}
	/* Evict the master reloaded longest ago: its window is surely over. */
	memset(victim, 0, sizeof(*victim));
	return victim;
}

struct sender_keys {
	const char *pid, *comm, *ancestry, *uid, *cgroup;
};

static const struct sender_keys first_keys = {
	"first_sender_pid", "first_sender_comm",   "first_sender_ancestry",
	"first_sender_uid", "first_sender_cgroup",
};
static const struct sender_keys second_keys = {
	"second_sender_pid", "second_sender_comm",   "second_sender_ancestry",
	"second_sender_uid", "second_sender_cgroup",
};

static void add_sender(struct mb_alert *a, const struct sender_keys *k, const struct mb_task *t)
{
	char comm[MB_COMM_LEN + 1], anc[MB_FIELD_LEN];

	mb_copy_fixed(comm, sizeof(comm), t->comm, MB_COMM_LEN);
	mb_task_ancestry(t, anc, sizeof(anc));
	mb_alert_int(a, k->pid, t->tgid);
	mb_alert_str(a, k->comm, comm);
	mb_alert_str(a, k->ancestry, anc);
	mb_alert_int(a, k->uid, t->uid);
	mb_alert_int(a, k->cgroup, (int64_t)t->cgroup_id);
}

static void collision_alert(struct mb_reload_det *d, int idx, const struct mb_signal_event *prev,
			    const struct mb_signal_event *e, uint64_t gap_ns, int merged,
			    uint64_t folded)
{
	static const struct mb_task unknown;
	const char *name = d->cfg.daemons[idx].name;
	char tcomm[MB_COMM_LEN + 1], c1[MB_COMM_LEN + 1], c2[MB_COMM_LEN + 1];
	char fold[64] = "";
	struct mb_alert a;

	mb_alert_start(&a, e->hdr.ts_ns, MB_SEV_WARNING, MB_AK_RELOAD_COLLISION);
	mb_copy_fixed(tcomm, sizeof(tcomm), e->target_comm, MB_COMM_LEN);
	mb_copy_fixed(c2, sizeof(c2), e->sender.comm, MB_COMM_LEN);
	mb_alert_str(&a, "daemon", name);
	mb_alert_str(&a, "signal", mb_signal_name((int)e->sig));
	mb_alert_int(&a, "target_pid", e->target_tgid);
	mb_alert_str(&a, "target_comm", tcomm);
	mb_alert_int(&a, "gap_ms", prev ? (int64_t)(gap_ns / NS_PER_MS) : -1);
	mb_alert_int(&a, "merged", merged);
	mb_alert_int(&a, "folded", (int64_t)folded);
	add_sender(&a, &first_keys, prev ? &prev->sender : &unknown);
	add_sender(&a, &second_keys, &e->sender);

	if (folded)
		snprintf(fold, sizeof(fold), " (%llu more folded since the last alert)",
			 (unsigned long long)folded);
	if (prev) {
		mb_copy_fixed(c1, sizeof(c1), prev->sender.comm, MB_COMM_LEN);
		mb_alert_summary(
			&a,
			"%s (pid %u): %s from \"%s\" (pid %u) %llu ms after %s from \"%s\" (pid %u)%s%s",
			name, e->target_tgid, mb_signal_name((int)e->sig), c2, e->sender.tgid,
			(unsigned long long)(gap_ns / NS_PER_MS), mb_signal_name((int)prev->sig),
			c1, prev->sender.tgid, merged ? ", merged by the kernel" : "", fold);
	} else {
		/* The pending signal came from before we started, or was not a reload. */
		mb_alert_summary(
			&a,
			"%s (pid %u): %s from \"%s\" (pid %u) merged by the kernel into an already pending signal from an unknown sender%s",
			name, e->target_tgid, mb_signal_name((int)e->sig), c2, e->sender.tgid,
			fold);
	}
	emit(d, &a);
}

static void storm_alert(struct mb_reload_det *d, int idx, const struct mb_signal_event *e)
{
	const struct mb_daemon_cfg *dc = &d->cfg.daemons[idx];
	char comm[MB_COMM_LEN + 1], anc[MB_FIELD_LEN];
	uint32_t limit = d->d[idx].ring_len - 1;
	struct mb_alert a;

	mb_copy_fixed(comm, sizeof(comm), e->sender.comm, MB_COMM_LEN);
	mb_task_ancestry(&e->sender, anc, sizeof(anc));
	mb_alert_start(&a, e->hdr.ts_ns, MB_SEV_WARNING, MB_AK_RELOAD_STORM);
	mb_alert_str(&a, "daemon", dc->name);
	mb_alert_str(&a, "signal", mb_signal_name((int)e->sig));
	mb_alert_int(&a, "target_pid", e->target_tgid);
	mb_alert_int(&a, "storm_count", limit);
	mb_alert_int(&a, "storm_window_ms", (int64_t)dc->storm_window_ms);
	mb_alert_int(&a, "reloads", (int64_t)d->d[idx].st.reloads);
	mb_alert_int(&a, "collisions", (int64_t)d->d[idx].st.collisions);
	mb_alert_int(&a, "sender_pid", e->sender.tgid);
	mb_alert_str(&a, "sender_comm", comm);
	mb_alert_str(&a, "sender_ancestry", anc);
	mb_alert_summary(
		&a,
		"%s: more than %u reloads within %llu ms, latest %s to pid %u from \"%s\" (pid %u)",
		dc->name, limit, (unsigned long long)dc->storm_window_ms,
		mb_signal_name((int)e->sig), e->target_tgid, comm, e->sender.tgid);
	emit(d, &a);
}

/* Returns 1 when the reloads in the ring now exceed storm_count in the window. */
static int storm_push(struct daemon_state *ds, uint64_t now, uint64_t window_ns)
{
	uint64_t oldest;

	if (!ds->ring)
		return 0;
	ds->ring[ds->ring_head] = now;
	ds->ring_head = (ds->ring_head + 1) % ds->ring_len;
	if (ds->ring_n < ds->ring_len)
		ds->ring_n++;
	if (ds->ring_n < ds->ring_len)
		return 0;
	/* Full ring: the slot about to be overwritten holds the oldest. */
	oldest = ds->ring[ds->ring_head];
	return absdiff(now, oldest) <= window_ns;
}

static void storm_check(struct mb_reload_det *d, int idx, int storm,
			const struct mb_signal_event *e)
{
	struct daemon_state *ds = &d->d[idx];

	if (storm) {
		if (!ds->in_storm) {
			ds->in_storm = 1;
			ds->st.storms++;
			storm_alert(d, idx, e);
		}
	} else {
		/* Re-arm only once the rate has fallen back under the limit. */
		ds->in_storm = 0;
	}
}

int mb_reload_feed(struct mb_reload_det *d, const struct mb_signal_event *e)
{
	const struct mb_daemon_cfg *dc;
	struct daemon_state *ds;
	struct target_slot *slot;
	uint64_t now, gap = 0, window;
	int idx, within, merged;

	if (!d || !e || e->watched == 0 || e->watched > (uint32_t)d->cfg.ndaemons)
		return 0;
	idx = (int)e->watched - 1;
	dc = &d->cfg.daemons[idx];
	if (e->sig == 0 || e->sig >= 64 || !(dc->sigmask & MB_SIGBIT(e->sig)))
		return 0;

	ds = &d->d[idx];
	now = e->hdr.ts_ns;
	window = dc->window_ms * NS_PER_MS;
	ds->st.reloads++;

	slot = target_slot(ds, e->target_tgid);
	merged = e->result == MB_SIG_ALREADY_PENDING;
	if (slot->used)
		gap = absdiff(now, slot->last.hdr.ts_ns);
	within = slot->used && gap <= window;
	if (merged)
		ds->st.merged++;
	if (within || merged) {
		ds->st.collisions++;
		ds->st.last_collision_ns = now;
		if (ds->alerted && (now < ds->alert_ns || now - ds->alert_ns < window)) {
			ds->folded++;
		} else {
			collision_alert(d, idx, slot->used ? &slot->last : NULL, e, gap, merged,
					ds->folded);
			ds->alerted = 1;
			ds->alert_ns = now;
			ds->folded = 0;
		}
	}
	slot->used = 1;
	slot->tgid = e->target_tgid;
	slot->last = *e;
	ds->has_last = 1;
	ds->last = *e;

	storm_check(d, idx, storm_push(ds, now, dc->storm_window_ms * NS_PER_MS), e);
	return idx + 1;
}

void mb_reload_fold(struct mb_reload_det *d, int idx, uint64_t n, uint64_t now)
{
	struct daemon_state *ds;
	int storm = 0;

	if (!d || idx < 0 || idx >= d->cfg.ndaemons || !n)
		return;
	ds = &d->d[idx];
	/* The kernel folds only collisions (reload_emit() in signal.bpf.c). */
	ds->st.reloads += n;
	ds->st.collisions += n;
	ds->st.last_collision_ns = now;
	ds->folded += n;
	for (uint64_t i = 0; i < n && i < ds->ring_len; i++)
		storm = storm_push(ds, now, d->cfg.daemons[idx].storm_window_ms * NS_PER_MS);
	if (ds->has_last)
		storm_check(d, idx, storm, &ds->last);
}

const struct mb_reload_stats *mb_reload_stats(const struct mb_reload_det *d, int idx)
{
	if (!d || idx < 0 || idx >= d->cfg.ndaemons)
		return NULL;
	return &d->d[idx].st;
}

const struct mb_signal_event *mb_reload_last(const struct mb_reload_det *d, int idx)
{
	if (!d || idx < 0 || idx >= d->cfg.ndaemons || !d->d[idx].has_last)
		return NULL;
	return &d->d[idx].last;
}
