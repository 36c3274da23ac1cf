/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Watched masters and their children, read from /proc (procscan.c). */
#ifndef MAILBPF_PROCSCAN_H
#define MAILBPF_PROCSCAN_H

#include <stdint.h>
#include "config.h"

/* idx is the daemon's 0-based index in the config. */
typedef void (*mb_scan_master_fn)(void *ctx, int idx, uint32_t tgid, uint64_t age_ns);
/* A living child of master ppid of daemon idx, age_ns after its fork. */
typedef void (*mb_scan_child_fn)(void *ctx, int idx, uint32_t ppid, const char *comm,
				 uint64_t age_ns);

/* now_ns is CLOCK_BOOTTIME. 0 or a negative errno (/proc unreadable, no memory). */
int mb_scan_masters(const struct mb_config *cfg, uint64_t now_ns, mb_scan_master_fn on_master,
		    mb_scan_child_fn on_child, void *ctx);

#endif
