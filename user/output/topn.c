// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Bounded label table. A label value taken from the kernel (a program
 * name, a sender's comm) is chosen by whoever runs things on the host, so
 * without a bound one noisy user could create series until Prometheus
 * chokes. Tables are small (top_n, at most 1000), so a linear scan with a
 * hash to skip most string compares is enough.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "topn.h"

int mb_topn_init(struct mb_topn *t, size_t limit)
{
	memset(t, 0, sizeof(*t));
	if (!limit || limit > SIZE_MAX / 4 / sizeof(*t->e))
		return -EINVAL;
	t->limit = limit;
	return 0;
}

void mb_topn_free(struct mb_topn *t)
{
	free(t->e);
	memset(t, 0, sizeof(*t));
}

static uint32_t key_hash(const char *k1, const char *k2)
{
	uint32_t h = 2166136261u; /* FNV-1a, with a 0 between the two keys */
	const char *s;

	for (s = k1; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	h *= 16777619u;
	for (s = k2; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}

static struct mb_topn_entry *topn_find(struct mb_topn *t, const char *k1, const char *k2)
{
	uint32_t h = key_hash(k1, k2);
	size_t i;

	for (i = 0; i < t->n; i++) {
		if (t->e[i].hash == h && !strcmp(t->e[i].k1, k1) && !strcmp(t->e[i].k2, k2))
			return &t->e[i];
	}
	return NULL;
}

static struct mb_topn_entry *topn_insert(struct mb_topn *t, const char *k1, const char *k2,
					 int overflow)
{
	struct mb_topn_entry *e;
	size_t cap;

	/* limit keyed + limit "other" buckets + ("other","other") + ("other",""). */
	if (t->n == t->cap) {
		cap = t->cap ? t->cap * 2 : 8;
		if (cap > 2 * t->limit + 2)
			cap = 2 * t->limit + 2;
		if (cap <= t->n)
			return NULL;
		e = realloc(t->e, cap * sizeof(*e));
		if (!e)
			return NULL;
		t->e = e;
		t->cap = cap;
	}
	e = &t->e[t->n++];
	memset(e, 0, sizeof(*e));
	snprintf(e->k1, sizeof(e->k1), "%s", k1);
	snprintf(e->k2, sizeof(e->k2), "%s", k2);
	e->hash = key_hash(e->k1, e->k2);
	e->overflow = overflow;
	if (overflow)
		t->noverflow++;
	else
		t->nkeyed++;
	return e;
}

/* The bucket a key's value goes to, created if there is room for it. */
static struct mb_topn_entry *topn_slot(struct mb_topn *t, const char *k1, const char *k2)
{
	char a[MB_TOPN_KEY_LEN], b[MB_TOPN_KEY_LEN];
	int two = k2 && *k2; /* "" and NULL both mean a one-key table */
	struct mb_topn_entry *e;

	/* Compare keys as they would be stored, truncated. */
	snprintf(a, sizeof(a), "%s", k1 ? k1 : "");
	snprintf(b, sizeof(b), "%s", k2 ? k2 : "");
	e = topn_find(t, a, b);
	if (e)
		return e;
	if (t->nkeyed < t->limit)
		return topn_insert(t, a, b, 0);
	if (two)
		snprintf(b, sizeof(b), MB_TOPN_OTHER);
	else
		snprintf(a, sizeof(a), MB_TOPN_OTHER);
	e = topn_find(t, a, b);
	if (e)
		return e;
	if (t->noverflow < t->limit || !two)
		return topn_insert(t, a, b, 1);
	e = topn_find(t, MB_TOPN_OTHER, MB_TOPN_OTHER);
	return e ? e : topn_insert(t, MB_TOPN_OTHER, MB_TOPN_OTHER, 1);
}

int mb_topn_add(struct mb_topn *t, const char *k1, const char *k2, uint64_t delta)
{
	struct mb_topn_entry *e = topn_slot(t, k1, k2);

	if (!e)
		return -ENOMEM;
	e->v += delta;
	return 0;
}

int mb_topn_max(struct mb_topn *t, const char *k1, const char *k2, uint64_t v)
{
	struct mb_topn_entry *e = topn_slot(t, k1, k2);

	if (!e)
		return -ENOMEM;
	if (v > e->v)
		e->v = v;
	return 0;
}

size_t mb_topn_count(const struct mb_topn *t)
{
	return t->n;
}

const struct mb_topn_entry *mb_topn_at(const struct mb_topn *t, size_t i)
{
	return i < t->n ? &t->e[i] : NULL;
}
