// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * `mailbpf run`: the daemon. Everything that can be wrong with the command
 * line, the config, privileges, the textfile directory or the alert log is
 * found before a single probe is attached, so a bad start leaves nothing
 * behind. Then: events -> detectors -> alert log, and every interval (or
 * right after an alert) kernel counts + verdicts -> textfile.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "cli.h"
#include "config_parse.h"
#include "daemon.h"
#include "log.h"
#include "privs.h"

static volatile sig_atomic_t got_term, got_hup, got_usr1;

static void on_signal(int sig)
{
	if (sig == SIGHUP)
		got_hup = 1;
	else if (sig == SIGUSR1)
		got_usr1 = 1;
	else
		got_term = 1;
}

static void usage(FILE *out)
{
	fprintf(out,
		"usage: mailbpf run [--config FILE] [--textfile PATH] [--interval SEC]\n"
		"                   [--alert-log PATH|-] [--state-dir DIR] [--syslog]\n"
		"                   [--user NAME] [--listen ADDR:PORT] [--alertmanager URL]... [-v]\n"
		"Run the detectors; write a node_exporter textfile and an alert log.\n"
		"  -c, --config FILE     INI config (default " MB_DEFAULT_CONFIG " if present)\n"
		"  -t, --textfile PATH   default /var/lib/prometheus/node-exporter/mailbpf.prom\n"
		"  -i, --interval SEC    textfile refresh, default 15\n"
		"  -a, --alert-log PATH  JSON lines; - for stdout (default)\n"
		"  -s, --state-dir DIR   sticky filesystem state, default /var/lib/mailbpf\n"
		"      --syslog          also send alerts to syslog\n"
		"  -u, --user NAME       run as NAME once attached\n"
		"      --ringbuf-kb N    ring buffer (all probes), default 512\n"
		"      --exec-probe MODE auto (default), fexit or syscall: how failed execs are found\n"
		"  -l, --listen ADDR:PORT  serve /metrics from memory, e.g. 127.0.0.1:9638\n"
		"  -A, --alertmanager URL  push alerts to http://HOST:PORT (repeat for HA)\n"
		"  -v, --verbose         libbpf debug output\n"
		"signals: HUP re-reads the config, USR1 reopens the alert log, TERM stops.\n");
}

/* Command-line values win over the config file, on start and on SIGHUP. */
struct overrides {
	const char *textfile, *alert_log, *state_dir;
	uint32_t interval;
	int syslog;
	int exec_probe; /* enum mb_exec_probe + 1, 0: from the config */
	uint32_t ringbuf_kb; /* tiny values test overflow accounting */
	const char *listen;
	const char *alertmanagers[MB_MAX_ALERTMANAGERS]; /* replace the config's list */
	int nalertmanagers;
};

static void apply_overrides(struct mb_config *c, const struct overrides *o)
{
	if (o->textfile)
		snprintf(c->textfile, sizeof(c->textfile), "%s", o->textfile);
	if (o->alert_log)
		snprintf(c->alert_log, sizeof(c->alert_log), "%s", o->alert_log);
	if (o->state_dir)
		snprintf(c->state_dir, sizeof(c->state_dir), "%s", o->state_dir);
	if (o->interval)
		c->interval_s = o->interval;
	if (o->syslog)
		c->syslog = 1;
	if (o->exec_probe)
		c->exec_probe = o->exec_probe - 1;
	if (o->listen)
		snprintf(c->listen, sizeof(c->listen), "%s", o->listen);
	if (o->nalertmanagers) {
		c->nalertmanagers = o->nalertmanagers;
		for (int i = 0; i < o->nalertmanagers; i++)
			snprintf(c->alertmanagers[i], sizeof(c->alertmanagers[i]), "%s",
				 o->alertmanagers[i]);
	}
}

static int load_config(struct mb_config *c, const char *path, int explicit_path,
		       const struct overrides *o)
{
	char err[512];
	int ret;

	mb_config_defaults(c);
	if (path && (explicit_path || access(path, F_OK) == 0)) {
		ret = mb_config_load(c, path, err, sizeof(err));
		if (ret) {
			warn("%s", err);
			return ret;
		}
	}
	apply_overrides(c, o);
	return 0;
}

static int parse_args(int argc, char **argv, struct overrides *o, const char **config,
		      int *explicit_path, const char **user)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "textfile", required_argument, NULL, 't' },
		{ "interval", required_argument, NULL, 'i' },
		{ "alert-log", required_argument, NULL, 'a' },
		{ "state-dir", required_argument, NULL, 's' },
		{ "syslog", no_argument, NULL, 'S' },
		{ "user", required_argument, NULL, 'u' },
		{ "ringbuf-kb", required_argument, NULL, 'R' },
		{ "exec-probe", required_argument, NULL, 'E' },
		{ "listen", required_argument, NULL, 'l' },
		{ "alertmanager", required_argument, NULL, 'A' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	char buf[MB_PATH_LEN];
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "c:t:i:a:s:u:l:A:vh", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			*config = optarg;
			*explicit_path = 1;
			break;
		case 't':
			o->textfile = optarg;
			break;
		case 'i':
			if (mb_config_parse_u32(optarg, 1, 3600, &o->interval)) {
				warn("run: --interval '%s': expected seconds from 1 to 3600",
				     optarg);
				return -EINVAL;
			}
			break;
		case 'a':
			o->alert_log = optarg;
			break;
		case 's':
			o->state_dir = optarg;
			break;
		case 'S':
			o->syslog = 1;
			break;
		case 'u':
			*user = optarg;
			break;
		case 'R':
			if (mb_config_parse_u32(optarg, 4, 262144, &o->ringbuf_kb) ||
			    (o->ringbuf_kb & (o->ringbuf_kb - 1))) {
				warn("run: --ringbuf-kb '%s': expected a power of 2 from 4 to 262144",
				     optarg);
				return -EINVAL;
			}
			break;
		case 'E':
			if (mb_config_parse_exec_probe(optarg, &o->exec_probe)) {
				warn("run: --exec-probe '%s': expected auto, fexit or syscall",
				     optarg);
				return -EINVAL;
			}
			o->exec_probe++;
			break;
		case 'l':
			if (mb_config_parse_listen(optarg, buf, sizeof(buf))) {
				warn("run: --listen '%s': expected IPv4:PORT or [IPv6]:PORT, like "
				     "127.0.0.1:9638",
				     optarg);
				return -EINVAL;
			}
			o->listen = optarg;
			break;
		case 'A':
			if (o->nalertmanagers == MB_MAX_ALERTMANAGERS) {
				warn("run: --alertmanager '%s': at most %d", optarg,
				     MB_MAX_ALERTMANAGERS);
				return -EINVAL;
			}
			if (mb_config_parse_url(optarg, buf, sizeof(buf))) {
				warn("run: --alertmanager '%s': expected http://HOST[:PORT][/PREFIX] "
				     "(http only, no TLS)",
				     optarg);
				return -EINVAL;
			}
			o->alertmanagers[o->nalertmanagers++] = optarg;
			break;
		case 'v':
			mb_cli_verbose();
			break;
		case 'h':
			usage(stdout);
			return 1;
		default:
			return -EINVAL;
		}
	}
	if (optind < argc) {
		warn("run: unexpected argument '%s'", argv[optind]);
		return -EINVAL;
	}
	return 0;
}

/* The textfile directory must take a new file before anything is attached. */
/*
 * With listen or alertmanager_url the alerts do not depend on the disk: a
 * restart while the textfile's filesystem is dead (Restart=on-failure,
 * a reboot into a broken spool) must still start and report it.
 */
static int net_outputs(const struct mb_config *c)
{
	return c->listen[0] || c->nalertmanagers;
}

static int check_textfile_dir(const struct mb_config *c)
{
	char dir[MB_PATH_LEN];
	int err = mb_textfile_probe(c->textfile, dir, sizeof(dir));

	if (err && net_outputs(c)) {
		warn("textfile directory %s is not writable: %s; starting anyway, %s", dir,
		     strerror(-err),
		     c->listen[0] ? "/metrics is served from memory" : "alerts are pushed");
		return 0;
	}
	if (err)
		warn("textfile directory %s is not writable: %s%s", dir, strerror(-err),
		     err == -ENOENT ?
			     " (is prometheus-node-exporter installed? or use --textfile)" :
			     "");
	return err;
}

static int make_state_dir(const char *dir)
{
	if (mkdir(dir, 0755) && errno != EEXIST) {
		warn("cannot create state directory %s: %s", dir, strerror(errno));
		return -errno;
	}
	return 0;
}

int cmd_run(int argc, char **argv)
{
	struct overrides o = {};
	const char *config = MB_DEFAULT_CONFIG, *user = NULL;
	struct mb_daemon *d = NULL;
	int explicit_path = 0, err, ret = MB_EXIT_FAIL;

	err = parse_args(argc, argv, &o, &config, &explicit_path, &user);
	if (err) {
		if (err < 0)
			usage(stderr);
		return err < 0 ? MB_EXIT_USAGE : MB_EXIT_OK;
	}
	d = calloc(1, sizeof(*d));
	if (!d)
		return MB_EXIT_FAIL;
	if (load_config(&d->cfg, config, explicit_path, &o)) {
		ret = MB_EXIT_USAGE;
		goto cleanup;
	}
	if (mb_privs_check() || check_textfile_dir(&d->cfg) || make_state_dir(d->cfg.state_dir))
		goto cleanup;
	if (mb_alertlog_open(&d->log, d->cfg.alert_log, d->cfg.syslog)) {
		warn("cannot open the alert log: %s", d->log.errmsg);
		/* The same dead filesystem: alerts to stdout (the journal) then. */
		if (!net_outputs(&d->cfg) || mb_alertlog_open(&d->log, "-", d->cfg.syslog))
			goto cleanup;
		warn("alerts go to standard output instead");
	}
	d->ringbuf_bytes = o.ringbuf_kb ? o.ringbuf_kb * 1024 : 512 * 1024;
	err = mb_daemon_start(d);
	if (err)
		goto cleanup;
	err = mb_privs_drop(user);
	if (err) {
		warn("cannot drop privileges: %s", strerror(-err));
		goto cleanup;
	}
	mb_cli_signals(on_signal, (const int[]){ SIGINT, SIGTERM, SIGHUP, SIGUSR1 }, 4);
	{
		char desc[512];

		note("running: %d daemons watched, textfile %s every %us, exec probe %s, attached in %llu ms",
		     d->cfg.ndaemons, d->cfg.textfile, d->cfg.interval_s,
		     mb_probes_exec_desc(&d->probes, desc, sizeof(desc)),
		     (unsigned long long)d->probes.attach_ns / 1000000);
		if (*mb_probes_missing_desc(&d->probes, desc, sizeof(desc)))
			note("degraded on this kernel: %s", desc);
	}
	if (d->cfg.listen[0])
		note("serving /metrics on http://%s/metrics", d->cfg.listen);
	for (int i = 0; i < d->push.n; i++)
		note("pushing alerts to %s", d->push.t[i].url);

	while (!got_term) {
		err = mb_daemon_step(d);
		if (err && err != -EINTR) {
			warn("polling the ring buffer failed: %s", strerror(-err));
			goto cleanup;
		}
		if (got_hup) {
			struct mb_config next;

			got_hup = 0;
			if (load_config(&next, config, explicit_path, &o))
				warn("config reload failed; keeping the running configuration");
			else
				mb_daemon_reconfigure(d, &next);
		}
		if (got_usr1) {
			got_usr1 = 0;
			if (mb_alertlog_reopen(&d->log))
				warn("cannot reopen the alert log: %s", d->log.errmsg);
		}
	}
	note("stopping");
	ret = MB_EXIT_OK;
cleanup:
	mb_daemon_stop(d);
	free(d);
	return ret;
}
