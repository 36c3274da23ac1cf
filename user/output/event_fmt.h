/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Ring-buffer records -> validated structs -> trace lines (human or JSON). */
#ifndef MAILBPF_EVENT_FMT_H
#define MAILBPF_EVENT_FMT_H

#include <stddef.h>
#include <stdint.h>
#include "alert.h"
#include "mounts.h"
#include "names.h" /* mb_event_type_name(), mb_fs_source_name() */

/* A record from the kernel, checked for type and size before use. */
union mb_event {
	struct mb_hdr hdr;
	struct mb_exec_event exec;
	struct mb_signal_event sig;
	struct mb_fs_event fs;
	struct mb_exit_event exit;
};

/*
 * Copy a raw record into ev, NUL-terminating every string field, after
 * checking that its size matches its type. -EINVAL for a malformed record:
 * the decoder is the fuzz target for everything the kernel hands over.
 */
int mb_event_decode(union mb_event *ev, const void *data, size_t size);

/* Formatting context: the boot->wall offset and the mount table. */
struct mb_fmt {
	int64_t boot_to_wall_ns; /* add to CLOCK_BOOTTIME to get CLOCK_REALTIME */
	const struct mb_mounts *mounts;
	const struct mb_config *cfg; /* names watched daemons, may be NULL */
};

/* One line, no trailing newline. Return the length or negative errno. */
int mb_event_json(const struct mb_fmt *f, const union mb_event *ev, char *buf, size_t len);
int mb_event_human(const struct mb_fmt *f, const union mb_event *ev, char *buf, size_t len);
const char *mb_event_human_header(void);

#endif
