// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Failed execs and near misses.
 *
 * Two ways to see a failed exec, chosen by userspace before load:
 *
 * - mm (default): a failing exec leaves behind the memory it prepared for
 *   the new program; the kernel tears it down (tracepoint exit_mmap) while
 *   the caller's own mm is still in place. Nothing else frees an mm that
 *   way, so that tracepoint (a few hits per process lifetime) finds the
 *   failures, and a task_work callback run as the task returns to user
 *   space reads the syscall's number, arguments and errno from its saved
 *   registers. Cost elsewhere: none. Blind spot: failures before the
 *   kernel got that far (the binary itself missing or not permitted:
 *   ENOENT, EACCES, ETXTBSY, ELOOP).
 * - syscall: syscalls:sys_exit_execve/execveat see every errno, but enabling
 *   any syscall tracepoint sends every syscall of every process through the
 *   kernel's slow path (~30 ns each).
 *
 * Either way the arguments are read back from the task's saved user
 * registers, so a successful exec costs one compare and no entry hook has
 * to write a map on every exec. Near misses are measured in O(1) at
 * sched_process_exec from the new mm's argument and environment bounds,
 * never by walking user memory.
 */
#include "common.bpf.h"

#define CHUNK 4096
#define RLIMIT_STACK 3 /* include/uapi/asm-generic/resource.h */
#define MAX_STEPS 16384 /* pointer reads + 4 KiB string chunks per failure */
#define NR_EXECVE 59 /* x86-64 */
#define NR_EXECVEAT 322
#define PF_EXITING 0x00000004 /* include/linux/sched.h */
#define PF_KTHREAD 0x00200000

/* Minimum gap between two records for the same (errno, program); 0 sends all. */
const volatile __u64 exec_emit_gap_ns = 0;
/* Near-miss record when a successful exec used more than this per mille. */
const volatile __u32 near_permille = 500;
const volatile __u32 near_enabled = 1;

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

/* Worst usage per program (key: comm after exec), for the headroom gauge. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, char[MB_COMM_LEN]);
	__type(value, struct mb_near_val);
} near_worst SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct mb_exec_event);
} exec_scratch SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, char[CHUNK]);
} str_scratch SEC(".maps");

/*
 * mm mode: one entry per thread between the failing exec's exit_mmap and its
 * return to user space. The callback runs preemptibly, so the record is
 * built here, per task, not in a per-CPU scratch another task could share.
 */
struct mb_exec_pending {
	struct bpf_task_work tw;
	struct mb_exec_event ev;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, 4096);
	__type(key, __u32);
	__type(value, struct mb_exec_pending);
} exec_pending SEC(".maps");

/* Zeroes to create an exec_pending entry from (a value too big for the stack). */
char pending_zero[sizeof(struct mb_exec_pending)];

extern int bpf_task_work_schedule_resume_impl(struct task_struct *task, struct bpf_task_work *tw,
					      void *map__map,
					      int (*cb)(struct bpf_map *, void *, void *),
					      void *aux__prog) __ksym;

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
	now = bpf_ktime_get_boot_ns();
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
	if (!mb_rate_hit(&exec_counts, &key, bpf_map_lookup_elem(&exec_overflow, &slot), now,
			 exec_emit_gap_ns, &suppressed))
		return 0;

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

static __always_inline int exec_exit(long ret, int is_at)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct mb_exec_event *e;
	__u32 zero = 0;

	if (ret >= 0)
		return 0;
	e = bpf_map_lookup_elem(&exec_scratch, &zero);
	if (!e)
		return 0;
	return exec_failed(task, (struct pt_regs *)bpf_task_pt_regs(task), ret, is_at, e);
}

SEC("tracepoint/syscalls/sys_exit_execve")
int exec_exit_execve(struct trace_event_raw_sys_exit *ctx)
{
	return exec_exit(ctx->ret, 0);
}

SEC("tracepoint/syscalls/sys_exit_execveat")
int exec_exit_execveat(struct trace_event_raw_sys_exit *ctx)
{
	return exec_exit(ctx->ret, 1);
}

/* mm mode, part 2: the task is back from the failed syscall; ax holds -errno. */
static int exec_resume(struct bpf_map *map, void *key, void *value)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct pt_regs *regs = (struct pt_regs *)bpf_task_pt_regs(task);
	struct mb_exec_pending *p = value;
	long nr = regs->orig_ax;

	/* Not an exec syscall (an exec started by the kernel itself): not ours. */
	if (nr == NR_EXECVE || nr == NR_EXECVEAT)
		exec_failed(task, regs, regs->ax, nr == NR_EXECVEAT, &p->ev);
	bpf_map_delete_elem(&exec_pending, key);
	return 0;
}

/*
 * mm mode, part 1. Every mm teardown passes here: process exit (PF_EXITING),
 * the old mm after a successful exec (it has an executable), the last
 * reference dropped by another task (not ours, it has an executable). What
 * is left is the mm a failing exec built for the new program: it never got
 * an executable and was never the task's own.
 */
SEC("tp_btf/exit_mmap")
int BPF_PROG(exec_mm_gone, struct mm_struct *mm)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct mb_exec_pending *p;
	__u32 tid;

	if (task->flags & (PF_EXITING | PF_KTHREAD) || task->mm == mm || mm->exe_file)
		return 0;
	tid = task->pid;
	if (bpf_map_update_elem(&exec_pending, &tid, pending_zero, BPF_ANY))
		goto lost;
	p = bpf_map_lookup_elem(&exec_pending, &tid);
	if (p &&
	    !bpf_task_work_schedule_resume_impl(task, &p->tw, &exec_pending, exec_resume, NULL))
		return 0;
	bpf_map_delete_elem(&exec_pending, &tid);
lost:
	mb_count_drop(MB_PROBE_EXEC);
	return 0;
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(exec_near, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
	struct mb_near_val *worst, init = {};
	struct mb_exec_event *e;
	struct mm_struct *mm = p->mm;
	char comm[MB_COMM_LEN] = {};
	__u32 zero = 0;
	__u64 used, limit, rlim, now;
	int above, new_worst = 0;
	int argc = bprm->argc, envc = bprm->envc;

	if (!near_enabled || !mm)
		return 0;
	/* What bprm_stack_limits() and copy_strings() charged: strings + pointers. */
	used = (mm->arg_end - mm->arg_start) + (mm->env_end - mm->env_start) +
	       ((argc > 1 ? argc : 1) + envc) * sizeof(void *);
	limit = exec_limit(p, &rlim);
	__builtin_memcpy(comm, p->comm, sizeof(comm)); /* direct BTF loads */
	above = used * 1000 > near_permille * limit;
	worst = bpf_map_lookup_elem(&near_worst, comm);
	if (!worst) {
		init.used = used;
		init.limit = limit;
		init.count = above;
		bpf_map_update_elem(&near_worst, comm, &init, BPF_ANY);
		new_worst = 1;
	} else {
		if (used * 1000 / limit > worst->used * 1000 / (worst->limit ?: 1)) {
			worst->used = used;
			worst->limit = limit;
			new_worst = 1;
		}
		if (above)
			__sync_fetch_and_add(&worst->count, 1);
	}
	/* Only a new worst above the warning share reaches userspace. */
	if (!above || !new_worst)
		return 0;

	e = bpf_map_lookup_elem(&exec_scratch, &zero);
	if (!e)
		return 0;
	now = bpf_ktime_get_boot_ns();
	mb_hdr_fill(&e->hdr, MB_EV_EXEC_NEAR, now);
	mb_task_fill(&e->task, p);
	e->err = 0;
	e->flags = MB_EXEC_F_SIZES;
	e->argc = argc;
	e->envc = envc;
	e->argv_bytes = mm->arg_end - mm->arg_start;
	e->env_bytes = mm->env_end - mm->env_start;
	e->longest = 0;
	e->longest_idx = e->longest_is_env = 0;
	e->limit = limit;
	e->rlim_stack = rlim;
	e->suppressed = 0;
	bpf_probe_read_kernel_str(e->filename, sizeof(e->filename), bprm->filename);
	mb_submit(e, sizeof(*e), MB_PROBE_EXEC_NEAR, now);
	return 0;
}
