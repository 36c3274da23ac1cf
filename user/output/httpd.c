// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The /metrics server. Written here rather than taken from a library:
 * what it must do is small (one path, GET and HEAD, one request per
 * connection), and what it must never do is block the collector or grow
 * without bound. A library (libmicrohttpd is in Debian) brings threads or
 * its own event loop, a much larger parser exposed to the network, and one
 * more shared library on every mail host; this is one file driven by the
 * daemon's own poll(), with its parser fuzzed (tests/fuzz/fuzz_http.c).
 *
 * A connection goes READ (head, under MB_HTTP_READ_NS) -> WRITE (the
 * response, under MB_HTTP_WRITE_NS) -> LINGER (our side shut, unread input
 * drained for MB_HTTP_LINGER_NS so the client sees the response and not a
 * reset) -> closed. While one is open the listening socket waits in the
 * kernel's backlog.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include "httpd.h"
#include "log.h"

enum { ST_IDLE, ST_READ, ST_WRITE, ST_LINGER };

#define LINGER_MAX_BYTES (64 * 1024)

int mb_httpd_open(struct mb_httpd *h, const char *addr)
{
	struct sockaddr_storage sa;
	unsigned int salen;
	int one = 1, err;

	memset(h, 0, sizeof(*h));
	h->lfd = h->cfd = -1;
	if (mb_httpd_parse_addr(addr, &sa, &salen)) {
		warn("listen '%s': expected IPv4:PORT or [IPv6]:PORT", addr);
		return -EINVAL;
	}
	h->lfd = socket(sa.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (h->lfd < 0)
		goto fail;
	setsockopt(h->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (sa.ss_family == AF_INET6) /* [::] means IPv6 only; say 0.0.0.0 for IPv4 */
		setsockopt(h->lfd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (bind(h->lfd, (struct sockaddr *)&sa, salen) || listen(h->lfd, 8))
		goto fail;
	h->open = 1;
	return 0;
fail:
	err = -errno;
	warn("cannot listen on %s: %s%s", addr, strerror(errno), mb_no_network_hint(errno));
	if (h->lfd >= 0)
		close(h->lfd);
	h->lfd = -1;
	return err;
}

int mb_httpd_publish(struct mb_httpd *h, const char *buf, size_t len)
{
	if (len > h->body_cap) {
		char *nb = realloc(h->body, len);

		if (!nb)
			return -ENOMEM; /* the previous exposition stays served */
		h->body = nb;
		h->body_cap = len;
	}
	memcpy(h->body, buf, len);
	h->body_len = len;
	return 0;
}

static void drop(struct mb_httpd *h)
{
	if (h->cfd >= 0)
		close(h->cfd);
	h->cfd = -1;
	h->state = ST_IDLE;
	h->req_len = 0;
}

static int reserve_out(struct mb_httpd *h, size_t n)
{
	char *nb;

	if (n <= h->out_cap)
		return 0;
	nb = realloc(h->out, n);
	if (!nb)
		return -ENOMEM;
	h->out = nb;
	h->out_cap = n;
	return 0;
}

/* The status line, headers and (not for HEAD) the body, ready to send. */
static void respond(struct mb_httpd *h, int status, int method, uint64_t now)
{
	char head[512], date[64], err_body[64];
	const char *body = err_body, *type = "text/plain; charset=utf-8";
	size_t blen;
	time_t t = time(NULL);
	struct tm tm;
	int n;

	if (status == 200 && !h->body) /* not rendered yet: never serve a partial view */
		status = 503;
	if (status == 200) {
		body = h->body;
		blen = h->body_len;
		type = "text/plain; version=0.0.4; charset=utf-8";
		h->requests++;
	} else {
		blen = (size_t)snprintf(err_body, sizeof(err_body), "%s\n", mb_http_reason(status));
		h->refused++;
	}
	gmtime_r(&t, &tm);
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S GMT", &tm);
	n = snprintf(head, sizeof(head),
		     "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
		     "Date: %s\r\n%sConnection: close\r\n\r\n",
		     status, mb_http_reason(status), type, blen, date,
		     status == 405 ? "Allow: GET, HEAD\r\n" : "");
	if (method == MB_HTTP_HEAD)
		blen = 0;
	if (reserve_out(h, (size_t)n + blen)) {
		drop(h);
		return;
	}
	memcpy(h->out, head, (size_t)n);
	memcpy(h->out + n, body, blen);
	h->out_len = (size_t)n + blen;
	h->out_off = 0;
	h->state = ST_WRITE;
	h->deadline_ns = now + MB_HTTP_WRITE_NS;
}

static void linger(struct mb_httpd *h, uint64_t now)
{
	shutdown(h->cfd, SHUT_WR);
	h->state = ST_LINGER;
	h->deadline_ns = now + MB_HTTP_LINGER_NS;
	h->req_len = 0;
}

void mb_httpd_pollfd(struct mb_httpd *h, struct pollfd *pfd, uint64_t now_ns, int *timeout_ms)
{
	pfd->revents = 0;
	if (h->state == ST_IDLE) {
		pfd->fd = h->lfd;
		pfd->events = POLLIN;
		return;
	}
	pfd->fd = h->cfd;
	pfd->events = h->state == ST_WRITE ? POLLOUT : POLLIN;
	if (h->deadline_ns > now_ns) {
		uint64_t ms = (h->deadline_ns - now_ns + 999999) / 1000000;

		if ((int64_t)ms < *timeout_ms)
			*timeout_ms = (int)ms;
	} else {
		*timeout_ms = 0;
	}
}

static void on_read(struct mb_httpd *h, uint64_t now)
{
	struct mb_http_req r;
	ssize_t n = recv(h->cfd, h->req + h->req_len, sizeof(h->req) - h->req_len, 0);

	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
		h->refused++;
		drop(h); /* gone before asking */
		return;
	}
	if (n < 0)
		return;
	h->req_len += (size_t)n;
	if (!mb_http_parse(h->req, h->req_len, &r))
		return;
	respond(h, r.status, r.method, now);
}

static void on_write(struct mb_httpd *h, uint64_t now)
{
	ssize_t n = send(h->cfd, h->out + h->out_off, h->out_len - h->out_off, MSG_NOSIGNAL);

	if (n < 0) {
		if (errno != EAGAIN && errno != EINTR)
			drop(h);
		return;
	}
	h->out_off += (size_t)n;
	if (h->out_off == h->out_len)
		linger(h, now);
}

static void on_linger(struct mb_httpd *h)
{
	char sink[4096];
	ssize_t n = recv(h->cfd, sink, sizeof(sink), 0);

	if (n > 0) {
		h->req_len += (size_t)n;
		if (h->req_len < LINGER_MAX_BYTES)
			return;
	} else if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
		return;
	}
	drop(h);
}

void mb_httpd_handle(struct mb_httpd *h, short revents, uint64_t now_ns)
{
	if (!h->open)
		return;
	if (h->state == ST_IDLE) {
		if (!(revents & POLLIN))
			return;
		h->cfd = accept4(h->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (h->cfd < 0)
			return; /* EAGAIN, or a connection reset while queued */
		h->state = ST_READ;
		h->req_len = 0;
		h->deadline_ns = now_ns + MB_HTTP_READ_NS;
		revents = POLLIN; /* the request often arrives with the connection */
	}
	if (revents & (POLLIN | POLLOUT | POLLHUP | POLLERR)) {
		if (h->state == ST_READ)
			on_read(h, now_ns);
		else if (h->state == ST_WRITE)
			on_write(h, now_ns);
		else if (h->state == ST_LINGER)
			on_linger(h);
	}
	if (h->state != ST_IDLE && now_ns >= h->deadline_ns) {
		if (h->state != ST_LINGER)
			h->refused++;
		drop(h); /* slow client: its time is up */
	}
}

void mb_httpd_close(struct mb_httpd *h)
{
	if (!h->open)
		return;
	h->open = 0;
	drop(h);
	if (h->lfd >= 0)
		close(h->lfd);
	h->lfd = -1;
	free(h->body);
	free(h->out);
	h->body = h->out = NULL;
	h->body_len = h->body_cap = h->out_cap = 0;
}
