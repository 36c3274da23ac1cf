/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Shared by every mailbpf BPF object: the ring buffer with batched wakeups,
 * per-probe drop counters, and the task/ancestry reader. Each object that
 * includes this gets its own copies (one skeleton per probe family, so a
 * family whose tracepoints this kernel lacks can be left out whole).
 */
#ifndef MAILBPF_COMMON_BPF_H
#define MAILBPF_COMMON_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>
#include "mailbpf.h"

/* The -mcpu this object is built for (Makefile: every object twice, v3 and v2). */
#ifndef MB_BPF_ISA
#define MB_BPF_ISA 3
#endif

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* Userspace sizes it before load (`max_entries` set from the CLI). */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
} events SEC(".maps");

/* Records the ring buffer had no room for, per enum mb_probe. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, MB_PROBE_MAX);
	__type(key, __u32);
	__type(value, __u64);
} drops SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} last_wakeup SEC(".maps");

/*
 * A wakeup costs the sender a context switch to the collector. Wake it at
 * most once per wakeup_gap_ns; the collector re-polls shortly after each
 * batch, so a record sent without a wakeup waits at most about one gap.
 */
const volatile __u64 wakeup_gap_ns = 5000000;

/*
 * One jiffy in ns, from the kernel config userspace read (CONFIG_HZ); 0
 * when it could not be read. Not a __kconfig extern: libbpf refuses to load
 * an object with one where no config file is readable (containers, minimal
 * images), even a weak one.
 */
const volatile __u64 jiffy_ns = 0;

/*
 * Jiffies in ns, a memory load: for rate limits and windows of a second and
 * more on paths that run for every event. A precise clock read costs more
 * than all the rest of such a path (about 90 ns in a VM), so it is taken
 * only for what is sent. Without the kernel's HZ known, the precise clock.
 */
static __always_inline __u64 mb_coarse_ns(void)
{
	if (!jiffy_ns)
		return bpf_ktime_get_boot_ns();
	return bpf_jiffies64() * jiffy_ns;
}

static __always_inline __u64 mb_rb_flags(__u64 now)
{
	__u32 zero = 0;
	__u64 *last = bpf_map_lookup_elem(&last_wakeup, &zero);

	if (!last)
		return 0;
	if (now - *last < wakeup_gap_ns)
		return BPF_RB_NO_WAKEUP;
	*last = now;
	return BPF_RB_FORCE_WAKEUP;
}

static __always_inline void mb_count_drop(__u32 probe)
{
	__u64 *v = bpf_map_lookup_elem(&drops, &probe);

	if (v)
		__sync_fetch_and_add(v, 1);
}

/* Send a record; a full buffer is counted against the probe, never silent. */
static __always_inline void mb_submit(void *rec, __u64 size, __u32 probe, __u64 now)
{
	if (bpf_ringbuf_output(&events, rec, size, mb_rb_flags(now)))
		mb_count_drop(probe);
}

/*
 * The running task. bpf_get_current_task_btf() (5.11) gives a pointer the
 * verifier knows; before it, the plain helper gives an address that only
 * probe reads may follow, which is all the callers do (BPF_CORE_READ).
 * have_task_btf is set by userspace from a helper probe: the verifier
 * folds the branch not taken into dead code, unknown helper included.
 */
const volatile __u32 have_task_btf = 1;

static __always_inline struct task_struct *mb_current_task(void)
{
	if (have_task_btf)
		return bpf_get_current_task_btf();
	return (struct task_struct *)bpf_get_current_task();
}

/*
 * Take a counter and zero it. An xchg where the object is built for BPF
 * ISA v3 (loaded where the kernel accepts atomics with fetch, 5.12+); for
 * the v2 build a read and a subtracting add, the one atomic older kernels
 * take (BPF_XADD): an increment racing in between stays for the next take.
 */
static __always_inline __u32 mb_take(__u32 *v)
{
#if MB_BPF_ISA >= 3
	return __sync_lock_test_and_set(v, 0);
#else
	__u32 n = *(volatile __u32 *)v;

	if (n)
		__sync_fetch_and_add(v, -n);
	return n;
#endif
}

static __always_inline void mb_hdr_fill(struct mb_hdr *h, __u32 type, __u64 now)
{
	h->type = type;
	h->cpu = bpf_get_smp_processor_id();
	h->ts_ns = now;
}

/* pid/tgid/uid/comm/cgroup of a task and the comms of its parents. */
static __always_inline void mb_task_fill(struct mb_task *t, struct task_struct *task)
{
	struct task_struct *p = task;

	t->pid = BPF_CORE_READ(task, pid);
	t->tgid = BPF_CORE_READ(task, tgid);
	t->ppid = BPF_CORE_READ(task, real_parent, tgid);
	t->uid = BPF_CORE_READ(task, real_cred, uid.val);
	t->cgroup_id = BPF_CORE_READ(task, cgroups, dfl_cgrp, kn, id);
	BPF_CORE_READ_STR_INTO(&t->comm, task, comm);
#pragma unroll
	for (int i = 0; i < MB_ANCESTORS; i++) {
		p = BPF_CORE_READ(p, real_parent);
		if (!p)
			break;
		t->anc_tgid[i] = BPF_CORE_READ(p, tgid);
		BPF_CORE_READ_STR_INTO(&t->anc_comm[i], p, comm);
		if (t->anc_tgid[i] <= 1)
			break;
	}
}

/*
 * Rate-limit state per key: count always, send a record at most once a gap.
 * When the map is full the event is counted in *fallback (NULL: not at all;
 * callers that must stay exact keep an unevictable total besides).
 */
static __always_inline int mb_rate_hit(void *map, const void *key, struct mb_rate_val *fallback,
				       __u64 now, __u64 gap, __u32 *suppressed)
{
	struct mb_rate_val *v = bpf_map_lookup_elem(map, key);
	struct mb_rate_val init = { .count = 1, .last_emit_ns = now };

	*suppressed = 0;
	if (!v) {
		if (!bpf_map_update_elem(map, key, &init, BPF_NOEXIST))
			return 1;
		/* A racing CPU inserted it, or the map is full. */
		v = bpf_map_lookup_elem(map, key);
		if (!v)
			v = fallback;
		if (!v)
			return 1;
	}
	__sync_fetch_and_add(&v->count, 1);
	if (now - v->last_emit_ns < gap) {
		__sync_fetch_and_add(&v->suppressed, 1);
		return 0;
	}
	v->last_emit_ns = now;
	*suppressed = mb_take(&v->suppressed);
	return 1;
}

#endif
