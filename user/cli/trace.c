// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * `mailbpf trace`: the same kernel events the daemon sees, streamed live.
 * Unlike `run`, nothing is rate-limited in the kernel (every failure and
 * every reload-class signal to any process gets a record) because a human
 * is watching a short window.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "cli.h"
#include "config.h"
#include "config_parse.h"
#include "devices.h"
#include "event_fmt.h"
#include "log.h"
#include "privs.h"
#include "probes.h"

static volatile sig_atomic_t exiting;

static void on_signal(int sig)
{
	exiting = 1;
}

struct trace_ctx {
	int json;
	uint32_t pid; /* -p: sender, target or failing task */
	const char *comm; /* -c */
	int type; /* --type, 0 for all */
	struct mb_fmt fmt;
	struct mb_mounts mounts;
	unsigned long long shown;
};

static int matches(const struct trace_ctx *t, const union mb_event *ev)
{
	if (t->type && (int)ev->hdr.type != t->type)
		return 0;
	switch (ev->hdr.type) {
	case MB_EV_SIGNAL:
		if (t->pid && ev->sig.sender.tgid != t->pid && ev->sig.target_tgid != t->pid &&
		    ev->sig.target_pid != t->pid)
			return 0;
		if (t->comm && strcmp(t->comm, ev->sig.sender.comm) &&
		    strcmp(t->comm, ev->sig.target_comm))
			return 0;
		return 1;
	case MB_EV_EXEC_FAIL:
	case MB_EV_EXEC_NEAR:
		if (t->pid && ev->exec.task.tgid != t->pid && ev->exec.task.pid != t->pid)
			return 0;
		return !t->comm || !strcmp(t->comm, ev->exec.task.comm);
	case MB_EV_PROC_EXIT:
		if (t->pid && ev->exit.pid != t->pid && ev->exit.ppid != t->pid)
			return 0;
		return !t->comm || !strcmp(t->comm, ev->exit.comm) ||
		       !strcmp(t->comm, ev->exit.parent_comm);
	default:
		if (t->pid && ev->fs.pid != t->pid)
			return 0;
		return !t->comm || !strcmp(t->comm, ev->fs.comm);
	}
}

static int on_event(void *ctx, void *data, size_t size)
{
	struct trace_ctx *t = ctx;
	union mb_event ev;
	char line[8192];
	int n;

	if (mb_event_decode(&ev, data, size)) {
		warn("dropping a malformed record of %zu bytes", size);
		return 0;
	}
	if (!matches(t, &ev))
		return 0;
	/* Mounts change rarely and fs events are rare: re-read on demand. */
	if (ev.hdr.type >= MB_EV_FS_ERROR && ev.hdr.type <= MB_EV_BLOCK_ERROR &&
	    !mb_mounts_find(&t->mounts, ev.fs.dev))
		mb_mounts_read(&t->mounts, "/proc/self/mountinfo");
	n = t->json ? mb_event_json(&t->fmt, &ev, line, sizeof(line)) :
		      mb_event_human(&t->fmt, &ev, line, sizeof(line));
	if (n < 0)
		return 0;
	fputs(line, stdout);
	fputc('\n', stdout);
	fflush(stdout);
	t->shown++;
	return 0;
}

static void usage(FILE *out)
{
	fprintf(out,
		"usage: mailbpf trace [--json] [-p PID] [-c COMM] [--type TYPE] [--all-signals]\n"
		"                     [-d SECONDS] [--exec-probe auto|fexit|syscall] [-v]\n"
		"Stream exec failures, reload-class signals, filesystem errors and exits\n"
		"around watched masters live.\n"
		"  -j, --json         one JSON object per line\n"
		"  -p, --pid PID      only events whose sender, target or task is PID\n"
		"  -c, --comm COMM    only events whose sender, target or task is COMM\n"
		"  -t, --type TYPE    exec_fail, exec_near, signal, fs_error, fs_shutdown,\n"
		"                     fs_corrupt, block_error or proc_exit (exits around\n"
		"                     watched masters: start-up failures, a master gone)\n"
		"  -a, --all-signals  every signal, not only HUP, USR1 and USR2\n"
		"  -d, --duration S   stop after S seconds\n"
		"  -e, --exec-probe M auto (default): the best this kernel runs; fexit: no\n"
		"                     cost on other syscalls; syscall: every syscall slower\n"
		"  -v, --verbose      libbpf debug output\n");
}

int cmd_trace(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "pid", required_argument, NULL, 'p' },
		{ "comm", required_argument, NULL, 'c' },
		{ "type", required_argument, NULL, 't' },
		{ "all-signals", no_argument, NULL, 'a' },
		{ "duration", required_argument, NULL, 'd' },
		{ "exec-probe", required_argument, NULL, 'e' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	struct trace_ctx *t = calloc(1, sizeof(*t));
	struct mb_probes_opts po = {};
	struct mb_probes probes = {};
	struct mb_config cfg;
	uint64_t drops[MB_PROBE_MAX], lost = 0;
	uint32_t duration = 0;
	time_t end = 0;
	int c, err, ret = MB_EXIT_FAIL;

	if (!t)
		return MB_EXIT_FAIL;
	mb_config_defaults(&cfg);
	po.sig_mask = MB_DEFAULT_SIGMASK;
	optind = 1;
	while ((c = getopt_long(argc, argv, "jp:c:t:ad:e:vh", opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			t->json = 1;
			break;
		case 'p':
			if (mb_config_parse_u32(optarg, 1, 0x7fffffff, &t->pid))
				goto bad_arg;
			break;
		case 'c':
			t->comm = optarg;
			break;
		case 't':
			t->type = mb_event_type_parse(optarg);
			if (t->type < 0)
				goto bad_arg;
			break;
		case 'a':
			po.sig_mask = ~1ULL;
			break;
		case 'd':
			if (mb_config_parse_u32(optarg, 1, 86400 * 365, &duration))
				goto bad_arg;
			break;
		case 'e':
			if (mb_config_parse_exec_probe(optarg, &po.exec_probe))
				goto bad_arg;
			break;
		case 'v':
			mb_cli_verbose();
			break;
		case 'h':
			usage(stdout);
			ret = MB_EXIT_OK;
			goto cleanup;
		default:
			usage(stderr);
			ret = MB_EXIT_USAGE;
			goto cleanup;
		}
	}
	if (optind < argc) {
		warn("trace: unexpected argument '%s'", argv[optind]);
		usage(stderr);
		ret = MB_EXIT_USAGE;
		goto cleanup;
	}
	err = mb_privs_check();
	if (err)
		goto cleanup;

	po.cfg = &cfg;
	po.watch_only = 0;
	po.near_permille = cfg.near_miss_pct * 10;
	po.ringbuf_bytes = 1 << 22;
	po.on_event = on_event;
	po.ctx = t;
	t->fmt.boot_to_wall_ns = mb_boot_to_wall_ns();
	t->fmt.mounts = &t->mounts;
	t->fmt.cfg = &cfg;
	mb_mounts_read(&t->mounts, "/proc/self/mountinfo");
	err = mb_probes_start(&probes, &po);
	if (err) {
		warn("cannot load the BPF probes: %s", strerror(-err));
		goto cleanup;
	}
	mb_cli_signals(on_signal, (const int[]){ SIGINT, SIGTERM }, 2);
	{
		char desc[512];

		note("tracing (attached in %llu ms, exec probe %s); Ctrl-C to stop",
		     (unsigned long long)probes.attach_ns / 1000000,
		     mb_probes_exec_desc(&probes, desc, sizeof(desc)));
	}
	if (!t->json)
		printf("%s\n", mb_event_human_header());
	fflush(stdout);
	if (duration)
		end = time(NULL) + duration;
	while (!exiting && (!end || time(NULL) < end)) {
		err = mb_probes_poll(&probes, 100);
		if (err < 0 && err != -EINTR) {
			warn("polling the ring buffer failed: %s", strerror(-err));
			goto cleanup;
		}
		if (ferror(stdout)) /* reader went away (a closed pipe) */
			break;
	}
	mb_probes_poll(&probes, 0);
	mb_probes_drops(&probes, drops);
	for (int i = 0; i < MB_PROBE_MAX; i++)
		lost += drops[i];
	note("%llu events shown, %llu lost", t->shown, (unsigned long long)lost);
	ret = MB_EXIT_OK;
	goto cleanup;
bad_arg:
	warn("trace: invalid value '%s' for -%c", optarg, c);
	usage(stderr);
	ret = MB_EXIT_USAGE;
cleanup:
	mb_probes_stop(&probes);
	free(t);
	return ret;
}
