// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Two open-addressing snapshots swapped each interval. Keys that vanished
 * from the kernel map simply are not carried over, and each snapshot grows
 * with the keys actually seen (not the kernel map's capacity), so an idle
 * host's daemon stays small.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "delta.h"

#define MIN_CAP 64

int mb_delta_init(struct mb_delta *d)
{
	memset(d, 0, sizeof(*d));
	d->cur.slots = calloc(MIN_CAP, sizeof(*d->cur.slots));
	d->old.slots = calloc(MIN_CAP, sizeof(*d->old.slots));
	if (!d->cur.slots || !d->old.slots) {
		mb_delta_free(d);
		return -ENOMEM;
	}
	d->cur.cap = d->old.cap = MIN_CAP;
	return 0;
}

void mb_delta_free(struct mb_delta *d)
{
	free(d->cur.slots);
	free(d->old.slots);
	memset(d, 0, sizeof(*d));
}

void mb_delta_begin(struct mb_delta *d)
{
	struct mb_delta_table t = d->old;

	d->old = d->cur;
	d->cur = t;
	memset(d->cur.slots, 0, d->cur.cap * sizeof(*d->cur.slots));
	d->cur.n = 0;
}

static size_t hash(const uint8_t *k)
{
	uint64_t h = 1469598103934665603ULL;

	for (int i = 0; i < MB_DELTA_KEY; i++)
		h = (h ^ k[i]) * 1099511628211ULL;
	return (size_t)h;
}

static struct mb_delta_slot *find(const struct mb_delta_table *t, const uint8_t *k)
{
	size_t i = hash(k) & (t->cap - 1);

	/* Linear probing; a table is at most half full, so this ends. */
	while (t->slots[i].used && memcmp(t->slots[i].key, k, MB_DELTA_KEY))
		i = (i + 1) & (t->cap - 1);
	return &t->slots[i];
}

/* Keep the table at most half full: double it and re-insert. */
static int grow(struct mb_delta_table *t)
{
	struct mb_delta_table n = { .cap = t->cap * 2 };

	n.slots = calloc(n.cap, sizeof(*n.slots));
	if (!n.slots)
		return -ENOMEM;
	for (size_t i = 0; i < t->cap; i++)
		if (t->slots[i].used)
			*find(&n, t->slots[i].key) = t->slots[i];
	n.n = t->n;
	free(t->slots);
	*t = n;
	return 0;
}

uint64_t mb_delta_feed(struct mb_delta *d, const void *key, size_t klen, uint64_t cur)
{
	uint8_t k[MB_DELTA_KEY] = {};
	struct mb_delta_slot *prev, *s;
	uint64_t delta = cur;

	memcpy(k, key, klen < MB_DELTA_KEY ? klen : MB_DELTA_KEY);
	prev = find(&d->old, k);
	/* A smaller count means the key was evicted and re-inserted. */
	if (prev->used && prev->val <= cur)
		delta = cur - prev->val;
	if ((d->cur.n + 1) * 2 > d->cur.cap && grow(&d->cur))
		return delta; /* out of memory: next interval counts it again */
	s = find(&d->cur, k);
	if (!s->used) {
		memcpy(s->key, k, MB_DELTA_KEY);
		s->used = 1;
		d->cur.n++;
	}
	s->val = cur;
	return delta;
}
