// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The alert log: exact lines, a strict JSON check of every line written,
 * hostile strings that try to forge a second record, rotation.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>
#include "alertlog.h"

static char dir[64], path[128];

static int setup(void **state)
{
	snprintf(dir, sizeof(dir), "/tmp/mb_alertlog_XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	snprintf(path, sizeof(path), "%s/alerts.log", dir);
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

/* Built by hand: detect_common.c's helpers belong to another module. */
static void make_alert(struct mb_alert *a, enum mb_severity sev, const char *kind,
		       const char *summary)
{
	memset(a, 0, sizeof(*a));
	a->severity = sev;
	a->kind = kind;
	snprintf(a->summary, sizeof(a->summary), "%s", summary);
}

static void add_str(struct mb_alert *a, const char *key, const char *val)
{
	struct mb_field *f = &a->fields[a->nfields++];

	f->key = key;
	f->type = MB_F_STR;
	snprintf(f->s, sizeof(f->s), "%s", val);
}

static void add_int(struct mb_alert *a, const char *key, int64_t val)
{
	struct mb_field *f = &a->fields[a->nfields++];

	f->key = key;
	f->type = MB_F_INT;
	f->i = val;
}

static char *slurp(const char *p)
{
	static char buf[65536];
	FILE *f = fopen(p, "r");
	size_t n;

	assert_non_null(f);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

/*
 * A strict little JSON checker for one line: objects, strings, integers.
 * Enough for this schema; anything else (raw control byte in a string,
 * bad escape, trailing garbage) fails.
 */
static const char *j_value(const char *s);

static const char *j_string(const char *s)
{
	if (*s++ != '"')
		return NULL;
	for (; *s != '"'; s++) {
		if ((unsigned char)*s < 0x20)
			return NULL;
		if (*s == '\\') {
			s++;
			if (*s == 'u') {
				for (int i = 1; i <= 4; i++)
					if (!strchr("0123456789abcdefABCDEF", s[i]) || !s[i])
						return NULL;
				s += 4;
			} else if (!*s || !strchr("\"\\/bfnrt", *s)) {
				return NULL;
			}
		}
	}
	return s + 1;
}

static const char *j_value(const char *s)
{
	if (*s == '"')
		return j_string(s);
	if (*s == '-' || (*s >= '0' && *s <= '9')) {
		s += *s == '-';
		if (*s < '0' || *s > '9')
			return NULL;
		while (*s >= '0' && *s <= '9')
			s++;
		return s;
	}
	if (*s++ != '{')
		return NULL;
	if (*s == '}')
		return s + 1;
	for (;;) {
		if (!(s = j_string(s)) || *s++ != ':' || !(s = j_value(s)))
			return NULL;
		if (*s == '}')
			return s + 1;
		if (*s++ != ',')
			return NULL;
	}
}

/* Every line a valid object; returns the number of lines. */
static int check_lines(const char *text)
{
	const char *s = text, *end;
	int n = 0;

	while (*s) {
		end = j_value(s);
		assert_non_null(end);
		assert_int_equal(*end, '\n');
		s = end + 1;
		n++;
	}
	return n;
}

static void test_exact_line(void **state)
{
	struct mb_alertlog l;
	struct mb_alert a;
	struct stat st;
	mode_t old = umask(0);

	assert_int_equal(mb_alertlog_open(&l, path, 0), 0);
	umask(old);
	make_alert(&a, MB_SEV_WARNING, "reload_collision", "dovecot reloaded twice in 1.2 s");
	add_str(&a, "daemon", "dovecot");
	add_int(&a, "gap_ms", 1200);
	add_int(&a, "neg", INT64_MIN);
	assert_int_equal(mb_alertlog_write(&l, &a, 1795329001.123), 0);
	make_alert(&a, MB_SEV_CRITICAL, "fs_shutdown", "");
	assert_int_equal(mb_alertlog_write(&l, &a, 0), 0);
	make_alert(&a, (enum mb_severity)7, "odd", "x");
	assert_int_equal(mb_alertlog_write(&l, &a, 1.9996), 0);
	/* Visible before close: flushed per alert. */
	assert_string_equal(
		slurp(path),
		"{\"time\":\"2026-11-22T06:30:01.123Z\",\"severity\":\"warning\","
		"\"kind\":\"reload_collision\",\"summary\":\"dovecot reloaded twice in 1.2 s\","
		"\"details\":{\"daemon\":\"dovecot\",\"gap_ms\":1200,\"neg\":-9223372036854775808}}\n"
		"{\"time\":\"1970-01-01T00:00:00.000Z\",\"severity\":\"critical\",\"kind\":\"fs_shutdown\","
		"\"summary\":\"\",\"details\":{}}\n"
		"{\"time\":\"1970-01-01T00:00:02.000Z\",\"severity\":\"warning\",\"kind\":\"odd\","
		"\"summary\":\"x\",\"details\":{}}\n");
	assert_int_equal(check_lines(slurp(path)), 3);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0640);
	mb_alertlog_close(&l);
	mb_alertlog_close(&l); /* idempotent */
}

static void test_hostile(void **state)
{
	struct mb_alertlog l;
	struct mb_alert a;
	const char *text;

	assert_int_equal(mb_alertlog_open(&l, path, 0), 0);
	make_alert(&a, MB_SEV_INFO, "exec_fail", "x\"}}\n{\"kind\":\"fake\"}\x1b[2J\xff\r");
	add_str(&a, "comm", "a\\\"\t\x7f\xc3\xa9");
	a.fields[a.nfields++].key = NULL; /* skipped, no stray comma */
	add_str(&a, "file", "\xe2\x82");
	assert_int_equal(mb_alertlog_write(&l, &a, 1.0), 0);
	text = slurp(path);
	assert_int_equal(check_lines(text), 1);
	assert_string_equal(text,
			    "{\"time\":\"1970-01-01T00:00:01.000Z\",\"severity\":\"info\","
			    "\"kind\":\"exec_fail\",\"summary\":\"x\\\"}}\\n{\\\"kind\\\":"
			    "\\\"fake\\\"}\\u001b[2J\\ufffd\\r\",\"details\":{\"comm\":"
			    "\"a\\\\\\\"\\t\\u007f\xc3\xa9\",\"file\":\"\\ufffd\\ufffd\"}}\n");
	/* A summary filling its array with no NUL is cut, not overrun. */
	make_alert(&a, MB_SEV_INFO, "k", "");
	memset(a.summary, '"', sizeof(a.summary));
	memset(a.fields[0].s, 'q', sizeof(a.fields[0].s));
	a.fields[0].key = "k";
	a.nfields = 1;
	assert_int_equal(mb_alertlog_write(&l, &a, 1.0), 0);
	assert_int_equal(check_lines(slurp(path)), 2);
	mb_alertlog_close(&l);
}

static void test_append_and_reopen(void **state)
{
	char rotated[160];
	struct mb_alertlog l;
	struct mb_alert a;
	FILE *f;

	f = fopen(path, "w");
	assert_non_null(f);
	fputs("{\"old\":1}\n", f);
	fclose(f);
	assert_int_equal(mb_alertlog_open(&l, path, 0), 0);
	make_alert(&a, MB_SEV_INFO, "one", "1");
	assert_int_equal(mb_alertlog_write(&l, &a, 0), 0);
	snprintf(rotated, sizeof(rotated), "%s.1", path);
	assert_int_equal(rename(path, rotated), 0);
	assert_int_equal(mb_alertlog_reopen(&l), 0);
	make_alert(&a, MB_SEV_INFO, "two", "2");
	assert_int_equal(mb_alertlog_write(&l, &a, 0), 0);
	assert_int_equal(check_lines(slurp(rotated)), 2);
	assert_non_null(strstr(slurp(rotated), "\"kind\":\"one\""));
	assert_int_equal(check_lines(slurp(path)), 1);
	assert_non_null(strstr(slurp(path), "\"kind\":\"two\""));
	/* The directory vanished: reopen fails, the old file stays in use. */
	assert_int_equal(unlink(path), 0);
	assert_int_equal(unlink(rotated), 0);
	assert_int_equal(rmdir(dir), 0);
	assert_int_equal(mb_alertlog_reopen(&l), -ENOENT);
	assert_non_null(strstr(l.errmsg, path));
	assert_int_equal(mb_alertlog_write(&l, &a, 0), 0);
	mb_alertlog_close(&l);
	assert_int_equal(mkdir(dir, 0700), 0);
}

static void test_open_errors(void **state)
{
	char bad[192];
	struct mb_alertlog l;
	struct mb_alert a;

	snprintf(bad, sizeof(bad), "%s/missing/alerts.log", dir);
	assert_int_equal(mb_alertlog_open(&l, bad, 0), -ENOENT);
	assert_non_null(strstr(l.errmsg, bad));
	assert_non_null(strstr(l.errmsg, "No such file"));
	mb_alertlog_close(&l);
	/* A write error names the file; the next alert is tried again. */
	assert_int_equal(mb_alertlog_open(&l, "/dev/full", 0), 0);
	make_alert(&a, MB_SEV_INFO, "k", "s");
	assert_int_equal(mb_alertlog_write(&l, &a, 0), -ENOSPC);
	assert_string_equal(l.errmsg, "/dev/full: No space left on device");
	assert_int_equal(mb_alertlog_write(&l, &a, 0), -ENOSPC);
	mb_alertlog_close(&l);
	/* No file at all: syslog only, writes succeed. */
	make_alert(&a, MB_SEV_INFO, "unit_test", "mailbpf unit test, please ignore");
	assert_int_equal(mb_alertlog_open(&l, "", 1), 0);
	assert_int_equal(mb_alertlog_write(&l, &a, 0), 0);
	assert_int_equal(mb_alertlog_reopen(&l), 0);
	mb_alertlog_close(&l);
}

static void test_stdout(void **state)
{
	struct mb_alertlog l;
	struct mb_alert a;
	int fd, saved;

	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	fflush(stdout);
	saved = dup(1);
	assert_true(saved >= 0);
	assert_int_equal(dup2(fd, 1), 1);
	assert_int_equal(mb_alertlog_open(&l, "-", 0), 0);
	make_alert(&a, MB_SEV_CRITICAL, "fs_shutdown", "xfs on /var/mail shut down\n\x1b[31m");
	assert_int_equal(mb_alertlog_write(&l, &a, 0.5), 0);
	assert_int_equal(mb_alertlog_reopen(&l), 0);
	mb_alertlog_close(&l);
	fflush(stdout);
	assert_int_equal(dup2(saved, 1), 1);
	close(saved);
	close(fd);
	assert_string_equal(slurp(path),
			    "{\"time\":\"1970-01-01T00:00:00.500Z\",\"severity\":\"critical\","
			    "\"kind\":\"fs_shutdown\",\"summary\":\"xfs on /var/mail shut "
			    "down\\n\\u001b[31m\",\"details\":{}}\n");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_exact_line, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hostile, setup, teardown),
		cmocka_unit_test_setup_teardown(test_append_and_reopen, setup, teardown),
		cmocka_unit_test_setup_teardown(test_open_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stdout, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
