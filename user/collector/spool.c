// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The mail spool's directories and whether the textfile directory shares
 * their filesystem (same st_dev). On a single-disk mail host it does, and
 * `mailbpf check` then suggests --listen or --alertmanager.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "spool.h"

static void add(char dirs[][MB_PATH_LEN], int *n, int max, const char *path, size_t len)
{
	while (len > 1 && path[len - 1] == '/')
		len--;
	if (*n >= max || !len || len >= MB_PATH_LEN)
		return;
	for (int i = 0; i < *n; i++)
		if (strlen(dirs[i]) == len && !strncmp(dirs[i], path, len))
			return;
	memcpy(dirs[*n], path, len);
	dirs[(*n)++][len] = '\0';
}

int mb_spool_dovecot_dirs(const char *loc, char dirs[][MB_PATH_LEN], int *n, int max)
{
	int before = *n;
	const char *p = strchr(loc, ':');

	/* TYPE:PATH[:KEY=PATH...]; a bare path is allowed too. */
	p = p ? p + 1 : loc;
	while (*p) {
		const char *end = strchr(p, ':'), *eq = strchr(p, '='), *var;
		size_t len;

		if (!end)
			end = p + strlen(p);
		if (eq && eq < end)
			p = eq + 1;
		if (*p == '/') {
			var = p + strcspn(p, "%:");
			if (var > end)
				var = end;
			/* "/var/mail/%u": the directory holding the variable part. */
			len = (size_t)(var - p);
			if (*var == '%')
				while (len > 1 && p[len - 1] != '/')
					len--;
			add(dirs, n, max, p, len);
		}
		p = *end ? end + 1 : end;
	}
	return *n - before;
}

int mb_spool_dirs(char dirs[][MB_PATH_LEN], int max)
{
	static const char *const fixed[] = { "/var/mail", "/var/spool/exim4",
					     "/var/spool/postfix" };
	char loc[1024];
	int n = 0, m = 0;
	FILE *f;

	for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
		add(dirs, &n, max, fixed[i], strlen(fixed[i]));
	if (!access("/usr/bin/doveconf", X_OK) &&
	    (f = popen("/usr/bin/doveconf -h mail_location 2>/dev/null", "r"))) {
		if (fgets(loc, sizeof(loc), f)) {
			loc[strcspn(loc, "\n")] = '\0';
			mb_spool_dovecot_dirs(loc, dirs, &n, max);
		}
		pclose(f);
	}
	for (int i = 0; i < n; i++) {
		if (access(dirs[i], F_OK))
			continue; /* no such spool on this host */
		if (m != i)
			memcpy(dirs[m], dirs[i], MB_PATH_LEN);
		m++;
	}
	return m;
}

int mb_spool_shared(const char *dir, char dirs[][MB_PATH_LEN], int n, char *shared, size_t len)
{
	struct stat td, sd;
	size_t o = 0;
	int count = 0;

	if (len)
		shared[0] = '\0';
	if (stat(dir, &td))
		return -errno;
	for (int i = 0; i < n; i++) {
		if (stat(dirs[i], &sd) || sd.st_dev != td.st_dev)
			continue;
		count++;
		if (o < len)
			o += (size_t)snprintf(shared + o, len - o, "%s%s", o ? ", " : "", dirs[i]);
	}
	return count;
}
