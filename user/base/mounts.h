/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The mount table, resolved by the collector from /proc/self/mountinfo. */
#ifndef MAILBPF_MOUNTS_H
#define MAILBPF_MOUNTS_H

#include <stdint.h>
#include "../bpf/mailbpf.h"
#include "config.h"

#define MB_MAX_MOUNTS 256

/* From the superblock's options (a mount's own flags differ per namespace). */
#define MB_MNT_RO (1U << 0) /* "ro" */
#define MB_MNT_EMERGENCY_RO (1U << 1) /* ext4 6.x: read-only after an error, "rw" kept */
#define MB_MNT_SHUTDOWN (1U << 2) /* ext4 6.x: forced shutdown */
#define MB_MNT_ERRORS_RO (1U << 3) /* errors=remount-ro */
/*
 * Not from mountinfo: ext4 refuses an fsync of its root (EIO, EROFS), which
 * is all a kernel whose error path shuts ext4 down without a word in
 * mountinfo shows (Debian 12's 6.1 today). Probed by the collector when the
 * detector asks (mb_fs_wants_probe).
 */
#define MB_MNT_REFUSES (1U << 4)
#define MB_FUNC_LEN 32

/* What an ext4 superblock records of past errors (/sys/fs/ext4/DEV/). */
struct mb_fs_recorded {
	uint32_t count; /* errors_count: every error since mkfs or the last fsck */
	uint32_t first_line, last_line;
	int32_t first_errcode, last_errcode; /* positive errno, 0 unknown */
	uint64_t first_time, last_time; /* unix seconds */
	char first_func[MB_FUNC_LEN], last_func[MB_FUNC_LEN];
};

struct mb_mount {
	uint32_t dev; /* kernel dev_t: major << 20 | minor */
	int mount_id; /* new on every mount, so a remount clears state */
	char devname[MB_NAME_LEN]; /* "loop0", "sda1" */
	char mountpoint[MB_PATH_LEN];
	char fstype[MB_NAME_LEN];
	uint32_t flags; /* MB_MNT_* */
	struct mb_fs_recorded rec; /* ext4 only; details only when count > 0 */
};
struct mb_mounts {
	int n;
	struct mb_mount m[MB_MAX_MOUNTS];
};
const struct mb_mount *mb_mounts_find(const struct mb_mounts *t, uint32_t dev);

/*
 * mountinfo.c: one /proc/PID/mountinfo line into m (dev, mount id, mount
 * point unescaped, fstype, MB_MNT_* from the superblock options; devname
 * and rec are left alone). -EINVAL for a line that is not one.
 */
int mb_mountinfo_parse(const char *line, struct mb_mount *m);

#endif
