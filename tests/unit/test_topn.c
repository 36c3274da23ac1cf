// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The bounded label table behind the per-program and per-sender series:
 * up to the limit every key has its own bucket; past it new keys go to the
 * "other" buckets, so no value is lost (the total stays right) and memory
 * stays within 2 * limit + 1 entries whatever names the host invents.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include "topn.h"

static uint64_t value_of(const struct mb_topn *t, const char *k1, const char *k2)
{
	for (size_t i = 0; i < mb_topn_count(t); i++) {
		const struct mb_topn_entry *e = mb_topn_at(t, i);

		if (!strcmp(e->k1, k1) && !strcmp(e->k2, k2))
			return e->v;
	}
	return UINT64_MAX;
}

static uint64_t total(const struct mb_topn *t)
{
	uint64_t sum = 0;

	for (size_t i = 0; i < mb_topn_count(t); i++)
		sum += mb_topn_at(t, i)->v;
	return sum;
}

static void test_init(void **state)
{
	struct mb_topn t;

	assert_int_equal(mb_topn_init(&t, 0), -EINVAL);
	assert_int_equal(mb_topn_init(&t, SIZE_MAX), -EINVAL);
	assert_int_equal(mb_topn_init(&t, 3), 0);
	assert_int_equal(mb_topn_count(&t), 0);
	assert_null(mb_topn_at(&t, 0));
	mb_topn_free(&t);
	mb_topn_free(&t); /* twice is harmless */
}

static void test_one_key(void **state)
{
	struct mb_topn t;

	assert_int_equal(mb_topn_init(&t, 2), 0);
	assert_int_equal(mb_topn_add(&t, "exim4", NULL, 1), 0);
	assert_int_equal(mb_topn_add(&t, "dovecot", "", 2), 0);
	assert_int_equal(mb_topn_add(&t, "exim4", NULL, 3), 0);
	assert_int_equal(mb_topn_count(&t), 2);
	/* Insertion order. */
	assert_string_equal(mb_topn_at(&t, 0)->k1, "exim4");
	assert_int_equal(mb_topn_at(&t, 0)->v, 4);
	assert_string_equal(mb_topn_at(&t, 1)->k1, "dovecot");
	assert_false(mb_topn_at(&t, 1)->overflow);

	/* Past the limit: ("other", ""), one bucket for all newcomers. */
	for (int i = 0; i < 100; i++) {
		char k[16];

		snprintf(k, sizeof(k), "n%d", i);
		assert_int_equal(mb_topn_add(&t, k, NULL, 1), 0);
	}
	assert_int_equal(mb_topn_count(&t), 3);
	assert_int_equal(value_of(&t, MB_TOPN_OTHER, ""), 100);
	assert_true(mb_topn_at(&t, 2)->overflow);
	/* A key that has its bucket keeps it. */
	assert_int_equal(mb_topn_add(&t, "dovecot", NULL, 1), 0);
	assert_int_equal(value_of(&t, "dovecot", ""), 3);
	assert_int_equal(total(&t), 4 + 3 + 100);
	mb_topn_free(&t);
}

static void test_two_keys(void **state)
{
	struct mb_topn t;
	char k1[16], k2[16];

	assert_int_equal(mb_topn_init(&t, 2), 0);
	assert_int_equal(mb_topn_add(&t, "sh", "exim4", 1), 0);
	assert_int_equal(mb_topn_add(&t, "sh", "dovecot", 1), 0);
	/* Full: a new pair goes to (k1, "other"). */
	assert_int_equal(mb_topn_add(&t, "sh", "master", 5), 0);
	assert_int_equal(mb_topn_add(&t, "cron", "master", 7), 0);
	assert_int_equal(value_of(&t, "sh", MB_TOPN_OTHER), 5);
	assert_int_equal(value_of(&t, "cron", MB_TOPN_OTHER), 7);
	/* The overflow buckets are bounded too: then ("other", "other"). */
	for (int i = 0; i < 50; i++) {
		snprintf(k1, sizeof(k1), "c%d", i);
		snprintf(k2, sizeof(k2), "d%d", i);
		assert_int_equal(mb_topn_add(&t, k1, k2, 1), 0);
	}
	assert_int_equal(value_of(&t, MB_TOPN_OTHER, MB_TOPN_OTHER), 50);
	assert_true(mb_topn_count(&t) <= 2 * 2 + 1);
	assert_int_equal(total(&t), 2 + 5 + 7 + 50);
	mb_topn_free(&t);
}

static void test_bounded_memory(void **state)
{
	struct mb_topn t;
	char k1[16], k2[16];
	uint64_t sum = 0;

	assert_int_equal(mb_topn_init(&t, 10), 0);
	for (int i = 0; i < 5000; i++) {
		snprintf(k1, sizeof(k1), "p%d", i % 97);
		snprintf(k2, sizeof(k2), "q%d", i);
		assert_int_equal(mb_topn_add(&t, k1, k2, (uint64_t)i), 0);
		sum += (uint64_t)i;
	}
	assert_true(mb_topn_count(&t) <= 2 * 10 + 1);
	assert_true(t.cap <= 2 * 10 + 2);
	assert_int_equal(total(&t), sum);
	mb_topn_free(&t);
}

static void test_max(void **state)
{
	struct mb_topn t;

	assert_int_equal(mb_topn_init(&t, 1), 0);
	assert_int_equal(mb_topn_max(&t, "a", NULL, 10), 0);
	assert_int_equal(mb_topn_max(&t, "a", NULL, 3), 0);
	assert_int_equal(value_of(&t, "a", ""), 10);
	assert_int_equal(mb_topn_max(&t, "a", NULL, 11), 0);
	assert_int_equal(value_of(&t, "a", ""), 11);
	/* Overflow keeps the maximum of the newcomers. */
	assert_int_equal(mb_topn_max(&t, "b", NULL, 4), 0);
	assert_int_equal(mb_topn_max(&t, "c", NULL, 9), 0);
	assert_int_equal(mb_topn_max(&t, "d", NULL, 2), 0);
	assert_int_equal(value_of(&t, MB_TOPN_OTHER, ""), 9);
	mb_topn_free(&t);
}

static void test_long_keys(void **state)
{
	struct mb_topn t;
	char a[MB_TOPN_KEY_LEN + 10], b[MB_TOPN_KEY_LEN + 10];

	/* Two keys equal in their stored (cut) form are one bucket. */
	memset(a, 'x', sizeof(a) - 1);
	a[sizeof(a) - 1] = '\0';
	memcpy(b, a, sizeof(b));
	b[sizeof(b) - 2] = 'y';
	assert_int_equal(mb_topn_init(&t, 1), 0);
	assert_int_equal(mb_topn_add(&t, a, NULL, 1), 0);
	assert_int_equal(mb_topn_add(&t, b, NULL, 1), 0);
	assert_int_equal(mb_topn_count(&t), 1);
	assert_int_equal(mb_topn_at(&t, 0)->v, 2);
	assert_int_equal(strlen(mb_topn_at(&t, 0)->k1), MB_TOPN_KEY_LEN - 1);
	/* NULL k1 is the empty key, not a crash. */
	assert_int_equal(mb_topn_add(&t, NULL, NULL, 1), 0);
	assert_int_equal(value_of(&t, MB_TOPN_OTHER, ""), 1);
	mb_topn_free(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_init),	 cmocka_unit_test(test_one_key),
		cmocka_unit_test(test_two_keys), cmocka_unit_test(test_bounded_memory),
		cmocka_unit_test(test_max),	 cmocka_unit_test(test_long_keys),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
