// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Start-up failure loop tests, with a fake clock. The first replays the
 * seed's whole sequence through the reload, chain and startup detectors
 * wired as the collector wires them: two SIGHUPs 40 ms apart, then every
 * restart of imap-login fails to exec with E2BIG and the child exits 84,
 * 2, 4, 8 ... 60 s apart (Dovecot's throttle) for 75 minutes, then a child
 * lives. One incident, whose count and duration grow, then resolves.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>
#include "caught.h"
#include "detect_chain.h"
#include "detect_reload.h"
#include "detect_startup.h"

#define T0 (7200 * NS_PER_SEC)
#define MASTER 1000
#define IMAP_LOGIN "/usr/lib/dovecot/imap-login"

static struct mb_config cfg;
static struct mb_chain_det *chain;
static struct mb_startup_det *su;
static int dv, pf; /* dovecot's and postfix's index+1 */

static int count_alerts(const char *kind, int sev)
{
	int n = 0;

	for (int i = 0; i < ncaught && i < MAX_CAUGHT; i++)
		n += !strcmp(caught[i].kind, kind) && (sev < 0 || (int)caught[i].severity == sev);
	return n;
}

static const struct mb_alert *find_alert(const char *kind, int sev)
{
	for (int i = 0; i < ncaught && i < MAX_CAUGHT; i++)
		if (!strcmp(caught[i].kind, kind) && (int)caught[i].severity == sev)
			return &caught[i];
	fail_msg("no %s alert of severity %d", kind, sev);
	return NULL;
}

static int setup(void **state)
{
	struct mb_alert_sink sink = { .emit = catch_alert };

	(void)state;
	mb_config_defaults(&cfg);
	dv = mb_config_daemon_for_comm(&cfg, "dovecot");
	pf = mb_config_daemon_for_comm(&cfg, "master");
	if (dv <= 0 || pf <= 0)
		return -1;
	ncaught = 0;
	chain = mb_chain_new(&cfg, sink);
	mb_chain_set_hold(chain, 1500 * NS_PER_MS);
	su = mb_startup_new(&cfg, sink, chain);
	return chain && su ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	mb_startup_free(su);
	mb_chain_free(chain);
	return 0;
}

static struct mb_signal_event sighup(uint64_t ts, uint32_t sender, const char *comm)
{
	struct mb_signal_event e;

	memset(&e, 0, sizeof(e));
	e.hdr.type = MB_EV_SIGNAL;
	e.hdr.ts_ns = ts;
	e.sender.pid = e.sender.tgid = sender;
	strcpy(e.sender.comm, comm);
	e.sig = 1;
	e.target_pid = e.target_tgid = MASTER;
	e.watched = (uint32_t)dv;
	strcpy(e.target_comm, "dovecot");
	return e;
}

/* A child of the master that never exec'd: it still has the master's comm. */
static struct mb_exec_event e2big(uint64_t ts, uint32_t pid)
{
	struct mb_exec_event e;

	memset(&e, 0, sizeof(e));
	e.hdr.type = MB_EV_EXEC_FAIL;
	e.hdr.ts_ns = ts;
	e.task.pid = e.task.tgid = pid;
	e.task.ppid = e.task.anc_tgid[0] = MASTER;
	strcpy(e.task.comm, "dovecot");
	strcpy(e.task.anc_comm[0], "dovecot");
	e.err = E2BIG;
	strcpy(e.filename, IMAP_LOGIN);
	return e;
}

static struct mb_exit_event child_exit(uint64_t ts, int daemon, uint32_t pid, uint32_t code,
				       const char *comm, int execd, uint32_t kind)
{
	struct mb_exit_event e;

	memset(&e, 0, sizeof(e));
	e.hdr.type = MB_EV_PROC_EXIT;
	e.hdr.ts_ns = ts;
	e.pid = pid;
	e.ppid = MASTER;
	e.watched = (uint32_t)daemon;
	e.kind = kind;
	e.exit_code = code;
	e.execd = (uint32_t)execd;
	e.age_ns = NS_PER_MS;
	strcpy(e.comm, comm);
	strcpy(e.parent_comm, daemon == dv ? "dovecot" : "master");
	return e;
}

/* One restart: the exec fails, the child exits 84 a millisecond later. */
static void restart_fails(uint64_t t, uint32_t pid)
{
	struct mb_exec_event x = e2big(t, pid);
	struct mb_exit_event e =
		child_exit(t + NS_PER_MS, dv, pid, 84 << 8, "dovecot", 0, MB_EXIT_STARTUP_FAIL);

	mb_chain_feed_exec(chain, &x);
	mb_startup_feed_exec(su, &x);
	mb_startup_feed_exit(su, &e);
}

static const struct mb_startup_stats *stats_of(const char *service)
{
	for (int i = 0; i < mb_startup_count(su); i++)
		if (!strcmp(mb_startup_at(su, i)->service, service))
			return mb_startup_at(su, i);
	fail_msg("no stats for %s", service);
	return NULL;
}

static void test_seed_sequence(void **state)
{
	struct mb_alert_sink sink = { .emit = catch_alert };
	struct mb_reload_det *rd = mb_reload_new(&cfg, sink);
	struct mb_signal_event cron = sighup(T0, 10, "sh"),
			       da = sighup(T0 + 40 * NS_PER_MS, 20, "dataskq");
	const struct mb_chain_stats *st = mb_chain_stats(chain, dv - 1);
	uint64_t t = T0 + 50 * NS_PER_MS, gap = 2 * NS_PER_SEC, prev_count = 0, prev_dur = 0;
	const struct mb_alert *a;
	uint32_t pid = 5000;
	int restarts = 0;

	(void)state;
	assert_non_null(rd);
	assert_int_equal(mb_reload_feed(rd, &cron), dv);
	mb_chain_feed_reload(chain, dv - 1, &cron);
	assert_int_equal(mb_reload_feed(rd, &da), dv);
	mb_chain_feed_reload(chain, dv - 1, &da);
	assert_int_equal(count_alerts("reload_collision", MB_SEV_WARNING), 1);

	/* The reload restarts imap-login: it fails, Dovecot throttles 2, 4, ... 60 s. */
	while (t < T0 + 75 * 60 * NS_PER_SEC) {
		restart_fails(t, pid++);
		restarts++;
		/* The clock runs on between restarts: nothing may close meanwhile. */
		mb_chain_tick(chain, t + gap / 2);
		mb_startup_tick(su, t + gap / 2);
		assert_int_equal(st->active, 1);
		assert_true(st->loop_count > prev_count);
		assert_true(st->last_ns - st->first_ns >= prev_dur);
		prev_count = st->loop_count;
		prev_dur = st->last_ns - st->first_ns;
		t += gap;
		gap = gap * 2 > 60 * NS_PER_SEC ? 60 * NS_PER_SEC : gap * 2;
	}
	/* ONE incident: the chain's critical alert, nothing of the loop's own. */
	assert_int_equal(count_alerts("reload_exec_chain", MB_SEV_CRITICAL), 1);
	assert_int_equal(count_alerts("service_startup_failing", -1), 0);
	assert_int_equal(count_alerts("reload_exec_chain", MB_SEV_INFO), 0);
	a = find_alert("reload_exec_chain", MB_SEV_CRITICAL);
	/* Dated by the failed exec, sent once the child's exit named the rest. */
	assert_int_equal(a->ts_ns, T0 + 50 * NS_PER_MS);
	assert_int_equal(ifield(a, "senders"), 2);
	assert_string_equal(sfield(a, "sender1_comm"), "sh");
	assert_string_equal(sfield(a, "sender2_comm"), "dataskq");
	assert_string_equal(sfield(a, "program"), "imap-login");
	assert_string_equal(sfield(a, "errno"), "E2BIG");
	assert_string_equal(sfield(a, "service"), "imap-login");
	assert_string_equal(sfield(a, "status"), "exit 84");
	assert_string_equal(sfield(a, "meaning"), "exec() failed (FATAL_EXEC)");
	assert_int_equal(ifield(a, "throttle_s"), 2);
	assert_non_null(strstr(a->summary, "Dovecot throttles the service: next start in 2 s"));
	assert_non_null(strstr(a->summary, "\"sh\" (pid 10), \"dataskq\" (pid 20)"));

	assert_int_equal(st->incidents, 1);
	assert_int_equal(st->count, (uint64_t)restarts);
	assert_int_equal(st->loop_count, (uint64_t)restarts);
	assert_true(restarts > 70);
	assert_int_equal(stats_of("imap-login")->failing, 1);
	assert_int_equal(stats_of("imap-login")->err, E2BIG);
	assert_int_equal(mb_startup_failing(su, dv - 1), 1);
	assert_string_equal(mb_startup_service_for(su, dv - 1, "dovecot"), "imap-login");

	/* An imap-login from before the last failure lives: not the fix. */
	mb_startup_feed_alive(su, dv - 1, MASTER, "imap-login", 3600 * NS_PER_SEC, t);
	assert_int_equal(st->active, 1);
	/* The environment is fixed: the next restart lives past the window. */
	mb_startup_feed_alive(su, dv - 1, MASTER, "imap-login", 3 * NS_PER_SEC, t + 3 * NS_PER_SEC);
	assert_int_equal(st->active, 0);
	assert_int_equal(stats_of("imap-login")->failing, 0);
	assert_int_equal(count_alerts("reload_exec_chain", MB_SEV_INFO), 1);
	a = find_alert("reload_exec_chain", MB_SEV_INFO);
	assert_string_equal(sfield(a, "resolved_by"), "a child lives again");
	assert_int_equal(ifield(a, "loop_count"), restarts);
	assert_string_equal(sfield(a, "services"), "imap-login");
	assert_string_equal(sfield(a, "statuses"), "exit 84");
	assert_true(ifield(a, "outage_ms") >= 75 * 60 * 1000);
	assert_int_equal(count_alerts("service_startup_failing", -1), 0);
	mb_reload_free(rd);
}

/* The held opening alert goes out after the hold when no exit comes. */
static void test_hold_timeout(void **state)
{
	struct mb_signal_event cron = sighup(T0, 10, "sh");
	struct mb_exec_event x = e2big(T0 + 50 * NS_PER_MS, 4999);

	(void)state;
	mb_chain_feed_reload(chain, dv - 1, &cron);
	mb_chain_feed_exec(chain, &x);
	assert_int_equal(count_alerts("reload_exec_chain", -1), 0);
	mb_chain_tick(chain, T0 + 1500 * NS_PER_MS);
	assert_int_equal(count_alerts("reload_exec_chain", -1), 0);
	mb_chain_tick(chain, T0 + 1550 * NS_PER_MS);
	assert_int_equal(count_alerts("reload_exec_chain", MB_SEV_CRITICAL), 1);
	assert_string_equal(sfield(&caught[0], "program"), "imap-login");
}

/* Two services fail after the reload: the chain ends when both live. */
static void test_chain_two_services(void **state)
{
	struct mb_signal_event cron = sighup(T0, 10, "sh");
	const struct mb_chain_stats *st = mb_chain_stats(chain, dv - 1);
	struct mb_exec_event x = e2big(T0 + 10 * NS_PER_MS, 4000);
	struct mb_exit_event e;

	(void)state;
	mb_chain_feed_reload(chain, dv - 1, &cron);
	restart_fails(T0 + 10 * NS_PER_MS, 4000);
	strcpy(x.filename, "/usr/lib/dovecot/log");
	x.task.pid = x.task.tgid = 4001;
	x.hdr.ts_ns = T0 + 11 * NS_PER_MS;
	mb_chain_feed_exec(chain, &x);
	mb_startup_feed_exec(su, &x);
	e = child_exit(T0 + 12 * NS_PER_MS, dv, 4001, 84 << 8, "dovecot", 0, MB_EXIT_STARTUP_FAIL);
	mb_startup_feed_exit(su, &e);
	assert_int_equal(st->loop_count, 2);
	assert_int_equal(count_alerts("reload_exec_chain", MB_SEV_CRITICAL), 1);
	mb_startup_feed_alive(su, dv - 1, MASTER, "log", 3 * NS_PER_SEC, T0 + 4 * NS_PER_SEC);
	assert_int_equal(stats_of("log")->failing, 0);
	assert_int_equal(st->active, 1);
	mb_startup_feed_alive(su, dv - 1, MASTER, "imap-login", 3 * NS_PER_SEC,
			      T0 + 5 * NS_PER_SEC);
	assert_int_equal(st->active, 0);
	assert_int_equal(count_alerts("reload_exec_chain", MB_SEV_INFO), 1);
	assert_string_equal(sfield(find_alert("reload_exec_chain", MB_SEV_INFO), "services"),
			    "imap-login,log");
	assert_int_equal(count_alerts("service_startup_failing", -1), 0);
}

/* The chain closes quiet while the loop goes on: the loop then alerts on its own. */
static void test_loop_outlives_chain(void **state)
{
	struct mb_signal_event cron = sighup(T0, 10, "sh");

	(void)state;
	mb_chain_feed_reload(chain, dv - 1, &cron);
	restart_fails(T0 + 10 * NS_PER_MS, 4100);
	assert_int_equal(count_alerts("reload_exec_chain", MB_SEV_CRITICAL), 1);
	mb_chain_tick(chain, T0 + 125 * NS_PER_SEC);
	assert_int_equal(count_alerts("reload_exec_chain", MB_SEV_INFO), 1);
	restart_fails(T0 + 150 * NS_PER_SEC, 4101);
	assert_int_equal(count_alerts("service_startup_failing", MB_SEV_CRITICAL), 1);
	assert_int_equal(ifield(find_alert("service_startup_failing", MB_SEV_CRITICAL), "count"),
			 2);
}

/* Without a reload: the loop is an incident of its own. */
static void test_loop_alone(void **state)
{
	const struct mb_alert *a;

	(void)state;
	restart_fails(T0, 6000);
	assert_int_equal(count_alerts("service_startup_failing", MB_SEV_CRITICAL), 1);
	assert_int_equal(count_alerts("reload_exec_chain", -1), 0);
	a = find_alert("service_startup_failing", MB_SEV_CRITICAL);
	assert_string_equal(sfield(a, "service"), "imap-login");
	assert_string_equal(sfield(a, "status"), "exit 84");
	assert_string_equal(sfield(a, "errno"), "E2BIG");
	assert_string_equal(sfield(a, "filename"), IMAP_LOGIN);
	assert_int_equal(ifield(a, "master_pid"), MASTER);
	restart_fails(T0 + 2 * NS_PER_SEC, 6001);
	restart_fails(T0 + 6 * NS_PER_SEC, 6002);
	assert_int_equal(count_alerts("service_startup_failing", -1), 1);
	assert_int_equal(stats_of("imap-login")->count, 3);
	/* Not yet past the start-up window: not living yet. */
	mb_startup_feed_alive(su, dv - 1, MASTER, "imap-login", NS_PER_SEC, T0 + 8 * NS_PER_SEC);
	assert_int_equal(count_alerts("service_startup_failing", MB_SEV_INFO), 0);
	/* A second Dovecot instance's imap-login lives: not this master's. */
	mb_startup_feed_alive(su, dv - 1, MASTER + 1, "imap-login", 3 * NS_PER_SEC,
			      T0 + 10 * NS_PER_SEC);
	assert_int_equal(count_alerts("service_startup_failing", MB_SEV_INFO), 0);
	/* Another service's child lives: not this one. */
	mb_startup_feed_alive(su, dv - 1, MASTER, "pop3-login", 3 * NS_PER_SEC,
			      T0 + 10 * NS_PER_SEC);
	assert_int_equal(count_alerts("service_startup_failing", MB_SEV_INFO), 0);
	mb_startup_feed_alive(su, dv - 1, MASTER, "imap-login", 3 * NS_PER_SEC,
			      T0 + 10 * NS_PER_SEC);
	assert_int_equal(count_alerts("service_startup_failing", MB_SEV_INFO), 1);
	a = find_alert("service_startup_failing", MB_SEV_INFO);
	assert_string_equal(sfield(a, "resolved_by"), "a child lived past the start-up window");
	assert_int_equal(ifield(a, "count"), 3);
	assert_int_equal(ifield(a, "outage_ms"), 9999);
	/* Again; this time a child that exec'd imap-login exits 0: started. */
	restart_fails(T0 + 20 * NS_PER_SEC, 6004);
	{
		struct mb_exit_event ok = child_exit(T0 + 21 * NS_PER_SEC, dv, 6005, 0,
						     "imap-login", 1, MB_EXIT_CHILD_OK);

		ok.exit_code = 0;
		mb_startup_feed_exit(su, &ok);
	}
	assert_int_equal(count_alerts("service_startup_failing", MB_SEV_INFO), 2);
	assert_string_equal(sfield(&caught[ncaught - 1], "resolved_by"), "a child exited 0");
}

/* Postfix: exit 1 once may be a one-off; twice is a loop. Quiet resolves. */
static void test_postfix_and_quiet(void **state)
{
	struct mb_exit_event e = child_exit(T0, pf, 7000, 1 << 8, "smtpd", 1, MB_EXIT_STARTUP_FAIL);
	const struct mb_alert *a;

	(void)state;
	mb_startup_feed_exit(su, &e);
	assert_int_equal(count_alerts("service_startup_failing", -1), 0);
	e.hdr.ts_ns += 60 * NS_PER_SEC;
	e.pid++;
	mb_startup_feed_exit(su, &e);
	assert_int_equal(count_alerts("service_startup_failing", MB_SEV_CRITICAL), 1);
	a = find_alert("service_startup_failing", MB_SEV_CRITICAL);
	assert_string_equal(sfield(a, "daemon"), "postfix");
	assert_string_equal(sfield(a, "service"), "smtpd");
	assert_string_equal(sfield(a, "status"), "exit 1");
	assert_int_equal(ifield(a, "throttle_s"), 60);
	assert_non_null(strstr(a->summary, "Postfix throttles the service"));
	mb_startup_tick(su, e.hdr.ts_ns + MB_STARTUP_QUIET_NS - 1);
	assert_int_equal(count_alerts("service_startup_failing", MB_SEV_INFO), 0);
	mb_startup_tick(su, e.hdr.ts_ns + MB_STARTUP_QUIET_NS);
	assert_int_equal(count_alerts("service_startup_failing", MB_SEV_INFO), 1);
	assert_int_equal(stats_of("smtpd")->failing, 0);
}

/* A crash signal names itself; the join ignores another pid's exec. */
static void test_signal_and_join(void **state)
{
	struct mb_exec_event x = e2big(T0, 8000);
	struct mb_exit_event e =
		child_exit(T0 + NS_PER_MS, dv, 8001, 11 | 0x80, "dovecot", 0, MB_EXIT_STARTUP_FAIL);
	char buf[96];

	(void)state;
	mb_startup_feed_exec(su, &x);
	mb_startup_feed_exit(su, &e);
	e.pid = 8002;
	e.hdr.ts_ns += NS_PER_SEC;
	mb_startup_feed_exit(su, &e);
	assert_int_equal(count_alerts("service_startup_failing", MB_SEV_CRITICAL), 1);
	assert_string_equal(sfield(&caught[0], "service"), "dovecot");
	assert_string_equal(sfield(&caught[0], "status"), "SIGSEGV (core)");
	assert_string_equal(sfield(&caught[0], "meaning"), "killed by SIGSEGV (core dumped)");
	mb_startup_meaning(MB_FLAVOR_DOVECOT, 83 << 8, buf, sizeof(buf));
	assert_string_equal(buf, "out of memory (FATAL_OUTOFMEM)");
	mb_startup_meaning(MB_FLAVOR_OTHER, 84 << 8, buf, sizeof(buf));
	assert_string_equal(buf, "exit status 84");
}

static void test_throttle_doubling(void **state)
{
	int64_t t;
	char buf[128];
	const int64_t want[] = { 2, 4, 8, 16, 32, 60, 60 };

	(void)state;
	for (int i = 0; i < 7; i++) {
		mb_startup_action(MB_FLAVOR_DOVECOT, (uint64_t)i + 1, buf, sizeof(buf), &t);
		assert_int_equal(t, want[i]);
	}
	mb_startup_action(MB_FLAVOR_EXIM, 3, buf, sizeof(buf), &t);
	assert_string_equal(buf, "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_seed_sequence, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hold_timeout, setup, teardown),
		cmocka_unit_test_setup_teardown(test_chain_two_services, setup, teardown),
		cmocka_unit_test_setup_teardown(test_loop_outlives_chain, setup, teardown),
		cmocka_unit_test_setup_teardown(test_loop_alone, setup, teardown),
		cmocka_unit_test_setup_teardown(test_postfix_and_quiet, setup, teardown),
		cmocka_unit_test_setup_teardown(test_signal_and_join, setup, teardown),
		cmocka_unit_test_setup_teardown(test_throttle_doubling, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
