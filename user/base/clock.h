/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Clocks: CLOCK_BOOTTIME, the kernel's ts_ns, and its offset to the wall. */
#ifndef MAILBPF_CLOCK_H
#define MAILBPF_CLOCK_H

#include <stdint.h>

#define NS_PER_MS 1000000ULL
#define NS_PER_SEC 1000000000ULL

/* CLOCK_BOOTTIME in ns: the clock of mb_hdr.ts_ns and of every detector. */
uint64_t mb_boot_ns(void);

/* CLOCK_REALTIME - CLOCK_BOOTTIME, to date kernel timestamps. */
int64_t mb_boot_to_wall_ns(void);

#endif
