/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Start-up failure loops: children of a watched master that keep failing
 * as they start, per (daemon, master, service). This is what kept users out in the
 * seed's outage for 75 minutes: every restart of imap-login failed, and
 * Dovecot's master throttled the next one 2, 4, 8 ... 60 s later.
 *
 * Fed the exit probe's records (bpf/proc.bpf.c: start-up failures, and
 * clean child exits while a loop is open), failed execs for the pid join (a child
 * whose exec failed still has the master's comm: the exec record names
 * the program and the errno), and living children from the collector's
 * /proc scan. When a reload -> exec chain is open for the master, the loop
 * becomes part of that incident (mb_chain_feed_exit) instead of an alert
 * of its own.
 */
#ifndef MAILBPF_DETECT_STARTUP_H
#define MAILBPF_DETECT_STARTUP_H

#include <stddef.h>
#include <stdint.h>
#include "alert.h"
#include "detect_chain.h"

#define MB_STARTUP_SERVICES 32 /* (daemon, service) loops tracked */
#define MB_STARTUP_JOIN 64 /* recent failed execs kept for the pid join */
#define MB_STARTUP_QUIET_NS (180 * NS_PER_SEC) /* 3 x the daemons' longest throttle */
#define MB_SERVICE_LEN 64

struct mb_startup_stats {
	int idx; /* daemon, 0-based */
	char service[MB_SERVICE_LEN]; /* the exec'd program: filename basename or comm */
	char kcomm[MB_COMM_LEN]; /* the comm the kernel counted it under */
	int failing; /* 1 while the loop is on (mailbpf_service_failing) */
	int alerted; /* its own service_startup_failing alert went out */
	int in_chain; /* reported as part of a reload_exec_chain incident */
	int named; /* service is the program's name (exec'd, or joined with its failed exec) */
	uint64_t count; /* failures in the current (or last) loop */
	uint64_t first_ns, last_ns;
	uint32_t last_code; /* wait status of the last failure */
	uint32_t master_tgid;
	int err; /* errno of the joined exec failure, 0 if none seen */
};

struct mb_startup_det;

/* chain may be NULL. The config is copied. NULL with errno set on failure. */
struct mb_startup_det *mb_startup_new(const struct mb_config *cfg, struct mb_alert_sink sink,
				      struct mb_chain_det *chain);
void mb_startup_free(struct mb_startup_det *d);

/* A failed exec, remembered for the exit of the same process. */
void mb_startup_feed_exec(struct mb_startup_det *d, const struct mb_exec_event *e);

/* An exit record: MB_EXIT_STARTUP_FAIL, or MB_EXIT_CHILD_OK (ends a loop). */
void mb_startup_feed_exit(struct mb_startup_det *d, const struct mb_exit_event *e);

/* A child of daemon idx's master ppid that is alive now, age_ns after its fork. */
void mb_startup_feed_alive(struct mb_startup_det *d, int idx, uint32_t ppid, const char *comm,
			   uint64_t age_ns, uint64_t now);

/* Loops with no failure for MB_STARTUP_QUIET_NS end quietly resolved. */
void mb_startup_tick(struct mb_startup_det *d, uint64_t now);

/* 1 while daemon idx (0-based) has a failing service: the collector looks closer. */
int mb_startup_failing(const struct mb_startup_det *d, int idx);

int mb_startup_count(const struct mb_startup_det *d);
const struct mb_startup_stats *mb_startup_at(const struct mb_startup_det *d, int i);

/* The service name for a kernel count key (daemon idx, comm): comm if unknown. */
const char *mb_startup_service_for(const struct mb_startup_det *d, int idx, const char *kcomm);

/*
 * What the status means and what the daemon does now, from its source:
 * "exec() failed (FATAL_EXEC)"; "Dovecot throttles the service: next
 * start in 8 s". count is the failures in a row so far.
 */
void mb_startup_meaning(int flavor, uint32_t code, char *buf, size_t len);
void mb_startup_action(int flavor, uint64_t count, char *buf, size_t len, int64_t *throttle_s);

#endif
