/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Reload collision detector. A "reload" is a reload-class signal (the
 * daemon's sigmask) sent to a watched daemon's master process. Two reloads
 * of the same master inside the daemon's window_ms, or one the kernel merged
 * into a signal already pending, mean one of the requested reloads did not
 * happen the way its sender believed: the Dovecot outage began with cron
 * and DirectAdmin sending SIGHUP 40 ms apart.
 */
#ifndef MAILBPF_DETECT_RELOAD_H
#define MAILBPF_DETECT_RELOAD_H

#include <stdint.h>
#include "alert.h"

/* Masters tracked per daemon (several instances of one daemon can run). */
#define MB_RELOAD_TARGETS 8
/* Upper bound on storm_count, so the per-daemon history stays bounded. */
#define MB_RELOAD_STORM_MAX 1024

struct mb_reload_stats {
	uint64_t reloads; /* reloads seen */
	uint64_t collisions; /* including merged ones and those folded into one alert */
	uint64_t merged; /* result == MB_SIG_ALREADY_PENDING */
	uint64_t storms; /* storm alerts */
	uint64_t last_collision_ns; /* 0 if none */
};

struct mb_reload_det;

/*
 * The config is copied: the caller may reload its own. Returns NULL with
 * errno set on allocation failure or NULL cfg (EINVAL).
 */
struct mb_reload_det *mb_reload_new(const struct mb_config *cfg, struct mb_alert_sink sink);
void mb_reload_free(struct mb_reload_det *d);

/*
 * Feed one signal event. Returns the daemon index+1 when it is a reload of
 * a watched daemon (e->watched set by the kernel and e->sig in that
 * daemon's sigmask), else 0; the chain detector takes the index from here.
 */
int mb_reload_feed(struct mb_reload_det *d, const struct mb_signal_event *e);

/* Per daemon, idx 0-based; NULL when idx is out of range. */
/*
 * n collisions of daemon idx the kernel counted without sending records (a
 * storm): counted and fed to storm detection, no collision alert of their own.
 */
void mb_reload_fold(struct mb_reload_det *d, int idx, uint64_t n, uint64_t now);

const struct mb_reload_stats *mb_reload_stats(const struct mb_reload_det *d, int idx);

/* The latest reload of daemon idx (any of its masters), NULL if none yet. */
const struct mb_signal_event *mb_reload_last(const struct mb_reload_det *d, int idx);

#endif
