// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * mountinfo.c: /proc/PID/mountinfo lines as the kernels print them (6.x's
 * emergency_ro and shutdown, older kernels' "ro" superblock), escaped
 * mount points, and lines that are not mountinfo.
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
#include "mounts.h"

#define DEV(ma, mi) ((uint32_t)(ma) << 20 | (uint32_t)(mi))
#define SDB1 DEV(8, 17)

#define SPOOL_EMERG \
	"31 22 8:17 / /var/mail rw,noatime - ext4 /dev/sdb1 rw,errors=remount-ro,emergency_ro\n"
#define SPOOL_RO "31 22 8:17 / /var/mail rw,noatime - ext4 /dev/sdb1 ro,errors=remount-ro\n"

static void test_mountinfo_parse(void **state)
{
	struct mb_mount m;

	(void)state;
	memset(&m, 0, sizeof(m));
	assert_int_equal(mb_mountinfo_parse(SPOOL_EMERG, &m), 0);
	assert_int_equal(m.dev, SDB1);
	assert_int_equal(m.mount_id, 31);
	assert_string_equal(m.mountpoint, "/var/mail");
	assert_string_equal(m.fstype, "ext4");
	assert_int_equal(m.flags, MB_MNT_EMERGENCY_RO | MB_MNT_ERRORS_RO);
	/* The superblock decides, not the mount (ProtectSystem= makes every mount ro). */
	assert_int_equal(mb_mountinfo_parse("40 1 8:17 / /var/mail\\040x ro,relatime shared:1 - "
					    "ext4 /dev/sdb1 rw,shutdown\n",
					    &m),
			 0);
	assert_string_equal(m.mountpoint, "/var/mail x");
	assert_int_equal(m.flags, MB_MNT_SHUTDOWN);
	assert_int_equal(mb_mountinfo_parse(SPOOL_RO, &m), 0);
	assert_int_equal(m.flags, MB_MNT_RO | MB_MNT_ERRORS_RO);
	/* "ro" must be a whole option: "errors=remount-ro" alone is not read-only. */
	assert_int_equal(
		mb_mountinfo_parse("1 0 0:5 / /x rw - tmpfs tmpfs rw,nr_inodes=5,ro2\n", &m), 0);
	assert_int_equal(m.flags, 0);
	assert_int_equal(mb_mountinfo_parse("garbage\n", &m), -EINVAL);
	assert_int_equal(mb_mountinfo_parse("1 0 0:5 / /x rw tmpfs\n", &m), -EINVAL);
}
int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mountinfo_parse),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
