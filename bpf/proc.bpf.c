// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Process exits around watched mail-daemon masters: sched_process_exit.
 *
 * Why exits: after the reload collision of the seed, the master's children
 * failed to start and the master throttled their restarts. The daemons'
 * own rules (their sources, cited in user/detect/detect_startup.c): Dovecot 2.3
 * throttles a service whose child exits non-zero before its first status
 * (src/master/service-monitor.c), and a failed exec in the child exits 84
 * (FATAL_EXEC, src/lib/execv-const.c); Postfix throttles a service whose
 * child exits abnormally before serving a request (master_spawn.c), its
 * failed exec exits 1 a second after fork (msg_fatal() sleeps 1 s); Exim
 * exits when its re-exec on SIGHUP fails (daemon.c). So: a child of a
 * watched master exiting failed within its daemon's start-up window, and a
 * watched master exiting.
 *
 * Cost: this runs for every exit on the host (a fork+exec storm), so the
 * filter comes first and uses plain loads: the real parent's comm against
 * the watched-comm table (the signal probe's layout, filled by the same
 * userspace code), and for the unwatched case the task's own comm. Only
 * then the exe check, the exit code, the age, the count map.
 *
 * The task's mm is gone (or going) here, so the service is the comm: the
 * exec'd program's name, or the master's own when the child never exec'd
 * (a failed exec); userspace joins that case with the exec_fail record of
 * the same pid for the filename and errno.
 */
#include "common.bpf.h"
#include "watch.bpf.h"

/* Records per key per this, at most EXIT_BURST; 0 sends all. */
const volatile __u64 exit_emit_gap_ns = 0;

/*
 * A reload restarts every service at once: Dovecot's log, stats, config
 * and imap-login children may all fail in the same millisecond, and each
 * one's record is what names it (joined with its failed exec). So a key
 * gets a burst of records per gap, not one; the rest are counted.
 */
#define EXIT_BURST 8

/* Watched master comms, two copies (struct mb_watch_slot), filled by userspace. */
struct mb_watch_slot watch_table[2][MB_WATCH_SLOTS];

/*
 * Read for every failed exit on the host, in one cache line: the bloom
 * bits of the watched comms decide most of them without the table.
 */
struct mb_proc_hot hot __attribute__((aligned(64)));
/* Per daemon index + 1: its start-up window and statuses. */
struct mb_startup_cfg startup_cfg[MB_WATCH_MAX + 1];
/* Exits counted when the map below is full: exact totals all the same. */
struct mb_rate_val exit_overflow;

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, struct mb_exit_key);
	__type(value, struct mb_rate_val);
} exit_counts SEC(".maps");

/*
 * Signals a master or an admin sends to stop a process are not start-up
 * failures (Postfix skips the ones its master sent, MASTER_SENT_SIGNAL;
 * Dovecot stops processes with SIGTERM/SIGKILL): HUP INT QUIT KILL USR1
 * USR2 PIPE ALRM TERM. A crash (SEGV, ABRT, BUS, ...) is one.
 */
#define SENT_SIGNALS                                                                 \
	(MB_SIGBIT(1) | MB_SIGBIT(2) | MB_SIGBIT(3) | MB_SIGBIT(9) | MB_SIGBIT(10) | \
	 MB_SIGBIT(12) | MB_SIGBIT(13) | MB_SIGBIT(14) | MB_SIGBIT(15))

static __always_inline int code_fails(__u32 code)
{
	__u32 sig = code & 0x7f;

	if (sig)
		return !(SENT_SIGNALS & MB_SIGBIT(sig));
	return (code >> 8 & 0xff) != 0;
}

static __always_inline int status_listed(const struct mb_startup_cfg *c, __u32 code)
{
	__u32 st = code >> 8 & 0xff;

	if (code & 0x7f)
		return 0;
	return (c->status_mask[st >> 6 & 3] >> (st & 63)) & 1;
}

/* The loads a tp_btf program does directly and a raw tracepoint through probe reads. */
#define LD(direct, p, f) ((direct) ? (p)->f : BPF_CORE_READ(p, f))

/*
 * Count always; send while the key's burst in this gap lasts. The value is
 * struct mb_rate_val with last_emit_ns the gap's start and pad the records
 * sent in it. When the map is full, exit_overflow counts.
 */
static __always_inline int exit_rate_hit(const struct mb_exit_key *k, __u64 now, __u32 *suppressed)
{
	struct mb_rate_val *v = bpf_map_lookup_elem(&exit_counts, k);
	struct mb_rate_val init = { .count = 1, .last_emit_ns = now, .pad = 1 };

	*suppressed = 0;
	if (!v) {
		if (!bpf_map_update_elem(&exit_counts, k, &init, BPF_NOEXIST))
			return 1;
		v = bpf_map_lookup_elem(&exit_counts, k);
		if (!v)
			v = &exit_overflow;
	}
	__sync_fetch_and_add(&v->count, 1);
	if (!exit_emit_gap_ns)
		return 1;
	if (now - v->last_emit_ns >= exit_emit_gap_ns) {
		v->last_emit_ns = now;
		v->pad = 0;
	}
	if (v->pad >= EXIT_BURST) {
		__sync_fetch_and_add(&v->suppressed, 1);
		return 0;
	}
	v->pad++;
	*suppressed = mb_take(&v->suppressed);
	return 1;
}

static __always_inline void send(struct task_struct *task, struct task_struct *parent,
				 __u32 watched, __u32 kind, __u32 code, __u64 age, int execd,
				 const __u64 comm[2], const __u64 pcomm[2], __u64 now, int direct)
{
	struct mb_exit_key k = { .watched = watched, .kind = kind, .exit_code = code };
	struct mb_exit_event e = {};
	__u32 suppressed;

	__builtin_memcpy(k.comm, comm, sizeof(k.comm));
	if (!exit_rate_hit(&k, mb_coarse_ns(), &suppressed))
		return;
	mb_hdr_fill(&e.hdr, MB_EV_PROC_EXIT, now);
	e.pid = LD(direct, task, tgid);
	e.ppid = LD(direct, parent, tgid);
	e.watched = watched;
	e.kind = kind;
	e.exit_code = code;
	e.execd = execd;
	e.age_ns = age;
	e.suppressed = suppressed;
	__builtin_memcpy(e.comm, comm, sizeof(e.comm));
	__builtin_memcpy(e.parent_comm, pcomm, sizeof(e.parent_comm));
	mb_submit(&e, sizeof(e), MB_PROBE_PROC, now);
}

static __always_inline int maybe_watched(__u64 bloom, const __u64 comm[2])
{
	return (bloom >> (mb_watch_hash(comm[0]) & 63)) & 1;
}

static __always_inline void on_exit(struct task_struct *task, int direct)
{
	struct task_struct *parent;
	const struct mb_startup_cfg *cfg;
	const struct mb_watch *w = NULL;
	__u64 comm[2], pcomm[2], now, age, bloom;
	__u32 code, gen, kind;
	int execd, live;

	/*
	 * do_exit() has just written the exit code: a hot line. A clean exit
	 * stops here unless a start-up loop is open (ok_any: then a clean
	 * exit of that service's child ends it); in a fork+exec storm every
	 * further line is a cache (and, in a VM, TLB) miss: measured with
	 * bpf_stats, 250-370 ns over an empty program when the watch table was
	 * read for every exit. A master's clean exit (a stop) is found by the
	 * collector's /proc scan instead.
	 */
	code = LD(direct, task, exit_code);
	if (!code && !hot.ok_any)
		return;
	bloom = hot.bloom;
	gen = hot.watch_gen;
	if (direct)
		__builtin_memcpy(comm, task->comm, sizeof(comm));
	else
		BPF_CORE_READ_INTO(&comm, task, comm);
	if (code_fails(code) || !code) {
		parent = LD(direct, task, real_parent);
		if (!parent)
			return;
		if (direct)
			__builtin_memcpy(pcomm, parent->comm, sizeof(pcomm));
		else
			BPF_CORE_READ_INTO(&pcomm, parent, comm);
		if (maybe_watched(bloom, pcomm))
			w = mb_watch_lookup(watch_table, gen, pcomm);
	}
	if (!w) {
		/* Not a master's child: is it a master itself? (a failing exit) */
		if (!code || !maybe_watched(bloom, comm))
			return;
		w = mb_watch_lookup(watch_table, gen, comm);
		if (!w)
			return;
		parent = LD(direct, task, real_parent);
		if (!parent)
			return;
		if (direct)
			__builtin_memcpy(pcomm, parent->comm, sizeof(pcomm));
		else
			BPF_CORE_READ_INTO(&pcomm, parent, comm);
		/* Its parent is of a watched daemon: a child (stopped by a signal), no master. */
		if (maybe_watched(bloom, pcomm) && mb_watch_lookup(watch_table, gen, pcomm))
			return;
		/* The whole process, not one of its threads. */
		live = direct ? task->signal->live.counter :
				BPF_CORE_READ(task, signal, live.counter);
		if (live)
			return;
		now = bpf_ktime_get_boot_ns();
		age = bpf_ktime_get_ns() - LD(direct, task, start_time);
		/* Its mm is gone: userspace takes only masters it knows (by tgid). */
		send(task, parent, w->idx, MB_EXIT_MASTER, code, age, 1, comm, pcomm, now, direct);
		return;
	}
	if (w->idx > MB_WATCH_MAX)
		return;
	cfg = &startup_cfg[w->idx];
	if (!cfg->window_ns && !cfg->status_mask[1] && !cfg->status_mask[0] &&
	    !cfg->status_mask[2] && !cfg->status_mask[3])
		return;
	live = direct ? task->signal->live.counter : BPF_CORE_READ(task, signal, live.counter);
	if (live || !mb_watch_exe_matches(w, parent))
		return;
	/* start_time is CLOCK_MONOTONIC ns of the fork. */
	age = bpf_ktime_get_ns() - LD(direct, task, start_time);
	if (code_fails(code) && (age < cfg->window_ns || status_listed(cfg, code)))
		kind = MB_EXIT_STARTUP_FAIL;
	else if (!code && cfg->ok_wanted)
		kind = MB_EXIT_CHILD_OK;
	else
		return;
	/* execve bumps self_exec_id; fork copies the parent's into parent_exec_id. */
	execd = LD(direct, task, self_exec_id) != LD(direct, task, parent_exec_id);
	now = bpf_ktime_get_boot_ns();
	send(task, parent, w->idx, kind, code, age, execd, comm, pcomm, now, direct);
}

/* Only the task argument: newer kernels add group_dead, older ones lack it. */
SEC("tp_btf/sched_process_exit")
int BPF_PROG(proc_exit, struct task_struct *task)
{
	on_exit(task, 1);
	return 0;
}

/* The same through probe reads, for a kernel whose verifier refuses the above. */
SEC("raw_tp/sched_process_exit")
int BPF_PROG(proc_exit_raw, struct task_struct *task)
{
	on_exit(task, 0);
	return 0;
}
