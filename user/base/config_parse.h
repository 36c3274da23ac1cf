/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Value parsers behind mb_config_load, public so tests and the command
 * line can use the same syntax. Each takes the whole trimmed value, returns
 * 0 or -EINVAL (-ERANGE when well formed but out of range), and writes its
 * output only on success.
 */
#ifndef MAILBPF_CONFIG_PARSE_H
#define MAILBPF_CONFIG_PARSE_H

#include <stddef.h>
#include <stdint.h>
#include "config.h"

/* A watched daemon's defaults: all but its comms and exe. */
void mb_config_daemon_defaults(struct mb_daemon_cfg *d, const char *name);

/* Longest duration accepted anywhere: one day. */
#define MB_DURATION_MAX_MS (24ULL * 3600 * 1000)

/*
 * "500ms", "5s", "2m", "1h": a decimal integer and a unit, no space, no
 * sign, no fraction. A bare number is rejected: "5" could mean either.
 * 1ms .. MB_DURATION_MAX_MS.
 */
int mb_config_parse_duration_ms(const char *s, uint64_t *out);

/*
 * "HUP USR1 USR2", "SIGHUP,SIGUSR1", "1 10": names with or without SIG
 * (any case) or numbers 1..63, separated by spaces, tabs or commas. At
 * least one. Sets *mask to the MB_SIGBIT() of each.
 */
int mb_config_parse_signals(const char *s, uint64_t *mask);

/* Decimal integer in [min, max]: digits only, no sign or spaces. */
int mb_config_parse_uint(const char *s, uint64_t min, uint64_t max, uint64_t *out);

/* The same, for a uint32_t. */
int mb_config_parse_u32(const char *s, uint32_t min, uint32_t max, uint32_t *out);

/*
 * "83 84 89": exit statuses 1..255 separated by spaces, tabs or commas, at
 * least one, or "none". Sets one bit per status in mask[status / 64].
 */
int mb_config_parse_statuses(const char *s, uint64_t mask[4]);

/* yes/no, true/false, on/off, 1/0 (any case). */
int mb_config_parse_bool(const char *s, int *out);

/* "10/60s": more than count reloads within the duration is a storm. */
int mb_config_parse_storm(const char *s, uint32_t *count, uint64_t *window_ms);

/*
 * An absolute path shorter than dstlen that ends in suffix ("" for any),
 * copied to dst.
 */
int mb_config_parse_path(const char *s, const char *suffix, char *dst, size_t dstlen);

/*
 * "dovecot, dovecot2": 1..MB_MAX_COMMS comma-separated names of
 * 1..MB_COMM_LEN-1 bytes, blanks around each trimmed; empty names fail.
 */
int mb_config_parse_comms(const char *s, char comms[][MB_COMM_LEN], int *ncomms);

/*
 * A listen address: "" (off), "127.0.0.1:9638" or "[::1]:9638". Numeric
 * only, so binding never waits for DNS.
 */
int mb_config_parse_listen(const char *s, char *dst, size_t dstlen);

/* An Alertmanager URL: http://HOST[:PORT][/PREFIX] (push_msg.h), copied. */
int mb_config_parse_url(const char *s, char *dst, size_t dstlen);

#endif
