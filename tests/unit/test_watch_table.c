// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The watched-comm table signal.bpf.c reads with plain loads: what the
 * builder puts in must be found by the probe's lookup (mb_watch_table_find
 * walks the slots exactly as watch_find() does), what it left out must not,
 * and a full neighbourhood must be an error, never a silent drop.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include "watch_table.h"

static struct mb_watch_slot tab[MB_WATCH_SLOTS];

static struct mb_watch val(__u32 idx)
{
	struct mb_watch w = { .idx = idx, .window_ns = idx * 1000ULL };

	return w;
}

static __u32 hash_of(const char *comm)
{
	char buf[MB_COMM_LEN] = {};
	__u64 first8;

	memcpy(buf, comm, strnlen(comm, MB_COMM_LEN - 1));
	memcpy(&first8, buf, sizeof(first8));
	return mb_watch_hash(first8);
}

static void test_defaults_found(void **state)
{
	static const char *const comms[] = { "dovecot", "exim4", "exim", "master" };
	struct mb_watch w;

	memset(tab, 0, sizeof(tab));
	for (int i = 0; i < 4; i++) {
		w = val(i + 1);
		assert_int_equal(mb_watch_table_put(tab, comms[i], &w), 0);
	}
	for (int i = 0; i < 4; i++) {
		const struct mb_watch *got = mb_watch_table_find(tab, comms[i]);

		assert_non_null(got);
		assert_int_equal(got->idx, i + 1);
		assert_int_equal(got->window_ns, (i + 1) * 1000ULL);
	}
	/* Prefixes, extensions and near misses are other comms. */
	assert_null(mb_watch_table_find(tab, "dove"));
	assert_null(mb_watch_table_find(tab, "dovecot2"));
	assert_null(mb_watch_table_find(tab, "exim5"));
	assert_null(mb_watch_table_find(tab, "Master"));
	assert_null(mb_watch_table_find(tab, "mbtarget"));
}

/* Equal first 8 bytes: same slot, told apart by the second word. */
static void test_same_first_word(void **state)
{
	struct mb_watch a = val(1), b = val(2);

	memset(tab, 0, sizeof(tab));
	assert_int_equal(mb_watch_table_put(tab, "postfix-master", &a), 0);
	assert_int_equal(mb_watch_table_put(tab, "postfix-qmgr", &b), 0);
	assert_int_equal(mb_watch_table_find(tab, "postfix-master")->idx, 1);
	assert_int_equal(mb_watch_table_find(tab, "postfix-qmgr")->idx, 2);
	assert_null(mb_watch_table_find(tab, "postfix-"));
	assert_null(mb_watch_table_find(tab, "postfix-smtpd"));
}

/* 15 bytes is the longest comm; a longer name is cut like the kernel cuts it. */
static void test_long_names(void **state)
{
	struct mb_watch a = val(3);

	memset(tab, 0, sizeof(tab));
	assert_int_equal(mb_watch_table_put(tab, "abcdefghijklmno", &a), 0);
	assert_int_equal(mb_watch_table_find(tab, "abcdefghijklmno")->idx, 3);
	assert_int_equal(mb_watch_table_find(tab, "abcdefghijklmnoXYZ")->idx, 3);
	assert_null(mb_watch_table_find(tab, "abcdefghijklmn"));
}

static void test_errors(void **state)
{
	struct mb_watch a = val(1), zero = val(0);

	memset(tab, 0, sizeof(tab));
	assert_int_equal(mb_watch_table_put(tab, "", &a), -EINVAL);
	assert_int_equal(mb_watch_table_put(tab, "dovecot", &zero), -EINVAL);
	assert_int_equal(mb_watch_table_put(tab, "dovecot", &a), 0);
	assert_int_equal(mb_watch_table_put(tab, "dovecot", &a), -EEXIST);
}

/*
 * Fill one neighbourhood on purpose: names hashing to the same slot take it
 * and the MB_WATCH_PROBES - 1 after it; one more is refused, and every name
 * put in is still found, past the occupied slots.
 */
static void test_full_neighbourhood(void **state)
{
	char names[MB_WATCH_PROBES + 1][MB_COMM_LEN];
	__u32 target = hash_of("dovecot");
	int n = 0;

	memset(tab, 0, sizeof(tab));
	for (unsigned i = 0; n < MB_WATCH_PROBES + 1 && i < 10000000; i++) {
		char name[MB_COMM_LEN];

		snprintf(name, sizeof(name), "d%07u", i);
		if (hash_of(name) == target)
			memcpy(names[n++], name, sizeof(name));
	}
	assert_int_equal(n, MB_WATCH_PROBES + 1);
	for (int i = 0; i < MB_WATCH_PROBES; i++) {
		struct mb_watch w = val(i + 1);

		assert_int_equal(mb_watch_table_put(tab, names[i], &w), 0);
	}
	{
		struct mb_watch w = val(99);

		assert_int_equal(mb_watch_table_put(tab, names[MB_WATCH_PROBES], &w), -ENOSPC);
	}
	for (int i = 0; i < MB_WATCH_PROBES; i++)
		assert_int_equal(mb_watch_table_find(tab, names[i])->idx, i + 1);
	assert_null(mb_watch_table_find(tab, names[MB_WATCH_PROBES]));
}

/* As many comms as a config can name (8 daemons x 4 comms), plain names: all fit. */
static void test_config_maximum(void **state)
{
	char name[MB_COMM_LEN];

	memset(tab, 0, sizeof(tab));
	for (int d = 0; d < 8; d++) {
		struct mb_watch w = val(d + 1);

		for (int c = 0; c < 4; c++) {
			snprintf(name, sizeof(name), "daemon%d-comm%d", d, c);
			assert_int_equal(mb_watch_table_put(tab, name, &w), 0);
		}
	}
	for (int d = 0; d < 8; d++) {
		for (int c = 0; c < 4; c++) {
			snprintf(name, sizeof(name), "daemon%d-comm%d", d, c);
			assert_int_equal(mb_watch_table_find(tab, name)->idx, d + 1);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults_found),	   cmocka_unit_test(test_same_first_word),
		cmocka_unit_test(test_long_names),	   cmocka_unit_test(test_errors),
		cmocka_unit_test(test_full_neighbourhood), cmocka_unit_test(test_config_maximum),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
