// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * XFS, ext4 and block-layer errors.
 *
 * Every error is counted per (device, source) in the kernel, so the textfile
 * is exact however fast a dying disk fails; records reach userspace at most
 * once per fs_emit_gap_ns per key, except shutdowns, which always do. Classic
 * tracepoints are used (not tp_btf) so the same object works whether XFS is
 * built in or a module; userspace disables the programs whose tracepoint
 * this kernel lacks, and leaves out alone any program that does not load.
 */
#include "common.bpf.h"

/* include/uapi/asm-generic/errno.h: BLK_STS_NOTSUPP as the tracepoints report it. */
#define MB_EOPNOTSUPP 95

/*
 * Record layouts other kernels have, as CO-RE flavours (bcc libbpf-tools'
 * core_fixes.bpf.h): the triple-underscore suffix is dropped when matching,
 * so each relocates against the kernel's own type of that name, and
 * bpf_core_type_exists() picks the one this kernel has. Before 5.18,
 * block_rq_complete has its own record; from 5.18 it shares
 * block_rq_completion with block_rq_error. Before 6.13, XFS reports AG
 * health through xfs_ag_mark_* (xfs_group_mark_* since).
 */
struct trace_event_raw_block_rq_complete___x {
	dev_t dev;
	sector_t sector;
	unsigned int nr_sector;
	int error;
	char rwbs[8];
} __attribute__((preserve_access_index));

struct trace_event_raw_block_rq_completion___x {
	dev_t dev;
	sector_t sector;
	unsigned int nr_sector;
	int error;
	char rwbs[10];
} __attribute__((preserve_access_index));

struct trace_event_raw_xfs_ag_corrupt_class___x {
	dev_t dev;
	__u32 agno;
	unsigned int flags;
} __attribute__((preserve_access_index));

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

SEC("tracepoint/xfs/xfs_ag_mark_sick")
int xfs_ag_mark_sick(void *ctx)
{
	struct trace_event_raw_xfs_ag_corrupt_class___x *c = ctx;

	if (!bpf_core_type_exists(struct trace_event_raw_xfs_ag_corrupt_class___x))
		return 0;
	return fs_corrupt(c->dev, MB_FS_AG_SICK, c->flags, c->agno);
}

SEC("tracepoint/xfs/xfs_ag_mark_corrupt")
int xfs_ag_mark_corrupt(void *ctx)
{
	struct trace_event_raw_xfs_ag_corrupt_class___x *c = ctx;

	if (!bpf_core_type_exists(struct trace_event_raw_xfs_ag_corrupt_class___x))
		return 0;
	return fs_corrupt(c->dev, MB_FS_AG_CORRUPT, c->flags, c->agno);
}

SEC("tracepoint/xfs/xfs_btree_corrupt")
int xfs_btree_corrupt(struct trace_event_raw_xfs_buf_class *ctx)
{
	return fs_corrupt(ctx->dev, MB_FS_BTREE_CORRUPT, ctx->flags, ctx->bno);
}

/*
 * Only real I/O failures are errors: a discard or write-zeroes the device
 * does not support (mkfs, fstrim on a loop file or a disk without discard)
 * completes with BLK_STS_NOTSUPP, which is counted apart and never sent.
 */
static __always_inline int block_error(__u32 dev, int error, __u64 sector, __u32 nr,
				       const char *rwbs, __u32 rwbs_len)
{
	struct mb_fs_key key = { .dev = dev, .source = MB_FS_BLOCK_NOTSUPP };
	struct mb_fs_event *e;
	__u64 now;
	__u32 sup;

	if (!error)
		return 0;
	now = bpf_ktime_get_boot_ns();
	if (error == -MB_EOPNOTSUPP) {
		mb_rate_hit(&fs_counts, &key, NULL, now, ~0ULL, &sup);
		return 0;
	}
	e = fs_begin(MB_EV_BLOCK_ERROR, dev, MB_FS_BLOCK_RQ_ERROR, 0, now);
	if (!e)
		return 0;
	e->error = error;
	e->sector = sector;
	e->nr = nr;
	if (rwbs_len > 16)
		rwbs_len = 16;
	bpf_probe_read_kernel(e->detail, rwbs_len, rwbs);
	fs_end(e, MB_PROBE_BLOCK);
	return 0;
}

SEC("tracepoint/block/block_rq_error")
int block_rq_error(struct trace_event_raw_block_rq_completion *ctx)
{
	return block_error(ctx->dev, ctx->error, ctx->sector, ctx->nr_sector, ctx->rwbs,
			   bpf_core_field_size(ctx->rwbs));
}

/* The fallback on kernels without block_rq_error (before 5.18: its own record). */
SEC("tracepoint/block/block_rq_complete")
int block_rq_complete(void *ctx)
{
	struct trace_event_raw_block_rq_completion___x *n = ctx;
	struct trace_event_raw_block_rq_complete___x *o = ctx;

	if (bpf_core_type_exists(struct trace_event_raw_block_rq_completion___x))
		return block_error(n->dev, n->error, n->sector, n->nr_sector, n->rwbs,
				   bpf_core_field_size(n->rwbs));
	return block_error(o->dev, o->error, o->sector, o->nr_sector, o->rwbs,
			   bpf_core_field_size(o->rwbs));
}

/*
 * ext4 reports every error it finds (corruption, a failed metadata read, an
 * aborted journal) through __ext4_error and friends: which function and
 * line. With errors=remount-ro the filesystem goes read-only right after.
 */
SEC("tracepoint/ext4/ext4_error")
int ext4_error(struct trace_event_raw_ext4_error *ctx)
{
	struct mb_fs_event *e;

	e = fs_begin(MB_EV_FS_ERROR, ctx->dev, MB_FS_EXT4_ERROR, 0, bpf_ktime_get_boot_ns());
	if (!e)
		return 0;
	e->nr = ctx->line;
	bpf_probe_read_kernel_str(e->detail, sizeof(e->detail), ctx->function);
	fs_end(e, MB_PROBE_EXT4);
	return 0;
}

/* EXT4_IOC_SHUTDOWN, or the block device going away (6.6+). */
SEC("tracepoint/ext4/ext4_shutdown")
int ext4_shutdown(struct trace_event_raw_ext4_shutdown *ctx)
{
	struct mb_fs_event *e;

	e = fs_begin(MB_EV_FS_SHUTDOWN, ctx->dev, MB_FS_EXT4_SHUTDOWN, 1, bpf_ktime_get_boot_ns());
	if (!e)
		return 0;
	e->flags = ctx->flags;
	fs_end(e, MB_PROBE_EXT4);
	return 0;
}
