/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The alert log: one JSON object per line (JSON Lines), to stdout or an
 * append-only file, and optionally to syslog. Written and flushed per
 * alert, so `tail -f` and log shippers see it at once.
 */
#ifndef MAILBPF_ALERTLOG_H
#define MAILBPF_ALERTLOG_H

#include <stdio.h>
#include "config.h"
#include "alert.h"

struct mb_alertlog {
	FILE *f; /* NULL: no file, syslog only */
	int own; /* f was opened here (not stdout) and is closed here */
	int use_syslog;
	char path[MB_PATH_LEN]; /* "-" for stdout, "" for none */
	char errmsg[MB_PATH_LEN + 64]; /* "PATH: strerror" after a failure */
};

/*
 * path "-" is stdout, NULL or "" no file; otherwise the file is opened
 * O_APPEND|O_CREAT, mode 0640 (alerts name users and programs). use_syslog
 * also sends each alert to syslog as mailbpf[PID], facility daemon.
 * Returns 0 or a negative errno with l->errmsg naming the path.
 */
int mb_alertlog_open(struct mb_alertlog *l, const char *path, int use_syslog);

/*
 * Append a as one line:
 * {"time":"2026-11-22T06:30:01.123Z","severity":"warning","kind":"...",
 *  "summary":"...","details":{"key":"string","n":42}}
 * wall_time_s is the alert's time as seconds since the epoch (UTC).
 * Returns 0 or a negative errno from writing the file, with l->errmsg
 * set (syslog cannot fail). A failed line is dropped; the next is tried.
 */
int mb_alertlog_write(struct mb_alertlog *l, const struct mb_alert *a, double wall_time_s);

/*
 * After logrotate moved the file: open path anew and switch to it. On
 * failure the old file stays in use and the negative errno is returned.
 * A no-op for stdout.
 */
int mb_alertlog_reopen(struct mb_alertlog *l);

void mb_alertlog_close(struct mb_alertlog *l);

#endif
