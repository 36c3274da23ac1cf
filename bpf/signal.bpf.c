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
#include "watch.bpf.h"

const volatile __u64 sig_mask = MB_DEFAULT_SIGMASK;
const volatile __u32 watch_only = 1;
/* While reloads to a master keep colliding, one record per this; 0 sends all. */
const volatile __u64 sig_emit_gap_ns = 0;

/* Watched master comms (struct mb_watch_slot), two copies, filled by userspace. */
struct mb_watch_slot watch_table[2][MB_WATCH_SLOTS];
__u32 watch_gen;

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

/* boot-time ns minus mb_coarse_ns(), as of the last record: userspace converts
 * reload_state times with it (a fold always follows a record). */
__u64 coarse_to_boot_ns;

/* Per watched master, slot tgid % MB_RELOAD_SLOTS (see struct mb_reload_state);
 * its times are mb_coarse_ns(): collision windows are seconds. */
struct mb_reload_state reload_slots[MB_RELOAD_SLOTS];

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

/*
 * Does this reload to a watched master deserve a record? The first reload
 * after a quiet window and the first collision always do (the alert must
 * not wait); further collisions one per sig_emit_gap_ns, the rest only
 * counted in `folded`, which userspace reads. Every reload is counted anyway.
 */
static __always_inline int reload_emit(const struct mb_watch *w, __u32 tgid, int sig, int result,
				       __u64 now, __u32 *folded)
{
	struct mb_reload_state *st = &reload_slots[tgid & (MB_RELOAD_SLOTS - 1)];
	int collide;

	*folded = 0;
	if (!sig_emit_gap_ns)
		return 1;
	if (st->tgid != tgid || !st->watched) {
		/* A new master here: fresh timing, the slot's folded count stays. */
		st->tgid = tgid;
		st->last_ns = now;
		st->last_emit_ns = now;
		st->collision_sent = 0;
		st->watched = w->idx;
		st->sig = sig;
		*folded = st->folded;
		return 1;
	}
	collide = now - st->last_ns < w->window_ns || result == MB_SIG_ALREADY_PENDING;
	st->last_ns = now;
	st->watched = w->idx;
	st->sig = sig;
	if (collide && st->collision_sent && now - st->last_emit_ns < sig_emit_gap_ns) {
		/* signal_generate runs under the target's siglock; the atomic
		 * is for two masters sharing a slot, never losing a count. */
		__sync_fetch_and_add(&st->folded, 1);
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
	__u64 comm[2];
	const struct mb_watch *w;
	__u32 zero = 0, watched = 0, folded = 0;
	__u64 now;

	if (sig < 1 || sig > 63 || !(sig_mask & (1ULL << sig)))
		return 0;
	/* Direct BTF loads, not a helper call: this runs for every HUP on the host. */
	__builtin_memcpy(comm, task->comm, sizeof(comm));
	/* Plain loads: an unwatched comm usually stops at the first, empty, slot. */
	w = mb_watch_lookup(watch_table, watch_gen, comm);
	if (w && mb_watch_exe_matches(w, task))
		watched = w->idx;
	else if (watch_only)
		return 0;
	if (watched) {
		count_reload(watched, sig);
		if (!reload_emit(w, task->tgid, sig, result, mb_coarse_ns(), &folded))
			return 0;
	}
	now = bpf_ktime_get_boot_ns();
	if (watched)
		coarse_to_boot_ns = now - mb_coarse_ns();

	e = bpf_map_lookup_elem(&sig_scratch, &zero);
	if (!e)
		return 0;
	mb_hdr_fill(&e->hdr, MB_EV_SIGNAL, now);
	mb_task_fill(&e->sender, mb_current_task());
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
