// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * What every subcommand does the same way: its stop/reload signals through
 * sigaction without SA_RESTART (so a poll in progress returns EINTR and the
 * loop sees the flag at once), SIGPIPE ignored (a reader that went away is
 * an error on write, not a death), and -v turning on libbpf's debug log.
 */
#include <signal.h>
#include <string.h>
#include "cli.h"
#include "log.h"

void mb_cli_signals(void (*handler)(int), const int *sigs, int n)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = handler;
	sigemptyset(&sa.sa_mask);
	for (int i = 0; i < n; i++)
		sigaction(sigs[i], &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

void mb_cli_verbose(void)
{
	mb_libbpf_verbose(1);
}
