// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Kernel records to trace lines. Every string from the kernel (comm, file
 * names, the shutdown's source file) is chosen by someone else, so it is
 * escaped for its destination here: JSON escaping for --json, \xNN for the
 * terminal. Nothing raw reaches stdout.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include "escape.h"
#include "event_fmt.h"
#include "names.h"

int mb_event_decode(union mb_event *ev, const void *data, size_t size)
{
	const struct mb_hdr *h = data;
	size_t want;

	if (size < sizeof(*h))
		return -EINVAL;
	switch (h->type) {
	case MB_EV_EXEC_FAIL:
	case MB_EV_EXEC_NEAR:
		want = sizeof(struct mb_exec_event);
		break;
	case MB_EV_SIGNAL:
		want = sizeof(struct mb_signal_event);
		break;
	case MB_EV_FS_ERROR:
	case MB_EV_FS_SHUTDOWN:
	case MB_EV_FS_CORRUPT:
	case MB_EV_BLOCK_ERROR:
		want = sizeof(struct mb_fs_event);
		break;
	case MB_EV_PROC_EXIT:
		want = sizeof(struct mb_exit_event);
		break;
	default:
		return -EINVAL;
	}
	if (size != want)
		return -EINVAL;
	memcpy(ev, data, want);
	/* Strings from the kernel are not trusted to be terminated. */
	switch (h->type) {
	case MB_EV_EXEC_FAIL:
	case MB_EV_EXEC_NEAR:
		ev->exec.filename[MB_PATH_LEN - 1] = 0;
		ev->exec.task.comm[MB_COMM_LEN - 1] = 0;
		for (int i = 0; i < MB_ANCESTORS; i++)
			ev->exec.task.anc_comm[i][MB_COMM_LEN - 1] = 0;
		break;
	case MB_EV_SIGNAL:
		ev->sig.target_comm[MB_COMM_LEN - 1] = 0;
		ev->sig.sender.comm[MB_COMM_LEN - 1] = 0;
		for (int i = 0; i < MB_ANCESTORS; i++)
			ev->sig.sender.anc_comm[i][MB_COMM_LEN - 1] = 0;
		break;
	case MB_EV_PROC_EXIT:
		ev->exit.comm[MB_COMM_LEN - 1] = 0;
		ev->exit.parent_comm[MB_COMM_LEN - 1] = 0;
		break;
	default:
		ev->fs.comm[MB_COMM_LEN - 1] = 0;
		ev->fs.detail[MB_DETAIL_LEN - 1] = 0;
		break;
	}
	return 0;
}

/* A bounded line builder: appends stop quietly at the end of the buffer. */
struct line {
	char *p;
	size_t len, o;
	int json;
};

static void put(struct line *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(struct line *l, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (l->o >= l->len)
		return;
	va_start(ap, fmt);
	n = vsnprintf(l->p + l->o, l->len - l->o, fmt, ap);
	va_end(ap);
	l->o = n < 0 ? l->len : l->o + n;
}

/* A string field: "key":"escaped" in JSON, key=escaped on a terminal. */
static void str(struct line *l, const char *key, const char *val)
{
	char esc[MB_PATH_LEN * 6 + 1];

	if (l->json) {
		mb_json_escape(esc, sizeof(esc), val);
		put(l, ",\"%s\":\"%s\"", key, esc);
	} else {
		mb_term_escape(esc, sizeof(esc), val);
		put(l, " %s=%s", key, esc);
	}
}

static void num(struct line *l, const char *key, int64_t v)
{
	put(l, l->json ? ",\"%s\":%lld" : " %s=%lld", key, (long long)v);
}

/* pid and comm are the human line's own columns: repeated in JSON only. */
static void task_fields(struct line *l, const char *pfx, const struct mb_task *t)
{
	char key[32], anc[MB_COMM_LEN * (MB_ANCESTORS + 1) + 8];

	if (l->json) {
		snprintf(key, sizeof(key), "%spid", pfx);
		num(l, key, t->pid);
		snprintf(key, sizeof(key), "%scomm", pfx);
		str(l, key, t->comm);
	}
	snprintf(key, sizeof(key), "%sppid", pfx);
	num(l, key, t->ppid);
	snprintf(key, sizeof(key), "%suid", pfx);
	num(l, key, t->uid);
	mb_task_ancestry(t, anc, sizeof(anc));
	snprintf(key, sizeof(key), "%sancestry", pfx);
	str(l, key, anc);
	if (l->json) {
		snprintf(key, sizeof(key), "%scgroup_id", pfx);
		num(l, key, (int64_t)t->cgroup_id);
	}
}

static void exec_fields(struct line *l, const struct mb_exec_event *e)
{
	char where[32], name[MB_ENV_NAME_LEN];

	if (e->hdr.type == MB_EV_EXEC_FAIL)
		str(l, "errno", mb_errno_name(e->err));
	str(l, "filename", e->filename);
	num(l, "argc", e->argc);
	num(l, "argv_bytes", (int64_t)e->argv_bytes);
	num(l, "envc", e->envc);
	num(l, "env_bytes", (int64_t)e->env_bytes);
	if (e->longest) {
		num(l, "longest", (int64_t)e->longest);
		snprintf(where, sizeof(where), "%s[%u]", e->longest_is_env ? "envp" : "argv",
			 e->longest_idx);
		str(l, "longest_at", where);
		if (mb_exec_env_name(e, name, sizeof(name)))
			str(l, "longest_name", name);
	}
	num(l, "limit", (int64_t)e->limit);
	if (l->json) {
		num(l, "max_arg_strlen", MB_MAX_ARG_STRLEN);
		num(l, "rlim_stack", (int64_t)e->rlim_stack);
		num(l, "truncated", !!(e->flags & MB_EXEC_F_TRUNCATED));
		num(l, "execveat", !!(e->flags & MB_EXEC_F_EXECVEAT));
	}
	if (e->flags & MB_EXEC_F_OVER_STRLEN)
		str(l, "over", "max_arg_strlen");
	if (e->flags & MB_EXEC_F_NEAR_STRLEN)
		str(l, "near", "max_arg_strlen");
	if (e->suppressed)
		num(l, "suppressed", e->suppressed);
	task_fields(l, "", &e->task);
}

static void signal_fields(struct line *l, const struct mb_fmt *f, const struct mb_signal_event *e)
{
	str(l, "signal", mb_signal_name(e->sig));
	str(l, "result", mb_sig_result_name(e->result));
	num(l, "target_pid", e->target_pid);
	if (l->json)
		num(l, "target_tgid", e->target_tgid);
	str(l, "target_comm", e->target_comm);
	if (e->watched && f->cfg && e->watched <= (uint32_t)f->cfg->ndaemons)
		str(l, "daemon", f->cfg->daemons[e->watched - 1].name);
	if (l->json)
		num(l, "code", e->code);
	if (e->folded_total)
		num(l, "folded_total", e->folded_total);
	task_fields(l, "sender_", &e->sender);
}

static void fs_fields(struct line *l, const struct mb_fmt *f, const struct mb_fs_event *e)
{
	const struct mb_mount *m = f->mounts ? mb_mounts_find(f->mounts, e->dev) : NULL;
	char dev[32], flags[96];

	snprintf(dev, sizeof(dev), "%u:%u", e->dev >> 20, e->dev & 0xfffff);
	str(l, "dev", dev);
	str(l, "device", m ? m->devname : dev);
	str(l, "mountpoint", m ? m->mountpoint : "");
	str(l, "fstype", m ? m->fstype : "");
	str(l, "source", mb_fs_source_name(e->source));
	switch (e->hdr.type) {
	case MB_EV_FS_SHUTDOWN:
		mb_fs_shutdown_desc(e->source, e->flags, flags, sizeof(flags));
		str(l, "flags", flags);
		if (e->source == MB_FS_EXT4_SHUTDOWN)
			break;
		str(l, "file", e->detail);
		num(l, "line", e->nr);
		break;
	case MB_EV_BLOCK_ERROR:
		str(l, "rwbs", e->detail);
		num(l, "sector", (int64_t)e->sector);
		num(l, "sectors", e->nr);
		str(l, "error", mb_errno_name(e->error));
		break;
	case MB_EV_FS_ERROR:
		if (e->source == MB_FS_EXT4_ERROR) {
			str(l, "function", e->detail);
			num(l, "line", e->nr);
			break;
		}
		str(l, "error", mb_errno_name(e->error));
		num(l, "daddr", (int64_t)e->sector);
		num(l, "length", e->nr);
		break;
	default:
		put(l, l->json ? ",\"flags\":%u" : " flags=0x%x", e->flags);
		if (e->ino)
			num(l, "ino", (int64_t)e->ino);
	}
	if (e->suppressed)
		num(l, "suppressed", e->suppressed);
	if (l->json) {
		num(l, "pid", e->pid);
		str(l, "comm", e->comm);
	}
}

static void exit_fields(struct line *l, const struct mb_fmt *f, const struct mb_exit_event *e)
{
	char status[32];

	str(l, "kind", mb_exit_kind_name(e->kind));
	/* "84" or "SIGSEGV", as the metric's label: one word on a terminal line. */
	mb_exit_status_label(e->exit_code, status, sizeof(status));
	str(l, "status", status);
	if (e->exit_code & 0x80)
		num(l, "core", 1);
	if (e->watched && f->cfg && e->watched <= (uint32_t)f->cfg->ndaemons)
		str(l, "daemon", f->cfg->daemons[e->watched - 1].name);
	num(l, "age_ms", (int64_t)(e->age_ns / 1000000));
	num(l, "execd", e->execd);
	num(l, "ppid", e->ppid);
	str(l, "parent_comm", e->parent_comm);
	if (e->suppressed)
		num(l, "suppressed", e->suppressed);
	if (l->json) {
		num(l, "pid", e->pid);
		str(l, "comm", e->comm);
		num(l, "exit_code", e->exit_code);
	}
}

static void body(struct line *l, const struct mb_fmt *f, const union mb_event *ev)
{
	switch (ev->hdr.type) {
	case MB_EV_EXEC_FAIL:
	case MB_EV_EXEC_NEAR:
		exec_fields(l, &ev->exec);
		break;
	case MB_EV_SIGNAL:
		signal_fields(l, f, &ev->sig);
		break;
	case MB_EV_PROC_EXIT:
		exit_fields(l, f, &ev->exit);
		break;
	default:
		fs_fields(l, f, &ev->fs);
	}
}

int mb_event_json(const struct mb_fmt *f, const union mb_event *ev, char *buf, size_t len)
{
	struct line l = { buf, len, 0, 1 };
	/* Unsigned: a corrupt timestamp must not overflow a signed add. */
	int64_t wall = (int64_t)(ev->hdr.ts_ns + (uint64_t)f->boot_to_wall_ns);
	time_t sec = wall / 1000000000;
	char ts[32];
	struct tm tm;

	gmtime_r(&sec, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);
	put(&l, "{\"type\":\"%s\",\"time\":\"%s.%06lldZ\"", mb_event_type_name(ev->hdr.type), ts,
	    (long long)(wall % 1000000000 / 1000));
	body(&l, f, ev);
	put(&l, "}");
	return l.o < len ? (int)l.o : -ENOSPC;
}

const char *mb_event_human_header(void)
{
	return "TIME         EVENT        PID     COMM             DETAILS";
}

int mb_event_human(const struct mb_fmt *f, const union mb_event *ev, char *buf, size_t len)
{
	struct line l = { buf, len, 0, 0 };
	/* Unsigned: a corrupt timestamp must not overflow a signed add. */
	int64_t wall = (int64_t)(ev->hdr.ts_ns + (uint64_t)f->boot_to_wall_ns);
	time_t sec = wall / 1000000000;
	const char *comm;
	char esc[MB_COMM_LEN * 4 + 1], ts[16];
	uint32_t pid;
	struct tm tm;

	localtime_r(&sec, &tm);
	strftime(ts, sizeof(ts), "%H:%M:%S", &tm);
	if (ev->hdr.type == MB_EV_SIGNAL) {
		pid = ev->sig.sender.pid;
		comm = ev->sig.sender.comm;
	} else if (ev->hdr.type <= MB_EV_EXEC_NEAR) {
		pid = ev->exec.task.pid;
		comm = ev->exec.task.comm;
	} else if (ev->hdr.type == MB_EV_PROC_EXIT) {
		pid = ev->exit.pid;
		comm = ev->exit.comm;
	} else {
		pid = ev->fs.pid;
		comm = ev->fs.comm;
	}
	mb_term_escape(esc, sizeof(esc), comm);
	put(&l, "%s.%03lld %-12s %-7u %-16s", ts, (long long)(wall % 1000000000 / 1000000),
	    mb_event_type_name(ev->hdr.type), pid, esc);
	body(&l, f, ev);
	return l.o < len ? (int)l.o : -ENOSPC;
}
