// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The BPF side, loaded as four skeletons (exec, signal, proc, fs) so that
 * a family this kernel cannot run is left out whole while the others work
 * (the exec family falls to its next tier, the fs family, in probes_fs.c,
 * leaves out single programs). Each object exists for two BPF ISA levels;
 * the one this kernel takes is opened (MB_SKEL_OPEN). Each follows open ->
 * rodata and map sizes -> load -> attach; one ring buffer serves them all.
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
/* The skeletons name types of the shared header (struct mb_watch_slot). */
#include "../bpf/mailbpf.h"
#include "exec.skel.h"
#include "exec.v2.skel.h"
#include "signal.skel.h"
#include "signal.v2.skel.h"
#include "fs.skel.h"
#include "kfeatures.h"
#include "proc.skel.h"
#include "proc.v2.skel.h"
#include "log.h"
#include "names.h"
#include "probes.h"
#include "watch_table.h"

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/* Classic tracepoints resolve their id through tracefs: make sure it is there. */
static const char *tracefs(void)
{
	static const char *const dirs[] = { "/sys/kernel/tracing", "/sys/kernel/debug/tracing" };
	char path[64];

	for (int i = 0; i < 2; i++) {
		snprintf(path, sizeof(path), "%s/events", dirs[i]);
		if (!access(path, F_OK))
			return dirs[i];
	}
	if (mount("tracefs", dirs[0], "tracefs", 0, NULL) == 0) {
		note("mounted tracefs at %s", dirs[0]);
		return dirs[0];
	}
	warn("tracefs is not mounted and mounting it failed: %s", strerror(errno));
	return NULL;
}

static int tp_exists(const struct mb_probes *p, const char *cat, const char *name)
{
	char path[256];

	if (!p->tracefs)
		return 0;
	/* The id is what attaching reads: an event directory without one is no tracepoint. */
	snprintf(path, sizeof(path), "%s/events/%s/%s/id", p->tracefs, cat, name);
	return access(path, F_OK) == 0;
}

int mb_tp_exists(const struct mb_probes *p, const char *cat, const char *name)
{
	return tp_exists(p, cat, name);
}

/* Leave a program out (with a notice) when its tracepoint is missing. */
static int want(const struct mb_probes *p, struct bpf_program *prog, const char *cat,
		const char *name)
{
	if (tp_exists(p, cat, name))
		return 1;
	note("tracepoint %s:%s not in this kernel, %s skipped", cat, name, bpf_program__name(prog));
	bpf_program__set_autoload(prog, false);
	return 0;
}

/*
 * One ring buffer for all three families: the first one loaded creates it,
 * the others reuse its fd. A ring costs twice its size in RSS (the data
 * pages are mapped twice), so one shared ring keeps the daemon small.
 */
static int use_ring(struct mb_probes *p, struct bpf_map *events, const struct mb_probes_opts *o)
{
	bpf_map__set_max_entries(events, o->ringbuf_bytes);
	return p->ring_fd >= 0 ? bpf_map__reuse_fd(events, p->ring_fd) : 0;
}

int mb_use_ring(struct mb_probes *p, struct bpf_map *events, const struct mb_probes_opts *o)
{
	return use_ring(p, events, o);
}

/* Only the programs of one exec tier load; the others stay out. */
static void exec_autoload(struct exec_bpf *s, int mode)
{
	bpf_program__set_autoload(s->progs.exec_fexit_execve, mode == MB_EXEC_PROBE_FEXIT);
	bpf_program__set_autoload(s->progs.exec_fexit_execveat, mode == MB_EXEC_PROBE_FEXIT);
	bpf_program__set_autoload(s->progs.exec_exit_execve, mode == MB_EXEC_PROBE_SYSCALL);
	bpf_program__set_autoload(s->progs.exec_exit_execveat, mode == MB_EXEC_PROBE_SYSCALL);
}

/* The rodata every object has (bpf/common.bpf.h): what this kernel offers. */
#define SET_COMMON_RODATA(s, p)                                 \
	do {                                                    \
		(s)->rodata->jiffy_ns = (p)->feat.jiffy_ns;     \
		(s)->rodata->have_task_btf = (p)->feat.task_btf; \
	} while (0)

static int load_exec(struct mb_probes *p, const struct mb_probes_opts *o, int mode, int near)
{
	struct exec_bpf *s;
	int err;

	s = MB_SKEL_OPEN(exec, p, NULL);
	if (!s)
		return -errno;
	SET_COMMON_RODATA(s, p);
	s->rodata->exec_emit_gap_ns = o->exec_emit_gap_ns;
	s->rodata->near_permille = o->near_permille;
	s->rodata->have_bpf_loop = p->feat.bpf_loop;
	s->rodata->have_task_pt_regs = p->feat.task_pt_regs;
	exec_autoload(s, mode);
	bpf_program__set_autoload(s->progs.exec_near, near);
	if (mode == MB_EXEC_PROBE_SYSCALL) {
		want(p, s->progs.exec_exit_execve, "syscalls", "sys_exit_execve");
		want(p, s->progs.exec_exit_execveat, "syscalls", "sys_exit_execveat");
	}
	err = use_ring(p, s->maps.events, o);
	if (!err)
		err = exec_bpf__load(s);
	if (!err)
		err = exec_bpf__attach(s);
	if (err)
		goto fail;
	p->exec = s;
	p->exec_probe = mode;
	p->ring_fd = bpf_map__fd(s->maps.events);
	p->attached[MB_PROBE_EXEC] = mode == MB_EXEC_PROBE_FEXIT ? !!s->links.exec_fexit_execve :
								   !!s->links.exec_exit_execve;
	p->attached[MB_PROBE_EXEC_NEAR] = !!s->links.exec_near;
	return 0;
fail:
	exec_bpf__destroy(s);
	return err;
}

/* Why this kernel cannot run an exec tier, or NULL when it can. */
static const char *exec_tier_missing(const struct mb_probes *p, int mode)
{
	switch (mode) {
	case MB_EXEC_PROBE_FEXIT:
		return p->feat.fexit ? NULL : p->feat.fexit_why;
	default:
		if (!tp_exists(p, "syscalls", "sys_exit_execve"))
			return "no syscalls:sys_exit_execve tracepoint";
		return NULL;
	}
}

/* One tier, and if it fails with the near-miss program, once more without it. */
static int try_exec(struct mb_probes *p, const struct mb_probes_opts *o, int mode)
{
	int near = tp_exists(p, "sched", "sched_process_exec");
	int err;

	mb_libbpf_log_clear();
	err = load_exec(p, o, mode, near);
	if (err && near) {
		snprintf(p->exec_why[mode], sizeof(p->exec_why[mode]), "%s", mb_libbpf_log_last());
		if (!load_exec(p, o, mode, 0)) {
			note("exec near-miss probe left out: %s", p->exec_why[mode]);
			p->exec_why[mode][0] = 0;
			return 0;
		}
	}
	if (err)
		snprintf(p->exec_why[mode], sizeof(p->exec_why[mode]), "load failed: %s",
			 strerror(-err));
	return err;
}

/*
 * Best tier first, each chosen by what this kernel has: fexit (every errno,
 * nothing on other syscalls), the syscall tracepoints (every errno, every
 * syscall slower). A tier whose programs this kernel refuses falls to the
 * next; no other family depends on it. A forced tier is that tier or nothing.
 */
static int start_exec(struct mb_probes *p, const struct mb_probes_opts *o)
{
	int first = o->exec_probe ? o->exec_probe : MB_EXEC_PROBE_FEXIT;
	int last = o->exec_probe ? o->exec_probe : MB_EXEC_PROBE_SYSCALL;
	int err = -EOPNOTSUPP;

	for (int mode = first; mode <= last; mode++) {
		const char *why = exec_tier_missing(p, mode);

		if (why) {
			snprintf(p->exec_why[mode], sizeof(p->exec_why[mode]), "%s", why);
			continue;
		}
		err = try_exec(p, o, mode);
		if (!err)
			return 0;
	}
	if (o->exec_probe)
		warn("exec_probe %s not available here: %s", mb_exec_probe_name(o->exec_probe),
		     p->exec_why[o->exec_probe]);
	return err;
}

/* "syscall (fexit: attach refused: ...)": the tier in use and why not a better one. */
const char *mb_probes_exec_desc(const struct mb_probes *p, char *buf, size_t len)
{
	int n, open = 0;

	n = snprintf(buf, len, "%s", p->exec ? mb_exec_probe_name(p->exec_probe) : "none");
	for (int m = MB_EXEC_PROBE_FEXIT; m < MB_EXEC_PROBE_MAX; m++) {
		if ((p->exec && m >= p->exec_probe) || n < 0 || (size_t)n >= len)
			break;
		if (!p->exec_why[m][0])
			continue;
		n += snprintf(buf + n, len - n, "%s%s: %s", open ? "; " : " (",
			      mb_exec_probe_name(m), p->exec_why[m]);
		open = 1;
	}
	if (open && n >= 0 && (size_t)n < len)
		snprintf(buf + n, len - n, ")");
	return buf;
}

/*
 * What this kernel does not give, once, by name: families not attached and
 * the features whose fallbacks run instead. Empty when nothing is missing.
 */
const char *mb_probes_missing_desc(const struct mb_probes *p, char *buf, size_t len)
{
	static const struct {
		size_t off;
		const char *what;
	} feats[] = {
		{ offsetof(struct mb_features, isa), "BPF ISA v3 (v2 objects loaded)" },
		{ offsetof(struct mb_features, bpf_loop),
		  "bpf_loop (argv/env walk capped at 96 strings)" },
		{ offsetof(struct mb_features, task_btf),
		  "bpf_get_current_task_btf (probe reads instead)" },
		{ offsetof(struct mb_features, task_pt_regs),
		  "bpf_task_pt_regs (registers found from the task's stack)" },
	};
	size_t n = 0;

	buf[0] = 0;
	for (int i = 0; i < MB_PROBE_MAX; i++)
		if (!p->attached[i])
			n += snprintf(buf + n, n < len ? len - n : 0, "%s%s", n ? ", " : "probes not attached: ",
				      mb_probe_name(i));
	for (size_t i = 0; i < sizeof(feats) / sizeof(feats[0]); i++) {
		int v = *(const int *)((const char *)&p->feat + feats[i].off);

		/* isa holds 3 or 2, the others 1 or 0 */
		if (v == 1 || v == 3)
			continue;
		n += snprintf(buf + n, n < len ? len - n : 0, "%s%s",
			      n ? (strstr(buf, "kernel lacks") ? ", " : "; kernel lacks: ") : "kernel lacks: ",
			      feats[i].what);
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

void mb_probes_want_ok(struct mb_probes *p, int idx, int on)
{
	struct proc_bpf__bss *bss = p->proc ? p->proc->bss : NULL;
	__u32 any = 0;

	if (!bss || idx < 0 || idx >= MB_WATCH_MAX)
		return;
	bss->startup_cfg[idx + 1].ok_wanted = !!on;
	for (int d = 1; d <= MB_WATCH_MAX; d++)
		any |= bss->startup_cfg[d].ok_wanted;
	__atomic_store_n(&bss->hot.ok_any, any, __ATOMIC_RELEASE);
}

/*
 * sched_process_exit through tp_btf (direct loads) where the kernel takes
 * it, else through a raw tracepoint (probe reads); one of the two is
 * loaded, and without either the other families run alone.
 */
static int load_proc(struct mb_probes *p, const struct mb_probes_opts *o, int btf)
{
	struct proc_bpf *s;
	int err;

	s = MB_SKEL_OPEN(proc, p, NULL);
	if (!s)
		return -errno;
	SET_COMMON_RODATA(s, p);
	s->rodata->exit_emit_gap_ns = o->exit_emit_gap_ns;
	bpf_program__set_autoload(btf ? s->progs.proc_exit_raw : s->progs.proc_exit, false);
	err = use_ring(p, s->maps.events, o);
	if (!err)
		err = proc_bpf__load(s);
	if (err)
		goto fail;
	p->proc = s;
	err = o->cfg ? mb_probes_set_watch(p, o->cfg) : 0;
	if (!err)
		err = proc_bpf__attach(s);
	if (err)
		goto fail;
	p->attached[MB_PROBE_PROC] = 1;
	if (p->ring_fd < 0)
		p->ring_fd = bpf_map__fd(s->maps.events);
	return 0;
fail:
	p->proc = NULL;
	proc_bpf__destroy(s);
	return err;
}

static int start_proc(struct mb_probes *p, const struct mb_probes_opts *o)
{
	if (!tp_exists(p, "sched", "sched_process_exit")) {
		note("tracepoint sched:sched_process_exit not in this kernel, exit probe skipped");
		return 0;
	}
	int err = load_proc(p, o, 1);

	if (!err)
		return 0;
	note("exit probe: tp_btf/sched_process_exit not loadable here (%s), using the raw tracepoint",
	     strerror(-err));
	return load_proc(p, o, 0);
}

static int start_signal(struct mb_probes *p, const struct mb_probes_opts *o)
{
	struct signal_bpf *s;
	int err;

	s = MB_SKEL_OPEN(signal, p, NULL);
	if (!s)
		return -errno;
	SET_COMMON_RODATA(s, p);
	s->rodata->sig_mask = o->sig_mask;
	s->rodata->watch_only = o->watch_only;
	s->rodata->sig_emit_gap_ns = o->sig_emit_gap_ns;
	err = use_ring(p, s->maps.events, o);
	if (!err)
		err = signal_bpf__load(s);
	if (err)
		goto fail;
	p->sig = s;
	err = o->cfg ? mb_probes_set_watch(p, o->cfg) : 0;
	if (!err)
		err = signal_bpf__attach(s);
	if (err)
		goto fail;
	p->attached[MB_PROBE_SIGNAL] = 1;
	if (p->ring_fd < 0)
		p->ring_fd = bpf_map__fd(s->maps.events);
	return 0;
fail:
	p->sig = NULL;
	signal_bpf__destroy(s);
	return err;
}

int mb_probes_start(struct mb_probes *p, const struct mb_probes_opts *o)
{
	uint64_t t0 = mono_ns();
	int err, any = 0;

	memset(p, 0, sizeof(*p));
	p->ring_fd = -1;
	/* Once, not per tracepoint: it may mount tracefs, or warn that it cannot. */
	p->tracefs = tracefs();
	mb_features_probe(&p->feat);
	err = start_exec(p, o);
	if (err)
		warn("exec probes not loaded: %s", strerror(-err));
	mb_libbpf_log_clear();
	err = start_signal(p, o);
	if (err)
		warn("signal probe not loaded: %s (%s; -v shows libbpf's log)", strerror(-err),
		     mb_libbpf_log_last());
	err = mb_probes_start_fs(p, o);
	if (err)
		warn("filesystem probes not loaded: %s", strerror(-err));
	err = start_proc(p, o);
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
