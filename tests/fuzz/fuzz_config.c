// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * libFuzzer target: mb_config_load() on arbitrary bytes.
 *
 * The config file is written by an administrator, but it is parsed by a
 * root daemon on every SIGHUP and by `mailbpf check` on files nobody has
 * vetted yet, so it must never crash, and what it accepts must be a config
 * the rest of mailbpf can rely on without re-checking:
 *   - success: every string NUL-terminated inside its array, paths
 *     absolute, numbers inside their documented ranges, at most
 *     MB_MAX_DAEMONS daemons with 1..MB_MAX_COMMS non-empty comms each,
 *     daemon names usable as label values, no comm owned twice;
 *   - failure: *c untouched (a bad SIGHUP keeps the old config), and an
 *     error that starts with "FILE:" and holds no raw control byte (it goes
 *     to a terminal or the journal).
 * The input goes to a memfd, read back through /proc/self/fd/N, so the
 * parser's own fopen/fgets path is what gets fuzzed.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include "config.h"
#include "config_parse.h"

static int memfd = -1;
static char path[64];

#define CHECK(cond)                                                                           \
	do {                                                                                  \
		if (!(cond)) {                                                                \
			fprintf(stderr, "fuzz_config: invariant failed: %s (%s:%d)\n", #cond, \
				__FILE__, __LINE__);                                          \
			abort();                                                              \
		}                                                                             \
	} while (0)

static int terminated(const char *s, size_t n)
{
	return memchr(s, 0, n) != NULL;
}

static int path_ok(const char *s, size_t n, int may_be_empty)
{
	if (!terminated(s, n))
		return 0;
	if (!*s)
		return may_be_empty;
	return s[0] == '/';
}

static void check_config(const struct mb_config *c)
{
	size_t tl;

	CHECK(terminated(c->source, sizeof(c->source)) && !strcmp(c->source, path));
	CHECK(path_ok(c->textfile, sizeof(c->textfile), 0));
	tl = strlen(c->textfile);
	CHECK(tl > 5 && !strcmp(c->textfile + tl - 5, ".prom"));
	CHECK(terminated(c->alert_log, sizeof(c->alert_log)));
	CHECK(!strcmp(c->alert_log, "-") || c->alert_log[0] == '/');
	CHECK(path_ok(c->state_dir, sizeof(c->state_dir), 0));
	CHECK(c->interval_s >= 1 && c->interval_s <= 3600);
	CHECK(c->syslog == 0 || c->syslog == 1);
	CHECK(c->near_miss_pct >= 1 && c->near_miss_pct <= 100);
	CHECK(c->top_n >= 1 && c->top_n <= 1000);
	CHECK(c->ndaemons >= 0 && c->ndaemons <= MB_MAX_DAEMONS);
	for (int i = 0; i < c->ndaemons; i++) {
		const struct mb_daemon_cfg *d = &c->daemons[i];
		size_t n;

		/* The name becomes a label value and a file name in state_dir. */
		CHECK(terminated(d->name, sizeof(d->name)));
		n = strlen(d->name);
		CHECK(n >= 1 && strspn(d->name, "abcdefghijklmnopqrstuvwxyz"
						"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") == n);
		for (int j = 0; j < i; j++)
			CHECK(strcmp(d->name, c->daemons[j].name));
		CHECK(d->ncomms >= 1 && d->ncomms <= MB_MAX_COMMS);
		for (int k = 0; k < d->ncomms; k++) {
			CHECK(terminated(d->comms[k], MB_COMM_LEN));
			CHECK(d->comms[k][0] != '\0');
			/* Signals are matched to a daemon by comm: one owner. */
			CHECK(mb_config_daemon_for_comm(c, d->comms[k]) == i + 1);
		}
		CHECK(path_ok(d->exe, sizeof(d->exe), 1));
		/* Bits 1..63 only: the BPF side shifts 1ULL by the signal number. */
		CHECK(d->sigmask && !(d->sigmask & 1));
		CHECK(d->window_ms >= 1 && d->window_ms <= MB_DURATION_MAX_MS);
		CHECK(d->storm_count >= 1 && d->storm_count <= 1000000);
		CHECK(d->storm_window_ms >= 1 && d->storm_window_ms <= MB_DURATION_MAX_MS);
		CHECK(d->chain_window_ms >= 1 && d->chain_window_ms <= MB_DURATION_MAX_MS);
	}
}

static void check_error(const char *err, size_t errlen)
{
	size_t plen = strlen(path);

	CHECK(terminated(err, errlen));
	/* Every error names the file (and, for parse errors, the line). */
	CHECK(!strncmp(err, path, plen) && err[plen] == ':');
	for (const unsigned char *s = (const unsigned char *)err; *s; s++)
		CHECK(*s >= 0x20 && *s != 0x7f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct mb_config c, before;
	char err[512], *small;
	int ret;

	if (memfd < 0) {
		memfd = memfd_create("fuzz_config", MFD_CLOEXEC);
		if (memfd < 0)
			abort();
		snprintf(path, sizeof(path), "/proc/self/fd/%d", memfd);
	}
	if (ftruncate(memfd, 0) || pwrite(memfd, data, size, 0) != (ssize_t)size)
		abort();

	/* A sentinel pattern shows whether a failed load wrote to *c. */
	memset(&c, 0xa5, sizeof(c));
	before = c;
	memset(err, 0x5a, sizeof(err));
	ret = mb_config_load(&c, path, err, sizeof(err));
	if (ret == 0) {
		check_config(&c);
	} else {
		CHECK(ret < 0);
		CHECK(!memcmp(&c, &before, sizeof(c)));
		check_error(err, sizeof(err));
	}

	/* The same input with a tiny error buffer: truncation, never overflow. */
	small = malloc(7);
	if (!small)
		abort();
	CHECK(mb_config_load(&c, path, small, 7) == ret);
	CHECK(terminated(small, 7));
	free(small);
	return 0;
}
