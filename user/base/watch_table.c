// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Building the watched-comm table. Pure: probes.c copies the result into
 * the signal probe's global data, tests check it against the same lookup
 * the BPF side makes (mb_watch_table_find() is that lookup in C).
 */
#include <errno.h>
#include <string.h>
#include "watch_table.h"

static void comm_words(const char *comm, __u64 words[2])
{
	char buf[MB_COMM_LEN] = {};

	strncpy(buf, comm, MB_COMM_LEN - 1);
	memcpy(words, buf, sizeof(buf));
}

__u32 mb_watch_comm_hash(const char *comm)
{
	__u64 words[2];

	comm_words(comm, words);
	return mb_watch_hash(words[0]);
}

/* The BPF side's own probe loop (bpf/mailbpf.h), writable here. */
static struct mb_watch_slot *slot_for(const struct mb_watch_slot *tab, const __u64 words[2])
{
	return (struct mb_watch_slot *)mb_watch_probe(tab, words);
}

int mb_watch_table_put(struct mb_watch_slot *tab, const char *comm, const struct mb_watch *w)
{
	struct mb_watch_slot *s;
	__u64 words[2];

	if (!comm[0] || !w->idx)
		return -EINVAL;
	comm_words(comm, words);
	s = slot_for(tab, words);
	if (!s)
		return -ENOSPC;
	if (s->w.idx)
		return -EEXIST;
	s->comm[0] = words[0];
	s->comm[1] = words[1];
	s->w = *w;
	return 0;
}

const struct mb_watch *mb_watch_table_find(const struct mb_watch_slot *tab, const char *comm)
{
	const struct mb_watch_slot *s;
	__u64 words[2];

	comm_words(comm, words);
	s = slot_for(tab, words);
	return s && s->w.idx ? &s->w : NULL;
}
