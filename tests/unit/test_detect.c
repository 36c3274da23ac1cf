// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * mb_det_new, the constructor every detector uses: it must hand back a
 * zeroed detector holding its own copy of the config (a later reload of the
 * caller's config must not change a running detector) and its sink, and
 * refuse a config whose daemon count would index past its arrays.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "detect.h"

struct fake_det {
	uint64_t before[4];
	struct mb_config cfg;
	int middle;
	struct mb_alert_sink sink;
	uint64_t after[4];
};

static int emitted;

static void emit(void *ctx, const struct mb_alert *a)
{
	(*(int *)ctx)++;
}

static void test_copies(void **state)
{
	static struct mb_config cfg;
	struct mb_alert_sink sink = { emit, &emitted };
	struct mb_alert a;
	struct fake_det *d;

	mb_config_defaults(&cfg);
	d = MB_DET_NEW(struct fake_det, &cfg, sink);
	assert_non_null(d);
	assert_memory_equal(&d->cfg, &cfg, sizeof(cfg));
	assert_ptr_equal(d->sink.emit, emit);
	assert_ptr_equal(d->sink.ctx, &emitted);
	/* Everything else is zero. */
	for (int i = 0; i < 4; i++) {
		assert_int_equal(d->before[i], 0);
		assert_int_equal(d->after[i], 0);
	}
	assert_int_equal(d->middle, 0);

	/* The detector's config is its own. */
	cfg.ndaemons = 0;
	assert_int_not_equal(d->cfg.ndaemons, 0);

	emitted = 0;
	mb_alert_init(&a, 0, MB_SEV_INFO, "x");
	d->sink.emit(d->sink.ctx, &a);
	assert_int_equal(emitted, 1);
	free(d);
}

static void test_refused(void **state)
{
	static struct mb_config cfg;
	struct mb_alert_sink sink = { emit, NULL };

	errno = 0;
	assert_null(MB_DET_NEW(struct fake_det, NULL, sink));
	assert_int_equal(errno, EINVAL);

	mb_config_defaults(&cfg);
	cfg.ndaemons = -1;
	errno = 0;
	assert_null(MB_DET_NEW(struct fake_det, &cfg, sink));
	assert_int_equal(errno, EINVAL);

	cfg.ndaemons = MB_MAX_DAEMONS + 1;
	errno = 0;
	assert_null(MB_DET_NEW(struct fake_det, &cfg, sink));
	assert_int_equal(errno, EINVAL);

	/* The bounds themselves are fine. */
	for (int n = 0; n <= MB_MAX_DAEMONS; n += MB_MAX_DAEMONS) {
		struct fake_det *d;

		cfg.ndaemons = n;
		d = MB_DET_NEW(struct fake_det, &cfg, sink);
		assert_non_null(d);
		assert_int_equal(d->cfg.ndaemons, n);
		free(d);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_copies),
		cmocka_unit_test(test_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
