/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * `run --listen ADDR:PORT`: /metrics served from memory, so a scrape
 * works when the filesystem holding the textfile does not. One connection
 * at a time, every socket non-blocking, every phase under a deadline: the
 * daemon's poll loop drives it and never waits on a client.
 */
#ifndef MAILBPF_HTTPD_H
#define MAILBPF_HTTPD_H

#include <poll.h>
#include <stddef.h>
#include <stdint.h>
#include "http_req.h"
#include "netaddr.h"

#define MB_HTTP_READ_NS (5ULL * 1000000000) /* whole request head */
#define MB_HTTP_WRITE_NS (10ULL * 1000000000) /* whole response */
#define MB_HTTP_LINGER_NS (1ULL * 1000000000) /* drain after an error */

struct mb_httpd {
	int open; /* mb_httpd_open succeeded: a zeroed struct is closed */
	int lfd, cfd; /* -1 when closed */
	int state; /* enum in httpd.c */
	uint64_t deadline_ns;
	char req[MB_HTTP_HEAD_MAX];
	size_t req_len;
	char *body; /* the last published exposition */
	size_t body_len, body_cap;
	char *out; /* the response being sent */
	size_t out_len, out_off, out_cap;
	uint64_t requests, refused; /* answered 200 / anything else or dropped */
};

/* Listen on addr. 0 or negative errno (warned, naming addr). */
int mb_httpd_open(struct mb_httpd *h, const char *addr);

/* Serve buf from now on (copied; the caller may reuse it). */
int mb_httpd_publish(struct mb_httpd *h, const char *buf, size_t len);

/* The descriptor to poll and its events; *timeout_ms shrinks to the next deadline. */
void mb_httpd_pollfd(struct mb_httpd *h, struct pollfd *pfd, uint64_t now_ns, int *timeout_ms);

/* After poll(): progress with whatever is ready, enforce deadlines. */
void mb_httpd_handle(struct mb_httpd *h, short revents, uint64_t now_ns);

void mb_httpd_close(struct mb_httpd *h);

#endif
