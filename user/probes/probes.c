// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The BPF side, loaded as four skeletons (exec, signal, proc, fs) so that
 * a family this kernel cannot run is left out whole while the others work
 * (the exec family falls to its next tier, the fs family leaves out single
 * programs). One loader per skeleton: probes_exec.c, probes_signal.c,
 * probes_proc.c, probes_fs.c; this file starts them, shares the ring and
 * the watch tables, polls and stops. Each object exists for two BPF ISA levels;
 * the one this kernel takes is opened (MB_SKEL_OPEN). Each follows open ->
 * rodata and map sizes -> load -> attach; one ring buffer serves them all.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
/* The skeletons name types of the shared header (struct mb_watch_slot). */
#include "../bpf/mailbpf.h"
#include "exec.skel.h"
#include "signal.skel.h"
#include "fs.skel.h"
#include "kfeatures.h"
#include "proc.skel.h"
#include "log.h"
#include "names.h"
#include "probes.h"
#include "probes_int.h"
#include "watch_table.h"

/*
 * MAILBPF_BREAK_PROG=name[,name] or "all": those programs (of any family)
 * are loaded as cgroup sysctl programs, whose 8-byte context the verifier
 * will not let a tracing program read, so tests can make a real load failure on
 * a kernel where everything loads. Not by swapping the instructions: libbpf
 * 1.1 would apply the program's relocations to the new ones.
 */
void mb_break_progs(struct bpf_object *obj)
{
	const char *env = getenv("MAILBPF_BREAK_PROG");
	struct bpf_program *prog;

	if (!env || !*env)
		return;
	bpf_object__for_each_program(prog, obj) {
		const char *n = bpf_program__name(prog), *hit = strstr(env, n);
		size_t len = strlen(n);

		if (!strcmp(env, "all") ||
		    (hit && (hit == env || hit[-1] == ',') && (hit[len] == ',' || !hit[len])))
			bpf_program__set_type(prog, BPF_PROG_TYPE_CGROUP_SYSCTL);
	}
}

/*
 * One ring buffer for all four families: the first one loaded creates it,
 * the others reuse its fd. A ring costs twice its size in RSS (the data
 * pages are mapped twice), so one shared ring keeps the daemon small.
 */
int mb_use_ring(struct mb_probes *p, struct bpf_map *events, const struct mb_probes_opts *o)
{
	bpf_map__set_max_entries(events, o->ringbuf_bytes);
	return p->ring_fd >= 0 ? bpf_map__reuse_fd(events, p->ring_fd) : 0;
}

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/*
 * XFS or ext4 built as a module on a kernel without module BTF (5.11 added
 * it): the types of their tracepoint records are nowhere for CO-RE.
 */
static int module_without_btf(int probe)
{
	const char *mod = probe == MB_PROBE_XFS ? "xfs" : probe == MB_PROBE_EXT4 ? "ext4" : NULL;
	char path[64];

	if (!mod)
		return 0;
	snprintf(path, sizeof(path), "/sys/module/%s/initstate", mod);
	if (access(path, F_OK))
		return 0; /* built in, or not loaded */
	snprintf(path, sizeof(path), "/sys/kernel/btf/%s", mod);
	return access(path, F_OK) != 0;
}

/*
 * What this kernel does not give, once, by name: families not attached and
 * the features whose fallbacks run instead. Empty when nothing is missing.
 */
const char *mb_probes_missing_desc(const struct mb_probes *p, char *buf, size_t len)
{
	const struct {
		int missing;
		const char *what;
	} feats[] = {
		{ p->feat.isa < 3, "BPF ISA v3 (v2 objects loaded)" },
		{ !p->feat.bpf_loop, "bpf_loop (argv/env walk capped at 96 strings)" },
		{ !p->feat.task_btf, "bpf_get_current_task_btf (probe reads instead)" },
		{ !p->feat.task_pt_regs,
		  "bpf_task_pt_regs (registers found from the task's stack)" },
	};
	const char *sep = "kernel lacks: ";
	size_t n = 0;

	buf[0] = 0;
	for (int i = 0; i < MB_PROBE_MAX; i++)
		if (!p->attached[i])
			n += snprintf(buf + n, n < len ? len - n : 0, "%s%s%s",
				      n ? ", " : "probes not attached: ", mb_probe_name(i),
				      module_without_btf(i) ?
					      " (a module, and this kernel has no module BTF)" :
					      "");
	if (n)
		sep = "; kernel lacks: ";
	for (size_t i = 0; i < sizeof(feats) / sizeof(feats[0]); i++) {
		if (!feats[i].missing)
			continue;
		n += snprintf(buf + n, n < len ? len - n : 0, "%s%s", sep, feats[i].what);
		sep = ", ";
	}
	return buf;
}

static void watch_value(struct mb_watch *w, int idx, const struct mb_daemon_cfg *dc)
{
	const char *exe = dc->exe;
	struct stat st;

	w->idx = idx;
	w->window_ns = dc->window_ms * 1000000ULL;
	w->exe_dev = 0;
	w->exe_ino = 0;
	if (!exe[0])
		return;
	/* Not installed: match nothing until it is (refreshed every interval). */
	w->exe_dev = ~0U;
	if (stat(exe, &st))
		return;
	w->exe_dev = (major(st.st_dev) << 20) | minor(st.st_dev);
	w->exe_ino = st.st_ino;
}

/*
 * Fill the table copy the probe is not reading, then switch to it: the
 * probe sees the old set or the new one, never a mix. The signal and the
 * exit probe each have a table of this layout.
 */
static int fill_watch(struct mb_watch_slot (*table)[MB_WATCH_SLOTS], __u32 *gen,
		      const struct mb_config *cfg)
{
	__u32 next = (*gen & 1) ^ 1;
	struct mb_watch_slot *tab = table[next];
	struct mb_watch w;
	int err;

	memset(tab, 0, sizeof(table[next]));
	for (int d = 0; d < cfg->ndaemons; d++) {
		watch_value(&w, d + 1, &cfg->daemons[d]);
		for (int c = 0; c < cfg->daemons[d].ncomms; c++) {
			err = mb_watch_table_put(tab, cfg->daemons[d].comms[c], &w);
			/* The same comm under two daemons: the first one has it. */
			if (err && err != -EEXIST) {
				warn("daemon %s: comm '%s' does not fit the watch table: %s",
				     cfg->daemons[d].name, cfg->daemons[d].comms[c],
				     strerror(-err));
				return err;
			}
		}
	}
	__atomic_store_n(gen, next, __ATOMIC_RELEASE);
	return 0;
}

/* The exit probe's per-daemon start-up rules; ok_wanted is the collector's to set. */
static void fill_startup(struct proc_bpf__bss *bss, const struct mb_config *cfg)
{
	for (int d = 0; d <= MB_WATCH_MAX; d++) {
		struct mb_startup_cfg *s = &bss->startup_cfg[d];

		if (d == 0 || d > cfg->ndaemons) {
			memset(s, 0, sizeof(*s));
			continue;
		}
		s->window_ns = cfg->daemons[d - 1].startup_window_ms * 1000000ULL;
		memcpy(s->status_mask, cfg->daemons[d - 1].startup_status, sizeof(s->status_mask));
	}
}

int mb_probes_set_watch(struct mb_probes *p, const struct mb_config *cfg)
{
	int err = 0;

	if (p->sig)
		err = fill_watch(p->sig->bss->watch_table, &p->sig->bss->watch_gen, cfg);
	if (!err && p->proc) {
		struct proc_bpf__bss *bss = p->proc->bss;
		__u64 bloom = 0;

		fill_startup(bss, cfg);
		/* The bloom covers both copies while the generation flips. */
		for (int d = 0; d < cfg->ndaemons; d++)
			for (int c = 0; c < cfg->daemons[d].ncomms; c++)
				bloom |= 1ULL
					 << (mb_watch_comm_hash(cfg->daemons[d].comms[c]) & 63);
		__atomic_fetch_or(&bss->hot.bloom, bloom, __ATOMIC_RELEASE);
		err = fill_watch(bss->watch_table, &bss->hot.watch_gen, cfg);
		if (!err)
			__atomic_store_n(&bss->hot.bloom, bloom, __ATOMIC_RELEASE);
	}
	return err;
}

int mb_probes_start(struct mb_probes *p, const struct mb_probes_opts *o)
{
	uint64_t t0 = mono_ns();
	int err, any = 0;

	memset(p, 0, sizeof(*p));
	p->ring_fd = -1;
	/* Once, not per tracepoint: it may mount tracefs, or warn that it cannot. */
	p->tracefs = mb_tracefs_find();
	mb_features_probe(&p->feat);
	err = mb_probes_start_exec(p, o);
	if (err)
		warn("exec probes not loaded: %s", strerror(-err));
	mb_libbpf_log_clear();
	err = mb_probes_start_signal(p, o);
	if (err)
		warn("signal_gen does not load on this kernel (%s), left out; -v shows why",
		     strerror(-err));
	err = mb_probes_start_fs(p, o);
	if (err)
		warn("filesystem probes not loaded: %s", strerror(-err));
	err = mb_probes_start_proc(p, o);
	if (err)
		warn("exit probe not loaded: %s", strerror(-err));
	/* A daemon that watches nothing must not look healthy. */
	for (int i = 0; i < MB_PROBE_MAX && !any; i++)
		any = p->attached[i];
	if (!any) {
		warn("no probe attached on this kernel: nothing to watch");
		mb_probes_stop(p);
		return err ? err : -ENOENT;
	}

	p->rb = ring_buffer__new(p->ring_fd, o->on_event, o->ctx, NULL);
	if (!p->rb) {
		err = -errno ?: -ENOMEM;
		warn("cannot set up the ring buffer: %s", strerror(-err));
		mb_probes_stop(p);
		return err;
	}
	p->attach_ns = mono_ns() - t0;
	return 0;
}

void mb_probes_stop(struct mb_probes *p)
{
	ring_buffer__free(p->rb);
	exec_bpf__destroy(p->exec);
	signal_bpf__destroy(p->sig);
	fs_bpf__destroy(p->fs);
	proc_bpf__destroy(p->proc);
	memset(p, 0, sizeof(*p));
}

int mb_probes_poll(struct mb_probes *p, int timeout_ms)
{
	int n = ring_buffer__poll(p->rb, timeout_ms), m;

	if (n < 0)
		return n;
	/*
	 * poll() reads only the rings epoll reported, and records sent with
	 * BPF_RB_NO_WAKEUP raise no epoll event: consume every ring as well,
	 * so the short re-poll after a batch picks them up.
	 */
	m = ring_buffer__consume(p->rb);
	return m < 0 ? m : n + m;
}
