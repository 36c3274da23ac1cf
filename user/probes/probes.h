/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Loading, attaching and reading the BPF side: four skeletons, one poller. */
#ifndef MAILBPF_PROBES_H
#define MAILBPF_PROBES_H

#include <stddef.h>
#include <stdint.h>
#include "../bpf/mailbpf.h"
#include "config.h"
#include "kfeatures.h"
#include "progs.h"

typedef int (*mb_event_fn)(void *ctx, void *data, size_t size);

struct mb_probes_opts {
	const struct mb_config *cfg; /* watched daemons' comms */
	int watch_only; /* signals: only to watched comms (run) or all (trace) */
	uint64_t sig_mask;
	uint64_t exec_emit_gap_ns; /* 0: every failure gets a record */
	uint64_t sig_emit_gap_ns; /* 0: every reload gets a record */
	uint64_t fs_emit_gap_ns;
	uint64_t exit_emit_gap_ns; /* 0: every exit around a master gets a record */
	uint32_t near_permille;
	int exec_probe; /* enum mb_exec_probe; auto takes the best that loads */
	uint32_t ringbuf_bytes; /* shared by all families, power of 2 */
	mb_event_fn on_event;
	void *ctx;
};

struct mb_probes {
	struct exec_bpf *exec;
	struct signal_bpf *sig;
	struct fs_bpf *fs;
	struct proc_bpf *proc;
	struct ring_buffer *rb;
	int ring_fd; /* the ring buffer all families share, -1 before load */
	const char *tracefs; /* where classic tracepoints are listed, NULL if nowhere */
	int attached[MB_PROBE_MAX];
	int exec_probe; /* enum mb_exec_probe actually in use */
	struct mb_features feat; /* what this kernel has, probed at start */
	char exec_why[MB_EXEC_PROBE_MAX][160]; /* why a better exec tier is not in use */
	uint64_t attach_ns; /* open to attached, for `run` and the bench */
	int nprogs;
	struct mb_prog_status progs[MB_MAX_PROGS];
};

/* open -> set rodata and sizes -> load -> attach. Negative errno on failure. */
int mb_probes_start(struct mb_probes *p, const struct mb_probes_opts *o);
void mb_probes_stop(struct mb_probes *p);

/* Refill the watched-comm map (config reload). */
int mb_probes_set_watch(struct mb_probes *p, const struct mb_config *cfg);

int mb_probes_poll(struct mb_probes *p, int timeout_ms);

/* Families not attached and kernel features missing (fallbacks in use); "" if none. */
const char *mb_probes_missing_desc(const struct mb_probes *p, char *buf, size_t len);

/* The exec tier in use and, in parentheses, why no better one. */
const char *mb_probes_exec_desc(const struct mb_probes *p, char *buf, size_t len);

/*
 * Open NAME's skeleton with the object built for the BPF ISA this kernel
 * takes: the v3 build's skeleton, its ELF bytes swapped for the v2 build's
 * where the kernel refuses v3 instructions (the Makefile checks that both
 * builds have the same maps, programs and globals). NULL and errno set on
 * failure. Needs NAME.skel.h and NAME.v2.skel.h.
 */
#define MB_SKEL_OPEN(name, p, opts)                                                       \
	({                                                                                \
		struct name##_bpf *s_ = calloc(1, sizeof(*s_));                           \
		int e_ = s_ ? name##_bpf__create_skeleton(s_) : -ENOMEM;                  \
		if (!e_ && (p)->feat.isa < 3)                                             \
			s_->skeleton->data =                                              \
				(void *)name##_v2_bpf__elf_bytes(&s_->skeleton->data_sz); \
		if (!e_)                                                                  \
			e_ = bpf_object__open_skeleton(s_->skeleton, opts);               \
		if (e_) {                                                                 \
			name##_bpf__destroy(s_);                                          \
			s_ = NULL;                                                        \
			errno = e_ < 0 ? -e_ : e_;                                        \
		}                                                                         \
		s_;                                                                       \
	})

/* Ask the exit probe for clean exits of daemon idx's children (0-based) too, or stop. */
void mb_probes_want_ok(struct mb_probes *p, int idx, int on);

void mb_probes_drops(const struct mb_probes *p, uint64_t drops[MB_PROBE_MAX]);

/* Walk the kernel aggregates. Callbacks get keys/values as in mailbpf.h. */
typedef void (*mb_exec_count_fn)(void *ctx, const struct mb_exec_key *k, uint64_t count);
typedef void (*mb_sig_count_fn)(void *ctx, const struct mb_sig_key *k, uint64_t count);
typedef void (*mb_fs_count_fn)(void *ctx, const struct mb_fs_key *k, uint64_t count);
typedef void (*mb_exit_count_fn)(void *ctx, const struct mb_exit_key *k, uint64_t count);
typedef void (*mb_near_fn)(void *ctx, const char *comm, const struct mb_near_val *v);
/* Times in st are boot-time ns here (the kernel keeps them on jiffies). */
typedef void (*mb_reload_state_fn)(void *ctx, uint32_t slot, const struct mb_reload_state *st);

/* Exact failures per errno slot (errno >= MB_ERRNO_MAX in the last one). */
int mb_probes_exec_totals(const struct mb_probes *p, uint64_t totals[MB_ERRNO_MAX]);
int mb_probes_exec_counts(const struct mb_probes *p, mb_exec_count_fn fn, void *ctx);
int mb_probes_sig_counts(const struct mb_probes *p, mb_sig_count_fn fn, void *ctx);
int mb_probes_fs_counts(const struct mb_probes *p, mb_fs_count_fn fn, void *ctx);
/* Exits per key; exits counted while the map was full come last, with k->watched 0. */
int mb_probes_exit_counts(const struct mb_probes *p, mb_exit_count_fn fn, void *ctx);
int mb_probes_near(const struct mb_probes *p, mb_near_fn fn, void *ctx);
int mb_probes_reload_states(const struct mb_probes *p, mb_reload_state_fn fn, void *ctx);

#endif
