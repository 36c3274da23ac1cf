/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The daemon's exported state: monotonic counters fed from the kernel's
 * count maps (as increments), the detectors' verdicts, and the rendering of
 * it all as a node_exporter textfile. Pure: tests feed it directly.
 */
#ifndef MAILBPF_METRICS_H
#define MAILBPF_METRICS_H

#include <stdint.h>
#include "../bpf/mailbpf.h"
#include "config.h"
#include "alert.h"
#include "progs.h"
#include "prom.h"
#include "topn.h"

struct mb_daemon_metrics {
	uint64_t collisions;
	uint64_t last_collision_unix; /* seconds, 0 if never */
};

struct mb_metrics {
	struct mb_topn exec_failures; /* (errno, program) */
	struct mb_topn headroom_ppm; /* (program): worst share of the limit, parts per million */
	struct mb_topn reloads; /* (daemon, signal) */
	struct mb_topn fs_io; /* (device, mountpoint "\x1f" fstype) */
	struct mb_topn fs_corrupt; /* same keys */
	struct mb_topn block_io; /* (device) */
	struct mb_topn shutdown; /* (device, mountpoint "\x1f" fstype): 1 while flagged */
	struct mb_topn fs_errors; /* (device, mountpoint "\x1f" fstype "\x1f" source) */
	struct mb_topn
		readonly; /* (device, mountpoint "\x1f" fstype "\x1f" cause): 1 while flagged */
	struct mb_topn recorded; /* (device, mountpoint "\x1f" fstype): ext4 superblock errors */
	struct mb_topn block_notsupp; /* (device): unsupported discard/write-zeroes, not errors */
	int nprogs; /* the fs family's programs, for mailbpf_probe_program_attached */
	struct mb_prog_status progs[MB_MAX_PROGS];
	struct mb_topn startup_failures; /* (daemon, service "\x1f" status) */
	struct mb_topn service_failing; /* (daemon, service): 1 while its start-up loop is on */
	int daemon_up[MB_MAX_DAEMONS]; /* 1, 0, or -1: no master ever seen, no sample */
	struct mb_daemon_metrics daemons[MB_MAX_DAEMONS];
	char daemon_names[MB_MAX_DAEMONS][MB_NAME_LEN];
	int ndaemons;
	uint64_t incidents[MB_AK_MAX]; /* by enum mb_alert_kind, those with .incident */
	uint64_t lost[MB_PROBE_MAX];
	int attached[MB_PROBE_MAX];
	int exec_probe; /* enum mb_exec_probe in use; -1: the exec family is not loaded */
	uint64_t textfile_errors;
	uint64_t push_errors; /* failed Alertmanager pushes (push.c) */
};

int mb_metrics_init(struct mb_metrics *m, const struct mb_config *cfg);
void mb_metrics_free(struct mb_metrics *m);

/* Count an alert against mailbpf_incidents_total{kind}; ignores unknown kinds. */
void mb_metrics_incident(struct mb_metrics *m, const char *kind);

/* The fs tables' second key: mountpoint, 0x1f, fstype. Split on the last
 * 0x1f when rendering: fs type names never contain one. */
void mb_metrics_fs_key(char *buf, size_t len, const char *mountpoint, const char *fstype);
/* The same with a fourth label after another 0x1f (source, cause): no 0x1f in those either. */
void mb_metrics_fs_key4(char *buf, size_t len, const char *mountpoint, const char *fstype,
			const char *extra);

/* Render everything; now_unix is the mailbpf_last_update_timestamp_seconds value. */
int mb_metrics_render(const struct mb_metrics *m, struct mb_prom *p, double now_unix);

#endif
