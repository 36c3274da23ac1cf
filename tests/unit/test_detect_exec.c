// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Exec failure detector tests: E2BIG forensics for both kernel limits with
 * exact byte counts, ENOENT silence, and per-(kind, program) rate limiting
 * driven by a fake CLOCK_BOOTTIME.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include "caught.h"
#include "detect_exec.h"
#include "names.h"

#define T0 (5000 * NS_PER_SEC)
#define IMAP_LOGIN "/usr/lib/dovecot/imap-login"

static struct mb_config cfg;
static struct mb_exec_det *det;

static int setup(void **state)
{
	(void)state;
	mb_config_defaults(&cfg);
	ncaught = 0;
	det = mb_exec_new(&cfg, (struct mb_alert_sink){ .emit = catch_alert });
	return det ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	mb_exec_free(det);
	det = NULL;
	return 0;
}

static struct mb_exec_event exec_ev(uint64_t ts, int err, const char *filename)
{
	struct mb_exec_event e;

	memset(&e, 0, sizeof(e));
	e.hdr.type = err ? MB_EV_EXEC_FAIL : MB_EV_EXEC_NEAR;
	e.hdr.ts_ns = ts;
	e.task.pid = e.task.tgid = 4321;
	e.task.ppid = 1000;
	e.task.uid = 0;
	strcpy(e.task.comm, "dovecot");
	e.task.anc_tgid[0] = 1000;
	strcpy(e.task.anc_comm[0], "dovecot");
	e.task.anc_tgid[1] = 1;
	strcpy(e.task.anc_comm[1], "systemd");
	e.err = err;
	e.limit = 2 * 1024 * 1024;
	e.rlim_stack = 8 * 1024 * 1024;
	strncpy(e.filename, filename, MB_PATH_LEN - 1);
	return e;
}

static void test_enoent_never_alerts(void **state)
{
	struct mb_exec_event e;
	int i;

	(void)state;
	for (i = 0; i < 200; i++) {
		/* Distinct programs and 61 s apart: no rate limit could hide an alert. */
		char path[64];

		snprintf(path, sizeof(path), "/usr/local/sbin/prog%d", i % 7);
		e = exec_ev(T0 + (uint64_t)i * 61 * NS_PER_SEC, ENOENT, path);
		e.flags = MB_EXEC_F_SIZES;
		mb_exec_feed(det, &e);
	}
	assert_int_equal(ncaught, 0);
}

static void test_e2big_strlen(void **state)
{
	struct mb_exec_event e = exec_ev(T0, E2BIG, IMAP_LOGIN);
	char buf[256];
	const struct mb_alert *a;

	(void)state;
	e.flags = MB_EXEC_F_SIZES;
	e.argc = 2;
	e.argv_bytes = 40;
	e.envc = 4;
	e.env_bytes = MB_MAX_ARG_STRLEN + 100 + 60;
	e.longest = MB_MAX_ARG_STRLEN + 100;
	e.longest_idx = 3;
	e.longest_is_env = 1;
	assert_true(mb_exec_forensics(&e, buf, sizeof(buf)) > 0);
	assert_string_equal(buf, "envp[3] is 131172 bytes, 100 over MAX_ARG_STRLEN (131072)");

	mb_exec_feed(det, &e);
	assert_int_equal(ncaught, 1);
	a = &caught[0];
	assert_string_equal(a->kind, "exec_e2big");
	assert_int_equal(a->severity, MB_SEV_CRITICAL);
	assert_string_equal(sfield(a, "program"), "imap-login");
	assert_string_equal(sfield(a, "filename"), IMAP_LOGIN);
	assert_string_equal(sfield(a, "limit_hit"), "max_arg_strlen");
	assert_int_equal(ifield(a, "over_by"), 100);
	assert_int_equal(ifield(a, "pid"), 4321);
	assert_int_equal(ifield(a, "ppid"), 1000);
	assert_string_equal(sfield(a, "comm"), "dovecot");
	assert_string_equal(sfield(a, "parent_chain"), "dovecot<dovecot<systemd");
	assert_int_equal(ifield(a, "longest"), MB_MAX_ARG_STRLEN + 100);
	assert_int_equal(ifield(a, "limit"), 2 * 1024 * 1024);
	assert_int_equal(ifield(a, "rlim_stack"), 8 * 1024 * 1024);
	assert_int_equal(ifield(a, "suppressed"), 0);
	assert_non_null(strstr(a->summary, "E2BIG: envp[3] is 131172 bytes"));

	/* argv side: one byte over, as the measured length includes the NUL. */
	e.longest_is_env = 0;
	e.longest_idx = 1;
	e.longest = MB_MAX_ARG_STRLEN + 1;
	mb_exec_forensics(&e, buf, sizeof(buf));
	assert_string_equal(buf, "argv[1] is 131073 bytes, 1 over MAX_ARG_STRLEN (131072)");

	/* The kernel saw an oversized string but could not size it. */
	e.flags = MB_EXEC_F_SIZES | MB_EXEC_F_OVER_STRLEN;
	e.longest = 4096;
	mb_exec_forensics(&e, buf, sizeof(buf));
	assert_non_null(strstr(buf, "over MAX_ARG_STRLEN (131072); its size was not measured"));
}

static void test_e2big_total(void **state)
{
	struct mb_exec_event e = exec_ev(T0, E2BIG, IMAP_LOGIN);
	struct mb_exec_verdict v;
	const struct mb_alert *a;
	char buf[512];
	uint64_t used;

	(void)state;
	e.flags = MB_EXEC_F_SIZES;
	e.argc = 3;
	e.argv_bytes = 1000;
	e.envc = 500;
	e.env_bytes = 2100000;
	e.longest = 4000;
	/* 1000 + 2100000 + strlen(IMAP_LOGIN)+1 (28) + (3 + 500) * 8 (4024) */
	used = 1000 + 2100000 + 28 + 4024;
	assert_int_equal(mb_exec_used(&e), used);
	mb_exec_analyze(&e, &v);
	assert_int_equal(v.hit, MB_EXEC_LIMIT_TOTAL);
	assert_int_equal(v.over_by, used - 2097152);
	assert_int_equal(v.over_by, 7900);
	mb_exec_forensics(&e, buf, sizeof(buf));
	assert_non_null(strstr(buf, "need 2105052 bytes"));
	assert_non_null(strstr(buf, "7900 over the limit 2097152"));

	mb_exec_feed(det, &e);
	assert_int_equal(ncaught, 1);
	a = &caught[0];
	assert_string_equal(sfield(a, "limit_hit"), "total");
	assert_int_equal(ifield(a, "over_by"), 7900);
	assert_int_equal(ifield(a, "argc"), 3);
	assert_int_equal(ifield(a, "argv_bytes"), 1000);
	assert_int_equal(ifield(a, "envc"), 500);
	assert_int_equal(ifield(a, "env_bytes"), 2100000);

	/* argc 0 still counts one pointer; one byte under is not over. */
	e.argc = 0;
	e.argv_bytes = 0;
	e.env_bytes = 2097152 - 28 - 501 * 8;
	assert_int_equal(mb_exec_used(&e), 2097152);
	mb_exec_analyze(&e, &v);
	assert_int_equal(v.hit, MB_EXEC_LIMIT_UNKNOWN);
	e.env_bytes++;
	mb_exec_analyze(&e, &v);
	assert_int_equal(v.hit, MB_EXEC_LIMIT_TOTAL);
	assert_int_equal(v.over_by, 1);

	/* A limit the kernel left 0 is derived from RLIMIT_STACK: min(64M / 4, 6M). */
	e.limit = 0;
	e.rlim_stack = 64 * 1024 * 1024;
	mb_exec_analyze(&e, &v);
	assert_int_equal(v.limit, 6 * 1024 * 1024);
	assert_int_equal(v.hit, MB_EXEC_LIMIT_UNKNOWN);
}

static void test_e2big_sizes_unknown(void **state)
{
	struct mb_exec_event e = exec_ev(T0, E2BIG, IMAP_LOGIN);
	char buf[256];

	(void)state;
	e.argc = 3;
	e.env_bytes = 9999999; /* not measured: must not be trusted */
	mb_exec_forensics(&e, buf, sizeof(buf));
	assert_non_null(strstr(buf, "sizes unknown"));
	mb_exec_feed(det, &e);
	assert_int_equal(ncaught, 1);
	assert_string_equal(sfield(&caught[0], "limit_hit"), "unknown");
	assert_int_equal(ifield(&caught[0], "over_by"), 0);
	assert_int_equal(mb_exec_forensics(NULL, buf, sizeof(buf)), -EINVAL);
	assert_int_equal(mb_exec_forensics(&e, buf, 0), -EINVAL);
	/* Truncating like snprintf: the return says how long it would be. */
	assert_true(mb_exec_forensics(&e, buf, 8) > 8);
	assert_int_equal(strlen(buf), 7);
}

static void test_rate_limit(void **state)
{
	struct mb_exec_event e;
	int i;

	(void)state;
	/* 10 identical failures within a minute, each with 2 folded by the kernel. */
	for (i = 0; i < 10; i++) {
		e = exec_ev(T0 + (uint64_t)i * NS_PER_SEC, E2BIG, IMAP_LOGIN);
		e.suppressed = 2;
		mb_exec_feed(det, &e);
	}
	assert_int_equal(ncaught, 1);
	assert_int_equal(ifield(&caught[0], "suppressed"), 2);

	/* Another program and another kind are limited separately. */
	e = exec_ev(T0 + 10 * NS_PER_SEC, E2BIG, "/usr/lib/dovecot/pop3-login");
	mb_exec_feed(det, &e);
	e = exec_ev(T0 + 10 * NS_PER_SEC, EACCES, IMAP_LOGIN);
	mb_exec_feed(det, &e);
	assert_int_equal(ncaught, 3);
	assert_string_equal(caught[2].kind, "exec_failure");

	/* After 60 s the next alert carries the 9 * (1 + 2) held back plus its own 2. */
	e = exec_ev(T0 + 60 * NS_PER_SEC, E2BIG, IMAP_LOGIN);
	e.suppressed = 2;
	mb_exec_feed(det, &e);
	assert_int_equal(ncaught, 4);
	assert_int_equal(ifield(&caught[3], "suppressed"), 29);
	assert_non_null(strstr(caught[3].summary, "(29 similar suppressed)"));

	/* And the count starts over. */
	e = exec_ev(T0 + 121 * NS_PER_SEC, E2BIG, IMAP_LOGIN);
	mb_exec_feed(det, &e);
	assert_int_equal(ncaught, 5);
	assert_int_equal(ifield(&caught[4], "suppressed"), 0);
}

static void test_other_errno(void **state)
{
	struct mb_exec_event e = exec_ev(T0, EACCES, "/usr/sbin/exim4");
	const struct mb_alert *a;

	(void)state;
	mb_exec_feed(det, &e);
	assert_int_equal(ncaught, 1);
	a = &caught[0];
	assert_string_equal(a->kind, "exec_failure");
	assert_int_equal(a->severity, MB_SEV_WARNING);
	assert_string_equal(sfield(a, "errno"), "EACCES");
	assert_string_equal(sfield(a, "program"), "exim4");
	assert_non_null(strstr(a->summary, "failed with EACCES"));

	/* A record with no error and no near-miss type is nothing to report. */
	e = exec_ev(T0, 0, "/bin/true");
	e.hdr.type = MB_EV_EXEC_FAIL;
	mb_exec_feed(det, &e);
	assert_int_equal(ncaught, 1);
}

static void test_near_miss(void **state)
{
	struct mb_exec_event e = exec_ev(T0, 0, IMAP_LOGIN);
	const struct mb_alert *a;

	(void)state;
	e.flags = MB_EXEC_F_SIZES;
	e.argc = 1;
	e.argv_bytes = 28;
	e.envc = 1;
	/* 28 + env + 28 + 2 * 8 = 1572864, i.e. 75% of 2 MiB */
	e.env_bytes = 1572864 - 28 - 28 - 16;
	mb_exec_feed(det, &e);
	assert_int_equal(ncaught, 1);
	a = &caught[0];
	assert_string_equal(a->kind, "exec_near_miss");
	assert_int_equal(a->severity, MB_SEV_WARNING);
	assert_int_equal(ifield(a, "used"), 1572864);
	assert_int_equal(ifield(a, "limit"), 2097152);
	assert_int_equal(ifield(a, "percent"), 75);
	assert_non_null(strstr(a->summary, "used 75% of its argument limit"));
	mb_exec_feed(det, &e);
	assert_int_equal(ncaught, 1);
}

/* The culprit by name: the env variable's name, never an argv string's text. */
static void test_e2big_env_name(void **state)
{
	struct mb_exec_event e = exec_ev(T0, E2BIG, "/usr/bin/doveconf");
	char buf[256], name[MB_ENV_NAME_LEN];
	const struct mb_alert *a;

	(void)state;
	e.flags = MB_EXEC_F_SIZES | MB_EXEC_F_OVER_STRLEN;
	e.argc = 1;
	e.envc = 8;
	e.longest = 219605;
	e.longest_idx = 7;
	e.longest_is_env = 1;
	strcpy(e.longest_name, "SSL_CA=-----BEGIN CERTIFICATE-----");
	assert_int_equal(mb_exec_env_name(&e, name, sizeof(name)), 6);
	assert_string_equal(name, "SSL_CA");
	mb_exec_forensics(&e, buf, sizeof(buf));
	assert_string_equal(buf,
			    "SSL_CA (envp[7]) is 219605 bytes, 88533 over MAX_ARG_STRLEN (131072)");
	mb_exec_feed(det, &e);
	assert_int_equal(ncaught, 1);
	a = &caught[0];
	assert_string_equal(sfield(a, "longest_name"), "SSL_CA");
	assert_string_equal(sfield(a, "longest_at"), "envp[7]");
	assert_non_null(strstr(a->summary, "E2BIG: SSL_CA (envp[7]) is 219605 bytes"));

	/* A name without '=' in its first 63 bytes is cut there, still a name. */
	memset(e.longest_name, 'A', sizeof(e.longest_name));
	assert_int_equal(mb_exec_env_name(&e, name, sizeof(name)), MB_ENV_NAME_LEN - 1);
	/* An argv string is never named: it can hold a password. */
	e.longest_is_env = 0;
	strcpy(e.longest_name, "secret=hunter2");
	assert_int_equal(mb_exec_env_name(&e, name, sizeof(name)), 0);
	assert_string_equal(name, "");
	mb_exec_forensics(&e, buf, sizeof(buf));
	assert_null(strstr(buf, "secret"));
}

/* One string at 92 % of MAX_ARG_STRLEN in a 6 % total: the warning names it. */
static void test_near_miss_one_string(void **state)
{
	struct mb_exec_event e = exec_ev(T0, 0, "/usr/bin/doveconf");
	const struct mb_alert *a;

	(void)state;
	e.flags = MB_EXEC_F_SIZES | MB_EXEC_F_NEAR_STRLEN;
	e.argc = 1;
	e.argv_bytes = 9;
	e.envc = 8;
	e.env_bytes = 121000;
	e.longest = 120008;
	e.longest_idx = 7;
	e.longest_is_env = 1;
	strcpy(e.longest_name, "SSL_CA=xxxx");
	mb_exec_feed(det, &e);
	assert_int_equal(ncaught, 1);
	a = &caught[0];
	assert_string_equal(a->kind, "exec_near_miss");
	assert_string_equal(sfield(a, "limit_name"), "max_arg_strlen");
	assert_int_equal(ifield(a, "limit"), MB_MAX_ARG_STRLEN);
	assert_int_equal(ifield(a, "used"), 120008);
	assert_int_equal(ifield(a, "percent"), 91);
	assert_string_equal(sfield(a, "longest_name"), "SSL_CA");
	assert_non_null(strstr(a->summary, "passed SSL_CA (envp[7]) of 120008 bytes, 91% of "
					   "MAX_ARG_STRLEN (131072)"));
}

static void test_table_bounded(void **state)
{
	struct mb_exec_event e;
	char path[64];
	int i;

	(void)state;
	for (i = 0; i < MB_EXEC_TABLE + 44; i++) {
		snprintf(path, sizeof(path), "/usr/bin/p%d", i);
		e = exec_ev(T0 + (uint64_t)i * NS_PER_MS, EPERM, path);
		mb_exec_feed(det, &e);
	}
	assert_int_equal(ncaught, MB_EXEC_TABLE + 44);
	/* A recent program is still limited; the oldest one was evicted. */
	e = exec_ev(T0 + NS_PER_SEC, EPERM, "/usr/bin/p299");
	mb_exec_feed(det, &e);
	assert_int_equal(ncaught, MB_EXEC_TABLE + 44);
	e = exec_ev(T0 + NS_PER_SEC, EPERM, "/usr/bin/p0");
	mb_exec_feed(det, &e);
	assert_int_equal(ncaught, MB_EXEC_TABLE + 45);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_enoent_never_alerts, setup, teardown),
		cmocka_unit_test_setup_teardown(test_e2big_strlen, setup, teardown),
		cmocka_unit_test_setup_teardown(test_e2big_total, setup, teardown),
		cmocka_unit_test_setup_teardown(test_e2big_sizes_unknown, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rate_limit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_other_errno, setup, teardown),
		cmocka_unit_test_setup_teardown(test_near_miss, setup, teardown),
		cmocka_unit_test_setup_teardown(test_e2big_env_name, setup, teardown),
		cmocka_unit_test_setup_teardown(test_near_miss_one_string, setup, teardown),
		cmocka_unit_test_setup_teardown(test_table_bounded, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
