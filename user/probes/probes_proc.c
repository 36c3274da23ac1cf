// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The exit probe's loader (bpf/proc.bpf.c): sched_process_exit through
 * tp_btf or a raw tracepoint, and the collector's switch for clean exits.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
/* The skeletons name types of the shared header (struct mb_watch_slot). */
#include "../bpf/mailbpf.h"
#include "proc.skel.h"
#include "proc.v2.skel.h"
#include "log.h"
#include "names.h"
#include "probes.h"
#include "probes_int.h"

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
	mb_break_progs(s->obj);
	s->rodata->exit_emit_gap_ns = o->exit_emit_gap_ns;
	bpf_program__set_autoload(btf ? s->progs.proc_exit_raw : s->progs.proc_exit, false);
	err = mb_use_ring(p, s->maps.events, o);
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

int mb_probes_start_proc(struct mb_probes *p, const struct mb_probes_opts *o)
{
	if (!mb_tp_exists(p, "sched", "sched_process_exit")) {
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
