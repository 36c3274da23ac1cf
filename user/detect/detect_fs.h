/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Filesystem and block error detector. I/O errors and corruption reports
 * are rate-limited per device; an XFS forced shutdown is sticky: the mount
 * stays flagged until it is gone from the mount table, and the flags
 * survive a collector restart (not a reboot) through mb_fs_save/load,
 * because a shut-down filesystem that nobody unmounted is still broken.
 */
#ifndef MAILBPF_DETECT_FS_H
#define MAILBPF_DETECT_FS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "alert.h"
#include "mounts.h"
#include "names.h"

#define MB_FS_MAX_FLAGS 32 /* sticky shutdown flags kept, oldest evicted */
#define MB_FS_RATE_SLOTS 64 /* (kind, device) rate-limit slots */
#define MB_FS_RATE_NS (60 * NS_PER_SEC) /* one alert per kind and device per this */
/* A filesystem error this close before a read-only remount caused it. */
#define MB_FS_RO_CAUSE_NS (120 * NS_PER_SEC)

/* Why a filesystem that was read-write is read-only now. */
enum mb_ro_cause {
	MB_RO_ADMIN = 1, /* no error seen: mount -o remount,ro */
	MB_RO_ERRORS = 2, /* after a filesystem error (errors=remount-ro) */
	/*
	 * Or'ed in: read-only by the rule, not by what the kernel shows (an ext4
	 * error on errors=remount-ro, which Debian 12's 6.1 turns into an aborted
	 * journal and nothing in mountinfo): only an unmount clears it.
	 */
	MB_RO_INFERRED = 4,
};

struct mb_fs_flag {
	uint32_t dev; /* kernel dev_t: major << 20 | minor */
	int mount_id; /* -1: the device was not in the mount table */
	char devname[MB_NAME_LEN]; /* "sdb1", or "M:m" when unknown */
	char mountpoint[MB_PATH_LEN]; /* "" when unknown */
	char fstype[MB_NAME_LEN];
	uint64_t ts_ns; /* CLOCK_BOOTTIME of the shutdown */
	uint32_t flags; /* MB_XFS_SHUTDOWN_* */
};

struct mb_fs_det;

/* NULL with errno set on failure. */
struct mb_fs_det *mb_fs_new(struct mb_alert_sink sink);
void mb_fs_free(struct mb_fs_det *f);

/* Feed an MB_EV_FS_* or MB_EV_BLOCK_ERROR record; mounts may be NULL. */
void mb_fs_feed(struct mb_fs_det *f, const struct mb_fs_event *e, const struct mb_mounts *mounts);

/*
 * Call after each mount table refresh: clears (with an info alert) the
 * flags whose mount is gone, and names flags raised for a device that was
 * not yet in the table.
 */
void mb_fs_refresh(struct mb_fs_det *f, const struct mb_mounts *mounts, uint64_t now_ns);

/* Enumerate the sticky flags, for metrics. i in [0, count). */
int mb_fs_shutdown_count(const struct mb_fs_det *f);
const struct mb_fs_flag *mb_fs_shutdown_at(const struct mb_fs_det *f, int i);

/*
 * Add a flag as it was before a restart (mb_fs_load uses this). Returns 1
 * when added, 0 when that mount is already flagged, -EINVAL for NULL.
 */
int mb_fs_restore_flag(struct mb_fs_det *f, const struct mb_fs_flag *fg);

/*
 * detect_fs_ro.c. Read-only transitions, decided by mb_fs_refresh from the
 * superblock state in the mount table: a mount seen read-write that is now
 * read-only (or one ext4 marks emergency_ro) is an fs_readonly alert,
 * critical when a filesystem error on that device came just before, the
 * superblock's error count grew, or ext4 says so; a warning otherwise (an
 * admin's remount). The flag stays, and is saved like a shutdown, until the
 * mount is gone or read-write again. Flags' `flags` is enum mb_ro_cause.
 *
 * The first time a mount is seen (start, or a new mount), ext4's record of
 * errors in earlier mounts, if any, is an fs_recorded_errors warning, once
 * per mount and count (a restart does not repeat it).
 */
/*
 * Should the collector probe this mount for MB_MNT_REFUSES? For ext4 after
 * a filesystem error on its device, and while it is flagged read-only (so
 * the flag holds across a restart): never on a healthy host.
 */
int mb_fs_wants_probe(const struct mb_fs_det *f, const struct mb_mount *m, uint64_t now_ns);
int mb_fs_readonly_count(const struct mb_fs_det *f);
const struct mb_fs_flag *mb_fs_readonly_at(const struct mb_fs_det *f, int i);
/* As mb_fs_restore_flag, for read-only flags. */
int mb_fs_restore_readonly(struct mb_fs_det *f, const struct mb_fs_flag *fg);
/* "errors", "admin". */
const char *mb_ro_cause_name(uint32_t cause);
/*
 * Mounts whose recorded errors were reported (`flags`: the count then), so
 * a restart does not report the same history again; saved with the flags.
 */
int mb_fs_reported_count(const struct mb_fs_det *f);
const struct mb_fs_flag *mb_fs_reported_at(const struct mb_fs_det *f, int i);
int mb_fs_restore_reported(struct mb_fs_det *f, const struct mb_fs_flag *fg);

/*
 * detect_fs_state.c. Persist the flags, tagged with the boot they belong to
 * (/proc/sys/kernel/random/boot_id). Returns 0, -EINVAL for a bad boot_id,
 * or -EIO when the stream reports an error.
 */
int mb_fs_save(const struct mb_fs_det *f, FILE *out, const char *boot_id);

/*
 * Add the saved flags. Returns how many were added: 0 when the file is from
 * another boot (that reboot unmounted everything). A malformed or
 * truncated file returns -EINVAL and changes nothing.
 */
int mb_fs_load(struct mb_fs_det *f, FILE *in, const char *boot_id);

#endif
