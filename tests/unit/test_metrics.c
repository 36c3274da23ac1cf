// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The exported state as node_exporter reads it. Alert rules and dashboards
 * match on these names and labels, so: every family is present with HELP
 * and TYPE even before its first sample; the fs tables' packed second key
 * (mountpoint 0x1f fstype [0x1f extra]) comes out as separate labels, a
 * mountpoint holding 0x1f included; incidents count only the kinds that
 * are incidents; and daemons never seen have no daemon_up sample.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include "metrics.h"
#include "names.h"

static struct mb_config cfg;
static struct mb_metrics m;
static struct mb_prom p;

static int setup(void **state)
{
	mb_config_defaults(&cfg);
	mb_prom_init(&p);
	return mb_metrics_init(&m, &cfg);
}

static int teardown(void **state)
{
	mb_metrics_free(&m);
	mb_prom_free(&p);
	return 0;
}

static void render(void)
{
	assert_int_equal(mb_metrics_render(&m, &p, 1796126400), 0);
	assert_non_null(p.buf);
}

static void has(const char *needle)
{
	if (!strstr(p.buf, needle))
		fail_msg("not rendered: %s", needle);
}

static void lacks(const char *needle)
{
	if (strstr(p.buf, needle))
		fail_msg("rendered: %s", needle);
}

static void test_init(void **state)
{
	struct mb_config bad = cfg;
	struct mb_metrics m2;

	assert_int_equal(m.ndaemons, cfg.ndaemons);
	for (int d = 0; d < cfg.ndaemons; d++)
		assert_string_equal(m.daemon_names[d], cfg.daemons[d].name);
	for (int d = 0; d < MB_MAX_DAEMONS; d++)
		assert_int_equal(m.daemon_up[d], -1);
	/* top_n 0 cannot bound anything: refused, nothing leaked. */
	bad.top_n = 0;
	assert_int_equal(mb_metrics_init(&m2, &bad), -EINVAL);
}

static void test_families_always_there(void **state)
{
	static const char *const fam[] = {
		"mailbpf_build_info",
		"mailbpf_reload_signals_total",
		"mailbpf_reload_collisions_total",
		"mailbpf_reload_last_collision_timestamp_seconds",
		"mailbpf_exec_failures_total",
		"mailbpf_exec_arg_headroom_ratio",
		"mailbpf_incidents_total",
		"mailbpf_fs_io_errors_total",
		"mailbpf_fs_corruption_events_total",
		"mailbpf_fs_shutdown",
		"mailbpf_block_io_errors_total",
		"mailbpf_block_unsupported_total",
		"mailbpf_fs_errors_total",
		"mailbpf_fs_readonly",
		"mailbpf_fs_recorded_errors",
		"mailbpf_service_startup_failures_total",
		"mailbpf_service_failing",
		"mailbpf_daemon_up",
		"mailbpf_events_lost_total",
		"mailbpf_probe_attached",
		"mailbpf_probe_program_attached",
		"mailbpf_exec_probe_info",
		"mailbpf_textfile_write_errors_total",
		"mailbpf_alert_push_errors_total",
		"mailbpf_last_update_timestamp_seconds",
	};
	char want[128];

	render();
	for (size_t i = 0; i < sizeof(fam) / sizeof(fam[0]); i++) {
		snprintf(want, sizeof(want), "# HELP %s ", fam[i]);
		has(want);
		snprintf(want, sizeof(want), "# TYPE %s %s\n", fam[i],
			 strstr(fam[i], "_total") ? "counter" : "gauge");
		has(want);
	}
	has("mailbpf_build_info{version=\"" MAILBPF_VERSION "\"} 1\n");
	has("mailbpf_last_update_timestamp_seconds 1796126400\n");
	has("mailbpf_textfile_write_errors_total 0\n");
	/* Per-daemon collision counters from the start, at 0. */
	for (int d = 0; d < cfg.ndaemons; d++) {
		snprintf(want, sizeof(want), "mailbpf_reload_collisions_total{daemon=\"%s\"} 0\n",
			 cfg.daemons[d].name);
		has(want);
	}
	/* Never seen: no daemon_up sample, rather than a false 0. */
	lacks("mailbpf_daemon_up{");
	/* Every probe family has its lost counter. */
	for (int i = 0; i < MB_PROBE_MAX; i++) {
		snprintf(want, sizeof(want), "mailbpf_events_lost_total{probe=\"%s\"} 0\n",
			 mb_probe_name(i));
		has(want);
	}
	/* The whole text is lines. */
	assert_int_equal(p.buf[p.len - 1], '\n');
}

static void test_incidents(void **state)
{
	mb_metrics_incident(&m, "exec_e2big");
	mb_metrics_incident(&m, "exec_e2big");
	mb_metrics_incident(&m, "fs_shutdown");
	/* Not an incident, and not a kind at all: no count. */
	mb_metrics_incident(&m, "textfile_write");
	mb_metrics_incident(&m, "no_such_kind");
	mb_metrics_incident(&m, NULL);
	assert_int_equal(m.incidents[MB_AK_EXEC_E2BIG], 2);
	assert_int_equal(m.incidents[MB_AK_FS_SHUTDOWN], 1);
	assert_int_equal(m.incidents[MB_AK_TEXTFILE_WRITE], 0);
	render();
	has("mailbpf_incidents_total{kind=\"exec_e2big\"} 2\n");
	has("mailbpf_incidents_total{kind=\"fs_shutdown\"} 1\n");
	has("mailbpf_incidents_total{kind=\"reload_collision\"} 0\n");
	lacks("kind=\"textfile_write\"");
}

static void test_fs_keys(void **state)
{
	char key[MB_TOPN_KEY_LEN];

	mb_metrics_fs_key(key, sizeof(key), "/var/mail", "xfs");
	assert_string_equal(key, "/var/mail\x1fxfs");
	mb_metrics_fs_key4(key, sizeof(key), "/var/mail", "ext4", "ext4_error");
	assert_string_equal(key, "/var/mail\x1f"
				 "ext4\x1f"
				 "ext4_error");

	mb_metrics_fs_key(key, sizeof(key), "/var/mail", "xfs");
	assert_int_equal(mb_topn_add(&m.fs_io, "sdb1", key, 3), 0);
	/* A mount point with 0x1f in it: split on the last one. */
	mb_metrics_fs_key(key, sizeof(key), "/odd\x1fname", "xfs");
	assert_int_equal(mb_topn_max(&m.shutdown, "sdc1", key, 1), 0);
	mb_metrics_fs_key4(key, sizeof(key), "/srv", "ext4", "admin");
	assert_int_equal(mb_topn_max(&m.readonly, "sdd1", key, 1), 0);
	mb_metrics_fs_key4(key, sizeof(key),
			   "/o\x1f"
			   "dd",
			   "ext4", "ext4_error");
	assert_int_equal(mb_topn_add(&m.fs_errors, "sde1", key, 2), 0);
	render();
	has("mailbpf_fs_io_errors_total{device=\"sdb1\",mountpoint=\"/var/mail\",fstype=\"xfs\"} "
	    "3\n");
	/* The 0x1f left in a label value is escaped, not raw. */
	lacks("/odd\x1f");
	has("mailbpf_fs_shutdown{device=\"sdc1\",mountpoint=\"/odd");
	has("\",fstype=\"xfs\"} 1\n");
	has("mailbpf_fs_readonly{device=\"sdd1\",mountpoint=\"/srv\",fstype=\"ext4\","
	    "cause=\"admin\"} 1\n");
	has(",fstype=\"ext4\",source=\"ext4_error\"} 2\n");
}

static void test_pairs_and_scale(void **state)
{
	assert_int_equal(mb_topn_add(&m.exec_failures, "E2BIG", "/usr/sbin/exim4", 4), 0);
	assert_int_equal(mb_topn_max(&m.headroom_ppm, "/usr/sbin/exim4", NULL, 250000), 0);
	assert_int_equal(mb_topn_add(&m.reloads, "dovecot", "SIGHUP", 2), 0);
	assert_int_equal(mb_topn_add(&m.block_io, "sdb", NULL, 5), 0);
	assert_int_equal(mb_topn_add(&m.startup_failures, "dovecot", "imap-login\x1fSIGSEGV", 6),
			 0);
	render();
	has("mailbpf_exec_failures_total{errno=\"E2BIG\",program=\"/usr/sbin/exim4\"} 4\n");
	/* Parts per million to a ratio. */
	has("mailbpf_exec_arg_headroom_ratio{program=\"/usr/sbin/exim4\"} 0.25\n");
	has("mailbpf_reload_signals_total{daemon=\"dovecot\",signal=\"SIGHUP\"} 2\n");
	has("mailbpf_block_io_errors_total{device=\"sdb\"} 5\n");
	has("mailbpf_service_startup_failures_total{daemon=\"dovecot\",service=\"imap-login\","
	    "status=\"SIGSEGV\"} 6\n");
}

static void test_daemons_and_probes(void **state)
{
	m.daemon_up[0] = 1;
	m.daemon_up[1] = 0;
	m.daemons[0].collisions = 7;
	m.daemons[0].last_collision_unix = 1796126000;
	m.attached[MB_PROBE_SIGNAL] = 1;
	m.lost[MB_PROBE_EXEC] = 12;
	m.exec_probe = MB_EXEC_PROBE_FEXIT;
	m.nprogs = 3;
	m.progs[0] = (struct mb_prog_status){ .probe = MB_PROBE_XFS, .state = MB_PROG_ATTACHED };
	snprintf(m.progs[0].name, sizeof(m.progs[0].name), "xfs_a");
	m.progs[1] =
		(struct mb_prog_status){ .probe = MB_PROBE_XFS, .state = MB_PROG_NO_TRACEPOINT };
	snprintf(m.progs[1].name, sizeof(m.progs[1].name), "xfs_b");
	m.progs[2] = (struct mb_prog_status){ .probe = MB_PROBE_EXT4, .state = MB_PROG_UNUSED };
	snprintf(m.progs[2].name, sizeof(m.progs[2].name), "ext4_c");
	render();
	{
		char want[128];

		snprintf(want, sizeof(want), "mailbpf_daemon_up{daemon=\"%s\"} 1\n",
			 cfg.daemons[0].name);
		has(want);
		snprintf(want, sizeof(want), "mailbpf_daemon_up{daemon=\"%s\"} 0\n",
			 cfg.daemons[1].name);
		has(want);
		snprintf(want, sizeof(want), "mailbpf_daemon_up{daemon=\"%s\"}",
			 cfg.daemons[2].name);
		lacks(want);
		snprintf(want, sizeof(want), "mailbpf_reload_collisions_total{daemon=\"%s\"} 7\n",
			 cfg.daemons[0].name);
		has(want);
		snprintf(want, sizeof(want),
			 "mailbpf_reload_last_collision_timestamp_seconds{daemon=\"%s\"} "
			 "1796126000\n",
			 cfg.daemons[0].name);
		has(want);
	}
	has("mailbpf_probe_attached{probe=\"signal\"} 1\n");
	has("mailbpf_probe_attached{probe=\"exec\"} 0\n");
	has("mailbpf_events_lost_total{probe=\"exec\"} 12\n");
	has("mailbpf_exec_probe_info{mode=\"fexit\"} 1\n");
	has("mailbpf_exec_probe_info{mode=\"syscall\"} 0\n");
	lacks("mode=\"auto\"");
	has("mailbpf_probe_program_attached{probe=\"xfs\",program=\"xfs_a\"} 1\n");
	has("mailbpf_probe_program_attached{probe=\"xfs\",program=\"xfs_b\"} 0\n");
	/* A program another stands in for is not a missing one. */
	lacks("ext4_c");
}

static void test_rerender(void **state)
{
	size_t first;

	render();
	first = p.len;
	/* Rendering again replaces the text, it does not append. */
	render();
	assert_int_equal(p.len, first);
	assert_int_equal(mb_topn_add(&m.block_io, "sdb", NULL, 1), 0);
	render();
	assert_true(p.len > first);
	assert_int_equal(strstr(p.buf, "# HELP mailbpf_build_info"), p.buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_init, setup, teardown),
		cmocka_unit_test_setup_teardown(test_families_always_there, setup, teardown),
		cmocka_unit_test_setup_teardown(test_incidents, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fs_keys, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pairs_and_scale, setup, teardown),
		cmocka_unit_test_setup_teardown(test_daemons_and_probes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rerender, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
