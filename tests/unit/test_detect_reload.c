// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Reload collision detector tests, driven by synthetic signal events and a
 * fake CLOCK_BOOTTIME. The first test replays the Dovecot outage: cron's
 * shell and DirectAdmin's task queue sent SIGHUP 40 ms apart.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>
#include "caught.h"
#include "detect_reload.h"
#include "names.h"

#define T0 (1000 * NS_PER_SEC) /* boot time of the first event */

static int count_kind(const char *kind)
{
	int i, n = 0;

	for (i = 0; i < ncaught && i < MAX_CAUGHT; i++)
		n += !strcmp(caught[i].kind, kind);
	return n;
}

static struct mb_config cfg;
static struct mb_reload_det *det;

static int setup(void **state)
{
	(void)state;
	mb_config_defaults(&cfg);
	ncaught = 0;
	det = mb_reload_new(&cfg, (struct mb_alert_sink){ .emit = catch_alert });
	return det ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	mb_reload_free(det);
	det = NULL;
	return 0;
}

/* anc: NULL-terminated list of ancestor comms, nearest first. */
static struct mb_signal_event sig_ev(uint64_t ts, int daemon, uint32_t sig, int result,
				     uint32_t target, uint32_t sender, const char *comm,
				     const char *const *anc)
{
	struct mb_signal_event e;
	int i;

	memset(&e, 0, sizeof(e));
	e.hdr.type = MB_EV_SIGNAL;
	e.hdr.ts_ns = ts;
	e.sender.pid = e.sender.tgid = sender;
	e.sender.uid = 0;
	e.sender.cgroup_id = 4242 + sender;
	strncpy(e.sender.comm, comm, MB_COMM_LEN - 1);
	for (i = 0; anc && anc[i] && i < MB_ANCESTORS; i++) {
		e.sender.anc_tgid[i] = 100 + i;
		strncpy(e.sender.anc_comm[i], anc[i], MB_COMM_LEN - 1);
	}
	e.sig = sig;
	e.result = result;
	e.group = 1;
	e.target_pid = e.target_tgid = target;
	e.watched = (uint32_t)daemon;
	strncpy(e.target_comm, daemon == 1 ? "dovecot" : "other", MB_COMM_LEN - 1);
	return e;
}

static const char *const cron_anc[] = { "crond", "systemd", NULL };
static const char *const da_anc[] = { "directadmin", "systemd", NULL };

static int dovecot_idx(void)
{
	int idx = mb_config_daemon_for_comm(&cfg, "dovecot");

	assert_true(idx > 0);
	return idx;
}

static void test_outage_two_sighups(void **state)
{
	int dv = dovecot_idx();
	struct mb_signal_event a = sig_ev(T0, dv, 1, MB_SIG_DELIVERED, 1000, 10, "sh", cron_anc);
	struct mb_signal_event b =
		sig_ev(T0 + 40 * NS_PER_MS, dv, 1, MB_SIG_DELIVERED, 1000, 20, "dataskq", da_anc);
	const struct mb_reload_stats *st;
	const struct mb_alert *al;

	(void)state;
	assert_int_equal(mb_reload_feed(det, &a), dv);
	assert_int_equal(ncaught, 0);
	assert_int_equal(mb_reload_feed(det, &b), dv);
	assert_int_equal(ncaught, 1);

	al = &caught[0];
	assert_string_equal(al->kind, "reload_collision");
	assert_int_equal(al->severity, MB_SEV_WARNING);
	assert_int_equal(al->ts_ns, b.hdr.ts_ns);
	assert_string_equal(sfield(al, "daemon"), "dovecot");
	assert_string_equal(sfield(al, "signal"), "SIGHUP");
	assert_int_equal(ifield(al, "target_pid"), 1000);
	assert_string_equal(sfield(al, "target_comm"), "dovecot");
	assert_int_equal(ifield(al, "gap_ms"), 40);
	assert_int_equal(ifield(al, "merged"), 0);
	assert_int_equal(ifield(al, "first_sender_pid"), 10);
	assert_string_equal(sfield(al, "first_sender_comm"), "sh");
	assert_string_equal(sfield(al, "first_sender_ancestry"), "sh<crond<systemd");
	assert_int_equal(ifield(al, "first_sender_uid"), 0);
	assert_int_equal(ifield(al, "first_sender_cgroup"), 4252);
	assert_int_equal(ifield(al, "second_sender_pid"), 20);
	assert_string_equal(sfield(al, "second_sender_comm"), "dataskq");
	assert_string_equal(sfield(al, "second_sender_ancestry"), "dataskq<directadmin<systemd");
	assert_non_null(strstr(al->summary, "dovecot (pid 1000): SIGHUP from \"dataskq\" (pid 20) "
					    "40 ms after SIGHUP from \"sh\" (pid 10)"));

	st = mb_reload_stats(det, dv - 1);
	assert_non_null(st);
	assert_int_equal(st->reloads, 2);
	assert_int_equal(st->collisions, 1);
	assert_int_equal(st->merged, 0);
	assert_int_equal(st->storms, 0);
	assert_int_equal(st->last_collision_ns, b.hdr.ts_ns);
	assert_int_equal(mb_reload_last(det, dv - 1)->sender.tgid, 20);
}

static void test_merged_is_collision(void **state)
{
	int dv = dovecot_idx();
	uint64_t far = (cfg.daemons[dv - 1].window_ms + 1000) * NS_PER_MS;
	struct mb_signal_event a = sig_ev(T0, dv, 1, MB_SIG_ALREADY_PENDING, 1000, 10, "sh", NULL);
	struct mb_signal_event b =
		sig_ev(T0 + far, dv, 1, MB_SIG_ALREADY_PENDING, 1000, 20, "dataskq", NULL);

	(void)state;
	/* Nothing earlier seen: the pending signal's sender is unknown. */
	mb_reload_feed(det, &a);
	assert_int_equal(ncaught, 1);
	assert_int_equal(ifield(&caught[0], "merged"), 1);
	assert_int_equal(ifield(&caught[0], "gap_ms"), -1);
	assert_int_equal(ifield(&caught[0], "first_sender_pid"), 0);
	assert_non_null(strstr(caught[0].summary, "unknown sender"));

	/* Outside the window but merged all the same: still a collision. */
	mb_reload_feed(det, &b);
	assert_int_equal(ncaught, 2);
	assert_int_equal(ifield(&caught[1], "merged"), 1);
	assert_int_equal(ifield(&caught[1], "gap_ms"), (int64_t)(far / NS_PER_MS));
	assert_int_equal(ifield(&caught[1], "first_sender_pid"), 10);
	assert_non_null(strstr(caught[1].summary, "merged by the kernel"));
	assert_int_equal(mb_reload_stats(det, dv - 1)->merged, 2);
	assert_int_equal(mb_reload_stats(det, dv - 1)->collisions, 2);
}

static void test_outside_window(void **state)
{
	int dv = dovecot_idx();
	uint64_t w = cfg.daemons[dv - 1].window_ms * NS_PER_MS;
	struct mb_signal_event e;
	uint64_t t = T0;

	(void)state;
	e = sig_ev(t, dv, 1, MB_SIG_DELIVERED, 1000, 10, "sh", NULL);
	mb_reload_feed(det, &e);
	t += w + NS_PER_MS;
	e = sig_ev(t, dv, 1, MB_SIG_DELIVERED, 1000, 20, "dataskq", NULL);
	mb_reload_feed(det, &e);
	assert_int_equal(ncaught, 0);

	/* Another master of the same daemon: keyed by target, no collision. */
	e = sig_ev(t + NS_PER_MS, dv, 1, MB_SIG_DELIVERED, 2000, 30, "sh", NULL);
	mb_reload_feed(det, &e);
	assert_int_equal(ncaught, 0);

	/* Just inside the window of the 1000 one. */
	t += w - NS_PER_MS;
	e = sig_ev(t, dv, 10, MB_SIG_DELIVERED, 1000, 40, "sh", NULL);
	mb_reload_feed(det, &e);
	assert_int_equal(ncaught, 1);
	assert_string_equal(sfield(&caught[0], "signal"), "SIGUSR1");
	assert_int_equal(mb_reload_stats(det, dv - 1)->reloads, 4);
	assert_int_equal(mb_reload_stats(det, dv - 1)->collisions, 1);
}

static void test_unwatched_ignored(void **state)
{
	int dv = dovecot_idx();
	struct mb_signal_event e = sig_ev(T0, 0, 1, MB_SIG_DELIVERED, 1000, 10, "sh", NULL);
	int i;

	(void)state;
	assert_null(mb_reload_last(det, dv - 1));
	for (i = 0; i < 3; i++) {
		e.hdr.ts_ns += NS_PER_MS;
		assert_int_equal(mb_reload_feed(det, &e), 0);
	}
	e.watched = (uint32_t)cfg.ndaemons + 1;
	assert_int_equal(mb_reload_feed(det, &e), 0);
	/* SIGTERM is not a reload, even to a watched master. */
	e = sig_ev(T0, dv, 15, MB_SIG_ALREADY_PENDING, 1000, 10, "sh", NULL);
	assert_int_equal(mb_reload_feed(det, &e), 0);
	assert_int_equal(mb_reload_feed(det, &e), 0);
	assert_int_equal(ncaught, 0);
	assert_int_equal(mb_reload_stats(det, dv - 1)->reloads, 0);
	assert_null(mb_reload_last(det, dv - 1));
	assert_null(mb_reload_stats(det, -1));
	assert_null(mb_reload_stats(det, cfg.ndaemons));
	assert_int_equal(mb_reload_feed(NULL, &e), 0);
	assert_int_equal(mb_reload_feed(det, NULL), 0);
}

static void test_folding(void **state)
{
	int dv = dovecot_idx();
	uint64_t w = cfg.daemons[dv - 1].window_ms * NS_PER_MS;
	struct mb_signal_event e;
	uint64_t t = T0;

	(void)state;
	/* Three reloads in 20 ms: two collisions, one alert. */
	e = sig_ev(t, dv, 1, MB_SIG_DELIVERED, 1000, 10, "sh", NULL);
	mb_reload_feed(det, &e);
	e = sig_ev(t + 10 * NS_PER_MS, dv, 1, MB_SIG_DELIVERED, 1000, 20, "dataskq", NULL);
	mb_reload_feed(det, &e);
	e = sig_ev(t + 20 * NS_PER_MS, dv, 1, MB_SIG_ALREADY_PENDING, 1000, 30, "doveadm", NULL);
	mb_reload_feed(det, &e);
	assert_int_equal(ncaught, 1);
	assert_int_equal(ifield(&caught[0], "folded"), 0);
	assert_int_equal(mb_reload_stats(det, dv - 1)->collisions, 2);

	/* A later collision says how many were folded into the previous alert. */
	t += 20 * NS_PER_MS + w + NS_PER_MS;
	e = sig_ev(t, dv, 1, MB_SIG_DELIVERED, 1000, 40, "sh", NULL);
	mb_reload_feed(det, &e);
	e = sig_ev(t + 5 * NS_PER_MS, dv, 1, MB_SIG_DELIVERED, 1000, 50, "dataskq", NULL);
	mb_reload_feed(det, &e);
	assert_int_equal(ncaught, 2);
	assert_int_equal(ifield(&caught[1], "folded"), 1);
	assert_int_equal(ifield(&caught[1], "gap_ms"), 5);
	assert_non_null(strstr(caught[1].summary, "1 more folded"));
	assert_int_equal(mb_reload_stats(det, dv - 1)->collisions, 3);
}

static void test_storm(void **state)
{
	int dv = dovecot_idx();
	const struct mb_daemon_cfg *dc = &cfg.daemons[dv - 1];
	uint64_t step = dc->storm_window_ms * NS_PER_MS / (dc->storm_count + 1);
	struct mb_signal_event e;
	uint64_t t = T0;
	uint32_t i;

	(void)state;
	assert_true(dc->storm_count > 0);
	for (i = 0; i < dc->storm_count; i++, t += step) {
		e = sig_ev(t, dv, 1, MB_SIG_DELIVERED, 1000, 10 + i, "sh", NULL);
		mb_reload_feed(det, &e);
	}
	assert_int_equal(count_kind("reload_storm"), 0);
	/* One more than storm_count inside the storm window. */
	e = sig_ev(t, dv, 1, MB_SIG_DELIVERED, 1000, 99, "panel", NULL);
	mb_reload_feed(det, &e);
	assert_int_equal(count_kind("reload_storm"), 1);
	/* The storm goes on: no new alert. */
	for (i = 0; i < 5; i++) {
		t += step;
		e = sig_ev(t, dv, 1, MB_SIG_DELIVERED, 1000, 200 + i, "sh", NULL);
		mb_reload_feed(det, &e);
	}
	assert_int_equal(count_kind("reload_storm"), 1);
	assert_int_equal(mb_reload_stats(det, dv - 1)->storms, 1);

	/* Calm for a whole storm window re-arms it; a new storm alerts again. */
	t += dc->storm_window_ms * NS_PER_MS + NS_PER_SEC;
	for (i = 0; i <= dc->storm_count; i++, t += step) {
		e = sig_ev(t, dv, 1, MB_SIG_DELIVERED, 1000, 300 + i, "sh", NULL);
		mb_reload_feed(det, &e);
	}
	assert_int_equal(count_kind("reload_storm"), 2);
	assert_int_equal(mb_reload_stats(det, dv - 1)->storms, 2);
	for (i = 0; i < (uint32_t)ncaught && i < MAX_CAUGHT; i++)
		if (!strcmp(caught[i].kind, "reload_storm"))
			assert_int_equal(caught[i].severity, MB_SEV_WARNING);
}

/*
 * A storm as the kernel ships it: the first reload, the first collision,
 * then one record a second; the collisions in between are only counted
 * (mb_reload_fold). Counts must
 * come out as if every reload had been seen, with one collision alert and
 * one storm alert.
 */
static void test_kernel_folded_storm(void **state)
{
	int dv = dovecot_idx();
	struct mb_signal_event a = sig_ev(T0, dv, 1, MB_SIG_DELIVERED, 1000, 10, "sh", cron_anc);
	struct mb_signal_event b =
		sig_ev(T0 + 40 * NS_PER_MS, dv, 1, MB_SIG_DELIVERED, 1000, 20, "dataskq", da_anc);
	struct mb_signal_event c = sig_ev(T0 + 1040 * NS_PER_MS, dv, 1, MB_SIG_ALREADY_PENDING,
					  1000, 30, "flood", NULL);
	const struct mb_reload_stats *st;

	(void)state;
	mb_reload_feed(det, &a);
	mb_reload_feed(det, &b);
	mb_reload_fold(det, dv - 1, 500, T0 + 1000 * NS_PER_MS);
	mb_reload_feed(det, &c);
	st = mb_reload_stats(det, dv - 1);
	assert_non_null(st);
	assert_int_equal(st->reloads, 503);
	assert_int_equal(st->collisions, 502); /* b, the 500 folded, c */
	assert_int_equal(st->last_collision_ns, c.hdr.ts_ns);
	assert_int_equal(count_kind("reload_collision"), 1);
	assert_int_equal(count_kind("reload_storm"), 1);
	assert_int_equal(st->storms, 1);
}

static void test_names(void **state)
{
	(void)state;
	assert_string_equal(mb_signal_name(1), "SIGHUP");
	assert_string_equal(mb_signal_name(12), "SIGUSR2");
	assert_string_equal(mb_signal_name(40), "SIG40");
	assert_string_equal(mb_sig_result_name(MB_SIG_ALREADY_PENDING), "already_pending");
	assert_string_equal(mb_sig_result_name(9), "unknown");
	assert_string_equal(mb_errno_name(7), "E2BIG");
	assert_string_equal(mb_errno_name(-5), "EIO");
	assert_string_equal(mb_errno_name(4095), "E4095");
	assert_string_equal(mb_severity_name(MB_SEV_CRITICAL), "critical");
	assert_string_equal(mb_basename("/usr/lib/dovecot/imap-login"), "imap-login");
	assert_string_equal(mb_basename("sh"), "sh");
}

static void test_alert_field_limits(void **state)
{
	struct mb_alert a;
	char big[600];
	int i;

	(void)state;
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	mb_alert_init(&a, 5, MB_SEV_INFO, "t");
	mb_alert_str(&a, "big", big);
	assert_int_equal(strlen(a.fields[0].s), MB_FIELD_LEN - 1);
	mb_alert_str(&a, "null", NULL);
	assert_string_equal(a.fields[1].s, "");
	for (i = 0; i < 2 * MB_ALERT_FIELDS; i++)
		mb_alert_int(&a, "n", i);
	assert_int_equal(a.nfields, MB_ALERT_FIELDS);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_outage_two_sighups, setup, teardown),
		cmocka_unit_test_setup_teardown(test_merged_is_collision, setup, teardown),
		cmocka_unit_test_setup_teardown(test_outside_window, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unwatched_ignored, setup, teardown),
		cmocka_unit_test_setup_teardown(test_folding, setup, teardown),
		cmocka_unit_test_setup_teardown(test_storm, setup, teardown),
		cmocka_unit_test_setup_teardown(test_kernel_folded_storm, setup, teardown),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_alert_field_limits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
