// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * XFS and block-layer errors.
 *
 * Every error is counted per (device, source) in the kernel, so the textfile
 * is exact however fast a dying disk fails; records reach userspace at most
 * once per fs_emit_gap_ns per key, except shutdowns, which always do. Classic
 * tracepoints are used (not tp_btf) so the same object works whether XFS is
 * built in or a module; userspace disables the programs whose tracepoint
 * this kernel lacks.
 */
#include "common.bpf.h"

const volatile __u64 fs_emit_gap_ns = 0;

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, struct mb_fs_key);
	__type(value, struct mb_rate_val);
} fs_counts SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct mb_fs_event);
} fs_scratch SEC(".maps");

/* Count, rate-limit, and return a zeroed record to fill, or NULL. */
static __always_inline struct mb_fs_event *fs_begin(__u32 type, __u32 dev, __u32 source, int always,
						    __u64 now)
{
	struct mb_fs_key key = { .dev = dev, .source = source };
	struct mb_fs_event *e;
	__u32 zero = 0, suppressed;

	if (!mb_rate_hit(&fs_counts, &key, NULL, now, always ? 0 : fs_emit_gap_ns, &suppressed))
		return NULL;
	e = bpf_map_lookup_elem(&fs_scratch, &zero);
	if (!e)
		return NULL;
	__builtin_memset(e, 0, sizeof(*e));
	mb_hdr_fill(&e->hdr, type, now);
	e->dev = dev;
	e->source = source;
	e->suppressed = suppressed;
	e->pid = bpf_get_current_pid_tgid() >> 32;
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	return e;
}

static __always_inline void fs_end(struct mb_fs_event *e, __u32 probe)
{
	mb_submit(e, sizeof(*e), probe, e->hdr.ts_ns);
}

SEC("tracepoint/xfs/xfs_buf_ioerror")
int xfs_buf_ioerror(struct trace_event_raw_xfs_buf_ioerror *ctx)
{
	struct mb_fs_event *e;

	if (!ctx->error) /* the error is being cleared, not raised */
		return 0;
	e = fs_begin(MB_EV_FS_ERROR, ctx->dev, MB_FS_BUF_IOERROR, 0, bpf_ktime_get_boot_ns());
	if (!e)
		return 0;
	e->error = ctx->error;
	e->flags = ctx->flags;
	e->sector = ctx->bno;
	e->nr = ctx->length;
	fs_end(e, MB_PROBE_XFS);
	return 0;
}

SEC("tracepoint/xfs/xfs_force_shutdown")
int xfs_force_shutdown(struct trace_event_raw_xfs_force_shutdown *ctx)
{
	struct mb_fs_event *e;
	__u32 loc;

	e = fs_begin(MB_EV_FS_SHUTDOWN, ctx->dev, MB_FS_FORCE_SHUTDOWN, 1, bpf_ktime_get_boot_ns());
	if (!e)
		return 0;
	e->flags = ctx->flags;
	e->error = ctx->ptag;
	e->nr = ctx->line_num;
	/* __data_loc: low 16 bits offset from the record start, high 16 length. */
	loc = ctx->__data_loc_fname;
	bpf_probe_read_kernel_str(e->detail, sizeof(e->detail), (void *)ctx + (loc & 0xffff));
	fs_end(e, MB_PROBE_XFS);
	return 0;
}

static __always_inline int fs_corrupt(__u32 dev, __u32 source, __u32 flags, __u64 ino)
{
	struct mb_fs_event *e;

	e = fs_begin(MB_EV_FS_CORRUPT, dev, source, 0, bpf_ktime_get_boot_ns());
	if (!e)
		return 0;
	e->flags = flags;
	e->ino = ino;
	fs_end(e, MB_PROBE_XFS);
	return 0;
}

SEC("tracepoint/xfs/xfs_fs_mark_sick")
int xfs_fs_mark_sick(struct trace_event_raw_xfs_fs_corrupt_class *ctx)
{
	return fs_corrupt(ctx->dev, MB_FS_MARK_SICK, ctx->flags, 0);
}

SEC("tracepoint/xfs/xfs_fs_mark_corrupt")
int xfs_fs_mark_corrupt(struct trace_event_raw_xfs_fs_corrupt_class *ctx)
{
	return fs_corrupt(ctx->dev, MB_FS_MARK_CORRUPT, ctx->flags, 0);
}

SEC("tracepoint/xfs/xfs_fs_unfixed_corruption")
int xfs_fs_unfixed_corruption(struct trace_event_raw_xfs_fs_corrupt_class *ctx)
{
	return fs_corrupt(ctx->dev, MB_FS_UNFIXED_CORRUPTION, ctx->flags, 0);
}

SEC("tracepoint/xfs/xfs_inode_mark_sick")
int xfs_inode_mark_sick(struct trace_event_raw_xfs_inode_corrupt_class *ctx)
{
	return fs_corrupt(ctx->dev, MB_FS_INODE_SICK, ctx->flags, ctx->ino);
}

SEC("tracepoint/xfs/xfs_inode_mark_corrupt")
int xfs_inode_mark_corrupt(struct trace_event_raw_xfs_inode_corrupt_class *ctx)
{
	return fs_corrupt(ctx->dev, MB_FS_INODE_CORRUPT, ctx->flags, ctx->ino);
}

SEC("tracepoint/xfs/xfs_group_mark_sick")
int xfs_group_mark_sick(struct trace_event_raw_xfs_group_corrupt_class *ctx)
{
	return fs_corrupt(ctx->dev, MB_FS_GROUP_SICK, ctx->flags, ctx->index);
}

SEC("tracepoint/xfs/xfs_group_mark_corrupt")
int xfs_group_mark_corrupt(struct trace_event_raw_xfs_group_corrupt_class *ctx)
{
	return fs_corrupt(ctx->dev, MB_FS_GROUP_CORRUPT, ctx->flags, ctx->index);
}

SEC("tracepoint/xfs/xfs_btree_corrupt")
int xfs_btree_corrupt(struct trace_event_raw_xfs_buf_class *ctx)
{
	return fs_corrupt(ctx->dev, MB_FS_BTREE_CORRUPT, ctx->flags, ctx->bno);
}

/* Also the fallback on kernels without block_rq_error: block_rq_complete. */
static __always_inline int block_error(struct trace_event_raw_block_rq_completion *ctx)
{
	struct mb_fs_event *e;

	if (!ctx->error)
		return 0;
	e = fs_begin(MB_EV_BLOCK_ERROR, ctx->dev, MB_FS_BLOCK_RQ_ERROR, 0, bpf_ktime_get_boot_ns());
	if (!e)
		return 0;
	e->error = ctx->error;
	e->sector = ctx->sector;
	e->nr = ctx->nr_sector;
	bpf_probe_read_kernel(e->detail, sizeof(ctx->rwbs), ctx->rwbs);
	fs_end(e, MB_PROBE_BLOCK);
	return 0;
}

SEC("tracepoint/block/block_rq_error")
int block_rq_error(struct trace_event_raw_block_rq_completion *ctx)
{
	return block_error(ctx);
}

SEC("tracepoint/block/block_rq_complete")
int block_rq_complete(struct trace_event_raw_block_rq_completion *ctx)
{
	return block_error(ctx);
}
