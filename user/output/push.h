/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * `run --alertmanager URL` (repeatable: every Alertmanager of an HA pair
 * gets every alert, as Alertmanager's clients are meant to send). A plain
 * HTTP/1.1 client on non-blocking sockets driven by the daemon's poll():
 * http:// only, no TLS. Nothing here touches the disk, so alerts still get
 * out when the filesystem under the textfile is what failed.
 */
#ifndef MAILBPF_PUSH_H
#define MAILBPF_PUSH_H

#include <poll.h>
#include <stdint.h>
#include <sys/socket.h>
#include "push_msg.h"

#define MB_PUSH_ATTEMPT_NS (5ULL * 1000000000) /* connect + send + status line */
#define MB_PUSH_BACKOFF_MIN_MS 500
#define MB_PUSH_BACKOFF_MAX_MS 16000 /* Alertmanager back: alerts there within ~16 s */

struct mb_push_target {
	char url[MB_PATH_LEN];
	char host[256], port[8], path[MB_PATH_LEN];
	struct sockaddr_storage sa;
	socklen_t salen; /* 0: not resolved yet */
	int fd, state;
	uint64_t deadline_ns, retry_ns, resend_ns;
	uint32_t backoff_ms;
	uint64_t sending_seq, acked_seq;
	char *out;
	size_t out_len, out_off, out_cap;
	char resp[256];
	size_t resp_len;
	int failing; /* an outage was reported; say when it ends */
};

struct mb_push {
	struct mb_push_set set;
	struct mb_push_target t[MB_MAX_ALERTMANAGERS];
	int n;
	uint64_t errors; /* mailbpf_alert_push_errors_total */
	char *body;
	size_t body_cap;
};

/* Targets from the config's URLs (already validated); the set is kept. */
int mb_push_configure(struct mb_push *p, const struct mb_config *cfg);
void mb_push_free(struct mb_push *p);

/* Start due attempts; one pollfd per target in pfd[0..n); timeout shrinks. */
void mb_push_pollfds(struct mb_push *p, struct pollfd *pfd, uint64_t now_ns, int64_t wall_ms,
		     int *timeout_ms);
void mb_push_handle(struct mb_push *p, const struct pollfd *pfd, uint64_t now_ns);

#endif
