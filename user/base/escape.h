/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Escaping for the three places raw kernel strings end up: Prometheus
 * label values, JSON alert lines and a terminal. comm and file names are
 * chosen by any local user, so the input may be any bytes at all; each
 * escaper's output is valid UTF-8 and cannot end a line, close a string or
 * start a terminal control sequence.
 *
 * All of them work like snprintf: they always NUL-terminate when dstlen is
 * not 0 (dst may be NULL when it is), and return the length the complete
 * escaped string has, not counting the NUL. A return >= dstlen means the
 * output was truncated; truncation happens only between whole characters
 * and whole escape sequences, never inside one. A NULL src is "".
 */
#ifndef MAILBPF_ESCAPE_H
#define MAILBPF_ESCAPE_H

#include <stddef.h>

/*
 * Prometheus label value content (between the quotes): \ " and newline
 * become \\ \" \n, the only escapes the text format knows. Other control
 * bytes and invalid UTF-8 become U+FFFD.
 */
size_t mb_prom_escape(char *dst, size_t dstlen, const char *src);

/*
 * Prometheus # HELP text: \ and newline become \\ and \n (a quote is
 * literal there). Other control bytes and invalid UTF-8 become U+FFFD.
 */
size_t mb_prom_help_escape(char *dst, size_t dstlen, const char *src);

/*
 * JSON string content (between the quotes): \" \\ \n \r \t, other bytes
 * below 0x20 and 0x7f as \u00XX, each invalid UTF-8 byte as \ufffd.
 */
size_t mb_json_escape(char *dst, size_t dstlen, const char *src);

/*
 * Terminal and syslog text: printable ASCII and printable UTF-8 pass,
 * a backslash doubles (so the output reads back unambiguously), and every
 * control byte, ESC, invalid byte, C1 control or bidi override is shown as
 * \xNN per byte.
 */
size_t mb_term_escape(char *dst, size_t dstlen, const char *src);

#endif
