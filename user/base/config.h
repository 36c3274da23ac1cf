/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* mailbpf configuration: embedded defaults plus an INI file. */
#ifndef MAILBPF_CONFIG_H
#define MAILBPF_CONFIG_H

#include <stddef.h>
#include <stdint.h>
#include "../bpf/mailbpf.h"

#define MB_MAX_DAEMONS 8
#define MB_MAX_COMMS 4
#define MB_NAME_LEN 32
#define MB_MAX_ALERTMANAGERS 4 /* alertmanager_url lines: an HA pair or two */
#define MB_LISTEN_LEN 64

/* How failed execs are found (bpf/exec.bpf.c explains the trade). */
enum mb_exec_probe {
	MB_EXEC_PROBE_AUTO = 0, /* the best this kernel allows, in the order below */
	MB_EXEC_PROBE_FEXIT = 1, /* fexit on the exec syscalls: every errno, no other cost */
	MB_EXEC_PROBE_SYSCALL = 2, /* syscall exit tracepoints: every errno, all syscalls slower */
	MB_EXEC_PROBE_MAX,
};

/* What a daemon does about failing children (user/detect/detect_startup.c cites its source). */
enum mb_flavor {
	MB_FLAVOR_OTHER = 0,
	MB_FLAVOR_DOVECOT = 1, /* throttles the service, 2 s doubling to 60 s */
	MB_FLAVOR_POSTFIX = 2, /* throttles the service for service_throttle_time */
	MB_FLAVOR_EXIM = 3, /* no child start-up loop; the daemon exits if its re-exec fails */
};

struct mb_daemon_cfg {
	char name[MB_NAME_LEN]; /* section name, the `daemon` label: "dovecot" */
	char comms[MB_MAX_COMMS][MB_COMM_LEN]; /* master process comm(s) */
	int ncomms;
	char exe[MB_PATH_LEN]; /* optional: master's /proc/PID/exe must match */
	uint64_t sigmask; /* reload-class signals, MB_SIGBIT() */
	uint64_t window_ms; /* a second reload within this is a collision */
	uint32_t storm_count; /* more than this many reloads ... */
	uint64_t storm_window_ms; /* ... within this is a storm */
	uint64_t chain_window_ms; /* exec failures this long after a reload chain to it */
	uint64_t startup_window_ms; /* a child exiting failed this soon after its fork; 0: off */
	uint64_t startup_status[4]; /* bit per exit status 0..255 that fails at any age */
	int flavor; /* enum mb_flavor */
};

struct mb_config {
	char source[MB_PATH_LEN]; /* file it came from, "" for defaults */
	char textfile[MB_PATH_LEN];
	char alert_log[MB_PATH_LEN]; /* "-" is stdout */
	char state_dir[MB_PATH_LEN];
	uint32_t interval_s; /* textfile refresh */
	int syslog; /* also send alerts to syslog */
	uint32_t near_miss_pct; /* warn above this share of the exec limit */
	uint32_t top_n; /* label values kept per metric before `other` */
	int exec_probe; /* enum mb_exec_probe */
	char listen[MB_LISTEN_LEN]; /* "" off; "127.0.0.1:9638": /metrics over HTTP */
	int nalertmanagers; /* alertmanager_url: alerts pushed to each */
	char alertmanagers[MB_MAX_ALERTMANAGERS][MB_PATH_LEN];
	int ndaemons;
	struct mb_daemon_cfg daemons[MB_MAX_DAEMONS];
};

/* Fill with the embedded defaults: Dovecot, Exim and Postfix watched. */
void mb_config_defaults(struct mb_config *c);

/*
 * Parse the INI file at path on top of the defaults. Returns 0 or a
 * negative errno; on error err holds "FILE:LINE: key: message" and *c is
 * left untouched (a reload with a bad file keeps the old config).
 */
int mb_config_load(struct mb_config *c, const char *path, char *err, size_t errlen);

/*
 * An exec_probe value: a name of mb_exec_probe_name() (names.h), or "mm", the
 * retired tier, read as auto. 0 or -EINVAL.
 */
int mb_config_parse_exec_probe(const char *v, int *out);

/* A flavor value: a name of mb_flavor_name() (names.h). 0 or -EINVAL. */
int mb_config_parse_flavor(const char *v, int *out);

/* Index+1 of the daemon with this master comm, 0 if not watched. */
int mb_config_daemon_for_comm(const struct mb_config *c, const char *comm);

#endif
