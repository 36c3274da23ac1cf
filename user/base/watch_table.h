/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The watched-comm table the signal probe reads (struct mb_watch_slot). */
#ifndef MAILBPF_WATCH_TABLE_H
#define MAILBPF_WATCH_TABLE_H

#include "../bpf/mailbpf.h"

/*
 * Add comm (at most MB_COMM_LEN - 1 bytes) with its value to tab, which the
 * caller zeroed. 0, -EEXIST if the comm is already there, -ENOSPC if its
 * MB_WATCH_PROBES slots are taken, -EINVAL for an empty comm or idx 0.
 */
int mb_watch_table_put(struct mb_watch_slot *tab, const char *comm, const struct mb_watch *w);

/* mb_watch_hash() of comm as the probes see it (its first 8 bytes, NUL-padded). */
__u32 mb_watch_comm_hash(const char *comm);

/* The lookup signal.bpf.c makes, for tests and tools: the value or NULL. */
const struct mb_watch *mb_watch_table_find(const struct mb_watch_slot *tab, const char *comm);

#endif
