// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * spool.c: the fixed directories of a Dovecot mail_location, and which
 * spool directories share a filesystem with the textfile's directory (what
 * `mailbpf check` compares).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>
#include "spool.h"

static void test_dovecot_dirs(void **state)
{
	char dirs[MB_SPOOL_MAX][MB_PATH_LEN];
	int n = 0;

	assert_int_equal(mb_spool_dovecot_dirs("mbox:~/mail:INBOX=/var/mail/%u", dirs, &n, 8), 1);
	assert_string_equal(dirs[0], "/var/mail");
	assert_int_equal(mb_spool_dovecot_dirs("maildir:/srv/vmail/%d/%n:INDEX=/var/idx/%u", dirs,
					       &n, 8),
			 2);
	assert_string_equal(dirs[1], "/srv/vmail");
	assert_string_equal(dirs[2], "/var/idx");
	assert_int_equal(mb_spool_dovecot_dirs("mdbox:/srv/mail/", dirs, &n, 8), 1);
	assert_string_equal(dirs[3], "/srv/mail");
	assert_int_equal(mb_spool_dovecot_dirs("maildir:/var/mail/%u", dirs, &n, 8), 0); /* dup */
	assert_int_equal(mb_spool_dovecot_dirs("maildir:~/Maildir", dirs, &n, 8), 0);
	assert_int_equal(mb_spool_dovecot_dirs("", dirs, &n, 8), 0);
	assert_int_equal(n, 4);
}
/* One directory tree: every directory in it shares the textfile's filesystem. */
static void test_shared(void **state)
{
	char base[] = "/tmp/mb-spool.XXXXXX", a[MB_PATH_LEN], b[MB_PATH_LEN];
	char dirs[MB_SPOOL_MAX][MB_PATH_LEN], shared[2 * MB_PATH_LEN + 8];

	(void)state;
	assert_non_null(mkdtemp(base));
	snprintf(a, sizeof(a), "%s/mail", base);
	snprintf(b, sizeof(b), "%s/textfile", base);
	assert_int_equal(mkdir(a, 0700), 0);
	assert_int_equal(mkdir(b, 0700), 0);
	snprintf(dirs[0], MB_PATH_LEN, "%s", a);
	snprintf(dirs[1], MB_PATH_LEN, "%s/gone", base); /* absent: left out */
	snprintf(dirs[2], MB_PATH_LEN, "%s", base);
	assert_int_equal(mb_spool_shared(b, dirs, 3, shared, sizeof(shared)), 2);
	assert_non_null(strstr(shared, a));
	assert_non_null(strstr(shared, ", "));
	assert_null(strstr(shared, "gone"));
	/* /proc is never the filesystem of a directory under /tmp. */
	snprintf(dirs[0], MB_PATH_LEN, "/proc");
	assert_int_equal(mb_spool_shared(b, dirs, 1, shared, sizeof(shared)), 0);
	assert_string_equal(shared, "");
	/* A textfile directory that is not there is an error, with "" written. */
	snprintf(dirs[1], MB_PATH_LEN, "%s/nope", base);
	assert_int_equal(mb_spool_shared(dirs[1], dirs, 1, shared, sizeof(shared)), -ENOENT);
	assert_string_equal(shared, "");
	rmdir(a);
	rmdir(b);
	rmdir(base);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dovecot_dirs),
		cmocka_unit_test(test_shared),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
