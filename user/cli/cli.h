/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Subcommands. Each returns the process exit status: 0, 1 runtime, 2 usage/config. */
#ifndef MAILBPF_CLI_H
#define MAILBPF_CLI_H

#define MB_EXIT_OK 0
#define MB_EXIT_FAIL 1
#define MB_EXIT_USAGE 2

/* cli_common.c: the subcommands' one way to take signals (SIGPIPE ignored) and -v. */
void mb_cli_signals(void (*handler)(int), const int *sigs, int n);
void mb_cli_verbose(void);

int cmd_trace(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_check(int argc, char **argv);

#endif
