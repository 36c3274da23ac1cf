// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Value parsers for the config file. Strict on purpose: a typo in a
 * monitoring config should stop the daemon with a message, not quietly
 * watch the wrong thing.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include "config.h"
#include "config_parse.h"
#include "names.h"
#include "netaddr.h"

/*
 * Why window 5000 ms: on SIGHUP Dovecot's master re-runs the config parser
 * (doveconf) and restarts every service process, and exim re-execs itself;
 * either takes from hundreds of ms to a few s on a loaded host, and a second
 * reload inside that time re-enters a half-finished restart.
 */
void mb_config_daemon_defaults(struct mb_daemon_cfg *d, const char *name)
{
	memset(d, 0, sizeof(*d));
	snprintf(d->name, sizeof(d->name), "%s", name);
	d->sigmask = MB_DEFAULT_SIGMASK;
	d->window_ms = 5000;
	d->storm_count = 10;
	d->storm_window_ms = 60000;
	d->chain_window_ms = 120000;
	/*
	 * Start-up failure rules from the daemons' sources (see
	 * user/detect/detect_startup.c): Dovecot's shortest throttle is 2 s and a
	 * failed exec in its child exits 84 (FATAL_EXEC), out of memory 83,
	 * other fatal errors 89; Postfix's failed exec exits 1 after msg_fatal's
	 * 1 s sleep. Exim's children are not services it restarts.
	 */
	if (!strncmp(name, "dovecot", 7)) {
		d->flavor = MB_FLAVOR_DOVECOT;
		d->startup_window_ms = 2000;
		static const int fatal[] = { 83, 84, 89 }; /* src/lib/failures.h */

		for (size_t i = 0; i < sizeof(fatal) / sizeof(fatal[0]); i++)
			d->startup_status[fatal[i] / 64] |= 1ULL << (fatal[i] % 64);
	} else if (!strncmp(name, "postfix", 7)) {
		d->flavor = MB_FLAVOR_POSTFIX;
		d->startup_window_ms = 3000;
	} else if (!strncmp(name, "exim", 4)) {
		d->flavor = MB_FLAVOR_EXIM;
	}
}

int mb_config_parse_flavor(const char *v, int *out)
{
	for (int i = 0; i <= MB_FLAVOR_EXIM; i++) {
		if (!strcmp(v, mb_flavor_name(i))) {
			*out = i;
			return 0;
		}
	}
	return -EINVAL;
}

int mb_config_parse_statuses(const char *s, uint64_t mask[4])
{
	uint64_t m[4] = {}, v;
	char buf[256], *tok, *save;

	if (!s || strlen(s) >= sizeof(buf))
		return -EINVAL;
	if (!strcmp(s, "none")) {
		memset(mask, 0, 4 * sizeof(uint64_t));
		return 0;
	}
	strcpy(buf, s);
	tok = strtok_r(buf, " \t,", &save);
	if (!tok)
		return -EINVAL;
	for (; tok; tok = strtok_r(NULL, " \t,", &save)) {
		if (mb_config_parse_uint(tok, 1, 255, &v))
			return -EINVAL;
		m[v / 64] |= 1ULL << (v % 64);
	}
	memcpy(mask, m, sizeof(m));
	return 0;
}

int mb_config_parse_uint(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;
	const char *c;

	if (!s || !*s)
		return -EINVAL;
	for (c = s; *c; c++) {
		if (*c < '0' || *c > '9')
			return -EINVAL;
		if (v > (UINT64_MAX - (uint64_t)(*c - '0')) / 10)
			return -ERANGE;
		v = v * 10 + (uint64_t)(*c - '0');
	}
	if (v < min || v > max)
		return -ERANGE;
	*out = v;
	return 0;
}

int mb_config_parse_u32(const char *s, uint32_t min, uint32_t max, uint32_t *out)
{
	uint64_t v;
	int err = mb_config_parse_uint(s, min, max, &v);

	if (!err)
		*out = (uint32_t)v;
	return err;
}

int mb_config_parse_bool(const char *s, int *out)
{
	static const char *const yes[] = { "yes", "true", "on", "1" };
	static const char *const no[] = { "no", "false", "off", "0" };
	size_t i;

	for (i = 0; s && i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (!strcasecmp(s, yes[i])) {
			*out = 1;
			return 0;
		}
		if (!strcasecmp(s, no[i])) {
			*out = 0;
			return 0;
		}
	}
	return -EINVAL;
}

int mb_config_parse_duration_ms(const char *s, uint64_t *out)
{
	static const struct {
		const char *unit;
		uint64_t ms;
	} units[] = { { "ms", 1 }, { "s", 1000 }, { "m", 60 * 1000 }, { "h", 3600 * 1000 } };
	char num[24];
	size_t n, i;
	uint64_t v;
	int err;

	if (!s)
		return -EINVAL;
	n = strspn(s, "0123456789");
	if (!n || n >= sizeof(num))
		return n ? -ERANGE : -EINVAL;
	memcpy(num, s, n);
	num[n] = '\0';
	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (strcmp(s + n, units[i].unit))
			continue;
		err = mb_config_parse_uint(num, 1, MB_DURATION_MAX_MS / units[i].ms, &v);
		if (err)
			return err;
		*out = v * units[i].ms;
		return 0;
	}
	return -EINVAL;
}

static int signal_number(const char *tok)
{
	uint64_t v;

	if (!mb_config_parse_uint(tok, 1, 63, &v))
		return (int)v;
	return mb_signal_number(tok);
}

int mb_config_parse_signals(const char *s, uint64_t *mask)
{
	static const char seps[] = " \t,";
	uint64_t m = 0;
	char tok[16];
	size_t n;
	int sig;

	if (!s)
		return -EINVAL;
	for (s += strspn(s, seps); *s; s += strspn(s, seps)) {
		n = strcspn(s, seps);
		if (n >= sizeof(tok))
			return -EINVAL;
		memcpy(tok, s, n);
		tok[n] = '\0';
		sig = signal_number(tok);
		if (sig < 0)
			return sig;
		m |= MB_SIGBIT(sig);
		s += n;
	}
	if (!m)
		return -EINVAL;
	*mask = m;
	return 0;
}

int mb_config_parse_storm(const char *s, uint32_t *count, uint64_t *window_ms)
{
	const char *slash = s ? strchr(s, '/') : NULL;
	uint64_t c, w;
	char num[16];
	int err;

	if (!slash || (size_t)(slash - s) >= sizeof(num))
		return -EINVAL;
	memcpy(num, s, (size_t)(slash - s));
	num[slash - s] = '\0';
	err = mb_config_parse_uint(num, 1, 1000000, &c);
	if (!err)
		err = mb_config_parse_duration_ms(slash + 1, &w);
	if (err)
		return err;
	*count = (uint32_t)c;
	*window_ms = w;
	return 0;
}

int mb_config_parse_path(const char *s, const char *suffix, char *dst, size_t dstlen)
{
	size_t n = s ? strlen(s) : 0, sl = suffix ? strlen(suffix) : 0;

	if (!n || s[0] != '/' || n >= dstlen || n <= sl || strcmp(s + n - sl, suffix ? suffix : ""))
		return -EINVAL;
	memcpy(dst, s, n + 1);
	return 0;
}

int mb_config_parse_comms(const char *s, char comms[][MB_COMM_LEN], int *ncomms)
{
	char out[MB_MAX_COMMS][MB_COMM_LEN];
	const char *tok = s, *end;
	size_t n;
	int k = 0;

	if (!s)
		return -EINVAL;
	do {
		end = strchr(tok, ',');
		n = end ? (size_t)(end - tok) : strlen(tok);
		/* Trim blanks around each name. */
		while (n && (*tok == ' ' || *tok == '\t')) {
			tok++;
			n--;
		}
		while (n && (tok[n - 1] == ' ' || tok[n - 1] == '\t'))
			n--;
		/* The kernel keeps 15 bytes of a comm: a longer one never matches. */
		if (!n || n >= MB_COMM_LEN || k == MB_MAX_COMMS || memchr(tok, 0x7f, n))
			return -EINVAL;
		memcpy(out[k], tok, n);
		out[k++][n] = '\0';
		if (end)
			tok = end + 1;
	} while (end);
	memcpy(comms, out, sizeof(out[0]) * (size_t)k);
	*ncomms = k;
	return 0;
}

int mb_config_parse_exec_probe(const char *v, int *out)
{
	/*
	 * The retired mm tier (bpf/exec.bpf.c says why): a config written for
	 * an older mailbpf still starts, on the best tier this kernel has.
	 */
	if (!strcmp(v, "mm")) {
		*out = MB_EXEC_PROBE_AUTO;
		return 0;
	}
	for (int i = 0; i < MB_EXEC_PROBE_MAX; i++) {
		if (!strcmp(v, mb_exec_probe_name(i))) {
			*out = i;
			return 0;
		}
	}
	return -EINVAL;
}

int mb_config_parse_listen(const char *s, char *dst, size_t dstlen)
{
	struct sockaddr_storage sa;
	unsigned int salen;

	if (!*s) {
		dst[0] = '\0';
		return 0;
	}
	if (strlen(s) >= dstlen || mb_httpd_parse_addr(s, &sa, &salen))
		return -EINVAL;
	strcpy(dst, s);
	return 0;
}

int mb_config_parse_url(const char *s, char *dst, size_t dstlen)
{
	char host[256], port[8], prefix[MB_PATH_LEN];

	if (strlen(s) >= dstlen ||
	    mb_push_parse_url(s, host, sizeof(host), port, sizeof(port), prefix, sizeof(prefix)))
		return -EINVAL;
	strcpy(dst, s);
	return 0;
}
