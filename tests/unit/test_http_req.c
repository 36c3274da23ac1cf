// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The /metrics request parser: what a scraper sends is 200, everything
 * else gets its status, an incomplete head waits for more, and a verdict
 * never depends on how the bytes were split across reads.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <cmocka.h>
#include "http_req.h"
#include "httpd.h"

/* The verdict for s, or 0 when the parser wants more. */
static int status(const char *s)
{
	struct mb_http_req r;

	return mb_http_parse(s, strlen(s), &r) ? r.status : 0;
}

static void test_scrapers(void **state)
{
	struct mb_http_req r;
	const char *prom =
		"GET /metrics HTTP/1.1\r\nHost: 127.0.0.1:9638\r\n"
		"User-Agent: Prometheus/2.42.0\r\nAccept: text/plain;version=0.0.4\r\n"
		"Accept-Encoding: gzip\r\nX-Prometheus-Scrape-Timeout-Seconds: 10\r\n\r\n";

	assert_int_equal(mb_http_parse(prom, strlen(prom), &r), 1);
	assert_int_equal(r.status, 200);
	assert_int_equal(r.method, MB_HTTP_GET);
	assert_int_equal(r.head_len, strlen(prom));
	assert_int_equal(status("HEAD /metrics HTTP/1.1\r\nHost: x\r\n\r\n"), 200);
	assert_int_equal(status("GET /metrics HTTP/1.0\r\n\r\n"), 200); /* no Host needed */
	assert_int_equal(status("GET /metrics?x=1 HTTP/1.1\nHost: x\n\n"), 200); /* bare LF */
	assert_int_equal(status("\r\nGET /metrics HTTP/1.1\r\nhost:x\r\n\r\n"), 200);
	assert_int_equal(status("GET /metrics HTTP/1.1\r\nHost: x\r\nX-Empty:\r\n\r\n"), 200);
}

static void test_refused(void **state)
{
	assert_int_equal(status("GET / HTTP/1.1\r\nHost: x\r\n\r\n"), 404);
	assert_int_equal(status("GET /metricsx HTTP/1.1\r\nHost: x\r\n\r\n"), 404);
	assert_int_equal(status("GET /metrics/ HTTP/1.1\r\nHost: x\r\n\r\n"), 404);
	assert_int_equal(status("POST /metrics HTTP/1.1\r\n"), 405); /* decided on line 1 */
	assert_int_equal(status("get /metrics HTTP/1.1\r\n"), 405); /* methods are case-sensitive */
	assert_int_equal(status("GET /metrics HTTP/2.0\r\n"), 505);
	assert_int_equal(status("GET /metrics HTTP/1.1\r\n\r\n"), 400); /* no Host */
	assert_int_equal(status("GET /metrics HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n"), 400);
	assert_int_equal(status("GET /metrics HTTP/1.1\r\nHost: x\r\n folded\r\n\r\n"), 400);
	assert_int_equal(status("GET /metrics HTTP/1.1\r\nNo colon\r\n\r\n"), 400);
	assert_int_equal(status("GET /metrics HTTP/1.1\r\nBad name: x\r\n\r\n"), 400);
	assert_int_equal(status("GET /metrics HTTP/1.1\r\nHost: \x01\r\n\r\n"), 400);
	assert_int_equal(status("GET http://x/metrics HTTP/1.1\r\n"), 400);
	assert_int_equal(status("GET  /metrics HTTP/1.1\r\n"), 400);
	assert_int_equal(status("GET /metrics HTTP/1.1 \r\n"), 400);
	assert_int_equal(status("GET /metrics\r\n"), 400); /* HTTP/0.9 */
	assert_int_equal(status("GET /me\x01"), 400); /* before the line ends */
	assert_int_equal(status("GET /metrics HTTP/1.1\r\nHost"), 0);
	assert_int_equal(status(""), 0);
}

static void test_oversized(void **state)
{
	char big[MB_HTTP_HEAD_MAX + 64];
	struct mb_http_req r;
	size_t n;

	n = (size_t)snprintf(big, sizeof(big), "GET /metrics HTTP/1.1\r\nHost: x\r\nX: ");
	memset(big + n, 'a', sizeof(big) - n);
	assert_int_equal(mb_http_parse(big, MB_HTTP_HEAD_MAX - 1, &r), 0);
	assert_int_equal(mb_http_parse(big, MB_HTTP_HEAD_MAX, &r), 1);
	assert_int_equal(r.status, 431);
	memset(big, 'A', sizeof(big)); /* a request line that never ends */
	assert_int_equal(mb_http_parse(big, MB_HTTP_HEAD_MAX, &r), 1);
	assert_int_equal(r.status, 431);
}

/* Every split of a request into two reads gets the verdict of the whole. */
static void test_splits(void **state)
{
	const char *reqs[] = {
		"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n",
		"HEAD /nope HTTP/1.1\r\nHost: x\r\n\r\n",
		"GET /metrics HTTP/1.1\r\nHost: x\r\nBad name: y\r\n\r\n",
	};
	struct mb_http_req r;

	for (size_t i = 0; i < sizeof(reqs) / sizeof(reqs[0]); i++) {
		size_t len = strlen(reqs[i]);
		int want = status(reqs[i]);

		for (size_t cut = 0; cut < len; cut++) {
			int done = mb_http_parse(reqs[i], cut, &r);

			/* A prefix may decide early, never differently. */
			if (done)
				assert_int_equal(r.status, want);
		}
	}
}

static void test_addr(void **state)
{
	struct sockaddr_storage sa;
	unsigned int len;

	assert_int_equal(mb_httpd_parse_addr("127.0.0.1:9638", &sa, &len), 0);
	assert_int_equal(sa.ss_family, AF_INET);
	assert_int_equal(ntohs(((struct sockaddr_in *)&sa)->sin_port), 9638);
	assert_int_equal(mb_httpd_parse_addr("[::1]:9638", &sa, &len), 0);
	assert_int_equal(sa.ss_family, AF_INET6);
	assert_int_equal(mb_httpd_parse_addr("0.0.0.0:1", &sa, &len), 0);
	assert_int_equal(mb_httpd_parse_addr("localhost:9638", &sa, &len), -EINVAL);
	assert_int_equal(mb_httpd_parse_addr("127.0.0.1", &sa, &len), -EINVAL);
	assert_int_equal(mb_httpd_parse_addr("127.0.0.1:0", &sa, &len), -EINVAL);
	assert_int_equal(mb_httpd_parse_addr("127.0.0.1:65536", &sa, &len), -EINVAL);
	assert_int_equal(mb_httpd_parse_addr("127.0.0.1:94x", &sa, &len), -EINVAL);
	assert_int_equal(mb_httpd_parse_addr("::1:9638", &sa, &len), -EINVAL);
	assert_int_equal(mb_httpd_parse_addr("[::1]9638", &sa, &len), -EINVAL);
	assert_int_equal(mb_httpd_parse_addr(":9638", &sa, &len), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_scrapers),  cmocka_unit_test(test_refused),
		cmocka_unit_test(test_oversized), cmocka_unit_test(test_splits),
		cmocka_unit_test(test_addr),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
