// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * `mailbpf check`: is this host ready for `mailbpf run`? Each line is OK,
 * WARN (works, but something an admin should know) or FAIL (run would not
 * work). The probes are really loaded and attached, then detached: a kernel
 * that passes here runs the daemon.
 */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cli.h"
#include "daemon.h"
#include "log.h"
#include "privs.h"
#include "spool.h"

/*
 * "/proc/NAME/cmdline" for any directory entry: sized for NAME_MAX rather
 * than for a pid, so no compiler has to prove the name short.
 */
#define PROC_PATH_LEN (sizeof("/proc//cmdline") + NAME_MAX)

struct tally {
	int fail, warn;
};

static void line(struct tally *t, const char *level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void line(struct tally *t, const char *level, const char *fmt, ...)
{
	va_list ap;

	if (!strcmp(level, "FAIL"))
		t->fail++;
	else if (!strcmp(level, "WARN"))
		t->warn++;
	printf("%-4s  ", level);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

static int ignore_event(void *ctx, void *data, size_t size)
{
	return 0;
}

static int read_small(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "re");
	size_t n;

	if (!f)
		return -errno;
	n = fread(buf, 1, len - 1, f);
	buf[n] = 0;
	fclose(f);
	return (int)n;
}

/* Masters: processes with a watched comm whose parent has another comm. */
static void check_daemons(struct tally *t, const struct mb_config *cfg)
{
	for (int i = 0; i < cfg->ndaemons; i++) {
		const struct mb_daemon_cfg *dc = &cfg->daemons[i];
		char pids[256] = "";
		size_t o = 0;
		struct dirent *de;
		DIR *proc = opendir("/proc");

		while (proc && (de = readdir(proc))) {
			char path[PROC_PATH_LEN], comm[64], stat[512], pcomm[64];
			long ppid = 0;
			char *rp;

			if (de->d_name[0] < '1' || de->d_name[0] > '9')
				continue;
			snprintf(path, sizeof(path), "/proc/%s/comm", de->d_name);
			if (read_small(path, comm, sizeof(comm)) <= 0)
				continue;
			comm[strcspn(comm, "\n")] = 0;
			if (mb_config_daemon_for_comm(cfg, comm) != i + 1)
				continue;
			/* A generic comm ("master") is this daemon only with its binary. */
			if (dc->exe[0]) {
				char exe[MB_PATH_LEN];
				ssize_t n;

				snprintf(path, sizeof(path), "/proc/%s/exe", de->d_name);
				n = readlink(path, exe, sizeof(exe) - 1);
				if (n < 0 || (exe[n] = 0, strcmp(exe, dc->exe)))
					continue;
			}
			snprintf(path, sizeof(path), "/proc/%s/stat", de->d_name);
			if (read_small(path, stat, sizeof(stat)) <= 0 || !(rp = strrchr(stat, ')')))
				continue;
			sscanf(rp + 2, "%*c %ld", &ppid);
			snprintf(path, sizeof(path), "/proc/%ld/comm", ppid);
			if (read_small(path, pcomm, sizeof(pcomm)) > 0 &&
			    !strcmp(strtok(pcomm, "\n") ?: "", comm))
				continue;
			if (o < sizeof(pids))
				o += snprintf(pids + o, sizeof(pids) - o, "%s%s", o ? "," : "",
					      de->d_name);
		}
		if (proc)
			closedir(proc);
		if (o)
			line(t, "OK", "daemon %s: master pid %s", dc->name, pids);
		else
			line(t, "WARN", "daemon %s: not running (comm %s)", dc->name, dc->comms[0]);
	}
}

/* node_exporter must read the directory the textfile goes to. */
static void check_node_exporter(struct tally *t, const struct mb_config *cfg)
{
	char dir[MB_PATH_LEN], want[MB_PATH_LEN + 40];
	int found = 0, configured = 0;
	struct dirent *de;
	DIR *proc = opendir("/proc");

	mb_textfile_dir(cfg->textfile, dir, sizeof(dir));
	snprintf(want, sizeof(want), "--collector.textfile.directory=%s", dir);
	while (proc && (de = readdir(proc))) {
		char path[PROC_PATH_LEN], cmd[4096];
		int n;

		if (de->d_name[0] < '1' || de->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/cmdline", de->d_name);
		n = read_small(path, cmd, sizeof(cmd));
		if (n <= 0 || (!strstr(cmd, "node_exporter") && !strstr(cmd, "node-exporter")))
			continue;
		found = 1;
		/* Debian's build defaults to /var/lib/prometheus/node-exporter. */
		configured = !strcmp(dir, "/var/lib/prometheus/node-exporter");
		for (char *a = cmd; a < cmd + n; a += strlen(a) + 1)
			if (!strncmp(a, "--collector.textfile.directory", 30))
				configured = !strcmp(a, want);
	}
	if (proc)
		closedir(proc);
	if (!found)
		line(t, "WARN", "node_exporter: not running; nothing will serve %s", cfg->textfile);
	else if (!configured)
		line(t, "WARN", "node_exporter: running, but not reading %s (%s)", dir, want);
	else
		line(t, "OK", "node_exporter: textfile collector reads %s", dir);
}

/* The textfile fails with the filesystem it is on: is that the spool's? */
static void check_spool(struct tally *t, const struct mb_config *cfg)
{
	char dir[MB_PATH_LEN], dirs[MB_SPOOL_MAX][MB_PATH_LEN], shared[4 * MB_PATH_LEN];
	int n = mb_spool_dirs(dirs, MB_SPOOL_MAX), k;

	mb_textfile_dir(cfg->textfile, dir, sizeof(dir));
	k = mb_spool_shared(dir, dirs, n, shared, sizeof(shared));
	if (k < 0)
		return; /* the textfile directory line above said why */
	if (!k)
		line(t, "OK", "textfile directory %s: not on the mail spool's filesystem", dir);
	else if (cfg->listen[0] || cfg->nalertmanagers)
		line(t, "OK",
		     "textfile directory %s: on the filesystem of the mail spool (%s); alerts also "
		     "leave by %s",
		     dir, shared, cfg->listen[0] ? "listen" : "alertmanager_url");
	else
		line(t, "WARN",
		     "textfile directory %s: on the filesystem of the mail spool (%s): if it fails, "
		     "the textfile cannot be written or read and no alert about it gets out; set "
		     "listen (Prometheus scrapes from memory) or alertmanager_url (alerts pushed) "
		     "and allow networking (deploy/systemd/network.conf)",
		     dir, shared);
}

int cmd_check(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "textfile", required_argument, NULL, 't' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	const char *config = MB_DEFAULT_CONFIG, *textfile = NULL;
	struct mb_probes_opts po = { .on_event = ignore_event, .ringbuf_bytes = 1 << 16 };
	struct mb_probes probes;
	char desc[512];
	struct tally t = {};
	struct mb_config cfg;
	char err[512];
	int c, explicit_path = 0;

	optind = 1;
	while ((c = getopt_long(argc, argv, "c:t:vh", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			config = optarg;
			explicit_path = 1;
			break;
		case 't':
			textfile = optarg;
			break;
		case 'v':
			mb_cli_verbose();
			break;
		case 'h':
			printf("usage: mailbpf check [--config FILE] [--textfile PATH] [-v]\n");
			return MB_EXIT_OK;
		default:
			fprintf(stderr,
				"usage: mailbpf check [--config FILE] [--textfile PATH] [-v]\n");
			return MB_EXIT_USAGE;
		}
	}
	mb_config_defaults(&cfg);
	if (explicit_path || access(config, F_OK) == 0) {
		if (mb_config_load(&cfg, config, err, sizeof(err)))
			line(&t, "FAIL", "config: %s", err);
		else
			line(&t, "OK", "config: %s", config);
	} else {
		line(&t, "OK", "config: embedded defaults (%s absent)", config);
	}
	if (textfile)
		snprintf(cfg.textfile, sizeof(cfg.textfile), "%s", textfile);

	if (access("/sys/kernel/btf/vmlinux", R_OK))
		line(&t, "FAIL", "kernel BTF: /sys/kernel/btf/vmlinux: %s", strerror(errno));
	else
		line(&t, "OK", "kernel BTF: /sys/kernel/btf/vmlinux");
	if (mb_privs_check()) {
		line(&t, "FAIL", "privileges: need root or CAP_BPF+CAP_PERFMON");
	} else {
		line(&t, "OK", "privileges: can load BPF");
		po.cfg = &cfg;
		po.watch_only = 1;
		po.sig_mask = MB_DEFAULT_SIGMASK;
		po.near_permille = 500;
		po.exec_probe = cfg.exec_probe;
		if (mb_probes_start(&probes, &po)) {
			line(&t, "FAIL", "probes: none could be loaded (see above; -v in run)");
		} else {
			for (int i = 0; i < MB_PROBE_MAX; i++)
				line(&t,
				     probes.attached[i] ? "OK" :
				     i >= MB_PROBE_XFS	? "WARN" :
							  "FAIL",
				     "probe %s: %s", mb_probe_name(i),
				     probes.attached[i] ? "attached" : "not attached");
			/* Programs left out alone: the family runs without them. */
			for (int i = 0; i < probes.nprogs; i++) {
				const struct mb_prog_status *st = &probes.progs[i];

				if (st->state != MB_PROG_ATTACHED && st->state != MB_PROG_UNUSED)
					line(&t, "WARN", "probe %s: %s left out: %s",
					     mb_probe_name(st->probe), st->name,
					     mb_prog_state_name(st->state));
			}
			/* The syscall tier slows every syscall down: worth a look. */
			line(&t,
			     !probes.exec ? "FAIL" :
			     probes.exec_probe == MB_EXEC_PROBE_SYSCALL &&
					     cfg.exec_probe != MB_EXEC_PROBE_SYSCALL ?
					    "WARN" :
					    "OK",
			     "exec probe: %s", mb_probes_exec_desc(&probes, desc, sizeof(desc)));
			line(&t,
			     *mb_probes_missing_desc(&probes, desc, sizeof(desc)) ? "WARN" : "OK",
			     "kernel BPF features: %s", *desc ? desc : "everything mailbpf uses");
			line(&t, probes.feat.jiffy_ns ? "OK" : "WARN", "kernel config: %s",
			     probes.feat.jiffy_ns ?
				     "CONFIG_HZ read" :
				     "unreadable (no /boot/config-*, /usr/lib/modules/*/config, /proc/config.gz): windows on the precise clock");
			line(&t, "OK", "ring buffer: created, attach took %llu ms",
			     (unsigned long long)probes.attach_ns / 1000000);
			mb_probes_stop(&probes);
		}
	}
	{
		char dir[MB_PATH_LEN];
		int err = mb_textfile_probe(cfg.textfile, dir, sizeof(dir));

		/* The same test `run` makes before it attaches anything. */
		if (err)
			line(&t, "FAIL", "textfile directory %s: %s", dir, strerror(-err));
		else
			line(&t, "OK", "textfile directory %s: writable", dir);
	}
	check_spool(&t, &cfg);
	check_daemons(&t, &cfg);
	check_node_exporter(&t, &cfg);
	printf("%d failed, %d warnings\n", t.fail, t.warn);
	return t.fail ? MB_EXIT_FAIL : MB_EXIT_OK;
}
