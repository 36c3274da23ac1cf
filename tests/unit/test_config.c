// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Config: the embedded defaults, a complete valid file, every kind of
 * error with its FILE:LINE: key, and the guarantee that a bad file leaves
 * the running config untouched.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include "config.h"
#include "config_parse.h"
#include "names.h"

static char dir[64], path[128];

static int setup(void **state)
{
	snprintf(dir, sizeof(dir), "/tmp/mb_config_XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	snprintf(path, sizeof(path), "%s/mailbpf.conf", dir);
	return 0;
}

static int teardown(void **state)
{
	return unlink(path) || rmdir(dir) ? -1 : 0;
}

static void write_conf(const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
}

static void test_defaults(void **state)
{
	struct mb_config c;

	mb_config_defaults(&c);
	assert_string_equal(c.source, "");
	assert_string_equal(c.textfile, "/var/lib/prometheus/node-exporter/mailbpf.prom");
	assert_string_equal(c.alert_log, "-");
	assert_string_equal(c.state_dir, "/var/lib/mailbpf");
	assert_int_equal(c.interval_s, 15);
	assert_int_equal(c.syslog, 0);
	assert_int_equal(c.near_miss_pct, 50);
	assert_int_equal(c.top_n, 50);
	assert_int_equal(c.exec_probe, MB_EXEC_PROBE_AUTO);
	assert_string_equal(mb_exec_probe_name(c.exec_probe), "auto");
	assert_int_equal(c.ndaemons, 3);
	assert_string_equal(c.daemons[0].name, "dovecot");
	assert_int_equal(c.daemons[0].ncomms, 1);
	assert_string_equal(c.daemons[0].comms[0], "dovecot");
	assert_string_equal(c.daemons[0].exe, "");
	assert_string_equal(c.daemons[1].name, "exim");
	assert_int_equal(c.daemons[1].ncomms, 2);
	assert_string_equal(c.daemons[1].comms[0], "exim4");
	assert_string_equal(c.daemons[1].comms[1], "exim");
	assert_string_equal(c.daemons[2].name, "postfix");
	assert_string_equal(c.daemons[2].comms[0], "master");
	assert_string_equal(c.daemons[2].exe, "/usr/lib/postfix/sbin/master");
	for (int i = 0; i < 3; i++) {
		assert_int_equal(c.daemons[i].sigmask, MB_DEFAULT_SIGMASK);
		assert_int_equal(c.daemons[i].window_ms, 5000);
		assert_int_equal(c.daemons[i].storm_count, 10);
		assert_int_equal(c.daemons[i].storm_window_ms, 60000);
		assert_int_equal(c.daemons[i].chain_window_ms, 120000);
	}
	assert_int_equal(mb_config_daemon_for_comm(&c, "dovecot"), 1);
	assert_int_equal(mb_config_daemon_for_comm(&c, "exim"), 2);
	assert_int_equal(mb_config_daemon_for_comm(&c, "exim4"), 2);
	assert_int_equal(mb_config_daemon_for_comm(&c, "master"), 3);
	assert_int_equal(mb_config_daemon_for_comm(&c, "dove"), 0);
	assert_int_equal(mb_config_daemon_for_comm(&c, ""), 0);
	assert_int_equal(mb_config_daemon_for_comm(&c, NULL), 0);
}

static void test_full_file(void **state)
{
	struct mb_config c;
	char err[512];

	write_conf("\xef\xbb\xbf# mailbpf test config\n"
		   "; another comment\n"
		   "\n"
		   "[global]\n"
		   "  textfile = /srv/prom/mailbpf.prom  \n"
		   "interval=30\r\n"
		   "alert_log = /var/log/mailbpf/alerts.log\n"
		   "state_dir = /run/mailbpf\n"
		   "syslog = yes\n"
		   "near_miss_percent = 80\n"
		   "top_n = 1000\n"
		   "exec_probe = syscall\n"
		   "[ daemon dovecot ]\n"
		   "comm = dovecot , dovecot2\n"
		   "exe = /usr/sbin/dovecot\n"
		   "signals = HUP SIGUSR1,12\n"
		   "window = 500ms\n"
		   "storm = 3/10s\n"
		   "chain_window = 2m\n"
		   "[daemon exim]\n"
		   "enabled = no\n"
		   "[daemon postfix]\n"
		   "window = 1h\n"
		   "[daemon rspamd]\n"
		   "comm = rspamd\n"
		   "signals = hup\n"
		   "enabled = yes\n");
	assert_int_equal(mb_config_load(&c, path, err, sizeof(err)), 0);
	assert_string_equal(err, "");
	assert_string_equal(c.source, path);
	assert_string_equal(c.textfile, "/srv/prom/mailbpf.prom");
	assert_int_equal(c.interval_s, 30);
	assert_string_equal(c.alert_log, "/var/log/mailbpf/alerts.log");
	assert_string_equal(c.state_dir, "/run/mailbpf");
	assert_int_equal(c.syslog, 1);
	assert_int_equal(c.near_miss_pct, 80);
	assert_int_equal(c.top_n, 1000);
	assert_int_equal(c.exec_probe, MB_EXEC_PROBE_SYSCALL);
	assert_string_equal(mb_exec_probe_name(c.exec_probe), "syscall");
	assert_int_equal(c.ndaemons, 3);
	assert_string_equal(c.daemons[0].name, "dovecot");
	assert_int_equal(c.daemons[0].ncomms, 2);
	assert_string_equal(c.daemons[0].comms[1], "dovecot2");
	assert_string_equal(c.daemons[0].exe, "/usr/sbin/dovecot");
	assert_int_equal(c.daemons[0].sigmask, MB_DEFAULT_SIGMASK);
	assert_int_equal(c.daemons[0].window_ms, 500);
	assert_int_equal(c.daemons[0].storm_count, 3);
	assert_int_equal(c.daemons[0].storm_window_ms, 10000);
	assert_int_equal(c.daemons[0].chain_window_ms, 120000);
	/* postfix: only window given, the rest kept from its default. */
	assert_string_equal(c.daemons[1].name, "postfix");
	assert_int_equal(c.daemons[1].window_ms, 3600000);
	assert_string_equal(c.daemons[1].comms[0], "master");
	assert_string_equal(c.daemons[1].exe, "/usr/lib/postfix/sbin/master");
	/* A new daemon starts from the generic defaults. */
	assert_string_equal(c.daemons[2].name, "rspamd");
	assert_int_equal(c.daemons[2].sigmask, MB_SIGBIT(1));
	assert_int_equal(c.daemons[2].window_ms, 5000);
	assert_int_equal(mb_config_daemon_for_comm(&c, "exim4"), 0);
	assert_int_equal(mb_config_daemon_for_comm(&c, "dovecot2"), 1);
	assert_int_equal(mb_config_daemon_for_comm(&c, "rspamd"), 3);
}

static void test_edge_values(void **state)
{
	struct mb_config c;
	char err[512];

	/* An empty file is the defaults; interval also takes a duration. */
	write_conf("");
	assert_int_equal(mb_config_load(&c, path, err, sizeof(err)), 0);
	assert_int_equal(c.ndaemons, 3);
	write_conf("[global]\ninterval = 2m\nalert_log = -\n[daemon postfix]\nexe =\n"
		   "[daemon a]\ncomm=a\n[daemon b]\ncomm=b\n[daemon c]\ncomm=c\n"
		   "[daemon d]\ncomm=d\n[daemon e]\ncomm=e\n");
	assert_int_equal(mb_config_load(&c, path, err, sizeof(err)), 0);
	assert_int_equal(c.interval_s, 120);
	assert_string_equal(c.daemons[2].exe, "");
	assert_int_equal(c.ndaemons, MB_MAX_DAEMONS);
	/* Nine sections, but one default switched off: eight. */
	write_conf("[daemon a]\ncomm=a\n[daemon b]\ncomm=b\n[daemon c]\ncomm=c\n"
		   "[daemon d]\ncomm=d\n[daemon e]\ncomm=e\n[daemon f]\ncomm=f\n"
		   "[daemon exim]\nenabled=no\n[daemon g]\nenabled=no\n");
	assert_int_equal(mb_config_load(&c, path, err, sizeof(err)), 0);
	assert_int_equal(c.ndaemons, MB_MAX_DAEMONS);
	assert_string_equal(c.daemons[7].name, "f");
}

struct bad_case {
	const char *text;
	const char *head; /* expected "LINE: KEY: " after "FILE:" */
	const char *what; /* expected in the rest */
};

static const struct bad_case bad_cases[] = {
	{ "[foo]\n", "1: [foo]: ", "unknown section (expected [global] or [daemon NAME])" },
	{ "[daemon]\n", "1: [daemon]: ", "unknown section" },
	{ "[global] x\n", "1: [global] x: ", "unknown section" },
	{ "[daemon a/b]\n", "1: [daemon a/b]: ", "bad daemon name" },
	{ "\n[global]\nfoo = 1\n", "3: foo: ",
	  "unknown key (expected one of textfile, interval, alert_log, state_dir, syslog, "
	  "near_miss_percent, top_n, exec_probe, listen, alertmanager_url)" },
	{ "[global]\nexec_probe = kprobe\n", "2: exec_probe: ", "auto, fexit or syscall" },
	{ "[daemon dovecot]\ntextfile = /a.prom\n", "2: textfile: ", "unknown key" },
	{ "interval = 5\n", "1: interval: ", "key outside a section" },
	{ "[global]\ninterval = 5\n#\ninterval = 6\n",
	  "4: interval: ", "duplicate key (first set on line 2)" },
	{ "[global]\n[global]\n", "2: [global]: ", "duplicate section (first on line 1)" },
	{ "[daemon exim]\n[daemon exim]\n", "2: [daemon exim]: ", "duplicate section" },
	{ "[global]\ninterval 15\n", "2: interval 15: ", "missing '=' (expected key = value)" },
	{ "[global]\n= 15\n", "2: =: ", "missing key" },
	{ "[global]\ninterval = 0\n",
	  "2: interval: ", "bad value '0' (expected seconds 1..3600, or a duration like 2m)" },
	{ "[global]\ninterval = 3601\n", "2: interval: ", "bad value '3601'" },
	{ "[global]\ninterval = 1500ms\n", "2: interval: ", "bad value '1500ms'" },
	{ "[global]\ninterval = \x1b[2J\n", "2: interval: ", "bad value '\\x1b[2J'" },
	{ "[global]\ntextfile = rel.prom\n",
	  "2: textfile: ", "bad value 'rel.prom' (expected an absolute path ending in .prom)" },
	{ "[global]\ntextfile = /x/mailbpf.txt\n", "2: textfile: ", "bad value" },
	{ "[global]\nalert_log = alerts.log\n", "2: alert_log: ", "bad value" },
	{ "[global]\nstate_dir =\n", "2: state_dir: ", "bad value ''" },
	{ "[global]\nsyslog = maybe\n", "2: syslog: ", "bad value 'maybe' (expected yes or no)" },
	{ "[global]\nnear_miss_percent = 101\n", "2: near_miss_percent: ", "bad value" },
	{ "[global]\ntop_n = 0\n", "2: top_n: ", "bad value" },
	{ "[global]\ntop_n = -5\n", "2: top_n: ", "bad value" },
	{ "[daemon dovecot]\ncomm = averyveryverylong\n", "2: comm: ", "bad value" },
	{ "[daemon dovecot]\ncomm = a,b,c,d,e\n", "2: comm: ", "bad value" },
	{ "[daemon dovecot]\ncomm = a,,b\n", "2: comm: ", "bad value" },
	{ "[daemon dovecot]\nexe = sbin/dovecot\n", "2: exe: ", "bad value" },
	{ "[daemon dovecot]\nsignals = HUP FOO\n", "2: signals: ", "bad value 'HUP FOO'" },
	{ "[daemon dovecot]\nsignals = 64\n", "2: signals: ", "bad value" },
	{ "[daemon dovecot]\nwindow = 5\n",
	  "2: window: ", "bad value '5' (expected a duration like 500ms, 5s, 2m, up to 24h)" },
	{ "[daemon dovecot]\nwindow = 25h\n", "2: window: ", "bad value" },
	{ "[daemon dovecot]\nstorm = 10\n",
	  "2: storm: ", "bad value '10' (expected count/duration" },
	{ "[daemon dovecot]\nchain_window = 0s\n", "2: chain_window: ", "bad value" },
	{ "[daemon dovecot]\nenabled = perhaps\n", "2: enabled: ", "bad value" },
	{ "[daemon dovecot]\nstartup_window = 2\n",
	  "2: startup_window: ", "bad value '2' (expected 0 (off) or a duration" },
	{ "[daemon dovecot]\nstartup_status = 84 256\n",
	  "2: startup_status: ", "bad value '84 256' (expected exit statuses 1..255" },
	{ "[daemon dovecot]\nstartup_status =\n", "2: startup_status: ", "bad value ''" },
	{ "[daemon dovecot]\nflavor = courier\n",
	  "2: flavor: ", "bad value 'courier' (expected dovecot, postfix, exim or other)" },
	{ "[global]\ninterval = 15\n[daemon rspamd]\nsignals = HUP\n",
	  "3: comm: ", "missing in [daemon rspamd] (expected comm = NAME for a new daemon)" },
	{ "[daemon dovecot2]\ncomm = dovecot\n",
	  "1: comm: ", "'dovecot' is in both [daemon dovecot2] and [daemon dovecot]" },
	{ "[daemon a]\ncomm=a\n[daemon b]\ncomm=b\n[daemon c]\ncomm=c\n"
	  "[daemon d]\ncomm=d\n[daemon e]\ncomm=e\n[daemon f]\ncomm=f\n",
	  "11: [daemon f]: ", "too many daemons (expected at most 8 enabled)" },
};

static void test_errors(void **state)
{
	char err[512], head[256];
	struct mb_config c, before;
	size_t i;

	mb_config_defaults(&c);
	c.interval_s = 99; /* as if loaded earlier */
	before = c;
	for (i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		write_conf(bad_cases[i].text);
		snprintf(head, sizeof(head), "%s:%s", path, bad_cases[i].head);
		if (mb_config_load(&c, path, err, sizeof(err)) != -EINVAL ||
		    strncmp(err, head, strlen(head)) ||
		    !strstr(err + strlen(head), bad_cases[i].what))
			fail_msg("case %zu: got \"%s\", want \"%s%s\"", i, err, head,
				 bad_cases[i].what);
		assert_memory_equal(&c, &before, sizeof(c));
	}
}

static void test_more_errors(void **state)
{
	char err[512], *text;
	struct mb_config c, before;
	int i;

	mb_config_defaults(&c);
	before = c;
	/* Line too long, named by the key in front of it. */
	text = malloc(4096);
	assert_non_null(text);
	strcpy(text, "[global]\ntextfile = /");
	memset(text + strlen(text), 'x', 2000);
	strcpy(text + 21 + 2000, ".prom\n");
	write_conf(text);
	assert_int_equal(mb_config_load(&c, path, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, ":2: textfile: line too long (expected at most 1024 bytes)"));
	/* More sections than can ever be enabled. */
	text[0] = '\0';
	for (i = 0; i < 20; i++)
		snprintf(text + strlen(text), 4096 - strlen(text), "[daemon d%d]\nenabled=no\n", i);
	write_conf(text);
	assert_int_equal(mb_config_load(&c, path, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, ":27: [daemon d13]: too many daemons"));
	free(text);
	/* An error on the last line still discards everything before it. */
	write_conf("[global]\ninterval = 60\ntop_n = 7\n[daemon x]\nbogus = 1\n");
	assert_int_equal(mb_config_load(&c, path, NULL, 0), -EINVAL);
	assert_memory_equal(&c, &before, sizeof(c));
	/* Unreadable: "FILE: strerror" and the errno. */
	assert_int_equal(mb_config_load(&c, "/nonexistent/mailbpf.conf", err, sizeof(err)),
			 -ENOENT);
	assert_string_equal(err, "/nonexistent/mailbpf.conf: No such file or directory");
	assert_int_equal(mb_config_load(&c, dir, err, sizeof(err)), -EISDIR);
	assert_memory_equal(&c, &before, sizeof(c));
	/* A short err buffer is still terminated. */
	write_conf("[nope]\n");
	assert_int_equal(mb_config_load(&c, path, err, 8), -EINVAL);
	assert_int_equal(strlen(err), 7);
}

/* Start-up rules: defaults from the daemons' sources, keys on top. */
static void test_startup_keys(void **state)
{
	struct mb_config c;
	char err[256];
	uint64_t m[4];

	mb_config_defaults(&c);
	assert_int_equal(c.daemons[0].flavor, MB_FLAVOR_DOVECOT);
	assert_int_equal(c.daemons[0].startup_window_ms, 2000);
	assert_int_equal(c.daemons[0].startup_status[1],
			 (1ULL << (83 - 64)) | (1ULL << (84 - 64)) | (1ULL << (89 - 64)));
	assert_int_equal(c.daemons[1].flavor, MB_FLAVOR_EXIM);
	assert_int_equal(c.daemons[1].startup_window_ms, 0);
	assert_int_equal(c.daemons[2].flavor, MB_FLAVOR_POSTFIX);
	assert_int_equal(c.daemons[2].startup_window_ms, 3000);
	write_conf("[daemon dovecot]\nstartup_window = 0\nstartup_status = none\n"
		   "[daemon pf2]\ncomm = pfmaster\nflavor = postfix\nstartup_window = 5s\n"
		   "startup_status = 1, 75\n");
	assert_int_equal(mb_config_load(&c, path, err, sizeof(err)), 0);
	assert_int_equal(c.daemons[0].startup_window_ms, 0);
	assert_int_equal(c.daemons[0].startup_status[1], 0);
	assert_int_equal(c.daemons[3].flavor, MB_FLAVOR_POSTFIX);
	assert_string_equal(mb_flavor_name(c.daemons[3].flavor), "postfix");
	assert_int_equal(c.daemons[3].startup_window_ms, 5000);
	assert_int_equal(c.daemons[3].startup_status[0], 1ULL << 1);
	assert_int_equal(c.daemons[3].startup_status[1], 1ULL << (75 - 64));
	assert_int_equal(mb_config_parse_statuses("0", m), -EINVAL);
	assert_int_equal(mb_config_parse_statuses("84 x", m), -EINVAL);
}

static void test_durations(void **state)
{
	uint64_t ms = 42;

	assert_int_equal(mb_config_parse_duration_ms("500ms", &ms), 0);
	assert_int_equal(ms, 500);
	assert_int_equal(mb_config_parse_duration_ms("5s", &ms), 0);
	assert_int_equal(ms, 5000);
	assert_int_equal(mb_config_parse_duration_ms("2m", &ms), 0);
	assert_int_equal(ms, 120000);
	assert_int_equal(mb_config_parse_duration_ms("24h", &ms), 0);
	assert_int_equal(ms, MB_DURATION_MAX_MS);
	assert_int_equal(mb_config_parse_duration_ms("1ms", &ms), 0);
	assert_int_equal(ms, 1);
	ms = 42;
	assert_int_equal(mb_config_parse_duration_ms("25h", &ms), -ERANGE);
	assert_int_equal(mb_config_parse_duration_ms("0s", &ms), -ERANGE);
	assert_int_equal(mb_config_parse_duration_ms("99999999999999999999999s", &ms), -ERANGE);
	assert_int_equal(mb_config_parse_duration_ms("18446744073709551617ms", &ms), -ERANGE);
	assert_int_equal(mb_config_parse_duration_ms("5", &ms), -EINVAL);
	assert_int_equal(mb_config_parse_duration_ms("5 s", &ms), -EINVAL);
	assert_int_equal(mb_config_parse_duration_ms("5S", &ms), -EINVAL);
	assert_int_equal(mb_config_parse_duration_ms("1.5s", &ms), -EINVAL);
	assert_int_equal(mb_config_parse_duration_ms("-1s", &ms), -EINVAL);
	assert_int_equal(mb_config_parse_duration_ms("s", &ms), -EINVAL);
	assert_int_equal(mb_config_parse_duration_ms("", &ms), -EINVAL);
	assert_int_equal(mb_config_parse_duration_ms(NULL, &ms), -EINVAL);
	assert_int_equal(ms, 42); /* untouched on error */
}

static void test_signals(void **state)
{
	uint64_t m = 42;

	assert_int_equal(mb_config_parse_signals("HUP USR1 USR2", &m), 0);
	assert_int_equal(m, MB_DEFAULT_SIGMASK);
	assert_int_equal(mb_config_parse_signals(" sighup,\tSIGusr1 , 12 ", &m), 0);
	assert_int_equal(m, MB_DEFAULT_SIGMASK);
	assert_int_equal(mb_config_parse_signals("TERM", &m), 0);
	assert_int_equal(m, MB_SIGBIT(15));
	assert_int_equal(mb_config_parse_signals("63 1", &m), 0);
	assert_int_equal(m, MB_SIGBIT(63) | MB_SIGBIT(1));
	m = 42;
	assert_int_equal(mb_config_parse_signals("0", &m), -EINVAL);
	assert_int_equal(mb_config_parse_signals("64", &m), -EINVAL);
	assert_int_equal(mb_config_parse_signals("HUP RTMIN", &m), -EINVAL);
	assert_int_equal(mb_config_parse_signals("SIGSIGHUP", &m), -EINVAL);
	assert_int_equal(mb_config_parse_signals("SIGVERYLONGNAMEXX", &m), -EINVAL);
	assert_int_equal(mb_config_parse_signals(" , ", &m), -EINVAL);
	assert_int_equal(mb_config_parse_signals("", &m), -EINVAL);
	assert_int_equal(m, 42);
}

static void test_small_parsers(void **state)
{
	char comms[MB_MAX_COMMS][MB_COMM_LEN], p[16];
	uint64_t w = 0;
	uint32_t n = 0;
	int b = -1, nc = 0;

	assert_int_equal(mb_config_parse_storm("10/60s", &n, &w), 0);
	assert_int_equal(n, 10);
	assert_int_equal(w, 60000);
	assert_int_equal(mb_config_parse_storm("0/60s", &n, &w), -ERANGE);
	assert_int_equal(mb_config_parse_storm("10/60", &n, &w), -EINVAL);
	assert_int_equal(mb_config_parse_storm("/60s", &n, &w), -EINVAL);
	assert_int_equal(mb_config_parse_bool("On", &b), 0);
	assert_int_equal(b, 1);
	assert_int_equal(mb_config_parse_bool("FALSE", &b), 0);
	assert_int_equal(b, 0);
	assert_int_equal(mb_config_parse_bool("2", &b), -EINVAL);
	assert_int_equal(mb_config_parse_comms(" exim4 ,exim", comms, &nc), 0);
	assert_int_equal(nc, 2);
	assert_string_equal(comms[0], "exim4");
	assert_string_equal(comms[1], "exim");
	assert_int_equal(mb_config_parse_comms("123456789012345", comms, &nc), 0);
	assert_int_equal(mb_config_parse_comms("1234567890123456", comms, &nc), -EINVAL);
	assert_int_equal(mb_config_parse_comms("a,", comms, &nc), -EINVAL);
	assert_int_equal(mb_config_parse_path("/a/b", "", p, sizeof(p)), 0);
	assert_string_equal(p, "/a/b");
	assert_int_equal(mb_config_parse_path("/a/very/long/path", "", p, sizeof(p)), -EINVAL);
	assert_int_equal(mb_config_parse_path("/.prom", ".prom", p, sizeof(p)), 0);
	assert_int_equal(mb_config_parse_path(".prom", ".prom", p, sizeof(p)), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test_setup_teardown(test_full_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_edge_values, setup, teardown),
		cmocka_unit_test_setup_teardown(test_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_more_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_startup_keys, setup, teardown),
		cmocka_unit_test(test_durations),
		cmocka_unit_test(test_signals),
		cmocka_unit_test(test_small_parsers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
