// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Master gone tests, with a fake clock: Exim's death after a failed re-exec
 * on SIGHUP (named with the reload's senders, resolved by a new master),
 * a master that leaves the scan without a record, exits of processes that
 * were never a known master, and a zombie that must not count as alive.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>
#include "caught.h"
#include "detect_master.h"

#define T0 (7200 * NS_PER_SEC)
#define EXIM 2000

static struct mb_config cfg;
static struct mb_master_det *md;
static int ex; /* exim's index+1 */

static int setup(void **state)
{
	(void)state;
	mb_config_defaults(&cfg);
	ex = mb_config_daemon_for_comm(&cfg, "exim4");
	ncaught = 0;
	md = mb_master_new(&cfg, (struct mb_alert_sink){ .emit = catch_alert });
	return md && ex > 0 ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	mb_master_free(md);
	return 0;
}

static void scan(uint64_t now, uint32_t a, uint32_t b)
{
	mb_master_scan_begin(md);
	if (a)
		mb_master_scan_add(md, ex - 1, a, 60 * NS_PER_SEC);
	if (b)
		mb_master_scan_add(md, ex - 1, b, 60 * NS_PER_SEC);
	mb_master_scan_end(md, now);
}

static struct mb_exit_event master_exit(uint64_t ts, uint32_t pid, uint32_t code)
{
	struct mb_exit_event e;

	memset(&e, 0, sizeof(e));
	e.hdr.type = MB_EV_PROC_EXIT;
	e.hdr.ts_ns = ts;
	e.pid = pid;
	e.ppid = 1;
	e.watched = (uint32_t)ex;
	e.kind = MB_EXIT_MASTER;
	e.exit_code = code;
	e.age_ns = 3600 * NS_PER_SEC;
	strcpy(e.comm, "exim4");
	return e;
}

static void test_exim_reexec_fails(void **state)
{
	struct mb_signal_event hup;
	struct mb_exit_event e = master_exit(T0 + 40 * NS_PER_MS, EXIM, 1 << 8);
	const struct mb_alert *a;

	(void)state;
	assert_int_equal(mb_master_up(md, ex - 1), -1);
	scan(T0 - NS_PER_SEC, EXIM, 0);
	assert_int_equal(mb_master_up(md, ex - 1), 1);
	memset(&hup, 0, sizeof(hup));
	hup.hdr.ts_ns = T0;
	hup.sig = 1;
	hup.sender.tgid = 77;
	strcpy(hup.sender.comm, "cron-reload");
	hup.target_tgid = hup.target_pid = EXIM;
	mb_master_feed_reload(md, ex - 1, &hup);
	mb_master_feed_exit(md, &e);
	assert_int_equal(ncaught, 1);
	a = &caught[0];
	assert_string_equal(a->kind, "daemon_exited");
	assert_int_equal(a->severity, MB_SEV_CRITICAL);
	assert_string_equal(sfield(a, "daemon"), "exim");
	assert_int_equal(ifield(a, "pid"), EXIM);
	assert_string_equal(sfield(a, "status"), "exit 1");
	assert_int_equal(ifield(a, "exit_status"), 1);
	assert_string_equal(sfield(a, "sender1_comm"), "cron-reload");
	assert_int_equal(ifield(a, "gap_ms"), 40);
	assert_string_equal(sfield(a, "new_master"), "none yet");
	assert_non_null(strstr(a->summary, "40 ms after SIGHUP from \"cron-reload\" (pid 77)"));
	assert_int_equal(mb_master_up(md, ex - 1), 0);
	assert_int_equal(mb_master_down(md, ex - 1), 1);

	/* The zombie is still in /proc until reaped: not a master again. */
	scan(T0 + NS_PER_SEC, EXIM, 0);
	assert_int_equal(ncaught, 1);
	assert_int_equal(mb_master_up(md, ex - 1), 0);
	scan(T0 + 2 * NS_PER_SEC, 0, 0);
	assert_int_equal(ncaught, 1);
	/* The admin starts a new daemon. */
	scan(T0 + 30 * NS_PER_SEC, 2100, 0);
	assert_int_equal(ncaught, 2);
	a = &caught[1];
	assert_int_equal(a->severity, MB_SEV_INFO);
	assert_string_equal(sfield(a, "state"), "resolved");
	assert_int_equal(ifield(a, "pid"), 2100);
	assert_int_equal(ifield(a, "old_pid"), EXIM);
	assert_int_equal(ifield(a, "down_ms"), 29960);
	assert_int_equal(mb_master_up(md, ex - 1), 1);
	assert_int_equal(mb_master_down(md, ex - 1), 0);
}

static void test_vanished_and_strangers(void **state)
{
	struct mb_exit_event e = master_exit(T0, 3333, 0);

	(void)state;
	/* A daemonizing parent (ms old) is not a master. */
	mb_master_scan_begin(md);
	mb_master_scan_add(md, ex - 1, 4444, 5 * NS_PER_MS);
	mb_master_scan_end(md, T0 - 2 * NS_PER_SEC);
	assert_int_equal(mb_master_up(md, ex - 1), -1);
	scan(T0 - NS_PER_SEC, EXIM, 0);
	/* exim4 -bt from a shell: never a known master. */
	mb_master_feed_exit(md, &e);
	assert_int_equal(ncaught, 0);
	/* Gone from the scan without a record: one scan's grace, then alerted. */
	scan(T0 + NS_PER_SEC, 0, 0);
	assert_int_equal(ncaught, 0);
	scan(T0 + 2 * NS_PER_SEC, 0, 0);
	assert_int_equal(ncaught, 1);
	assert_string_equal(sfield(&caught[0], "status"), "not seen (no failure status)");
	assert_int_equal(caught[0].severity, MB_SEV_WARNING);
	scan(T0 + 3 * NS_PER_SEC, 0, 0);
	assert_int_equal(ncaught, 1);
	/* Stopped as told (exit 0): a warning, not a crash. */
	scan(T0 + 4 * NS_PER_SEC, 2500, 0);
	e.pid = 2500;
	mb_master_feed_exit(md, &e);
	assert_int_equal(ncaught, 3); /* the resolution of the first, then this */
	assert_int_equal(caught[2].severity, MB_SEV_WARNING);
	assert_string_equal(sfield(&caught[2], "status"), "exit 0");
}

static void test_record_during_grace(void **state)
{
	struct mb_exit_event e = master_exit(T0 + 1500 * NS_PER_MS, EXIM, 11);

	(void)state;
	scan(T0, EXIM, 2001);
	scan(T0 + NS_PER_SEC, 2001, 0);
	mb_master_feed_exit(md, &e);
	assert_int_equal(ncaught, 1);
	assert_string_equal(sfield(&caught[0], "status"), "SIGSEGV");
	assert_string_equal(sfield(&caught[0], "signal"), "SIGSEGV");
	assert_string_equal(sfield(&caught[0], "new_master"), "yes");
	assert_int_equal(mb_master_down(md, ex - 1), 0);
	scan(T0 + 2 * NS_PER_SEC, 2001, 0);
	assert_int_equal(ncaught, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_exim_reexec_fails, setup, teardown),
		cmocka_unit_test_setup_teardown(test_vanished_and_strangers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_record_during_grace, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
