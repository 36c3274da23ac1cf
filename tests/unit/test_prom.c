// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Exposition text byte for byte, the atomic textfile writer against the
 * ways it can fail or be attacked, and the bounded label table.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>
#include "prom.h"

static char dir[64];

static int setup_dir(void **state)
{
	snprintf(dir, sizeof(dir), "/tmp/mb_prom_XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown_dir(void **state)
{
	char cmd[PATH_MAX + 16];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static void path_in(char *out, const char *name)
{
	snprintf(out, PATH_MAX, "%s/%s", dir, name);
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
}

static void assert_file(const char *path, const char *want)
{
	char got[4096] = "";
	FILE *f = fopen(path, "r");
	size_t n;

	assert_non_null(f);
	n = fread(got, 1, sizeof(got) - 1, f);
	got[n] = '\0';
	fclose(f);
	assert_string_equal(got, want);
}

/* Names in the test directory other than the expected ones: leftover temps. */
static int count_entries(void)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	assert_non_null(d);
	while ((e = readdir(d)))
		n += strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
	closedir(d);
	return n;
}

static void test_exposition(void **state)
{
	const char *const l1[] = { "daemon", "dovecot", "sender", "x\"}\nevil{a=\"b\"} 1", NULL };
	const char *const l2[] = { "device", "sda\\1", NULL };
	struct mb_prom p;

	mb_prom_init(&p);
	assert_int_equal(mb_prom_family(&p, "mailbpf_reloads_total", "counter",
					"Reload \"signals\"\nper daemon \\ sender"),
			 0);
	assert_int_equal(mb_prom_sample(&p, "mailbpf_reloads_total", l1, 12), 0);
	assert_int_equal(mb_prom_sample(&p, "mailbpf_reloads_total", NULL, 12345678901234.0), 0);
	assert_int_equal(mb_prom_family(&p, "mailbpf_ratio", "gauge", "A ratio."), 0);
	assert_int_equal(mb_prom_sample(&p, "mailbpf_ratio", l2, 0.1), 0);
	assert_int_equal(mb_prom_sample(&p, "mailbpf_ratio", NULL, -3), 0);
	assert_int_equal(mb_prom_sample(&p, "mailbpf_ratio", NULL, -0.0), 0);
	assert_int_equal(mb_prom_sample(&p, "mailbpf_ratio", NULL, 1e20), 0);
	assert_int_equal(mb_prom_sample(&p, "mailbpf_ratio", NULL, NAN), 0);
	assert_int_equal(mb_prom_sample(&p, "mailbpf_ratio", NULL, -INFINITY), 0);
	assert_int_equal(mb_prom_sample(&p, "mailbpf_ratio", NULL, 2.5e-7), 0);
	assert_string_equal(
		p.buf,
		"# HELP mailbpf_reloads_total Reload \"signals\"\\nper daemon \\\\ sender\n"
		"# TYPE mailbpf_reloads_total counter\n"
		"mailbpf_reloads_total{daemon=\"dovecot\",sender=\"x\\\"}\\nevil{a=\\\"b\\\"} 1\"} 12\n"
		"mailbpf_reloads_total 12345678901234\n"
		"# HELP mailbpf_ratio A ratio.\n"
		"# TYPE mailbpf_ratio gauge\n"
		"mailbpf_ratio{device=\"sda\\\\1\"} 0.1\n"
		"mailbpf_ratio -3\n"
		"mailbpf_ratio 0\n"
		"mailbpf_ratio 1e+20\n"
		"mailbpf_ratio NaN\n"
		"mailbpf_ratio -Inf\n"
		"mailbpf_ratio 2.5e-07\n");
	assert_int_equal(p.len, strlen(p.buf));
	mb_prom_reset(&p);
	assert_int_equal(p.len, 0);
	assert_string_equal(p.buf, "");
	mb_prom_free(&p);
}

static void test_exposition_invalid(void **state)
{
	const char *const nullval[] = { "k", NULL, NULL };
	const char *const reserved[] = { "__name__", "x", NULL };
	const char *const badkey[] = { "a:b", "x", NULL };
	struct mb_prom p;

	mb_prom_init(&p);
	assert_int_equal(mb_prom_family(&p, "1abc", "counter", ""), -EINVAL);
	assert_int_equal(mb_prom_family(&p, "a-b", "counter", ""), -EINVAL);
	assert_int_equal(mb_prom_family(&p, "ok", "histogram", ""), -EINVAL);
	assert_int_equal(mb_prom_sample(&p, "ok", nullval, 1), -EINVAL);
	assert_int_equal(mb_prom_sample(&p, "ok", reserved, 1), -EINVAL);
	assert_int_equal(mb_prom_sample(&p, "ok", badkey, 1), -EINVAL);
	assert_int_equal(mb_prom_sample(&p, "", NULL, 1), -EINVAL);
	assert_int_equal(p.len, 0);
	assert_int_equal(mb_prom_sample(&p, "ns:ok", NULL, 1), 0);
	assert_string_equal(p.buf, "ns:ok 1\n");
	mb_prom_free(&p);
}

static void test_textfile_write(void **state)
{
	char path[PATH_MAX], tmp[PATH_MAX];
	struct stat st;
	mode_t old = umask(077);

	path_in(path, "mailbpf.prom");
	assert_int_equal(mb_textfile_write(path, "a 1\n", 4), 0);
	umask(old);
	assert_file(path, "a 1\n");
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0644);
	/* Overwrite, with a stale temp of our PID left by a "crashed" run. */
	snprintf(tmp, sizeof(tmp), "%s/.mailbpf.prom.tmp.%d", dir, (int)getpid());
	write_file(tmp, "stale");
	assert_int_equal(mb_textfile_write(path, "b 2\nc 3\n", 8), 0);
	assert_file(path, "b 2\nc 3\n");
	assert_int_equal(count_entries(), 1);
	assert_int_equal(mb_textfile_write(path, NULL, 0), 0);
	assert_file(path, "");
	assert_int_equal(count_entries(), 1);
}

static void test_textfile_symlink(void **state)
{
	char path[PATH_MAX], victim[PATH_MAX];
	struct stat st;

	path_in(path, "mailbpf.prom");
	path_in(victim, "victim");
	write_file(victim, "precious\n");
	assert_int_equal(symlink(victim, path), 0);
	assert_int_equal(mb_textfile_write(path, "x 1\n", 4), 0);
	assert_int_equal(lstat(path, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_file(path, "x 1\n");
	assert_file(victim, "precious\n");
	assert_int_equal(count_entries(), 2);
}

static void test_textfile_errors(void **state)
{
	char path[PATH_MAX], sub[PATH_MAX], inner[PATH_MAX];

	path_in(path, "missing/mailbpf.prom");
	assert_int_equal(mb_textfile_write(path, "x 1\n", 4), -ENOENT);
	path_in(path, "");
	assert_int_equal(mb_textfile_write(path, "x 1\n", 4), -EISDIR);
	assert_int_equal(mb_textfile_write("", "x 1\n", 4), -EINVAL);
	/* rename() onto a non-empty directory fails: temp gone, dir intact. */
	path_in(sub, "mailbpf.prom");
	assert_int_equal(mkdir(sub, 0755), 0);
	path_in(inner, "mailbpf.prom/keep");
	write_file(inner, "keep\n");
	assert_true(mb_textfile_write(sub, "x 1\n", 4) < 0);
	assert_file(inner, "keep\n");
	assert_int_equal(count_entries(), 1);
}

/* A write that fails half-way (file size limit) keeps the old file. */
static void test_textfile_short_write(void **state)
{
	struct rlimit old, lim;
	char path[PATH_MAX], big[8192];
	int err;

	path_in(path, "mailbpf.prom");
	write_file(path, "old 1\n");
	memset(big, 'x', sizeof(big));
	assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
	lim = old;
	lim.rlim_cur = 4096;
	signal(SIGXFSZ, SIG_IGN);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
	err = mb_textfile_write(path, big, sizeof(big));
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
	signal(SIGXFSZ, SIG_DFL);
	assert_int_equal(err, -EFBIG);
	assert_file(path, "old 1\n");
	assert_int_equal(count_entries(), 1);
}

static void test_textfile_unwritable_dir(void **state)
{
	char path[PATH_MAX];

	if (geteuid() == 0)
		skip(); /* root writes anywhere; the rlimit test covers failure */
	path_in(path, "mailbpf.prom");
	write_file(path, "old 1\n");
	assert_int_equal(chmod(dir, 0555), 0);
	assert_int_equal(mb_textfile_write(path, "x 1\n", 4), -EACCES);
	assert_int_equal(chmod(dir, 0755), 0);
	assert_file(path, "old 1\n");
}

static uint64_t topn_get(const struct mb_topn *t, const char *k1, const char *k2)
{
	size_t i;

	for (i = 0; i < mb_topn_count(t); i++) {
		const struct mb_topn_entry *e = mb_topn_at(t, i);

		if (!strcmp(e->k1, k1) && !strcmp(e->k2, k2))
			return e->v;
	}
	return UINT64_MAX;
}

static void test_topn_overflow(void **state)
{
	struct mb_topn t;

	assert_int_equal(mb_topn_init(&t, 0), -EINVAL);
	assert_int_equal(mb_topn_init(&t, 2), 0);
	assert_int_equal(mb_topn_add(&t, "E2BIG", "perl", 1), 0);
	assert_int_equal(mb_topn_add(&t, "E2BIG", "sh", 2), 0);
	assert_int_equal(mb_topn_add(&t, "E2BIG", "find", 4), 0); /* full */
	assert_int_equal(mb_topn_add(&t, "ENOENT", "x", 8), 0);
	assert_int_equal(mb_topn_add(&t, "E2BIG", "perl", 16), 0); /* existing key still counts */
	assert_int_equal(mb_topn_add(&t, "E2BIG", "xargs", 32), 0);
	assert_int_equal(topn_get(&t, "E2BIG", "perl"), 17);
	assert_int_equal(topn_get(&t, "E2BIG", "sh"), 2);
	assert_int_equal(topn_get(&t, "E2BIG", "other"), 36);
	assert_int_equal(topn_get(&t, "ENOENT", "other"), 8);
	assert_int_equal(topn_get(&t, "E2BIG", "find"), UINT64_MAX);
	assert_true(mb_topn_at(&t, 2)->overflow);
	assert_null(mb_topn_at(&t, mb_topn_count(&t)));
	/* More k1 values than limit: the rest share (other, other). */
	assert_int_equal(mb_topn_add(&t, "EACCES", "y", 1), 0);
	assert_int_equal(mb_topn_add(&t, "EPERM", "z", 1), 0);
	assert_int_equal(topn_get(&t, "EACCES", "other"), UINT64_MAX);
	assert_int_equal(topn_get(&t, "other", "other"), 2);
	assert_int_equal(mb_topn_count(&t), 5);
	mb_topn_free(&t);
}

static void test_topn_bounded(void **state)
{
	char k1[32], k2[300];
	uint64_t sum = 0, prev = 0, total;
	struct mb_topn t;
	size_t i;
	int k;

	assert_int_equal(mb_topn_init(&t, 10), 0);
	for (k = 0; k < 5000; k++) {
		snprintf(k1, sizeof(k1), "E%d", k % 37);
		snprintf(k2, sizeof(k2), "prog%d", k);
		assert_int_equal(mb_topn_add(&t, k1, k2, 3), 0);
		sum += 3;
		assert_true(mb_topn_count(&t) <= 2 * 10 + 1);
		for (total = 0, i = 0; i < mb_topn_count(&t); i++)
			total += mb_topn_at(&t, i)->v;
		assert_int_equal(total, sum);
		assert_true(topn_get(&t, "other", "other") >= prev || k < 30);
		prev = topn_get(&t, "other", "other");
	}
	/* Keys longer than a slot are truncated the same way every time. */
	memset(k2, 'a', sizeof(k2) - 1);
	k2[sizeof(k2) - 1] = '\0';
	mb_topn_free(&t);
	assert_int_equal(mb_topn_init(&t, 1), 0);
	assert_int_equal(mb_topn_add(&t, "E2BIG", k2, 1), 0);
	assert_int_equal(mb_topn_add(&t, "E2BIG", k2, 1), 0);
	assert_int_equal(mb_topn_count(&t), 1);
	assert_int_equal(mb_topn_at(&t, 0)->v, 2);
	mb_topn_free(&t);
}

static void test_topn_max_onekey(void **state)
{
	struct mb_topn t;

	assert_int_equal(mb_topn_init(&t, 1), 0);
	assert_int_equal(mb_topn_max(&t, "perl", NULL, 5), 0);
	assert_int_equal(mb_topn_max(&t, "perl", NULL, 3), 0);
	assert_int_equal(mb_topn_max(&t, "sh", NULL, 7), 0);
	assert_int_equal(mb_topn_max(&t, "find", NULL, 9), 0);
	assert_int_equal(mb_topn_max(&t, "find", NULL, 1), 0);
	assert_int_equal(topn_get(&t, "perl", ""), 5);
	assert_int_equal(topn_get(&t, "other", ""), 9);
	assert_int_equal(mb_topn_count(&t), 2);
	mb_topn_free(&t);
	/* k2 "" is a one-key table too: one shared "other", not one per key. */
	assert_int_equal(mb_topn_init(&t, 1), 0);
	assert_int_equal(mb_topn_add(&t, "sda", "", 1), 0);
	assert_int_equal(mb_topn_add(&t, "sdb", "", 2), 0);
	assert_int_equal(mb_topn_add(&t, "sdc", "", 4), 0);
	assert_int_equal(topn_get(&t, "other", ""), 6);
	assert_int_equal(mb_topn_count(&t), 2);
	mb_topn_free(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exposition),
		cmocka_unit_test(test_exposition_invalid),
		cmocka_unit_test_setup_teardown(test_textfile_write, setup_dir, teardown_dir),
		cmocka_unit_test_setup_teardown(test_textfile_symlink, setup_dir, teardown_dir),
		cmocka_unit_test_setup_teardown(test_textfile_errors, setup_dir, teardown_dir),
		cmocka_unit_test_setup_teardown(test_textfile_short_write, setup_dir, teardown_dir),
		cmocka_unit_test_setup_teardown(test_textfile_unwritable_dir, setup_dir,
						teardown_dir),
		cmocka_unit_test(test_topn_overflow),
		cmocka_unit_test(test_topn_bounded),
		cmocka_unit_test(test_topn_max_onekey),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
