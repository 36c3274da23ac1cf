// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The enum -> string tables of names.c: every name that reaches a trace
 * line, an alert, a metric label or the config is checked here, known
 * values by their exact spelling (dashboards and alert rules match on it),
 * unknown ones by their E<n>/SIG<n>/"unknown" fallback, and the parsers
 * (mb_signal_number, mb_event_type_parse) by round trip. The fixed-array
 * helpers must terminate and never read past what the kernel gave.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include "names.h"
#include "progs.h"

static void test_errno_known(void **state)
{
	assert_string_equal(mb_errno_name(E2BIG), "E2BIG");
	assert_string_equal(mb_errno_name(ENOENT), "ENOENT");
	assert_string_equal(mb_errno_name(EIO), "EIO");
	assert_string_equal(mb_errno_name(EUCLEAN), "EUCLEAN");
	assert_string_equal(mb_errno_name(EHWPOISON), "EHWPOISON");
	/* Tracepoints report errors negative: the same name. */
	assert_string_equal(mb_errno_name(-E2BIG), "E2BIG");
	assert_string_equal(mb_errno_name(-EROFS), "EROFS");
	/* EWOULDBLOCK is EAGAIN on Linux: one name. */
	assert_string_equal(mb_errno_name(EWOULDBLOCK), "EAGAIN");
}

static void test_errno_unknown(void **state)
{
	assert_string_equal(mb_errno_name(0), "E0");
	assert_string_equal(mb_errno_name(4095), "E4095");
	assert_string_equal(mb_errno_name(-4095), "E4095");
	/* INT_MIN has no absolute value: formatted as it is, not overflowed. */
	assert_string_equal(mb_errno_name(-2147483647 - 1), "E-2147483648");
}

static void test_fallback_ring(void **state)
{
	/* A few unknown names in one printf must not overwrite each other. */
	const char *a = mb_errno_name(1001), *b = mb_errno_name(1002);
	const char *c = mb_signal_name(77), *d = mb_errno_name(1004);
	char line[128];

	snprintf(line, sizeof(line), "%s %s %s %s", a, b, c, d);
	assert_string_equal(line, "E1001 E1002 SIG77 E1004");
}

static void test_signal_names(void **state)
{
	assert_string_equal(mb_signal_name(SIGHUP), "SIGHUP");
	assert_string_equal(mb_signal_name(SIGUSR1), "SIGUSR1");
	assert_string_equal(mb_signal_name(SIGKILL), "SIGKILL");
	assert_string_equal(mb_signal_name(SIGSYS), "SIGSYS");
	assert_string_equal(mb_signal_name(SIGIOT), "SIGABRT");
	assert_string_equal(mb_signal_name(0), "SIG0");
	assert_string_equal(mb_signal_name(32), "SIG32");
	assert_string_equal(mb_signal_name(35), "SIG35");
	assert_string_equal(mb_signal_name(-1), "SIG-1");
}

static void test_signal_round_trip(void **state)
{
	for (int sig = 1; sig <= 31; sig++) {
		const char *name = mb_signal_name(sig);
		char lower[16];
		size_t i;

		assert_int_equal(strncmp(name, "SIG", 3), 0);
		assert_int_equal(mb_signal_number(name), sig);
		assert_int_equal(mb_signal_number(name + 3), sig);
		for (i = 0; name[i] && i < sizeof(lower) - 1; i++)
			lower[i] = (char)(name[i] | 0x20);
		lower[i] = '\0';
		assert_int_equal(mb_signal_number(lower), sig);
	}
}

static void test_signal_number_aliases_and_bad(void **state)
{
	assert_int_equal(mb_signal_number("HUP"), SIGHUP);
	assert_int_equal(mb_signal_number("sigusr2"), SIGUSR2);
	assert_int_equal(mb_signal_number("SIGIOT"), SIGABRT);
	assert_int_equal(mb_signal_number("iot"), SIGABRT);
	assert_int_equal(mb_signal_number("SIGPOLL"), SIGIO);
	assert_int_equal(mb_signal_number(NULL), -EINVAL);
	assert_int_equal(mb_signal_number(""), -EINVAL);
	assert_int_equal(mb_signal_number("SIG"), -EINVAL);
	assert_int_equal(mb_signal_number("SIGSIGHUP"), -EINVAL);
	assert_int_equal(mb_signal_number("HU"), -EINVAL);
	assert_int_equal(mb_signal_number("HUPX"), -EINVAL);
	assert_int_equal(mb_signal_number(" HUP"), -EINVAL);
	assert_int_equal(mb_signal_number("1"), -EINVAL);
	assert_int_equal(mb_signal_number("SIGRTMIN"), -EINVAL);
}

static void test_exit_status(void **state)
{
	char buf[32];

	mb_exit_status_str(84 << 8, buf, sizeof(buf));
	assert_string_equal(buf, "exit 84");
	mb_exit_status_str(0, buf, sizeof(buf));
	assert_string_equal(buf, "exit 0");
	mb_exit_status_str(SIGSEGV, buf, sizeof(buf));
	assert_string_equal(buf, "SIGSEGV");
	mb_exit_status_str(SIGSEGV | 0x80, buf, sizeof(buf));
	assert_string_equal(buf, "SIGSEGV (core)");
	mb_exit_status_str(0x7f, buf, sizeof(buf));
	assert_string_equal(buf, "SIG127");

	mb_exit_status_label(84 << 8, buf, sizeof(buf));
	assert_string_equal(buf, "84");
	mb_exit_status_label(255 << 8, buf, sizeof(buf));
	assert_string_equal(buf, "255");
	/* The label has no " (core)": one series per signal. */
	mb_exit_status_label(SIGABRT | 0x80, buf, sizeof(buf));
	assert_string_equal(buf, "SIGABRT");

	/* Cut, never overrun. */
	memset(buf, 'x', sizeof(buf));
	mb_exit_status_str(SIGSEGV | 0x80, buf, 6);
	assert_string_equal(buf, "SIGSE");
	assert_int_equal(buf[6], 'x');
}

static void test_sig_result(void **state)
{
	assert_string_equal(mb_sig_result_name(MB_SIG_DELIVERED), "delivered");
	assert_string_equal(mb_sig_result_name(MB_SIG_IGNORED), "ignored");
	assert_string_equal(mb_sig_result_name(MB_SIG_ALREADY_PENDING), "already_pending");
	assert_string_equal(mb_sig_result_name(MB_SIG_OVERFLOW_FAIL), "overflow_fail");
	assert_string_equal(mb_sig_result_name(MB_SIG_LOSE_INFO), "lose_info");
	assert_string_equal(mb_sig_result_name(-1), "unknown");
	assert_string_equal(mb_sig_result_name(99), "unknown");
}

static void test_copy_fixed(void **state)
{
	const char full[MB_COMM_LEN] = "0123456789abcdef"; /* no NUL */
	char dst[MB_COMM_LEN + 1], small[5];

	memset(dst, 'x', sizeof(dst));
	mb_copy_fixed(dst, sizeof(dst), full, sizeof(full));
	assert_int_equal(strlen(dst), MB_COMM_LEN);
	assert_memory_equal(dst, full, MB_COMM_LEN);

	mb_copy_fixed(small, sizeof(small), full, sizeof(full));
	assert_string_equal(small, "0123");

	mb_copy_fixed(dst, sizeof(dst), "exim4\0garbage", 14);
	assert_string_equal(dst, "exim4");

	mb_copy_fixed(dst, sizeof(dst), NULL, 16);
	assert_string_equal(dst, "");

	/* srcmax bounds the read even when the source is longer. */
	mb_copy_fixed(dst, sizeof(dst), "dovecot", 4);
	assert_string_equal(dst, "dove");

	/* A zero-sized destination is left alone. */
	small[0] = 'q';
	mb_copy_fixed(small, 0, "abc", 3);
	assert_int_equal(small[0], 'q');
}

static void test_task_ancestry(void **state)
{
	struct mb_task t;
	char buf[128], tiny[8];

	memset(&t, 0, sizeof(t));
	strcpy(t.comm, "sh");
	mb_task_ancestry(&t, buf, sizeof(buf));
	assert_string_equal(buf, "sh");

	strcpy(t.anc_comm[0], "crond");
	strcpy(t.anc_comm[1], "systemd");
	mb_task_ancestry(&t, buf, sizeof(buf));
	assert_string_equal(buf, "sh<crond<systemd");

	/* The first empty slot ends the chain. */
	strcpy(t.anc_comm[3], "ghost");
	mb_task_ancestry(&t, buf, sizeof(buf));
	assert_string_equal(buf, "sh<crond<systemd");

	/* Full 16-byte comms without a NUL. */
	memset(t.comm, 'a', MB_COMM_LEN);
	for (int i = 0; i < MB_ANCESTORS; i++)
		memset(t.anc_comm[i], 'b' + i, MB_COMM_LEN);
	mb_task_ancestry(&t, buf, sizeof(buf));
	assert_int_equal(strlen(buf), (MB_ANCESTORS + 1) * MB_COMM_LEN + MB_ANCESTORS);
	assert_int_equal(buf[MB_COMM_LEN], '<');
	assert_int_equal(buf[MB_COMM_LEN + 1], 'b');

	mb_task_ancestry(&t, tiny, sizeof(tiny));
	assert_string_equal(tiny, "aaaaaaa");

	mb_task_ancestry(NULL, buf, sizeof(buf));
	assert_string_equal(buf, "");
}

static void test_event_types(void **state)
{
	static const char *const want[] = { NULL,	  "exec_fail",	 "exec_near",
					    "signal",	  "fs_error",	 "fs_shutdown",
					    "fs_corrupt", "block_error", "proc_exit" };

	assert_int_equal(sizeof(want) / sizeof(want[0]), MB_EV_MAX);
	for (int t = 1; t < MB_EV_MAX; t++) {
		assert_string_equal(mb_event_type_name(t), want[t]);
		assert_int_equal(mb_event_type_parse(want[t]), t);
	}
	assert_string_equal(mb_event_type_name(0), "unknown");
	assert_string_equal(mb_event_type_name(MB_EV_MAX), "unknown");
	assert_string_equal(mb_event_type_name(UINT32_MAX), "unknown");
	assert_int_equal(mb_event_type_parse("unknown"), -EINVAL);
	assert_int_equal(mb_event_type_parse("EXEC_FAIL"), -EINVAL);
	assert_int_equal(mb_event_type_parse(""), -EINVAL);
}

static void test_fs_sources(void **state)
{
	/* Every source the kernel side can send has its own name. */
	for (uint32_t s = MB_FS_BUF_IOERROR; s <= MB_FS_MNT_SHUTDOWN; s++) {
		const char *name = mb_fs_source_name(s);

		assert_string_not_equal(name, "unknown");
		for (uint32_t o = MB_FS_BUF_IOERROR; o < s; o++)
			assert_string_not_equal(mb_fs_source_name(o), name);
	}
	assert_string_equal(mb_fs_source_name(MB_FS_BUF_IOERROR), "xfs_buf_ioerror");
	assert_string_equal(mb_fs_source_name(MB_FS_EXT4_SHUTDOWN), "ext4_shutdown");
	assert_string_equal(mb_fs_source_name(MB_FS_MNT_SHUTDOWN), "mountinfo_shutdown");
	assert_string_equal(mb_fs_source_name(0), "unknown");
	assert_string_equal(mb_fs_source_name(MB_FS_MNT_SHUTDOWN + 1), "unknown");
	assert_string_equal(mb_fs_source_name(UINT32_MAX), "unknown");
}

static void test_shutdown_flags(void **state)
{
	char buf[128];

	mb_fs_shutdown_flags_str(0, buf, sizeof(buf));
	assert_string_equal(buf, "none");
	mb_fs_shutdown_flags_str(MB_XFS_SHUTDOWN_META_IO, buf, sizeof(buf));
	assert_string_equal(buf, "metadata_io");
	mb_fs_shutdown_flags_str(MB_XFS_SHUTDOWN_META_IO | MB_XFS_SHUTDOWN_LOG_IO, buf,
				 sizeof(buf));
	assert_string_equal(buf, "metadata_io|log_io");
	mb_fs_shutdown_flags_str(MB_XFS_SHUTDOWN_CORRUPT | MB_XFS_SHUTDOWN_DEVICE_REMOVED, buf,
				 sizeof(buf));
	assert_string_equal(buf, "corruption|device_removed");
	/* Bits this table does not know are kept, as hex. */
	mb_fs_shutdown_flags_str(0x10, buf, sizeof(buf));
	assert_string_equal(buf, "0x10");
	mb_fs_shutdown_flags_str(MB_XFS_SHUTDOWN_FORCE_UMOUNT | 0x140, buf, sizeof(buf));
	assert_string_equal(buf, "force_umount|0x140");

	/* Cut, terminated, never past len. */
	memset(buf, 'x', sizeof(buf));
	mb_fs_shutdown_flags_str(0x3f, buf, 10);
	assert_int_equal(strlen(buf), 9);
	assert_int_equal(buf[10], 'x');
}

static void test_shutdown_desc(void **state)
{
	char buf[64];

	mb_fs_shutdown_desc(MB_FS_EXT4_SHUTDOWN, 0, buf, sizeof(buf));
	assert_string_equal(buf, "default");
	mb_fs_shutdown_desc(MB_FS_EXT4_SHUTDOWN, 1, buf, sizeof(buf));
	assert_string_equal(buf, "logflush");
	mb_fs_shutdown_desc(MB_FS_EXT4_SHUTDOWN, 2, buf, sizeof(buf));
	assert_string_equal(buf, "nologflush");
	mb_fs_shutdown_desc(MB_FS_EXT4_SHUTDOWN, 3, buf, sizeof(buf));
	assert_string_equal(buf, "unknown");
	mb_fs_shutdown_desc(MB_FS_MNT_SHUTDOWN, MB_XFS_SHUTDOWN_LOG_IO, buf, sizeof(buf));
	assert_string_equal(buf, "unknown");
	mb_fs_shutdown_desc(MB_FS_FORCE_SHUTDOWN, MB_XFS_SHUTDOWN_LOG_IO, buf, sizeof(buf));
	assert_string_equal(buf, "log_io");
}

static void test_small_tables(void **state)
{
	assert_string_equal(mb_exit_kind_name(MB_EXIT_STARTUP_FAIL), "startup_failure");
	assert_string_equal(mb_exit_kind_name(MB_EXIT_CHILD_OK), "child_ok");
	assert_string_equal(mb_exit_kind_name(MB_EXIT_MASTER), "master");
	assert_string_equal(mb_exit_kind_name(0), "unknown");
	assert_string_equal(mb_exit_kind_name(MB_EXIT_MASTER + 1), "unknown");

	assert_string_equal(mb_probe_name(MB_PROBE_EXEC), "exec");
	assert_string_equal(mb_probe_name(MB_PROBE_PROC), "proc");
	for (int p = 0; p < MB_PROBE_MAX; p++)
		assert_non_null(mb_probe_name(p));
	assert_string_equal(mb_probe_name(-1), "unknown");
	assert_string_equal(mb_probe_name(MB_PROBE_MAX), "unknown");

	assert_string_equal(mb_prog_state_name(MB_PROG_ATTACHED), "attached");
	assert_string_equal(mb_prog_state_name(MB_PROG_UNUSED), "not needed here");
	assert_string_equal(mb_prog_state_name(-5), "not loaded");

	assert_string_equal(mb_exec_probe_name(MB_EXEC_PROBE_FEXIT), "fexit");
	assert_string_equal(mb_exec_probe_name(MB_EXEC_PROBE_SYSCALL), "syscall");
	assert_string_equal(mb_exec_probe_name(MB_EXEC_PROBE_AUTO), "auto");
	assert_string_equal(mb_exec_probe_name(-1), "auto");
	assert_string_equal(mb_exec_probe_name(MB_EXEC_PROBE_MAX), "auto");

	assert_string_equal(mb_flavor_name(MB_FLAVOR_DOVECOT), "dovecot");
	assert_string_equal(mb_flavor_name(MB_FLAVOR_POSTFIX), "postfix");
	assert_string_equal(mb_flavor_name(MB_FLAVOR_EXIM), "exim");
	assert_string_equal(mb_flavor_name(0), "other");
	assert_string_equal(mb_flavor_name(MB_FLAVOR_EXIM + 1), "other");

	assert_string_equal(mb_severity_name(MB_SEV_INFO), "info");
	assert_string_equal(mb_severity_name(MB_SEV_WARNING), "warning");
	assert_string_equal(mb_severity_name(MB_SEV_CRITICAL), "critical");
	assert_string_equal(mb_severity_name((enum mb_severity)7), "warning");
}

static void test_exec_env_name(void **state)
{
	static struct mb_exec_event e;
	char buf[MB_ENV_NAME_LEN], tiny[4];

	memset(&e, 0, sizeof(e));
	e.longest = 200000;
	e.longest_is_env = 1;
	strcpy(e.longest_name, "LS_COLORS=rs=0:di=01;34");
	assert_int_equal(mb_exec_env_name(&e, buf, sizeof(buf)), 9);
	assert_string_equal(buf, "LS_COLORS");
	assert_int_equal(mb_exec_env_name(&e, tiny, sizeof(tiny)), 3);
	assert_string_equal(tiny, "LS_");

	/* A name the kernel cut before '=': all of it, terminated. */
	memset(e.longest_name, 'N', sizeof(e.longest_name));
	assert_int_equal(mb_exec_env_name(&e, buf, sizeof(buf)), MB_ENV_NAME_LEN - 1);
	assert_int_equal(strlen(buf), MB_ENV_NAME_LEN - 1);

	/* An argv string is never named: it can hold a secret. */
	strcpy(e.longest_name, "--password=hunter2");
	e.longest_is_env = 0;
	assert_int_equal(mb_exec_env_name(&e, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "");

	e.longest_is_env = 1;
	e.longest = 0;
	assert_int_equal(mb_exec_env_name(&e, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "");
}

static void test_basename(void **state)
{
	assert_string_equal(mb_basename("/usr/lib/dovecot/imap-login"), "imap-login");
	assert_string_equal(mb_basename("exim4"), "exim4");
	assert_string_equal(mb_basename("/sendmail"), "sendmail");
	assert_string_equal(mb_basename("/usr/bin/"), "/usr/bin/");
	assert_string_equal(mb_basename("/"), "/");
	assert_string_equal(mb_basename(""), "");
	assert_string_equal(mb_basename(NULL), "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_errno_known),
		cmocka_unit_test(test_errno_unknown),
		cmocka_unit_test(test_fallback_ring),
		cmocka_unit_test(test_signal_names),
		cmocka_unit_test(test_signal_round_trip),
		cmocka_unit_test(test_signal_number_aliases_and_bad),
		cmocka_unit_test(test_exit_status),
		cmocka_unit_test(test_sig_result),
		cmocka_unit_test(test_copy_fixed),
		cmocka_unit_test(test_task_ancestry),
		cmocka_unit_test(test_event_types),
		cmocka_unit_test(test_fs_sources),
		cmocka_unit_test(test_shutdown_flags),
		cmocka_unit_test(test_shutdown_desc),
		cmocka_unit_test(test_small_tables),
		cmocka_unit_test(test_exec_env_name),
		cmocka_unit_test(test_basename),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
