/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Block devices and mounts as the kernel sees them, for naming fs events. */
#ifndef MAILBPF_DEVICES_H
#define MAILBPF_DEVICES_H

#include <stddef.h>
#include <stdint.h>
#include "alert.h"
#include "mounts.h"

/* Read a mountinfo file (normally /proc/self/mountinfo) into t. */
int mb_mounts_read(struct mb_mounts *t, const char *path);

/* /sys/fs/ext4/DEVNAME: the superblock's error history (zeroed when none). */
void mb_ext4_recorded(const char *devname, struct mb_fs_recorded *r);

/*
 * 1 when the filesystem refuses an fsync of its root with EIO or EROFS (ext4
 * shut down, or read-only after an error): for MB_MNT_REFUSES.
 */
int mb_mount_refuses(const char *mountpoint);

/* "loop0" for a kernel dev_t (major << 20 | minor), else "MAJ:MIN". */
void mb_devname(uint32_t dev, char *buf, size_t len);

/* This boot's id, so state files can tell a reboot happened. */
int mb_boot_id(char *buf, size_t len);

#endif
