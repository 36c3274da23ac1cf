// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Reading the kernel's aggregates: drop counters, the count maps and the
 * per-master reload state. Called once per interval, so plain lookups and
 * key walks are enough; nothing here is on an event's path.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "probes.h" /* before the skeletons: they name its types */
#include "exec.skel.h"
#include "signal.skel.h"
#include "fs.skel.h"
#include "proc.skel.h"

static void add_drops(struct bpf_map *map, uint64_t drops[MB_PROBE_MAX])
{
	int fd = bpf_map__fd(map);

	for (__u32 i = 0; i < MB_PROBE_MAX; i++) {
		__u64 v = 0;

		if (!bpf_map_lookup_elem(fd, &i, &v))
			drops[i] += v;
	}
}

void mb_probes_drops(const struct mb_probes *p, uint64_t drops[MB_PROBE_MAX])
{
	memset(drops, 0, sizeof(uint64_t) * MB_PROBE_MAX);
	if (p->exec)
		add_drops(p->exec->maps.drops, drops);
	if (p->sig)
		add_drops(p->sig->maps.drops, drops);
	if (p->fs)
		add_drops(p->fs->maps.drops, drops);
	if (p->proc)
		add_drops(p->proc->maps.drops, drops);
}

/* Generic walk: every key of a hash map, value copied out. */
static int walk_map(struct bpf_map *map, void *key, void *next, void *val,
		    void (*fn)(void *ctx, const void *key, const void *val), void *ctx)
{
	int fd = bpf_map__fd(map);
	void *cur = NULL;

	while (!bpf_map_get_next_key(fd, cur, next)) {
		memcpy(key, next, bpf_map__key_size(map));
		cur = key;
		if (!bpf_map_lookup_elem(fd, key, val))
			fn(ctx, key, val);
	}
	return 0;
}

struct walk_ctx {
	void *fn;
	void *ctx;
};

static void exec_cb(void *c, const void *k, const void *v)
{
	struct walk_ctx *w = c;

	((mb_exec_count_fn)w->fn)(w->ctx, k, ((const struct mb_rate_val *)v)->count);
}

static void fs_cb(void *c, const void *k, const void *v)
{
	struct walk_ctx *w = c;

	((mb_fs_count_fn)w->fn)(w->ctx, k, ((const struct mb_rate_val *)v)->count);
}

static void near_cb(void *c, const void *k, const void *v)
{
	struct walk_ctx *w = c;

	((mb_near_fn)w->fn)(w->ctx, k, v);
}

int mb_probes_exec_totals(const struct mb_probes *p, uint64_t totals[MB_ERRNO_MAX])
{
	int fd;

	memset(totals, 0, sizeof(uint64_t) * MB_ERRNO_MAX);
	if (!p->exec)
		return 0;
	fd = bpf_map__fd(p->exec->maps.exec_totals);
	for (__u32 i = 0; i < MB_ERRNO_MAX; i++) {
		__u64 v;

		if (!bpf_map_lookup_elem(fd, &i, &v))
			totals[i] = v;
	}
	return 0;
}

int mb_probes_exec_counts(const struct mb_probes *p, mb_exec_count_fn fn, void *ctx)
{
	struct mb_exec_key k, n;
	struct mb_rate_val v;
	struct walk_ctx w = { (void *)fn, ctx };

	return p->exec ? walk_map(p->exec->maps.exec_counts, &k, &n, &v, exec_cb, &w) : 0;
}

int mb_probes_sig_counts(const struct mb_probes *p, mb_sig_count_fn fn, void *ctx)
{
	int ncpus = libbpf_num_possible_cpus(), fd;
	__u64 *v;

	if (!p->sig)
		return 0;
	if (ncpus <= 0)
		return ncpus ?: -EINVAL;
	v = calloc(ncpus, sizeof(*v));
	if (!v)
		return -ENOMEM;
	fd = bpf_map__fd(p->sig->maps.sig_counts);
	for (__u32 slot = 0; slot < MB_SIG_SLOTS; slot++) {
		struct mb_sig_key k = { .watched = slot / 64, .sig = slot % 64 };
		__u64 sum = 0;

		if (bpf_map_lookup_elem(fd, &slot, v))
			continue;
		for (int c = 0; c < ncpus; c++)
			sum += v[c];
		if (sum)
			fn(ctx, &k, sum);
	}
	free(v);
	return 0;
}

int mb_probes_fs_counts(const struct mb_probes *p, mb_fs_count_fn fn, void *ctx)
{
	struct mb_fs_key k, n;
	struct mb_rate_val v;
	struct walk_ctx w = { (void *)fn, ctx };

	return p->fs ? walk_map(p->fs->maps.fs_counts, &k, &n, &v, fs_cb, &w) : 0;
}

static void exit_cb(void *c, const void *k, const void *v)
{
	struct walk_ctx *w = c;

	((mb_exit_count_fn)w->fn)(w->ctx, k, ((const struct mb_rate_val *)v)->count);
}

int mb_probes_exit_counts(const struct mb_probes *p, mb_exit_count_fn fn, void *ctx)
{
	struct mb_exit_key k, n, other = { .kind = MB_EXIT_STARTUP_FAIL };
	struct mb_rate_val v;
	struct walk_ctx w = { (void *)fn, ctx };
	uint64_t over;

	if (!p->proc)
		return 0;
	walk_map(p->proc->maps.exit_counts, &k, &n, &v, exit_cb, &w);
	over = __atomic_load_n(&p->proc->bss->exit_overflow.count, __ATOMIC_RELAXED);
	if (over)
		fn(ctx, &other, over);
	return 0;
}

int mb_probes_near(const struct mb_probes *p, mb_near_fn fn, void *ctx)
{
	char k[MB_COMM_LEN], n[MB_COMM_LEN];
	struct mb_near_val v;
	struct walk_ctx w = { (void *)fn, ctx };

	return p->exec ? walk_map(p->exec->maps.near_worst, k, n, &v, near_cb, &w) : 0;
}

/*
 * A plain global array in the probe's .bss, mapped here: no syscall at all.
 * The probe keeps its times on jiffies; they are handed on in boot time.
 */
int mb_probes_reload_states(const struct mb_probes *p, mb_reload_state_fn fn, void *ctx)
{
	struct mb_reload_state st;
	uint64_t to_boot;

	if (!p->sig)
		return 0;
	to_boot = __atomic_load_n(&p->sig->bss->coarse_to_boot_ns, __ATOMIC_RELAXED);
	for (__u32 i = 0; i < MB_RELOAD_SLOTS; i++) {
		memcpy(&st, &p->sig->bss->reload_slots[i], sizeof(st));
		if (!st.watched)
			continue;
		st.last_ns += to_boot;
		st.last_emit_ns += to_boot;
		fn(ctx, i, &st);
	}
	return 0;
}
