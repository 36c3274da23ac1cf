// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The collector. Records feed the detectors as they arrive; exact numbers
 * come from the kernel's count maps, read every interval and whenever an
 * alert asks for the textfile to be rewritten (within a second of it).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "daemon.h"
#include "devices.h"
#include "event_fmt.h"
#include "log.h"
#include "names.h"

#define ALERT_WRITE_GAP_NS (200 * NS_PER_MS) /* textfile rewrites after alerts */
#define DRAIN_POLL_MS 10 /* re-poll soon after a batch: records without a wakeup */
#define IDLE_POLL_MS 500

static uint64_t boot_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_BOOTTIME, &ts);
	return ts.tv_sec * NS_PER_SEC + ts.tv_nsec;
}

static void on_alert(void *ctx, const struct mb_alert *a)
{
	struct mb_daemon *d = ctx;
	double wall = (double)(int64_t)(a->ts_ns + (uint64_t)d->boot_to_wall_ns) / 1e9;

	if (mb_alertlog_write(&d->log, a, wall))
		warn("alert log: %s", d->log.errmsg);
	/* Resolutions (info) are logged but are not incidents. */
	if (a->severity >= MB_SEV_WARNING)
		mb_metrics_incident(&d->m, a->kind);
	if (!strncmp(a->kind, "fs_", 3))
		d->state_dirty = 1;
	d->alert_pending = 1;
}

/*
 * Collisions the kernel counted without sending a record (a storm) reach
 * the detector here: from the folded count a record carries, and from the
 * kernel's per-master state each interval (the storm may end without one).
 */
static void fold(struct mb_daemon *d, uint32_t tgid, uint32_t watched, uint32_t folded,
		 uint64_t now)
{
	int free_slot = -1;

	for (int i = 0; i < MB_FOLD_SLOTS; i++) {
		if (d->folds[i].tgid == tgid && d->folds[i].tgid) {
			if (folded > d->folds[i].seen)
				mb_reload_fold(d->reload, (int)watched - 1,
					       folded - d->folds[i].seen, now);
			d->folds[i].seen = folded;
			return;
		}
		if (!d->folds[i].tgid && free_slot < 0)
			free_slot = i;
	}
	if (free_slot < 0)
		return;
	d->folds[free_slot].tgid = tgid;
	d->folds[free_slot].seen = folded;
	mb_reload_fold(d->reload, (int)watched - 1, folded, now);
}

static void fold_state(void *ctx, uint32_t tgid, const struct mb_reload_state *st)
{
	struct mb_daemon *d = ctx;

	fold(d, tgid, st->watched, st->folded, st->last_ns);
}

static int on_event(void *ctx, void *data, size_t size)
{
	struct mb_daemon *d = ctx;
	union mb_event ev;
	int idx;

	if (mb_event_decode(&ev, data, size))
		return 0;
	switch (ev.hdr.type) {
	case MB_EV_SIGNAL:
		if (ev.sig.watched)
			fold(d, ev.sig.target_tgid, ev.sig.watched, ev.sig.folded_total,
			     ev.sig.hdr.ts_ns);
		idx = mb_reload_feed(d->reload, &ev.sig);
		if (idx > 0)
			mb_chain_feed_reload(d->chain, idx - 1, &ev.sig);
		break;
	case MB_EV_EXEC_FAIL:
		mb_exec_feed(d->exec, &ev.exec);
		mb_chain_feed_exec(d->chain, &ev.exec);
		break;
	case MB_EV_EXEC_NEAR:
		mb_exec_feed(d->exec, &ev.exec);
		break;
	default:
		if (!mb_mounts_find(&d->mounts, ev.fs.dev))
			mb_mounts_read(&d->mounts, "/proc/self/mountinfo");
		mb_fs_feed(d->fs, &ev.fs, &d->mounts);
	}
	d->busy = 1;
	return 0;
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
	char dev[MB_NAME_LEN], where[MB_PATH_LEN + MB_NAME_LEN + 2];

	if (!delta)
		return;
	if (m)
		snprintf(dev, sizeof(dev), "%s", m->devname);
	else
		mb_devname(k->dev, dev, sizeof(dev));
	mb_metrics_fs_key(where, sizeof(where), m ? m->mountpoint : "", m ? m->fstype : "");
	if (k->source == MB_FS_BLOCK_RQ_ERROR)
		mb_topn_add(&d->m.block_io, dev, "", delta);
	else if (k->source == MB_FS_BUF_IOERROR)
		mb_topn_add(&d->m.fs_io, dev, where, delta);
	else if (k->source != MB_FS_FORCE_SHUTDOWN)
		mb_topn_add(&d->m.fs_corrupt, dev, where, delta);
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

		if (strcmp(m->fstype, "xfs") || !stat(m->mountpoint, &st) || errno != EIO)
			continue;
		e.hdr.type = MB_EV_FS_SHUTDOWN;
		e.hdr.ts_ns = now;
		e.dev = m->dev;
		e.source = MB_FS_STAT_EIO;
		e.error = -EIO;
		snprintf(e.detail, sizeof(e.detail), "stat: EIO");
		mb_fs_feed(d->fs, &e, &d->mounts);
	}
}

static void collect(struct mb_daemon *d, uint64_t now)
{
	struct near_list near = {};

	mb_mounts_read(&d->mounts, "/proc/self/mountinfo");
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
	for (int i = 0; i < d->cfg.ndaemons; i++) {
		const struct mb_reload_stats *s = mb_reload_stats(d->reload, i);

		d->m.daemons[i].collisions = d->collision_base[i] + (s ? s->collisions : 0);
		if (s && s->last_collision_ns)
			d->m.daemons[i].last_collision_unix =
				((int64_t)s->last_collision_ns + d->boot_to_wall_ns) / NS_PER_SEC;
	}
	mb_probes_drops(&d->probes, d->m.lost);
	memcpy(d->m.attached, d->probes.attached, sizeof(d->m.attached));
}

static void save_state(struct mb_daemon *d)
{
	char tmp[sizeof(d->state_file) + 8];
	FILE *f;
	int err;

	snprintf(tmp, sizeof(tmp), "%s.tmp", d->state_file);
	f = fopen(tmp, "we");
	if (!f) {
		warn("cannot save state to %s: %s", tmp, strerror(errno));
		return;
	}
	err = mb_fs_save(d->fs, f, d->boot_id);
	if (fflush(f) || fsync(fileno(f)))
		err = -errno;
	fclose(f);
	if (err || rename(tmp, d->state_file)) {
		warn("cannot save state to %s: %s", d->state_file, strerror(err ? -err : errno));
		unlink(tmp);
		return;
	}
	d->state_dirty = 0;
}

static void write_textfile(struct mb_daemon *d, uint64_t now)
{
	struct timespec wall;
	int err;

	collect(d, now);
	clock_gettime(CLOCK_REALTIME, &wall);
	err = mb_metrics_render(&d->m, &d->prom, wall.tv_sec + wall.tv_nsec / 1e9);
	if (!err)
		err = mb_textfile_write(d->cfg.textfile, d->prom.buf, d->prom.len);
	if (err) {
		/* Keep monitoring; the last good file stays; say it once per outage. */
		d->m.textfile_errors++;
		if (!d->write_failing)
			warn("cannot write %s: %s (will retry)", d->cfg.textfile, strerror(-err));
		d->write_failing = 1;
	} else if (d->write_failing) {
		note("writing %s works again", d->cfg.textfile);
		d->write_failing = 0;
	}
	if (d->state_dirty)
		save_state(d);
	d->alert_pending = 0;
	d->last_write_ns = now;
	d->next_write_ns = now + d->cfg.interval_s * NS_PER_SEC;
}

static int new_detectors(struct mb_daemon *d)
{
	struct mb_alert_sink sink = { on_alert, d };

	d->reload = mb_reload_new(&d->cfg, sink);
	d->exec = mb_exec_new(&d->cfg, sink);
	d->chain = mb_chain_new(&d->cfg, sink);
	return d->reload && d->exec && d->chain ? 0 : -ENOMEM;
}

static void free_detectors(struct mb_daemon *d)
{
	mb_reload_free(d->reload);
	mb_exec_free(d->exec);
	mb_chain_free(d->chain);
	d->reload = NULL;
	d->exec = NULL;
	d->chain = NULL;
}

static void load_state(struct mb_daemon *d)
{
	FILE *f = fopen(d->state_file, "re");

	if (!f)
		return;
	if (mb_fs_load(d->fs, f, d->boot_id))
		warn("ignoring malformed state file %s", d->state_file);
	fclose(f);
}

int mb_daemon_start(struct mb_daemon *d)
{
	struct mb_alert_sink sink = { on_alert, d };
	struct mb_probes_opts po = {
		.cfg = &d->cfg,
		.watch_only = 1,
		.sig_mask = 0,
		/* One detailed record per (errno, program) a second is plenty for forensics. */
		.exec_emit_gap_ns = NS_PER_SEC,
		/* A reload storm is counted in the kernel, not shipped. */
		.sig_emit_gap_ns = NS_PER_SEC,
		.fs_emit_gap_ns = NS_PER_SEC,
		.near_permille = d->cfg.near_miss_pct * 10,
		.ringbuf_bytes = d->ringbuf_bytes,
		.on_event = on_event,
		.ctx = d,
	};
	int err;

	for (int i = 0; i < d->cfg.ndaemons; i++)
		po.sig_mask |= d->cfg.daemons[i].sigmask;
	d->boot_to_wall_ns = mb_boot_to_wall_ns();
	mb_boot_id(d->boot_id, sizeof(d->boot_id));
	snprintf(d->state_file, sizeof(d->state_file), "%s/fs-state", d->cfg.state_dir);
	mb_prom_init(&d->prom);
	err = mb_metrics_init(&d->m, &d->cfg);
	if (!err)
		err = mb_delta_init(&d->exec_d);
	if (!err)
		err = mb_delta_init(&d->sig_d);
	if (!err)
		err = mb_delta_init(&d->fs_d);
	if (!err)
		err = new_detectors(d);
	d->fs = mb_fs_new(sink);
	if (err || !d->fs) {
		warn("out of memory");
		return -ENOMEM;
	}
	mb_mounts_read(&d->mounts, "/proc/self/mountinfo");
	load_state(d);
	err = mb_probes_start(&d->probes, &po);
	if (err) {
		warn("cannot load the BPF probes: %s", strerror(-err));
		return err;
	}
	write_textfile(d, boot_ns());
	return 0;
}

int mb_daemon_step(struct mb_daemon *d)
{
	uint64_t now = boot_ns();
	int timeout, err;

	timeout = d->busy ? DRAIN_POLL_MS : IDLE_POLL_MS;
	d->busy = 0;
	err = mb_probes_poll(&d->probes, timeout);
	if (err < 0)
		return err;
	now = boot_ns();
	mb_chain_tick(d->chain, now);
	if (now >= d->next_write_ns ||
	    (d->alert_pending && now - d->last_write_ns >= ALERT_WRITE_GAP_NS))
		write_textfile(d, now);
	return 0;
}

void mb_daemon_reconfigure(struct mb_daemon *d, const struct mb_config *next)
{
	struct mb_daemon_metrics carried[MB_MAX_DAEMONS] = {};
	int err;

	/* Collision metrics follow the daemon's name across a reload. */
	for (int j = 0; j < next->ndaemons; j++)
		for (int i = 0; i < d->cfg.ndaemons; i++)
			if (!strcmp(next->daemons[j].name, d->cfg.daemons[i].name))
				carried[j] = d->m.daemons[i];
	free_detectors(d);
	d->cfg = *next;
	d->m.ndaemons = next->ndaemons;
	for (int i = 0; i < MB_MAX_DAEMONS; i++) {
		d->collision_base[i] = carried[i].collisions;
		d->m.daemons[i] = carried[i];
		if (i < next->ndaemons)
			snprintf(d->m.daemon_names[i], MB_NAME_LEN, "%s", next->daemons[i].name);
	}
	err = new_detectors(d);
	if (!err)
		err = mb_probes_set_watch(&d->probes, &d->cfg);
	if (err)
		warn("applying the new configuration failed: %s", strerror(-err));
	else
		note("configuration reloaded: %d daemons watched", d->cfg.ndaemons);
	d->next_write_ns = 0;
}

void mb_daemon_stop(struct mb_daemon *d)
{
	if (!d)
		return;
	if (d->probes.rb) {
		write_textfile(d, boot_ns());
		mb_probes_stop(&d->probes);
	}
	free_detectors(d);
	mb_fs_free(d->fs);
	mb_metrics_free(&d->m);
	mb_prom_free(&d->prom);
	mb_delta_free(&d->exec_d);
	mb_delta_free(&d->sig_d);
	mb_delta_free(&d->fs_d);
	mb_alertlog_close(&d->log);
}
