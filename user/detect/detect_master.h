/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Master gone: a watched daemon's master process that exits. Exim handles
 * SIGHUP by re-executing itself; when that exec fails it logs "exec of ...
 * failed" and exits (src/src/daemon.c, log_write(... LOG_PANIC_DIE)): the
 * MTA is gone, quietly, until someone notices the queue. A crashed
 * Dovecot or Postfix master takes every service with it.
 *
 * The masters mailbpf knows come from the collector's /proc scan (a
 * process of the daemon's comm and exe whose parent is not of that daemon)
 * and from reload targets. An exit record of a known master, or a known
 * master gone from the scan, is a critical daemon_exited alert; a new
 * master of that daemon resolves it.
 */
#ifndef MAILBPF_DETECT_MASTER_H
#define MAILBPF_DETECT_MASTER_H

#include <stdint.h>
#include "alert.h"

#define MB_MASTERS_PER_DAEMON 4 /* instances of one daemon tracked */
#define MB_MASTER_RELOADS 4 /* recent reloads named in the alert */
/* `exim4 -bd` and `dovecot` fork the daemon and exit: that parent is no master. */
#define MB_MASTER_MIN_AGE_NS (2 * NS_PER_SEC)

struct mb_master_det;

/* The config is copied. NULL with errno set on failure. */
struct mb_master_det *mb_master_new(const struct mb_config *cfg, struct mb_alert_sink sink);
void mb_master_free(struct mb_master_det *d);

/* A reload of daemon idx (0-based): its target is a master, its sender may be named. */
void mb_master_feed_reload(struct mb_master_det *d, int idx, const struct mb_signal_event *e);

/* An exit record; only MB_EXIT_MASTER ones of a known master count. */
void mb_master_feed_exit(struct mb_master_det *d, const struct mb_exit_event *e);

/* A /proc scan: begin, one add per master found, end (vanished and new masters). */
void mb_master_scan_begin(struct mb_master_det *d);
/* age_ns since its fork: a master younger than MB_MASTER_MIN_AGE_NS is not known yet. */
void mb_master_scan_add(struct mb_master_det *d, int idx, uint32_t tgid, uint64_t age_ns);
void mb_master_scan_end(struct mb_master_det *d, uint64_t now);

/* 1 when a master of daemon idx is known alive, 0 when it was and is gone, -1 never seen. */
int mb_master_up(const struct mb_master_det *d, int idx);

/* 1 while a daemon_exited alert of daemon idx is open. */
int mb_master_down(const struct mb_master_det *d, int idx);

#endif
