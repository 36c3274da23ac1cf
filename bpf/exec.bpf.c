// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Failed execs and near misses.
 *
 * Two tiers to see a failed exec, chosen by userspace before load (the
 * programs of the other tier are not loaded, so a kernel that refuses one
 * tier's programs still runs the other):
 *
 * - fexit on the exec syscalls' entry points: every errno, the caller's
 *   registers as the syscall got them, nothing on any other syscall; where
 *   the kernel lets BPF trampolines attach (ftrace, no lockdown).
 * - syscall: syscalls:sys_exit_execve/execveat see every errno, but enabling
 *   any syscall tracepoint sends every syscall of every process through the
 *   kernel's slow path (measured in docs/BENCHMARKS.md).
 *
 * A third tier (exit_mmap of the failing exec's new mm, completed by rseq
 * or a BPF task_work on the way back to user space) was retired: it needed
 * a kfunc whose prototype changed in 7.x and a verifier rule 6.18.44 no
 * longer allows, and no kernel Debian ships loads it where fexit does not.
 *
 * Either way the arguments are read back from the task's saved user
 * registers, so a successful exec costs one compare and no entry hook has
 * to write a map on every exec. Near misses are measured in O(1) at
 * sched_process_exec from the new mm's argument and environment bounds,
 * never by walking user memory.
 *
 * Nothing here is an object-wide dependency (no kfunc or kconfig extern,
 * no map type younger than the ring buffer): whatever this kernel refuses
 * is one program, which userspace leaves out alone.
 */
#include "exec_fail.bpf.h"

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
 * The task's saved user registers. bpf_task_pt_regs() (5.15) where this
 * kernel has it; before, where x86-64's task_pt_regs() puts them: at the
 * top of the task's kernel stack (THREAD_SIZE 16 KiB without KASAN, as
 * every distribution kernel is built). Read through probe reads only.
 */
const volatile __u32 have_task_pt_regs = 1;
#define MB_THREAD_SIZE (4096 << 2)

static __always_inline struct pt_regs *task_regs(struct task_struct *task)
{
	if (have_task_btf && have_task_pt_regs)
		return (struct pt_regs *)bpf_task_pt_regs(task);
	return (struct pt_regs *)((__u64)BPF_CORE_READ(task, stack) + MB_THREAD_SIZE) - 1;
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
	task = mb_current_task();
	if (!regs)
		regs = task_regs(task);
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
