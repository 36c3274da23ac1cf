// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Rendering the exported state. Every family gets HELP and TYPE even when it
 * has no sample yet, so alert rules and dashboards can rely on the names;
 * no timestamps (node_exporter rejects them in textfiles) and no pids in
 * labels (unbounded cardinality).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "metrics.h"
#include "names.h"

int mb_metrics_init(struct mb_metrics *m, const struct mb_config *cfg)
{
	struct mb_topn *t[] = { &m->exec_failures,  &m->headroom_ppm,  &m->reloads,
				&m->fs_io,	    &m->fs_corrupt,    &m->block_io,
				&m->shutdown,	    &m->fs_errors,     &m->readonly,
				&m->recorded,	    &m->block_notsupp, &m->startup_failures,
				&m->service_failing };
	int err = 0;

	memset(m, 0, sizeof(*m));
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]) && !err; i++)
		err = mb_topn_init(t[i], cfg->top_n);
	if (err) {
		mb_metrics_free(m);
		return err;
	}
	m->ndaemons = cfg->ndaemons;
	for (int d = 0; d < MB_MAX_DAEMONS; d++)
		m->daemon_up[d] = -1;
	for (int d = 0; d < cfg->ndaemons; d++)
		snprintf(m->daemon_names[d], MB_NAME_LEN, "%s", cfg->daemons[d].name);
	return 0;
}

void mb_metrics_free(struct mb_metrics *m)
{
	mb_topn_free(&m->exec_failures);
	mb_topn_free(&m->headroom_ppm);
	mb_topn_free(&m->reloads);
	mb_topn_free(&m->fs_io);
	mb_topn_free(&m->fs_corrupt);
	mb_topn_free(&m->block_io);
	mb_topn_free(&m->shutdown);
	mb_topn_free(&m->fs_errors);
	mb_topn_free(&m->readonly);
	mb_topn_free(&m->recorded);
	mb_topn_free(&m->block_notsupp);
	mb_topn_free(&m->startup_failures);
	mb_topn_free(&m->service_failing);
}

void mb_metrics_incident(struct mb_metrics *m, const char *kind)
{
	int k = mb_alert_kind_of(kind);

	if (k >= 0 && mb_alert_kinds[k].incident)
		m->incidents[k]++;
}

void mb_metrics_fs_key(char *buf, size_t len, const char *mountpoint, const char *fstype)
{
	snprintf(buf, len, "%s\x1f%s", mountpoint, fstype);
}

void mb_metrics_fs_key4(char *buf, size_t len, const char *mountpoint, const char *fstype,
			const char *extra)
{
	snprintf(buf, len, "%s\x1f%s\x1f%s", mountpoint, fstype, extra);
}

/* Samples of a (device, mountpoint\x1ffstype\x1fextra) table: label `extra` last. */
static void fs4_samples(struct mb_prom *p, const char *name, const struct mb_topn *t,
			const char *extra)
{
	for (size_t i = 0; i < mb_topn_count(t); i++) {
		const struct mb_topn_entry *e = mb_topn_at(t, i);
		char mp[MB_TOPN_KEY_LEN], fstype[MB_TOPN_KEY_LEN];
		const char *x = strrchr(e->k2, '\x1f'), *f = NULL;
		const char *labels[] = { "device", e->k1, "mountpoint",	  mp,  "fstype",
					 fstype,   extra, x ? x + 1 : "", NULL };

		for (const char *c = e->k2; x && c < x; c++)
			if (*c == '\x1f')
				f = c;
		snprintf(mp, sizeof(mp), "%.*s", (int)(f ? f - e->k2 : x ? x - e->k2 : 0), e->k2);
		snprintf(fstype, sizeof(fstype), "%.*s", (int)(f && x ? x - f - 1 : 0),
			 f ? f + 1 : "");
		mb_prom_sample(p, name, labels, (double)e->v);
	}
}

/* Samples of a (device, mountpoint\x1ffstype) table. */
static void fs_samples(struct mb_prom *p, const char *name, const struct mb_topn *t, double scale)
{
	for (size_t i = 0; i < mb_topn_count(t); i++) {
		const struct mb_topn_entry *e = mb_topn_at(t, i);
		char mp[MB_TOPN_KEY_LEN];
		const char *sep = strrchr(e->k2, '\x1f');
		const char *fstype = sep ? sep + 1 : "";
		size_t n = sep ? (size_t)(sep - e->k2) : strlen(e->k2);
		const char *labels[] = { "device", e->k1, "mountpoint", mp, "fstype", fstype, NULL };

		snprintf(mp, sizeof(mp), "%.*s", (int)n, e->k2);
		mb_prom_sample(p, name, labels, (double)e->v * scale);
	}
}

static void pair_samples(struct mb_prom *p, const char *name, const struct mb_topn *t,
			 const char *l1, const char *l2, double scale)
{
	for (size_t i = 0; i < mb_topn_count(t); i++) {
		const struct mb_topn_entry *e = mb_topn_at(t, i);
		const char *labels[] = { l1, e->k1, l2, e->k2, NULL };

		if (!l2)
			labels[2] = NULL;
		mb_prom_sample(p, name, labels, (double)e->v * scale);
	}
}

int mb_metrics_render(const struct mb_metrics *m, struct mb_prom *p, double now_unix)
{
	const char *labels[3] = { NULL, NULL, NULL };

	mb_prom_reset(p);
	mb_prom_family(p, "mailbpf_build_info", "gauge", "mailbpf version, always 1.");
	labels[0] = "version";
	labels[1] = MAILBPF_VERSION;
	mb_prom_sample(p, "mailbpf_build_info", labels, 1);

	mb_prom_family(p, "mailbpf_reload_signals_total", "counter",
		       "Reload-class signals sent to a watched daemon's master, by signal.");
	pair_samples(p, "mailbpf_reload_signals_total", &m->reloads, "daemon", "signal", 1);

	mb_prom_family(p, "mailbpf_reload_collisions_total", "counter",
		       "Reloads that arrived while an earlier reload of the same daemon was still "
		       "in its window, or that the kernel merged into a pending one.");
	labels[0] = "daemon";
	for (int d = 0; d < m->ndaemons; d++) {
		labels[1] = m->daemon_names[d];
		mb_prom_sample(p, "mailbpf_reload_collisions_total", labels,
			       (double)m->daemons[d].collisions);
	}

	mb_prom_family(p, "mailbpf_reload_last_collision_timestamp_seconds", "gauge",
		       "Unix time of the last reload collision (0: none since start).");
	for (int d = 0; d < m->ndaemons; d++) {
		labels[1] = m->daemon_names[d];
		mb_prom_sample(p, "mailbpf_reload_last_collision_timestamp_seconds", labels,
			       (double)m->daemons[d].last_collision_unix);
	}

	mb_prom_family(p, "mailbpf_exec_failures_total", "counter",
		       "Failed execve/execveat calls by errno and program (top-N, rest in other).");
	pair_samples(p, "mailbpf_exec_failures_total", &m->exec_failures, "errno", "program", 1);

	mb_prom_family(p, "mailbpf_exec_arg_headroom_ratio", "gauge",
		       "Worst share (0..1) of the exec argument+environment limit used by one "
		       "exec of the program; E2BIG at 1.");
	pair_samples(p, "mailbpf_exec_arg_headroom_ratio", &m->headroom_ppm, "program", NULL, 1e-6);

	mb_prom_family(p, "mailbpf_incidents_total", "counter",
		       "Alerts raised, by kind (one per incident, not per event).");
	for (int i = 0; i < MB_AK_MAX; i++) {
		if (!mb_alert_kinds[i].incident)
			continue;
		labels[0] = "kind";
		labels[1] = mb_alert_kinds[i].name;
		mb_prom_sample(p, "mailbpf_incidents_total", labels, (double)m->incidents[i]);
	}

	mb_prom_family(p, "mailbpf_fs_io_errors_total", "counter",
		       "XFS buffer I/O errors, per device and mount.");
	fs_samples(p, "mailbpf_fs_io_errors_total", &m->fs_io, 1);
	mb_prom_family(p, "mailbpf_fs_corruption_events_total", "counter",
		       "XFS corruption and sick-metadata reports, per device and mount.");
	fs_samples(p, "mailbpf_fs_corruption_events_total", &m->fs_corrupt, 1);
	mb_prom_family(p, "mailbpf_fs_shutdown", "gauge",
		       "1 while a forced shutdown is in force on the filesystem (until unmount).");
	fs_samples(p, "mailbpf_fs_shutdown", &m->shutdown, 1);
	mb_prom_family(p, "mailbpf_block_io_errors_total", "counter",
		       "Block requests completed with an error, per device.");
	pair_samples(p, "mailbpf_block_io_errors_total", &m->block_io, "device", NULL, 1);
	mb_prom_family(p, "mailbpf_block_unsupported_total", "counter",
		       "Block requests the device does not support (discard, write-zeroes): "
		       "not I/O errors, never alerted.");
	pair_samples(p, "mailbpf_block_unsupported_total", &m->block_notsupp, "device", NULL, 1);
	mb_prom_family(p, "mailbpf_fs_errors_total", "counter",
		       "Errors a filesystem reported itself (ext4_error), per device, mount "
		       "and source.");
	fs4_samples(p, "mailbpf_fs_errors_total", &m->fs_errors, "source");
	mb_prom_family(p, "mailbpf_fs_readonly", "gauge",
		       "1 while a filesystem that was read-write is read-only (cause: errors or "
		       "admin), until unmounted or read-write again.");
	fs4_samples(p, "mailbpf_fs_readonly", &m->readonly, "cause");
	mb_prom_family(p, "mailbpf_fs_recorded_errors", "gauge",
		       "Errors the ext4 superblock records (errors_count: all mounts since mkfs "
		       "or the last e2fsck).");
	fs_samples(p, "mailbpf_fs_recorded_errors", &m->recorded, 1);

	mb_prom_family(p, "mailbpf_service_startup_failures_total", "counter",
		       "Children of a watched master that failed as they started (exit status "
		       "or signal), per daemon and service (exact, counted in the kernel).");
	for (size_t i = 0; i < mb_topn_count(&m->startup_failures); i++) {
		const struct mb_topn_entry *e = mb_topn_at(&m->startup_failures, i);
		const char *sep = strrchr(e->k2, '\x1f');
		char svc[MB_TOPN_KEY_LEN];
		const char *l[] = { "daemon",		e->k1, "service", svc, "status",
				    sep ? sep + 1 : "", NULL };

		snprintf(svc, sizeof(svc), "%.*s",
			 (int)(sep ? (size_t)(sep - e->k2) : strlen(e->k2)), e->k2);
		mb_prom_sample(p, "mailbpf_service_startup_failures_total", l, (double)e->v);
	}
	mb_prom_family(p, "mailbpf_service_failing", "gauge",
		       "1 while the service's children keep failing at start-up (the daemon "
		       "throttles it), 0 once one lives.");
	pair_samples(p, "mailbpf_service_failing", &m->service_failing, "daemon", "service", 1);
	mb_prom_family(p, "mailbpf_daemon_up", "gauge",
		       "1 while a master of the daemon runs, 0 once it is gone; no sample for a "
		       "daemon whose master mailbpf has never seen.");
	labels[0] = "daemon";
	for (int d = 0; d < m->ndaemons; d++) {
		if (m->daemon_up[d] < 0)
			continue;
		labels[1] = m->daemon_names[d];
		mb_prom_sample(p, "mailbpf_daemon_up", labels, m->daemon_up[d]);
	}

	labels[0] = "probe";
	mb_prom_family(p, "mailbpf_events_lost_total", "counter",
		       "Records the kernel could not queue (ring buffer full), per probe.");
	for (int i = 0; i < MB_PROBE_MAX; i++) {
		labels[1] = mb_probe_name(i);
		mb_prom_sample(p, "mailbpf_events_lost_total", labels, (double)m->lost[i]);
	}
	mb_prom_family(p, "mailbpf_probe_attached", "gauge",
		       "1 when the probe is attached, 0 when this kernel lacks it or it failed.");
	for (int i = 0; i < MB_PROBE_MAX; i++) {
		labels[1] = mb_probe_name(i);
		mb_prom_sample(p, "mailbpf_probe_attached", labels, m->attached[i] ? 1 : 0);
	}
	mb_prom_family(p, "mailbpf_probe_program_attached", "gauge",
		       "1 when the program is attached, 0 when it was left out (no tracepoint, "
		       "does not load or attach on this kernel).");
	for (int i = 0; i < m->nprogs; i++) {
		const char *pl[] = { "probe", mb_probe_name(m->progs[i].probe), "program",
				     m->progs[i].name, NULL };

		if (m->progs[i].state != MB_PROG_UNUSED)
			mb_prom_sample(p, "mailbpf_probe_program_attached", pl,
				       m->progs[i].state == MB_PROG_ATTACHED);
	}
	labels[0] = "mode";
	mb_prom_family(
		p, "mailbpf_exec_probe_info", "gauge",
		"1 for the exec probe tier in use: fexit or syscall (see mailbpf check for why).");
	for (int i = MB_EXEC_PROBE_FEXIT; i < MB_EXEC_PROBE_MAX; i++) {
		labels[1] = mb_exec_probe_name(i);
		mb_prom_sample(p, "mailbpf_exec_probe_info", labels, m->exec_probe == i);
	}
	labels[0] = NULL;
	mb_prom_family(p, "mailbpf_textfile_write_errors_total", "counter",
		       "Failed attempts to write this file (the last good one stays).");
	mb_prom_sample(p, "mailbpf_textfile_write_errors_total", labels,
		       (double)m->textfile_errors);
	mb_prom_family(p, "mailbpf_alert_push_errors_total", "counter",
		       "Failed pushes to an Alertmanager (--alertmanager); each is retried.");
	mb_prom_sample(p, "mailbpf_alert_push_errors_total", labels, (double)m->push_errors);
	mb_prom_family(p, "mailbpf_last_update_timestamp_seconds", "gauge",
		       "Unix time this file was written; stale means mailbpf is not running.");
	mb_prom_sample(p, "mailbpf_last_update_timestamp_seconds", labels, now_unix);
	return p->err;
}
