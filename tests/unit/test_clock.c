// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The two clocks every timestamp goes through: mb_boot_ns() is the
 * kernel's ts_ns clock, so it must agree with CLOCK_BOOTTIME and never go
 * back; mb_boot_to_wall_ns() dates those timestamps, so boot time plus it
 * must be the wall clock now.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <time.h>
#include <cmocka.h>
#include "clock.h"

static uint64_t ns_of(clockid_t id)
{
	struct timespec ts;

	assert_int_equal(clock_gettime(id, &ts), 0);
	return (uint64_t)ts.tv_sec * NS_PER_SEC + (uint64_t)ts.tv_nsec;
}

static void test_boot_ns(void **state)
{
	uint64_t before = ns_of(CLOCK_BOOTTIME);
	uint64_t t = mb_boot_ns();
	uint64_t after = ns_of(CLOCK_BOOTTIME);

	assert_true(before <= t && t <= after);
	/* Boot time, not a wall clock: far below 2001 in ns since the epoch. */
	assert_true(t < 1000000000ULL * NS_PER_SEC);
	for (int i = 0; i < 1000; i++) {
		uint64_t n = mb_boot_ns();

		assert_true(n >= t);
		t = n;
	}
}

static void test_boot_to_wall(void **state)
{
	int64_t off = mb_boot_to_wall_ns();
	uint64_t boot = mb_boot_ns();
	uint64_t wall = ns_of(CLOCK_REALTIME);
	int64_t diff = (int64_t)(boot + (uint64_t)off) - (int64_t)wall;

	/* Positive since the epoch is long before boot. */
	assert_true(off > 0);
	/* Within a second of the wall clock, however busy the machine. */
	assert_true(diff > -(int64_t)NS_PER_SEC && diff < (int64_t)NS_PER_SEC);
	/* Stable between calls unless someone sets the clock. */
	diff = mb_boot_to_wall_ns() - off;
	assert_true(diff > -(int64_t)NS_PER_SEC && diff < (int64_t)NS_PER_SEC);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_boot_ns),
		cmocka_unit_test(test_boot_to_wall),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
