// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Empty programs on the tracepoints `mailbpf run` uses by default, for
 * `make bench`: what the kernel charges for running any BPF program there,
 * before mailbpf's own code. The bench reports mailbpf against this floor
 * as well as against no monitor at all.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

char LICENSE[] SEC("license") = "Dual BSD/GPL";

SEC("tp_btf/signal_generate")
int BPF_PROG(floor_signal, int sig)
{
	return 0;
}

SEC("tp_btf/exit_mmap")
int BPF_PROG(floor_exit_mmap, struct mm_struct *mm)
{
	return 0;
}

SEC("tp_btf/rseq_update")
int BPF_PROG(floor_rseq, struct task_struct *t)
{
	return 0;
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(floor_exec, struct task_struct *p)
{
	return 0;
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(floor_exit, struct task_struct *p)
{
	return 0;
}
