/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Reload -> exec failure chain: the shape of the Dovecot outage. Two
 * reloads collided, the master's next exec of imap-login failed with E2BIG,
 * and the master throttled restarts of the service for 75 minutes. Each
 * alone is a warning; a reload followed by exec failures in the reloaded
 * daemon's own process tree is an incident, reported once when it opens and
 * once when it resolves.
 */
#ifndef MAILBPF_DETECT_CHAIN_H
#define MAILBPF_DETECT_CHAIN_H

#include <stdint.h>
#include "alert.h"

#define MB_CHAIN_RELOADS 16 /* recent reloads remembered per daemon */
#define MB_CHAIN_SENDERS 4 /* distinct reload senders named in the alert */
#define MB_CHAIN_SEEN 8 /* distinct errnos and programs kept per incident */

struct mb_chain_stats {
	uint64_t incidents; /* incidents opened */
	int active; /* 1 while one is open */
	uint64_t count; /* failures in the open (or last) incident */
	uint64_t first_ns, last_ns; /* its first and latest failure */
	/* The start-up failure loop that followed (0 when none did). */
	uint64_t loop_count; /* children of the master that failed to start */
	uint64_t loop_first_ns, loop_last_ns;
};

/* A start-up failure of a master's child, as detect_startup.c describes it. */
struct mb_chain_loop {
	const char *service; /* "imap-login" */
	const char *status; /* "exit 84" */
	const char *meaning; /* "exec() failed (FATAL_EXEC)" */
	const char *action; /* "Dovecot throttles the service: next start in 4 s", or "" */
	int64_t throttle_s;
	uint64_t count; /* failures this record stands for */
	int err; /* errno of that child's failed exec, 0 if none seen */
};

struct mb_chain_det;

/* NULL with errno set on failure. The config is copied. */
struct mb_chain_det *mb_chain_new(const struct mb_config *cfg, struct mb_alert_sink sink);
void mb_chain_free(struct mb_chain_det *c);

/* A reload, as accepted by mb_reload_feed(); daemon_idx is 0-based. */
void mb_chain_feed_reload(struct mb_chain_det *c, int daemon_idx, const struct mb_signal_event *e);

/*
 * An exec record. Only failures count, and not ENOENT: a PATH search is
 * not a symptom. A failure by the reloaded master, its child, or any
 * recorded ancestor's descendant within chain_window_ms of the reload
 * opens an incident; later ones in that tree extend it.
 */
void mb_chain_feed_exec(struct mb_chain_det *c, const struct mb_exec_event *e);

/*
 * Hold an incident's opening alert for up to hold_ns when a child of the
 * master that never exec'd is the failing task, until that child's exit
 * arrives (mb_chain_feed_exit), so the one alert also names its exit
 * status and what the daemon does about it. 0 (the default): no hold.
 */
void mb_chain_set_hold(struct mb_chain_det *c, uint64_t hold_ns);

/*
 * A child of daemon idx's master failed at start-up. Returns 1 when an
 * open incident of that master takes it (the loop is part of the chain:
 * no alert of its own), 0 otherwise.
 */
int mb_chain_feed_exit(struct mb_chain_det *c, int idx, const struct mb_exit_event *e,
		       const struct mb_chain_loop *l);

/* A child of daemon idx's master (tgid) now lives: its incident with a loop resolves. */
void mb_chain_feed_alive(struct mb_chain_det *c, int idx, uint32_t tgid, uint64_t now);

/* Close incidents with no failure for chain_window_ms. */
void mb_chain_tick(struct mb_chain_det *c, uint64_t now_ns);

/* Per daemon, idx 0-based; NULL when idx is out of range. */
const struct mb_chain_stats *mb_chain_stats(const struct mb_chain_det *c, int idx);

#endif
