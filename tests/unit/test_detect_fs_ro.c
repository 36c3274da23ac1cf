// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * ext4 and read-only filesystems, on mount tables made from mountinfo lines
 * as the kernels print them (the parser itself: test_mountinfo.c): ext4_error alerts,
 * the read-only transition told apart (after an error: critical; an
 * admin's remount: warning), sticky until unmounted or read-write again and
 * kept across a restart, and the superblock's error record reported once.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "caught.h"
#include "detect_fs.h"

#define T0 (300 * NS_PER_SEC)
#define DEV(ma, mi) ((uint32_t)(ma) << 20 | (uint32_t)(mi))
#define SDB1 DEV(8, 17)
#define BOOT "0f2c5e8a-9f1d-4f6e-8c33-1a2b3c4d5e6f"

static struct mb_fs_det *det;
static struct mb_mounts mounts;

static struct mb_mount *add(const char *line, const char *devname)
{
	struct mb_mount *m = &mounts.m[mounts.n];

	memset(m, 0, sizeof(*m));
	assert_int_equal(mb_mountinfo_parse(line, m), 0);
	strcpy(m->devname, devname);
	mounts.n++;
	return m;
}

#define SPOOL_RW "31 22 8:17 / /var/mail rw,noatime - ext4 /dev/sdb1 rw,errors=remount-ro\n"
#define SPOOL_EMERG \
	"31 22 8:17 / /var/mail rw,noatime - ext4 /dev/sdb1 rw,errors=remount-ro,emergency_ro\n"
#define SPOOL_RO "31 22 8:17 / /var/mail rw,noatime - ext4 /dev/sdb1 ro,errors=remount-ro\n"
#define ROOT_RW "22 1 8:2 / / rw,relatime - ext4 /dev/sda2 rw\n"

static void table(const char *spool)
{
	mounts.n = 0;
	add(ROOT_RW, "sda2");
	if (spool)
		add(spool, "sdb1");
}

static int setup(void **state)
{
	(void)state;
	ncaught = 0;
	table(SPOOL_RW);
	det = mb_fs_new((struct mb_alert_sink){ .emit = catch_alert });
	return det ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	mb_fs_free(det);
	return 0;
}

static struct mb_fs_event ext4_err(uint64_t ts, const char *fn, uint32_t line)
{
	struct mb_fs_event e;

	memset(&e, 0, sizeof(e));
	e.hdr.type = MB_EV_FS_ERROR;
	e.hdr.ts_ns = ts;
	e.dev = SDB1;
	e.source = MB_FS_EXT4_ERROR;
	e.nr = line;
	snprintf(e.detail, sizeof(e.detail), "%s", fn);
	strcpy(e.comm, "imap");
	return e;
}

static void test_ext4_error_alert(void **state)
{
	struct mb_fs_event e = ext4_err(T0, "ext4_lookup", 1812);

	(void)state;
	mb_fs_feed(det, &e, &mounts);
	e.hdr.ts_ns += NS_PER_SEC; /* the same device within a minute: folded */
	mb_fs_feed(det, &e, &mounts);
	assert_int_equal(ncaught, 1);
	assert_string_equal(caught[0].kind, "fs_error");
	assert_int_equal(caught[0].severity, MB_SEV_CRITICAL);
	assert_string_equal(sfield(&caught[0], "function"), "ext4_lookup");
	assert_int_equal(ifield(&caught[0], "line"), 1812);
	assert_string_equal(sfield(&caught[0], "fstype"), "ext4");
	assert_string_equal(sfield(&caught[0], "source"), "ext4_error");
	assert_string_equal(caught[0].summary,
			    "ext4 on /var/mail (sdb1): ext4 error in ext4_lookup:1812");
}

static void test_readonly_after_error(void **state)
{
	struct mb_fs_event e = ext4_err(T0, "__ext4_find_entry", 1613);

	(void)state;
	mb_fs_refresh(det, &mounts, T0 - NS_PER_SEC); /* seen read-write */
	mb_fs_feed(det, &e, &mounts);
	table(SPOOL_RO); /* 6.1: the kernel set the superblock ro */
	mb_fs_refresh(det, &mounts, T0 + NS_PER_SEC);
	assert_int_equal(ncaught, 2);
	assert_string_equal(caught[1].kind, "fs_readonly");
	assert_int_equal(caught[1].severity, MB_SEV_CRITICAL);
	assert_string_equal(sfield(&caught[1], "cause"), "errors");
	assert_string_equal(sfield(&caught[1], "reason"), "ext4_error in __ext4_find_entry:1613");
	assert_int_equal(ifield(&caught[1], "errors_remount_ro"), 1);
	assert_int_equal(mb_fs_readonly_count(det), 1);
	assert_int_equal(mb_fs_readonly_at(det, 0)->flags, MB_RO_ERRORS);
	/* Every refresh after: still flagged, not raised again. */
	mb_fs_refresh(det, &mounts, T0 + 2 * NS_PER_SEC);
	assert_int_equal(ncaught, 2);
	/* Unmounted: cleared with an info alert. */
	table(NULL);
	mb_fs_refresh(det, &mounts, T0 + 3 * NS_PER_SEC);
	assert_int_equal(ncaught, 3);
	assert_int_equal(caught[2].severity, MB_SEV_INFO);
	assert_string_equal(sfield(&caught[2], "state"), "cleared");
	assert_int_equal(mb_fs_readonly_count(det), 0);
}

static void test_readonly_refuses(void **state)
{
	struct mb_fs_event e = ext4_err(T0, "__ext4_find_entry", 1685);

	(void)state;
	/* Debian 12's 6.1: the error shuts ext4 down; mountinfo still says rw. */
	mb_fs_refresh(det, &mounts, T0 - NS_PER_SEC);
	assert_false(mb_fs_wants_probe(det, &mounts.m[1], T0 - NS_PER_SEC));
	mb_fs_feed(det, &e, &mounts);
	assert_true(mb_fs_wants_probe(det, &mounts.m[1], T0 + NS_PER_SEC));
	assert_false(mb_fs_wants_probe(det, &mounts.m[0], T0 + NS_PER_SEC)); /* another device */
	mounts.m[1].flags |= MB_MNT_REFUSES;
	mb_fs_refresh(det, &mounts, T0 + NS_PER_SEC);
	assert_int_equal(ncaught, 2);
	assert_int_equal(caught[1].severity, MB_SEV_CRITICAL);
	assert_string_equal(sfield(&caught[1], "reason"), "ext4_error in __ext4_find_entry:1685");
	/* Long after the error, the flag keeps the probe asked for (and the flag held). */
	assert_true(mb_fs_wants_probe(det, &mounts.m[1], T0 + 600 * NS_PER_SEC));
	mb_fs_refresh(det, &mounts, T0 + 600 * NS_PER_SEC);
	assert_int_equal(mb_fs_readonly_count(det), 1);
}

static void test_readonly_inferred(void **state)
{
	struct mb_fs_event e = ext4_err(T0, "trigger_test_error", 126);

	(void)state;
	/* errors=continue (no option shown): an error leaves it writable. */
	mounts.n = 0;
	add("31 22 8:17 / /var/mail rw - ext4 /dev/sdb1 rw\n", "sdb1");
	mb_fs_refresh(det, &mounts, T0 - NS_PER_SEC);
	mb_fs_feed(det, &e, &mounts);
	mb_fs_refresh(det, &mounts, T0 + NS_PER_SEC);
	assert_int_equal(ncaught, 1); /* the fs_error only */
	/* errors=remount-ro, and mountinfo still rw (Debian 12's 6.1): read-only by the rule. */
	teardown(state);
	setup(state);
	mb_fs_refresh(det, &mounts, T0 - NS_PER_SEC);
	mb_fs_feed(det, &e, &mounts);
	mb_fs_refresh(det, &mounts, T0 + NS_PER_SEC);
	assert_int_equal(ncaught, 2);
	assert_string_equal(caught[1].kind, "fs_readonly");
	assert_int_equal(caught[1].severity, MB_SEV_CRITICAL);
	assert_int_equal(ifield(&caught[1], "inferred"), 1);
	assert_string_equal(mb_ro_cause_name(mb_fs_readonly_at(det, 0)->flags), "errors");
	/* Still "rw" in mountinfo long after: the flag holds until unmount. */
	mb_fs_refresh(det, &mounts, T0 + 900 * NS_PER_SEC);
	assert_int_equal(mb_fs_readonly_count(det), 1);
	table(NULL);
	mb_fs_refresh(det, &mounts, T0 + 901 * NS_PER_SEC);
	assert_int_equal(mb_fs_readonly_count(det), 0);
}

static void test_shutdown_is_not_readonly(void **state)
{
	struct mb_fs_event e = ext4_err(T0, "", 0);

	(void)state;
	mb_fs_refresh(det, &mounts, T0 - NS_PER_SEC);
	e.hdr.type = MB_EV_FS_SHUTDOWN;
	e.source = MB_FS_EXT4_SHUTDOWN;
	e.flags = 2;
	mb_fs_feed(det, &e, &mounts);
	assert_int_equal(ncaught, 1);
	assert_string_equal(caught[0].kind, "fs_shutdown");
	assert_string_equal(sfield(&caught[0], "flags"), "nologflush");
	/* A shut-down ext4 refuses an fsync too: that is the shutdown, said already. */
	mounts.m[1].flags |= MB_MNT_REFUSES;
	mb_fs_refresh(det, &mounts, T0 + NS_PER_SEC);
	assert_int_equal(ncaught, 1);
	assert_int_equal(mb_fs_readonly_count(det), 0);
}

static void test_readonly_admin_and_count(void **state)
{
	struct mb_mount *m;

	(void)state;
	mb_fs_refresh(det, &mounts, T0);
	table(SPOOL_RO);
	mb_fs_refresh(det, &mounts, T0 + NS_PER_SEC);
	assert_int_equal(ncaught, 1);
	assert_int_equal(caught[0].severity, MB_SEV_WARNING);
	assert_string_equal(sfield(&caught[0], "cause"), "admin");
	/* Read-write again: cleared. */
	table(SPOOL_RW);
	mb_fs_refresh(det, &mounts, T0 + 2 * NS_PER_SEC);
	assert_int_equal(ncaught, 2);
	assert_string_equal(sfield(&caught[1], "state"), "cleared");
	/* An error long ago does not make a later remount the kernel's... */
	{
		struct mb_fs_event e = ext4_err(T0, "x", 1);

		mb_fs_feed(det, &e, &mounts);
	}
	ncaught = 0;
	table(SPOOL_RO);
	mb_fs_refresh(det, &mounts, T0 + MB_FS_RO_CAUSE_NS + 5 * NS_PER_SEC);
	assert_string_equal(sfield(&caught[0], "cause"), "admin");
	/* ...but a grown superblock error count does. */
	table(SPOOL_RW);
	mounts.m[1].rec.count = 2;
	mb_fs_refresh(det, &mounts, T0 + 200 * NS_PER_SEC);
	ncaught = 0;
	table(SPOOL_RO);
	m = &mounts.m[1];
	m->rec.count = 3;
	mb_fs_refresh(det, &mounts, T0 + 201 * NS_PER_SEC);
	assert_int_equal(ncaught, 1);
	assert_int_equal(caught[0].severity, MB_SEV_CRITICAL);
	assert_string_equal(sfield(&caught[0], "reason"), "superblock error count 2 -> 3");
}

static void test_emergency_ro_first_seen(void **state)
{
	(void)state;
	/* 6.x: "rw" stays, emergency_ro says it; flagged even if never seen rw. */
	table(SPOOL_EMERG);
	mb_fs_refresh(det, &mounts, T0);
	assert_int_equal(ncaught, 1);
	assert_int_equal(caught[0].severity, MB_SEV_CRITICAL);
	assert_string_equal(sfield(&caught[0], "reason"), "ext4 emergency_ro");
	/* A read-only mount seen first as such is nobody's news. */
	ncaught = 0;
	mounts.n = 0;
	add("50 1 7:0 / /srv/iso ro - iso9660 /dev/loop0 ro\n", "loop0");
	mb_fs_refresh(det, &mounts, T0 + NS_PER_SEC);
	assert_int_equal(ncaught, 1); /* only the spool's clearing: unmounted */
	assert_string_equal(sfield(&caught[0], "state"), "cleared");
}

static void test_readonly_saved(void **state)
{
	struct mb_fs_det *g = mb_fs_new((struct mb_alert_sink){ .emit = catch_alert });
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	(void)state;
	table(SPOOL_EMERG);
	mb_fs_refresh(det, &mounts, T0);
	assert_int_equal(mb_fs_save(det, f, BOOT), 0);
	fclose(f);
	assert_non_null(strstr(buf, "\nreadonly 8388625 31 "));
	f = fmemopen(buf, len, "r");
	assert_int_equal(mb_fs_load(g, f, BOOT), 1);
	fclose(f);
	assert_int_equal(mb_fs_readonly_count(g), 1);
	assert_memory_equal(mb_fs_readonly_at(g, 0), mb_fs_readonly_at(det, 0),
			    sizeof(struct mb_fs_flag));
	/* The restarted detector sees it still read-only: no second alert. */
	ncaught = 0;
	mb_fs_refresh(g, &mounts, T0 + NS_PER_SEC);
	assert_int_equal(ncaught, 0);
	mb_fs_free(g);
	free(buf);
}

static void test_recorded_once(void **state)
{
	struct mb_fs_recorded *r;

	(void)state;
	table(SPOOL_RW);
	add("32 22 8:17 /spool /chroot/var/mail rw - ext4 /dev/sdb1 rw\n", "sdb1");
	r = &mounts.m[1].rec;
	r->count = 4;
	r->first_time = 1700000000;
	r->first_line = 129;
	r->first_errcode = EIO;
	strcpy(r->first_func, "ext4_read_bh");
	r->last_time = 1700003600;
	r->last_line = 99;
	strcpy(r->last_func, "ext4_journal_check_start");
	mounts.m[2].rec = *r;
	mb_fs_refresh(det, &mounts, T0);
	/* One superblock, two mounts: one report. */
	assert_int_equal(ncaught, 1);
	assert_string_equal(caught[0].kind, "fs_recorded_errors");
	assert_int_equal(caught[0].severity, MB_SEV_WARNING);
	assert_int_equal(ifield(&caught[0], "errors_count"), 4);
	assert_string_equal(sfield(&caught[0], "first_function"), "ext4_read_bh");
	assert_string_equal(sfield(&caught[0], "first_time"), "2023-11-14T22:13:20Z");
	assert_string_equal(sfield(&caught[0], "first_error"), "EIO");
	assert_string_equal(sfield(&caught[0], "last_error"), "");
	assert_non_null(strstr(caught[0].summary, "records 4 error(s)"));
	/* Seen before: not again. */
	mb_fs_refresh(det, &mounts, T0 + NS_PER_SEC);
	assert_int_equal(ncaught, 1);
}

static void test_recorded_across_restart(void **state)
{
	struct mb_fs_det *g;
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	(void)state;
	mounts.m[1].rec.count = 2;
	strcpy(mounts.m[1].rec.first_func, "ext4_read_bh");
	mb_fs_refresh(det, &mounts, T0);
	assert_int_equal(ncaught, 1);
	f = open_memstream(&buf, &len);
	assert_int_equal(mb_fs_save(det, f, BOOT), 0);
	fclose(f);
	assert_non_null(strstr(buf, "\nrecorded 8388625 31 "));
	/* A restart over the same mount and count: told already. */
	g = mb_fs_new((struct mb_alert_sink){ .emit = catch_alert });
	f = fmemopen(buf, len, "r");
	assert_int_equal(mb_fs_load(g, f, BOOT), 1);
	fclose(f);
	mb_fs_refresh(g, &mounts, T0 + NS_PER_SEC);
	assert_int_equal(ncaught, 1);
	mb_fs_free(g);
	/* The count grew while mailbpf was down: told again. */
	g = mb_fs_new((struct mb_alert_sink){ .emit = catch_alert });
	f = fmemopen(buf, len, "r");
	assert_int_equal(mb_fs_load(g, f, BOOT), 1);
	fclose(f);
	mounts.m[1].rec.count = 5;
	mb_fs_refresh(g, &mounts, T0 + NS_PER_SEC);
	assert_int_equal(ncaught, 2);
	assert_int_equal(ifield(&caught[1], "errors_count"), 5);
	/* Unmounted and mounted again (a new mount id): its history is news again. */
	table(NULL);
	mb_fs_refresh(g, &mounts, T0 + 2 * NS_PER_SEC);
	assert_int_equal(mb_fs_reported_count(g), 0);
	table(SPOOL_RW);
	mounts.m[1].mount_id = 45;
	mounts.m[1].rec.count = 5;
	mb_fs_refresh(g, &mounts, T0 + 3 * NS_PER_SEC);
	assert_int_equal(ncaught, 3);
	mb_fs_free(g);
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_ext4_error_alert, setup, teardown),
		cmocka_unit_test_setup_teardown(test_readonly_after_error, setup, teardown),
		cmocka_unit_test_setup_teardown(test_readonly_refuses, setup, teardown),
		cmocka_unit_test_setup_teardown(test_readonly_inferred, setup, teardown),
		cmocka_unit_test_setup_teardown(test_shutdown_is_not_readonly, setup, teardown),
		cmocka_unit_test_setup_teardown(test_readonly_admin_and_count, setup, teardown),
		cmocka_unit_test_setup_teardown(test_emergency_ro_first_seen, setup, teardown),
		cmocka_unit_test_setup_teardown(test_readonly_saved, setup, teardown),
		cmocka_unit_test_setup_teardown(test_recorded_once, setup, teardown),
		cmocka_unit_test_setup_teardown(test_recorded_across_restart, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
