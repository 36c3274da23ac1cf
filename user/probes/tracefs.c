// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Where classic tracepoints are listed, and whether one is in this kernel. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>
#include <bpf/libbpf.h>
#include "log.h"
#include "probes.h"
#include "probes_int.h"

/* Classic tracepoints resolve their id through tracefs: make sure it is there. */
const char *mb_tracefs_find(void)
{
	static const char *const dirs[] = { "/sys/kernel/tracing", "/sys/kernel/debug/tracing" };
	char path[64];

	for (int i = 0; i < 2; i++) {
		snprintf(path, sizeof(path), "%s/events", dirs[i]);
		if (!access(path, F_OK))
			return dirs[i];
	}
	if (mount("tracefs", dirs[0], "tracefs", 0, NULL) == 0) {
		note("mounted tracefs at %s", dirs[0]);
		return dirs[0];
	}
	warn("tracefs is not mounted and mounting it failed: %s", strerror(errno));
	return NULL;
}

int mb_tp_exists(const struct mb_probes *p, const char *cat, const char *name)
{
	char path[256];

	if (!p->tracefs)
		return 0;
	/* The id is what attaching reads: an event directory without one is no tracepoint. */
	snprintf(path, sizeof(path), "%s/events/%s/%s/id", p->tracefs, cat, name);
	return access(path, F_OK) == 0;
}

/* Leave a program out (with a notice) when its tracepoint is missing. */
int mb_tp_want(const struct mb_probes *p, struct bpf_program *prog, const char *cat,
	       const char *name)
{
	if (mb_tp_exists(p, cat, name))
		return 1;
	note("tracepoint %s:%s not in this kernel, %s skipped", cat, name, bpf_program__name(prog));
	bpf_program__set_autoload(prog, false);
	return 0;
}
