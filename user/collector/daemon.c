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

static void on_alert(void *ctx, const struct mb_alert *a)
{
	struct mb_daemon *d = ctx;
	double wall = (double)(int64_t)(a->ts_ns + (uint64_t)d->boot_to_wall_ns) / 1e9;
	int k;

	if (mb_alertlog_write(&d->log, a, wall))
		warn("alert log: %s", d->log.errmsg);
	/* Resolutions (info) are logged but are not incidents. */
	if (a->severity >= MB_SEV_WARNING)
		mb_metrics_incident(&d->m, a->kind);
	k = mb_alert_kind_of(a->kind);
	if (k >= 0 && mb_alert_kinds[k].fs_state)
		d->state_dirty = 1;
	d->alert_pending = 1;
	if (d->push.n)
		mb_push_feed(&d->push.set, a, mb_wall_ms());
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
			mb_daemon_fold(d, ev.sig.target_tgid, ev.sig.watched, ev.sig.folded_total,
				       ev.sig.hdr.ts_ns);
		idx = mb_reload_feed(d->reload, &ev.sig);
		if (idx > 0) {
			mb_chain_feed_reload(d->chain, idx - 1, &ev.sig);
			mb_master_feed_reload(d->master, idx - 1, &ev.sig);
		}
		break;
	case MB_EV_EXEC_FAIL:
		mb_exec_feed(d->exec, &ev.exec);
		mb_chain_feed_exec(d->chain, &ev.exec);
		mb_startup_feed_exec(d->startup, &ev.exec);
		break;
	case MB_EV_PROC_EXIT:
		/* The startup detector hands a loop to the chain when one is open. */
		mb_startup_feed_exit(d->startup, &ev.exit);
		mb_master_feed_exit(d->master, &ev.exit);
		if (ev.exit.kind == MB_EXIT_MASTER)
			d->next_scan_ns = 0; /* a new master may be up already */
		break;
	case MB_EV_EXEC_NEAR:
		mb_exec_feed(d->exec, &ev.exec);
		break;
	default:
		if (!mb_mounts_find(&d->mounts, ev.fs.dev))
			mb_mounts_read(&d->mounts, "/proc/self/mountinfo");
		mb_fs_feed(d->fs, &ev.fs, &d->mounts);
		/* A filesystem error may have just made it read-only: look now. */
		if (ev.hdr.type != MB_EV_BLOCK_ERROR) {
			mb_daemon_mounts(d, mb_boot_ns());
			mb_fs_refresh(d->fs, &d->mounts, mb_boot_ns());
		}
	}
	d->busy = 1;
	return 0;
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

	mb_daemon_collect(d, now);
	d->m.push_errors = d->push.errors;
	clock_gettime(CLOCK_REALTIME, &wall);
	err = mb_metrics_render(&d->m, &d->prom, wall.tv_sec + wall.tv_nsec / 1e9);
	if (!err)
		err = mb_textfile_write(d->cfg.textfile, d->prom.buf, d->prom.len);
	if (err) {
		/* Keep monitoring; the last good file stays; say it once per outage. */
		d->m.textfile_errors++;
		if (!d->write_failing) {
			warn("cannot write %s: %s (will retry)", d->cfg.textfile, strerror(-err));
			mb_daemon_textfile_alert(d, err, now);
		}
		d->write_failing = 1;
		/* /metrics has the failure counted at once, not one interval later. */
		mb_metrics_render(&d->m, &d->prom, wall.tv_sec + wall.tv_nsec / 1e9);
	} else if (d->write_failing) {
		note("writing %s works again", d->cfg.textfile);
		mb_daemon_textfile_alert(d, 0, now);
		d->write_failing = 0;
	}
	mb_daemon_publish(d);
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
	d->startup = mb_startup_new(&d->cfg, sink, d->chain);
	d->master = mb_master_new(&d->cfg, sink);
	/*
	 * A failed exec in a master's child is followed by its exit within ms
	 * (Dovecot) or a second (Postfix's msg_fatal sleeps 1 s): the chain's
	 * one alert waits that long for it, when the exit probe runs.
	 */
	if (d->probes.attached[MB_PROBE_PROC])
		mb_chain_set_hold(d->chain, 1500 * NS_PER_MS);
	return d->reload && d->exec && d->chain && d->startup && d->master ? 0 : -ENOMEM;
}

static void free_detectors(struct mb_daemon *d)
{
	mb_reload_free(d->reload);
	mb_exec_free(d->exec);
	mb_chain_free(d->chain);
	mb_startup_free(d->startup);
	mb_master_free(d->master);
	d->reload = NULL;
	d->exec = NULL;
	d->chain = NULL;
	d->startup = NULL;
	d->master = NULL;
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
		/* One record per (daemon, service, status) a second; counts stay exact. */
		.exit_emit_gap_ns = NS_PER_SEC,
		.near_permille = d->cfg.near_miss_pct * 10,
		.exec_probe = d->cfg.exec_probe,
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
		err = mb_delta_init(&d->exit_d);
	if (!err)
		err = new_detectors(d);
	d->fs = mb_fs_new(sink);
	if (err || !d->fs) {
		warn("out of memory");
		return -ENOMEM;
	}
	mb_mounts_read(&d->mounts, "/proc/self/mountinfo");
	load_state(d);
	err = mb_daemon_start_net(d);
	if (err)
		return err;
	err = mb_probes_start(&d->probes, &po);
	if (err) {
		warn("cannot load the BPF probes: %s", strerror(-err));
		return err;
	}
	if (d->probes.attached[MB_PROBE_PROC])
		mb_chain_set_hold(d->chain, 1500 * NS_PER_MS);
	mb_daemon_scan(d, mb_boot_ns());
	write_textfile(d, mb_boot_ns());
	return 0;
}

int mb_daemon_step(struct mb_daemon *d)
{
	uint64_t now = mb_boot_ns();
	int timeout, err;

	timeout = d->busy ? DRAIN_POLL_MS : IDLE_POLL_MS;
	d->busy = 0;
	if (d->httpd.open || d->push.n)
		err = mb_daemon_poll_net(d, now, timeout);
	else
		err = mb_probes_poll(&d->probes, timeout);
	if (err < 0)
		return err;
	now = mb_boot_ns();
	mb_chain_tick(d->chain, now);
	mb_startup_tick(d->startup, now);
	if (now >= d->next_scan_ns)
		mb_daemon_scan(d, now);
	if (now >= d->next_write_ns ||
	    (d->alert_pending && now - d->last_write_ns >= ALERT_WRITE_GAP_NS))
		write_textfile(d, now);
	return 0;
}

void mb_daemon_reconfigure(struct mb_daemon *d, const struct mb_config *next)
{
	struct mb_daemon_metrics carried[MB_MAX_DAEMONS] = {};
	char listen[MB_LISTEN_LEN];
	int err;

	/* Collision metrics follow the daemon's name across a reload. */
	for (int j = 0; j < next->ndaemons; j++)
		for (int i = 0; i < d->cfg.ndaemons; i++)
			if (!strcmp(next->daemons[j].name, d->cfg.daemons[i].name))
				carried[j] = d->m.daemons[i];
	if (next->exec_probe != d->cfg.exec_probe)
		warn("exec_probe %s takes effect at the next start; %s stays in use",
		     mb_exec_probe_name(next->exec_probe),
		     mb_exec_probe_name(d->probes.exec_probe));
	if (strcmp(next->listen, d->cfg.listen))
		warn("listen %s takes effect at the next start; %s stays in use",
		     next->listen[0] ? next->listen : "(off)",
		     d->cfg.listen[0] ? d->cfg.listen : "(off)");
	free_detectors(d);
	snprintf(listen, sizeof(listen), "%s", d->cfg.listen);
	d->cfg = *next;
	snprintf(d->cfg.listen, sizeof(d->cfg.listen), "%s", listen);
	if (mb_push_configure(&d->push, &d->cfg))
		warn("alertmanager_url: cannot use the new URLs");
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
	d->next_scan_ns = 0;
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
		write_textfile(d, mb_boot_ns());
		mb_probes_stop(&d->probes);
	}
	free_detectors(d);
	mb_fs_free(d->fs);
	mb_metrics_free(&d->m);
	mb_prom_free(&d->prom);
	mb_delta_free(&d->exec_d);
	mb_delta_free(&d->sig_d);
	mb_delta_free(&d->fs_d);
	mb_delta_free(&d->exit_d);
	mb_alertlog_close(&d->log);
	mb_httpd_close(&d->httpd);
	mb_push_free(&d->push);
}
