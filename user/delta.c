// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Two open-addressing snapshots swapped each interval. Keys that vanished
 * from the kernel map (evicted) simply are not carried over, so the tables
 * never outgrow the map they mirror.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "delta.h"

int mb_delta_init(struct mb_delta *d, size_t cap_keys)
{
	size_t cap = 16;

	while (cap < cap_keys * 2)
		cap <<= 1;
	d->cap = cap;
	d->cur = calloc(cap, sizeof(*d->cur));
	d->old = calloc(cap, sizeof(*d->old));
	if (!d->cur || !d->old) {
		mb_delta_free(d);
		return -ENOMEM;
	}
	return 0;
}

void mb_delta_free(struct mb_delta *d)
{
	free(d->cur);
	free(d->old);
	memset(d, 0, sizeof(*d));
}

void mb_delta_begin(struct mb_delta *d)
{
	struct mb_delta_slot *t = d->old;

	d->old = d->cur;
	d->cur = t;
	memset(d->cur, 0, d->cap * sizeof(*d->cur));
}

static size_t hash(const uint8_t *k)
{
	uint64_t h = 1469598103934665603ULL;

	for (int i = 0; i < MB_DELTA_KEY; i++)
		h = (h ^ k[i]) * 1099511628211ULL;
	return (size_t)h;
}

static struct mb_delta_slot *find(struct mb_delta_slot *tab, size_t cap, const uint8_t *k)
{
	size_t i = hash(k) & (cap - 1);

	/* Linear probing; the table is at most half full, so this ends. */
	while (tab[i].used && memcmp(tab[i].key, k, MB_DELTA_KEY))
		i = (i + 1) & (cap - 1);
	return &tab[i];
}

uint64_t mb_delta_feed(struct mb_delta *d, const void *key, size_t klen, uint64_t cur)
{
	uint8_t k[MB_DELTA_KEY] = {};
	struct mb_delta_slot *prev, *s;
	uint64_t delta = cur;

	memcpy(k, key, klen < MB_DELTA_KEY ? klen : MB_DELTA_KEY);
	prev = find(d->old, d->cap, k);
	/* A smaller count means the key was evicted and re-inserted. */
	if (prev->used && prev->val <= cur)
		delta = cur - prev->val;
	s = find(d->cur, d->cap, k);
	if (!s->used) {
		memcpy(s->key, k, MB_DELTA_KEY);
		s->used = 1;
	}
	s->val = cur;
	return delta;
}
