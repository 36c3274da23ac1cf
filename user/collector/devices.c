// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Naming devices for fs events. Tracepoints give a kernel dev_t; the admin
 * wants "loop0 on /var/vmail (xfs)". mountinfo has major:minor, the mount id
 * (new on every mount, which is how a remount clears a sticky shutdown) and
 * the mount point with spaces escaped as octal (parsed in mountinfo.c);
 * for ext4, sysfs has the superblock's record of past errors.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "devices.h"

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

/* One small sysfs file: a number or a word, without its newline. */
static int read_attr(const char *dir, const char *name, char *buf, size_t len)
{
	char path[MB_PATH_LEN + 64];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "re");
	buf[0] = 0;
	if (!f)
		return -errno;
	if (!fgets(buf, (int)len, f))
		buf[0] = 0;
	fclose(f);
	buf[strcspn(buf, "\n")] = 0;
	return 0;
}

static uint64_t attr_u64(const char *dir, const char *name)
{
	char buf[32];

	read_attr(dir, name, buf, sizeof(buf));
	return strtoull(buf, NULL, 10);
}

/*
 * The superblock's error history, kept across mounts: ext4 counts every
 * error and keeps the first and the last (function, line, time, errno).
 * Read only when there is something to read.
 */
void mb_ext4_recorded(const char *devname, struct mb_fs_recorded *r)
{
	char dir[MB_NAME_LEN + 16];

	memset(r, 0, sizeof(*r));
	snprintf(dir, sizeof(dir), "/sys/fs/ext4/%s", devname);
	r->count = (uint32_t)attr_u64(dir, "errors_count");
	if (!r->count)
		return;
	r->first_time = attr_u64(dir, "first_error_time");
	r->last_time = attr_u64(dir, "last_error_time");
	r->first_line = (uint32_t)attr_u64(dir, "first_error_line");
	r->last_line = (uint32_t)attr_u64(dir, "last_error_line");
	r->first_errcode = (int32_t)attr_u64(dir, "first_error_errcode");
	r->last_errcode = (int32_t)attr_u64(dir, "last_error_errcode");
	read_attr(dir, "first_error_func", r->first_func, sizeof(r->first_func));
	read_attr(dir, "last_error_func", r->last_func, sizeof(r->last_func));
}

int mb_mounts_read(struct mb_mounts *t, const char *path)
{
	char *line = NULL;
	size_t cap = 0;
	FILE *f;

	t->n = 0;
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (getline(&line, &cap, f) > 0 && t->n < MB_MAX_MOUNTS) {
		struct mb_mount *m = &t->m[t->n];

		if (mb_mountinfo_parse(line, m))
			continue;
		mb_devname(m->dev, m->devname, sizeof(m->devname));
		if (!strcmp(m->fstype, "ext4"))
			mb_ext4_recorded(m->devname, &m->rec);
		else
			memset(&m->rec, 0, sizeof(m->rec));
		t->n++;
	}
	free(line);
	fclose(f);
	return 0;
}

int mb_mount_refuses(const char *mountpoint)
{
	/* O_RDONLY: a directory can be synced without write access, even on a ro mount. */
	int fd = open(mountpoint, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW), r = 0;

	if (fd < 0)
		return 0;
	if (fsync(fd) && (errno == EIO || errno == EROFS))
		r = 1;
	close(fd);
	return r;
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
