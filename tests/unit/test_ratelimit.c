// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * One alert per (kind, key) per gap. What the limiter holds back must come
 * out as the next alert's suppressed count (nothing is lost while the key
 * keeps its slot), keys must not share a gap, a clock that steps back must
 * not open the gate, and a full table must give up its least recently
 * seen key.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include "clock.h"
#include "ratelimit.h"

#define GAP (60 * NS_PER_SEC)
#define T0 (1000 * NS_PER_SEC)

static struct mb_rl_slot slots[4];

static int setup(void **state)
{
	memset(slots, 0, sizeof(slots));
	return 0;
}

static int64_t rl(int kind, uint32_t dev, const char *name, uint64_t now, uint64_t sup)
{
	return mb_rate_limit(slots, 4, GAP, kind, dev, name, now, sup);
}

static void test_gap(void **state)
{
	assert_int_equal(rl(1, 0, "/usr/sbin/exim4", T0, 0), 0);
	assert_int_equal(rl(1, 0, "/usr/sbin/exim4", T0 + 1, 0), -1);
	assert_int_equal(rl(1, 0, "/usr/sbin/exim4", T0 + GAP - 1, 0), -1);
	/* Exactly one gap later the next alert goes out, carrying the two folded. */
	assert_int_equal(rl(1, 0, "/usr/sbin/exim4", T0 + GAP, 0), 2);
	assert_int_equal(rl(1, 0, "/usr/sbin/exim4", T0 + GAP + 1, 0), -1);
	assert_int_equal(rl(1, 0, "/usr/sbin/exim4", T0 + 3 * GAP, 0), 1);
	/* Nothing folded since: 0. */
	assert_int_equal(rl(1, 0, "/usr/sbin/exim4", T0 + 5 * GAP, 0), 0);
}

static void test_kernel_folded(void **state)
{
	/* The first record already stands for 5 the kernel folded. */
	assert_int_equal(rl(2, 8, NULL, T0, 5), 5);
	/* A held-back record counts itself and what it carries. */
	assert_int_equal(rl(2, 8, NULL, T0 + 1, 3), -1);
	assert_int_equal(rl(2, 8, NULL, T0 + 2, 0), -1);
	assert_int_equal(rl(2, 8, NULL, T0 + GAP, 10), 4 + 1 + 10);
}

static void test_keys_apart(void **state)
{
	assert_int_equal(rl(1, 0, "a", T0, 0), 0);
	/* Another name, another device, another kind: each its own gap. */
	assert_int_equal(rl(1, 0, "b", T0, 0), 0);
	assert_int_equal(rl(1, 7, "a", T0, 0), 0);
	assert_int_equal(rl(2, 0, "a", T0, 0), 0);
	assert_int_equal(rl(1, 0, "a", T0 + 1, 0), -1);
	/* NULL and "" are the same (numeric-only) key. */
	assert_int_equal(rl(3, 9, NULL, T0, 0), 0);
	assert_int_equal(rl(3, 9, "", T0 + 1, 0), -1);
}

static void test_clock_back(void **state)
{
	assert_int_equal(rl(1, 1, NULL, T0, 0), 0);
	/* A timestamp before the last alert (reordered records) is folded. */
	assert_int_equal(rl(1, 1, NULL, T0 - 10 * GAP, 0), -1);
	assert_int_equal(rl(1, 1, NULL, T0 + GAP, 0), 1);
}

static void test_eviction(void **state)
{
	assert_int_equal(rl(1, 1, NULL, T0 + 1, 0), 0);
	assert_int_equal(rl(1, 2, NULL, T0 + 2, 0), 0);
	assert_int_equal(rl(1, 3, NULL, T0 + 3, 0), 0);
	assert_int_equal(rl(1, 4, NULL, T0 + 4, 0), 0);
	/* Dev 1 is seen again: dev 2 is now the least recently seen. */
	assert_int_equal(rl(1, 1, NULL, T0 + 5, 0), -1);
	assert_int_equal(rl(1, 5, NULL, T0 + 6, 0), 0);
	/* Dev 2 lost its slot: its next record is a fresh alert, not folded. */
	assert_int_equal(rl(1, 2, NULL, T0 + 7, 0), 0);
	/* Dev 1 kept its slot (and its fold). */
	assert_int_equal(rl(1, 1, NULL, T0 + 8, 0), -1);
	for (int i = 0; i < 4; i++)
		assert_true(slots[i].used);
}

static void test_long_name(void **state)
{
	char name[MB_PATH_LEN + 32];

	memset(name, 'p', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	assert_int_equal(rl(1, 0, name, T0, 0), 0);
	/* Stored terminated, within its slot. */
	assert_int_equal(strnlen(slots[0].name, sizeof(slots[0].name)), MB_PATH_LEN - 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_gap, setup),
		cmocka_unit_test_setup(test_kernel_folded, setup),
		cmocka_unit_test_setup(test_keys_apart, setup),
		cmocka_unit_test_setup(test_clock_back, setup),
		cmocka_unit_test_setup(test_eviction, setup),
		cmocka_unit_test_setup(test_long_name, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
