// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Writes the event seed corpus: one raw ring-buffer record per file, built
 * from the structs in bpf/mailbpf.h with the values the kernel sends for
 * real events (the E2BIG of tests/integration/test_trace.sh, a reload of
 * dovecot, an XFS shutdown, ...), plus hostile strings and a few malformed
 * records. Run by tests/fuzz/run.sh only when the corpus is missing; the
 * files are small and committed, so the corpus stays the same from run to
 * run.   usage: mkcorpus DIR
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "../../bpf/mailbpf.h"

static const char *dir;

static void out(const char *name, const void *rec, size_t len)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	if (!f || fwrite(rec, 1, len, f) != len || fclose(f)) {
		perror(path);
		exit(1);
	}
}

static void task(struct mb_task *t, unsigned pid, const char *comm, const char *a0, const char *a1,
		 const char *a2)
{
	const char *anc[] = { a0, a1, a2 };

	memset(t, 0, sizeof(*t));
	t->pid = t->tgid = pid;
	t->ppid = pid - 1;
	t->uid = 1000;
	t->cgroup_id = 4242;
	strncpy(t->comm, comm, MB_COMM_LEN - 1);
	for (int i = 0; i < 3 && anc[i]; i++) {
		t->anc_tgid[i] = pid - 1 - i;
		strncpy(t->anc_comm[i], anc[i], MB_COMM_LEN - 1);
	}
}

static void hdr(struct mb_hdr *h, unsigned type)
{
	h->type = type;
	h->cpu = 1;
	h->ts_ns = 123456789012345ULL;
}

int main(int argc, char **argv)
{
	struct mb_exec_event e;
	struct mb_signal_event s;
	struct mb_fs_event f;

	if (argc != 2) {
		fprintf(stderr, "usage: mkcorpus DIR\n");
		return 2;
	}
	dir = argv[1];

	/* /bin/true with one 200 KiB argument: over MAX_ARG_STRLEN. */
	memset(&e, 0, sizeof(e));
	hdr(&e.hdr, MB_EV_EXEC_FAIL);
	task(&e.task, 4321, "bash", "sh", "cron", "systemd");
	e.err = 7; /* E2BIG */
	e.flags = MB_EXEC_F_SIZES | MB_EXEC_F_OVER_STRLEN;
	e.argc = 2;
	e.envc = 12;
	e.argv_bytes = 204811;
	e.env_bytes = 900;
	e.longest = 204801;
	e.longest_idx = 1;
	e.limit = 2097152;
	e.rlim_stack = 8388608;
	strcpy(e.filename, "/bin/true");
	out("exec_e2big", &e, sizeof(e));

	/* Total over the limit, from execveat, walk truncated, folded repeats. */
	e.flags = MB_EXEC_F_SIZES | MB_EXEC_F_EXECVEAT | MB_EXEC_F_TRUNCATED;
	e.argc = 40000;
	e.argv_bytes = 2200000;
	e.longest = 100;
	e.suppressed = 17;
	strcpy(e.filename, "/usr/lib/dovecot/imap-login");
	out("exec_e2big_total", &e, sizeof(e));

	/* ENOEXEC of a file whose path and caller were named by an attacker. */
	memset(&e, 0, sizeof(e));
	hdr(&e.hdr, MB_EV_EXEC_FAIL);
	task(&e.task, 999, "x\"}\nmailbpf_fs_", "\x1b[31mred\\", "\xff\xfe\xc0\xaf",
	     "\xe2\x80\xae"
	     "evil");
	e.err = 8; /* ENOEXEC */
	e.flags = MB_EXEC_F_SIZES;
	e.argc = 1;
	e.argv_bytes = 10;
	e.limit = 2097152;
	e.rlim_stack = 8388608;
	strcpy(e.filename,
	       "/tmp/d\"}\n\x1b[31mmailbpf_fs_shutdown{x=\"1\"} 1\n/p\xff\xfe\xc2\x9b\t\x7f");
	out("exec_hostile", &e, sizeof(e));

	/* No NUL anywhere in the strings: the decoder must terminate them. */
	memset(e.filename, 'A', sizeof(e.filename));
	memset(e.task.comm, '\\', sizeof(e.task.comm));
	for (int i = 0; i < MB_ANCESTORS; i++)
		memset(e.task.anc_comm[i], '"', MB_COMM_LEN);
	e.err = -2147483647 - 1;
	out("exec_unterminated", &e, sizeof(e));

	/* A near miss: 60 % of the limit, successful. */
	memset(&e, 0, sizeof(e));
	hdr(&e.hdr, MB_EV_EXEC_NEAR);
	task(&e.task, 5000, "imap", "dovecot", "systemd", NULL);
	e.flags = MB_EXEC_F_SIZES;
	e.argc = 3;
	e.envc = 2000;
	e.argv_bytes = 64;
	e.env_bytes = 1250000;
	e.limit = 2097152;
	e.rlim_stack = 8388608;
	strcpy(e.filename, "/usr/lib/dovecot/imap");
	out("exec_near", &e, sizeof(e));

	/* SIGHUP to the dovecot master from a cron helper. */
	memset(&s, 0, sizeof(s));
	hdr(&s.hdr, MB_EV_SIGNAL);
	task(&s.sender, 7000, "cron-reload", "sh", "cron", "systemd");
	s.sig = 1;
	s.result = MB_SIG_DELIVERED;
	s.code = 0;
	s.target_pid = s.target_tgid = 1234;
	s.watched = 1;
	strcpy(s.target_comm, "dovecot");
	out("signal_reload", &s, sizeof(s));

	/* Hostile sender and target, out-of-range numbers. */
	task(&s.sender, 7001, "x\"}\nmailbpf_fs_", "\x1b]0;pwn\x07", "\xc2\x85\xe2\x80\xae",
	     "a\\b");
	s.sig = 64;
	s.result = 99;
	s.code = -6;
	s.group = 1;
	s.watched = 9;
	strcpy(s.target_comm, "\"}\n\x1b[2J\xff");
	out("signal_hostile", &s, sizeof(s));

	/* XFS forced shutdown on loop0 (in the fuzzer's mount table). */
	memset(&f, 0, sizeof(f));
	hdr(&f.hdr, MB_EV_FS_SHUTDOWN);
	f.dev = 7u << 20;
	f.source = MB_FS_FORCE_SHUTDOWN;
	f.flags = 1 | 2;
	f.nr = 1235;
	f.pid = 300;
	strcpy(f.comm, "kworker/0:1");
	strcpy(f.detail, "fs/xfs/xfs_trans_buf.c");
	out("fs_shutdown", &f, sizeof(f));

	hdr(&f.hdr, MB_EV_FS_ERROR);
	f.source = MB_FS_BUF_IOERROR;
	f.error = -5;
	f.sector = 4096;
	f.nr = 8;
	f.suppressed = 3;
	f.detail[0] = 0;
	out("fs_error", &f, sizeof(f));

	/* Corruption on the FUSE mount with the hostile mount point. */
	hdr(&f.hdr, MB_EV_FS_CORRUPT);
	f.dev = 52;
	f.source = MB_FS_INODE_CORRUPT;
	f.flags = 0x10;
	f.ino = 131;
	strcpy(f.comm, "\x1b[31m\"}\n");
	out("fs_corrupt", &f, sizeof(f));

	hdr(&f.hdr, MB_EV_BLOCK_ERROR);
	f.dev = 8u << 20 | 1;
	f.source = MB_FS_BLOCK_RQ_ERROR;
	f.error = -61;
	f.sector = 123456;
	f.nr = 16;
	strcpy(f.detail, "WS");
	out("block_error", &f, sizeof(f));

	/* ext4: an error with a function name that fills detail, a shutdown. */
	hdr(&f.hdr, MB_EV_FS_ERROR);
	f.dev = 7u << 20;
	f.source = MB_FS_EXT4_ERROR;
	f.error = 0;
	f.nr = 1613;
	memset(f.detail, 'x', sizeof(f.detail));
	out("ext4_error", &f, sizeof(f));
	hdr(&f.hdr, MB_EV_FS_SHUTDOWN);
	f.source = MB_FS_EXT4_SHUTDOWN;
	f.flags = 7; /* not an EXT4_GOING_FLAGS_* value */
	strcpy(f.detail, "");
	out("ext4_shutdown", &f, sizeof(f));
	/* A Dovecot child that failed its exec, then a master gone, hostile comms. */
	{
		struct mb_exit_event x;

		memset(&x, 0, sizeof(x));
		hdr(&x.hdr, MB_EV_PROC_EXIT);
		x.pid = 5001;
		x.ppid = 1000;
		x.watched = 1;
		x.kind = MB_EXIT_STARTUP_FAIL;
		x.exit_code = 84 << 8;
		x.age_ns = 1000000;
		strcpy(x.comm, "dovecot");
		strcpy(x.parent_comm, "dovecot");
		out("proc_startup_fail", &x, sizeof(x));
		x.kind = MB_EXIT_MASTER;
		x.exit_code = 11 | 0x80;
		x.watched = 9;
		strcpy(x.comm, "\"}\n\x1b[2J\xff");
		out("proc_master_hostile", &x, sizeof(x));
	}

	/* Malformed: one byte short, unknown type, header only. */
	out("short_exec", &e, sizeof(e) - 1);
	hdr(&f.hdr, 42);
	out("bad_type", &f, sizeof(f));
	out("hdr_only", &f, sizeof(struct mb_hdr));
	return 0;
}
