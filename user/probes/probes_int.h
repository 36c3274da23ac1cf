/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Between the loaders of probes/ (one per skeleton: probes_exec.c,
 * probes_signal.c, probes_proc.c, probes_fs.c; probes.c starts them all):
 * not for the layers above, which see probes.h only.
 */
#ifndef MAILBPF_PROBES_INT_H
#define MAILBPF_PROBES_INT_H

#include "probes.h"

struct bpf_map;
struct bpf_program;

/* tracefs.c: where tracefs is (mounting it if it is nowhere), NULL if unavailable. */
const char *mb_tracefs_find(void);
/* Is tracepoint cat:name in this kernel (its id file under p->tracefs)? */
int mb_tp_exists(const struct mb_probes *p, const char *cat, const char *name);
/* 1 when cat:name exists; else prog is left out of the load, with a notice, and 0. */
int mb_tp_want(const struct mb_probes *p, struct bpf_program *prog, const char *cat,
	       const char *name);

/* probes.c: MAILBPF_BREAK_PROG=name,... or "all": those programs fail the verifier (tests). */
struct bpf_object;
void mb_break_progs(struct bpf_object *obj);

/* probes.c: size a family's ring map and share the ring of the first family loaded. */
int mb_use_ring(struct mb_probes *p, struct bpf_map *events, const struct mb_probes_opts *o);

/* The rodata every object has (bpf/common.bpf.h): what this kernel offers. */
#define SET_COMMON_RODATA(s, p)                                  \
	do {                                                     \
		(s)->rodata->jiffy_ns = (p)->feat.jiffy_ns;      \
		(s)->rodata->have_task_btf = (p)->feat.task_btf; \
	} while (0)

/* One family each; 0 or a negative errno (the family is then not loaded). */
int mb_probes_start_exec(struct mb_probes *p, const struct mb_probes_opts *o);
int mb_probes_start_signal(struct mb_probes *p, const struct mb_probes_opts *o);
int mb_probes_start_proc(struct mb_probes *p, const struct mb_probes_opts *o);
int mb_probes_start_fs(struct mb_probes *p, const struct mb_probes_opts *o);

#endif
