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
 *   failures; on the task's way back to user space (rseq_update, or a BPF
 *   task_work for tasks without rseq) the syscall's number, arguments and
 *   errno are read from its saved registers. No cost on other syscalls.
 *   Blind spot: failures before the kernel opened the binary (ENOENT,
 *   EACCES, ETXTBSY, ELOOP on the binary itself).
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
#include "exec_fail.bpf.h"

#define NR_EXECVE 59 /* x86-64 */
#define NR_EXECVEAT 322
#define PF_EXITING 0x00000004 /* include/linux/sched.h */
#define PF_KTHREAD 0x00200000

/* Near-miss record when a successful exec used more than this per mille. */
const volatile __u32 near_permille = 500;
const volatile __u32 near_enabled = 1;

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

/*
 * mm mode. Between a failing exec's exit_mmap and its return to user space
 * the task is marked here. The value doubles as the task's own scratch for
 * the record: no per-CPU buffer another task could share meanwhile.
 */
struct mb_exec_mark {
	__u64 pending;
	struct mb_exec_event ev;
};

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct mb_exec_mark);
} exec_mark SEC(".maps");

/*
 * Marks set and not consumed yet. rseq_update runs on every return to user
 * space after a preemption, host-wide: while this is 0 it looks no further.
 * A marked thread that dies before its return leaves it above 0, which
 * costs the storage lookup again, never a missed failure.
 */
__u64 marks_pending;

/* The same for tasks without rseq, which need a task_work to get back. */
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

/*
 * BPF task_work (6.18: the _impl form; later kernels drop the implicit aux
 * argument from the name). Weak, and called only under task_work_kind,
 * which userspace sets from what vmlinux BTF has: a kernel without either
 * loads this object with the call eliminated as dead code.
 */
extern int bpf_task_work_schedule_resume_impl(struct task_struct *task, struct bpf_task_work *tw,
					      void *map__map,
					      int (*cb)(struct bpf_map *, void *, void *),
					      void *aux__prog) __ksym __weak;
extern int bpf_task_work_schedule_resume(struct task_struct *task, struct bpf_task_work *tw,
					 void *map__map,
					 int (*cb)(struct bpf_map *, void *, void *)) __ksym __weak;
const volatile __u32 task_work_kind = 0; /* enum mb_task_work */

/* task->rseq: a pointer until 6.18, struct rseq_data (usrptr) after. */
struct rseq_data___new {
	struct rseq *usrptr;
} __attribute__((preserve_access_index));
struct task_struct___rseq_new {
	struct rseq_data___new rseq;
} __attribute__((preserve_access_index));
struct task_struct___rseq_old {
	struct rseq *rseq;
} __attribute__((preserve_access_index));

static __always_inline int task_has_rseq(struct task_struct *t)
{
	if (bpf_core_type_exists(struct rseq_data___new))
		return BPF_CORE_READ((struct task_struct___rseq_new *)t, rseq.usrptr) != NULL;
	return BPF_CORE_READ((struct task_struct___rseq_old *)t, rseq) != NULL;
}

/* A failed exec seen at its syscall's exit; regs NULL: the task's saved ones. */
static __always_inline int exec_exit(const struct pt_regs *regs, long ret, int is_at)
{
	struct task_struct *task;
	struct mb_exec_event *e;
	__u32 zero = 0;

	if (ret >= 0)
		return 0;
	e = bpf_map_lookup_elem(&exec_scratch, &zero);
	if (!e)
		return 0;
	task = bpf_get_current_task_btf();
	if (!regs)
		regs = (const struct pt_regs *)bpf_task_pt_regs(task);
	return exec_failed(task, (struct pt_regs *)regs, ret, is_at, e);
}

SEC("tracepoint/syscalls/sys_exit_execve")
int exec_exit_execve(struct trace_event_raw_sys_exit *ctx)
{
	return exec_exit(NULL, ctx->ret, 0);
}

SEC("tracepoint/syscalls/sys_exit_execveat")
int exec_exit_execveat(struct trace_event_raw_sys_exit *ctx)
{
	return exec_exit(NULL, ctx->ret, 1);
}

/*
 * fexit on the syscall entry points: every errno, the caller's registers
 * as the syscall got them, and nothing on any other syscall. Only where
 * the kernel lets BPF trampolines attach (ftrace, no lockdown).
 */
SEC("fexit/__x64_sys_execve")
int BPF_PROG(exec_fexit_execve, const struct pt_regs *regs, long ret)
{
	return exec_exit(regs, ret, 0);
}

SEC("fexit/__x64_sys_execveat")
int BPF_PROG(exec_fexit_execveat, const struct pt_regs *regs, long ret)
{
	return exec_exit(regs, ret, 1);
}

/* The task is back from the failed syscall: ax holds -errno. */
static __always_inline void exec_returned(struct task_struct *task, struct mb_exec_event *e)
{
	struct pt_regs *regs = (struct pt_regs *)bpf_task_pt_regs(task);
	long nr = regs->orig_ax;

	/* Not an exec syscall (an exec started by the kernel itself): not ours. */
	if (nr == NR_EXECVE || nr == NR_EXECVEAT)
		exec_failed(task, regs, regs->ax, nr == NR_EXECVEAT, e);
}

/*
 * The way back, for nearly every task: the failed exec dropped the last
 * reference to the binary it had opened; the kernel defers that fput() to
 * the return to user space, which sets TIF_NOTIFY_RESUME, and with it
 * every task that registered rseq (glibc does, at start) passes
 * rseq_update on its way out, registers final. Other returns pass here
 * too (after preemption); for them it is one storage lookup.
 */
SEC("tp_btf/rseq_update")
int BPF_PROG(exec_back_rseq, struct task_struct *t)
{
	struct mb_exec_mark *m;

	if (!marks_pending)
		return 0;
	m = bpf_task_storage_get(&exec_mark, t, NULL, 0);
	if (!m || !m->pending)
		return 0;
	m->pending = 0;
	__sync_fetch_and_sub(&marks_pending, 1);
	exec_returned(t, &m->ev);
	return 0;
}

/* The way back for tasks without rseq (vfork children, static or Go binaries). */
static int exec_back_tw(struct bpf_map *map, void *key, void *value)
{
	struct mb_exec_pending *p = value;

	exec_returned(bpf_get_current_task_btf(), &p->ev);
	bpf_map_delete_elem(&exec_pending, key);
	return 0;
}

/*
 * Every mm teardown passes here: process exit (PF_EXITING), the old mm
 * after a successful exec (it has an executable), the last reference
 * dropped by another task (not ours, it has an executable). What is left is
 * the mm a failing exec built for the new program: it never got an
 * executable and was never the task's own.
 */
SEC("tp_btf/exit_mmap")
int BPF_PROG(exec_mm_gone, struct mm_struct *mm)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct mb_exec_pending *p;
	struct mb_exec_mark *m;
	__u32 tid;

	if (task->flags & (PF_EXITING | PF_KTHREAD) || task->mm == mm || mm->exe_file)
		return 0;
	if (task_has_rseq(task)) {
		m = bpf_task_storage_get(&exec_mark, task, NULL, BPF_LOCAL_STORAGE_GET_F_CREATE);
		if (m) {
			if (!m->pending)
				__sync_fetch_and_add(&marks_pending, 1);
			m->pending = 1;
			return 0;
		}
	}
	/* A task_work costs an interrupt (microseconds in a VM): only here. */
	tid = task->pid;
	if (bpf_map_update_elem(&exec_pending, &tid, pending_zero, BPF_ANY))
		goto lost;
	p = bpf_map_lookup_elem(&exec_pending, &tid);
	if (p && task_work_kind == MB_TASK_WORK_IMPL &&
	    !bpf_task_work_schedule_resume_impl(task, &p->tw, &exec_pending, exec_back_tw, NULL))
		return 0;
	if (p && task_work_kind == MB_TASK_WORK_PLAIN &&
	    !bpf_task_work_schedule_resume(task, &p->tw, &exec_pending, exec_back_tw))
		return 0;
	bpf_map_delete_elem(&exec_pending, &tid);
lost:
	mb_count_drop(MB_PROBE_EXEC);
	return 0;
}

/*
 * A successful exec, measured in O(1) from the new mm's argument and
 * environment bounds. Only when the total alone is above the warning share
 * of MAX_ARG_STRLEN can one string be near that limit: then (rarely) the
 * strings are walked for the longest, the likeliest E2BIG of all (a config
 * value exported into the environment).
 */
SEC("tp_btf/sched_process_exec")
int BPF_PROG(exec_near, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
	struct mb_near_val *worst, init = {};
	struct mb_exec_event *e;
	struct mm_struct *mm = p->mm;
	char comm[MB_COMM_LEN] = {};
	struct walk *w = NULL;
	__u32 zero = 0, by_strlen = 0;
	__u64 used, limit, rlim, now, longest = 0, share, wshare;
	int above, new_worst = 0;
	int argc = bprm->argc, envc = bprm->envc;

	if (!near_enabled || !mm)
		return 0;
	/* What bprm_stack_limits() and copy_strings() charged: strings + pointers. */
	used = (mm->arg_end - mm->arg_start) + (mm->env_end - mm->env_start) +
	       ((argc > 1 ? argc : 1) + envc) * sizeof(void *);
	limit = exec_limit(p, &rlim);
	share = used * 1000 / limit;
	if (used * 1000 > near_permille * MB_MAX_ARG_STRLEN) {
		w = walk_begin(0, 0);
		if (w) {
			w->contig = 1;
			w->cur = mm->arg_start;
			w->end = mm->arg_end;
			w->env_start = mm->env_start;
			w->env_end = mm->env_end;
			walk_run(w);
			longest = w->longest;
			if (longest * 1000 / MB_MAX_ARG_STRLEN > share) {
				share = longest * 1000 / MB_MAX_ARG_STRLEN;
				by_strlen = 1;
			}
		}
	}
	__builtin_memcpy(comm, p->comm, sizeof(comm)); /* direct BTF loads */
	above = share > near_permille;
	worst = bpf_map_lookup_elem(&near_worst, comm);
	if (!worst) {
		init.used = by_strlen ? longest : used;
		init.limit = by_strlen ? MB_MAX_ARG_STRLEN : limit;
		init.by_strlen = by_strlen;
		init.count = above;
		bpf_map_update_elem(&near_worst, comm, &init, BPF_ANY);
		new_worst = 1;
	} else {
		wshare = worst->used * 1000 / (worst->limit ?: 1);
		if (share > wshare) {
			worst->used = by_strlen ? longest : used;
			worst->limit = by_strlen ? MB_MAX_ARG_STRLEN : limit;
			worst->by_strlen = by_strlen;
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
	e->flags = MB_EXEC_F_SIZES | (by_strlen ? MB_EXEC_F_NEAR_STRLEN : 0);
	e->argc = argc;
	e->envc = envc;
	e->argv_bytes = mm->arg_end - mm->arg_start;
	e->env_bytes = mm->env_end - mm->env_start;
	e->longest = 0;
	e->longest_idx = e->longest_is_env = 0;
	e->longest_name[0] = 0;
	if (w && w->longest) {
		walk_fill(e, w);
		/* The kernel's counts, not the walk's (which a budget may cut). */
		e->argc = argc;
		e->envc = envc;
		e->argv_bytes = mm->arg_end - mm->arg_start;
		e->env_bytes = mm->env_end - mm->env_start;
	}
	e->limit = limit;
	e->rlim_stack = rlim;
	e->suppressed = 0;
	bpf_probe_read_kernel_str(e->filename, sizeof(e->filename), bprm->filename);
	mb_submit(e, sizeof(*e), MB_PROBE_EXEC_NEAR, now);
	return 0;
}
