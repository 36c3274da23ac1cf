// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Kernel records to trace lines. The decoder is the gate for everything
 * the ring buffer hands over: a record whose size does not match its type
 * is refused, and every string comes out terminated. The formatters must
 * date a record on the wall clock, name its numbers, escape every kernel
 * string for its destination (JSON or terminal), resolve devices through
 * the mount table, and never write past the buffer.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>
#include "config.h"
#include "event_fmt.h"

#define DEV(ma, mi) ((uint32_t)(ma) << 20 | (uint32_t)(mi))
#define WALL_S 1796126400LL /* 2026-12-01T12:00:00Z */
#define BOOT_NS 5000000000ULL

static struct mb_config cfg;
static struct mb_mounts mounts;
static struct mb_fmt fmt;
static char line[4096];

static int setup(void **state)
{
	struct mb_mount *m = &mounts.m[0];

	setenv("TZ", "UTC", 1);
	tzset();
	mb_config_defaults(&cfg);
	memset(&mounts, 0, sizeof(mounts));
	mounts.n = 1;
	m->dev = DEV(8, 17);
	m->mount_id = 31;
	strcpy(m->devname, "sdb1");
	strcpy(m->mountpoint, "/var/mail");
	strcpy(m->fstype, "xfs");
	/* ts BOOT_NS + 123456789 ns is WALL_S.123456789 on the wall. */
	fmt.boot_to_wall_ns = WALL_S * 1000000000LL - (int64_t)BOOT_NS;
	fmt.mounts = &mounts;
	fmt.cfg = &cfg;
	return 0;
}

static void has(const char *needle)
{
	if (!strstr(line, needle))
		fail_msg("\"%s\" not in: %s", needle, line);
}

static void lacks(const char *needle)
{
	if (strstr(line, needle))
		fail_msg("\"%s\" in: %s", needle, line);
}

static union mb_event exec_ev(void)
{
	union mb_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.exec.hdr.type = MB_EV_EXEC_FAIL;
	ev.exec.hdr.ts_ns = BOOT_NS + 123456789;
	ev.exec.err = E2BIG;
	strcpy(ev.exec.filename, "/usr/sbin/exim4");
	ev.exec.argc = 3;
	ev.exec.envc = 40;
	ev.exec.longest = 200000;
	ev.exec.longest_is_env = 1;
	ev.exec.longest_idx = 7;
	strcpy(ev.exec.longest_name, "LS_COLORS=rs=0");
	ev.exec.limit = 2097152;
	ev.exec.task.pid = 4242;
	ev.exec.task.ppid = 1;
	strcpy(ev.exec.task.comm, "exim4");
	strcpy(ev.exec.task.anc_comm[0], "systemd");
	return ev;
}

static void test_decode_sizes(void **state)
{
	static const struct {
		uint32_t type;
		size_t size;
	} ok[] = {
		{ MB_EV_EXEC_FAIL, sizeof(struct mb_exec_event) },
		{ MB_EV_EXEC_NEAR, sizeof(struct mb_exec_event) },
		{ MB_EV_SIGNAL, sizeof(struct mb_signal_event) },
		{ MB_EV_FS_ERROR, sizeof(struct mb_fs_event) },
		{ MB_EV_FS_SHUTDOWN, sizeof(struct mb_fs_event) },
		{ MB_EV_FS_CORRUPT, sizeof(struct mb_fs_event) },
		{ MB_EV_BLOCK_ERROR, sizeof(struct mb_fs_event) },
		{ MB_EV_PROC_EXIT, sizeof(struct mb_exit_event) },
	};
	union mb_event ev;

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		/* Exactly the size, on the heap so ASan sees any read past it. */
		unsigned char *raw = calloc(1, ok[i].size + 1);
		struct mb_hdr h = { .type = ok[i].type, .ts_ns = 77 };

		assert_non_null(raw);
		memcpy(raw, &h, sizeof(h));
		assert_int_equal(mb_event_decode(&ev, raw, ok[i].size), 0);
		assert_int_equal(ev.hdr.type, ok[i].type);
		assert_int_equal(ev.hdr.ts_ns, 77);
		assert_int_equal(mb_event_decode(&ev, raw, ok[i].size - 1), -EINVAL);
		assert_int_equal(mb_event_decode(&ev, raw, ok[i].size + 1), -EINVAL);
		assert_int_equal(mb_event_decode(&ev, raw, sizeof(h)), -EINVAL);
		free(raw);
	}
}

static void test_decode_refused(void **state)
{
	union mb_event ev, raw;

	memset(&raw, 0, sizeof(raw));
	assert_int_equal(mb_event_decode(&ev, &raw, sizeof(struct mb_hdr) - 1), -EINVAL);
	assert_int_equal(mb_event_decode(&ev, &raw, 0), -EINVAL);
	raw.hdr.type = 0;
	assert_int_equal(mb_event_decode(&ev, &raw, sizeof(struct mb_fs_event)), -EINVAL);
	raw.hdr.type = MB_EV_MAX;
	assert_int_equal(mb_event_decode(&ev, &raw, sizeof(struct mb_fs_event)), -EINVAL);
	raw.hdr.type = UINT32_MAX;
	assert_int_equal(mb_event_decode(&ev, &raw, sizeof(struct mb_exec_event)), -EINVAL);
}

static void test_decode_terminates(void **state)
{
	union mb_event raw, ev;

	memset(&raw, 'A', sizeof(raw));
	raw.hdr.type = MB_EV_EXEC_FAIL;
	assert_int_equal(mb_event_decode(&ev, &raw, sizeof(struct mb_exec_event)), 0);
	assert_int_equal(strlen(ev.exec.filename), MB_PATH_LEN - 1);
	assert_int_equal(strlen(ev.exec.task.comm), MB_COMM_LEN - 1);
	for (int i = 0; i < MB_ANCESTORS; i++)
		assert_int_equal(strlen(ev.exec.task.anc_comm[i]), MB_COMM_LEN - 1);

	raw.hdr.type = MB_EV_SIGNAL;
	assert_int_equal(mb_event_decode(&ev, &raw, sizeof(struct mb_signal_event)), 0);
	assert_int_equal(strlen(ev.sig.target_comm), MB_COMM_LEN - 1);
	assert_int_equal(strlen(ev.sig.sender.comm), MB_COMM_LEN - 1);
	assert_int_equal(strlen(ev.sig.sender.anc_comm[MB_ANCESTORS - 1]), MB_COMM_LEN - 1);

	raw.hdr.type = MB_EV_FS_SHUTDOWN;
	assert_int_equal(mb_event_decode(&ev, &raw, sizeof(struct mb_fs_event)), 0);
	assert_int_equal(strlen(ev.fs.comm), MB_COMM_LEN - 1);
	assert_int_equal(strlen(ev.fs.detail), MB_DETAIL_LEN - 1);

	raw.hdr.type = MB_EV_PROC_EXIT;
	assert_int_equal(mb_event_decode(&ev, &raw, sizeof(struct mb_exit_event)), 0);
	assert_int_equal(strlen(ev.exit.comm), MB_COMM_LEN - 1);
	assert_int_equal(strlen(ev.exit.parent_comm), MB_COMM_LEN - 1);
}

static void test_exec_json(void **state)
{
	static const char head[] =
		"{\"type\":\"exec_fail\",\"time\":\"2026-12-01T12:00:00.123456Z\"";
	union mb_event ev = exec_ev();
	int n = mb_event_json(&fmt, &ev, line, sizeof(line));

	assert_int_equal(n, (int)strlen(line));
	assert_int_equal(strncmp(line, head, strlen(head)), 0);
	assert_int_equal(line[n - 1], '}');
	has(",\"errno\":\"E2BIG\"");
	has(",\"filename\":\"/usr/sbin/exim4\"");
	has(",\"argc\":3,");
	has(",\"longest_at\":\"envp[7]\"");
	has(",\"longest_name\":\"LS_COLORS\"");
	has(",\"pid\":4242,\"comm\":\"exim4\"");
	has(",\"ancestry\":\"exim4<systemd\"");
	has(",\"truncated\":0");
	lacks("suppressed");

	/* A near miss has no errno; an argv string is not named. */
	ev.exec.hdr.type = MB_EV_EXEC_NEAR;
	ev.exec.longest_is_env = 0;
	ev.exec.flags = MB_EXEC_F_TRUNCATED | MB_EXEC_F_NEAR_STRLEN;
	ev.exec.suppressed = 9;
	mb_event_json(&fmt, &ev, line, sizeof(line));
	has("\"type\":\"exec_near\"");
	lacks("errno");
	lacks("longest_name");
	has(",\"longest_at\":\"argv[7]\"");
	has(",\"truncated\":1");
	has(",\"near\":\"max_arg_strlen\"");
	has(",\"suppressed\":9");
}

static void test_json_escapes(void **state)
{
	union mb_event ev = exec_ev();

	strcpy(ev.exec.filename, "/tmp/a\"b\\c\nd\x1b[2J");
	strcpy(ev.exec.task.comm, "x\"y");
	assert_true(mb_event_json(&fmt, &ev, line, sizeof(line)) > 0);
	has("\"filename\":\"/tmp/a\\\"b\\\\c\\nd\\u001b[2J\"");
	has("\"comm\":\"x\\\"y\"");
	/* No raw control byte left anywhere in the line. */
	for (const char *c = line; *c; c++)
		assert_true((unsigned char)*c >= 0x20);
}

static void test_exec_human(void **state)
{
	union mb_event ev = exec_ev();
	int n;

	strcpy(ev.exec.task.comm, "ev\x1bil");
	n = mb_event_human(&fmt, &ev, line, sizeof(line));
	assert_int_equal(n, (int)strlen(line));
	has("12:00:00.123 exec_fail    4242    ev\\x1bil");
	has(" errno=E2BIG");
	has(" filename=/usr/sbin/exim4");
	has(" longest_name=LS_COLORS");
	/* JSON-only fields stay off the terminal. */
	lacks("rlim_stack");
	lacks("\"");
	lacks("\x1b");
	assert_non_null(strstr(mb_event_human_header(), "EVENT"));
}

static void test_signal(void **state)
{
	union mb_event ev;
	char want[64];

	memset(&ev, 0, sizeof(ev));
	ev.sig.hdr.type = MB_EV_SIGNAL;
	ev.sig.hdr.ts_ns = BOOT_NS;
	ev.sig.sig = 1;
	ev.sig.result = MB_SIG_ALREADY_PENDING;
	ev.sig.target_pid = 100;
	ev.sig.watched = 1;
	ev.sig.folded_total = 3;
	strcpy(ev.sig.target_comm, "dovecot");
	ev.sig.sender.pid = 555;
	strcpy(ev.sig.sender.comm, "sh");
	strcpy(ev.sig.sender.anc_comm[0], "cron");
	mb_event_json(&fmt, &ev, line, sizeof(line));
	has("\"time\":\"2026-12-01T12:00:00.000000Z\"");
	has(",\"signal\":\"SIGHUP\",\"result\":\"already_pending\"");
	snprintf(want, sizeof(want), ",\"daemon\":\"%s\"", cfg.daemons[0].name);
	has(want);
	has(",\"folded_total\":3");
	has(",\"sender_pid\":555,\"sender_comm\":\"sh\"");
	has(",\"sender_ancestry\":\"sh<cron\"");

	/* A watched index the config does not have is not named (nor read). */
	ev.sig.watched = (uint32_t)cfg.ndaemons + 1;
	mb_event_json(&fmt, &ev, line, sizeof(line));
	lacks("daemon");
	ev.sig.watched = 1;
	fmt.cfg = NULL;
	mb_event_human(&fmt, &ev, line, sizeof(line));
	fmt.cfg = &cfg;
	lacks("daemon");
	has(" signal=SIGHUP");
	has(" sender_ancestry=sh<cron");
}

static void test_fs(void **state)
{
	union mb_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.fs.hdr.type = MB_EV_FS_SHUTDOWN;
	ev.fs.hdr.ts_ns = BOOT_NS;
	ev.fs.dev = DEV(8, 17);
	ev.fs.source = MB_FS_FORCE_SHUTDOWN;
	ev.fs.flags = MB_XFS_SHUTDOWN_META_IO;
	strcpy(ev.fs.detail, "xfs_trans.c");
	ev.fs.nr = 1234;
	mb_event_json(&fmt, &ev, line, sizeof(line));
	has(",\"dev\":\"8:17\",\"device\":\"sdb1\",\"mountpoint\":\"/var/mail\",\"fstype\":\"xfs\"");
	has(",\"source\":\"xfs_force_shutdown\",\"flags\":\"metadata_io\"");
	has(",\"file\":\"xfs_trans.c\",\"line\":1234");

	/* ext4's shutdown has a mode, no file and line. */
	ev.fs.source = MB_FS_EXT4_SHUTDOWN;
	ev.fs.flags = 1;
	mb_event_json(&fmt, &ev, line, sizeof(line));
	has(",\"flags\":\"logflush\"");
	lacks("\"file\"");

	/* A device not in the table is named by its numbers. */
	ev.fs.hdr.type = MB_EV_BLOCK_ERROR;
	ev.fs.dev = DEV(259, 3);
	ev.fs.source = MB_FS_BLOCK_RQ_ERROR;
	ev.fs.error = -EIO;
	ev.fs.sector = 987654321;
	ev.fs.nr = 8;
	strcpy(ev.fs.detail, "WS");
	mb_event_human(&fmt, &ev, line, sizeof(line));
	has(" dev=259:3 device=259:3 mountpoint= fstype=");
	has(" rwbs=WS sector=987654321 sectors=8 error=EIO");

	/* No mount table at all. */
	fmt.mounts = NULL;
	ev.fs.dev = DEV(8, 17);
	mb_event_json(&fmt, &ev, line, sizeof(line));
	fmt.mounts = &mounts;
	has(",\"device\":\"8:17\"");

	ev.fs.hdr.type = MB_EV_FS_CORRUPT;
	ev.fs.source = MB_FS_INODE_SICK;
	ev.fs.flags = 0x10;
	ev.fs.ino = 131;
	mb_event_human(&fmt, &ev, line, sizeof(line));
	has(" flags=0x10 ino=131");
}

static void test_exit(void **state)
{
	union mb_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.exit.hdr.type = MB_EV_PROC_EXIT;
	ev.exit.hdr.ts_ns = BOOT_NS;
	ev.exit.kind = MB_EXIT_STARTUP_FAIL;
	ev.exit.exit_code = 11 | 0x80;
	ev.exit.watched = 1;
	ev.exit.age_ns = 2500000;
	ev.exit.pid = 77;
	strcpy(ev.exit.comm, "imap-login");
	strcpy(ev.exit.parent_comm, "dovecot");
	mb_event_json(&fmt, &ev, line, sizeof(line));
	has(",\"kind\":\"startup_failure\",\"status\":\"SIGSEGV\",\"core\":1");
	has(",\"age_ms\":2,");
	has(",\"parent_comm\":\"dovecot\"");
	has(",\"exit_code\":139");

	ev.exit.exit_code = 84 << 8;
	mb_event_human(&fmt, &ev, line, sizeof(line));
	has("proc_exit    77      imap-login");
	has(" status=84 ");
	lacks("core");
}

static void test_no_room(void **state)
{
	union mb_event ev = exec_ev();
	char small[40];
	int full = mb_event_json(&fmt, &ev, line, sizeof(line));

	assert_true(full > 0);
	memset(small, 'z', sizeof(small));
	assert_int_equal(mb_event_json(&fmt, &ev, small, sizeof(small) - 8), -ENOSPC);
	assert_int_equal(small[sizeof(small) - 8], 'z');
	assert_int_equal(mb_event_human(&fmt, &ev, small, 10), -ENOSPC);
	/* Exactly the length plus the NUL fits. */
	assert_int_equal(mb_event_json(&fmt, &ev, line, (size_t)full + 1), full);
	assert_int_equal(mb_event_json(&fmt, &ev, line, (size_t)full), -ENOSPC);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_decode_sizes),
		cmocka_unit_test(test_decode_refused),
		cmocka_unit_test(test_decode_terminates),
		cmocka_unit_test_setup(test_exec_json, setup),
		cmocka_unit_test_setup(test_json_escapes, setup),
		cmocka_unit_test_setup(test_exec_human, setup),
		cmocka_unit_test_setup(test_signal, setup),
		cmocka_unit_test_setup(test_fs, setup),
		cmocka_unit_test_setup(test_exit, setup),
		cmocka_unit_test_setup(test_no_room, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
