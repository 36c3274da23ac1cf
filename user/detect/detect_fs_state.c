// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Saving and loading the sticky shutdown and read-only flags across
 * collector restarts. The file is small, line based and versioned:
 *
 *   mailbpf-fs-state 1
 *   boot <boot_id>
 *   shutdown <dev> <mount_id> <ts_ns> <flags> <devname> <fstype> <mountpoint>
 *   readonly <dev> <mount_id> <ts_ns> <cause> <devname> <fstype> <mountpoint>
 *   recorded <dev> <mount_id> <ts_ns> <count> <devname> <fstype> <mountpoint>
 *   end <number of shutdown, readonly and recorded lines>
 *
 * Strings are written with bytes outside 0x21..0x7e and the backslash as
 * \ooo, and "" as "-", so a mount point with spaces stays one field. The
 * end line catches a file cut short by a crash mid-write.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include "detect_fs_priv.h"

#define STATE_MAGIC "mailbpf-fs-state 1"
#define LINE_MAX_LEN 2048
#define NTOK 8

struct mb_fs_flag *mb_fs_list_add(struct mb_fs_flag *l, int *n)
{
	int old = 0;

	if (*n < MB_FS_MAX_FLAGS)
		return &l[(*n)++];
	/* Bounded: dozens of flagged mounts at once means the host has bigger news. */
	for (int i = 1; i < *n; i++)
		if (l[i].ts_ns < l[old].ts_ns)
			old = i;
	memmove(&l[old], &l[old + 1], (size_t)(*n - old - 1) * sizeof(l[0]));
	return &l[*n - 1];
}

int mb_fs_list_find(const struct mb_fs_flag *l, int n, uint32_t dev, int mount_id,
		    const char *mountpoint)
{
	for (int i = 0; i < n; i++)
		if (l[i].dev == dev && l[i].mount_id == mount_id &&
		    !strncmp(l[i].mountpoint, mountpoint, MB_PATH_LEN))
			return i;
	return -1;
}

int mb_fs_list_restore(struct mb_fs_flag *l, int *n, const struct mb_fs_flag *fg, int replace)
{
	char mp[MB_PATH_LEN];
	struct mb_fs_flag *dst;
	int i;

	mb_copy_fixed(mp, sizeof(mp), fg->mountpoint, sizeof(fg->mountpoint));
	i = mb_fs_list_find(l, *n, fg->dev, fg->mount_id, mp);
	if (i >= 0 && !replace)
		return 0;
	dst = i >= 0 ? &l[i] : mb_fs_list_add(l, n);
	*dst = *fg;
	dst->devname[sizeof(dst->devname) - 1] = '\0';
	dst->mountpoint[sizeof(dst->mountpoint) - 1] = '\0';
	dst->fstype[sizeof(dst->fstype) - 1] = '\0';
	return i < 0;
}

static int boot_id_ok(const char *b)
{
	size_t i, n;

	if (!b)
		return 0;
	n = strlen(b);
	if (!n || n > 128)
		return 0;
	for (i = 0; i < n; i++)
		if (b[i] <= 0x20 || b[i] >= 0x7f)
			return 0;
	return 1;
}

static void put_str(FILE *out, const char *s, size_t max)
{
	size_t i, n = strnlen(s, max);

	if (!n || (n == 1 && s[0] == '-')) {
		fputs(n ? "\\055" : "-", out);
		return;
	}
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c <= 0x20 || c >= 0x7f || c == '\\')
			fprintf(out, "\\%03o", c);
		else
			fputc(c, out);
	}
}

static void put_flag(FILE *out, const char *what, const struct mb_fs_flag *fg)
{
	fprintf(out, "%s %u %d %llu %u ", what, fg->dev, fg->mount_id,
		(unsigned long long)fg->ts_ns, fg->flags);
	put_str(out, fg->devname, sizeof(fg->devname));
	fputc(' ', out);
	put_str(out, fg->fstype, sizeof(fg->fstype));
	fputc(' ', out);
	put_str(out, fg->mountpoint, sizeof(fg->mountpoint));
	fputc('\n', out);
}

int mb_fs_save(const struct mb_fs_det *f, FILE *out, const char *boot_id)
{
	int i, n = mb_fs_shutdown_count(f), nro = mb_fs_readonly_count(f);
	int nrep = mb_fs_reported_count(f);

	if (!f || !out || !boot_id_ok(boot_id))
		return -EINVAL;
	fprintf(out, "%s\nboot %s\n", STATE_MAGIC, boot_id);
	for (i = 0; i < n; i++)
		put_flag(out, "shutdown", mb_fs_shutdown_at(f, i));
	for (i = 0; i < nro; i++)
		put_flag(out, "readonly", mb_fs_readonly_at(f, i));
	for (i = 0; i < nrep; i++)
		put_flag(out, "recorded", mb_fs_reported_at(f, i));
	fprintf(out, "end %d\n", n + nro + nrep);
	if (fflush(out) || ferror(out))
		return -EIO;
	return 0;
}

static int get_str(const char *tok, char *dst, size_t len)
{
	size_t o = 0;

	if (!strcmp(tok, "-")) {
		dst[0] = '\0';
		return 0;
	}
	for (; *tok; tok++) {
		unsigned int c = (unsigned char)*tok;

		if (c == '\\') {
			if (tok[1] < '0' || tok[1] > '3' || tok[2] < '0' || tok[2] > '7' ||
			    tok[3] < '0' || tok[3] > '7')
				return -EINVAL;
			c = (unsigned int)((tok[1] - '0') * 64 + (tok[2] - '0') * 8 +
					   (tok[3] - '0'));
			tok += 3;
		}
		/* A NUL inside would silently shorten the name; reject it. */
		if (!c || o + 1 >= len)
			return -EINVAL;
		dst[o++] = (char)c;
	}
	dst[o] = '\0';
	return 0;
}

static int get_u64(const char *tok, uint64_t max, uint64_t *v)
{
	unsigned long long x;
	char *end;

	if (*tok < '0' || *tok > '9')
		return -EINVAL;
	errno = 0;
	x = strtoull(tok, &end, 10);
	if (errno || *end || x > max)
		return -EINVAL;
	*v = x;
	return 0;
}

/* Split on single spaces in place; returns the token count or -EINVAL. */
static int split(char *line, char **tok, int max)
{
	int n = 0;
	char *p = line;

	for (;;) {
		char *sp = strchr(p, ' ');

		if (n == max || p == sp || !*p)
			return -EINVAL;
		tok[n++] = p;
		if (!sp)
			return n;
		*sp = '\0';
		p = sp + 1;
	}
}

static int parse_flag(char **tok, struct mb_fs_flag *fg)
{
	uint64_t dev, mid, ts, flags;

	memset(fg, 0, sizeof(*fg));
	if (get_u64(tok[1], UINT32_MAX, &dev) || get_u64(tok[3], UINT64_MAX, &ts) ||
	    get_u64(tok[4], UINT32_MAX, &flags))
		return -EINVAL;
	if (!strcmp(tok[2], "-1"))
		mid = (uint64_t)-1;
	else if (get_u64(tok[2], INT_MAX, &mid))
		return -EINVAL;
	if (get_str(tok[5], fg->devname, sizeof(fg->devname)) ||
	    get_str(tok[6], fg->fstype, sizeof(fg->fstype)) ||
	    get_str(tok[7], fg->mountpoint, sizeof(fg->mountpoint)))
		return -EINVAL;
	fg->dev = (uint32_t)dev;
	fg->mount_id = mid == (uint64_t)-1 ? -1 : (int)mid;
	fg->ts_ns = ts;
	fg->flags = (uint32_t)flags;
	return 0;
}

/* Reads one whole line without its newline; a line without one is malformed. */
static int read_line(FILE *in, char *buf, size_t len)
{
	size_t n;

	if (!fgets(buf, (int)len, in))
		return ferror(in) ? -EIO : -ENOENT;
	n = strlen(buf);
	if (!n || buf[n - 1] != '\n')
		return -EINVAL;
	buf[n - 1] = '\0';
	return 0;
}

int mb_fs_load(struct mb_fs_det *f, FILE *in, const char *boot_id)
{
	struct mb_fs_flag tmp[3 * MB_FS_MAX_FLAGS];
	int kind[3 * MB_FS_MAX_FLAGS];
	char line[LINE_MAX_LEN], boot[LINE_MAX_LEN], *tok[NTOK];
	int i, n = 0, ntok, added = 0;
	uint64_t end;

	if (!f || !in || !boot_id_ok(boot_id))
		return -EINVAL;
	/* Parse it all before touching f, so a bad file changes nothing. */
	if (read_line(in, line, sizeof(line)) || strcmp(line, STATE_MAGIC))
		return -EINVAL;
	if (read_line(in, line, sizeof(line)) || split(line, tok, NTOK) != 2 ||
	    strcmp(tok[0], "boot") || !boot_id_ok(tok[1]))
		return -EINVAL;
	strcpy(boot, tok[1]);
	for (;;) {
		if (read_line(in, line, sizeof(line)))
			return -EINVAL;
		ntok = split(line, tok, NTOK);
		if (ntok == 2 && !strcmp(tok[0], "end"))
			break;
		if (ntok != NTOK || n == 3 * MB_FS_MAX_FLAGS || parse_flag(tok, &tmp[n]))
			return -EINVAL;
		if (!strcmp(tok[0], "shutdown"))
			kind[n++] = 0;
		else if (!strcmp(tok[0], "readonly"))
			kind[n++] = 1;
		else if (!strcmp(tok[0], "recorded"))
			kind[n++] = 2;
		else
			return -EINVAL;
	}
	if (get_u64(tok[1], 3 * MB_FS_MAX_FLAGS, &end) || end != (uint64_t)n)
		return -EINVAL;
	if (read_line(in, line, sizeof(line)) != -ENOENT)
		return -EINVAL;

	/* Flags from another boot: that reboot unmounted every one of them. */
	if (strcmp(boot, boot_id))
		return 0;
	for (i = 0; i < n; i++)
		added += (kind[i] == 2 ? mb_fs_restore_reported(f, &tmp[i]) :
			  kind[i] == 1 ? mb_fs_restore_readonly(f, &tmp[i]) :
					 mb_fs_restore_flag(f, &tmp[i])) > 0;
	return added;
}
