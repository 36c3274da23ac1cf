// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <string.h>
#include "names.h"
#include "ratelimit.h"

static struct mb_rl_slot *slot(struct mb_rl_slot *slots, int n, int kind, uint32_t dev,
			       const char *name)
{
	struct mb_rl_slot *victim = &slots[0];
	int i;

	for (i = 0; i < n; i++) {
		struct mb_rl_slot *r = &slots[i];

		if (r->used && r->kind == kind && r->dev == dev && !strcmp(r->name, name))
			return r;
	}
	for (i = 0; i < n; i++) {
		if (!slots[i].used) {
			victim = &slots[i];
			break;
		}
		if (slots[i].seen_ns < victim->seen_ns)
			victim = &slots[i];
	}
	memset(victim, 0, sizeof(*victim));
	victim->kind = kind;
	victim->dev = dev;
	mb_copy_fixed(victim->name, sizeof(victim->name), name, MB_PATH_LEN);
	return victim;
}

int64_t mb_rate_limit(struct mb_rl_slot *slots, int n, uint64_t gap_ns, int kind, uint32_t dev,
		      const char *name, uint64_t now, uint64_t suppressed)
{
	struct mb_rl_slot *r = slot(slots, n, kind, dev, name ? name : "");
	int64_t sup;

	r->seen_ns = now;
	if (r->used && (now < r->last_alert_ns || now - r->last_alert_ns < gap_ns)) {
		r->folded += 1 + suppressed;
		return -1;
	}
	sup = (int64_t)(r->folded + suppressed);
	r->used = 1;
	r->last_alert_ns = now;
	r->folded = 0;
	return sup;
}
