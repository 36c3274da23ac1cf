// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Capabilities without libcap: capget/capset and prctl are all we need.
 * Loading tracing programs needs CAP_BPF + CAP_PERFMON (or CAP_SYS_ADMIN);
 * once attached, the ring buffer is read through mmap, but reading the count
 * maps is a bpf() call, which CAP_BPF still gates while
 * kernel.unprivileged_bpf_disabled is set (the default). Everything else goes.
 */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <string.h>
#include <unistd.h>
#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include "log.h"
#include "privs.h"

#ifndef CAP_PERFMON
#define CAP_PERFMON 38
#endif
#ifndef CAP_BPF
#define CAP_BPF 39
#endif

static int caps_get(struct __user_cap_data_struct d[2])
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };

	return syscall(SYS_capget, &h, d) ? -errno : 0;
}

static int has(const struct __user_cap_data_struct d[2], int cap)
{
	return !!(d[cap / 32].effective & (1U << (cap % 32)));
}

int mb_privs_check(void)
{
	struct __user_cap_data_struct d[2] = {};
	int err = caps_get(d);

	if (err) {
		warn("cannot read capabilities: %s", strerror(-err));
		return err;
	}
	if (has(d, CAP_SYS_ADMIN) || (has(d, CAP_BPF) && has(d, CAP_PERFMON)))
		return 0;
	warn("missing privilege: loading the probes needs root, or CAP_BPF and CAP_PERFMON "
	     "(have CAP_BPF=%s, CAP_PERFMON=%s); run with sudo",
	     has(d, CAP_BPF) ? "yes" : "no", has(d, CAP_PERFMON) ? "yes" : "no");
	return -EPERM;
}

static int bounding_has(int cap)
{
	return prctl(PR_CAPBSET_READ, cap, 0, 0, 0) == 1;
}

int mb_privs_drop(const char *user)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[2] = {};
	struct passwd *pw = NULL;
	int last = CAP_LAST_CAP;

	if (user) {
		pw = getpwnam(user);
		if (!pw) {
			warn("--user %s: no such user", user);
			return -ENOENT;
		}
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		return -errno;
	/*
	 * Shrinking the bounding set takes CAP_SETPCAP, which systemd's
	 * CapabilityBoundingSet= has already taken away: then the set is as
	 * small as the unit made it, and no_new_privs plus the empty permitted
	 * set below mean nothing in it can be regained. Not an error.
	 */
	if (bounding_has(CAP_SETPCAP)) {
		/* Newer kernels know more capabilities than our headers: drop them too. */
		while (prctl(PR_CAPBSET_READ, last + 1, 0, 0, 0) >= 0)
			last++;
		for (int cap = 0; cap <= last; cap++)
			if (cap != CAP_BPF && bounding_has(cap) &&
			    prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) && errno != EINVAL)
				return -errno;
	}
	/* Nothing ambient survives (EINVAL: a kernel without ambient caps). */
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) && errno != EINVAL)
		return -errno;
	if (pw) {
		if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) || setgroups(0, NULL) ||
		    setgid(pw->pw_gid) || setuid(pw->pw_uid)) {
			warn("--user %s: cannot switch: %s", user, strerror(errno));
			return -errno;
		}
	}
	d[CAP_BPF / 32].effective = d[CAP_BPF / 32].permitted = 1U << (CAP_BPF % 32);
	if (syscall(SYS_capset, &h, d))
		return -errno;
	return 0;
}
