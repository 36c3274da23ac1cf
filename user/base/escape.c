// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Escapers for hostile strings. Each one is a "piece" function turning the
 * character at the front of the input into a short, self-contained output
 * piece; one driver copies whole pieces, so truncation can never split an
 * escape or a UTF-8 sequence.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include "escape.h"

#define U_FFFD "\xef\xbf\xbd"
#define PIECE_MAX 16 /* 4 bytes as \xNN each */

/*
 * Length of the well-formed UTF-8 sequence at s, 0 if it is ill-formed
 * (Unicode table 3-7: no overlongs, no surrogates, nothing above
 * U+10FFFF). Checking byte by byte stops at the NUL, which is never a
 * continuation byte, so a sequence cut by the end of the string is ill-formed.
 */
static size_t utf8_len(const unsigned char *s, uint32_t *cp)
{
	unsigned char c = s[0], lo = 0x80, hi = 0xbf;

	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if (c >= 0xc2 && c <= 0xdf) {
		if ((s[1] & 0xc0) != 0x80)
			return 0;
		*cp = (uint32_t)(c & 0x1f) << 6 | (s[1] & 0x3f);
		return 2;
	}
	if (c >= 0xe0 && c <= 0xef) {
		if (c == 0xe0)
			lo = 0xa0;
		if (c == 0xed)
			hi = 0x9f;
		if (s[1] < lo || s[1] > hi || (s[2] & 0xc0) != 0x80)
			return 0;
		*cp = (uint32_t)(c & 0x0f) << 12 | (uint32_t)(s[1] & 0x3f) << 6 | (s[2] & 0x3f);
		return 3;
	}
	if (c >= 0xf0 && c <= 0xf4) {
		if (c == 0xf0)
			lo = 0x90;
		if (c == 0xf4)
			hi = 0x8f;
		if (s[1] < lo || s[1] > hi || (s[2] & 0xc0) != 0x80 || (s[3] & 0xc0) != 0x80)
			return 0;
		*cp = (uint32_t)(c & 0x07) << 18 | (uint32_t)(s[1] & 0x3f) << 12 |
		      (uint32_t)(s[2] & 0x3f) << 6 | (s[3] & 0x3f);
		return 4;
	}
	return 0;
}

static size_t put(char *out, const char *s)
{
	size_t n = strlen(s);

	memcpy(out, s, n);
	return n;
}

/* Shared by label values and HELP text, which differ only in the quote. */
static size_t prom_piece(const unsigned char *s, size_t *adv, char *out, int quote)
{
	uint32_t cp;
	size_t n;

	*adv = 1;
	if (*s == '\\')
		return put(out, "\\\\");
	if (*s == '\n')
		return put(out, "\\n");
	if (*s == '"' && quote)
		return put(out, "\\\"");
	/* The format has no other escape; node_exporter rejects the file on
	 * an unknown one and on invalid UTF-8, losing every metric in it.
	 */
	if (*s < 0x20 || *s == 0x7f)
		return put(out, U_FFFD);
	n = utf8_len(s, &cp);
	if (!n)
		return put(out, U_FFFD);
	*adv = n;
	memcpy(out, s, n);
	return n;
}

static size_t prom_label_piece(const unsigned char *s, size_t *adv, char *out)
{
	return prom_piece(s, adv, out, 1);
}

static size_t prom_help_piece(const unsigned char *s, size_t *adv, char *out)
{
	return prom_piece(s, adv, out, 0);
}

static size_t json_piece(const unsigned char *s, size_t *adv, char *out)
{
	uint32_t cp;
	size_t n;

	*adv = 1;
	switch (*s) {
	case '"':
		return put(out, "\\\"");
	case '\\':
		return put(out, "\\\\");
	case '\n':
		return put(out, "\\n");
	case '\r':
		return put(out, "\\r");
	case '\t':
		return put(out, "\\t");
	}
	/* 0x7f is legal raw JSON, but escaping it keeps the log line free of
	 * anything a terminal or a `tail -f` might act on.
	 */
	if (*s < 0x20 || *s == 0x7f)
		return (size_t)sprintf(out, "\\u%04x", *s);
	n = utf8_len(s, &cp);
	if (!n)
		return put(out, "\\ufffd");
	*adv = n;
	memcpy(out, s, n);
	return n;
}

/*
 * Valid UTF-8 that a terminal still acts on: C1 controls (xterm and others
 * honour U+009B as CSI even in UTF-8 mode) and bidi overrides, which make
 * a line display in an order other than the one it has ("Trojan Source").
 */
static int term_unsafe(uint32_t cp)
{
	return (cp >= 0x80 && cp <= 0x9f) || cp == 0x061c || cp == 0x200e || cp == 0x200f ||
	       (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069);
}

static size_t term_piece(const unsigned char *s, size_t *adv, char *out)
{
	size_t n, i, len = 0;
	uint32_t cp;

	*adv = 1;
	if (*s == '\\')
		return put(out, "\\\\");
	if (*s >= 0x20 && *s < 0x7f)
		return put(out, (const char[]){ (char)*s, 0 });
	n = utf8_len(s, &cp);
	if (n > 1 && !term_unsafe(cp)) {
		*adv = n;
		memcpy(out, s, n);
		return n;
	}
	/* Show every byte of a bad sequence so nothing of it is hidden. */
	if (n > 1)
		*adv = n;
	for (i = 0; i < *adv; i++)
		len += (size_t)sprintf(out + len, "\\x%02x", s[i]);
	return len;
}

typedef size_t (*piece_fn)(const unsigned char *s, size_t *adv, char *out);

static size_t escape_run(char *dst, size_t dstlen, const char *src, piece_fn fn)
{
	const unsigned char *s = (const unsigned char *)(src ? src : "");
	size_t need = 0, used = 0, n, adv;
	char piece[PIECE_MAX + 1];
	int full = dstlen == 0;

	while (*s) {
		n = fn(s, &adv, piece);
		/* Once one piece does not fit, stop for good: writing a later,
		 * shorter piece would silently drop a character from the middle.
		 */
		if (!full && need + n < dstlen) {
			memcpy(dst + need, piece, n);
			used = need + n;
		} else {
			full = 1;
		}
		need += n;
		s += adv;
	}
	if (dstlen)
		dst[used] = '\0';
	return need;
}

size_t mb_prom_escape(char *dst, size_t dstlen, const char *src)
{
	return escape_run(dst, dstlen, src, prom_label_piece);
}

size_t mb_prom_help_escape(char *dst, size_t dstlen, const char *src)
{
	return escape_run(dst, dstlen, src, prom_help_piece);
}

size_t mb_json_escape(char *dst, size_t dstlen, const char *src)
{
	return escape_run(dst, dstlen, src, json_piece);
}

size_t mb_term_escape(char *dst, size_t dstlen, const char *src)
{
	return escape_run(dst, dstlen, src, term_piece);
}
