// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Filesystem detector tests: rate-limited I/O, corruption and block
 * errors; the sticky XFS shutdown flag of the Lucy incident (an XFS that
 * went read-only and stayed so), cleared only when the mount is replaced;
 * and its save/load across restarts, reboots and damaged files.
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
#define BOOT_A "0f2c5e8a-9f1d-4f6e-8c33-1a2b3c4d5e6f"
#define BOOT_B "77d0e3c1-1111-4222-8333-444455556666"

static struct mb_fs_det *det;
static struct mb_mounts mounts;

static void add_mount(struct mb_mounts *t, uint32_t dev, int id, const char *name, const char *mp,
		      const char *type)
{
	struct mb_mount *m = &t->m[t->n++];

	memset(m, 0, sizeof(*m));
	m->dev = dev;
	m->mount_id = id;
	strcpy(m->devname, name);
	strcpy(m->mountpoint, mp);
	strcpy(m->fstype, type);
}

static int setup(void **state)
{
	(void)state;
	ncaught = 0;
	memset(&mounts, 0, sizeof(mounts));
	add_mount(&mounts, DEV(8, 2), 22, "sda2", "/", "ext4");
	add_mount(&mounts, SDB1, 31, "sdb1", "/var/mail", "xfs");
	det = mb_fs_new((struct mb_alert_sink){ .emit = catch_alert });
	return det ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	mb_fs_free(det);
	det = NULL;
	return 0;
}

static struct mb_fs_event fs_ev(uint64_t ts, uint32_t type, uint32_t dev, uint32_t source)
{
	struct mb_fs_event e;

	memset(&e, 0, sizeof(e));
	e.hdr.type = type;
	e.hdr.ts_ns = ts;
	e.dev = dev;
	e.source = source;
	e.error = -EIO;
	e.sector = 123456;
	e.pid = 77;
	strcpy(e.comm, "kworker/u8:2");
	return e;
}

static struct mb_fs_event shutdown_ev(uint64_t ts, uint32_t dev)
{
	struct mb_fs_event e = fs_ev(ts, MB_EV_FS_SHUTDOWN, dev, MB_FS_FORCE_SHUTDOWN);

	e.flags = MB_XFS_SHUTDOWN_LOG_IO | MB_XFS_SHUTDOWN_CORRUPT;
	e.nr = 1234;
	strcpy(e.detail, "xfs_log.c");
	return e;
}

static void test_io_error_rate_limit(void **state)
{
	struct mb_fs_event e;
	int i;

	(void)state;
	for (i = 0; i < 5; i++) {
		e = fs_ev(T0 + (uint64_t)i * NS_PER_SEC, MB_EV_FS_ERROR, SDB1, MB_FS_BUF_IOERROR);
		e.suppressed = 1;
		mb_fs_feed(det, &e, &mounts);
	}
	assert_int_equal(ncaught, 1);
	assert_string_equal(caught[0].kind, "fs_io_error");
	assert_int_equal(caught[0].severity, MB_SEV_CRITICAL);
	assert_string_equal(field(&caught[0], "device")->s, "sdb1");
	assert_string_equal(field(&caught[0], "mountpoint")->s, "/var/mail");
	assert_string_equal(field(&caught[0], "fstype")->s, "xfs");
	assert_string_equal(field(&caught[0], "error")->s, "EIO");
	assert_string_equal(field(&caught[0], "dev")->s, "8:17");
	assert_int_equal(field(&caught[0], "suppressed")->i, 1);
	assert_non_null(
		strstr(caught[0].summary, "xfs on /var/mail (sdb1): metadata I/O error (EIO)"));

	/* Corruption on the same device and errors elsewhere are their own alerts. */
	e = fs_ev(T0, MB_EV_FS_CORRUPT, SDB1, MB_FS_MARK_SICK);
	mb_fs_feed(det, &e, &mounts);
	e = fs_ev(T0, MB_EV_FS_ERROR, DEV(8, 2), MB_FS_BUF_IOERROR);
	mb_fs_feed(det, &e, &mounts);
	assert_int_equal(ncaught, 3);
	assert_string_equal(caught[1].kind, "fs_corruption");
	assert_int_equal(caught[1].severity, MB_SEV_CRITICAL);
	assert_string_equal(field(&caught[1], "source")->s, "xfs_fs_mark_sick");

	/* A minute on: 4 folded records of 1 + 1 each, plus this one's 1. */
	e = fs_ev(T0 + 60 * NS_PER_SEC, MB_EV_FS_ERROR, SDB1, MB_FS_BUF_IOERROR);
	e.suppressed = 1;
	mb_fs_feed(det, &e, &mounts);
	assert_int_equal(ncaught, 4);
	assert_int_equal(field(&caught[3], "suppressed")->i, 9);
}

static void test_block_error_unknown_device(void **state)
{
	struct mb_fs_event e = fs_ev(T0, MB_EV_BLOCK_ERROR, DEV(8, 16), MB_FS_BLOCK_RQ_ERROR);

	(void)state;
	strcpy(e.detail, "WS");
	e.nr = 8;
	mb_fs_feed(det, &e, &mounts);
	mb_fs_feed(det, &e, &mounts);
	assert_int_equal(ncaught, 1);
	assert_string_equal(caught[0].kind, "block_io_error");
	assert_int_equal(caught[0].severity, MB_SEV_WARNING);
	/* The whole disk is not in the mount table, only its partition is. */
	assert_string_equal(field(&caught[0], "device")->s, "8:16");
	assert_string_equal(field(&caught[0], "mountpoint")->s, "");
	assert_string_equal(field(&caught[0], "fstype")->s, "");
	assert_string_equal(field(&caught[0], "detail")->s, "WS");
	assert_non_null(strstr(caught[0].summary, "device 8:16: block I/O error (EIO) on WS"));
	mb_fs_feed(det, &e, NULL);
	assert_int_equal(ncaught, 1);
}

static void test_shutdown_sticky(void **state)
{
	struct mb_fs_event e = shutdown_ev(T0, SDB1);
	const struct mb_fs_flag *fg;
	int i;

	(void)state;
	mb_fs_feed(det, &e, &mounts);
	assert_int_equal(ncaught, 1);
	assert_string_equal(caught[0].kind, "fs_shutdown");
	assert_int_equal(caught[0].severity, MB_SEV_CRITICAL);
	assert_string_equal(field(&caught[0], "flags")->s, "log_io|corruption");
	assert_string_equal(field(&caught[0], "file")->s, "xfs_log.c");
	assert_int_equal(field(&caught[0], "line")->i, 1234);

	/* Every later writer trips over it again: still one alert, one flag. */
	for (i = 1; i <= 20; i++) {
		e = shutdown_ev(T0 + (uint64_t)i * 100 * NS_PER_SEC, SDB1);
		e.flags = MB_XFS_SHUTDOWN_META_IO;
		mb_fs_feed(det, &e, &mounts);
		mb_fs_refresh(det, &mounts, e.hdr.ts_ns);
	}
	assert_int_equal(ncaught, 1);
	assert_int_equal(mb_fs_shutdown_count(det), 1);
	fg = mb_fs_shutdown_at(det, 0);
	assert_non_null(fg);
	assert_int_equal(fg->dev, SDB1);
	assert_int_equal(fg->mount_id, 31);
	assert_string_equal(fg->mountpoint, "/var/mail");
	assert_string_equal(fg->devname, "sdb1");
	assert_string_equal(fg->fstype, "xfs");
	assert_int_equal(fg->ts_ns, T0);
	assert_int_equal(fg->flags, 0xb);
	assert_null(mb_fs_shutdown_at(det, 1));

	/* xfs_repair, then mounted again: a new mount id clears the flag. */
	mounts.m[1].mount_id = 95;
	mb_fs_refresh(det, &mounts, T0 + 5000 * NS_PER_SEC);
	assert_int_equal(mb_fs_shutdown_count(det), 0);
	assert_int_equal(ncaught, 2);
	assert_string_equal(caught[1].kind, "fs_shutdown");
	assert_int_equal(caught[1].severity, MB_SEV_INFO);
	assert_int_equal(caught[1].ts_ns, T0 + 5000 * NS_PER_SEC);
	assert_non_null(strstr(caught[1].summary, "cleared: unmounted/remounted"));

	/* The new mount can shut down again and is reported again. */
	e = shutdown_ev(T0 + 6000 * NS_PER_SEC, SDB1);
	mb_fs_feed(det, &e, &mounts);
	assert_int_equal(ncaught, 3);
	assert_int_equal(mb_fs_shutdown_at(det, 0)->mount_id, 95);
}

static void test_shutdown_before_mount_known(void **state)
{
	struct mb_fs_event e = shutdown_ev(T0, DEV(253, 3));

	(void)state;
	mb_fs_feed(det, &e, &mounts);
	assert_int_equal(mb_fs_shutdown_at(det, 0)->mount_id, -1);
	assert_string_equal(mb_fs_shutdown_at(det, 0)->devname, "253:3");
	/* Unknown is not gone: it stays until the table can name it. */
	mb_fs_refresh(det, &mounts, T0 + NS_PER_SEC);
	assert_int_equal(mb_fs_shutdown_count(det), 1);
	add_mount(&mounts, DEV(253, 3), 40, "dm-3", "/srv/mail", "xfs");
	mb_fs_refresh(det, &mounts, T0 + 2 * NS_PER_SEC);
	assert_int_equal(mb_fs_shutdown_count(det), 1);
	assert_int_equal(mb_fs_shutdown_at(det, 0)->mount_id, 40);
	assert_string_equal(mb_fs_shutdown_at(det, 0)->mountpoint, "/srv/mail");
	mounts.n--;
	mb_fs_refresh(det, &mounts, T0 + 3 * NS_PER_SEC);
	assert_int_equal(mb_fs_shutdown_count(det), 0);
}

static void test_flags_str(void **state)
{
	char buf[128];

	(void)state;
	mb_fs_shutdown_flags_str(0, buf, sizeof(buf));
	assert_string_equal(buf, "none");
	mb_fs_shutdown_flags_str(0x2f, buf, sizeof(buf));
	assert_string_equal(buf, "metadata_io|log_io|force_umount|corruption|device_removed");
	mb_fs_shutdown_flags_str(0x41, buf, sizeof(buf));
	assert_string_equal(buf, "metadata_io|0x40");
	mb_fs_shutdown_flags_str(0x2f, buf, 10);
	assert_int_equal(strlen(buf), 9);
}

/* Save det's flags into a malloc'd string. */
static char *save(const char *boot)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);

	assert_non_null(out);
	assert_int_equal(mb_fs_save(det, out, boot), 0);
	fclose(out);
	return buf;
}

static int load(struct mb_fs_det *f, const char *text, const char *boot)
{
	FILE *in = fmemopen((void *)text, strlen(text), "r");
	int r;

	/* fmemopen refuses a zero-length buffer; an empty file reads as EOF. */
	if (!in)
		in = fopen("/dev/null", "r");
	assert_non_null(in);
	r = mb_fs_load(f, in, boot);
	fclose(in);
	return r;
}

static void test_save_load(void **state)
{
	struct mb_fs_det *g = mb_fs_new((struct mb_alert_sink){ 0 });
	struct mb_fs_event e;
	char *text;
	int i;

	(void)state;
	mounts.n = 0;
	add_mount(&mounts, SDB1, 31, "sdb1", "/var/mail spool\\x", "xfs");
	e = shutdown_ev(T0, SDB1);
	mb_fs_feed(det, &e, &mounts);
	e = shutdown_ev(T0 + 1, DEV(9, 1)); /* not in the table */
	e.flags = MB_XFS_SHUTDOWN_DEVICE_REMOVED;
	mb_fs_feed(det, &e, &mounts);
	assert_int_equal(mb_fs_shutdown_count(det), 2);

	text = save(BOOT_A);
	assert_non_null(strstr(text, "/var/mail\\040spool\\134x"));
	assert_int_equal(load(g, text, BOOT_A), 2);
	assert_int_equal(mb_fs_shutdown_count(g), 2);
	for (i = 0; i < 2; i++)
		assert_memory_equal(mb_fs_shutdown_at(g, i), mb_fs_shutdown_at(det, i),
				    sizeof(struct mb_fs_flag));
	/* Loading twice adds nothing new. */
	assert_int_equal(load(g, text, BOOT_A), 0);
	assert_int_equal(mb_fs_shutdown_count(g), 2);
	/* Still mounted after the restart: the flag holds; then unmounted. */
	mb_fs_refresh(g, &mounts, T0 + NS_PER_SEC);
	assert_int_equal(mb_fs_shutdown_count(g), 2);
	mounts.n = 0;
	mb_fs_refresh(g, &mounts, T0 + 2 * NS_PER_SEC);
	assert_int_equal(mb_fs_shutdown_count(g), 1);
	mb_fs_free(g);

	/* Another boot: everything was unmounted, nothing is loaded. */
	g = mb_fs_new((struct mb_alert_sink){ 0 });
	assert_int_equal(load(g, text, BOOT_B), 0);
	assert_int_equal(mb_fs_shutdown_count(g), 0);
	mb_fs_free(g);
	assert_int_equal(mb_fs_save(det, stdout, "has space"), -EINVAL);
	assert_int_equal(mb_fs_save(det, stdout, ""), -EINVAL);
	free(text);
}

static void test_load_malformed(void **state)
{
	static const char *const bad[] = {
		"",
		"mailbpf-fs-state 2\nboot " BOOT_A "\nend 0\n",
		"mailbpf-fs-state 1\nboot " BOOT_A "\n",
		"mailbpf-fs-state 1\nboot " BOOT_A "\nend 0",
		"mailbpf-fs-state 1\nboot " BOOT_A "\nend 1\n",
		"mailbpf-fs-state 1\nboot " BOOT_A "\nend 0\nextra\n",
		"mailbpf-fs-state 1\nboot\nend 0\n",
		"mailbpf-fs-state 1\nboot " BOOT_A "\nshutdown 1 2 3 4 sdb1 xfs /m\n",
		"mailbpf-fs-state 1\nboot " BOOT_A "\nshutdown 1 2 3 4 sdb1 xfs\nend 1\n",
		"mailbpf-fs-state 1\nboot " BOOT_A "\nshutdown x 2 3 4 sdb1 xfs /m\nend 1\n",
		"mailbpf-fs-state 1\nboot " BOOT_A "\nshutdown 1 -2 3 4 sdb1 xfs /m\nend 1\n",
		"mailbpf-fs-state 1\nboot " BOOT_A "\nshutdown 4294967296 2 3 4 a b /m\nend 1\n",
		"mailbpf-fs-state 1\nboot " BOOT_A "\nshutdown 1 2 3 4 sdb1 xfs /m\\9\nend 1\n",
		"mailbpf-fs-state 1\nboot " BOOT_A "\nshutdown 1 2 3 4 sdb1 xfs /m\\000\nend 1\n",
		"mailbpf-fs-state 1\nboot " BOOT_A "\nshutdown 1 2 3 4  xfs /m\nend 1\n",
		"mailbpf-fs-state 1\nboot " BOOT_A "\nshutdown 1 2 3 4 "
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa xfs /m\nend 1\n",
	};
	struct mb_fs_event e = shutdown_ev(T0, SDB1);
	struct mb_fs_flag before;
	size_t i;

	(void)state;
	mb_fs_feed(det, &e, &mounts);
	before = *mb_fs_shutdown_at(det, 0);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		/* A different boot_id must not hide a broken file either. */
		assert_int_equal(load(det, bad[i], BOOT_A), -EINVAL);
		assert_int_equal(load(det, bad[i], BOOT_B), -EINVAL);
		assert_int_equal(mb_fs_shutdown_count(det), 1);
		assert_memory_equal(mb_fs_shutdown_at(det, 0), &before, sizeof(before));
	}
	/* The smallest valid file. */
	assert_int_equal(load(det, "mailbpf-fs-state 1\nboot " BOOT_A "\nend 0\n", BOOT_A), 0);
	assert_int_equal(load(det, "mailbpf-fs-state 1\nboot " BOOT_A "\nend 0\n", NULL), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_io_error_rate_limit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_block_error_unknown_device, setup, teardown),
		cmocka_unit_test_setup_teardown(test_shutdown_sticky, setup, teardown),
		cmocka_unit_test_setup_teardown(test_shutdown_before_mount_known, setup, teardown),
		cmocka_unit_test(test_flags_str),
		cmocka_unit_test_setup_teardown(test_save_load, setup, teardown),
		cmocka_unit_test_setup_teardown(test_load_malformed, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
