/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Shared by the detector tests: an alert sink that keeps what a detector
 * raised, and typed access to an alert's fields that fails the test when a
 * field is missing or of the wrong type.
 */
#ifndef MAILBPF_TEST_CAUGHT_H
#define MAILBPF_TEST_CAUGHT_H

#include <string.h>
#include "alert.h"
#include "mounts.h"

#define MAX_CAUGHT 512
#define MB_TEST_HELPER __attribute__((unused)) static

static struct mb_alert caught[MAX_CAUGHT];
static int ncaught;

MB_TEST_HELPER void catch_alert(void *ctx, const struct mb_alert *a)
{
	(void)ctx;
	if (ncaught < MAX_CAUGHT)
		caught[ncaught] = *a;
	ncaught++;
}

MB_TEST_HELPER const struct mb_field *field(const struct mb_alert *a, const char *key)
{
	int i;

	for (i = 0; i < a->nfields; i++)
		if (!strcmp(a->fields[i].key, key))
			return &a->fields[i];
	fail_msg("alert %s has no field %s", a->kind, key);
	return NULL;
}

MB_TEST_HELPER int64_t ifield(const struct mb_alert *a, const char *key)
{
	const struct mb_field *f = field(a, key);

	assert_int_equal(f->type, MB_F_INT);
	return f->i;
}

MB_TEST_HELPER const char *sfield(const struct mb_alert *a, const char *key)
{
	const struct mb_field *f = field(a, key);

	assert_int_equal(f->type, MB_F_STR);
	return f->s;
}

#endif
