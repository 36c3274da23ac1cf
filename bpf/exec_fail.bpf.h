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

#define RLIMIT_STACK 3 /* include/uapi/asm-generic/resource.h */
/*
 * One bpf_probe_read_user_str() measures a string up to BIG bytes (the
 * kernel's strncpy_from_user stops at the NUL, so short strings cost what
 * they are long); MAX_ARG_STRLEN is 128 KiB, so an E2BIG string is measured
 * in one step and only a longer one takes more.
 */
#define BIG (256 * 1024)
/* Strings per walk with bpf_loop: `rm *` in a directory of 65536 files is
 * measured whole; a walk that long takes a few ms of the failing task. */
#define MAX_STEPS 65536
#define NOLOOP_STEPS 96 /* the same without bpf_loop (before 5.17): verifier-bounded */

/* Minimum gap between two records for the same (errno, program); 0 sends all. */
const volatile __u64 exec_emit_gap_ns = 0;
/* Userspace clears it when this kernel has no bpf_loop (or a test hides it). */
const volatile __u32 have_bpf_loop = 1;

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

/*
 * Where strings are copied to be measured. Shared by every CPU: only the
 * length the helper returns is used, so another walk writing it meanwhile
 * is harmless (too big for a per-CPU value, whose limit is 32 KiB).
 */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, char[BIG]);
} str_buf SEC(".maps");

/*
 * The walk's state lives in a map value, not on the caller's stack: a
 * verifier that checks a bpf_loop callback once (6.1) would otherwise know
 * the first step's values (no string yet) and prune the string-reading
 * half as unreachable. From a map, every field is unknown to it.
 */
struct walk {
	__u64 vec; /* user address of argv, then envp; 0: none */
	__u64 envp;
	__u64 str; /* string being measured, 0 between strings */
	__u64 off; /* bytes of str measured so far */
	__u64 cur, end; /* contiguous mode: the next string, end of the area */
	__u64 env_start, env_end;
	__u64 argv_bytes, env_bytes, longest;
	__u32 idx, is_env, contig, owner; /* owner: the tid the walk belongs to */
	__u32 argc, envc, longest_idx, longest_is_env;
	__u32 over_strlen, pad;
	char cur_name[MB_ENV_NAME_LEN]; /* start of the current env string */
	char name[MB_ENV_NAME_LEN]; /* start of the longest env string */
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct walk);
} walk_state SEC(".maps");

/* The next string's address, or 0 at the end of everything. */
static __always_inline int walk_next(struct walk *w)
{
	__u64 p;

	if (w->contig) {
		if (w->cur < w->end) {
			w->str = w->cur;
			return 0;
		}
		if (w->is_env || w->env_start >= w->env_end)
			return 1;
		w->cur = w->env_start;
		w->end = w->env_end;
		w->is_env = 1;
		w->idx = 0;
		return 0; /* the next step starts the environment */
	}
	if (!w->vec || bpf_probe_read_user(&p, sizeof(p), (void *)(w->vec + w->idx * 8ULL)))
		return 1;
	if (p) {
		w->str = p;
		return 0;
	}
	if (w->is_env || !w->envp)
		return 1;
	w->vec = w->envp;
	w->is_env = 1;
	w->idx = 0;
	return 0;
}

/* One pointer read or one string read; 1 ends the walk. */
static long walk_step(__u32 i, void *ctx)
{
	__u32 zero = 0, tid = bpf_get_current_pid_tgid();
	struct walk *w = bpf_map_lookup_elem(&walk_state, &zero);
	char *buf;
	__u64 len;
	long n;

	/* Another task's walk took this CPU's state meanwhile: stop, truncated. */
	if (!w || w->owner != tid)
		return 1;
	if (!w->str) {
		if (walk_next(w))
			return 1;
		w->off = 0;
		if (!w->str)
			return 0;
		/* The start of an env string, for its name (the bytes before '='). */
		if (w->is_env)
			bpf_probe_read_user_str(w->cur_name, sizeof(w->cur_name), (void *)w->str);
	}
	buf = bpf_map_lookup_elem(&str_buf, &zero);
	if (!buf)
		return 1;
	n = bpf_probe_read_user_str(buf, BIG, (void *)(w->str + w->off));
	if (n <= 0)
		return 1;
	if (n == BIG) {
		/* Cut by our buffer, not by the string: go on. */
		w->off += BIG - 1;
		return 0;
	}
	len = w->off + n;
	if (w->is_env) {
		w->envc++;
		w->env_bytes += len;
	} else {
		w->argc++;
		w->argv_bytes += len;
	}
	if (len > w->longest) {
		w->longest = len;
		w->longest_idx = w->idx;
		w->longest_is_env = w->is_env;
		if (w->is_env)
			__builtin_memcpy(w->name, w->cur_name, sizeof(w->name));
	}
	if (len > MB_MAX_ARG_STRLEN)
		w->over_strlen = 1;
	if (w->contig)
		w->cur = w->str + len;
	w->str = 0;
	w->idx++;
	return 0;
}

/* A walk over vectors (failed exec) or over the new mm's areas (near miss). */
static __always_inline struct walk *walk_begin(__u64 vec, __u64 envp)
{
	__u32 zero = 0;
	struct walk *w = bpf_map_lookup_elem(&walk_state, &zero);

	if (!w)
		return NULL;
	__builtin_memset(w, 0, sizeof(*w));
	w->vec = vec;
	w->envp = envp;
	w->owner = bpf_get_current_pid_tgid();
	return w;
}

/* Runs the walk; 1 when it was cut short (step budget, or the state was taken). */
static __always_inline int walk_run(struct walk *w)
{
	__u32 tid = bpf_get_current_pid_tgid();
	long done;

	/*
	 * Not in the v2 build at all: passing walk_step is a function-pointer
	 * load (BPF_PSEUDO_FUNC, 5.13) that older kernels refuse in any
	 * instruction, dead or not ("unrecognized bpf_ld_imm64 insn" on 5.10);
	 * every kernel that needs the v2 build predates bpf_loop anyway.
	 */
#if MB_BPF_ISA >= 3
	if (have_bpf_loop) {
		done = bpf_loop(MAX_STEPS, walk_step, NULL, 0) < MAX_STEPS;
	} else
#endif
	{
		done = 0;
		for (__u32 i = 0; i < NOLOOP_STEPS; i++) {
			if (walk_step(i, NULL)) {
				done = 1;
				break;
			}
		}
	}
	return !done || w->owner != tid || w->str != 0;
}

/* The walk's figures into a record. */
static __always_inline void walk_fill(struct mb_exec_event *e, const struct walk *w)
{
	e->argc = w->argc;
	e->envc = w->envc;
	e->argv_bytes = w->argv_bytes;
	e->env_bytes = w->env_bytes;
	e->longest = w->longest;
	e->longest_idx = w->longest_idx;
	e->longest_is_env = w->longest_is_env;
	if (w->over_strlen)
		e->flags |= MB_EXEC_F_OVER_STRLEN;
	if (w->longest_is_env)
		__builtin_memcpy(e->longest_name, w->name, sizeof(e->longest_name));
	else
		e->longest_name[0] = 0;
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
	const char *const *vec, *const *envp;
	const char *fname;
	struct walk *w;
	__u32 suppressed, slot;
	__u64 now, *total;
	long n;

	if (ret >= 0)
		return 0;
	/* x86-64 syscall ABI: execve(di, si, dx), execveat(di, si, dx, r10, r8) */
	if (is_at) {
		fname = (const char *)BPF_CORE_READ(regs, si);
		vec = (const char *const *)BPF_CORE_READ(regs, dx);
		envp = (const char *const *)BPF_CORE_READ(regs, r10);
	} else {
		fname = (const char *)BPF_CORE_READ(regs, di);
		vec = (const char *const *)BPF_CORE_READ(regs, si);
		envp = (const char *const *)BPF_CORE_READ(regs, dx);
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
	e->suppressed = suppressed;
	e->limit = exec_limit(task, &e->rlim_stack);
	w = walk_begin((__u64)vec, (__u64)envp);
	if (!w)
		return 0;
	if (walk_run(w))
		e->flags |= MB_EXEC_F_TRUNCATED;
	walk_fill(e, w);
	e->flags |= MB_EXEC_F_SIZES;
	mb_submit(e, sizeof(*e), MB_PROBE_EXEC, now);
	return 0;
}

#endif
