/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The filesystem detector's state, shared by detect_fs.c (errors and
 * shutdowns) and detect_fs_ro.c (read-only transitions, recorded errors).
 */
#ifndef MAILBPF_DETECT_FS_PRIV_H
#define MAILBPF_DETECT_FS_PRIV_H

#include "detect_fs.h"
#include "ratelimit.h"

#define MB_FS_ERR_SLOTS 16 /* devices whose last fs error is remembered */

enum fs_kind { K_IO, K_CORRUPT, K_BLOCK, K_FSERR };

/* The last error a filesystem reported on a device: why it went read-only. */
struct err_slot {
	uint32_t dev;
	uint64_t ts_ns; /* 0: free */
	uint32_t source; /* enum mb_fs_source */
	char what[MB_DETAIL_LEN + 48]; /* "ext4_error in ext4_lookup:1812" */
};

/* A mount as the last refresh saw it. */
struct seen_mount {
	int mount_id;
	uint32_t dev;
	uint32_t flags; /* MB_MNT_* */
	uint32_t errors; /* superblock error count */
};

struct mb_fs_det {
	struct mb_alert_sink sink;
	struct mb_rl_slot rate[MB_FS_RATE_SLOTS];
	int nflags;
	struct mb_fs_flag flags[MB_FS_MAX_FLAGS];
	int nro;
	struct mb_fs_flag ro[MB_FS_MAX_FLAGS]; /* flags: enum mb_ro_cause */
	int nrep;
	struct mb_fs_flag rep[MB_FS_MAX_FLAGS]; /* recorded errors reported; flags: the count */
	struct err_slot errs[MB_FS_ERR_SLOTS];
	int seeded; /* seen[] holds a previous refresh */
	int nseen;
	struct seen_mount seen[MB_MAX_MOUNTS];
};

/* Where an event happened, resolved against the mount table. */
struct where {
	int mount_id;
	char devname[MB_NAME_LEN];
	char mountpoint[MB_PATH_LEN];
	char fstype[MB_NAME_LEN];
};

void mb_fs_emit(struct mb_fs_det *f, const struct mb_alert *a);
/* "xfs on /var/mail (sdb1)", or "device 8:17" when not mounted. */
void mb_fs_place(char *buf, size_t len, const struct where *w);
void mb_fs_where_of(struct where *w, const struct mb_mount *m);
/* The info alert that clears a sticky flag: its place in pl, device, mountpoint, fstype. */
void mb_fs_cleared_start(struct mb_alert *a, const struct mb_fs_flag *fg, enum mb_alert_kind kind,
			 uint64_t now, char *pl, size_t pllen);
/* Is the flag's mount (same id, device and path) still in the table? */
int mb_fs_mount_present(const struct mb_mounts *t, const struct mb_fs_flag *fg);

/*
 * The three bounded flag lists (shutdown, read-only, recorded errors), one
 * implementation (detect_fs_state.c). A flag is one mount: device, mount id
 * and path. Adding to a full list drops its oldest flag.
 */
struct mb_fs_flag *mb_fs_list_add(struct mb_fs_flag *l, int *n);
int mb_fs_list_find(const struct mb_fs_flag *l, int n, uint32_t dev, int mount_id,
		    const char *mountpoint);
/* Restore a saved flag: 1 added, 0 that mount is flagged already (replaced if replace). */
int mb_fs_list_restore(struct mb_fs_flag *l, int *n, const struct mb_fs_flag *fg, int replace);

/* detect_fs_ro.c */
void mb_fs_note_error(struct mb_fs_det *f, const struct mb_fs_event *e);
void mb_fs_ro_refresh(struct mb_fs_det *f, const struct mb_mounts *mounts, uint64_t now_ns);

#endif
