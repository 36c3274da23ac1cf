// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * mbfloor: attach tools/mbfloor.bpf.c (empty programs on mailbpf's default
 * tracepoints), print "attached", hold them until SIGTERM/SIGINT. The
 * bench's fourth configuration: the cost of the hooks themselves.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "mbfloor.skel.h"

static volatile sig_atomic_t stop;

static void on_stop(int sig)
{
	stop = 1;
}

int main(void)
{
	struct mbfloor_bpf *s;
	int err;

	s = mbfloor_bpf__open_and_load(); /* nothing to configure */
	if (!s) {
		fprintf(stderr, "mbfloor: cannot load: %s\n", strerror(errno));
		return 1;
	}
	err = mbfloor_bpf__attach(s);
	if (err) {
		fprintf(stderr, "mbfloor: cannot attach: %s\n", strerror(-err));
		mbfloor_bpf__destroy(s);
		return 1;
	}
	signal(SIGTERM, on_stop);
	signal(SIGINT, on_stop);
	printf("attached\n");
	fflush(stdout);
	while (!stop)
		pause();
	mbfloor_bpf__destroy(s);
	return 0;
}
