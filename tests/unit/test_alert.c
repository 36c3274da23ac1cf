// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The alert kinds table and the alert builders. A kind's name is the alert
 * log's `kind` and a metric label, its alertname what Alertmanager routes
 * on: both must exist, be unique and look like what rules match, and a name
 * must lead back to its kind. The builders must never overrun: a field too
 * long is cut, a field too many is dropped, the alert itself survives.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include "alert.h"
#include "names.h"

static void test_kinds_named(void **state)
{
	for (int i = 0; i < MB_AK_MAX; i++) {
		const struct mb_alert_kind_info *k = &mb_alert_kinds[i];

		assert_non_null(k->name);
		assert_non_null(k->alertname);
		assert_true(k->name[0]);
		/* Kind names are label values and JSON keys: lower snake case. */
		for (const char *c = k->name; *c; c++)
			assert_true(islower((unsigned char)*c) || isdigit((unsigned char)*c) ||
				    *c == '_');
		/* Alertnames are CamelCase with the Mailbpf prefix, no spaces. */
		assert_int_equal(strncmp(k->alertname, "Mailbpf", 7), 0);
		assert_true(isupper((unsigned char)k->alertname[7]));
		for (const char *c = k->alertname; *c; c++)
			assert_true(isalnum((unsigned char)*c));
	}
}

static void test_kinds_unique(void **state)
{
	for (int i = 0; i < MB_AK_MAX; i++)
		for (int j = 0; j < i; j++) {
			assert_string_not_equal(mb_alert_kinds[i].name, mb_alert_kinds[j].name);
			assert_string_not_equal(mb_alert_kinds[i].alertname,
						mb_alert_kinds[j].alertname);
		}
}

static void test_kind_of_round_trip(void **state)
{
	for (int i = 0; i < MB_AK_MAX; i++)
		assert_int_equal(mb_alert_kind_of(mb_alert_kinds[i].name), i);
	assert_int_equal(mb_alert_kind_of("reload_collision"), MB_AK_RELOAD_COLLISION);
	assert_int_equal(mb_alert_kind_of("textfile_write"), MB_AK_TEXTFILE_WRITE);
	assert_int_equal(mb_alert_kind_of(NULL), -1);
	assert_int_equal(mb_alert_kind_of(""), -1);
	assert_int_equal(mb_alert_kind_of("Reload_Collision"), -1);
	assert_int_equal(mb_alert_kind_of("reload_collision "), -1);
	assert_int_equal(mb_alert_kind_of("MailbpfReloadCollision"), -1);
}

static void test_kind_flags(void **state)
{
	/* The ones that end when their detector says so, and only those. */
	assert_true(mb_alert_kinds[MB_AK_FS_SHUTDOWN].is_state);
	assert_true(mb_alert_kinds[MB_AK_FS_READONLY].is_state);
	assert_true(mb_alert_kinds[MB_AK_DAEMON_EXITED].is_state);
	assert_false(mb_alert_kinds[MB_AK_RELOAD_COLLISION].is_state);
	assert_false(mb_alert_kinds[MB_AK_EXEC_E2BIG].is_state);
	/* The daemon's own textfile trouble is not a host incident. */
	assert_false(mb_alert_kinds[MB_AK_TEXTFILE_WRITE].incident);
	assert_true(mb_alert_kinds[MB_AK_EXEC_E2BIG].incident);
	/* Only filesystem kinds touch the fs state. */
	for (int i = 0; i < MB_AK_MAX; i++)
		if (mb_alert_kinds[i].fs_state)
			assert_int_equal(strncmp(mb_alert_kinds[i].name, "fs_", 3), 0);
}

static void test_start_and_init(void **state)
{
	static struct mb_alert a;

	memset(&a, 0x5a, sizeof(a));
	mb_alert_start(&a, 42, MB_SEV_CRITICAL, MB_AK_FS_SHUTDOWN);
	assert_int_equal(a.ts_ns, 42);
	assert_int_equal(a.severity, MB_SEV_CRITICAL);
	/* The static table string, not a copy. */
	assert_ptr_equal(a.kind, mb_alert_kinds[MB_AK_FS_SHUTDOWN].name);
	assert_int_equal(a.nfields, 0);
	assert_string_equal(a.summary, "");

	mb_alert_start(&a, 1, MB_SEV_INFO, MB_AK_MAX);
	assert_string_equal(a.kind, "alert");
	mb_alert_start(&a, 1, MB_SEV_INFO, (enum mb_alert_kind) - 1);
	assert_string_equal(a.kind, "alert");

	mb_alert_init(&a, 7, MB_SEV_WARNING, "made_up");
	assert_string_equal(a.kind, "made_up");
	assert_int_equal(a.ts_ns, 7);
}

static void test_fields(void **state)
{
	static struct mb_alert a;
	char big[MB_FIELD_LEN * 2];

	mb_alert_init(&a, 0, MB_SEV_WARNING, "exec_e2big");
	mb_alert_str(&a, "program", "/usr/sbin/exim4");
	mb_alert_int(&a, "argc", -3);
	mb_alert_str(&a, "empty", NULL);
	mb_alert_str(&a, NULL, "no key: dropped");
	mb_alert_int(&a, NULL, 1);
	assert_int_equal(a.nfields, 3);
	assert_string_equal(a.fields[0].key, "program");
	assert_int_equal(a.fields[0].type, MB_F_STR);
	assert_string_equal(a.fields[0].s, "/usr/sbin/exim4");
	assert_string_equal(a.fields[1].key, "argc");
	assert_int_equal(a.fields[1].type, MB_F_INT);
	assert_int_equal(a.fields[1].i, -3);
	assert_int_equal(a.fields[2].type, MB_F_STR);
	assert_string_equal(a.fields[2].s, "");

	/* A value longer than a field is cut and terminated. */
	memset(big, 'v', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	mb_alert_str(&a, "long", big);
	assert_int_equal(strlen(a.fields[3].s), MB_FIELD_LEN - 1);
}

static void test_fields_full(void **state)
{
	static struct mb_alert a;

	mb_alert_init(&a, 0, MB_SEV_INFO, "x");
	for (int i = 0; i < MB_ALERT_FIELDS + 5; i++)
		mb_alert_int(&a, "n", i);
	assert_int_equal(a.nfields, MB_ALERT_FIELDS);
	/* The first ones are kept, the extra ones dropped. */
	assert_int_equal(a.fields[MB_ALERT_FIELDS - 1].i, MB_ALERT_FIELDS - 1);
	mb_alert_str(&a, "s", "late");
	assert_int_equal(a.nfields, MB_ALERT_FIELDS);
}

static void test_summary(void **state)
{
	static struct mb_alert a;
	char big[1024];

	mb_alert_init(&a, 0, MB_SEV_INFO, "x");
	mb_alert_summary(&a, "%s sent %s to %d", "sh", "SIGHUP", 1234);
	assert_string_equal(a.summary, "sh sent SIGHUP to 1234");

	memset(big, 's', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	mb_alert_summary(&a, "%s", big);
	assert_int_equal(strlen(a.summary), sizeof(a.summary) - 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kinds_named),	   cmocka_unit_test(test_kinds_unique),
		cmocka_unit_test(test_kind_of_round_trip), cmocka_unit_test(test_kind_flags),
		cmocka_unit_test(test_start_and_init),	   cmocka_unit_test(test_fields),
		cmocka_unit_test(test_fields_full),	   cmocka_unit_test(test_summary),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
