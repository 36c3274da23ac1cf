// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Naming devices for fs events. Tracepoints give a kernel dev_t; the admin
 * wants "loop0 on /var/vmail (xfs)". mountinfo has major:minor, the mount id
 * (new on every mount, which is how a remount clears a sticky shutdown) and
 * the mount point with spaces escaped as octal.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "devices.h"

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

void mb_devname(uint32_t dev, char *buf, size_t len)
{
	char path[64], line[256];
	FILE *f;

	snprintf(buf, len, "%u:%u", dev >> 20, dev & 0xfffff);
	snprintf(path, sizeof(path), "/sys/dev/block/%u:%u/uevent", dev >> 20, dev & 0xfffff);
	f = fopen(path, "re");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, "DEVNAME=", 8)) {
			line[strcspn(line, "\n")] = 0;
			snprintf(buf, len, "%s", line + 8);
			break;
		}
	}
	fclose(f);
}

int mb_mounts_read(struct mb_mounts *t, const char *path)
{
	char *line = NULL, mp[MB_PATH_LEN * 2], fstype[MB_NAME_LEN];
	size_t cap = 0;
	unsigned int ma, mi;
	int id, parent;
	FILE *f;

	t->n = 0;
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (getline(&line, &cap, f) > 0 && t->n < MB_MAX_MOUNTS) {
		struct mb_mount *m = &t->m[t->n];
		char *sep = strstr(line, " - ");

		if (!sep || sscanf(line, "%d %d %u:%u %*s %511s", &id, &parent, &ma, &mi, mp) != 5)
			continue;
		if (sscanf(sep + 3, "%31s", fstype) != 1)
			continue;
		m->dev = KDEV(ma, mi);
		m->mount_id = id;
		unescape(m->mountpoint, sizeof(m->mountpoint), mp);
		snprintf(m->fstype, sizeof(m->fstype), "%s", fstype);
		mb_devname(m->dev, m->devname, sizeof(m->devname));
		t->n++;
	}
	free(line);
	fclose(f);
	return 0;
}

int mb_boot_id(char *buf, size_t len)
{
	FILE *f = fopen("/proc/sys/kernel/random/boot_id", "re");
	int err = 0;

	if (!f)
		return -errno;
	if (!fgets(buf, len, f))
		err = -EIO;
	else
		buf[strcspn(buf, "\n")] = 0;
	fclose(f);
	return err;
}
