// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * mbload: the workload generator behind `make bench` (tools/bench.sh).
 *
 *   mbload exec N [SECS]          fork + execve /bin/true, N times
 *   mbload e2big N [NAME]         execve of a copy of /bin/true called NAME
 *                                 with a 200 KiB argument: fails E2BIG, N times
 *   mbload sighup N PID [SECS]    kill(PID, SIGHUP), N times
 *   mbload kill0 N PID [SECS]     kill(PID, 0), N times
 *   mbload target COMM            rename to COMM, handle SIGHUP, print the pid,
 *                                 run until SIGTERM/SIGINT
 *   mbload latency PID ALERTLOG TEXTFILE [DAEMON]
 *                                 two SIGHUPs to PID (a watched daemon); how
 *                                 long until the reload_collision line is in
 *                                 ALERTLOG and the collision counter of DAEMON
 *                                 (default dovecot) went up in TEXTFILE
 *
 * SECS, where taken, stops the loop early once that much time has passed
 * (checked every 256 operations), so a slow configuration cannot stretch a
 * run: the rate is what was done over the time it took.
 *
 * Every result is one line of key=value pairs, first word the mode, so the
 * runner can pick fields with sed. Exit status is 0 only when every
 * operation did what it should (an exec that did not fail E2BIG, a kill
 * that failed, a latency that timed out: non-zero).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define BIG_ARG (200 * 1024) /* > MAX_ARG_STRLEN (128 KiB): E2BIG */
#define LATENCY_TIMEOUT_MS 5000
#define CHECK_EVERY 256 /* operations between two looks at the clock */

extern char **environ;

static double mono_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* CPU time of this process and its reaped children: unlike wall time, not
 * stretched when something else on the host takes the CPU away. */
static double cpu_s(void)
{
	struct rusage self, kids;

	getrusage(RUSAGE_SELF, &self);
	getrusage(RUSAGE_CHILDREN, &kids);
	return self.ru_utime.tv_sec + self.ru_stime.tv_sec + kids.ru_utime.tv_sec +
	       kids.ru_stime.tv_sec +
	       (self.ru_utime.tv_usec + self.ru_stime.tv_usec + kids.ru_utime.tv_usec +
		kids.ru_stime.tv_usec) /
		       1e6;
}

static double real_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int parse_count(const char *s, long *out)
{
	char *end;

	errno = 0;
	*out = strtol(s, &end, 10);
	if (errno || *end || *out < 1) {
		fprintf(stderr, "mbload: '%s': expected a positive number\n", s);
		return -1;
	}
	return 0;
}

static int parse_secs(const char *s, double *out)
{
	char *end;

	errno = 0;
	*out = strtod(s, &end);
	if (errno || *end || *out <= 0) {
		fprintf(stderr, "mbload: '%s': expected seconds > 0\n", s);
		return -1;
	}
	return 0;
}

static int parse_pid(const char *s, pid_t *out)
{
	long v;

	if (parse_count(s, &v) || v > INT_MAX)
		return -1;
	*out = (pid_t)v;
	return 0;
}

static double c0;

static void report(const char *mode, long n, long bad, double secs)
{
	double cpu = cpu_s() - c0;

	printf("%s ops=%ld errors=%ld secs=%.6f ops_per_s=%.1f cpu_s=%.6f ops_per_cpu_s=%.1f\n",
	       mode, n, bad, secs, secs > 0 ? n / secs : 0.0, cpu, cpu > 0 ? n / cpu : 0.0);
}

static int do_exec(long n, double secs)
{
	char *const argv[] = { "true", NULL };
	long bad = 0, i;
	double t0, t1;

	c0 = cpu_s();
	t0 = mono_s();
	for (i = 0; i < n; i++) {
		int status;
		pid_t pid;

		if (secs > 0 && !(i % 16) && i && mono_s() - t0 >= secs)
			break;
		pid = fork();

		if (pid < 0) {
			perror("mbload: fork");
			return 1;
		}
		if (pid == 0) {
			execve("/bin/true", argv, environ);
			_exit(127);
		}
		if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status))
			bad++;
	}
	t1 = mono_s();
	report("exec", i, bad, t1 - t0);
	return bad ? 1 : 0;
}

static int copy_file(const char *from, const char *to)
{
	char buf[65536];
	int in, out, ret = -1;
	ssize_t r;

	in = open(from, O_RDONLY | O_CLOEXEC);
	if (in < 0)
		return -1;
	out = open(to, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0755);
	if (out < 0)
		goto close_in;
	while ((r = read(in, buf, sizeof(buf))) > 0)
		if (write(out, buf, r) != r)
			goto close_out;
	if (r == 0)
		ret = 0;
close_out:
	if (close(out))
		ret = -1;
close_in:
	close(in);
	return ret;
}

static int do_e2big(long n, const char *name)
{
	char dir[] = "/tmp/mbload.XXXXXX";
	char path[PATH_MAX];
	char *big, *argv[3];
	long bad = 0;
	double t0, t1;
	int ret = 1;

	if (strchr(name, '/') || strlen(name) > 15) {
		fprintf(stderr, "mbload: e2big NAME: at most 15 characters, no '/'\n");
		return 2;
	}
	if (!mkdtemp(dir)) {
		perror("mbload: mkdtemp");
		return 1;
	}
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	big = malloc(BIG_ARG);
	if (!big || copy_file("/bin/true", path)) {
		perror("mbload: preparing the E2BIG program");
		goto out;
	}
	memset(big, 'x', BIG_ARG - 1);
	big[BIG_ARG - 1] = 0;
	argv[0] = (char *)name;
	argv[1] = big;
	argv[2] = NULL;

	c0 = cpu_s();
	t0 = mono_s();
	for (long i = 0; i < n; i++) {
		execve(path, argv, environ);
		/* A failed exec returns to us; only E2BIG is what we asked for. */
		if (errno != E2BIG)
			bad++;
	}
	t1 = mono_s();
	report("e2big", n, bad, t1 - t0);
	printf("e2big program=%s\n", name);
	ret = bad ? 1 : 0;
out:
	unlink(path);
	rmdir(dir);
	free(big);
	return ret;
}

static int do_kill(const char *mode, long n, pid_t pid, int sig, double secs)
{
	long bad = 0, i;
	double t0, t1;

	c0 = cpu_s();
	t0 = mono_s();
	for (i = 0; i < n; i++) {
		if (secs > 0 && !(i % CHECK_EVERY) && i && mono_s() - t0 >= secs)
			break;
		if (kill(pid, sig))
			bad++;
	}
	t1 = mono_s();
	report(mode, i, bad, t1 - t0);
	return bad ? 1 : 0;
}

static volatile sig_atomic_t hups, stop;

static void on_hup(int sig)
{
	hups++;
}

static void on_stop(int sig)
{
	stop = 1;
}

static int do_target(const char *comm)
{
	struct sigaction hup = { .sa_handler = on_hup, .sa_flags = SA_RESTART };
	struct sigaction term = { .sa_handler = on_stop };
	sigset_t all, none;

	if (prctl(PR_SET_NAME, comm, 0, 0, 0)) {
		perror("mbload: PR_SET_NAME");
		return 1;
	}
	/* Block while checking `stop`, then wait with everything open. */
	sigemptyset(&none);
	sigemptyset(&all);
	sigaddset(&all, SIGHUP);
	sigaddset(&all, SIGTERM);
	sigaddset(&all, SIGINT);
	sigprocmask(SIG_BLOCK, &all, NULL);
	sigaction(SIGHUP, &hup, NULL);
	sigaction(SIGTERM, &term, NULL);
	sigaction(SIGINT, &term, NULL);
	printf("target pid=%d comm=%s\n", (int)getpid(), comm);
	fflush(stdout);
	while (!stop)
		sigsuspend(&none);
	printf("target pid=%d hups_handled=%ld\n", (int)getpid(), (long)hups);
	return 0;
}

/* The value of NAME{daemon="DAEMON"} in a node_exporter textfile, or -1. */
static double textfile_value(const char *path, const char *metric, const char *daemon)
{
	char want[256], line[1024];
	double v = -1;
	size_t len;
	FILE *f;

	snprintf(want, sizeof(want), "%s{daemon=\"%s\"} ", metric, daemon);
	len = strlen(want);
	f = fopen(path, "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, want, len)) {
			v = strtod(line + len, NULL);
			break;
		}
	fclose(f);
	return v;
}

/* Does the text hold a reload_collision line for this target? */
static int has_collision(const char *text, pid_t pid)
{
	char key[64];
	const char *line = text, *nl;

	snprintf(key, sizeof(key), "\"target_pid\":%d", (int)pid);
	while (*line) {
		nl = strchr(line, '\n');
		if (!nl)
			break; /* a line is whole only once its newline is there */
		if (memmem(line, nl - line, "\"reload_collision\"", 18) &&
		    memmem(line, nl - line, key, strlen(key)))
			return 1;
		line = nl + 1;
	}
	return 0;
}

struct tail {
	int fd;
	char *buf;
	size_t len, cap;
};

/* Append what was written to the alert log since the last call. */
static int tail_read(struct tail *t)
{
	ssize_t r;

	for (;;) {
		if (t->cap - t->len < 4097) {
			size_t cap = t->cap ? t->cap * 2 : 65536;
			char *p = realloc(t->buf, cap);

			if (!p)
				return -1;
			t->buf = p;
			t->cap = cap;
		}
		r = read(t->fd, t->buf + t->len, t->cap - t->len - 1);
		if (r <= 0)
			break;
		t->len += r;
	}
	t->buf[t->len] = 0;
	return 0;
}

static int do_latency(pid_t pid, const char *alertlog, const char *textfile, const char *daemon)
{
	const char *metric = "mailbpf_reload_collisions_total";
	char dir[PATH_MAX];
	const char *base;
	struct tail t = {};
	double before, t0, t0_real, t_alert = -1, t_text = -1, now;
	int in, wd_log, wd_dir;
	char ev[4096] __attribute__((aligned(__alignof__(struct inotify_event))));

	base = strrchr(textfile, '/');
	if (base)
		snprintf(dir, sizeof(dir), "%.*s", base == textfile ? 1 : (int)(base - textfile),
			 textfile);
	else
		snprintf(dir, sizeof(dir), ".");
	base = base ? base + 1 : textfile;

	in = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (in < 0) {
		perror("mbload: inotify_init1");
		return 1;
	}
	wd_log = inotify_add_watch(in, alertlog, IN_MODIFY);
	wd_dir = inotify_add_watch(in, dir, IN_MOVED_TO | IN_CLOSE_WRITE);
	if (wd_log < 0 || wd_dir < 0) {
		perror("mbload: inotify_add_watch");
		return 1;
	}
	/* Only lines written after this point count. */
	t.fd = open(alertlog, O_RDONLY | O_CLOEXEC);
	if (t.fd < 0 || lseek(t.fd, 0, SEEK_END) < 0) {
		perror("mbload: opening the alert log");
		return 1;
	}
	before = textfile_value(textfile, metric, daemon);
	if (before < 0) {
		fprintf(stderr, "mbload: no %s{daemon=\"%s\"} in %s\n", metric, daemon, textfile);
		return 1;
	}

	if (kill(pid, SIGHUP)) {
		perror("mbload: kill");
		return 1;
	}
	t0_real = real_s();
	t0 = mono_s();
	if (kill(pid, SIGHUP)) {
		perror("mbload: kill");
		return 1;
	}

	while (t_alert < 0 || t_text < 0) {
		struct pollfd p = { .fd = in, .events = POLLIN };
		int left = LATENCY_TIMEOUT_MS - (int)((mono_s() - t0) * 1000);
		ssize_t r;

		if (left <= 0)
			break;
		if (poll(&p, 1, left) <= 0)
			continue;
		now = mono_s();
		r = read(in, ev, sizeof(ev));
		for (char *q = ev; r > 0 && q < ev + r;) {
			const struct inotify_event *ie = (const struct inotify_event *)q;

			if (ie->wd == wd_log && t_alert < 0) {
				if (tail_read(&t))
					return 1;
				if (has_collision(t.buf, pid))
					t_alert = now;
			} else if (ie->wd == wd_dir && t_text < 0 && ie->len &&
				   !strcmp(ie->name, base)) {
				if (textfile_value(textfile, metric, daemon) > before)
					t_text = now;
			}
			q += sizeof(*ie) + ie->len;
		}
	}
	printf("latency alert_ms=%.3f textfile_ms=%.3f t0_realtime=%.6f target_pid=%d\n",
	       t_alert < 0 ? -1.0 : (t_alert - t0) * 1000, t_text < 0 ? -1.0 : (t_text - t0) * 1000,
	       t0_real, (int)pid);
	free(t.buf);
	close(t.fd);
	close(in);
	return t_alert < 0 || t_text < 0 ? 1 : 0;
}

static void usage(void)
{
	fprintf(stderr, "usage: mbload exec N [SECS]\n"
			"       mbload e2big N [NAME]\n"
			"       mbload sighup N PID [SECS]\n"
			"       mbload kill0 N PID [SECS]\n"
			"       mbload target COMM\n"
			"       mbload latency PID ALERTLOG TEXTFILE [DAEMON]\n");
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "";
	double secs = 0;
	long n;
	pid_t pid;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!strcmp(mode, "exec") && (argc == 3 || argc == 4)) {
		if (parse_count(argv[2], &n) || (argc == 4 && parse_secs(argv[3], &secs)))
			return 2;
		return do_exec(n, secs);
	}
	if (!strcmp(mode, "e2big") && (argc == 3 || argc == 4)) {
		if (parse_count(argv[2], &n))
			return 2;
		return do_e2big(n, argc == 4 ? argv[3] : "mbload-e2big");
	}
	if ((!strcmp(mode, "sighup") || !strcmp(mode, "kill0")) && (argc == 4 || argc == 5)) {
		if (parse_count(argv[2], &n) || parse_pid(argv[3], &pid) ||
		    (argc == 5 && parse_secs(argv[4], &secs)))
			return 2;
		return do_kill(mode, n, pid, !strcmp(mode, "sighup") ? SIGHUP : 0, secs);
	}
	if (!strcmp(mode, "target") && argc == 3)
		return do_target(argv[2]);
	if (!strcmp(mode, "latency") && (argc == 5 || argc == 6)) {
		if (parse_pid(argv[2], &pid))
			return 2;
		return do_latency(pid, argv[3], argv[4], argc == 6 ? argv[5] : "dovecot");
	}
	usage();
	return 2;
}
