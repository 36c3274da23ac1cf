// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The filesystem family (XFS, ext4, block layer): one skeleton, every
 * program in it loaded and attached or left out alone. A tracepoint this
 * kernel lacks leaves its program out before load; a program the verifier
 * rejects (a layout this kernel does not have) is found by loading each
 * program by itself, then the object is loaded again without it. Whatever is
 * left out is said in one notice line per program; libbpf's own log of the
 * failed attempts is shown with -v only (log.c), so a normal start stays quiet.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "../bpf/mailbpf.h"
#include "fs.skel.h"
#include "fs.v2.skel.h"
#include "log.h"
#include "probes.h"
#include "probes_int.h"

/* A program that is only wanted when its preferred one cannot run here. */
static const char *const fallbacks[][2] = {
	{ "block_rq_error", "block_rq_complete" },
	{ "xfs_group_mark_sick", "xfs_ag_mark_sick" },
	{ "xfs_group_mark_corrupt", "xfs_ag_mark_corrupt" },
};

/* "tracepoint/xfs/xfs_buf_ioerror" -> probe family, category and event. */
static int tp_of(struct bpf_program *prog, char *cat, size_t catlen, const char **name)
{
	const char *sec = bpf_program__section_name(prog), *c, *n;

	if (strncmp(sec, "tracepoint/", 11))
		return -EINVAL;
	c = sec + 11;
	n = strchr(c, '/');
	if (!n || (size_t)(n - c) >= catlen)
		return -EINVAL;
	snprintf(cat, catlen, "%.*s", (int)(n - c), c);
	*name = n + 1;
	if (!strcmp(cat, "xfs"))
		return MB_PROBE_XFS;
	if (!strcmp(cat, "ext4"))
		return MB_PROBE_EXT4;
	if (!strcmp(cat, "block"))
		return MB_PROBE_BLOCK;
	return -EINVAL;
}

static struct mb_prog_status *status_of(struct mb_probes *p, const char *name)
{
	for (int i = 0; i < p->nprogs; i++)
		if (!strcmp(p->progs[i].name, name))
			return &p->progs[i];
	return NULL;
}

static int prog_attached(struct mb_probes *p, const char *name)
{
	const struct mb_prog_status *st = status_of(p, name);

	return st && st->state == MB_PROG_ATTACHED;
}

static const char *fallback_for(const char *name)
{
	for (size_t i = 0; i < sizeof(fallbacks) / sizeof(fallbacks[0]); i++)
		if (!strcmp(fallbacks[i][0], name))
			return fallbacks[i][1];
	return NULL;
}

static int is_fallback(const char *name)
{
	for (size_t i = 0; i < sizeof(fallbacks) / sizeof(fallbacks[0]); i++)
		if (!strcmp(fallbacks[i][1], name))
			return 1;
	return 0;
}

/* Decide who is wanted: tracepoint present, and a fallback only for a primary left out. */
static void plan(struct mb_probes *p)
{
	for (int i = 0; i < p->nprogs; i++) {
		struct mb_prog_status *st = &p->progs[i];

		if (is_fallback(st->name))
			continue;
		if (st->state == MB_PROG_WANTED && !mb_tp_exists(p, st->cat, st->name))
			st->state = MB_PROG_NO_TRACEPOINT;
	}
	for (int i = 0; i < p->nprogs; i++) {
		struct mb_prog_status *st = &p->progs[i];
		const char *fb = fallback_for(st->name);
		struct mb_prog_status *f = fb ? status_of(p, fb) : NULL;

		if (!f || f->state != MB_PROG_WANTED)
			continue;
		if (st->state == MB_PROG_WANTED) {
			f->state = MB_PROG_UNUSED;
		} else if (mb_tp_exists(p, f->cat, f->name)) {
			/* The fallback stands in: its primary is not "left out". */
			st->state = MB_PROG_UNUSED;
		} else {
			f->state = MB_PROG_UNUSED;
		}
	}
}

/*
 * MAILBPF_FS_BTF=FILE: relocate against that BTF instead of the kernel's
 * (another kernel's record layouts, for testing the CO-RE flavours here).
 */
static struct fs_bpf *fs_open(const struct mb_probes *p)
{
	LIBBPF_OPTS(bpf_object_open_opts, opts, .btf_custom_path = getenv("MAILBPF_FS_BTF"));

	return MB_SKEL_OPEN(fs, p, &opts);
}

/* open -> rodata -> autoload -> load: the wanted programs, or `only` alone. */
static struct fs_bpf *open_load(struct mb_probes *p, const struct mb_probes_opts *o,
				const char *only, int share_ring, int *errp)
{
	struct bpf_program *prog;
	struct fs_bpf *s;
	int err;

	s = fs_open(p);
	if (!s) {
		*errp = -errno;
		return NULL;
	}
	s->rodata->fs_emit_gap_ns = o->fs_emit_gap_ns;
	s->rodata->jiffy_ns = p->feat.jiffy_ns;
	s->rodata->have_task_btf = p->feat.task_btf;
	mb_break_progs(s->obj);
	bpf_object__for_each_program(prog, s->obj) {
		const struct mb_prog_status *st = status_of(p, bpf_program__name(prog));
		int on = st && st->state == MB_PROG_WANTED;

		if (only)
			on = !strcmp(only, bpf_program__name(prog));
		bpf_program__set_autoload(prog, on);
	}
	if (share_ring) {
		err = mb_use_ring(p, s->maps.events, o);
	} else {
		/* A trial load: its own small ring, nothing shared. */
		err = bpf_map__set_max_entries(s->maps.events, 4096);
	}
	if (!err)
		err = fs_bpf__load(s);
	if (err) {
		fs_bpf__destroy(s);
		*errp = err;
		return NULL;
	}
	return s;
}

/* The whole object failed to load: load each wanted program alone to find who. */
static int drop_unloadable(struct mb_probes *p, const struct mb_probes_opts *o)
{
	int dropped = 0;

	for (int i = 0; i < p->nprogs; i++) {
		struct mb_prog_status *st = &p->progs[i];
		struct fs_bpf *s;
		const char *fb;
		int err = 0;

		if (st->state != MB_PROG_WANTED)
			continue;
		s = open_load(p, o, st->name, 0, &err);
		if (s) {
			fs_bpf__destroy(s);
			continue;
		}
		st->state = MB_PROG_LOAD_FAILED;
		st->err = err;
		dropped++;
		fb = fallback_for(st->name);
		if (fb && status_of(p, fb) && mb_tp_exists(p, status_of(p, fb)->cat, fb))
			status_of(p, fb)->state = MB_PROG_WANTED;
	}
	return dropped;
}

static void attach_each(struct mb_probes *p, struct fs_bpf *s)
{
	const struct bpf_object_skeleton *sk = s->skeleton;

	for (int i = 0; i < sk->prog_cnt; i++) {
		struct bpf_program *prog = *sk->progs[i].prog;
		struct mb_prog_status *st = status_of(p, bpf_program__name(prog));
		struct bpf_link *link;

		if (!st || st->state != MB_PROG_WANTED)
			continue;
		link = bpf_program__attach(prog);
		if (!link) {
			st->state = MB_PROG_ATTACH_FAILED;
			st->err = -errno;
			continue;
		}
		*sk->progs[i].link = link; /* fs_bpf__destroy() detaches it */
		st->state = MB_PROG_ATTACHED;
	}
}

static void tell(const struct mb_prog_status *st)
{
	switch (st->state) {
	case MB_PROG_NO_TRACEPOINT:
		note("tracepoint %s:%s not in this kernel, %s skipped", st->cat, st->name,
		     st->name);
		break;
	case MB_PROG_LOAD_FAILED:
		note("%s does not load on this kernel (%s), left out; -v shows why", st->name,
		     strerror(-st->err));
		break;
	case MB_PROG_ATTACH_FAILED:
		note("%s does not attach to %s:%s (%s), left out", st->name, st->cat, st->name,
		     strerror(-st->err));
		break;
	default:
		break;
	}
}

int mb_probes_start_fs(struct mb_probes *p, const struct mb_probes_opts *o)
{
	struct bpf_program *prog;
	struct fs_bpf *s;
	int err = 0, first = p->nprogs, tries;

	s = fs_open(p);
	if (!s)
		return -errno;
	bpf_object__for_each_program(prog, s->obj) {
		struct mb_prog_status *st = &p->progs[p->nprogs];
		const char *name;
		char cat[sizeof(st->cat)];
		int probe = tp_of(prog, cat, sizeof(cat), &name);

		if (probe < 0 || p->nprogs == MB_MAX_PROGS)
			continue;
		memset(st, 0, sizeof(*st));
		snprintf(st->name, sizeof(st->name), "%s", bpf_program__name(prog));
		snprintf(st->cat, sizeof(st->cat), "%s", cat);
		st->probe = probe;
		st->state = MB_PROG_WANTED;
		p->nprogs++;
	}
	fs_bpf__destroy(s);
	plan(p);

	/* Failed attempts are expected on some kernels: libbpf's log of them is kept (-v shows it). */
	mb_libbpf_log_clear();
	s = open_load(p, o, NULL, 1, &err);
	for (tries = 0; !s && tries < 3 && drop_unloadable(p, o); tries++)
		s = open_load(p, o, NULL, 1, &err);
	for (int i = first; i < p->nprogs; i++)
		if (p->progs[i].state == MB_PROG_WANTED && !s)
			p->progs[i].state = MB_PROG_LOAD_FAILED, p->progs[i].err = err;
	if (s)
		attach_each(p, s);
	for (int i = first; i < p->nprogs; i++) {
		const struct mb_prog_status *st = &p->progs[i];

		tell(st);
		if (st->state == MB_PROG_ATTACHED)
			p->attached[st->probe] = 1;
	}
	if (!s)
		return err;
	p->fs = s;
	if (p->ring_fd < 0)
		p->ring_fd = bpf_map__fd(s->maps.events);
	/* XFS counts as attached with its I/O error and shutdown probes. */
	p->attached[MB_PROBE_XFS] = prog_attached(p, "xfs_buf_ioerror") &&
				    prog_attached(p, "xfs_force_shutdown");
	p->attached[MB_PROBE_EXT4] = prog_attached(p, "ext4_error");
	return 0;
}
