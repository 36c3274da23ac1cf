/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * What became of each BPF program on this kernel: probes/ fills it,
 * output/metrics renders it, `check` prints it (names: mb_prog_state_name).
 */
#ifndef MAILBPF_PROGS_H
#define MAILBPF_PROGS_H

/* One BPF program's fate on this kernel (the fs family lists each of its). */
enum mb_prog_state {
	MB_PROG_WANTED = 0, /* before load */
	MB_PROG_ATTACHED,
	MB_PROG_NO_TRACEPOINT,
	MB_PROG_LOAD_FAILED,
	MB_PROG_ATTACH_FAILED,
	MB_PROG_UNUSED, /* an alternative stands in for it, or it for a missing one */
};

#define MB_MAX_PROGS 32

struct mb_prog_status {
	char name[40]; /* the program, named for its tracepoint */
	char cat[16]; /* tracepoint category: xfs, ext4, block */
	int probe; /* enum mb_probe */
	int state; /* enum mb_prog_state */
	int err; /* negative errno of a failed load or attach */
};

#endif
