/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * What `run --alertmanager URL` pushes: the set of alerts in force, as
 * Alertmanager's v2 API takes them (POST /api/v2/alerts, a JSON array).
 * Pure: the detectors' alerts and a wall clock go in, JSON comes out; the
 * sockets are in push.c.
 *
 * Each push carries the whole set, so a resend (every MB_PUSH_RESEND_MS,
 * Prometheus's convention) re-creates whatever an Alertmanager restart
 * lost. An event-like alert (an E2BIG, a collision) stays in force for
 * MB_PUSH_EVENT_MS, the window of the matching Prometheus rule, then is
 * sent once more with endsAt; a state (a shut-down filesystem, the
 * textfile failing) stays until its detector reports it cleared.
 */
#ifndef MAILBPF_PUSH_MSG_H
#define MAILBPF_PUSH_MSG_H

#include <stddef.h>
#include <stdint.h>
#include "config.h"
#include "netaddr.h"
#include "alert.h"

#define MB_PUSH_MAX 64 /* alerts in the set; the oldest goes first */
#define MB_PUSH_EVENT_MS (15 * 60 * 1000LL)
#define MB_PUSH_RESEND_MS (60 * 1000LL)

struct mb_push_alert {
	char alertname[48];
	const char *severity; /* static */
	char daemon[MB_NAME_LEN];
	char device[MB_NAME_LEN];
	char mountpoint[MB_PATH_LEN]; /* identity only: not a label */
	char service[MB_NAME_LEN]; /* a daemon's service (imap-login, smtpd) */
	char summary[512];
	char description[1024];
	int64_t starts_ms, ends_ms; /* wall clock; ends 0 while in force */
	int64_t expires_ms; /* an event's end; 0 for a state */
	uint64_t seq; /* the set's seq when this entry last changed */
	uint32_t acked; /* targets that took it since it ended */
};

struct mb_push_set {
	struct mb_push_alert a[MB_PUSH_MAX];
	int n;
	uint64_t seq; /* bumped on every change: a push is due */
	uint64_t evicted; /* alerts pushed out of a full set */
	char instance[256]; /* the host name */
};

void mb_push_set_init(struct mb_push_set *s, const char *instance);

/* "MailbpfFilesystemShutdown" for "fs_shutdown"; NULL for a kind not pushed. */
const char *mb_push_alertname(const char *kind);

/*
 * Take a detector's alert at wall time now_ms (ms since the epoch). Warning
 * and critical alerts start or refresh an entry; an info alert of a state
 * kind ends the matching one. Returns 1 when the set changed.
 */
int mb_push_feed(struct mb_push_set *s, const struct mb_alert *a, int64_t now_ms);

/* End events whose time is up. Returns 1 when the set changed. */
int mb_push_tick(struct mb_push_set *s, int64_t now_ms);

/*
 * Target bit (0..MB_MAX_ALERTMANAGERS-1) of ntargets accepted the body built
 * at seq: ended entries it covered are marked, and dropped once every
 * target has them.
 */
void mb_push_acked(struct mb_push_set *s, int bit, int ntargets, uint64_t seq);

/*
 * The set as Alertmanager's JSON array into a growing buffer (*buf, *cap;
 * realloc'ed, kept by the caller). Returns the length, or -ENOMEM.
 */
long mb_push_body(const struct mb_push_set *s, char **buf, size_t *cap);

#endif
