/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * A failed exec, however it was caught (bpf/exec.bpf.c): counted exactly
 * per errno and per (errno, program), and, when a record is due, measured
 * the way the kernel measured it: argc/envc, bytes, the longest string,
 * against RLIMIT_STACK / 4 and MAX_ARG_STRLEN. Only exec.bpf.c includes it.
 */
#ifndef MAILBPF_EXEC_FAIL_BPF_H
#define MAILBPF_EXEC_FAIL_BPF_H

#include "common.bpf.h"

#define CHUNK 4096
#define RLIMIT_STACK 3 /* include/uapi/asm-generic/resource.h */
#define MAX_STEPS 16384 /* pointer reads + 4 KiB string chunks per failure */

/* Minimum gap between two records for the same (errno, program); 0 sends all. */
const volatile __u64 exec_emit_gap_ns = 0;

/*
 * Per (errno, program). Any user picks program names, so this is a plain
 * hash (an LRU would let a flood of names evict real counts): once full,
 * new names are counted in exec_overflow per errno and exported as
 * program="other"; exec_totals keeps the exact sum per errno regardless.
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 10240);
	__type(key, struct mb_exec_key);
	__type(value, struct mb_rate_val);
} exec_counts SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, MB_ERRNO_MAX);
	__type(key, __u32);
	__type(value, struct mb_rate_val);
} exec_overflow SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, MB_ERRNO_MAX);
	__type(key, __u32);
	__type(value, __u64);
} exec_totals SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, char[CHUNK]);
} str_scratch SEC(".maps");

struct walk {
	const char *const *vec; /* argv, then envp */
	const char *str; /* string being measured, NULL between strings */
	__u64 off; /* bytes of str measured so far */
	__u32 idx;
	__u32 is_env;
	const char *const *envp;
	struct mb_exec_event *e;
};

static long walk_step(__u32 i, void *ctx)
{
	struct walk *w = ctx;
	struct mb_exec_event *e = w->e;
	__u32 zero = 0;
	char *buf;
	long n;

	if (!w->str) {
		if (!w->vec || bpf_probe_read_user(&w->str, sizeof(w->str), &w->vec[w->idx]))
			return 1;
		if (!w->str) { /* end of this vector */
			if (w->is_env || !w->envp)
				return 1;
			w->vec = w->envp;
			w->is_env = 1;
			w->idx = 0;
			return 0;
		}
		w->off = 0;
		return 0;
	}
	/* Only the length counts: another task sharing the buffer is harmless. */
	buf = bpf_map_lookup_elem(&str_scratch, &zero);
	if (!buf)
		return 1;
	n = bpf_probe_read_user_str(buf, CHUNK, w->str + w->off);
	if (n <= 0)
		return 1;
	if (n == CHUNK) {
		/* Truncated by our buffer, not by the string: go on. */
		w->off += CHUNK - 1;
		return 0;
	}
	w->off += n;
	if (w->is_env) {
		e->envc++;
		e->env_bytes += w->off;
	} else {
		e->argc++;
		e->argv_bytes += w->off;
	}
	if (w->off > e->longest) {
		e->longest = w->off;
		e->longest_idx = w->idx;
		e->longest_is_env = w->is_env;
	}
	if (w->off > MB_MAX_ARG_STRLEN)
		e->flags |= MB_EXEC_F_OVER_STRLEN;
	w->str = 0;
	w->idx++;
	return 0;
}

/* The kernel's bprm_stack_limits(): a quarter of the stack rlimit, capped. */
static __always_inline __u64 exec_limit(struct task_struct *task, __u64 *rlim)
{
	__u64 cur = BPF_CORE_READ(task, signal, rlim[RLIMIT_STACK].rlim_cur);
	__u64 limit = MB_STK_LIM / 4 * 3;

	*rlim = cur;
	if (cur / 4 < limit)
		limit = cur / 4;
	if (limit < MB_ARG_MAX)
		limit = MB_ARG_MAX;
	return limit;
}

#define BASE_SCAN 64 /* a longer basename is keyed by its last 64 bytes */

/*
 * Program name for the count key: basename of the exec'd path, found by
 * scanning back from the end. A plain bounded loop: a bpf_loop callback per
 * byte cost more than the rest of the failure path.
 */
static __always_inline void basename_key(struct mb_exec_key *k, const char *path, long n)
{
	__u32 len = n > 1 ? n - 1 : 0, start = len > BASE_SCAN ? len - BASE_SCAN : 0;

	for (__u32 i = 1; i <= BASE_SCAN; i++) {
		if (i > len)
			break;
		if (path[(len - i) & (MB_PATH_LEN - 1)] == '/') {
			start = len - i + 1;
			break;
		}
	}
	bpf_probe_read_kernel_str(k->comm, sizeof(k->comm), &path[start & (MB_PATH_LEN - 1)]);
}

/* Count a failed exec of `task` (current) and maybe send it, built in *e. */
static __always_inline int exec_failed(struct task_struct *task, struct pt_regs *regs, long ret,
				       int is_at, struct mb_exec_event *e)
{
	struct mb_exec_key key = {};
	const char *fname;
	struct walk w = {};
	__u32 suppressed, slot;
	__u64 now, *total;
	long n;

	if (ret >= 0)
		return 0;
	/* x86-64 syscall ABI: execve(di, si, dx), execveat(di, si, dx, r10, r8) */
	if (is_at) {
		fname = (const char *)regs->si;
		w.vec = (const char *const *)regs->dx;
		w.envp = (const char *const *)regs->r10;
	} else {
		fname = (const char *)regs->di;
		w.vec = (const char *const *)regs->si;
		w.envp = (const char *const *)regs->dx;
	}
	n = bpf_probe_read_user_str(e->filename, sizeof(e->filename), fname);
	if (n < 0)
		e->filename[0] = 0;
	key.err = -ret;
	basename_key(&key, e->filename, n);
	slot = key.err < MB_ERRNO_MAX ? key.err : MB_ERRNO_MAX - 1;
	total = bpf_map_lookup_elem(&exec_totals, &slot);
	if (total)
		__sync_fetch_and_add(total, 1);
	if (!mb_rate_hit(&exec_counts, &key, bpf_map_lookup_elem(&exec_overflow, &slot),
			 mb_coarse_ns(), exec_emit_gap_ns, &suppressed))
		return 0;
	now = bpf_ktime_get_boot_ns();

	mb_hdr_fill(&e->hdr, MB_EV_EXEC_FAIL, now);
	mb_task_fill(&e->task, task);
	e->err = -ret;
	e->flags = is_at ? MB_EXEC_F_EXECVEAT : 0;
	e->argc = e->envc = 0;
	e->argv_bytes = e->env_bytes = e->longest = 0;
	e->longest_idx = e->longest_is_env = 0;
	e->suppressed = suppressed;
	e->limit = exec_limit(task, &e->rlim_stack);
	w.e = e;
	if (bpf_loop(MAX_STEPS, walk_step, &w, 0) >= MAX_STEPS)
		e->flags |= MB_EXEC_F_TRUNCATED;
	e->flags |= MB_EXEC_F_SIZES;
	mb_submit(e, sizeof(*e), MB_PROBE_EXEC, now);
	return 0;
}

#endif
