// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Reload-class signals (HUP, USR1, USR2 by default) to mail daemons.
 *
 * signal_generate fires in the sender's context, so the sender and its
 * parents are read here, while they still exist: a reload is typically sent
 * by a short-lived `doveadm reload` or a panel helper that is gone a
 * millisecond later. The kernel's `result` says whether the signal was merged
 * into one already pending (two reloads, one restart).
 *
 * Cost order: signal mask (one AND), then the watched-comm lookup; only
 * signals to watched daemons are counted and sent, unless `watch_only` is 0
 * (`mailbpf trace`).
 */
#include "common.bpf.h"

const volatile __u64 sig_mask = MB_DEFAULT_SIGMASK;
const volatile __u32 watch_only = 1;
/* While reloads to a master keep colliding, one record per this; 0 sends all. */
const volatile __u64 sig_emit_gap_ns = 0;

/* Master comm of a watched daemon -> which one (filled by userspace). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, char[MB_COMM_LEN]);
	__type(value, struct mb_watch);
} watch_comms SEC(".maps");

/*
 * Exact reload counts per (watched daemon, signal), whatever was sent: a
 * per-CPU array, so counting is a plain add on a line no other CPU writes.
 */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, MB_SIG_SLOTS);
	__type(key, __u32);
	__type(value, __u64);
} sig_counts SEC(".maps");

/*
 * One bit per watched comm (a hash of its first 8 bytes), set by userspace
 * before it adds the comm to watch_comms: most signals on a host go to
 * processes that are not watched, and this answers them without a lookup.
 */
__u64 watch_bloom = ~0ULL;

static __always_inline __u32 comm_bit(__u64 first8)
{
	return (first8 * 0x9E3779B97F4A7C15ULL) >> 58;
}

/* Per watched master tgid; LRU: masters come and go with restarts. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 1024);
	__type(key, __u32);
	__type(value, struct mb_reload_state);
} reload_state SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct mb_signal_event);
} sig_scratch SEC(".maps");

static __always_inline void count_reload(__u32 watched, __u32 sig)
{
	__u32 slot = watched * 64 + sig;
	__u64 *v = bpf_map_lookup_elem(&sig_counts, &slot);

	if (v)
		*v += 1;
}

/* Only for watched comms: is the target running the configured binary? */
static __always_inline int exe_matches(const struct mb_watch *w, struct task_struct *task)
{
	struct inode *ino;

	if (!w->exe_dev)
		return 1;
	ino = BPF_CORE_READ(task, mm, exe_file, f_inode);
	return ino && BPF_CORE_READ(ino, i_ino) == w->exe_ino &&
	       BPF_CORE_READ(ino, i_sb, s_dev) == w->exe_dev;
}

/*
 * Does this reload to a watched master deserve a record? The first reload
 * after a quiet window and the first collision always do (the alert must
 * not wait); further collisions one per sig_emit_gap_ns, the rest only
 * counted in `folded`, which userspace reads. Every reload is counted anyway.
 */
static __always_inline int reload_emit(const struct mb_watch *w, __u32 tgid, int sig, int result,
				       __u64 now, __u32 *folded)
{
	struct mb_reload_state *st, init = { .last_ns = now, .last_emit_ns = now };
	int collide;

	*folded = 0;
	if (!sig_emit_gap_ns)
		return 1;
	st = bpf_map_lookup_elem(&reload_state, &tgid);
	if (!st) {
		init.watched = w->idx;
		init.sig = sig;
		bpf_map_update_elem(&reload_state, &tgid, &init, BPF_ANY);
		return 1;
	}
	collide = now - st->last_ns < w->window_ns || result == MB_SIG_ALREADY_PENDING;
	st->last_ns = now;
	st->watched = w->idx;
	st->sig = sig;
	if (collide && st->collision_sent && now - st->last_emit_ns < sig_emit_gap_ns) {
		/* No atomic needed: signal_generate runs under the target's
		 * siglock, which serializes every update of its state. */
		st->folded++;
		return 0;
	}
	st->collision_sent = collide;
	st->last_emit_ns = now;
	*folded = st->folded;
	return 1;
}

SEC("tp_btf/signal_generate")
int BPF_PROG(signal_gen, int sig, struct kernel_siginfo *info, struct task_struct *task, int group,
	     int result)
{
	struct mb_signal_event *e;
	char comm[MB_COMM_LEN] = {};
	struct mb_watch *w;
	__u32 zero = 0, watched = 0, folded = 0;
	__u64 now;

	if (sig < 1 || sig > 63 || !(sig_mask & (1ULL << sig)))
		return 0;
	/* Direct BTF loads, not a helper call: this runs for every HUP on the host. */
	__builtin_memcpy(comm, task->comm, sizeof(comm));
	w = NULL;
	if (watch_bloom & (1ULL << comm_bit(*(__u64 *)comm)))
		w = bpf_map_lookup_elem(&watch_comms, comm);
	if (w && exe_matches(w, task))
		watched = w->idx;
	else if (watch_only)
		return 0;
	now = bpf_ktime_get_boot_ns();
	if (watched) {
		count_reload(watched, sig);
		if (!reload_emit(w, task->tgid, sig, result, now, &folded))
			return 0;
	}

	e = bpf_map_lookup_elem(&sig_scratch, &zero);
	if (!e)
		return 0;
	mb_hdr_fill(&e->hdr, MB_EV_SIGNAL, now);
	mb_task_fill(&e->sender, bpf_get_current_task_btf());
	e->sig = sig;
	e->result = result;
	e->group = group;
	/* SEND_SIG_NOINFO (0) and SEND_SIG_PRIV (1) are not pointers. */
	if ((unsigned long)info > 1)
		e->code = BPF_CORE_READ(info, si_code);
	else
		e->code = info ? 0x80 /* SI_KERNEL */ : 0 /* SI_USER */;
	e->target_pid = task->pid;
	e->target_tgid = task->tgid;
	e->watched = watched;
	e->folded_total = folded;
	__builtin_memcpy(e->target_comm, comm, sizeof(comm));
	mb_submit(e, sizeof(*e), MB_PROBE_SIGNAL, now);
	return 0;
}
