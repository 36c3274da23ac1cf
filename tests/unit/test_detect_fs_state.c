// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * detect_fs_state.c: the bounded flag lists the fs detectors share and the
 * state file that carries them across a collector restart. A list that is
 * full must drop its oldest flag, not the newest; a saved flag must come
 * back field for field whatever bytes its names hold (spaces, backslashes,
 * "-", control and high bytes), for all three kinds; and any file that is
 * not exactly what mb_fs_save writes must be refused without changing the
 * detector. test_detect_fs.c covers the save/load of live shutdowns.
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
#include "detect_fs_priv.h"

#define BOOT "0f2c5e8a-9f1d-4f6e-8c33-1a2b3c4d5e6f"
#define HEAD "mailbpf-fs-state 1\nboot " BOOT "\n"

static struct mb_fs_flag flag(uint32_t dev, int mount_id, const char *mp, uint64_t ts)
{
	struct mb_fs_flag fg;

	memset(&fg, 0, sizeof(fg));
	fg.dev = dev;
	fg.mount_id = mount_id;
	snprintf(fg.devname, sizeof(fg.devname), "dev%u", dev);
	snprintf(fg.fstype, sizeof(fg.fstype), "xfs");
	snprintf(fg.mountpoint, sizeof(fg.mountpoint), "%s", mp);
	fg.ts_ns = ts;
	fg.flags = 1;
	return fg;
}

static void assert_flag_equal(const struct mb_fs_flag *a, const struct mb_fs_flag *b)
{
	assert_int_equal(a->dev, b->dev);
	assert_int_equal(a->mount_id, b->mount_id);
	assert_string_equal(a->devname, b->devname);
	assert_string_equal(a->mountpoint, b->mountpoint);
	assert_string_equal(a->fstype, b->fstype);
	assert_int_equal(a->ts_ns, b->ts_ns);
	assert_int_equal(a->flags, b->flags);
}

static void test_list_add_evicts_oldest(void **state)
{
	struct mb_fs_flag l[MB_FS_MAX_FLAGS];
	struct mb_fs_flag *slot;
	int n = 0;

	for (int i = 0; i < MB_FS_MAX_FLAGS; i++) {
		slot = mb_fs_list_add(l, &n);
		assert_ptr_equal(slot, &l[i]);
		/* The oldest sits in the middle: ts 5 at index 10. */
		*slot = flag((uint32_t)i, i, "/m", i == 10 ? 5 : 100 + (uint64_t)i);
	}
	assert_int_equal(n, MB_FS_MAX_FLAGS);
	slot = mb_fs_list_add(l, &n);
	assert_int_equal(n, MB_FS_MAX_FLAGS);
	assert_ptr_equal(slot, &l[MB_FS_MAX_FLAGS - 1]);
	*slot = flag(999, 999, "/new", 1000);
	/* Dev 10 is gone, the others kept their order. */
	assert_int_equal(mb_fs_list_find(l, n, 10, 10, "/m"), -1);
	assert_int_equal(l[9].dev, 9);
	assert_int_equal(l[10].dev, 11);
	assert_int_equal(l[MB_FS_MAX_FLAGS - 2].dev, MB_FS_MAX_FLAGS - 1);
	assert_int_equal(mb_fs_list_find(l, n, 999, 999, "/new"), MB_FS_MAX_FLAGS - 1);
}

static void test_list_find(void **state)
{
	struct mb_fs_flag l[3];
	int n = 0;

	*mb_fs_list_add(l, &n) = flag(1, 20, "/var/mail", 1);
	*mb_fs_list_add(l, &n) = flag(1, 21, "/var/mail", 2);
	*mb_fs_list_add(l, &n) = flag(2, -1, "", 3);
	assert_int_equal(mb_fs_list_find(l, n, 1, 20, "/var/mail"), 0);
	assert_int_equal(mb_fs_list_find(l, n, 1, 21, "/var/mail"), 1);
	assert_int_equal(mb_fs_list_find(l, n, 2, -1, ""), 2);
	/* All three of device, mount id and path must match. */
	assert_int_equal(mb_fs_list_find(l, n, 3, 20, "/var/mail"), -1);
	assert_int_equal(mb_fs_list_find(l, n, 1, 22, "/var/mail"), -1);
	assert_int_equal(mb_fs_list_find(l, n, 1, 20, "/var/mail/"), -1);
	assert_int_equal(mb_fs_list_find(l, n, 1, 20, "/var"), -1);
	assert_int_equal(mb_fs_list_find(l, 0, 1, 20, "/var/mail"), -1);
}

static void test_list_restore(void **state)
{
	struct mb_fs_flag l[4], fg = flag(1, 20, "/m", 10), newer = flag(1, 20, "/m", 99);
	int n = 0;

	assert_int_equal(mb_fs_list_restore(l, &n, &fg, 0), 1);
	assert_int_equal(n, 1);
	/* The same mount again: kept as it is, or replaced when asked. */
	assert_int_equal(mb_fs_list_restore(l, &n, &newer, 0), 0);
	assert_int_equal(l[0].ts_ns, 10);
	assert_int_equal(mb_fs_list_restore(l, &n, &newer, 1), 0);
	assert_int_equal(n, 1);
	assert_int_equal(l[0].ts_ns, 99);

	/* Strings without their NUL come back terminated. */
	memset(fg.devname, 'd', sizeof(fg.devname));
	memset(fg.fstype, 'f', sizeof(fg.fstype));
	memset(fg.mountpoint, 'p', sizeof(fg.mountpoint));
	assert_int_equal(mb_fs_list_restore(l, &n, &fg, 0), 1);
	assert_int_equal(n, 2);
	assert_int_equal(strlen(l[1].devname), sizeof(l[1].devname) - 1);
	assert_int_equal(strlen(l[1].fstype), sizeof(l[1].fstype) - 1);
	assert_int_equal(strlen(l[1].mountpoint), sizeof(l[1].mountpoint) - 1);
}

static char *save(const struct mb_fs_det *f)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);

	assert_non_null(out);
	assert_int_equal(mb_fs_save(f, out, BOOT), 0);
	fclose(out);
	return buf;
}

static int load(struct mb_fs_det *f, const char *text)
{
	FILE *in = fmemopen((void *)text, strlen(text), "r");
	int r;

	assert_non_null(in);
	r = mb_fs_load(f, in, BOOT);
	fclose(in);
	return r;
}

static void test_round_trip_awkward(void **state)
{
	struct mb_fs_det *f = mb_fs_new((struct mb_alert_sink){ 0 });
	struct mb_fs_det *g = mb_fs_new((struct mb_alert_sink){ 0 });
	struct mb_fs_flag sd = flag(UINT32_MAX, -1, "-", UINT64_MAX);
	struct mb_fs_flag ro = flag(0, 0, "/srv/mail \\ box\t\x01\xff", 0);
	struct mb_fs_flag rep = flag(8 << 20 | 17, 2147483647, "/var/mail", 12345);
	char *text;

	assert_non_null(f);
	assert_non_null(g);
	sd.devname[0] = '\0';
	sd.flags = UINT32_MAX;
	snprintf(ro.fstype, sizeof(ro.fstype), "-");
	ro.flags = MB_RO_INFERRED;
	rep.flags = 7;
	assert_int_equal(mb_fs_restore_flag(f, &sd), 1);
	assert_int_equal(mb_fs_restore_readonly(f, &ro), 1);
	assert_int_equal(mb_fs_restore_reported(f, &rep), 1);

	text = save(f);
	/* One line per flag, each field one token; "" is "-", "-" is escaped. */
	assert_non_null(strstr(text, "\nshutdown 4294967295 -1 18446744073709551615 "
				     "4294967295 - xfs \\055\n"));
	assert_non_null(strstr(text, "/srv/mail\\040\\134\\040box\\011\\001\\377\n"));
	assert_non_null(strstr(text, "\nrecorded 8388625 2147483647 12345 7 dev8388625 xfs "
				     "/var/mail\n"));
	assert_non_null(strstr(text, "\nend 3\n"));

	assert_int_equal(load(g, text), 3);
	assert_int_equal(mb_fs_shutdown_count(g), 1);
	assert_int_equal(mb_fs_readonly_count(g), 1);
	assert_int_equal(mb_fs_reported_count(g), 1);
	assert_flag_equal(mb_fs_shutdown_at(g, 0), &sd);
	assert_flag_equal(mb_fs_readonly_at(g, 0), &ro);
	assert_flag_equal(mb_fs_reported_at(g, 0), &rep);
	free(text);

	/* Saving what was loaded gives the same file. */
	text = save(g);
	{
		char *again = save(f);

		assert_string_equal(text, again);
		free(again);
	}
	free(text);
	mb_fs_free(f);
	mb_fs_free(g);
}

static void test_load_overfull(void **state)
{
	struct mb_fs_det *f = mb_fs_new((struct mb_alert_sink){ 0 });
	size_t cap = 64 * (MB_FS_MAX_FLAGS + 10) + 128, off;
	char *text = malloc(cap);
	int nlines = MB_FS_MAX_FLAGS + 8;

	assert_non_null(text);
	off = (size_t)snprintf(text, cap, HEAD);
	for (int i = 0; i < nlines; i++)
		off += (size_t)snprintf(text + off, cap - off, "shutdown %d %d %d 1 sd xfs /m%d\n",
					i, i, 1000 + i, i);
	snprintf(text + off, cap - off, "end %d\n", nlines);
	/* All are added; the list keeps the newest MB_FS_MAX_FLAGS. */
	assert_int_equal(load(f, text), nlines);
	assert_int_equal(mb_fs_shutdown_count(f), MB_FS_MAX_FLAGS);
	for (int i = 0; i < MB_FS_MAX_FLAGS; i++)
		assert_true(mb_fs_shutdown_at(f, i)->ts_ns >= 1000 + 8);
	free(text);
	mb_fs_free(f);
}

static void test_load_refused(void **state)
{
	static const char *const bad[] = {
		"mailbpf-fs-state 1\r\nboot " BOOT "\nend 0\n",
		"MAILBPF-FS-STATE 1\nboot " BOOT "\nend 0\n",
		"mailbpf-fs-state 1\nboot " BOOT " x\nend 0\n",
		"mailbpf-fs-state 1\nboot  " BOOT "\nend 0\n",
		"mailbpf-fs-state 1\nbootid " BOOT "\nend 0\n",
		HEAD "end 0 \n",
		HEAD "end -1\n",
		HEAD "end +0\n",
		HEAD "end\n",
		HEAD "mounted 1 2 3 4 sdb1 xfs /m\nend 1\n",
		HEAD "shutdown 1 2 3 4 sdb1 xfs /m\nend 2\n",
		HEAD "shutdown 1 2 3 4 sdb1 xfs /m\nend 0\n",
		HEAD "shutdown 1 2 3 4 sdb1 xfs /m \nend 1\n",
		HEAD "shutdown 1 2 3 4 sdb1 xfs /m extra\nend 1\n",
		HEAD "shutdown 1 2147483648 3 4 sdb1 xfs /m\nend 1\n",
		HEAD "shutdown 1 2 18446744073709551616 4 sdb1 xfs /m\nend 1\n",
		HEAD "shutdown 1 2 3 4294967296 sdb1 xfs /m\nend 1\n",
		HEAD "shutdown 1 2 3 +4 sdb1 xfs /m\nend 1\n",
		HEAD "shutdown 1 2 3 4 sdb1 xfs /m\\400\nend 1\n",
		HEAD "shutdown 1 2 3 4 sdb1 xfs /m\\08\nend 1\n",
		HEAD "shutdown 1 2 3 4 sdb1 xfs /m\\\nend 1\n",
		HEAD "shutdown 1 2 3 4 sdb1 xfs\t/m\nend 1\n",
		HEAD "end 0\n\n",
	};
	struct mb_fs_det *f = mb_fs_new((struct mb_alert_sink){ 0 });
	struct mb_fs_flag keep = flag(1, 1, "/kept", 1);

	assert_int_equal(mb_fs_restore_flag(f, &keep), 1);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(load(f, bad[i]), -EINVAL);
		assert_int_equal(mb_fs_shutdown_count(f), 1);
		assert_int_equal(mb_fs_readonly_count(f), 0);
		assert_int_equal(mb_fs_reported_count(f), 0);
		assert_flag_equal(mb_fs_shutdown_at(f, 0), &keep);
	}
	/* The same lines done right load. */
	assert_int_equal(load(f, HEAD "shutdown 1 2 3 4 sdb1 xfs /m\\377\nend 1\n"), 1);
	assert_int_equal(strcmp(mb_fs_shutdown_at(f, 1)->mountpoint, "/m\xff"), 0);
	mb_fs_free(f);
}

static void test_boot_ids(void **state)
{
	struct mb_fs_det *f = mb_fs_new((struct mb_alert_sink){ 0 });
	char id[130];
	FILE *out = fopen("/dev/null", "w");

	assert_non_null(out);
	assert_int_equal(mb_fs_save(f, out, NULL), -EINVAL);
	assert_int_equal(mb_fs_save(NULL, out, BOOT), -EINVAL);
	assert_int_equal(mb_fs_save(f, out, "tab\there"), -EINVAL);
	assert_int_equal(mb_fs_save(f, out, "del\x7f"), -EINVAL);
	memset(id, 'b', sizeof(id) - 1);
	id[sizeof(id) - 1] = '\0';
	assert_int_equal(mb_fs_save(f, out, id), -EINVAL);
	id[128] = '\0';
	assert_int_equal(mb_fs_save(f, out, id), 0);
	fclose(out);

	/* A file from another boot is read (and checked) but adds nothing. */
	{
		const char *other = "mailbpf-fs-state 1\nboot other-boot\n"
				    "shutdown 1 2 3 4 sdb1 xfs /m\nend 1\n";

		assert_int_equal(load(f, other), 0);
		assert_int_equal(mb_fs_shutdown_count(f), 0);
	}
	mb_fs_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_list_add_evicts_oldest),
		cmocka_unit_test(test_list_find),
		cmocka_unit_test(test_list_restore),
		cmocka_unit_test(test_round_trip_awkward),
		cmocka_unit_test(test_load_overfull),
		cmocka_unit_test(test_load_refused),
		cmocka_unit_test(test_boot_ids),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
