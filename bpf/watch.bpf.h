/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The watched-master table (struct mb_watch_slot, two copies, see
 * bpf/mailbpf.h) as an object declares it in its global data, and the
 * lookups on it: plain loads only, because the callers run for every
 * signal or every exit on the host.
 */
#ifndef MAILBPF_WATCH_BPF_H
#define MAILBPF_WATCH_BPF_H

#include "common.bpf.h"

/* The daemon a comm (as two words) belongs to in table[gen & 1], or NULL. */
static __always_inline const struct mb_watch *
mb_watch_lookup(const struct mb_watch_slot (*table)[MB_WATCH_SLOTS], __u32 gen, const __u64 comm[2])
{
	const struct mb_watch_slot *s = mb_watch_probe(table[gen & 1], comm);

	return s && s->w.idx ? &s->w : NULL;
}

/* Only for watched comms: is the task running the configured binary? */
static __always_inline int mb_watch_exe_matches(const struct mb_watch *w, struct task_struct *task)
{
	struct inode *ino;

	if (!w->exe_dev)
		return 1;
	ino = BPF_CORE_READ(task, mm, exe_file, f_inode);
	return ino && BPF_CORE_READ(ino, i_ino) == w->exe_ino &&
	       BPF_CORE_READ(ino, i_sb, s_dev) == w->exe_dev;
}

#endif
