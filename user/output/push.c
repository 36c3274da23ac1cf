// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The Alertmanager client. Per target: IDLE -> CONNECT -> SEND -> RECV (the
 * status line) -> IDLE, the whole attempt under MB_PUSH_ATTEMPT_NS. A push
 * is due when the alert set changed since the target last took it, or
 * MB_PUSH_RESEND_MS after its last success while anything is in the set.
 * A failure is counted and retried with doubling backoff; the set itself
 * is bounded (push_msg.h), so an unreachable Alertmanager costs a socket
 * per backoff period and no memory.
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include "httpd.h"
#include "log.h"
#include "push.h"

enum { ST_IDLE, ST_CONNECT, ST_SEND, ST_RECV };

#define NS_PER_MS_ 1000000ULL

/*
 * Names are resolved here, in the loop, with the libc resolver: it can
 * wait on DNS. Once resolved an address is kept until connecting to it
 * fails; give an address in the URL to keep DNS off the alert path.
 */
static int resolve(struct mb_push_target *t)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICSERV };
	struct addrinfo *ai = NULL;
	int rc = getaddrinfo(t->host, t->port, &hints, &ai);

	if (rc || !ai) {
		if (!t->failing)
			warn("alertmanager %s: cannot resolve %s: %s (will retry)", t->url, t->host,
			     gai_strerror(rc));
		t->failing = 1;
		return -EHOSTUNREACH;
	}
	memcpy(&t->sa, ai->ai_addr, ai->ai_addrlen);
	t->salen = ai->ai_addrlen;
	freeaddrinfo(ai);
	return 0;
}

int mb_push_configure(struct mb_push *p, const struct mb_config *cfg)
{
	for (int i = 0; i < p->n; i++) {
		if (p->t[i].fd >= 0)
			close(p->t[i].fd);
		free(p->t[i].out);
	}
	memset(p->t, 0, sizeof(p->t));
	p->n = 0;
	for (int i = 0; i < cfg->nalertmanagers && i < MB_MAX_ALERTMANAGERS; i++) {
		struct mb_push_target *t = &p->t[p->n];

		t->fd = -1;
		snprintf(t->url, sizeof(t->url), "%s", cfg->alertmanagers[i]);
		if (mb_push_parse_url(t->url, t->host, sizeof(t->host), t->port, sizeof(t->port),
				      t->path, sizeof(t->path)))
			return -EINVAL; /* the config parser let a bad URL through */
		p->n++;
	}
	return 0;
}

void mb_push_free(struct mb_push *p)
{
	struct mb_config none = {};

	mb_push_configure(p, &none);
	free(p->body);
	p->body = NULL;
	p->body_cap = 0;
}

static void fail(struct mb_push *p, struct mb_push_target *t, uint64_t now, const char *what)
{
	if (t->fd >= 0)
		close(t->fd);
	t->fd = -1;
	t->state = ST_IDLE;
	p->errors++;
	t->backoff_ms = t->backoff_ms ? t->backoff_ms * 2 : MB_PUSH_BACKOFF_MIN_MS;
	if (t->backoff_ms > MB_PUSH_BACKOFF_MAX_MS)
		t->backoff_ms = MB_PUSH_BACKOFF_MAX_MS;
	t->retry_ns = now + t->backoff_ms * NS_PER_MS_;
	if (!t->failing)
		warn("alertmanager %s: %s (will retry)", t->url, what);
	t->failing = 1;
	t->salen = 0; /* resolve again: the name may point elsewhere now */
}

static void fail_errno(struct mb_push *p, struct mb_push_target *t, uint64_t now, int err)
{
	char what[320];

	snprintf(what, sizeof(what), "%s%s", strerror(err), mb_no_network_hint(err));
	fail(p, t, now, what);
}

static void start(struct mb_push *p, struct mb_push_target *t, uint64_t now, long blen)
{
	char head[MB_PATH_LEN + 512];
	size_t need;
	int n;

	if (!t->salen && resolve(t)) {
		fail(p, t, now, "no address");
		return;
	}
	n = snprintf(head, sizeof(head),
		     "POST %s/api/v2/alerts HTTP/1.1\r\nHost: %s%s%s:%s\r\n"
		     "User-Agent: mailbpf/" MAILBPF_VERSION "\r\n"
		     "Content-Type: application/json\r\nContent-Length: %ld\r\n"
		     "Connection: close\r\n\r\n",
		     t->path, strchr(t->host, ':') ? "[" : "", t->host,
		     strchr(t->host, ':') ? "]" : "", t->port, blen);
	need = (size_t)n + (size_t)blen;
	if (need > t->out_cap) {
		char *nb = realloc(t->out, need);

		if (!nb) {
			fail(p, t, now, "out of memory");
			return;
		}
		t->out = nb;
		t->out_cap = need;
	}
	memcpy(t->out, head, (size_t)n);
	memcpy(t->out + n, p->body, (size_t)blen);
	t->out_len = need;
	t->out_off = 0;
	t->resp_len = 0;
	t->sending_seq = p->set.seq;
	t->deadline_ns = now + MB_PUSH_ATTEMPT_NS;
	t->fd = socket(t->sa.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (t->fd < 0) {
		fail_errno(p, t, now, errno);
		return;
	}
	if (connect(t->fd, (struct sockaddr *)&t->sa, t->salen) && errno != EINPROGRESS) {
		fail_errno(p, t, now, errno);
		return;
	}
	t->state = ST_CONNECT;
}

static void shrink(int *timeout_ms, uint64_t at, uint64_t now)
{
	uint64_t ms = at > now ? (at - now + NS_PER_MS_ - 1) / NS_PER_MS_ : 0;

	if ((int64_t)ms < *timeout_ms)
		*timeout_ms = (int)ms;
}

void mb_push_pollfds(struct mb_push *p, struct pollfd *pfd, uint64_t now_ns, int64_t wall_ms,
		     int *timeout_ms)
{
	long blen = -1;

	mb_push_tick(&p->set, wall_ms);
	for (int i = 0; i < p->n; i++) {
		struct mb_push_target *t = &p->t[i];
		int due;

		if (t->state == ST_IDLE) {
			due = t->acked_seq != p->set.seq || (p->set.n && now_ns >= t->resend_ns);
			if (due && now_ns >= t->retry_ns) {
				if (blen < 0) /* one body for every target this round */
					blen = mb_push_body(&p->set, &p->body, &p->body_cap);
				if (blen < 0) {
					fail(p, t, now_ns, "out of memory");
				} else {
					start(p, t, now_ns, blen);
				}
			} else if (due) {
				shrink(timeout_ms, t->retry_ns, now_ns);
			} else if (p->set.n) {
				shrink(timeout_ms, t->resend_ns, now_ns);
			}
		}
		pfd[i].fd = t->state == ST_IDLE ? -1 : t->fd;
		pfd[i].events = t->state == ST_RECV ? POLLIN : POLLOUT;
		pfd[i].revents = 0;
		if (t->state != ST_IDLE)
			shrink(timeout_ms, t->deadline_ns, now_ns);
	}
	/* An event's end is a change to push. */
	for (int i = 0; i < p->set.n; i++)
		if (!p->set.a[i].ends_ms && p->set.a[i].expires_ms)
			shrink(timeout_ms,
			       now_ns + (uint64_t)(p->set.a[i].expires_ms > wall_ms ?
							   p->set.a[i].expires_ms - wall_ms :
							   0) *
						NS_PER_MS_,
			       now_ns);
}

static void done(struct mb_push *p, int i, uint64_t now)
{
	struct mb_push_target *t = &p->t[i];
	int status = 0;

	/* "HTTP/1.1 200 OK": Alertmanager answers 200; any 2xx is taken. */
	if (t->resp_len >= 12 && !strncmp(t->resp, "HTTP/1.", 7))
		status = atoi(t->resp + 9);
	if (status < 200 || status > 299) {
		char what[64];

		snprintf(what, sizeof(what), status ? "HTTP status %d" : "no HTTP response",
			 status);
		fail(p, &p->t[i], now, what);
		return;
	}
	close(t->fd);
	t->fd = -1;
	t->state = ST_IDLE;
	t->backoff_ms = 0;
	t->acked_seq = t->sending_seq;
	t->resend_ns = now + MB_PUSH_RESEND_MS * NS_PER_MS_;
	mb_push_acked(&p->set, i, p->n, t->sending_seq);
	if (t->failing)
		note("alertmanager %s: alerts delivered again", t->url);
	t->failing = 0;
}

void mb_push_handle(struct mb_push *p, const struct pollfd *pfd, uint64_t now_ns)
{
	for (int i = 0; i < p->n; i++) {
		struct mb_push_target *t = &p->t[i];
		int soerr = 0;
		socklen_t sl = sizeof(soerr);
		ssize_t n;

		if (t->state == ST_IDLE)
			continue;
		if (now_ns >= t->deadline_ns) {
			fail(p, t, now_ns, "timed out");
			continue;
		}
		if (!pfd[i].revents)
			continue;
		switch (t->state) {
		case ST_CONNECT:
			getsockopt(t->fd, SOL_SOCKET, SO_ERROR, &soerr, &sl);
			if (soerr) {
				fail_errno(p, t, now_ns, soerr);
				break;
			}
			t->state = ST_SEND;
			__attribute__((fallthrough)); /* the socket is writable */
		case ST_SEND:
			n = send(t->fd, t->out + t->out_off, t->out_len - t->out_off, MSG_NOSIGNAL);
			if (n < 0) {
				if (errno != EAGAIN && errno != EINTR)
					fail_errno(p, t, now_ns, errno);
				break;
			}
			t->out_off += (size_t)n;
			if (t->out_off == t->out_len)
				t->state = ST_RECV;
			break;
		case ST_RECV:
			n = recv(t->fd, t->resp + t->resp_len, sizeof(t->resp) - 1 - t->resp_len,
				 0);
			if (n < 0) {
				if (errno != EAGAIN && errno != EINTR)
					fail_errno(p, t, now_ns, errno);
				break;
			}
			t->resp_len += (size_t)n;
			t->resp[t->resp_len] = '\0';
			/* The status line decides; the rest of the answer is not needed. */
			if (n == 0 || strchr(t->resp, '\n') || t->resp_len == sizeof(t->resp) - 1)
				done(p, i, now_ns);
			break;
		}
	}
}
