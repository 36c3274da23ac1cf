/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The collector behind `mailbpf run`: probes -> detectors -> outputs. */
#ifndef MAILBPF_DAEMON_H
#define MAILBPF_DAEMON_H

#include "alertlog.h"
#include "config.h"
#include "delta.h"
#include "alert.h"
#include "mounts.h"
#include "detect_chain.h"
#include "detect_exec.h"
#include "detect_fs.h"
#include "detect_master.h"
#include "detect_reload.h"
#include "detect_startup.h"
#include "httpd.h"
#include "metrics.h"
#include "probes.h"
#include "push.h"

#define MB_DEFAULT_CONFIG "/etc/mailbpf/mailbpf.conf"

struct mb_daemon {
	struct mb_config cfg; /* filled by the caller before start */
	struct mb_alertlog log; /* opened by the caller before start */
	uint32_t ringbuf_bytes; /* set by the caller before start */
	struct mb_probes probes;
	struct mb_reload_det *reload;
	struct mb_exec_det *exec;
	struct mb_chain_det *chain;
	struct mb_fs_det *fs;
	struct mb_startup_det *startup;
	struct mb_master_det *master;
	struct mb_metrics m;
	struct mb_prom prom;
	struct mb_mounts mounts;
	struct mb_delta exec_d, sig_d, fs_d, exit_d;
	uint64_t next_scan_ns; /* /proc scan for masters and their children */
	uint64_t collision_base[MB_MAX_DAEMONS]; /* carried over config reloads */
	/* Per reload_slots[] slot: the kernel's folded count already fed to the detector. */
	uint32_t fold_seen[MB_RELOAD_SLOTS];
	uint64_t named_sum[MB_ERRNO_MAX]; /* this read: counts of keyed programs */
	uint64_t other_done[MB_ERRNO_MAX]; /* unkeyed failures exported as "other" */
	int64_t boot_to_wall_ns;
	char boot_id[64];
	char state_file[MB_PATH_LEN + 16];
	uint64_t next_write_ns, last_write_ns;
	int alert_pending, state_dirty, busy, write_failing;
	struct mb_httpd httpd; /* --listen; httpd.lfd < 0 when off */
	struct mb_push push; /* --alertmanager; push.n == 0 when off */
};

int mb_daemon_start(struct mb_daemon *d);

/* collect.c: everything the textfile needs, read now. */
void mb_daemon_collect(struct mb_daemon *d, uint64_t now);
/* collect.c: re-read the mount table (and probe what the fs detector asks). */
void mb_daemon_mounts(struct mb_daemon *d, uint64_t now);
/* Feed collisions the kernel folded for master tgid (its running total). */
void mb_daemon_fold(struct mb_daemon *d, uint32_t slot, uint32_t watched, uint32_t folded,
		    uint64_t now);
/* Scan /proc for masters and their children now (collect.c). */
void mb_daemon_scan(struct mb_daemon *d, uint64_t now);
/* One poll (bounded wait) plus whatever is due. Negative errno on failure. */
int mb_daemon_step(struct mb_daemon *d);
void mb_daemon_reconfigure(struct mb_daemon *d, const struct mb_config *next);
void mb_daemon_stop(struct mb_daemon *d);

/* daemon_net.c: --listen and --alertmanager. */
int64_t mb_wall_ms(void); /* CLOCK_REALTIME in ms: Alertmanager's clock */
int mb_daemon_start_net(struct mb_daemon *d); /* before any probe; 0 or -errno */
/* One poll() of the ring buffer and the sockets; then each progresses. */
int mb_daemon_poll_net(struct mb_daemon *d, uint64_t now, int timeout_ms);
void mb_daemon_publish(struct mb_daemon *d); /* the rendered text to /metrics */
/* err < 0: the textfile cannot be written (pushed critical); 0: works again. */
void mb_daemon_textfile_alert(struct mb_daemon *d, int err, uint64_t now);

#endif
