// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Read-only filesystems and the errors an ext4 superblock remembers, see
 * detect_fs.h. Debian's fstab mounts ext4 errors=remount-ro: on the first
 * error the kernel makes the filesystem read-only and delivery fails with
 * EROFS while every daemon still runs. Which remount was the kernel's and
 * which an admin's is told by what came just before: a filesystem error on
 * the device, a grown superblock error count, or ext4's own emergency_ro.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include "detect_fs_priv.h"
#include "names.h"

#define RO_NOW(flags) ((flags) & (MB_MNT_RO | MB_MNT_EMERGENCY_RO | MB_MNT_REFUSES))

const char *mb_ro_cause_name(uint32_t cause)
{
	cause &= ~(uint32_t)MB_RO_INFERRED;
	return cause == MB_RO_ERRORS ? "errors" : cause == MB_RO_ADMIN ? "admin" : "unknown";
}

void mb_fs_note_error(struct mb_fs_det *f, const struct mb_fs_event *e)
{
	struct err_slot *s = &f->errs[0];
	char fn[MB_DETAIL_LEN + 1];

	for (int i = 0; i < MB_FS_ERR_SLOTS; i++) {
		if (f->errs[i].ts_ns && f->errs[i].dev == e->dev) {
			s = &f->errs[i];
			break;
		}
		if (f->errs[i].ts_ns < s->ts_ns)
			s = &f->errs[i];
	}
	s->dev = e->dev;
	s->ts_ns = e->hdr.ts_ns ? e->hdr.ts_ns : 1;
	s->source = e->source;
	mb_copy_fixed(fn, sizeof(fn), e->detail, MB_DETAIL_LEN);
	if (e->source == MB_FS_EXT4_ERROR)
		snprintf(s->what, sizeof(s->what), "ext4_error in %s:%u", fn, e->nr);
	else
		snprintf(s->what, sizeof(s->what), "%s", mb_fs_source_name(e->source));
}

static const struct err_slot *recent_error(const struct mb_fs_det *f, uint32_t dev, uint64_t now)
{
	for (int i = 0; i < MB_FS_ERR_SLOTS; i++) {
		const struct err_slot *s = &f->errs[i];

		if (s->ts_ns && s->dev == dev &&
		    (s->ts_ns > now || now - s->ts_ns <= MB_FS_RO_CAUSE_NS))
			return s;
	}
	return NULL;
}

/*
 * ext4 with errors=remount-ro after an ext4_error: read-only whatever the
 * kernel shows. Every ext4_error goes through ext4_handle_error, which with
 * that option makes the filesystem read-only (SB_RDONLY before 6.12,
 * emergency_ro since 6.15; Debian 12's 6.1 aborts the journal and shows
 * nothing, so metadata writes fail with EROFS).
 */
static const struct err_slot *remount_ro_due(const struct mb_fs_det *f, const struct mb_mount *m,
					     uint64_t now)
{
	const struct err_slot *s;

	if (strcmp(m->fstype, "ext4") || !(m->flags & MB_MNT_ERRORS_RO))
		return NULL;
	s = recent_error(f, m->dev, now);
	return s && s->source == MB_FS_EXT4_ERROR ? s : NULL;
}

static const struct seen_mount *seen_find(const struct mb_fs_det *f, const struct mb_mount *m)
{
	for (int i = 0; i < f->nseen; i++)
		if (f->seen[i].mount_id == m->mount_id && f->seen[i].dev == m->dev)
			return &f->seen[i];
	return NULL;
}

/* A slot in a bounded flag list, the oldest given up when it is full. */

static void flag_from(struct mb_fs_flag *fg, const struct mb_mount *m, uint64_t now, uint32_t v)
{
	struct where w;

	mb_fs_where_of(&w, m);
	memset(fg, 0, sizeof(*fg));
	fg->dev = m->dev;
	fg->mount_id = m->mount_id;
	memcpy(fg->devname, w.devname, sizeof(fg->devname));
	memcpy(fg->mountpoint, w.mountpoint, sizeof(fg->mountpoint));
	memcpy(fg->fstype, w.fstype, sizeof(fg->fstype));
	fg->ts_ns = now;
	fg->flags = v;
}

static void where_fields(struct mb_alert *a, const struct mb_mount *m, const struct where *w)
{
	char dev[24];

	snprintf(dev, sizeof(dev), "%u:%u", m->dev >> 20, m->dev & 0xfffff);
	mb_alert_str(a, "device", w->devname);
	mb_alert_str(a, "dev", dev);
	mb_alert_str(a, "mountpoint", w->mountpoint);
	mb_alert_str(a, "fstype", w->fstype);
}

static void raise_ro(struct mb_fs_det *f, const struct mb_mount *m, uint32_t cause, const char *why,
		     uint64_t now)
{
	char pl[MB_PATH_LEN + 96];
	struct mb_alert a;
	struct where w;

	flag_from(mb_fs_list_add(f->ro, &f->nro), m, now, cause);
	mb_fs_where_of(&w, m);

	mb_fs_place(pl, sizeof(pl), &w);
	mb_alert_start(&a, now, (cause & MB_RO_ERRORS) ? MB_SEV_CRITICAL : MB_SEV_WARNING,
		       MB_AK_FS_READONLY);
	where_fields(&a, m, &w);
	mb_alert_str(&a, "cause", mb_ro_cause_name(cause));
	mb_alert_str(&a, "reason", why);
	mb_alert_int(&a, "errors_remount_ro", !!(m->flags & MB_MNT_ERRORS_RO));
	mb_alert_int(&a, "recorded_errors", m->rec.count);
	mb_alert_int(&a, "mount_id", m->mount_id);
	mb_alert_int(&a, "inferred", !!(cause & MB_RO_INFERRED));
	if (cause & MB_RO_ERRORS)
		mb_alert_summary(&a,
				 "%s: read-only after a filesystem error (%s); writes fail with "
				 "EROFS, mail is not being stored",
				 pl, why);
	else
		mb_alert_summary(
			&a,
			"%s: remounted read-only with no filesystem error seen (an admin's "
			"mount -o remount,ro?); writes fail with EROFS",
			pl);
	mb_fs_emit(f, &a);
}

static void utc(char *buf, size_t len, uint64_t unix_s)
{
	time_t t = (time_t)unix_s;
	struct tm tm;

	if (!unix_s || !gmtime_r(&t, &tm)) {
		snprintf(buf, len, "unknown");
		return;
	}
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static void report_recorded(struct mb_fs_det *f, const struct mb_mount *m, uint64_t now)
{
	const struct mb_fs_recorded *r = &m->rec;
	char pl[MB_PATH_LEN + 96], first[32], last[32], ff[MB_FUNC_LEN + 1], lf[MB_FUNC_LEN + 1];
	struct mb_alert a;
	struct where w;

	int i = mb_fs_list_find(f->rep, f->nrep, m->dev, m->mount_id, m->mountpoint);

	/* This mount's history with this count was told, maybe before a restart. */
	if (i >= 0 && f->rep[i].flags == r->count)
		return;
	flag_from(i >= 0 ? &f->rep[i] : mb_fs_list_add(f->rep, &f->nrep), m, now, r->count);
	/* Counted just now, on a mount not seen before: fs_error said so, it is no history. */
	if (recent_error(f, m->dev, now))
		return;
	mb_fs_where_of(&w, m);
	mb_fs_place(pl, sizeof(pl), &w);
	utc(first, sizeof(first), r->first_time);
	utc(last, sizeof(last), r->last_time);
	mb_copy_fixed(ff, sizeof(ff), r->first_func, MB_FUNC_LEN);
	mb_copy_fixed(lf, sizeof(lf), r->last_func, MB_FUNC_LEN);
	mb_alert_start(&a, now, MB_SEV_WARNING, MB_AK_FS_RECORDED_ERRORS);
	where_fields(&a, m, &w);
	mb_alert_int(&a, "errors_count", r->count);
	mb_alert_str(&a, "first_function", ff);
	mb_alert_int(&a, "first_line", r->first_line);
	mb_alert_str(&a, "first_time", first);
	mb_alert_str(&a, "first_error", r->first_errcode ? mb_errno_name(r->first_errcode) : "");
	mb_alert_str(&a, "last_function", lf);
	mb_alert_int(&a, "last_line", r->last_line);
	mb_alert_str(&a, "last_time", last);
	mb_alert_str(&a, "last_error", r->last_errcode ? mb_errno_name(r->last_errcode) : "");
	mb_alert_summary(&a,
			 "%s: the superblock records %u error(s) from earlier: first in %s:%u "
			 "(%s) at %s, last in %s:%u (%s) at %s; check it with e2fsck",
			 pl, r->count, ff[0] ? ff : "?", r->first_line,
			 r->first_errcode ? mb_errno_name(r->first_errcode) : "no errno", first,
			 lf[0] ? lf : "?", r->last_line,
			 r->last_errcode ? mb_errno_name(r->last_errcode) : "no errno", last);
	mb_fs_emit(f, &a);
}

static void clear_ro(struct mb_fs_det *f, int i, const char *how, uint64_t now)
{
	struct mb_fs_flag *fg = &f->ro[i];
	char pl[MB_PATH_LEN + 96];
	struct mb_alert a;

	mb_fs_cleared_start(&a, fg, MB_AK_FS_READONLY, now, pl, sizeof(pl));
	mb_alert_str(&a, "cause", mb_ro_cause_name(fg->flags));
	mb_alert_str(&a, "state", "cleared");
	mb_alert_summary(&a, "%s: read-only flag cleared: %s", pl, how);
	memmove(fg, fg + 1, (size_t)(f->nro - i - 1) * sizeof(*fg));
	f->nro--;
	mb_fs_emit(f, &a);
}

static int shutdown_flagged(const struct mb_fs_det *f, const struct mb_mount *m)
{
	return mb_fs_list_find(f->flags, f->nflags, m->dev, m->mount_id, m->mountpoint) >= 0;
}

/* Another mount of the same device, already looked at: one report per superblock. */
static int dev_seen(const struct mb_fs_det *f, const struct mb_mounts *t, int upto, uint32_t dev)
{
	for (int i = 0; i < f->nseen; i++)
		if (f->seen[i].dev == dev)
			return 1;
	for (int i = 0; i < upto; i++)
		if (t->m[i].dev == dev)
			return 1;
	return 0;
}

void mb_fs_ro_refresh(struct mb_fs_det *f, const struct mb_mounts *mounts, uint64_t now)
{
	int n = mounts->n < MB_MAX_MOUNTS ? mounts->n : MB_MAX_MOUNTS;
	int i = 0;

	while (i < f->nro) {
		const struct mb_fs_flag *fg = &f->ro[i];
		const struct mb_mount *m = NULL;

		for (int j = 0; j < n && !m; j++)
			if (mounts->m[j].mount_id == fg->mount_id && mounts->m[j].dev == fg->dev &&
			    !strncmp(mounts->m[j].mountpoint, fg->mountpoint, MB_PATH_LEN))
				m = &mounts->m[j];
		if (!m)
			clear_ro(f, i, "unmounted", now);
		else if (!RO_NOW(m->flags) && !(fg->flags & MB_RO_INFERRED))
			clear_ro(f, i, "read-write again", now);
		else
			i++;
	}
	/* A reported mount that is gone: its history is news again when mounted. */
	for (i = 0; i < f->nrep;) {
		int j = 0;

		while (j < n && mb_fs_list_find(&f->rep[i], 1, mounts->m[j].dev,
						mounts->m[j].mount_id, mounts->m[j].mountpoint) < 0)
			j++;
		if (j < n) {
			i++;
			continue;
		}
		memmove(&f->rep[i], &f->rep[i + 1], (size_t)(f->nrep - i - 1) * sizeof(f->rep[0]));
		f->nrep--;
	}
	for (i = 0; i < n; i++) {
		const struct mb_mount *m = &mounts->m[i];
		const struct seen_mount *prev = seen_find(f, m);
		const struct err_slot *err;
		char why[MB_DETAIL_LEN + 96];

		if (!prev && m->rec.count && !dev_seen(f, mounts, i, m->dev))
			report_recorded(f, m, now);
		/* A shut-down mount refuses everything: that is fs_shutdown's to say. */
		if (mb_fs_list_find(f->ro, f->nro, m->dev, m->mount_id, m->mountpoint) >= 0 ||
		    shutdown_flagged(f, m))
			continue;
		err = RO_NOW(m->flags) ? NULL : remount_ro_due(f, m, now);
		if (err) {
			if (!prev || !RO_NOW(prev->flags))
				raise_ro(f, m, MB_RO_ERRORS | MB_RO_INFERRED, err->what, now);
			continue;
		}
		if (!RO_NOW(m->flags))
			continue;
		if (prev && !RO_NOW(prev->flags)) {
			/* Was read-write: whose doing? */
			err = recent_error(f, m->dev, now);
			if (err)
				snprintf(why, sizeof(why), "%s", err->what);
			else if (m->flags & MB_MNT_EMERGENCY_RO)
				snprintf(why, sizeof(why), "ext4 emergency_ro");
			else if (m->flags & MB_MNT_REFUSES)
				snprintf(why, sizeof(why), "ext4 refuses writes");
			else if (m->rec.count > prev->errors)
				snprintf(why, sizeof(why), "superblock error count %u -> %u",
					 prev->errors, m->rec.count);
			else
				why[0] = 0;
			raise_ro(f, m, why[0] ? MB_RO_ERRORS : MB_RO_ADMIN, why, now);
		} else if (m->flags & MB_MNT_EMERGENCY_RO) {
			/* Read-only by ext4's own error handling, whenever that was. */
			err = recent_error(f, m->dev, now);
			raise_ro(f, m, MB_RO_ERRORS, err ? err->what : "ext4 emergency_ro", now);
		}
	}
	f->nseen = n;
	for (i = 0; i < n; i++) {
		f->seen[i].mount_id = mounts->m[i].mount_id;
		f->seen[i].dev = mounts->m[i].dev;
		f->seen[i].flags = mounts->m[i].flags;
		f->seen[i].errors = mounts->m[i].rec.count;
	}
	f->seeded = 1;
}

int mb_fs_wants_probe(const struct mb_fs_det *f, const struct mb_mount *m, uint64_t now)
{
	if (!f || !m || strcmp(m->fstype, "ext4"))
		return 0;
	return recent_error(f, m->dev, now) ||
	       mb_fs_list_find(f->ro, f->nro, m->dev, m->mount_id, m->mountpoint) >= 0;
}

int mb_fs_readonly_count(const struct mb_fs_det *f)
{
	return f ? f->nro : 0;
}

const struct mb_fs_flag *mb_fs_readonly_at(const struct mb_fs_det *f, int i)
{
	return f && i >= 0 && i < f->nro ? &f->ro[i] : NULL;
}

int mb_fs_reported_count(const struct mb_fs_det *f)
{
	return f ? f->nrep : 0;
}

const struct mb_fs_flag *mb_fs_reported_at(const struct mb_fs_det *f, int i)
{
	return f && i >= 0 && i < f->nrep ? &f->rep[i] : NULL;
}

int mb_fs_restore_readonly(struct mb_fs_det *f, const struct mb_fs_flag *fg)
{
	return f && fg ? mb_fs_list_restore(f->ro, &f->nro, fg, 0) : -EINVAL;
}

/* A recorded-errors flag already there takes the saved count. */
int mb_fs_restore_reported(struct mb_fs_det *f, const struct mb_fs_flag *fg)
{
	return f && fg ? mb_fs_list_restore(f->rep, &f->nrep, fg, 1) : -EINVAL;
}
