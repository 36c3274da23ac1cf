// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Filesystem and block error alerts, and sticky XFS shutdown flags, see
 * detect_fs.h. A failing disk reports the same error for every buffer it
 * touches, so everything but a shutdown is limited per kind and device.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include "detect_fs_priv.h"
#include "names.h"

struct mb_fs_det *mb_fs_new(struct mb_alert_sink sink)
{
	struct mb_fs_det *f = calloc(1, sizeof(*f));

	if (f)
		f->sink = sink;
	return f;
}

void mb_fs_free(struct mb_fs_det *f)
{
	free(f);
}

void mb_fs_emit(struct mb_fs_det *f, const struct mb_alert *a)
{
	if (f->sink.emit)
		f->sink.emit(f->sink.ctx, a);
}

void mb_fs_where_of(struct where *w, const struct mb_mount *m)
{
	memset(w, 0, sizeof(*w));
	w->mount_id = m->mount_id;
	mb_copy_fixed(w->devname, sizeof(w->devname), m->devname, sizeof(m->devname));
	mb_copy_fixed(w->mountpoint, sizeof(w->mountpoint), m->mountpoint, sizeof(m->mountpoint));
	mb_copy_fixed(w->fstype, sizeof(w->fstype), m->fstype, sizeof(m->fstype));
}

static void resolve(struct where *w, uint32_t dev, const struct mb_mounts *mounts)
{
	const struct mb_mount *m = mb_mounts_find(mounts, dev);

	if (m) {
		mb_fs_where_of(w, m);
		return;
	}
	memset(w, 0, sizeof(*w));
	w->mount_id = -1;
	snprintf(w->devname, sizeof(w->devname), "%u:%u", dev >> 20, dev & 0xfffff);
}

void mb_fs_place(char *buf, size_t len, const struct where *w)
{
	if (w->mountpoint[0])
		snprintf(buf, len, "%s on %s (%s)", w->fstype[0] ? w->fstype : "fs", w->mountpoint,
			 w->devname);
	else
		snprintf(buf, len, "device %s", w->devname);
}

void mb_fs_cleared_start(struct mb_alert *a, const struct mb_fs_flag *fg, enum mb_alert_kind kind,
			 uint64_t now, char *pl, size_t pllen)
{
	struct where w;

	memset(&w, 0, sizeof(w));
	memcpy(w.devname, fg->devname, sizeof(w.devname));
	memcpy(w.mountpoint, fg->mountpoint, sizeof(w.mountpoint));
	memcpy(w.fstype, fg->fstype, sizeof(w.fstype));
	mb_fs_place(pl, pllen, &w);
	mb_alert_start(a, now, MB_SEV_INFO, kind);
	mb_alert_str(a, "device", fg->devname);
	mb_alert_str(a, "mountpoint", fg->mountpoint);
	mb_alert_str(a, "fstype", fg->fstype);
}

static void base_fields(struct mb_alert *a, const struct mb_fs_event *e, const struct where *w)
{
	char dev[24], comm[MB_COMM_LEN + 1];

	snprintf(dev, sizeof(dev), "%u:%u", e->dev >> 20, e->dev & 0xfffff);
	mb_copy_fixed(comm, sizeof(comm), e->comm, MB_COMM_LEN);
	mb_alert_str(a, "device", w->devname);
	mb_alert_str(a, "dev", dev);
	mb_alert_str(a, "mountpoint", w->mountpoint);
	mb_alert_str(a, "fstype", w->fstype);
	mb_alert_str(a, "source", mb_fs_source_name(e->source));
	mb_alert_str(a, "error", e->error < 0 ? mb_errno_name(e->error) : "");
	mb_alert_int(a, "pid", e->pid);
	mb_alert_str(a, "comm", comm);
}

static void feed_shutdown(struct mb_fs_det *f, const struct mb_fs_event *e, const struct where *w)
{
	char pl[MB_PATH_LEN + 96], fl[128], file[MB_DETAIL_LEN + 1];
	struct mb_fs_flag *fg;
	struct mb_alert a;
	int i = mb_fs_list_find(f->flags, f->nflags, e->dev, w->mount_id, w->mountpoint);

	if (i >= 0) {
		/* Every later writer hits the shut-down fs and reports again: already said. */
		f->flags[i].flags |= e->flags;
		return;
	}
	fg = mb_fs_list_add(f->flags, &f->nflags);
	memset(fg, 0, sizeof(*fg));
	fg->dev = e->dev;
	fg->mount_id = w->mount_id;
	memcpy(fg->devname, w->devname, sizeof(fg->devname));
	memcpy(fg->mountpoint, w->mountpoint, sizeof(fg->mountpoint));
	memcpy(fg->fstype, w->fstype, sizeof(fg->fstype));
	fg->ts_ns = e->hdr.ts_ns;
	fg->flags = e->flags;

	mb_fs_place(pl, sizeof(pl), w);
	mb_fs_shutdown_desc(e->source, e->flags, fl, sizeof(fl));
	mb_copy_fixed(file, sizeof(file), e->detail, MB_DETAIL_LEN);
	mb_alert_start(&a, e->hdr.ts_ns, MB_SEV_CRITICAL, MB_AK_FS_SHUTDOWN);
	base_fields(&a, e, w);
	mb_alert_str(&a, "flags", fl);
	mb_alert_int(&a, "flags_raw", e->flags);
	mb_alert_str(&a, "file", file);
	mb_alert_int(&a, "line", e->nr);
	if (e->source == MB_FS_EXT4_SHUTDOWN || e->source == MB_FS_MNT_SHUTDOWN)
		/* ext4 says no more than how: the ioctl or a vanished device did it. */
		mb_alert_summary(&a,
				 "%s: filesystem shut down (%s); it refuses all I/O until "
				 "unmounted and checked",
				 pl, fl);
	else
		mb_alert_summary(&a,
				 "%s: filesystem shut down (%s) at %s:%u; it refuses all I/O "
				 "until unmounted and repaired",
				 pl, fl, file, e->nr);
	mb_fs_emit(f, &a);
}

void mb_fs_feed(struct mb_fs_det *f, const struct mb_fs_event *e, const struct mb_mounts *mounts)
{
	char pl[MB_PATH_LEN + 96], detail[MB_DETAIL_LEN + 1], sup[64] = "";
	const char *err = e && e->error < 0 ? mb_errno_name(e->error) : "no errno";
	enum fs_kind kind;
	struct where w;
	struct mb_alert a;
	int64_t n;

	if (!f || !e)
		return;
	resolve(&w, e->dev, mounts);
	if (e->hdr.type != MB_EV_BLOCK_ERROR)
		mb_fs_note_error(f, e);
	if (e->hdr.type == MB_EV_FS_SHUTDOWN) {
		feed_shutdown(f, e, &w);
		return;
	}
	if (e->hdr.type == MB_EV_FS_ERROR && e->source == MB_FS_EXT4_ERROR)
		kind = K_FSERR;
	else if (e->hdr.type == MB_EV_FS_ERROR)
		kind = K_IO;
	else if (e->hdr.type == MB_EV_FS_CORRUPT)
		kind = K_CORRUPT;
	else if (e->hdr.type == MB_EV_BLOCK_ERROR)
		kind = K_BLOCK;
	else
		return;
	n = mb_rate_limit(f->rate, MB_FS_RATE_SLOTS, MB_FS_RATE_NS, kind, e->dev, NULL,
			  e->hdr.ts_ns, e->suppressed);
	if (n < 0)
		return;
	if (n)
		snprintf(sup, sizeof(sup), " (%lld similar suppressed)", (long long)n);
	mb_fs_place(pl, sizeof(pl), &w);
	mb_copy_fixed(detail, sizeof(detail), e->detail, MB_DETAIL_LEN);

	if (kind == K_IO) {
		mb_alert_start(&a, e->hdr.ts_ns, MB_SEV_CRITICAL, MB_AK_FS_IO_ERROR);
		mb_alert_summary(&a, "%s: metadata I/O error (%s) at daddr %" PRIu64 "%s", pl, err,
				 (uint64_t)e->sector, sup);
	} else if (kind == K_FSERR) {
		/* ext4 does not say which errno; the superblock does (mailbpf_fs_recorded_errors). */
		mb_alert_start(&a, e->hdr.ts_ns, MB_SEV_CRITICAL, MB_AK_FS_ERROR);
		mb_alert_summary(&a, "%s: ext4 error in %s:%u%s", pl, detail[0] ? detail : "?",
				 e->nr, sup);
	} else if (kind == K_CORRUPT) {
		mb_alert_start(&a, e->hdr.ts_ns, MB_SEV_CRITICAL, MB_AK_FS_CORRUPTION);
		mb_alert_summary(&a,
				 "%s: corruption reported by %s (mask 0x%x, inode %" PRIu64 ")%s",
				 pl, mb_fs_source_name(e->source), e->flags, (uint64_t)e->ino, sup);
	} else {
		/* Block errors may be retried successfully; the fs alerts say if they were not. */
		mb_alert_start(&a, e->hdr.ts_ns, MB_SEV_WARNING, MB_AK_BLOCK_IO_ERROR);
		if (e->error > 0)
			err = "blk_status";
		mb_alert_summary(&a,
				 "%s: block I/O error (%s) on %s at sector %" PRIu64
				 " (%u sectors)%s",
				 pl, err, detail, (uint64_t)e->sector, e->nr, sup);
	}
	base_fields(&a, e, &w);
	mb_alert_int(&a, "error_raw", e->error);
	mb_alert_int(&a, "sector", (int64_t)e->sector);
	mb_alert_int(&a, "ino", (int64_t)e->ino);
	mb_alert_int(&a, "nr", e->nr);
	mb_alert_int(&a, "flags_raw", e->flags);
	mb_alert_str(&a, "detail", detail);
	if (kind == K_FSERR) {
		mb_alert_str(&a, "function", detail);
		mb_alert_int(&a, "line", e->nr);
	}
	mb_alert_int(&a, "suppressed", n);
	mb_fs_emit(f, &a);
}

int mb_fs_mount_present(const struct mb_mounts *t, const struct mb_fs_flag *fg)
{
	int i, n = t->n < MB_MAX_MOUNTS ? t->n : MB_MAX_MOUNTS;

	/* Mount ids are reused after unmount, so the device and path must match too. */
	for (i = 0; i < n; i++)
		if (t->m[i].mount_id == fg->mount_id && t->m[i].dev == fg->dev &&
		    !strncmp(t->m[i].mountpoint, fg->mountpoint, MB_PATH_LEN))
			return 1;
	return 0;
}

void mb_fs_refresh(struct mb_fs_det *f, const struct mb_mounts *mounts, uint64_t now_ns)
{
	char pl[MB_PATH_LEN + 96];
	struct mb_alert a;
	struct where w;
	int i = 0;

	if (!f || !mounts)
		return;
	while (i < f->nflags) {
		struct mb_fs_flag *fg = &f->flags[i];

		if (fg->mount_id < 0) {
			/* Raised before the table knew the device: name it now if it can. */
			resolve(&w, fg->dev, mounts);
			if (w.mount_id >= 0 && mb_fs_list_find(f->flags, f->nflags, fg->dev,
							       w.mount_id, w.mountpoint) < 0) {
				fg->mount_id = w.mount_id;
				memcpy(fg->devname, w.devname, sizeof(fg->devname));
				memcpy(fg->mountpoint, w.mountpoint, sizeof(fg->mountpoint));
				memcpy(fg->fstype, w.fstype, sizeof(fg->fstype));
			}
			i++;
			continue;
		}
		if (mb_fs_mount_present(mounts, fg)) {
			i++;
			continue;
		}
		mb_fs_cleared_start(&a, fg, MB_AK_FS_SHUTDOWN, now_ns, pl, sizeof(pl));
		mb_alert_int(&a, "mount_id", fg->mount_id);
		mb_alert_str(&a, "state", "cleared");
		mb_alert_int(&a, "shutdown_ns", (int64_t)fg->ts_ns);
		mb_alert_summary(&a, "%s: shutdown flag cleared: unmounted/remounted", pl);
		memmove(fg, fg + 1, (size_t)(f->nflags - i - 1) * sizeof(*fg));
		f->nflags--;
		mb_fs_emit(f, &a);
	}
	mb_fs_ro_refresh(f, mounts, now_ns);
}

int mb_fs_shutdown_count(const struct mb_fs_det *f)
{
	return f ? f->nflags : 0;
}

const struct mb_fs_flag *mb_fs_shutdown_at(const struct mb_fs_det *f, int i)
{
	if (!f || i < 0 || i >= f->nflags)
		return NULL;
	return &f->flags[i];
}

int mb_fs_restore_flag(struct mb_fs_det *f, const struct mb_fs_flag *fg)
{
	return f && fg ? mb_fs_list_restore(f->flags, &f->nflags, fg, 0) : -EINVAL;
}
