// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * delta.c: the kernel's running counts turned into increments. A key's
 * first count is all new; a count that went down is a key that was
 * evicted and came back (counted from its new value); a key missing for
 * one interval starts again from nothing; the snapshot grows past its
 * first 64 slots without losing a key; keys are compared on their first
 * MB_DELTA_KEY bytes, zero-padded.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "delta.h"

static struct mb_delta d;

static int setup(void **state)
{
	(void)state;
	return mb_delta_init(&d);
}

static int teardown(void **state)
{
	(void)state;
	mb_delta_free(&d);
	return 0;
}

static uint64_t feed(const char *key, uint64_t cur)
{
	return mb_delta_feed(&d, key, strlen(key), cur);
}

static void test_increments(void **state)
{
	(void)state;
	assert_int_equal(feed("exec_e2big", 5), 5); /* first sight: all of it */
	assert_int_equal(feed("fs_error", 0), 0);
	mb_delta_begin(&d);
	assert_int_equal(feed("exec_e2big", 8), 3);
	assert_int_equal(feed("fs_error", 0), 0);
	mb_delta_begin(&d);
	assert_int_equal(feed("exec_e2big", 8), 0); /* no change */
	assert_int_equal(feed("fs_error", 4), 4);
	assert_int_equal(d.cur.n, 2);
}

/* Fed twice in one interval: both against the last interval, the last value kept. */
static void test_fed_twice(void **state)
{
	(void)state;
	feed("k", 5);
	mb_delta_begin(&d);
	assert_int_equal(feed("k", 7), 2);
	assert_int_equal(feed("k", 9), 4);
	assert_int_equal(d.cur.n, 1);
	mb_delta_begin(&d);
	assert_int_equal(feed("k", 10), 1);
}

/* Evicted from the kernel's map and re-inserted: the count starts again from 1. */
static void test_evicted_comes_back(void **state)
{
	(void)state;
	feed("reload", 100);
	mb_delta_begin(&d);
	assert_int_equal(feed("reload", 1), 1); /* smaller: a new life, not -99 */
	mb_delta_begin(&d);
	assert_int_equal(feed("reload", 3), 2); /* and counted on from there */
}

/* A key absent for one interval is not carried over: it comes back whole. */
static void test_vanished_comes_back(void **state)
{
	(void)state;
	feed("a", 7);
	feed("b", 1);
	mb_delta_begin(&d);
	feed("b", 2); /* "a" is not in the kernel's map this time */
	assert_int_equal(d.cur.n, 1);
	mb_delta_begin(&d);
	assert_int_equal(feed("a", 9), 9);
	assert_int_equal(feed("b", 2), 0);
	/* begin empties this interval's snapshot */
	mb_delta_begin(&d);
	assert_int_equal(d.cur.n, 0);
}

/* Past the first 64 slots: the tables double, at most half full, and no key is lost. */
static void test_growth(void **state)
{
	enum { N = 1000 };
	uint32_t key[4] = {};

	(void)state;
	assert_int_equal(d.cur.cap, 64);
	for (uint32_t i = 0; i < N; i++) {
		key[1] = i;
		assert_int_equal(mb_delta_feed(&d, key, sizeof(key), i), i);
	}
	assert_int_equal(d.cur.n, N);
	assert_true(d.cur.cap >= 2 * N);
	assert_int_equal(d.cur.cap & (d.cur.cap - 1), 0); /* a power of two */
	mb_delta_begin(&d);
	assert_int_equal(d.cur.n, 0);
	for (uint32_t i = 0; i < N; i++) {
		key[1] = i;
		assert_int_equal(mb_delta_feed(&d, key, sizeof(key), i + 3), 3);
	}
	/* The other table grew too, and only the keys seen twice are in it. */
	assert_int_equal(d.cur.n, N);
	assert_true(d.cur.cap >= 2 * N);
	mb_delta_begin(&d);
	for (uint32_t i = 0; i < N; i += 2) {
		key[1] = i;
		assert_int_equal(mb_delta_feed(&d, key, sizeof(key), i + 3), 0);
	}
	mb_delta_begin(&d);
	for (uint32_t i = 0; i < N; i++) {
		key[1] = i;
		/* Odd keys missed an interval: they come back whole. */
		assert_int_equal(mb_delta_feed(&d, key, sizeof(key), i + 3), i % 2 ? i + 3 : 0);
	}
	assert_int_equal(d.cur.n, N);
}

/* Keys are their first MB_DELTA_KEY bytes, zero-padded. */
static void test_key_bytes(void **state)
{
	uint8_t long1[MB_DELTA_KEY + 8], long2[MB_DELTA_KEY + 8];

	(void)state;
	memset(long1, 'x', sizeof(long1));
	memcpy(long2, long1, sizeof(long2));
	long2[MB_DELTA_KEY + 3] = 'y'; /* past the compared bytes */
	assert_int_equal(mb_delta_feed(&d, "abc", 3, 4), 4);
	assert_int_equal(mb_delta_feed(&d, long1, sizeof(long1), 10), 10);
	mb_delta_begin(&d);
	assert_int_equal(mb_delta_feed(&d, "abc\0\0", 5, 6), 2); /* same key */
	assert_int_equal(mb_delta_feed(&d, "abd", 3, 6), 6); /* another */
	assert_int_equal(mb_delta_feed(&d, long2, sizeof(long2), 11), 1);
	assert_int_equal(d.cur.n, 3);
}

static void test_free_and_reinit(void **state)
{
	struct mb_delta e;

	(void)state;
	assert_int_equal(mb_delta_init(&e), 0);
	assert_int_equal(e.cur.n, 0);
	assert_int_equal(e.old.cap, 64);
	mb_delta_feed(&e, "x", 1, 1);
	mb_delta_free(&e);
	assert_null(e.cur.slots);
	assert_null(e.old.slots);
	assert_int_equal(e.cur.cap, 0);
	mb_delta_free(&e); /* twice is harmless */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_increments, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fed_twice, setup, teardown),
		cmocka_unit_test_setup_teardown(test_evicted_comes_back, setup, teardown),
		cmocka_unit_test_setup_teardown(test_vanished_comes_back, setup, teardown),
		cmocka_unit_test_setup_teardown(test_growth, setup, teardown),
		cmocka_unit_test_setup_teardown(test_key_bytes, setup, teardown),
		cmocka_unit_test(test_free_and_reinit),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
