// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * HTTP/1.x request heads (RFC 9112), strictly. Anything a scraper does not
 * send is refused rather than guessed at: the server answers one request
 * per connection and closes it, so there is no body to frame and no
 * pipelining to get wrong, and a strict head leaves no parsing ambiguity.
 */
#include <string.h>
#include "http_req.h"

/* RFC 9110 5.6.2 tchar. */
static int is_tchar(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c && strchr("!#$%&'*+-.^_`|~", c));
}

/* Visible ASCII, or obs-text: what a request-target or field value may hold. */
static int is_vchar(unsigned char c)
{
	return c > 0x20 && c != 0x7f;
}

static int verdict(struct mb_http_req *r, int status)
{
	r->status = status;
	return 1;
}

/* The end of the line starting at p (its CR or LF), or NULL if not seen yet. */
static const char *line_end(const char *p, const char *end)
{
	const char *lf = memchr(p, '\n', (size_t)(end - p));

	if (!lf)
		return NULL;
	return lf > p && lf[-1] == '\r' ? lf - 1 : lf;
}

static const char *next_line(const char *eol)
{
	return *eol == '\r' ? eol + 2 : eol + 1;
}

/* method SP request-target SP HTTP-version: 0 when fine, else the status. */
static int request_line(const char *p, const char *eol, struct mb_http_req *r, int *minor)
{
	const char *sp1, *sp2, *t, *q;
	size_t n;

	for (sp1 = p; sp1 < eol && is_tchar((unsigned char)*sp1); sp1++)
		;
	if (sp1 == p || sp1 == eol || *sp1 != ' ')
		return 400;
	for (sp2 = sp1 + 1; sp2 < eol && is_vchar((unsigned char)*sp2); sp2++)
		;
	if (sp2 == sp1 + 1 || sp2 == eol || *sp2 != ' ')
		return 400;
	n = (size_t)(eol - sp2 - 1);
	t = sp2 + 1;
	if (n != 8 || memcmp(t, "HTTP/", 5) || t[5] < '0' || t[5] > '9' || t[6] != '.' ||
	    t[7] < '0' || t[7] > '9')
		return 400;
	if (t[5] != '1')
		return 505;
	*minor = t[7] - '0';
	if (sp1 - p == 3 && !memcmp(p, "GET", 3))
		r->method = MB_HTTP_GET;
	else if (sp1 - p == 4 && !memcmp(p, "HEAD", 4))
		r->method = MB_HTTP_HEAD;
	else
		return 405;
	t = sp1 + 1;
	if (*t != '/')
		return 400; /* absolute-form and '*' are for proxies and OPTIONS */
	q = memchr(t, '?', (size_t)(sp2 - t));
	n = (size_t)((q ? q : sp2) - t);
	r->status = n == 8 && !memcmp(t, "/metrics", 8) ? 200 : 404;
	return 0;
}

/* field-name ":" OWS field-value OWS. Returns 0 or 400; *host counts Host. */
static int header_line(const char *p, const char *eol, int *host)
{
	const char *c;

	if (*p == ' ' || *p == '\t')
		return 400; /* obs-fold: RFC 9112 5.2 lets a server reject it */
	for (c = p; c < eol && is_tchar((unsigned char)*c); c++)
		;
	if (c == p || c == eol || *c != ':')
		return 400;
	if (c - p == 4 && !strncasecmp(p, "host", 4))
		(*host)++;
	for (c++; c < eol; c++)
		if (!is_vchar((unsigned char)*c) && *c != ' ' && *c != '\t')
			return 400;
	return 0;
}

int mb_http_parse(const char *buf, size_t len, struct mb_http_req *r)
{
	const char *p = buf, *end = buf + (len > MB_HTTP_HEAD_MAX ? MB_HTTP_HEAD_MAX : len);
	const char *eol;
	int minor = 1, host = 0, err, status;

	memset(r, 0, sizeof(*r));
	/* RFC 9112 2.2: ignore at least one empty line before the request line. */
	while (p < end && (*p == '\r' || *p == '\n') && p - buf < 4)
		p++;
	eol = line_end(p, end);
	if (!eol) {
		/* Decide early what can be decided: a request line is ASCII. */
		for (const char *c = p; c < end; c++)
			if ((unsigned char)*c < 0x20 && *c != '\r')
				return verdict(r, 400);
		return len >= MB_HTTP_HEAD_MAX ? verdict(r, 431) : 0;
	}
	err = request_line(p, eol, r, &minor);
	if (err)
		return verdict(r, err);
	status = r->status;
	for (p = next_line(eol); p < end; p = next_line(eol)) {
		eol = line_end(p, end);
		if (!eol)
			break;
		if (eol == p) { /* the blank line: the head is complete */
			r->head_len = (size_t)(next_line(eol) - buf);
			if (minor >= 1 && host != 1)
				return verdict(r, 400);
			return verdict(r, status);
		}
		err = header_line(p, eol, &host);
		if (err)
			return verdict(r, err);
	}
	return len >= MB_HTTP_HEAD_MAX ? verdict(r, 431) : 0;
}

const char *mb_http_reason(int status)
{
	switch (status) {
	case 200:
		return "OK";
	case 400:
		return "Bad Request";
	case 404:
		return "Not Found";
	case 405:
		return "Method Not Allowed";
	case 408:
		return "Request Timeout";
	case 431:
		return "Request Header Fields Too Large";
	case 503:
		return "Service Unavailable";
	case 505:
		return "HTTP Version Not Supported";
	}
	return "Error";
}
