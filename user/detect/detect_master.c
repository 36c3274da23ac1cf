// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Master gone, see detect_master.h.
 *
 * A master that leaves the /proc scan without an exit record is not
 * alerted at once: the record may still be in the ring (the scan runs
 * after a drain, but the kernel may be a few ms ahead). It is "missing"
 * for one scan; an exit record in between still names its status.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "detect.h"
#include "detect_master.h"
#include "names.h"

struct master_daemon {
	uint32_t known[MB_MASTERS_PER_DAEMON];
	int nknown;
	uint32_t scan[MB_MASTERS_PER_DAEMON];
	int nscan;
	uint32_t missing[MB_MASTERS_PER_DAEMON];
	int nmissing;
	uint32_t gone[MB_MASTERS_PER_DAEMON * 2]; /* exited lately: never known again */
	int gone_next;
	int seen_ever;
	int down; /* a daemon_exited alert is open */
	uint32_t gone_tgid;
	uint64_t gone_ns;
	struct mb_signal_event rel[MB_MASTER_RELOADS]; /* ring */
	int nrel, head;
};

struct mb_master_det {
	struct mb_config cfg;
	struct mb_alert_sink sink;
	struct master_daemon d[MB_MAX_DAEMONS];
};

struct mb_master_det *mb_master_new(const struct mb_config *cfg, struct mb_alert_sink sink)
{
	return MB_DET_NEW(struct mb_master_det, cfg, sink);
}

void mb_master_free(struct mb_master_det *d)
{
	free(d);
}

static int find_tgid(const uint32_t *set, int n, uint32_t tgid)
{
	for (int i = 0; i < n; i++)
		if (set[i] == tgid)
			return i;
	return -1;
}

static void add_tgid(uint32_t *set, int *n, uint32_t tgid)
{
	if (tgid && find_tgid(set, *n, tgid) < 0 && *n < MB_MASTERS_PER_DAEMON)
		set[(*n)++] = tgid;
}

static void del_tgid(uint32_t *set, int *n, int i)
{
	set[i] = set[--(*n)];
}

static int is_gone(const struct master_daemon *md, uint32_t tgid)
{
	for (int i = 0; i < MB_MASTERS_PER_DAEMON * 2; i++)
		if (md->gone[i] == tgid)
			return 1;
	return 0;
}

void mb_master_feed_reload(struct mb_master_det *d, int idx, const struct mb_signal_event *e)
{
	struct master_daemon *md;

	if (!d || !e || idx < 0 || idx >= d->cfg.ndaemons)
		return;
	md = &d->d[idx];
	md->rel[(md->head + md->nrel) % MB_MASTER_RELOADS] = *e;
	if (md->nrel < MB_MASTER_RELOADS)
		md->nrel++;
	else
		md->head = (md->head + 1) % MB_MASTER_RELOADS;
	if (!is_gone(md, e->target_tgid)) {
		add_tgid(md->known, &md->nknown, e->target_tgid);
		md->seen_ever = 1;
	}
}

static const char *const sender_keys[MB_MASTER_RELOADS][2] = {
	{ "sender1_pid", "sender1_comm" },
	{ "sender2_pid", "sender2_comm" },
	{ "sender3_pid", "sender3_comm" },
	{ "sender4_pid", "sender4_comm" },
};

static void emit(struct mb_master_det *d, const struct mb_alert *a)
{
	if (d->sink.emit)
		d->sink.emit(d->sink.ctx, a);
}

/*
 * code < 0: it left the scan without a record. The exit probe sends every
 * master exit with a non-zero status, so that is most likely a clean stop
 * (exit 0): a warning, its status unknown.
 */
static void exited(struct mb_master_det *d, int idx, uint32_t tgid, int64_t code, uint64_t age_ns,
		   uint64_t now)
{
	struct master_daemon *md = &d->d[idx];
	uint64_t window = d->cfg.daemons[idx].chain_window_ms * NS_PER_MS;
	char status[32] = "not seen (no failure status)", who[MB_MASTER_RELOADS * 48] = "",
	     after[160] = "";
	char others[64] = "no other master: the daemon is down";
	const struct mb_signal_event *last = NULL;
	int nsend = 0;
	size_t off = 0;
	struct mb_alert a;

	/*
	 * exit 0, or SIGTERM/SIGINT, is how a master stops when told to
	 * (systemctl stop): a warning. A failure status, a crash or an
	 * unknown end is critical.
	 */
	int stopped = code <= 0 || code == 2 || code == 15;

	if (code >= 0)
		mb_exit_status_str((uint32_t)code, status, sizeof(status));
	mb_alert_start(&a, now, stopped ? MB_SEV_WARNING : MB_SEV_CRITICAL, MB_AK_DAEMON_EXITED);
	mb_alert_str(&a, "daemon", d->cfg.daemons[idx].name);
	mb_alert_int(&a, "pid", tgid);
	mb_alert_str(&a, "status", status);
	if (code >= 0 && code & 0x7f)
		mb_alert_str(&a, "signal", mb_signal_name((int)(code & 0x7f)));
	else if (code >= 0)
		mb_alert_int(&a, "exit_status", code >> 8 & 0xff);
	if (age_ns)
		mb_alert_int(&a, "lifetime_s", (int64_t)(age_ns / NS_PER_SEC));
	/* The reloads of this master within the chain window: who asked for it. */
	for (int i = 0; i < md->nrel; i++) {
		const struct mb_signal_event *r = &md->rel[(md->head + i) % MB_MASTER_RELOADS];
		char comm[MB_COMM_LEN + 1];
		int n;

		if (r->target_tgid != tgid || r->hdr.ts_ns > now || now - r->hdr.ts_ns > window)
			continue;
		last = r;
		mb_copy_fixed(comm, sizeof(comm), r->sender.comm, MB_COMM_LEN);
		mb_alert_int(&a, sender_keys[nsend][0], r->sender.tgid);
		mb_alert_str(&a, sender_keys[nsend][1], comm);
		nsend++;
		n = snprintf(who + off, sizeof(who) - off, "%s\"%s\" (pid %u)", off ? ", " : "",
			     comm, r->sender.tgid);
		if (n > 0 && (size_t)n < sizeof(who) - off)
			off += (size_t)n;
	}
	if (last) {
		mb_alert_str(&a, "signal_before", mb_signal_name((int)last->sig));
		mb_alert_int(&a, "gap_ms", (int64_t)((now - last->hdr.ts_ns) / NS_PER_MS));
		snprintf(after, sizeof(after), " %llu ms after %s from %s",
			 (unsigned long long)((now - last->hdr.ts_ns) / NS_PER_MS),
			 mb_signal_name((int)last->sig), who);
	}
	if (md->nknown)
		snprintf(others, sizeof(others), "%d other master(s) still running", md->nknown);
	mb_alert_str(&a, "new_master", md->nknown ? "yes" : "none yet");
	mb_alert_summary(&a, "%s: master (pid %u) exited: %s%s; %s", d->cfg.daemons[idx].name, tgid,
			 status, after, others);
	md->down = !md->nknown;
	md->gone[md->gone_next] = tgid;
	md->gone_next = (md->gone_next + 1) % (MB_MASTERS_PER_DAEMON * 2);
	md->gone_tgid = tgid;
	md->gone_ns = now;
	emit(d, &a);
}

void mb_master_feed_exit(struct mb_master_det *d, const struct mb_exit_event *e)
{
	struct master_daemon *md;
	int idx, i;

	if (!d || !e || e->kind != MB_EXIT_MASTER || !e->watched ||
	    e->watched > (uint32_t)d->cfg.ndaemons)
		return;
	idx = (int)e->watched - 1;
	md = &d->d[idx];
	int known = 0;

	if ((i = find_tgid(md->known, md->nknown, e->pid)) >= 0) {
		del_tgid(md->known, &md->nknown, i);
		known = 1;
	}
	if ((i = find_tgid(md->missing, md->nmissing, e->pid)) >= 0) {
		del_tgid(md->missing, &md->nmissing, i);
		known = 1;
	}
	if (!known)
		return; /* not a master mailbpf knew: `exim4 -bt` from a shell */
	exited(d, idx, e->pid, e->exit_code, e->age_ns, e->hdr.ts_ns);
}

void mb_master_scan_begin(struct mb_master_det *d)
{
	for (int i = 0; d && i < MB_MAX_DAEMONS; i++)
		d->d[i].nscan = 0;
}

void mb_master_scan_add(struct mb_master_det *d, int idx, uint32_t tgid, uint64_t age_ns)
{
	if (age_ns < MB_MASTER_MIN_AGE_NS)
		return;
	/* A master that exited may linger as a zombie until its parent reaps it. */
	if (d && idx >= 0 && idx < d->cfg.ndaemons && !is_gone(&d->d[idx], tgid))
		add_tgid(d->d[idx].scan, &d->d[idx].nscan, tgid);
}

static void resolved(struct mb_master_det *d, int idx, uint32_t tgid, uint64_t now)
{
	struct master_daemon *md = &d->d[idx];
	uint64_t out = now > md->gone_ns ? now - md->gone_ns : 0;
	struct mb_alert a;

	md->down = 0;
	mb_alert_start(&a, now, MB_SEV_INFO, MB_AK_DAEMON_EXITED);
	mb_alert_str(&a, "daemon", d->cfg.daemons[idx].name);
	mb_alert_str(&a, "state", "resolved");
	mb_alert_int(&a, "pid", tgid);
	mb_alert_int(&a, "old_pid", md->gone_tgid);
	mb_alert_int(&a, "down_ms", (int64_t)(out / NS_PER_MS));
	mb_alert_summary(&a, "%s: a new master (pid %u) runs, %llu s after pid %u exited",
			 d->cfg.daemons[idx].name, tgid, (unsigned long long)(out / NS_PER_SEC),
			 md->gone_tgid);
	emit(d, &a);
}

void mb_master_scan_end(struct mb_master_det *d, uint64_t now)
{
	if (!d)
		return;
	for (int idx = 0; idx < d->cfg.ndaemons; idx++) {
		struct master_daemon *md = &d->d[idx];
		uint32_t fresh = 0;

		/* Missing for a whole scan and no record came: gone, status unknown. */
		while (md->nmissing) {
			uint32_t t = md->missing[0];

			del_tgid(md->missing, &md->nmissing, 0);
			if (find_tgid(md->scan, md->nscan, t) < 0) {
				md->nknown = 0;
				for (int i = 0; i < md->nscan; i++)
					add_tgid(md->known, &md->nknown, md->scan[i]);
				exited(d, idx, t, -1, 0, now);
			}
		}
		for (int i = 0; i < md->nknown; i++)
			if (find_tgid(md->scan, md->nscan, md->known[i]) < 0)
				add_tgid(md->missing, &md->nmissing, md->known[i]);
		for (int i = 0; i < md->nscan; i++)
			if (find_tgid(md->known, md->nknown, md->scan[i]) < 0 && !fresh)
				fresh = md->scan[i];
		md->nknown = 0;
		for (int i = 0; i < md->nscan; i++)
			add_tgid(md->known, &md->nknown, md->scan[i]);
		if (md->nscan)
			md->seen_ever = 1;
		if (md->down && fresh)
			resolved(d, idx, fresh, now);
	}
}

int mb_master_up(const struct mb_master_det *d, int idx)
{
	if (!d || idx < 0 || idx >= d->cfg.ndaemons || !d->d[idx].seen_ever)
		return -1;
	return d->d[idx].nknown > 0;
}

int mb_master_down(const struct mb_master_det *d, int idx)
{
	return d && idx >= 0 && idx < d->cfg.ndaemons && d->d[idx].down;
}
