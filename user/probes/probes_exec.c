// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The exec family's loader (bpf/exec.bpf.c): one tier of fexit or the
 * syscall exit tracepoints, the best this kernel runs, with the near-miss
 * program when it loads.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
/* The skeletons name types of the shared header (struct mb_watch_slot). */
#include "../bpf/mailbpf.h"
#include "exec.skel.h"
#include "exec.v2.skel.h"
#include "log.h"
#include "names.h"
#include "probes.h"
#include "probes_int.h"

/* Only the programs of one exec tier load; the others stay out. */
static void exec_autoload(struct exec_bpf *s, int mode)
{
	bpf_program__set_autoload(s->progs.exec_fexit_execve, mode == MB_EXEC_PROBE_FEXIT);
	bpf_program__set_autoload(s->progs.exec_fexit_execveat, mode == MB_EXEC_PROBE_FEXIT);
	bpf_program__set_autoload(s->progs.exec_exit_execve, mode == MB_EXEC_PROBE_SYSCALL);
	bpf_program__set_autoload(s->progs.exec_exit_execveat, mode == MB_EXEC_PROBE_SYSCALL);
}

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
	mb_break_progs(s->obj);
	bpf_program__set_autoload(s->progs.exec_near, near);
	if (mode == MB_EXEC_PROBE_SYSCALL) {
		mb_tp_want(p, s->progs.exec_exit_execve, "syscalls", "sys_exit_execve");
		mb_tp_want(p, s->progs.exec_exit_execveat, "syscalls", "sys_exit_execveat");
	}
	err = mb_use_ring(p, s->maps.events, o);
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
		if (!mb_tp_exists(p, "syscalls", "sys_exit_execve"))
			return "no syscalls:sys_exit_execve tracepoint";
		return NULL;
	}
}

/* One tier, and if it fails with the near-miss program, once more without it. */
static int try_exec(struct mb_probes *p, const struct mb_probes_opts *o, int mode)
{
	int near = mb_tp_exists(p, "sched", "sched_process_exec");
	int err;

	mb_libbpf_log_clear();
	err = load_exec(p, o, mode, near);
	if (err && near && !load_exec(p, o, mode, 0)) {
		note("exec_near does not load on this kernel (%s), left out; -v shows why",
		     strerror(-err));
		return 0;
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
int mb_probes_start_exec(struct mb_probes *p, const struct mb_probes_opts *o)
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
