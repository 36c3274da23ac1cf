// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * faultfs - a FUSE file system that turns a disk image into a disk that can
 * be told to fail, so that tests see *real* block-layer and XFS I/O errors on
 * kernels without dm-error, null_blk, scsi_debug or fault injection.
 *
 * Usage: faultfs BACKING_FILE MOUNTPOINT [-f]
 *
 * MOUNTPOINT/disk.img  passes reads and writes through to BACKING_FILE.
 *                      Attach a loop device to it and put XFS on the loop.
 * MOUNTPOINT/ctl       write one command to change the fault rules:
 *                        ok            pass everything through again
 *                        fail          fail all reads, writes and flushes
 *                        fail read     fail all reads (writes unchanged)
 *                        fail write    fail all writes, flushes, discards
 *                                      (reads unchanged)
 *                        fail [read|write] OFFSET LEN
 *                                      as above, but only requests that
 *                                      overlap bytes [OFFSET, OFFSET+LEN)
 *                                      of disk.img; flushes then succeed
 *                      e.g. `echo "fail write 0 4096" > MOUNTPOINT/ctl`.
 *                      A bad command fails the write with EINVAL. Rules
 *                      apply to requests that arrive after the write
 *                      returns. Reading ctl shows the rules and how many
 *                      requests have failed so far, one line a direction:
 *                        read=1 off=0 len=0 failed=8
 *
 * Failing requests return -EIO to the kernel, which the loop driver turns into
 * BLK_STS_IOERR, so block:block_rq_error and xfs:xfs_buf_ioerror fire exactly
 * as they would for a dying disk. Only a control file, no signals: a write to
 * ctl is synchronous and reports bad commands, a signal would do neither.
 *
 * Stop it with `fusermount3 -u MOUNTPOINT` (after detaching the loop device)
 * or SIGTERM. libfuse 3.14 prints a harmless "Ignoring invalid max threads
 * value" warning at start.
 *
 * Build: gcc -Wall -Werror faultfs.c $(pkg-config --cflags --libs fuse3)
 */
#define FUSE_USE_VERSION 31
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <errno.h>
#include <fcntl.h>
#include <fuse.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* One fault rule per direction, so reads and writes can fail different bytes. */
struct fault {
	int on;
	long long off, len; /* len 0 means the whole disk */
	long long failed; /* requests failed so far, so tests can wait on it */
};

enum { DIR_READ, DIR_WRITE, NR_DIRS };

static const char *const dir_names[NR_DIRS] = { "read", "write" };
static struct fault faults[NR_DIRS];
/* FUSE serves requests from several threads; ctl writes race with I/O. */
static pthread_mutex_t fault_lock = PTHREAD_MUTEX_INITIALIZER;
static int backing_fd = -1;

static int should_fail(int dir, off_t off, size_t size)
{
	struct fault *f = &faults[dir];
	int fail;

	pthread_mutex_lock(&fault_lock);
	/* size 0 asks "is the whole disk failing?" (used for flushes). */
	if (!f->len)
		fail = f->on;
	else
		fail = f->on && size && off < f->off + f->len && (long long)(off + size) > f->off;
	f->failed += fail;
	pthread_mutex_unlock(&fault_lock);
	return fail;
}

static int parse_num(const char *s, long long *val)
{
	char *end;

	errno = 0;
	*val = strtoll(s, &end, 0);
	return errno || end == s || *end || *val < 0 ? -EINVAL : 0;
}

/*
 * Commands: "ok", "fail", "fail read|write", "fail [read|write] OFFSET LEN".
 * A command naming one direction leaves the other one alone, so a test can
 * fail all reads and, separately, writes outside the XFS log.
 */
static int parse_ctl(const char *buf, size_t size)
{
	char cmd[128], *tok[5], *save;
	long long off = 0, len = 0;
	int first = 0, last = NR_DIRS - 1, ntok = 0, i = 1, d;

	if (size >= sizeof(cmd))
		return -EINVAL;
	memcpy(cmd, buf, size);
	cmd[size] = '\0';
	for (tok[0] = strtok_r(cmd, " \t\n", &save); tok[ntok] && ntok < 4;)
		tok[++ntok] = strtok_r(NULL, " \t\n", &save);
	if (!ntok || tok[ntok])
		return -EINVAL;

	if (!strcmp(tok[0], "ok") && ntok == 1) {
		pthread_mutex_lock(&fault_lock);
		for (i = 0; i < NR_DIRS; i++)
			faults[i] = (struct fault){ .failed = faults[i].failed };
		pthread_mutex_unlock(&fault_lock);
		return 0;
	}
	if (strcmp(tok[0], "fail"))
		return -EINVAL;
	/* An optional direction word narrows the command to one direction. */
	for (d = 0; i < ntok && d < NR_DIRS; d++) {
		if (!strcmp(tok[i], dir_names[d])) {
			first = last = d;
			i++;
			break;
		}
	}
	if (ntok - i == 2) {
		if (parse_num(tok[i], &off) || parse_num(tok[i + 1], &len))
			return -EINVAL;
	} else if (ntok != i) {
		return -EINVAL;
	}

	pthread_mutex_lock(&fault_lock);
	for (i = first; i <= last; i++)
		faults[i] = (struct fault){
			.on = 1, .off = off, .len = len, .failed = faults[i].failed
		};
	pthread_mutex_unlock(&fault_lock);
	return 0;
}

static int ctl_read(char *buf, size_t size, off_t off)
{
	char st[256];
	int len = 0, i;

	pthread_mutex_lock(&fault_lock);
	for (i = 0; i < NR_DIRS; i++)
		len += snprintf(st + len, sizeof(st) - len, "%s=%d off=%lld len=%lld failed=%lld\n",
				dir_names[i], faults[i].on, faults[i].off, faults[i].len,
				faults[i].failed);
	pthread_mutex_unlock(&fault_lock);
	if (off >= len)
		return 0;
	if (size > (size_t)(len - off))
		size = len - off;
	memcpy(buf, st + off, size);
	return size;
}

static int ffs_getattr(const char *path, struct stat *st, struct fuse_file_info *fi)
{
	struct stat bst;

	memset(st, 0, sizeof(*st));
	st->st_uid = getuid();
	st->st_gid = getgid();
	if (!strcmp(path, "/")) {
		st->st_mode = S_IFDIR | 0755;
		st->st_nlink = 2;
	} else if (!strcmp(path, "/disk.img")) {
		if (fstat(backing_fd, &bst))
			return -errno;
		st->st_mode = S_IFREG | 0600;
		st->st_nlink = 1;
		st->st_size = bst.st_size;
		st->st_blocks = bst.st_blocks;
	} else if (!strcmp(path, "/ctl")) {
		st->st_mode = S_IFREG | 0600;
		st->st_nlink = 1;
	} else {
		return -ENOENT;
	}
	return 0;
}

static int ffs_readdir(const char *path, void *buf, fuse_fill_dir_t fill, off_t off,
		       struct fuse_file_info *fi, enum fuse_readdir_flags flags)
{
	if (strcmp(path, "/"))
		return -ENOENT;
	fill(buf, ".", NULL, 0, 0);
	fill(buf, "..", NULL, 0, 0);
	fill(buf, "disk.img", NULL, 0, 0);
	fill(buf, "ctl", NULL, 0, 0);
	return 0;
}

static int ffs_open(const char *path, struct fuse_file_info *fi)
{
	if (strcmp(path, "/disk.img") && strcmp(path, "/ctl"))
		return -ENOENT;
	/*
	 * Bypass the FUSE page cache: otherwise a cached page would satisfy a
	 * read we are meant to fail, and writeback would report our errors
	 * late and detached from the request that caused them. For ctl it
	 * also means reads need no file size.
	 */
	fi->direct_io = 1;
	return 0;
}

static int ffs_read(const char *path, char *buf, size_t size, off_t off, struct fuse_file_info *fi)
{
	size_t done = 0;
	ssize_t n;

	if (!strcmp(path, "/ctl"))
		return ctl_read(buf, size, off);
	if (should_fail(DIR_READ, off, size))
		return -EIO;
	/* pread may return short counts; FUSE treats a short read as EOF. */
	while (done < size) {
		n = pread(backing_fd, buf + done, size - done, off + done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			break;
		done += n;
	}
	return done;
}

static int ffs_write(const char *path, const char *buf, size_t size, off_t off,
		     struct fuse_file_info *fi)
{
	size_t done = 0;
	ssize_t n;
	int err;

	if (!strcmp(path, "/ctl")) {
		err = parse_ctl(buf, size);
		return err ? err : (int)size;
	}
	if (should_fail(DIR_WRITE, off, size))
		return -EIO;
	while (done < size) {
		n = pwrite(backing_fd, buf + done, size - done, off + done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		done += n;
	}
	return done;
}

static int ffs_truncate(const char *path, off_t size, struct fuse_file_info *fi)
{
	/* `echo cmd > ctl` opens with O_TRUNC; accept it as a no-op. */
	if (!strcmp(path, "/ctl"))
		return 0;
	if (ftruncate(backing_fd, size))
		return -errno;
	return 0;
}

static int ffs_fsync(const char *path, int datasync, struct fuse_file_info *fi)
{
	if (strcmp(path, "/disk.img"))
		return 0;
	/*
	 * The loop driver turns REQ_PREFLUSH/FUA into fsync of this file, so
	 * a whole-disk write fault fails cache flushes too, as on real disks.
	 */
	if (should_fail(DIR_WRITE, 0, 0))
		return -EIO;
	if (fdatasync(backing_fd))
		return -errno;
	return 0;
}

static int ffs_fallocate(const char *path, int mode, off_t off, off_t len,
			 struct fuse_file_info *fi)
{
	if (strcmp(path, "/disk.img"))
		return -EOPNOTSUPP;
	/*
	 * The loop driver maps discard and write-zeroes to fallocate; passing
	 * it through keeps mkfs from logging spurious -EOPNOTSUPP request
	 * errors, and a write fault fails it like any other write.
	 */
	if (should_fail(DIR_WRITE, off, len))
		return -EIO;
	if (fallocate(backing_fd, mode, off, len))
		return -errno;
	return 0;
}

static void *ffs_init(struct fuse_conn_info *conn, struct fuse_config *cfg)
{
	/* The tree never changes, so let the kernel cache names and sizes. */
	cfg->entry_timeout = 3600;
	cfg->attr_timeout = 3600;
	return NULL;
}

static const struct fuse_operations ffs_ops = {
	.init = ffs_init,
	.getattr = ffs_getattr,
	.readdir = ffs_readdir,
	.open = ffs_open,
	.read = ffs_read,
	.write = ffs_write,
	.truncate = ffs_truncate,
	.fsync = ffs_fsync,
	.fallocate = ffs_fallocate,
};

int main(int argc, char **argv)
{
	char *fargv[8];
	int fargc = 0;

	if (argc < 3 || argc > 4 || (argc == 4 && strcmp(argv[3], "-f"))) {
		fprintf(stderr, "usage: %s BACKING_FILE MOUNTPOINT [-f]\n", argv[0]);
		return 2;
	}
	/*
	 * Open before fuse_main(): without -f it daemonizes and chdirs to /,
	 * which would break a relative BACKING_FILE.
	 */
	backing_fd = open(argv[1], O_RDWR | O_CLOEXEC);
	if (backing_fd < 0) {
		fprintf(stderr, "faultfs: open %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	fargv[fargc++] = argv[0];
	fargv[fargc++] = argv[2];
	fargv[fargc++] = "-o";
	fargv[fargc++] = "fsname=faultfs,subtype=faultfs";
	if (argc == 4)
		fargv[fargc++] = "-f";
	fargv[fargc] = NULL;
	return fuse_main(fargc, fargv, &ffs_ops, NULL);
}
