// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Kernel feature probes, the way libbpf-tools and Tetragon decide: look
 * for the thing itself. Each answer picks a program variant before load
 * (rodata flags the verifier folds into dead code), so no program is ever
 * loaded for a feature that is not there and no start prints a verifier
 * failure.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/utsname.h>
#include <zlib.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include "../bpf/mailbpf.h"
#include "kfeatures.h"

int mb_feature_hidden(const char *name)
{
	const char *list = getenv("MAILBPF_HIDE_FEATURES");
	size_t n = strlen(name);

	for (const char *p = list; p && *p;) {
		const char *end = strchr(p, ',');
		size_t len = end ? (size_t)(end - p) : strlen(p);

		if (len == n && !strncmp(p, name, n))
			return 1;
		p = end ? end + 1 : NULL;
	}
	return 0;
}

/*
 * The kernel config, where the running kernel's packages put it: /boot
 * (Debian up to 6.x, RHEL, Ubuntu), the modules directory (Debian's 7.x
 * linux-base package puts it only there) or the kernel itself.
 */
static gzFile kconfig_open(void)
{
	static const char *const fmts[] = { "/boot/config-%s", "/usr/lib/modules/%s/config",
					    "/lib/modules/%s/config" };
	char path[320];
	struct utsname u;
	gzFile f;

	if (uname(&u))
		return NULL;
	for (size_t i = 0; i < sizeof(fmts) / sizeof(fmts[0]); i++) {
		snprintf(path, sizeof(path), fmts[i], u.release);
		/* gzopen reads plain files too. */
		f = gzopen(path, "r");
		if (f)
			return f;
	}
	return gzopen("/proc/config.gz", "r");
}

/* CONFIG_HZ from the kernel config, or 0. */
static uint64_t kconfig_hz(void)
{
	char line[256];
	uint64_t hz = 0;
	gzFile f;

	if (mb_feature_hidden("kconfig"))
		return 0;
	f = kconfig_open();
	if (!f)
		return 0;
	while (gzgets(f, line, sizeof(line))) {
		if (!strncmp(line, "CONFIG_HZ=", 10)) {
			hz = strtoull(line + 10, NULL, 10);
			break;
		}
	}
	gzclose(f);
	return hz;
}

/*
 * BPF ISA v3 as clang emits it for -mcpu=v3: 32-bit jumps (5.1) and
 * atomics with fetch (5.12). Older kernels refuse the object at its first
 * such instruction ("BPF_STX uses reserved fields" on 5.10), so the v2
 * build is loaded there. A four-instruction socket filter tells.
 */
static int isa_v3_works(void)
{
	const struct bpf_insn insns[] = {
		{ .code = 0xb7, .dst_reg = 1, .imm = 1 }, /* r1 = 1 */
		{ .code = 0x7b,
		  .dst_reg = 10,
		  .src_reg = 1,
		  .off = -8 }, /* *(u64 *)(r10 - 8) = r1 */
		/* r1 = atomic_fetch_add((u64 *)(r10 - 8), r1) */
		{ .code = 0xdb, .dst_reg = 10, .src_reg = 1, .off = -8, .imm = 0x01 },
		{ .code = 0x26, .dst_reg = 1, .off = 0, .imm = 0 }, /* if w1 > 0 goto +0 */
		{ .code = 0xb7, .dst_reg = 0, .imm = 0 }, /* r0 = 0 */
		{ .code = 0x95 }, /* exit */
	};
	int fd;

	if (mb_feature_hidden("isa_v3"))
		return 0;
	fd = bpf_prog_load(BPF_PROG_TYPE_SOCKET_FILTER, "mb_isa_probe", "Dual BSD/GPL", insns,
			   sizeof(insns) / sizeof(insns[0]), NULL);
	if (fd < 0)
		return 0;
	close(fd);
	return 1;
}

static int helper_works(const char *name, enum bpf_func_id id)
{
	return !mb_feature_hidden(name) &&
	       libbpf_probe_bpf_helper(BPF_PROG_TYPE_TRACEPOINT, id, NULL) == 1;
}

/*
 * BPF trampolines need ftrace on the function and a kernel that allows
 * them (lockdown refuses; some VMs refuse them outright): load and attach
 * the smallest fexit program there is, "return 0", and see.
 */
static int fexit_works(const struct btf *btf, char *why, size_t len)
{
	const struct bpf_insn insns[] = {
		{ .code = 0xb7, .dst_reg = 0, .imm = 0 }, /* r0 = 0 */
		{ .code = 0x95 }, /* exit */
	};
	LIBBPF_OPTS(bpf_prog_load_opts, opts, .expected_attach_type = BPF_TRACE_FEXIT);
	int id, prog, link;

	if (mb_feature_hidden("fexit")) {
		snprintf(why, len, "hidden by MAILBPF_HIDE_FEATURES");
		return 0;
	}
	id = btf ? btf__find_by_name_kind(btf, "__x64_sys_execve", BTF_KIND_FUNC) : -ENOENT;
	if (id <= 0) {
		snprintf(why, len, "__x64_sys_execve not in kernel BTF");
		return 0;
	}
	opts.attach_btf_id = id;
	prog = bpf_prog_load(BPF_PROG_TYPE_TRACING, "mb_fexit_probe", "Dual BSD/GPL", insns, 2,
			     &opts);
	if (prog < 0) {
		snprintf(why, len, "fexit program refused: %s", strerror(errno));
		return 0;
	}
	link = bpf_raw_tracepoint_open(NULL, prog);
	if (link < 0)
		snprintf(why, len, "fexit attach refused: %s", strerror(errno));
	else
		close(link);
	close(prog);
	return link >= 0;
}

void mb_features_probe(struct mb_features *f)
{
	struct btf *btf = btf__load_vmlinux_btf();
	uint64_t hz = kconfig_hz();

	memset(f, 0, sizeof(*f));
	if (!btf || libbpf_get_error(btf))
		btf = NULL;
	f->jiffy_ns = hz ? 1000000000ULL / hz : 0;
	f->isa = isa_v3_works() ? 3 : 2;
	/* The v2 objects have no bpf_loop call (bpf/exec_fail.bpf.h says why). */
	f->bpf_loop = f->isa >= 3 && helper_works("bpf_loop", BPF_FUNC_loop);
	f->task_btf = helper_works("task_btf", BPF_FUNC_get_current_task_btf);
	/* It takes a task pointer only the _btf helper gives. */
	f->task_pt_regs = f->task_btf && helper_works("task_pt_regs", BPF_FUNC_task_pt_regs);
	f->fexit = fexit_works(btf, f->fexit_why, sizeof(f->fexit_why));
	btf__free(btf);
}
