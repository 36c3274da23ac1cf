/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* A bounded label table that keeps per-label series from growing without limit. */
#ifndef MAILBPF_TOPN_H
#define MAILBPF_TOPN_H

#include <stddef.h>
#include <stdint.h>
#include "../bpf/mailbpf.h"

#define MB_TOPN_KEY_LEN MB_PATH_LEN
#define MB_TOPN_OTHER "other"

struct mb_topn_entry {
	char k1[MB_TOPN_KEY_LEN];
	char k2[MB_TOPN_KEY_LEN]; /* "" for one-key tables */
	uint64_t v;
	uint32_t hash;
	int overflow; /* an "other" bucket, not counted against the limit */
};

/*
 * At most limit distinct keys get a series of their own. Past that, a new
 * key's value goes to (k1, "other") - or ("other", "") in a one-key table -
 * so a counter stays monotonic and the total stays right. Overflow buckets
 * are bounded by the distinct k1 values; should even those exceed limit,
 * the rest share ("other", "other"). Memory: at most 2 * limit + 1 entries.
 */
struct mb_topn {
	struct mb_topn_entry *e;
	size_t n; /* entries in use, overflow buckets included */
	size_t cap; /* entries allocated */
	size_t limit;
	size_t nkeyed; /* entries that are not overflow buckets */
	size_t noverflow;
};

/* 0, or -EINVAL for limit 0. Allocates nothing until the first key. */
int mb_topn_init(struct mb_topn *t, size_t limit);
void mb_topn_free(struct mb_topn *t);

/* Counter: add delta to the key's bucket. k2 NULL or "" for a one-key table. */
int mb_topn_add(struct mb_topn *t, const char *k1, const char *k2, uint64_t delta);

/* Gauge of maxima: raise the key's bucket to v if v is larger. */
int mb_topn_max(struct mb_topn *t, const char *k1, const char *k2, uint64_t v);

/* Iteration in insertion order: for (i = 0; i < mb_topn_count(t); i++). */
size_t mb_topn_count(const struct mb_topn *t);
const struct mb_topn_entry *mb_topn_at(const struct mb_topn *t, size_t i);

#endif
