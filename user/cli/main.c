// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* mailbpf: eBPF monitor for mail hosts. Subcommand dispatch. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <bpf/libbpf.h>
#include "cli.h"
#include "log.h"

/* The subcommands, bpftool-style: one table for dispatch and for usage. */
static const struct cmd {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *help;
} cmds[] = {
	{ "run", cmd_run, "the daemon: detectors, node_exporter textfile, alert log" },
	{ "trace", cmd_trace, "stream the kernel events live" },
	{ "check", cmd_check, "check this host: BTF, privileges, tracepoints, textfile, daemons" },
};

static void usage(FILE *out)
{
	fprintf(out,
		"usage: mailbpf COMMAND [OPTIONS]\n"
		"Kernel-level (eBPF) monitor for mail hosts: reload collisions, exec\n"
		"failures (E2BIG) and XFS/block I/O errors, as Prometheus metrics and alerts.\n"
		"\n"
		"commands:\n");
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		fprintf(out, "  %-7s %s\n", cmds[i].name, cmds[i].help);
	fprintf(out, "\n"
		     "  mailbpf COMMAND --help    options of a command\n"
		     "  mailbpf --version\n");
}

int main(int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] : NULL;

	libbpf_set_print(mb_libbpf_print);
	if (!cmd) {
		usage(stderr);
		return MB_EXIT_USAGE;
	}
	if (!strcmp(cmd, "--version") || !strcmp(cmd, "-V")) {
		printf("mailbpf %s\n", MAILBPF_VERSION);
		return MB_EXIT_OK;
	}
	if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h") || !strcmp(cmd, "help")) {
		usage(stdout);
		return MB_EXIT_OK;
	}
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (!strcmp(cmd, cmds[i].name))
			return cmds[i].fn(argc - 1, argv + 1);
	warn("unknown command '%s'", cmd);
	usage(stderr);
	return MB_EXIT_USAGE;
}
