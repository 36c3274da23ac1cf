// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The signal probe's loader (bpf/signal.bpf.c).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
/* The skeletons name types of the shared header (struct mb_watch_slot). */
#include "../bpf/mailbpf.h"
#include "signal.skel.h"
#include "signal.v2.skel.h"
#include "log.h"
#include "names.h"
#include "probes.h"
#include "probes_int.h"

int mb_probes_start_signal(struct mb_probes *p, const struct mb_probes_opts *o)
{
	struct signal_bpf *s;
	int err;

	s = MB_SKEL_OPEN(signal, p, NULL);
	if (!s)
		return -errno;
	SET_COMMON_RODATA(s, p);
	mb_break_progs(s->obj);
	s->rodata->sig_mask = o->sig_mask;
	s->rodata->watch_only = o->watch_only;
	s->rodata->sig_emit_gap_ns = o->sig_emit_gap_ns;
	err = mb_use_ring(p, s->maps.events, o);
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
