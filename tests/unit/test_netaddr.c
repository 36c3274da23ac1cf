// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Listen addresses and Alertmanager URLs as the config names them. The
 * config parser rejects with these functions what the listener and the push
 * client would later fail on, so every accepted form must give exactly the
 * address, port and prefix meant, and every refused one must be refused
 * before anything is written (a half-parsed URL must not be used).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <cmocka.h>
#include "netaddr.h"

static struct sockaddr_storage sa;
static unsigned int salen;

static int addr(const char *s)
{
	memset(&sa, 0xa5, sizeof(sa));
	salen = 12345;
	return mb_httpd_parse_addr(s, &sa, &salen);
}

static void test_addr_ipv4(void **state)
{
	const struct sockaddr_in *in4 = (const struct sockaddr_in *)&sa;

	assert_int_equal(addr("192.0.2.7:9638"), 0);
	assert_int_equal(in4->sin_family, AF_INET);
	assert_int_equal(ntohl(in4->sin_addr.s_addr), 0xc0000207);
	assert_int_equal(ntohs(in4->sin_port), 9638);
	assert_int_equal(salen, sizeof(struct sockaddr_in));

	assert_int_equal(addr("127.0.0.1:65535"), 0);
	assert_int_equal(ntohs(in4->sin_port), 65535);
	/* A leading zero is still decimal. */
	assert_int_equal(addr("127.0.0.1:080"), 0);
	assert_int_equal(ntohs(in4->sin_port), 80);
}

static void test_addr_ipv6(void **state)
{
	const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)&sa;
	struct in6_addr want;

	assert_int_equal(addr("[2001:db8::1]:9638"), 0);
	assert_int_equal(in6->sin6_family, AF_INET6);
	assert_int_equal(inet_pton(AF_INET6, "2001:db8::1", &want), 1);
	assert_memory_equal(&in6->sin6_addr, &want, sizeof(want));
	assert_int_equal(ntohs(in6->sin6_port), 9638);
	assert_int_equal(salen, sizeof(struct sockaddr_in6));
	/* The rest of the sockaddr is zeroed, not left as it was. */
	assert_int_equal(in6->sin6_flowinfo, 0);
	assert_int_equal(in6->sin6_scope_id, 0);

	assert_int_equal(addr("[::]:1"), 0);
	assert_int_equal(addr("[::ffff:127.0.0.1]:80"), 0);
	assert_int_equal(sa.ss_family, AF_INET6);
}

static void test_addr_refused(void **state)
{
	static const char *const bad[] = {
		"",
		":",
		"127.0.0.1:",
		"127.0.0.1:+80",
		"127.0.0.1:-80",
		"127.0.0.1: 80",
		"127.0.0.1:80 ",
		"127.0.0.1:99999999999999999999",
		"127.0.0.1:70000",
		"256.1.1.1:80",
		"1.2.3:80",
		"example.org:80", /* numeric only: binding must not wait for DNS */
		"[127.0.0.1]:80", /* brackets are for IPv6 */
		"::1:80", /* IPv6 without brackets */
		"[::1]",
		"[::1]:",
		"[::1]:0",
		"[::1]:65536",
		"[]:80",
		"[::1:80",
		"[fe80::1%eth0]:80",
		"[::1]x:80",
		"localhost:9638",
		"[localhost]:9638",
		"0123456789012345678901234567890123456789012345678901234567890123:80",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		unsigned char fill[sizeof(sa)];

		memset(fill, 0xa5, sizeof(fill));
		assert_int_equal(addr(bad[i]), -EINVAL);
		/* Whatever was refused, nothing was written (netaddr.h). */
		assert_int_equal(salen, 12345);
		assert_memory_equal(&sa, fill, sizeof(fill));
	}
	assert_int_equal(mb_httpd_parse_addr(NULL, &sa, &salen), -EINVAL);
}

static char host[64], port[8], prefix[64];

static int url(const char *u)
{
	memset(host, 'H', sizeof(host));
	memset(port, 'P', sizeof(port));
	memset(prefix, 'X', sizeof(prefix));
	return mb_push_parse_url(u, host, sizeof(host), port, sizeof(port), prefix, sizeof(prefix));
}

static void test_url_forms(void **state)
{
	assert_int_equal(url("http://am"), 0);
	assert_string_equal(host, "am");
	assert_string_equal(port, "80");
	assert_string_equal(prefix, "");

	assert_int_equal(url("http://[::1]"), 0);
	assert_string_equal(host, "::1");
	assert_string_equal(port, "80");

	assert_int_equal(url("http://[2001:db8::5]:9093/am//"), 0);
	assert_string_equal(host, "2001:db8::5");
	assert_string_equal(port, "9093");
	/* Trailing slashes never double with "/api/v2/alerts". */
	assert_string_equal(prefix, "/am");

	assert_int_equal(url("http://alert-manager.internal:1//"), 0);
	assert_string_equal(host, "alert-manager.internal");
	assert_string_equal(port, "1");
	assert_string_equal(prefix, "");

	assert_int_equal(url("http://10.0.0.1:65535/a/b"), 0);
	assert_string_equal(port, "65535");
	assert_string_equal(prefix, "/a/b");

	/* Only an '@' in the authority is a credential; in the path it is path. */
	assert_int_equal(url("http://am/p@th"), 0);
	assert_string_equal(host, "am");
	assert_string_equal(prefix, "/p@th");
}

static void test_url_refused(void **state)
{
	static const char *const bad[] = {
		NULL,
		"",
		"http://",
		"http:///am",
		"HTTP://am",
		"http:/am",
		"ftp://am",
		"http://am:123456",
		"http://am:99x",
		"http://am:-1",
		"http://am:9093:1",
		"http://[]:9093",
		"http://[::1]x",
		"http://[::1]9093",
		"http://[fe80::1%eth0]:9093",
		"http://am/a b",
		"http://am/#frag",
		"http://am\n:9093",
		"http://@am",
		"http://u@am/",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(url(bad[i]), -EINVAL);
		/* Nothing written. */
		assert_int_equal(host[0], 'H');
		assert_int_equal(port[0], 'P');
		assert_int_equal(prefix[0], 'X');
	}
}

static void test_url_buffer_sizes(void **state)
{
	char h[4], p[3], p2[2], pre[5];

	/* A host, port or prefix that does not fit is an error, never cut. */
	assert_int_equal(mb_push_parse_url("http://abcd", h, sizeof(h), port, sizeof(port), prefix,
					   sizeof(prefix)),
			 -EINVAL);
	assert_int_equal(mb_push_parse_url("http://abc", h, sizeof(h), port, sizeof(port), prefix,
					   sizeof(prefix)),
			 0);
	assert_string_equal(h, "abc");
	assert_int_equal(mb_push_parse_url("http://am:443", host, sizeof(host), p, sizeof(p),
					   prefix, sizeof(prefix)),
			 -EINVAL);
	assert_int_equal(mb_push_parse_url("http://am:44", host, sizeof(host), p, sizeof(p), prefix,
					   sizeof(prefix)),
			 0);
	assert_string_equal(p, "44");
	/* "80" must fit even when the URL gives no port. */
	assert_int_equal(mb_push_parse_url("http://am", host, sizeof(host), p2, sizeof(p2), prefix,
					   sizeof(prefix)),
			 -EINVAL);
	assert_int_equal(mb_push_parse_url("http://am/abcd", host, sizeof(host), port, sizeof(port),
					   pre, sizeof(pre)),
			 -EINVAL);
	assert_int_equal(mb_push_parse_url("http://am/abc", host, sizeof(host), port, sizeof(port),
					   pre, sizeof(pre)),
			 0);
	assert_string_equal(pre, "/abc");
}

static void test_no_network_hint(void **state)
{
	static const int net[] = { EADDRNOTAVAIL, EAFNOSUPPORT, ENETUNREACH, ENETDOWN };

	for (size_t i = 0; i < sizeof(net) / sizeof(net[0]); i++)
		assert_non_null(strstr(mb_no_network_hint(net[i]), "network.conf"));
	assert_string_equal(mb_no_network_hint(0), "");
	assert_string_equal(mb_no_network_hint(EADDRINUSE), "");
	assert_string_equal(mb_no_network_hint(EACCES), "");
	assert_string_equal(mb_no_network_hint(-EADDRNOTAVAIL), "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_addr_ipv4),	cmocka_unit_test(test_addr_ipv6),
		cmocka_unit_test(test_addr_refused),	cmocka_unit_test(test_url_forms),
		cmocka_unit_test(test_url_refused),	cmocka_unit_test(test_url_buffer_sizes),
		cmocka_unit_test(test_no_network_hint),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
