/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Prometheus text exposition (format 0.0.4) built in memory, written to
 * node_exporter's textfile directory atomically. The bounded label table
 * for per-label series comes with it from topn.h.
 */
#ifndef MAILBPF_PROM_H
#define MAILBPF_PROM_H

#include <stddef.h>
#include <stdint.h>
#include "topn.h"

/* Growable exposition buffer. Errors are sticky: after a failed append
 * every later call returns the same error, so a writer may check once.
 */
struct mb_prom {
	char *buf; /* NUL-terminated text, len bytes */
	size_t len;
	size_t cap;
	int err; /* first negative errno, 0 if none */
};

void mb_prom_init(struct mb_prom *p);
void mb_prom_free(struct mb_prom *p);

/* Empty the buffer for the next scrape, keeping its memory. */
void mb_prom_reset(struct mb_prom *p);

/*
 * Start a metric family: "# HELP name help" and "# TYPE name type".
 * type is "counter", "gauge" or "untyped". -EINVAL for a name that is not
 * [a-zA-Z_:][a-zA-Z0-9_:]* or another type, -ENOMEM.
 */
int mb_prom_family(struct mb_prom *p, const char *name, const char *type, const char *help);

/*
 * One sample line: name{k="v",...} value. labels is k, v, k, v, ..., NULL
 * (NULL itself for none); values are escaped, names must be
 * [a-zA-Z_][a-zA-Z0-9_]*. Integral values print as integers; NaN and
 * infinities as NaN, +Inf, -Inf. No timestamp: node_exporter refuses them.
 */
int mb_prom_sample(struct mb_prom *p, const char *name, const char *const *labels, double value);

/*
 * Replace path with buf atomically: readers see the old file or the new
 * one, never a part. A temporary ".NAME.tmp.PID" in the same directory
 * (node_exporter reads only *.prom) is written, fsynced, chmod 0644 and
 * renamed over path; a symlink at path is replaced, never followed.
 * Returns 0 or a negative errno; on failure before the rename the old
 * file is intact and the temporary is gone. A failure to fsync the
 * directory after the rename is reported too, though the new file is in
 * place by then.
 */
int mb_textfile_write(const char *path, const char *buf, size_t len);

/* The directory a textfile lives in ("." for a bare name). */
void mb_textfile_dir(const char *path, char *dir, size_t len);

/*
 * Can the textfile's directory take a new file? Creates and removes a probe
 * file the way mb_textfile_write() creates its temp. 0 or negative errno;
 * dir receives the directory for messages.
 */
int mb_textfile_probe(const char *path, char *dir, size_t len);

#endif
