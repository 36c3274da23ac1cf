// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The collector's periodic half: exact numbers from the kernel's count maps
 * (as increments, so evictions and restarts keep counters monotonic), the
 * detectors' verdicts, and the XFS mount probe, gathered into the metrics
 * the textfile is rendered from.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <bpf/libbpf.h>
#include "daemon.h"
#include "devices.h"
#include "event_fmt.h"
#include "names.h"
#include "procscan.h"

/*
 * Collisions the kernel counted without sending a record (a storm) reach
 * the detector here: from the folded count a record carries, and from the
 * kernel's per-master state each interval (the storm may end without one).
 */
void mb_daemon_fold(struct mb_daemon *d, uint32_t slot, uint32_t watched, uint32_t folded,
		    uint64_t now)
{
	uint32_t *seen = &d->fold_seen[slot % MB_RELOAD_SLOTS];

	if (folded > *seen)
		mb_reload_fold(d->reload, (int)watched - 1, folded - *seen, now);
	*seen = folded;
}

static void fold_state(void *ctx, uint32_t slot, const struct mb_reload_state *st)
{
	struct mb_daemon *d = ctx;

	mb_daemon_fold(d, slot, st->watched, st->folded, st->last_ns);
}

static void exec_count(void *ctx, const struct mb_exec_key *k, uint64_t count)
{
	struct mb_daemon *d = ctx;
	uint64_t delta = mb_delta_feed(&d->exec_d, k, sizeof(*k), count);
	char prog[MB_COMM_LEN];

	d->named_sum[k->err >= 0 && k->err < MB_ERRNO_MAX ? k->err : MB_ERRNO_MAX - 1] += count;
	mb_copy_fixed(prog, sizeof(prog), k->comm, sizeof(k->comm));
	if (!prog[0]) /* execve("") or a path ending in '/' */
		snprintf(prog, sizeof(prog), "unknown");
	if (delta)
		mb_topn_add(&d->m.exec_failures, mb_errno_name(k->err), prog, delta);
}

/* Kernel exit counts: start-up failures per (daemon, service, status). */
static void exit_count(void *ctx, const struct mb_exit_key *k, uint64_t count)
{
	struct mb_daemon *d = ctx;
	/* The delta table keys on 24 bytes: the exit key packed to fit. */
	struct {
		uint8_t watched, kind;
		uint16_t code;
		char comm[MB_COMM_LEN];
	} pk = { (uint8_t)k->watched, (uint8_t)k->kind, (uint16_t)k->exit_code, {} };
	char comm[MB_COMM_LEN], status[32], key[MB_TOPN_KEY_LEN];
	const char *daemon = "other", *service = "other";
	uint64_t delta;

	_Static_assert(sizeof(pk) <= MB_DELTA_KEY, "packed exit key fits the delta table");
	if (k->kind != MB_EXIT_STARTUP_FAIL)
		return;
	memcpy(pk.comm, k->comm, MB_COMM_LEN);
	delta = mb_delta_feed(&d->exit_d, &pk, sizeof(pk), count);
	if (!delta)
		return;
	mb_copy_fixed(comm, sizeof(comm), k->comm, MB_COMM_LEN);
	snprintf(status, sizeof(status), "other");
	if (k->watched >= 1 && k->watched <= (uint32_t)d->cfg.ndaemons) {
		daemon = d->cfg.daemons[k->watched - 1].name;
		service = mb_startup_service_for(d->startup, (int)k->watched - 1, comm);
		mb_exit_status_label(k->exit_code, status, sizeof(status));
	}
	snprintf(key, sizeof(key), "%s\x1f%s", service, status);
	mb_topn_add(&d->m.startup_failures, daemon, key, delta);
}

struct scan_ctx {
	struct mb_daemon *d;
	uint64_t now;
};

static void scan_child(void *ctx, int idx, uint32_t ppid, const char *comm, uint64_t age_ns)
{
	struct scan_ctx *s = ctx;

	if (mb_startup_failing(s->d->startup, idx))
		mb_startup_feed_alive(s->d->startup, idx, ppid, comm, age_ns, s->now);
}

static void scan_master_cb(void *ctx, int idx, uint32_t tgid, uint64_t age_ns)
{
	mb_master_scan_add(((struct scan_ctx *)ctx)->d->master, idx, tgid, age_ns);
}

/*
 * Masters and their living children from /proc. Every interval, and every
 * second while a loop is failing or a master is gone (a child that lives
 * ends a loop; a new master ends a daemon_exited). While a loop is open the
 * exit probe also sends that daemon's clean child exits.
 */
void mb_daemon_scan(struct mb_daemon *d, uint64_t now)
{
	struct scan_ctx sc = { d, now };
	int busy = 0;

	mb_master_scan_begin(d->master);
	if (mb_scan_masters(&d->cfg, now, scan_master_cb, scan_child, &sc))
		return; /* /proc unreadable: keep what is known */
	mb_master_scan_end(d->master, now);
	for (int i = 0; i < d->cfg.ndaemons; i++) {
		int failing = mb_startup_failing(d->startup, i);

		/* While a loop is open, a clean exit of its service's child ends it. */
		mb_probes_want_ok(&d->probes, i, failing);
		busy |= failing || mb_master_down(d->master, i);
	}
	d->next_scan_ns = now + (busy ? NS_PER_SEC : d->cfg.interval_s * NS_PER_SEC);
}

static void sig_count(void *ctx, const struct mb_sig_key *k, uint64_t count)
{
	struct mb_daemon *d = ctx;
	uint64_t delta = mb_delta_feed(&d->sig_d, k, sizeof(*k), count);

	if (delta && k->watched >= 1 && k->watched <= (uint32_t)d->cfg.ndaemons)
		mb_topn_add(&d->m.reloads, d->cfg.daemons[k->watched - 1].name,
			    mb_signal_name(k->sig), delta);
}

static void fs_count(void *ctx, const struct mb_fs_key *k, uint64_t count)
{
	struct mb_daemon *d = ctx;
	uint64_t delta = mb_delta_feed(&d->fs_d, k, sizeof(*k), count);
	const struct mb_mount *m = mb_mounts_find(&d->mounts, k->dev);
	char dev[MB_NAME_LEN], where[MB_PATH_LEN + 2 * MB_NAME_LEN + 3];

	if (!delta)
		return;
	if (m)
		snprintf(dev, sizeof(dev), "%s", m->devname);
	else
		mb_devname(k->dev, dev, sizeof(dev));
	mb_metrics_fs_key(where, sizeof(where), m ? m->mountpoint : "", m ? m->fstype : "");
	if (k->source == MB_FS_BLOCK_RQ_ERROR) {
		mb_topn_add(&d->m.block_io, dev, "", delta);
	} else if (k->source == MB_FS_BLOCK_NOTSUPP) {
		mb_topn_add(&d->m.block_notsupp, dev, "", delta);
	} else if (k->source == MB_FS_BUF_IOERROR) {
		mb_topn_add(&d->m.fs_io, dev, where, delta);
	} else if (k->source == MB_FS_EXT4_ERROR) {
		mb_metrics_fs_key4(where, sizeof(where), m ? m->mountpoint : "",
				   m ? m->fstype : "ext4", mb_fs_source_name(k->source));
		mb_topn_add(&d->m.fs_errors, dev, where, delta);
	} else if (k->source != MB_FS_FORCE_SHUTDOWN && k->source != MB_FS_EXT4_SHUTDOWN) {
		mb_topn_add(&d->m.fs_corrupt, dev, where, delta);
	}
}

/*
 * Failures whose program did not fit the kernel's table are in the per-errno
 * totals only: export them as program="other". The totals are read before
 * the table, so total - named never runs ahead of the truth, and what was
 * exported only grows.
 */
static void exec_collect(struct mb_daemon *d)
{
	uint64_t totals[MB_ERRNO_MAX];

	mb_probes_exec_totals(&d->probes, totals);
	memset(d->named_sum, 0, sizeof(d->named_sum));
	mb_delta_begin(&d->exec_d);
	mb_probes_exec_counts(&d->probes, exec_count, d);
	for (int i = 1; i < MB_ERRNO_MAX; i++) {
		uint64_t other = totals[i] > d->named_sum[i] ? totals[i] - d->named_sum[i] : 0;

		if (other <= d->other_done[i])
			continue;
		mb_topn_add(&d->m.exec_failures, mb_errno_name(i), "other",
			    other - d->other_done[i]);
		d->other_done[i] = other;
	}
}

/* Headroom is a gauge of the worst programs now: rebuilt, worst first. */
struct near_list {
	struct {
		char comm[MB_COMM_LEN];
		uint64_t ppm;
	} * v;
	size_t n, cap;
};

static void near_collect(void *ctx, const char *comm, const struct mb_near_val *v)
{
	struct near_list *l = ctx;

	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 256;
		void *p = realloc(l->v, cap * sizeof(*l->v));

		if (!p)
			return;
		l->v = p;
		l->cap = cap;
	}
	mb_copy_fixed(l->v[l->n].comm, MB_COMM_LEN, comm, MB_COMM_LEN);
	l->v[l->n].ppm = v->limit ? v->used * 1000000 / v->limit : 0;
	l->n++;
}

static int by_ppm(const void *a, const void *b)
{
	const uint64_t pa = *(const uint64_t *)((const char *)a + MB_COMM_LEN);
	const uint64_t pb = *(const uint64_t *)((const char *)b + MB_COMM_LEN);

	return pa < pb ? 1 : pa > pb ? -1 : 0;
}

/*
 * XFS shuts down without its tracepoint when the log fails (the
 * xlog_force_shutdown() path), but a shut-down XFS answers EIO to any
 * getattr. One stat() of each XFS mount root per interval catches every
 * shutdown path; the detector dedups per mount. Only XFS: a stat() on a
 * dead network mount would block the collector.
 */
static void probe_xfs_mounts(struct mb_daemon *d, uint64_t now)
{
	for (int i = 0; i < d->mounts.n; i++) {
		const struct mb_mount *m = &d->mounts.m[i];
		struct mb_fs_event e = {};
		struct stat st;

		e.hdr.type = MB_EV_FS_SHUTDOWN;
		e.hdr.ts_ns = now;
		e.dev = m->dev;
		/* ext4 (6.x) says "shutdown" in its options: one that happened before start. */
		if (m->flags & MB_MNT_SHUTDOWN) {
			e.source = MB_FS_MNT_SHUTDOWN;
			snprintf(e.detail, sizeof(e.detail), "mountinfo");
			mb_fs_feed(d->fs, &e, &d->mounts);
			continue;
		}
		if (strcmp(m->fstype, "xfs") || !stat(m->mountpoint, &st) || errno != EIO)
			continue;
		e.source = MB_FS_STAT_EIO;
		e.error = -EIO;
		snprintf(e.detail, sizeof(e.detail), "stat: EIO");
		mb_fs_feed(d->fs, &e, &d->mounts);
	}
}

/*
 * The mount table, and for the ext4 mounts the detector asks about (an
 * error just now, or flagged read-only) whether ext4 still takes an fsync:
 * a kernel that shuts ext4 down on an error may say nothing in mountinfo.
 */
void mb_daemon_mounts(struct mb_daemon *d, uint64_t now)
{
	mb_mounts_read(&d->mounts, "/proc/self/mountinfo");
	for (int i = 0; i < d->mounts.n; i++) {
		struct mb_mount *m = &d->mounts.m[i];

		if (mb_fs_wants_probe(d->fs, m, now) && mb_mount_refuses(m->mountpoint))
			m->flags |= MB_MNT_REFUSES;
	}
}

/* Read-only flags and the ext4 superblocks' error counts: gauges of now. */
static void fs_gauges(struct mb_daemon *d)
{
	char where[MB_PATH_LEN + 2 * MB_NAME_LEN + 3];

	mb_topn_free(&d->m.readonly);
	mb_topn_init(&d->m.readonly, d->cfg.top_n);
	for (int i = 0; i < mb_fs_readonly_count(d->fs); i++) {
		const struct mb_fs_flag *f = mb_fs_readonly_at(d->fs, i);

		mb_metrics_fs_key4(where, sizeof(where), f->mountpoint, f->fstype,
				   mb_ro_cause_name(f->flags));
		mb_topn_max(&d->m.readonly, f->devname, where, 1);
	}
	mb_topn_free(&d->m.recorded);
	mb_topn_init(&d->m.recorded, d->cfg.top_n);
	for (int i = 0; i < d->mounts.n; i++) {
		const struct mb_mount *m = &d->mounts.m[i];

		if (strcmp(m->fstype, "ext4"))
			continue;
		mb_metrics_fs_key(where, sizeof(where), m->mountpoint, m->fstype);
		mb_topn_max(&d->m.recorded, m->devname, where, m->rec.count);
	}
	d->m.nprogs = d->probes.nprogs;
	memcpy(d->m.progs, d->probes.progs, sizeof(d->m.progs));
}

void mb_daemon_collect(struct mb_daemon *d, uint64_t now)
{
	struct near_list near = {};

	mb_daemon_mounts(d, now);
	mb_fs_refresh(d->fs, &d->mounts, now);
	probe_xfs_mounts(d, now);
	/* A package upgrade replaces a daemon's binary: follow its new inode. */
	mb_probes_set_watch(&d->probes, &d->cfg);
	exec_collect(d);
	mb_probes_reload_states(&d->probes, fold_state, d);
	mb_delta_begin(&d->sig_d);
	mb_probes_sig_counts(&d->probes, sig_count, d);
	mb_delta_begin(&d->fs_d);
	mb_probes_fs_counts(&d->probes, fs_count, d);

	mb_probes_near(&d->probes, near_collect, &near);
	qsort(near.v, near.n, sizeof(*near.v), by_ppm);
	mb_topn_free(&d->m.headroom_ppm);
	mb_topn_init(&d->m.headroom_ppm, d->cfg.top_n);
	for (size_t i = 0; i < near.n; i++)
		mb_topn_max(&d->m.headroom_ppm, near.v[i].comm, "", near.v[i].ppm);
	free(near.v);

	mb_topn_free(&d->m.shutdown);
	mb_topn_init(&d->m.shutdown, d->cfg.top_n);
	for (int i = 0; i < mb_fs_shutdown_count(d->fs); i++) {
		const struct mb_fs_flag *f = mb_fs_shutdown_at(d->fs, i);
		char where[MB_PATH_LEN + MB_NAME_LEN + 2];

		mb_metrics_fs_key(where, sizeof(where), f->mountpoint, f->fstype);
		mb_topn_max(&d->m.shutdown, f->devname, where, 1);
	}
	fs_gauges(d);
	for (int i = 0; i < d->cfg.ndaemons; i++) {
		const struct mb_reload_stats *s = mb_reload_stats(d->reload, i);

		d->m.daemons[i].collisions = d->collision_base[i] + (s ? s->collisions : 0);
		if (s && s->last_collision_ns)
			d->m.daemons[i].last_collision_unix =
				((int64_t)s->last_collision_ns + d->boot_to_wall_ns) / NS_PER_SEC;
	}
	/*
	 * A key's first exit sends a record, which names the service; read
	 * the records already in the ring first, so its count is not labelled
	 * before its record is in.
	 */
	if (d->probes.rb)
		ring_buffer__consume(d->probes.rb);
	mb_delta_begin(&d->exit_d);
	mb_probes_exit_counts(&d->probes, exit_count, d);
	mb_topn_free(&d->m.service_failing);
	mb_topn_init(&d->m.service_failing, d->cfg.top_n);
	for (int i = 0; i < mb_startup_count(d->startup); i++) {
		const struct mb_startup_stats *s = mb_startup_at(d->startup, i);

		if (s->idx < d->cfg.ndaemons)
			mb_topn_max(&d->m.service_failing, d->cfg.daemons[s->idx].name, s->service,
				    (uint64_t)s->failing);
	}
	for (int i = 0; i < d->cfg.ndaemons; i++)
		d->m.daemon_up[i] = mb_master_up(d->master, i);
	mb_probes_drops(&d->probes, d->m.lost);
	memcpy(d->m.attached, d->probes.attached, sizeof(d->m.attached));
	d->m.exec_probe = d->probes.exec ? d->probes.exec_probe : -1;
}
