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

/* CONFIG_HZ from the file libbpf would read for __kconfig, or 0. */
static uint64_t kconfig_hz(void)
{
	char path[320], line[256];
	struct utsname u;
	uint64_t hz = 0;
	gzFile f;

	if (mb_feature_hidden("kconfig") || uname(&u))
		return 0;
	snprintf(path, sizeof(path), "/boot/config-%s", u.release);
	/* gzopen reads plain files too. */
	f = gzopen(path, "r");
	if (!f)
		f = gzopen("/proc/config.gz", "r");
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

static int task_work_kind(const struct btf *btf)
{
	if (!btf || mb_feature_hidden("task_work"))
		return MB_TASK_WORK_NONE;
	/* Newest name first: a kernel keeping the old one as a legacy alias
	 * would otherwise get the call with the argument it no longer takes. */
	if (btf__find_by_name_kind(btf, "bpf_task_work_schedule_resume", BTF_KIND_FUNC) > 0)
		return MB_TASK_WORK_PLAIN;
	if (btf__find_by_name_kind(btf, "bpf_task_work_schedule_resume_impl", BTF_KIND_FUNC) > 0)
		return MB_TASK_WORK_IMPL;
	return MB_TASK_WORK_NONE;
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
	f->bpf_loop = !mb_feature_hidden("bpf_loop") &&
		      libbpf_probe_bpf_helper(BPF_PROG_TYPE_TRACEPOINT, BPF_FUNC_loop, NULL) == 1;
	f->task_work = task_work_kind(btf);
	f->fexit = fexit_works(btf, f->fexit_why, sizeof(f->fexit_why));
	btf__free(btf);
}
