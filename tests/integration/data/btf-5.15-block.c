// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The block layer's completion record as kernels before 5.18 have it
 * (include/trace/events/block.h: block_rq_complete with its own record, no
 * block_rq_error, no block_rq_completion class), compiled with -g so its
 * BTF can stand in for such a kernel's (MAILBPF_FS_BTF).
 */
typedef unsigned int u32;
typedef unsigned long long u64;
typedef u32 __kernel_dev_t;
typedef __kernel_dev_t dev_t;
typedef u64 sector_t;

struct trace_entry {
	unsigned short type;
	unsigned char flags;
	unsigned char preempt_count;
	int pid;
};

struct trace_event_raw_block_rq_complete {
	struct trace_entry ent;
	dev_t dev;
	sector_t sector;
	unsigned int nr_sector;
	int error;
	char rwbs[8];
	u32 __data_loc_cmd;
	char __data[0];
};

struct trace_event_raw_block_rq_complete *mb_btf_5_15_block;
