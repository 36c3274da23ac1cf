/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * What this kernel lets the probes use, found by probing it (BTF lookups,
 * libbpf's helper probe, a tiny test load), never from its version number.
 */
#ifndef MAILBPF_KFEATURES_H
#define MAILBPF_KFEATURES_H

#include <stdint.h>

struct mb_features {
	uint64_t jiffy_ns; /* 1e9 / CONFIG_HZ; 0 when the kernel config is unreadable */
	int isa; /* BPF ISA the objects are loaded for: 3 (5.12+) or 2 */
	int bpf_loop; /* the bpf_loop helper (5.17) */
	int task_btf; /* bpf_get_current_task_btf (5.11) */
	int task_pt_regs; /* bpf_task_pt_regs (5.15) */
	int fexit; /* a fexit program loads and attaches on the exec syscall */
	char fexit_why[96]; /* why not, for the notice and `check` */
};

/* Probe everything once per start. Never fails: what is missing is 0. */
void mb_features_probe(struct mb_features *f);

/*
 * A feature named in MAILBPF_HIDE_FEATURES (comma-separated: fexit,
 * isa_v3, bpf_loop, task_btf, task_pt_regs, kconfig) is reported missing: how the tests show
 * each fallback on a kernel that has everything.
 */
int mb_feature_hidden(const char *name);

#endif
