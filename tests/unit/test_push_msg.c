// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The Alertmanager push without sockets: which alerts start, refresh and
 * end an entry, when events expire, when acknowledged entries go, the
 * bounded set, the JSON body, the URLs and config keys it is configured
 * with.
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
#include "push_msg.h"

#define T0 1796126400000LL /* 2026-12-01T12:00:00Z */

static struct mb_alert mk(const char *kind, enum mb_severity sev, const char *key, const char *v)
{
	struct mb_alert a;

	mb_alert_init(&a, 0, sev, kind);
	snprintf(a.summary, sizeof(a.summary), "%s happened", kind);
	if (key)
		mb_alert_str(&a, key, v);
	mb_alert_str(&a, "mountpoint", "/srv/mail");
	mb_alert_int(&a, "count", 3);
	return a;
}

static void test_states_and_events(void **state)
{
	static struct mb_push_set s;
	struct mb_alert sd = mk("fs_shutdown", MB_SEV_CRITICAL, "device", "sdb1");
	struct mb_alert cleared = mk("fs_shutdown", MB_SEV_INFO, "device", "sdb1");
	struct mb_alert e2big = mk("exec_e2big", MB_SEV_CRITICAL, NULL, NULL);

	mb_push_set_init(&s, "mx1");
	assert_int_equal(mb_push_feed(&s, &sd, T0), 1);
	assert_int_equal(s.n, 1);
	assert_string_equal(s.a[0].alertname, "MailbpfFilesystemShutdown");
	assert_string_equal(s.a[0].device, "sdb1");
	assert_string_equal(s.a[0].severity, "critical");
	assert_non_null(strstr(s.a[0].description, "fs_shutdown happened. device=sdb1 "
						   "mountpoint=/srv/mail count=3"));
	/* The same state again refreshes it; startsAt stays. */
	assert_int_equal(mb_push_feed(&s, &sd, T0 + 5000), 1);
	assert_int_equal(s.n, 1);
	assert_int_equal(s.a[0].starts_ms, T0);
	/* A state never expires by itself. */
	assert_int_equal(mb_push_tick(&s, T0 + 24 * 3600 * 1000LL), 0);
	assert_int_equal(s.a[0].ends_ms, 0);
	/* An event ends after MB_PUSH_EVENT_MS, a refresh moves that. */
	assert_int_equal(mb_push_feed(&s, &e2big, T0), 1);
	assert_int_equal(mb_push_feed(&s, &e2big, T0 + 60000), 1);
	assert_int_equal(s.n, 2);
	assert_int_equal(mb_push_tick(&s, T0 + MB_PUSH_EVENT_MS), 0);
	assert_int_equal(mb_push_tick(&s, T0 + 60000 + MB_PUSH_EVENT_MS), 1);
	assert_int_equal(s.a[1].ends_ms, T0 + 60000 + MB_PUSH_EVENT_MS);
	/* Info of an event kind, and of a state not in force, change nothing. */
	assert_int_equal(mb_push_feed(&s, &(struct mb_alert){ .kind = "exec_e2big" }, T0), 0);
	cleared.fields[0].s[0] = 'x';
	assert_int_equal(mb_push_feed(&s, &cleared, T0), 0);
	cleared.fields[0].s[0] = 's';
	assert_int_equal(mb_push_feed(&s, &cleared, T0 + 9000), 1);
	assert_int_equal(s.a[0].ends_ms, T0 + 9000);
	/* Kinds with no alert name are not pushed. */
	assert_int_equal(mb_push_feed(&s, &(struct mb_alert){ .kind = "nope", .severity = 2 }, T0),
			 0);
	assert_null(mb_push_alertname("nope"));
	assert_string_equal(mb_push_alertname("textfile_write"),
			    "MailbpfTextfileFilesystemFailing");
}

/* Kinds from the start-up and read-only detectors, by the rules' names. */
static void test_more_kinds(void **state)
{
	static struct mb_push_set s;
	struct mb_alert ro = mk("fs_readonly", MB_SEV_WARNING, "cause", "admin");
	struct mb_alert a = mk("service_startup_failing", MB_SEV_CRITICAL, "daemon", "dovecot");
	struct mb_alert b = a;
	char *buf = NULL;
	size_t cap = 0;

	mb_push_set_init(&s, "mx1");
	mb_alert_str(&a, "service", "imap-login");
	mb_alert_str(&b, "service", "pop3-login");
	mb_push_feed(&s, &ro, T0);
	mb_push_feed(&s, &a, T0);
	mb_push_feed(&s, &b, T0);
	assert_int_equal(s.n, 3); /* two services of one daemon: two alerts */
	assert_string_equal(s.a[0].alertname, "MailbpfFilesystemRemountedReadOnly");
	assert_string_equal(s.a[1].alertname, "MailbpfServiceStartupFailing");
	a.severity = MB_SEV_INFO;
	assert_int_equal(mb_push_feed(&s, &a, T0 + 1000), 1);
	assert_int_equal(s.a[1].ends_ms, T0 + 1000);
	assert_int_equal(s.a[2].ends_ms, 0);
	assert_true(mb_push_body(&s, &buf, &cap) > 0);
	assert_non_null(strstr(buf, "\"daemon\":\"dovecot\",\"service\":\"pop3-login\"}"));
	free(buf);
	assert_string_equal(mb_push_alertname("daemon_exited"), "MailbpfDaemonDown");
	assert_string_equal(mb_push_alertname("fs_readonly"), "MailbpfFilesystemReadOnly");
}

static void test_acked(void **state)
{
	static struct mb_push_set s;
	struct mb_alert sd = mk("fs_shutdown", MB_SEV_CRITICAL, "device", "sdb1");
	struct mb_alert cleared = mk("fs_shutdown", MB_SEV_INFO, "device", "sdb1");
	uint64_t seq;

	mb_push_set_init(&s, "mx1");
	mb_push_feed(&s, &sd, T0);
	mb_push_acked(&s, 0, 2, s.seq); /* in force: stays whatever is acked */
	assert_int_equal(s.n, 1);
	mb_push_feed(&s, &cleared, T0 + 1000);
	seq = s.seq;
	mb_push_acked(&s, 0, 2, seq - 1); /* a body from before the end */
	assert_int_equal(s.a[0].acked, 0);
	mb_push_acked(&s, 0, 2, seq);
	assert_int_equal(s.n, 1); /* the second Alertmanager has not got it */
	mb_push_acked(&s, 0, 2, seq);
	assert_int_equal(s.n, 1);
	mb_push_acked(&s, 1, 2, seq);
	assert_int_equal(s.n, 0);
	/* Ended but not delivered, then raised again: one fresh entry. */
	mb_push_feed(&s, &sd, T0);
	mb_push_feed(&s, &cleared, T0 + 1);
	mb_push_feed(&s, &sd, T0 + 2);
	assert_int_equal(s.n, 1);
	assert_int_equal(s.a[0].ends_ms, 0);
	assert_int_equal(s.a[0].starts_ms, T0 + 2);
}

static void test_bounded(void **state)
{
	static struct mb_push_set s;
	char dev[16];

	mb_push_set_init(&s, "mx1");
	for (int i = 0; i < MB_PUSH_MAX + 10; i++) {
		struct mb_alert a;

		snprintf(dev, sizeof(dev), "sd%d", i);
		a = mk("block_io_error", MB_SEV_WARNING, "device", dev);
		mb_push_feed(&s, &a, T0 + i);
	}
	assert_int_equal(s.n, MB_PUSH_MAX);
	assert_int_equal(s.evicted, 10);
	assert_string_equal(s.a[0].device, "sd10"); /* the oldest went */
}

static void test_body(void **state)
{
	static struct mb_push_set s;
	struct mb_alert sd = mk("fs_shutdown", MB_SEV_CRITICAL, "device", "sd\"b\n1");
	struct mb_alert col = mk("reload_collision", MB_SEV_WARNING, "daemon", "dovecot");
	char *buf = NULL;
	size_t cap = 0;
	long n;

	mb_push_set_init(&s, "mx1");
	n = mb_push_body(&s, &buf, &cap);
	assert_int_equal(n, 2);
	assert_string_equal(buf, "[]");
	mb_push_feed(&s, &sd, T0 + 123);
	mb_push_feed(&s, &col, T0);
	col.severity = MB_SEV_INFO; /* an event kind: info ends nothing */
	mb_push_feed(&s, &col, T0);
	mb_push_tick(&s, T0 + MB_PUSH_EVENT_MS);
	n = mb_push_body(&s, &buf, &cap);
	assert_int_equal(n, (long)strlen(buf));
	assert_non_null(strstr(buf, "[{\"labels\":{\"alertname\":\"MailbpfFilesystemShutdown\","
				    "\"severity\":\"critical\",\"instance\":\"mx1\","
				    "\"device\":\"sd\\\"b\\n1\"},\"annotations\":{\"summary\":"
				    "\"fs_shutdown happened\",\"description\":"));
	assert_non_null(strstr(buf, "\"startsAt\":\"2026-12-01T12:00:00.123Z\"}"));
	assert_non_null(strstr(buf, ",{\"labels\":{\"alertname\":\"MailbpfReloadCollision\","
				    "\"severity\":\"warning\",\"instance\":\"mx1\","
				    "\"daemon\":\"dovecot\"}"));
	assert_non_null(strstr(buf, "\"startsAt\":\"2026-12-01T12:00:00.000Z\","
				    "\"endsAt\":\"2026-12-01T12:15:00.000Z\"}]"));
	free(buf);
}

static void test_urls(void **state)
{
	char host[64], port[8], prefix[64];

#define URL(u) mb_push_parse_url(u, host, sizeof(host), port, sizeof(port), prefix, sizeof(prefix))
	assert_int_equal(URL("http://127.0.0.1:9093"), 0);
	assert_string_equal(host, "127.0.0.1");
	assert_string_equal(port, "9093");
	assert_string_equal(prefix, "");
	assert_int_equal(URL("http://am.example.org/alertmanager/"), 0);
	assert_string_equal(host, "am.example.org");
	assert_string_equal(port, "80");
	assert_string_equal(prefix, "/alertmanager");
	assert_int_equal(URL("http://[fd00::1]:9093/"), 0);
	assert_string_equal(host, "fd00::1");
	assert_string_equal(prefix, "");
	assert_int_equal(URL("https://am:9093"), -EINVAL);
	assert_int_equal(URL("http://user:pw@am:9093"), -EINVAL);
	assert_int_equal(URL("http://am:0"), -EINVAL);
	assert_int_equal(URL("http://am:65536"), -EINVAL);
	assert_int_equal(URL("http://am:"), -EINVAL);
	assert_int_equal(URL("http://:9093"), -EINVAL);
	assert_int_equal(URL("http://am:9093?x"), -EINVAL);
	assert_int_equal(URL("http://a_m:9093"), -EINVAL);
	assert_int_equal(URL("http://[fd00::1:9093"), -EINVAL);
	assert_int_equal(URL("am:9093"), -EINVAL);
#undef URL
}

static int load(const char *text, struct mb_config *c, char *err, size_t len)
{
	char path[] = "/tmp/mb_push_conf_XXXXXX";
	int fd = mkstemp(path), ret;

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	mb_config_defaults(c);
	ret = mb_config_load(c, path, err, len);
	unlink(path);
	return ret;
}

static void test_config_keys(void **state)
{
	static struct mb_config c;
	char err[512];

	assert_int_equal(load("[global]\nlisten = 127.0.0.1:9638\n"
			      "alertmanager_url = http://10.0.0.1:9093\n"
			      "alertmanager_url = http://10.0.0.2:9093/\n",
			      &c, err, sizeof(err)),
			 0);
	assert_string_equal(c.listen, "127.0.0.1:9638");
	assert_int_equal(c.nalertmanagers, 2);
	assert_string_equal(c.alertmanagers[1], "http://10.0.0.2:9093/");
	assert_int_equal(load("[global]\nlisten =\n", &c, err, sizeof(err)), 0);
	assert_string_equal(c.listen, "");
	assert_int_equal(load("[global]\nlisten = localhost:9638\n", &c, err, sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, ":2: listen: bad value 'localhost:9638'"));
	assert_int_equal(load("[global]\nalertmanager_url = https://am:9093\n", &c, err,
			      sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, ":2: alertmanager_url: bad value 'https://am:9093' "
				    "(expected an http:// URL"));
	assert_int_equal(load("[global]\nalertmanager_url = http://a:1\nalertmanager_url = "
			      "http://a:2\nalertmanager_url = http://a:3\nalertmanager_url = "
			      "http://a:4\nalertmanager_url = http://a:5\n",
			      &c, err, sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, ":6: alertmanager_url: bad value"));
	assert_int_equal(load("[global]\nlisten = 127.0.0.1:1\nlisten = 127.0.0.1:2\n", &c, err,
			      sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, ":3: listen: duplicate key"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_states_and_events),
		cmocka_unit_test(test_more_kinds),
		cmocka_unit_test(test_acked),
		cmocka_unit_test(test_bounded),
		cmocka_unit_test(test_body),
		cmocka_unit_test(test_urls),
		cmocka_unit_test(test_config_keys),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
