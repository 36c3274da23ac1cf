/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Turning the kernel's running counts into increments. The kernel's count
 * maps are plain hashes, deliberately not LRU (an LRU would let a flood of
 * names evict real counts; once full, new keys go to an overflow slot), so
 * a key's count only grows while the objects are loaded. Userspace exports
 * monotonic counters: each interval it compares every key with the value it
 * saw last time; a key not seen last interval, or whose count went down
 * (the objects were loaded anew), adds its whole count.
 */
#ifndef MAILBPF_DELTA_H
#define MAILBPF_DELTA_H

#include <stddef.h>
#include <stdint.h>

#define MB_DELTA_KEY 24

struct mb_delta_slot {
	uint8_t key[MB_DELTA_KEY];
	uint64_t val;
	int used;
};

struct mb_delta_table {
	struct mb_delta_slot *slots;
	size_t cap; /* a power of two, at least twice n */
	size_t n;
};

struct mb_delta {
	struct mb_delta_table cur, old; /* this interval's snapshot, the last one */
};

/* Tables start small and grow as keys appear. */
int mb_delta_init(struct mb_delta *d);
void mb_delta_free(struct mb_delta *d);

/* Start an interval: the snapshot taken so far becomes the reference. */
void mb_delta_begin(struct mb_delta *d);

/* Record key's current count; return how much it grew since the last interval. */
uint64_t mb_delta_feed(struct mb_delta *d, const void *key, size_t klen, uint64_t cur);

#endif
