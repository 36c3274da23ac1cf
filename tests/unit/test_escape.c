// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The escapers against strings a hostile local user can put in a comm or a
 * file name: metric injection, terminal escapes, invalid UTF-8, and every
 * truncation point.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "escape.h"

typedef size_t (*esc_fn)(char *dst, size_t dstlen, const char *src);

#define FFFD "\xef\xbf\xbd"

static void check(esc_fn fn, const char *in, const char *want)
{
	char out[1024];
	size_t n = fn(out, sizeof(out), in);

	assert_string_equal(out, want);
	assert_int_equal(n, strlen(want));
}

/* Test-local strict UTF-8 check, written independently of escape.c's. */
static int valid_utf8(const unsigned char *s)
{
	while (*s) {
		uint32_t cp;
		int n, i;

		if (*s < 0x80) {
			s++;
			continue;
		}
		n = (*s & 0xe0) == 0xc0 ? 2 : (*s & 0xf0) == 0xe0 ? 3 : (*s & 0xf8) == 0xf0 ? 4 : 0;
		if (!n)
			return 0;
		cp = *s & (0x7f >> n);
		for (i = 1; i < n; i++) {
			if ((s[i] & 0xc0) != 0x80)
				return 0;
			cp = cp << 6 | (s[i] & 0x3f);
		}
		if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
		    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
			return 0;
		s += n;
	}
	return 1;
}

static void test_prom_injection(void **state)
{
	check(mb_prom_escape, "x\"}\nmailbpf_fs_shutdown{device=\"sda\"} 1",
	      "x\\\"}\\nmailbpf_fs_shutdown{device=\\\"sda\\\"} 1");
	check(mb_prom_escape, "a\\b", "a\\\\b");
	check(mb_prom_escape, "\x1b[31mred\r\t\x7f", FFFD "[31mred" FFFD FFFD FFFD);
	check(mb_prom_escape, NULL, "");
}

static void test_prom_utf8(void **state)
{
	check(mb_prom_escape,
	      "Gr\xc3\xbc\xc3\x9f"
	      "e \xe2\x9c\x93 \xf0\x9f\x98\x80",
	      "Gr\xc3\xbc\xc3\x9f"
	      "e \xe2\x9c\x93 \xf0\x9f\x98\x80");
	check(mb_prom_escape, "a\xff\xc3(b", "a" FFFD FFFD "(b");
	check(mb_prom_escape, "\xc0\xaf", FFFD FFFD); /* overlong '/' */
	check(mb_prom_escape, "\xe0\x80\xaf", FFFD FFFD FFFD); /* overlong '/' */
	check(mb_prom_escape, "\xed\xa0\x80", FFFD FFFD FFFD); /* surrogate */
	check(mb_prom_escape, "\xf4\x90\x80\x80", FFFD FFFD FFFD FFFD); /* > U+10FFFF */
	check(mb_prom_escape, "ab\xe2\x82", "ab" FFFD FFFD); /* cut short */
}

static void test_prom_help(void **state)
{
	check(mb_prom_help_escape, "say \"hi\"\\\nnext\x1b", "say \"hi\"\\\\\\nnext" FFFD);
}

static void test_json(void **state)
{
	check(mb_json_escape, "a\"b\\c\n\r\t\x01\x1f\x7f",
	      "a\\\"b\\\\c\\n\\r\\t\\u0001\\u001f\\u007f");
	check(mb_json_escape, "\x1b[2J", "\\u001b[2J");
	check(mb_json_escape, "caf\xc3\xa9 \xff\xfe", "caf\xc3\xa9 \\ufffd\\ufffd");
	check(mb_json_escape, "x\"}\n{\"kind\":\"fake\"}", "x\\\"}\\n{\\\"kind\\\":\\\"fake\\\"}");
}

static void test_term(void **state)
{
	check(mb_term_escape, "\x1b[2J\x1b]0;pwn\x07", "\\x1b[2J\\x1b]0;pwn\\x07");
	check(mb_term_escape, "a\\x41\tb\x7f", "a\\\\x41\\x09b\\x7f");
	check(mb_term_escape,
	      "\xc2\x9b"
	      "31m",
	      "\\xc2\\x9b31m"); /* C1 CSI */
	check(mb_term_escape,
	      "evil\xe2\x80\xae"
	      "fdp.exe",
	      "evil\\xe2\\x80\\xaefdp.exe");
	check(mb_term_escape, "caf\xc3\xa9 \xe2\x9c\x93", "caf\xc3\xa9 \xe2\x9c\x93");
	check(mb_term_escape, "\xff\xc3(", "\\xff\\xc3(");
}

static void test_truncation(void **state)
{
	char out[16];

	/* The escape for '"' does not fit; 'b' would, but must not follow. */
	assert_int_equal(mb_prom_escape(out, 3, "a\"b"), 4);
	assert_string_equal(out, "a");
	assert_int_equal(mb_prom_escape(out, 5, "a\"b"), 4);
	assert_string_equal(out, "a\\\"b");
	assert_int_equal(mb_prom_escape(out, 4, "a\"b"), 4);
	assert_string_equal(out, "a\\\"");
	/* Never half a UTF-8 sequence. */
	assert_int_equal(mb_prom_escape(out, 3, "a\xc3\xa9"), 3);
	assert_string_equal(out, "a");
	assert_int_equal(mb_json_escape(out, 6, "\x01"), 6);
	assert_string_equal(out, "");
	assert_int_equal(mb_json_escape(out, 7, "\x01"), 6);
	assert_string_equal(out, "\\u0001");
	assert_int_equal(mb_term_escape(out, 4, "\x1b"), 4);
	assert_string_equal(out, "");
	assert_int_equal(mb_term_escape(out, 9, "\xc2\x9b"), 8);
	assert_string_equal(out, "\\xc2\\x9b");
	assert_int_equal(mb_term_escape(out, 8, "\xc2\x9b"), 8);
	assert_string_equal(out, "");
	/* Size query and the smallest buffer. */
	assert_int_equal(mb_json_escape(NULL, 0, "\xff"), 6);
	out[0] = 'z';
	assert_int_equal(mb_json_escape(out, 1, "abc"), 3);
	assert_string_equal(out, "");
}

/* Every prefix length of a hostile string: a clean prefix of the full output. */
static void test_every_cut(void **state)
{
	static const esc_fn fns[] = { mb_prom_escape, mb_prom_help_escape, mb_json_escape,
				      mb_term_escape };
	const char *in = "x\"}\n\x1b[1m\xc3\xa9\xff\\\xe2\x80\xae\xf0\x9f\x98\x80\x01";
	char full[256], out[256];
	size_t f, len, n;

	for (f = 0; f < sizeof(fns) / sizeof(fns[0]); f++) {
		len = fns[f](full, sizeof(full), in);
		assert_true(len < sizeof(full));
		for (n = 1; n <= len + 1; n++) {
			memset(out, 'Z', sizeof(out));
			assert_int_equal(fns[f](out, n, in), len);
			assert_true(strlen(out) < n);
			assert_memory_equal(out, full, strlen(out));
			assert_true(valid_utf8((unsigned char *)out));
		}
		assert_string_equal(out, full);
	}
}

/* Random bytes: output is valid UTF-8 with no raw control byte, ever. */
static void test_random_bytes(void **state)
{
	static const esc_fn fns[] = { mb_prom_escape, mb_prom_help_escape, mb_json_escape,
				      mb_term_escape };
	unsigned char in[64];
	char out[64 * 16 + 1];
	size_t f, i, k;

	srand(1);
	for (k = 0; k < 20000; k++) {
		for (i = 0; i < sizeof(in) - 1; i++)
			in[i] = (unsigned char)(rand() % 255 + 1);
		in[rand() % sizeof(in)] = 0;
		in[sizeof(in) - 1] = 0;
		for (f = 0; f < sizeof(fns) / sizeof(fns[0]); f++) {
			fns[f](out, sizeof(out), (char *)in);
			assert_true(valid_utf8((unsigned char *)out));
			for (i = 0; out[i]; i++)
				assert_true((unsigned char)out[i] >= 0x20 && out[i] != 0x7f);
			if (fns[f] == mb_term_escape)
				assert_null(strstr(out, "\xc2\x9b"));
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_prom_injection), cmocka_unit_test(test_prom_utf8),
		cmocka_unit_test(test_prom_help),      cmocka_unit_test(test_json),
		cmocka_unit_test(test_term),	       cmocka_unit_test(test_truncation),
		cmocka_unit_test(test_every_cut),      cmocka_unit_test(test_random_bytes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
