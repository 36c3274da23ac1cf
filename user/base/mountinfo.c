// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * One line of /proc/PID/mountinfo:
 *
 *   36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw,errors=continue
 *
 * The read-only state is taken from the superblock's options at the end,
 * not the mount's own (field 6): systemd's ProtectSystem= makes every mount
 * read-only in the service's namespace, while the superblock says whether
 * the filesystem itself is. ext4 on 6.x kernels keeps "rw" after an error
 * with errors=remount-ro and says "emergency_ro" (or "shutdown") instead.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "mounts.h"

#define KDEV(ma, mi) (((uint32_t)(ma) << 20) | ((uint32_t)(mi)&0xfffff))

/* mountinfo escapes space, tab, newline and backslash as \ooo. */
static void unescape(char *dst, size_t len, const char *src)
{
	size_t o = 0;

	while (*src && o + 1 < len) {
		if (src[0] == '\\' && src[1] >= '0' && src[1] <= '3' && src[2] >= '0' &&
		    src[2] <= '7' && src[3] >= '0' && src[3] <= '7') {
			dst[o++] =
				(char)((src[1] - '0') * 64 + (src[2] - '0') * 8 + (src[3] - '0'));
			src += 4;
		} else {
			dst[o++] = *src++;
		}
	}
	dst[o] = 0;
}

/* Is `opt` one of the comma-separated options in `opts`? */
static int has_opt(const char *opts, const char *opt)
{
	size_t n = strlen(opt);

	for (const char *p = opts; p && *p; p = strchr(p, ',') ? strchr(p, ',') + 1 : NULL)
		if (!strncmp(p, opt, n) && (p[n] == ',' || p[n] == '\0'))
			return 1;
	return 0;
}

int mb_mountinfo_parse(const char *line, struct mb_mount *m)
{
	char mp[MB_PATH_LEN * 4], fstype[MB_NAME_LEN], sopts[1024];
	const char *sep = strstr(line, " - ");
	unsigned int ma, mi;
	int id, parent;

	if (!sep || sscanf(line, "%d %d %u:%u %*s %1023s", &id, &parent, &ma, &mi, mp) != 5)
		return -EINVAL;
	if (sscanf(sep + 3, "%31s %*s %1023s", fstype, sopts) != 2)
		return -EINVAL;
	m->dev = KDEV(ma, mi);
	m->mount_id = id;
	unescape(m->mountpoint, sizeof(m->mountpoint), mp);
	snprintf(m->fstype, sizeof(m->fstype), "%s", fstype);
	m->flags = 0;
	if (has_opt(sopts, "ro"))
		m->flags |= MB_MNT_RO;
	if (has_opt(sopts, "emergency_ro"))
		m->flags |= MB_MNT_EMERGENCY_RO;
	if (has_opt(sopts, "shutdown"))
		m->flags |= MB_MNT_SHUTDOWN;
	if (has_opt(sopts, "errors=remount-ro"))
		m->flags |= MB_MNT_ERRORS_RO;
	return 0;
}

/*
 * Bind mounts share a dev; the first line of mountinfo for it is the
 * original mount, which is the name an operator knows the device by.
 */
const struct mb_mount *mb_mounts_find(const struct mb_mounts *t, uint32_t dev)
{
	int i, n;

	if (!t)
		return NULL;
	n = t->n < MB_MAX_MOUNTS ? t->n : MB_MAX_MOUNTS;
	for (i = 0; i < n; i++)
		if (t->m[i].dev == dev)
			return &t->m[i];
	return NULL;
}
