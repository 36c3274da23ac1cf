// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The masters mailbpf knows, and their living children, from /proc: a
 * process of a watched comm (and exe, when configured) whose parent is not
 * of the same daemon is a master (Exim's daemon forks exim4 children that
 * fork more; Dovecot's failed-exec children keep the name "dovecot"). One
 * read of /proc/PID/stat per process: comm, ppid and start time together.
 * Run every interval, and every second while an incident wants it.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "procscan.h"

struct proc_ent {
	uint32_t pid, ppid;
	uint64_t start_ns; /* boot time */
	char comm[MB_COMM_LEN];
	int idx; /* daemon index + 1 by comm (and exe), 0 if none */
	int master;
};

/* "PID (COMM) S PPID ..." with the start time (clock ticks) as field 22. */
static int read_stat(int dirfd, const char *name, struct proc_ent *e, long hz)
{
	char path[sizeof(((struct dirent *)0)->d_name) + 8], buf[1024], *lp, *rp, *p;
	unsigned long long start = 0;
	int fd, n, field;

	snprintf(path, sizeof(path), "%s/stat", name);
	fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = (int)read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -EIO;
	buf[n] = '\0';
	lp = strchr(buf, '(');
	rp = strrchr(buf, ')'); /* a comm may hold ')' itself */
	if (!lp || !rp || rp < lp || rp[1] != ' ')
		return -EINVAL;
	n = (int)(rp - lp - 1);
	if (n >= MB_COMM_LEN)
		n = MB_COMM_LEN - 1;
	memcpy(e->comm, lp + 1, (size_t)n);
	e->comm[n] = '\0';
	e->pid = (uint32_t)strtoul(buf, NULL, 10);
	/* Fields after the comm: 3 state, 4 ppid, ..., 22 starttime. */
	p = rp + 2;
	if (*p == 'Z' || *p == 'X')
		return -ESRCH; /* exited, not reaped yet: not alive */
	for (field = 3; field < 22 && p; field++) {
		if (field == 4)
			e->ppid = (uint32_t)strtoul(p, NULL, 10);
		p = strchr(p, ' ');
		if (p)
			p++;
	}
	if (!p)
		return -EINVAL;
	start = strtoull(p, NULL, 10);
	e->start_ns = start * (1000000000ULL / (uint64_t)hz);
	return 0;
}

/* argv[0] of the process is path, and its real uid is root. */
static int argv0_root_is(int dirfd, const char *name, const char *path)
{
	char p[sizeof(((struct dirent *)0)->d_name) + 8], buf[MB_PATH_LEN + 1], st[512], *uid;
	int fd, n;

	snprintf(p, sizeof(p), "%s/cmdline", name);
	fd = openat(dirfd, p, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = (int)read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	if (strcmp(buf, path))
		return 0;
	snprintf(p, sizeof(p), "%s/status", name);
	fd = openat(dirfd, p, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = (int)read(fd, st, sizeof(st) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	st[n] = '\0';
	uid = strstr(st, "\nUid:\t");
	return uid && !strncmp(uid + 6, "0\t", 2);
}

/*
 * Is the process running the configured binary? Its exe's inode when
 * /proc/PID/exe is readable. Once the collector has dropped its
 * capabilities, a daemon that changed credentials (Postfix's master: not
 * dumpable) hides its exe (ptrace access mode): then argv[0] must be the
 * configured path (how postfix-script and the systemd unit start it) and
 * the process root's, which no local user can fake.
 */
static int exe_is(int dirfd, const char *name, const struct stat *want, const char *path)
{
	char p[sizeof(((struct dirent *)0)->d_name) + 8];
	struct stat st;

	snprintf(p, sizeof(p), "%s/exe", name);
	if (!fstatat(dirfd, p, &st, 0))
		return st.st_dev == want->st_dev && st.st_ino == want->st_ino;
	return (errno == EACCES || errno == EPERM) && argv0_root_is(dirfd, name, path);
}

static int by_pid(const void *a, const void *b)
{
	const struct proc_ent *x = a, *y = b;

	return x->pid < y->pid ? -1 : x->pid > y->pid;
}

static const struct proc_ent *find(const struct proc_ent *v, size_t n, uint32_t pid)
{
	struct proc_ent key = { .pid = pid };

	return bsearch(&key, v, n, sizeof(*v), by_pid);
}

int mb_scan_masters(const struct mb_config *cfg, uint64_t now_ns, mb_scan_master_fn on_master,
		    mb_scan_child_fn on_child, void *ctx)
{
	struct stat exe[MB_MAX_DAEMONS];
	int have_exe[MB_MAX_DAEMONS] = {};
	struct proc_ent *v = NULL, *nv;
	size_t n = 0, cap = 0;
	long hz = sysconf(_SC_CLK_TCK);
	struct dirent *de;
	DIR *dir;

	if (hz <= 0)
		hz = 100;
	for (int i = 0; i < cfg->ndaemons; i++)
		have_exe[i] =
			cfg->daemons[i].exe[0] ? (stat(cfg->daemons[i].exe, &exe[i]) ? -1 : 1) : 0;
	dir = opendir("/proc");
	if (!dir)
		return -errno;
	while ((de = readdir(dir))) {
		struct proc_ent e = {};
		int idx;

		if (de->d_name[0] < '1' || de->d_name[0] > '9')
			continue;
		if (read_stat(dirfd(dir), de->d_name, &e, hz))
			continue; /* gone meanwhile */
		idx = mb_config_daemon_for_comm(cfg, e.comm);
		/* Not installed (exe absent): its comm matches nothing. */
		if (idx && have_exe[idx - 1] &&
		    (have_exe[idx - 1] < 0 ||
		     !exe_is(dirfd(dir), de->d_name, &exe[idx - 1], cfg->daemons[idx - 1].exe)))
			idx = 0;
		e.idx = idx;
		if (n == cap) {
			cap = cap ? cap * 2 : 512;
			nv = realloc(v, cap * sizeof(*v));
			if (!nv) {
				free(v);
				closedir(dir);
				return -ENOMEM;
			}
			v = nv;
		}
		v[n++] = e;
	}
	closedir(dir);
	qsort(v, n, sizeof(*v), by_pid);
	for (size_t i = 0; i < n; i++) {
		const struct proc_ent *p;

		if (!v[i].idx)
			continue;
		p = find(v, n, v[i].ppid);
		if (p && p->idx == v[i].idx)
			continue; /* a child of its own daemon */
		v[i].master = 1;
		if (on_master)
			on_master(ctx, v[i].idx - 1, v[i].pid,
				  now_ns > v[i].start_ns ? now_ns - v[i].start_ns : 0);
	}
	for (size_t i = 0; on_child && i < n; i++) {
		const struct proc_ent *p = find(v, n, v[i].ppid);

		if (p && p->master)
			on_child(ctx, p->idx - 1, p->pid, v[i].comm,
				 now_ns > v[i].start_ns ? now_ns - v[i].start_ns : 0);
	}
	free(v);
	return 0;
}
