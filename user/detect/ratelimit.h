/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * One alert per (kind, key) per gap: the exec detector keys by program, the
 * fs detector by device. Records inside the gap are folded into the next
 * alert's `suppressed` count. A fixed table of slots; when it is full the
 * least recently seen one is dropped (its folded count with it: the price
 * of bounded memory).
 */
#ifndef MAILBPF_RATELIMIT_H
#define MAILBPF_RATELIMIT_H

#include <stdint.h>
#include "../bpf/mailbpf.h"

struct mb_rl_slot {
	int used;
	int kind; /* the detector's own enum */
	uint32_t dev; /* numeric key (fs: the device), 0 when keyed by name */
	char name[MB_PATH_LEN]; /* name key (exec: the program), "" when keyed by number */
	uint64_t last_alert_ns;
	uint64_t seen_ns; /* for eviction */
	uint64_t folded; /* records held back since the last alert */
};

/*
 * A record of (kind, dev, name) at now with `suppressed` more the kernel
 * already folded: the count to report as suppressed in its alert, or -1
 * when this one is folded (an alert for that key went out less than gap_ns
 * ago). name may be NULL.
 */
int64_t mb_rate_limit(struct mb_rl_slot *slots, int n, uint64_t gap_ns, int kind, uint32_t dev,
		      const char *name, uint64_t now, uint64_t suppressed);

#endif
