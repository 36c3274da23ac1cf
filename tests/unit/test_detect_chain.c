// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Reload -> exec failure chain tests. The first replays the Dovecot outage
 * end to end through the reload, exec and chain detectors wired to one
 * sink, the way the collector wires them: two SIGHUPs 40 ms apart, then
 * 50 E2BIG failures of imap-login over 75 s, then silence.
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
#include "detect_exec.h"
#include "detect_reload.h"

#define T0 (7200 * NS_PER_SEC)
#define MASTER 1000
#define IMAP_LOGIN "/usr/lib/dovecot/imap-login"

static struct mb_config cfg;
static struct mb_chain_det *chain;
static int dv; /* dovecot's index+1 */
static uint64_t window; /* dovecot's chain window, ns */

static int count_alerts(const char *kind, int sev)
{
	int i, n = 0;

	for (i = 0; i < ncaught && i < MAX_CAUGHT; i++)
		n += !strcmp(caught[i].kind, kind) && (sev < 0 || (int)caught[i].severity == sev);
	return n;
}

static const struct mb_alert *find_alert(const char *kind, int sev)
{
	int i;

	for (i = 0; i < ncaught && i < MAX_CAUGHT; i++)
		if (!strcmp(caught[i].kind, kind) && (int)caught[i].severity == sev)
			return &caught[i];
	fail_msg("no %s alert of severity %d", kind, sev);
	return NULL;
}

static int setup(void **state)
{
	(void)state;
	mb_config_defaults(&cfg);
	dv = mb_config_daemon_for_comm(&cfg, "dovecot");
	if (dv <= 0)
		return -1;
	window = cfg.daemons[dv - 1].chain_window_ms * NS_PER_MS;
	ncaught = 0;
	chain = mb_chain_new(&cfg, (struct mb_alert_sink){ .emit = catch_alert });
	return chain ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	mb_chain_free(chain);
	chain = NULL;
	return 0;
}

static struct mb_signal_event sighup(uint64_t ts, uint32_t sender, const char *comm,
				     const char *anc0, const char *anc1)
{
	struct mb_signal_event e;

	memset(&e, 0, sizeof(e));
	e.hdr.type = MB_EV_SIGNAL;
	e.hdr.ts_ns = ts;
	e.sender.pid = e.sender.tgid = sender;
	strcpy(e.sender.comm, comm);
	if (anc0) {
		e.sender.anc_tgid[0] = sender - 1;
		strcpy(e.sender.anc_comm[0], anc0);
	}
	if (anc1) {
		e.sender.anc_tgid[1] = 1;
		strcpy(e.sender.anc_comm[1], anc1);
	}
	e.sig = 1;
	e.result = MB_SIG_DELIVERED;
	e.target_pid = e.target_tgid = MASTER;
	e.watched = (uint32_t)dv;
	strcpy(e.target_comm, "dovecot");
	return e;
}

/* A child of the master (forked, not yet exec'd, so still comm "dovecot"). */
static struct mb_exec_event e2big(uint64_t ts, uint32_t pid, uint32_t ppid)
{
	struct mb_exec_event e;

	memset(&e, 0, sizeof(e));
	e.hdr.type = MB_EV_EXEC_FAIL;
	e.hdr.ts_ns = ts;
	e.task.pid = e.task.tgid = pid;
	e.task.ppid = ppid;
	e.task.anc_tgid[0] = ppid;
	strcpy(e.task.comm, "dovecot");
	strcpy(e.task.anc_comm[0], "dovecot");
	e.err = E2BIG;
	e.flags = MB_EXEC_F_SIZES;
	e.argc = 1;
	e.argv_bytes = 11;
	e.envc = 2000;
	e.env_bytes = 2090000;
	e.longest = 1200;
	e.limit = 2097152;
	e.rlim_stack = 8388608;
	strcpy(e.filename, IMAP_LOGIN);
	return e;
}

static void test_outage_replay(void **state)
{
	struct mb_alert_sink sink = { .emit = catch_alert };
	struct mb_reload_det *rd = mb_reload_new(&cfg, sink);
	struct mb_exec_det *xd = mb_exec_new(&cfg, sink);
	struct mb_signal_event cron = sighup(T0, 10, "sh", "crond", "systemd");
	struct mb_signal_event da = sighup(T0 + 40 * NS_PER_MS, 20, "dataskq", "directadmin", NULL);
	const uint64_t span = 75 * NS_PER_SEC, first = T0 + 52 * NS_PER_MS;
	const struct mb_chain_stats *st;
	const struct mb_alert *a;
	uint64_t t, last = 0;
	int i, idx;

	(void)state;
	assert_non_null(rd);
	assert_non_null(xd);
	idx = mb_reload_feed(rd, &cron);
	assert_int_equal(idx, dv);
	mb_chain_feed_reload(chain, idx - 1, &cron);
	idx = mb_reload_feed(rd, &da);
	assert_int_equal(idx, dv);
	mb_chain_feed_reload(chain, idx - 1, &da);

	assert_int_equal(ncaught, 1);
	a = &caught[0];
	assert_string_equal(a->kind, "reload_collision");
	assert_int_equal(ifield(a, "gap_ms"), 40);
	assert_string_equal(sfield(a, "first_sender_comm"), "sh");
	assert_string_equal(sfield(a, "first_sender_ancestry"), "sh<crond<systemd");
	assert_string_equal(sfield(a, "second_sender_comm"), "dataskq");

	for (i = 0; i < 50; i++) {
		struct mb_exec_event e;

		last = first + span * (uint64_t)i / 49;
		e = e2big(last, 5000 + (uint32_t)i, MASTER);
		mb_exec_feed(xd, &e);
		mb_chain_feed_exec(chain, &e);
		mb_chain_tick(chain, last + NS_PER_MS);
	}
	assert_int_equal(count_alerts("reload_collision", -1), 1);
	assert_int_equal(count_alerts("reload_exec_chain", -1), 1);
	/* E2BIG alerts are held to one per minute on their own: 75 s gives two. */
	assert_int_equal(count_alerts("exec_e2big", -1), 2);

	a = find_alert("reload_exec_chain", MB_SEV_CRITICAL);
	assert_int_equal(a->ts_ns, first);
	assert_string_equal(sfield(a, "daemon"), "dovecot");
	assert_int_equal(ifield(a, "target_pid"), MASTER);
	assert_int_equal(ifield(a, "reloads"), 2);
	assert_int_equal(ifield(a, "senders"), 2);
	assert_int_equal(ifield(a, "sender1_pid"), 10);
	assert_string_equal(sfield(a, "sender1_comm"), "sh");
	assert_string_equal(sfield(a, "sender1_ancestry"), "sh<crond<systemd");
	assert_int_equal(ifield(a, "sender2_pid"), 20);
	assert_string_equal(sfield(a, "sender2_comm"), "dataskq");
	assert_string_equal(sfield(a, "sender2_ancestry"), "dataskq<directadmin");
	assert_string_equal(sfield(a, "program"), "imap-login");
	assert_string_equal(sfield(a, "errno"), "E2BIG");
	assert_int_equal(ifield(a, "gap_ms"), 12);
	assert_int_equal(ifield(a, "count"), 1);
	assert_non_null(strstr(a->summary, "\"sh\" (pid 10), \"dataskq\" (pid 20)"));

	st = mb_chain_stats(chain, dv - 1);
	assert_non_null(st);
	assert_int_equal(st->incidents, 1);
	assert_int_equal(st->active, 1);
	assert_int_equal(st->count, 50);
	assert_int_equal(st->first_ns, first);
	assert_int_equal(st->last_ns, last);

	/* Quiet, but not for a whole window yet. */
	for (t = last; t < last + window; t += NS_PER_SEC)
		mb_chain_tick(chain, t);
	assert_int_equal(count_alerts("reload_exec_chain", MB_SEV_INFO), 0);
	mb_chain_tick(chain, last + window);
	mb_chain_tick(chain, last + 2 * window);
	assert_int_equal(count_alerts("reload_exec_chain", MB_SEV_INFO), 1);
	assert_int_equal(count_alerts("reload_exec_chain", -1), 2);
	a = find_alert("reload_exec_chain", MB_SEV_INFO);
	assert_int_equal(ifield(a, "count"), 50);
	assert_int_equal(ifield(a, "duration_ms"), 75000);
	assert_string_equal(sfield(a, "errnos"), "E2BIG");
	assert_string_equal(sfield(a, "programs"), "imap-login");
	assert_non_null(strstr(a->summary, "resolved: 50 failures over 75.0 s"));
	assert_int_equal(st->active, 0);
	assert_int_equal(st->count, 50);
	assert_int_equal(st->incidents, 1);

	mb_exec_free(xd);
	mb_reload_free(rd);
}

static void test_not_in_tree(void **state)
{
	struct mb_signal_event r = sighup(T0, 10, "sh", "crond", NULL);
	struct mb_exec_event e = e2big(T0 + NS_PER_SEC, 777, 555);

	(void)state;
	mb_chain_feed_reload(chain, dv - 1, &r);
	/* A cron job of its own, unrelated to the master. */
	mb_chain_feed_exec(chain, &e);
	assert_int_equal(ncaught, 0);
	/* A grandchild: the master is a recorded ancestor. */
	e.task.anc_tgid[1] = 600;
	e.task.anc_tgid[2] = MASTER;
	mb_chain_feed_exec(chain, &e);
	assert_int_equal(ncaught, 1);
	assert_int_equal(mb_chain_stats(chain, dv - 1)->incidents, 1);
}

static void test_outside_window(void **state)
{
	struct mb_signal_event r = sighup(T0, 10, "sh", NULL, NULL);
	struct mb_exec_event e = e2big(T0 + window + NS_PER_MS, 5000, MASTER);

	(void)state;
	mb_chain_feed_reload(chain, dv - 1, &r);
	mb_chain_feed_exec(chain, &e);
	/* Before the reload is not caused by it either. */
	e.hdr.ts_ns = T0 - NS_PER_MS;
	mb_chain_feed_exec(chain, &e);
	assert_int_equal(ncaught, 0);
	assert_int_equal(mb_chain_stats(chain, dv - 1)->incidents, 0);
	/* Just inside. */
	e.hdr.ts_ns = T0 + window;
	mb_chain_feed_exec(chain, &e);
	assert_int_equal(ncaught, 1);
}

static void test_enoent_and_near_ignored(void **state)
{
	struct mb_signal_event r = sighup(T0, 10, "sh", NULL, NULL);
	struct mb_exec_event e = e2big(T0 + NS_PER_SEC, 5000, MASTER);

	(void)state;
	mb_chain_feed_reload(chain, dv - 1, &r);
	e.err = ENOENT;
	mb_chain_feed_exec(chain, &e);
	e.err = 0;
	e.hdr.type = MB_EV_EXEC_NEAR;
	mb_chain_feed_exec(chain, &e);
	assert_int_equal(ncaught, 0);
	/* Any other errno counts. */
	e.hdr.type = MB_EV_EXEC_FAIL;
	e.err = EACCES;
	mb_chain_feed_exec(chain, &e);
	assert_int_equal(ncaught, 1);
	assert_string_equal(sfield(&caught[0], "errno"), "EACCES");
	assert_null(mb_chain_stats(chain, cfg.ndaemons));
}

static void test_suppressed_and_restart(void **state)
{
	struct mb_signal_event r = sighup(T0, 10, "sh", NULL, NULL);
	struct mb_exec_event e = e2big(T0 + NS_PER_SEC, 5000, MASTER);
	const struct mb_chain_stats *st = mb_chain_stats(chain, dv - 1);
	uint64_t t;

	(void)state;
	mb_chain_feed_reload(chain, dv - 1, &r);
	e.suppressed = 9; /* the kernel folded nine more into this record */
	mb_chain_feed_exec(chain, &e);
	assert_int_equal(st->count, 10);
	e.hdr.ts_ns += NS_PER_SEC;
	e.err = ENOEXEC;
	strcpy(e.filename, "/usr/lib/dovecot/pop3-login");
	e.suppressed = 0;
	mb_chain_feed_exec(chain, &e);
	assert_int_equal(st->count, 11);
	assert_int_equal(ncaught, 1);

	/* No tick: the next failure, a window later, first closes the incident... */
	t = e.hdr.ts_ns + window + NS_PER_SEC;
	e.hdr.ts_ns = t;
	mb_chain_feed_exec(chain, &e);
	assert_int_equal(ncaught, 2);
	assert_int_equal(caught[1].severity, MB_SEV_INFO);
	assert_string_equal(sfield(&caught[1], "errnos"), "E2BIG,ENOEXEC");
	assert_string_equal(sfield(&caught[1], "programs"), "imap-login,pop3-login");
	assert_int_equal(ifield(&caught[1], "count"), 11);
	/* ...and, with no reload in the window, does not open another. */
	assert_int_equal(st->active, 0);
	assert_int_equal(st->incidents, 1);

	/* A new reload and failure make a second incident. */
	r.hdr.ts_ns = t + NS_PER_SEC;
	mb_chain_feed_reload(chain, dv - 1, &r);
	e.hdr.ts_ns = t + 2 * NS_PER_SEC;
	mb_chain_feed_exec(chain, &e);
	assert_int_equal(ncaught, 3);
	assert_int_equal(caught[2].severity, MB_SEV_CRITICAL);
	assert_int_equal(st->incidents, 2);
	assert_int_equal(st->count, 1);
}

static void test_senders_capped(void **state)
{
	static const char *const comms[] = { "sh", "dataskq", "doveadm", "sh", "certbot", "sh" };
	struct mb_exec_event e = e2big(T0 + NS_PER_SEC, 5000, MASTER);
	struct mb_signal_event r;
	int i;

	(void)state;
	/* Six reloads from five distinct senders (pid 10 "sh" twice). */
	for (i = 0; i < 6; i++) {
		r = sighup(T0 + (uint64_t)i * NS_PER_MS, i == 5 ? 10 : 10 + 10 * (uint32_t)i,
			   comms[i], NULL, NULL);
		mb_chain_feed_reload(chain, dv - 1, &r);
	}
	mb_chain_feed_exec(chain, &e);
	assert_int_equal(ncaught, 1);
	assert_int_equal(ifield(&caught[0], "reloads"), 6);
	assert_int_equal(ifield(&caught[0], "senders"), MB_CHAIN_SENDERS);
	assert_int_equal(ifield(&caught[0], "sender4_pid"), 40);
	assert_string_equal(sfield(&caught[0], "sender4_comm"), "sh");
	/* All fields still fit in one alert. */
	assert_int_equal(ifield(&caught[0], "count"), 1);
	assert_int_equal(ifield(&caught[0], "gap_ms"), 995);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_outage_replay, setup, teardown),
		cmocka_unit_test_setup_teardown(test_not_in_tree, setup, teardown),
		cmocka_unit_test_setup_teardown(test_outside_window, setup, teardown),
		cmocka_unit_test_setup_teardown(test_enoent_and_near_ignored, setup, teardown),
		cmocka_unit_test_setup_teardown(test_suppressed_and_restart, setup, teardown),
		cmocka_unit_test_setup_teardown(test_senders_capped, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
