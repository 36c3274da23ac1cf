/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The request side of the /metrics server: a strict HTTP/1.x request-head
 * parser. Pure (no sockets) so the unit tests and the fuzzer drive it with
 * bytes; the server (httpd.c) only moves bytes and writes what it decides.
 */
#ifndef MAILBPF_HTTP_REQ_H
#define MAILBPF_HTTP_REQ_H

#include <stddef.h>

/* A request head (request line + headers + blank line) longer than this is
 * refused with 431: Prometheus sends about 250 bytes. */
#define MB_HTTP_HEAD_MAX 4096

enum mb_http_method { MB_HTTP_GET = 1, MB_HTTP_HEAD = 2 };

struct mb_http_req {
	int status; /* 200, or the error to answer: 400 404 405 431 505 */
	int method; /* enum mb_http_method when status is 200 or 404 */
	size_t head_len; /* bytes of buf the head took */
};

/*
 * Parse the request head at the start of buf[0..len). Returns 0 while the
 * head is incomplete (read more), 1 when r holds the verdict. A verdict is
 * reached as soon as the bytes seen so far decide it: a malformed request
 * line fails before its headers arrive, and MB_HTTP_HEAD_MAX bytes without
 * the blank line are 431. Only "/metrics" (a query string is ignored) is
 * 200; GET and HEAD are the methods (405 for any other token); HTTP/1.1
 * requires exactly one Host header (RFC 9112 3.2). Bare LF line ends are
 * accepted, obsolete line folding and bytes outside the grammar are 400.
 */
int mb_http_parse(const char *buf, size_t len, struct mb_http_req *r);

/* "OK", "Bad Request", ... for the status codes mb_http_parse returns. */
const char *mb_http_reason(int status);

#endif
