/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The one header shared by the BPF programs and the userspace collector.
 * Every record crossing the ring buffer or a map is defined here with
 * fixed-width fields only (no pointers, no bool) so both compilers agree on
 * the layout; _Static_assert pins the sizes.
 */
#ifndef MAILBPF_H
#define MAILBPF_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

#define MB_COMM_LEN 16
#define MB_PATH_LEN 256
#define MB_ANCESTORS 4
#define MB_DETAIL_LEN 32
/* An environment variable's name as sent: the string's first bytes, cut at
 * '=' in userspace. argv strings are never sent (they can hold secrets). */
#define MB_ENV_NAME_LEN 64

/* Reload counts: a per-CPU array indexed watched * 64 + signal. */
#define MB_SIG_SLOTS ((MB_WATCH_MAX + 1) * 64)
#define MB_WATCH_MAX 8

/* Per-errno arrays: errno values above this share the last slot. */
#define MB_ERRNO_MAX 256

/* Kernel constants from include/uapi/linux/binfmts.h and fs/exec.c. */
#define MB_MAX_ARG_STRLEN (32UL * 4096)
#define MB_ARG_MAX (32UL * 4096)
#define MB_STK_LIM (8UL * 1024 * 1024)

/* Reload-class signals watched by default: SIGHUP, SIGUSR1, SIGUSR2. */
#define MB_SIGBIT(s) (1ULL << (s))
#define MB_DEFAULT_SIGMASK (MB_SIGBIT(1) | MB_SIGBIT(10) | MB_SIGBIT(12))

enum mb_event_type {
	MB_EV_EXEC_FAIL = 1, /* execve/execveat returned an error */
	MB_EV_EXEC_NEAR = 2, /* successful exec that used much of its limit */
	MB_EV_SIGNAL = 3, /* reload-class signal generated */
	MB_EV_FS_ERROR = 4, /* xfs buffer I/O error, ext4 error */
	MB_EV_FS_SHUTDOWN = 5, /* xfs or ext4 forced shutdown */
	MB_EV_FS_CORRUPT = 6, /* xfs corruption / sick metadata */
	MB_EV_BLOCK_ERROR = 7, /* block request completed with an error */
	MB_EV_PROC_EXIT = 8, /* a watched master's child, or the master, exited */
	MB_EV_MAX,
};

/* Probes, for per-probe drop counters and attach status. */
enum mb_probe {
	MB_PROBE_EXEC = 0,
	MB_PROBE_EXEC_NEAR = 1,
	MB_PROBE_SIGNAL = 2,
	MB_PROBE_XFS = 3,
	MB_PROBE_BLOCK = 4,
	MB_PROBE_EXT4 = 5,
	MB_PROBE_PROC = 6, /* sched_process_exit */
	MB_PROBE_MAX,
};

/* signal_generate's result (include/trace/events/signal.h). */
enum mb_sig_result {
	MB_SIG_DELIVERED = 0,
	MB_SIG_IGNORED = 1,
	MB_SIG_ALREADY_PENDING = 2,
	MB_SIG_OVERFLOW_FAIL = 3,
	MB_SIG_LOSE_INFO = 4,
};

/* Which tracepoint produced an fs/block record. */
enum mb_fs_source {
	MB_FS_BUF_IOERROR = 1,
	MB_FS_FORCE_SHUTDOWN = 2,
	MB_FS_MARK_SICK = 3,
	MB_FS_MARK_CORRUPT = 4,
	MB_FS_INODE_SICK = 5,
	MB_FS_INODE_CORRUPT = 6,
	MB_FS_GROUP_SICK = 7,
	MB_FS_GROUP_CORRUPT = 8,
	MB_FS_BTREE_CORRUPT = 9,
	MB_FS_UNFIXED_CORRUPTION = 10,
	MB_FS_BLOCK_RQ_ERROR = 11,
	MB_FS_STAT_EIO = 12, /* userspace: the mount root answers EIO (any shutdown path) */
	MB_FS_EXT4_ERROR = 13, /* detail: the kernel function, nr: its line */
	MB_FS_EXT4_SHUTDOWN = 14, /* flags: EXT4_GOING_FLAGS_* */
	MB_FS_AG_SICK = 15, /* xfs_ag_mark_sick, the name before 6.13 */
	MB_FS_AG_CORRUPT = 16,
	MB_FS_BLOCK_NOTSUPP = 17, /* counted only: an unsupported discard/write-zeroes */
	MB_FS_MNT_SHUTDOWN = 18, /* userspace: mountinfo says "shutdown" (ext4) */
};

#define MB_EXEC_F_EXECVEAT (1U << 0) /* came from execveat */
#define MB_EXEC_F_TRUNCATED (1U << 1) /* argv/env walk stopped early */
#define MB_EXEC_F_OVER_STRLEN (1U << 2) /* one string > MAX_ARG_STRLEN */
#define MB_EXEC_F_SIZES (1U << 3) /* sizes were measured */
#define MB_EXEC_F_NEAR_STRLEN (1U << 4) /* near miss: one string close to MAX_ARG_STRLEN */

struct mb_hdr {
	__u32 type; /* enum mb_event_type */
	__u32 cpu;
	__u64 ts_ns; /* CLOCK_BOOTTIME */
};

/* The task and up to MB_ANCESTORS of its parents, read in the kernel:
 * a reload sender (cron's shell, a panel's helper) is often gone
 * a millisecond after it signals.
 */
struct mb_task {
	__u32 pid;
	__u32 tgid;
	__u32 ppid;
	__u32 uid;
	__u64 cgroup_id;
	char comm[MB_COMM_LEN];
	__u32 anc_tgid[MB_ANCESTORS];
	char anc_comm[MB_ANCESTORS][MB_COMM_LEN];
};

struct mb_exec_event {
	struct mb_hdr hdr;
	struct mb_task task;
	__s32 err; /* positive errno, 0 for near misses */
	__u32 flags; /* MB_EXEC_F_* */
	__u32 argc;
	__u32 envc;
	__u64 argv_bytes; /* sum of strlen+1 over argv */
	__u64 env_bytes; /* sum of strlen+1 over envp */
	__u64 longest; /* longest single string incl. NUL */
	__u64 limit; /* the process's total limit: max(min(rlim_stack/4, 6M), ARG_MAX) */
	__u64 rlim_stack;
	__u32 longest_idx; /* index of that string in argv (or envp, see is_env) */
	__u32 longest_is_env;
	__u32 suppressed; /* same-key failures folded in since the last record */
	__u32 pad;
	char filename[MB_PATH_LEN];
	char longest_name[MB_ENV_NAME_LEN]; /* longest is an env string: its start */
};

struct mb_signal_event {
	struct mb_hdr hdr;
	struct mb_task sender;
	__u32 sig;
	__s32 result; /* enum mb_sig_result */
	__s32 code; /* si_code: SI_USER, SI_QUEUE, SI_KERNEL, ... */
	__u32 group; /* 1 when sent to the whole thread group */
	__u32 target_pid;
	__u32 target_tgid;
	__u32 watched; /* index+1 of the watched daemon, 0 if none */
	__u32 folded_total; /* colliding reloads to this target folded so far, ever */
	char target_comm[MB_COMM_LEN];
};

struct mb_fs_event {
	struct mb_hdr hdr;
	__u32 dev; /* kernel dev_t: major << 20 | minor */
	__u32 source; /* enum mb_fs_source */
	__s32 error; /* negative errno from the tracepoint, or 0 */
	__u32 flags; /* shutdown flags / sick mask / buffer flags */
	__u64 sector; /* daddr or sector */
	__u64 ino;
	__u32 nr; /* sectors or line number */
	__u32 suppressed;
	__u32 pid;
	__u32 pad;
	char comm[MB_COMM_LEN];
	char detail[MB_DETAIL_LEN]; /* shutdown file name, ext4 function, block rwbs */
};

/* Kernel-side aggregates, read by userspace each interval: exact counts
 * whether or not a record reached the ring buffer.
 */
struct mb_exec_key {
	__s32 err;
	__u32 pad;
	char comm[MB_COMM_LEN]; /* the failing caller's comm */
};

struct mb_rate_val {
	__u64 count; /* every event for the key, ever */
	__u64 last_emit_ns;
	__u32 suppressed; /* events since the last record sent */
	__u32 pad;
};

struct mb_sig_key {
	__u32 watched; /* index+1 of the watched daemon */
	__u32 sig;
};

/* A watched comm's daemon, and optionally the master's executable
 * (inode + kernel dev_t): a generic comm like Postfix's "master" is only
 * that daemon when /proc/PID/exe is the configured binary. */
struct mb_watch {
	__u32 idx; /* index + 1 in the config */
	__u32 exe_dev; /* 0: no executable check */
	__u64 exe_ino;
	__u64 window_ns; /* a reload within this of the last one collides */
};

/*
 * Per watched master, in slot tgid % MB_RELOAD_SLOTS of a plain global
 * array (no map lookup on the signal path): enough to tell a collision in
 * the kernel and to send only the records a human needs (first reload,
 * first collision, then one a second) while a storm is counted, not
 * shipped. folded only grows, per slot, even when another master takes the
 * slot over, so userspace reads increments at any time without a race.
 */
#define MB_RELOAD_SLOTS 1024

struct mb_reload_state {
	__u64 last_ns; /* last reload, jiffies in ns (coarse_to_boot_ns converts) */
	__u64 last_emit_ns; /* last record sent, same clock */
	__u32 folded; /* collisions not sent as records, ever, in this slot */
	__u32 collision_sent; /* a collision record went out since the last quiet reload */
	__u32 watched; /* daemon index + 1, 0: slot never used */
	__u32 sig; /* last signal */
	__u32 tgid; /* the master using the slot now */
	__u32 pad;
};

/*
 * Watched master comms as an open-addressed table the signal probe reads
 * with plain loads, no helper call, for every reload-class signal on the
 * host: slot = mb_watch_hash(first 8 bytes), then the next slots, at most
 * MB_WATCH_PROBES; an empty slot (idx 0) ends the search. The probe keeps
 * two copies: userspace fills the one not in use, then flips watch_gen.
 */
#define MB_WATCH_SLOTS 256
#define MB_WATCH_PROBES 8

struct mb_watch_slot {
	__u64 comm[2]; /* the comm, NUL-padded, as two words */
	struct mb_watch w;
};

static inline __u32 mb_watch_hash(__u64 first8)
{
	return (__u32)((first8 * 0x9E3779B97F4A7C15ULL) >> 56); /* 8 bits: MB_WATCH_SLOTS */
}

/*
 * The one probe loop, for the BPF lookups (bpf/watch.bpf.h) and the table
 * userspace builds and unit-tests (user/base/watch_table.c): the slot
 * holding comm, else the empty slot that ends its probe sequence, else
 * NULL (the sequence is full). Plain loads; the loop is bounded.
 */
static inline __attribute__((always_inline)) const struct mb_watch_slot *
mb_watch_probe(const struct mb_watch_slot *tab, const __u64 comm[2])
{
	__u32 h = mb_watch_hash(comm[0]);

	for (int i = 0; i < MB_WATCH_PROBES; i++) {
		const struct mb_watch_slot *s = &tab[(h + i) & (MB_WATCH_SLOTS - 1)];

		if (!s->w.idx || (s->comm[0] == comm[0] && s->comm[1] == comm[1]))
			return s;
	}
	return 0;
}

struct mb_fs_key {
	__u32 dev;
	__u32 source;
};

/* Worst exec argument usage seen per program (near-miss gauge). */
struct mb_near_val {
	__u64 used; /* bytes: strings + pointers, or the longest string (by_strlen) */
	__u64 limit; /* the total limit, or MAX_ARG_STRLEN (by_strlen) */
	__u64 count; /* execs above the warning share */
	__u32 by_strlen; /* the worst share was one string against MAX_ARG_STRLEN */
	__u32 pad;
};

/*
 * Process exits around watched masters (bpf/proc.bpf.c). A child of a
 * master that exits failing within its daemon's start-up window (or with
 * one of its daemon's start-up statuses at any age) is a start-up failure;
 * a master that exits is the daemon gone.
 */
enum mb_exit_kind {
	MB_EXIT_STARTUP_FAIL = 1, /* child of a master, failed at start-up */
	MB_EXIT_CHILD_OK =
		2, /* child of a master exited 0 (sent while its daemon's loop is open) */
	MB_EXIT_MASTER = 3, /* a watched comm whose parent is not of its daemon, exit != 0 */
};

/* Per daemon (index + 1), filled by userspace next to the watch table. */
struct mb_startup_cfg {
	__u64 window_ns; /* 0 and no status bits: children of this daemon are not looked at */
	__u64 status_mask[4]; /* exit statuses 0..255 that are start-up failures at any age */
	__u32 ok_wanted; /* send MB_EXIT_CHILD_OK records too (a loop is open) */
	__u32 pad;
};

/* The exit probe's per-exit globals, one cache line (bpf/proc.bpf.c). */
struct mb_proc_hot {
	__u64 bloom; /* bit mb_watch_hash(comm[0]) & 63 of every watched comm */
	__u32 watch_gen; /* which watch_table copy is in use */
	__u32 ok_any; /* some daemon's ok_wanted is set */
};

struct mb_exit_event {
	struct mb_hdr hdr;
	__u32 pid; /* tgid of the exiting process */
	__u32 ppid; /* its real parent's tgid */
	__u32 watched; /* daemon index + 1: the parent's, or the master's own */
	__u32 kind; /* enum mb_exit_kind */
	__u32 exit_code; /* wait status: exit status << 8, or the signal (| 0x80 core) */
	__u32 execd; /* 1: the child exec'd a program (comm is that program's) */
	__u64 age_ns; /* since fork */
	__u32 suppressed; /* same-key exits folded in since the last record */
	__u32 pad;
	char comm[MB_COMM_LEN];
	char parent_comm[MB_COMM_LEN];
};

/* Exact exits per key (the map behind mailbpf_service_startup_failures_total). */
struct mb_exit_key {
	__u32 watched;
	__u32 kind;
	__u32 exit_code;
	__u32 pad;
	char comm[MB_COMM_LEN];
};

_Static_assert(sizeof(struct mb_hdr) == 16, "mb_hdr size");
_Static_assert(sizeof(struct mb_task) == 120, "mb_task size");
_Static_assert(sizeof(struct mb_exec_event) == 528, "mb_exec_event size");
_Static_assert(sizeof(struct mb_signal_event) == 184, "mb_signal_event size");
_Static_assert(sizeof(struct mb_fs_event) == 112, "mb_fs_event size");
_Static_assert(sizeof(struct mb_exec_key) == 24, "mb_exec_key size");
_Static_assert(sizeof(struct mb_rate_val) == 24, "mb_rate_val size");
_Static_assert(sizeof(struct mb_near_val) == 32, "mb_near_val size");
_Static_assert(sizeof(struct mb_watch) == 24, "mb_watch size");
_Static_assert(sizeof(struct mb_watch_slot) == 40, "mb_watch_slot size");
_Static_assert(MB_WATCH_SLOTS == 256, "mb_watch_hash() returns 8 bits");
_Static_assert(sizeof(struct mb_reload_state) == 40, "mb_reload_state size");
_Static_assert(sizeof(struct mb_startup_cfg) == 48, "mb_startup_cfg size");
_Static_assert(sizeof(struct mb_exit_event) == 88, "mb_exit_event size");
_Static_assert(sizeof(struct mb_exit_key) == 32, "mb_exit_key size");
_Static_assert(sizeof(struct mb_proc_hot) == 16, "mb_proc_hot size");

#endif /* MAILBPF_H */
