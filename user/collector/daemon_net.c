// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The daemon's network outputs, for when the textfile is not enough: the
 * filesystem holding it can be the one that failed. /metrics (--listen)
 * serves the exposition just rendered, from memory; the Alertmanager push
 * (--alertmanager) sends the alerts themselves. Both are sockets polled
 * with the ring buffer, never a blocking call in the collector's loop.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <bpf/libbpf.h>
#include "daemon.h"
#include "log.h"

int64_t mb_wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * The daemon's own alert: the textfile cannot be written. Pushed, not
 * logged (the warning already went to stderr): the file that failed may
 * be on the filesystem the alert log is on too.
 */
void mb_daemon_textfile_alert(struct mb_daemon *d, int err, uint64_t now)
{
	struct mb_alert a;

	if (!d->push.n)
		return;
	mb_alert_start(&a, now, err ? MB_SEV_CRITICAL : MB_SEV_INFO, MB_AK_TEXTFILE_WRITE);
	snprintf(
		a.summary, sizeof(a.summary),
		err ? "cannot write the textfile %s: %s; the filesystem holding it may be failing" :
		      "writing the textfile %s works again",
		d->cfg.textfile, strerror(-err));
	mb_alert_str(&a, "textfile", d->cfg.textfile);
	if (err)
		mb_alert_str(&a, "error", strerror(-err));
	mb_push_feed(&d->push.set, &a, mb_wall_ms());
}

/* What /metrics serves: exactly the bytes just rendered for the textfile. */
void mb_daemon_publish(struct mb_daemon *d)
{
	if (d->httpd.open && !d->prom.err && mb_httpd_publish(&d->httpd, d->prom.buf, d->prom.len))
		warn("/metrics: out of memory, serving the previous exposition");
}

/* Sticky shutdowns from before a restart are in force: push them again. */
static void push_restored(struct mb_daemon *d)
{
	for (int i = 0; i < mb_fs_shutdown_count(d->fs); i++) {
		const struct mb_fs_flag *f = mb_fs_shutdown_at(d->fs, i);
		struct mb_alert a;

		mb_alert_start(&a, f->ts_ns, MB_SEV_CRITICAL, MB_AK_FS_SHUTDOWN);
		snprintf(a.summary, sizeof(a.summary),
			 "%s on %s (%s) is shut down (flagged before mailbpf restarted)", f->fstype,
			 f->devname, f->mountpoint);
		mb_alert_str(&a, "device", f->devname);
		mb_alert_str(&a, "mountpoint", f->mountpoint);
		mb_alert_str(&a, "fstype", f->fstype);
		/* startsAt: when it shut down (this boot's flags only survive a restart). */
		mb_push_feed(&d->push.set, &a,
			     f->ts_ns ? ((int64_t)f->ts_ns + d->boot_to_wall_ns) / 1000000 :
					mb_wall_ms());
	}
}

/* --listen and --alertmanager: sockets only, opened before any probe. */
int mb_daemon_start_net(struct mb_daemon *d)
{
	char host[256] = "";
	int err;

	if (d->cfg.listen[0]) {
		err = mb_httpd_open(&d->httpd, d->cfg.listen);
		if (err)
			return err;
	}
	gethostname(host, sizeof(host) - 1);
	mb_push_set_init(&d->push.set, host);
	err = mb_push_configure(&d->push, &d->cfg);
	if (err) {
		warn("alertmanager_url: cannot use the configured URLs");
		return err;
	}
	if (d->push.n)
		push_restored(d);
	return 0;
}

/*
 * One poll() over the ring buffer's epoll descriptor, the /metrics
 * connection and the Alertmanager sockets, so that none of them waits on
 * another: records are consumed as before, then each socket does what it
 * can without blocking.
 */
int mb_daemon_poll_net(struct mb_daemon *d, uint64_t now, int timeout)
{
	struct pollfd pfd[2 + MB_MAX_ALERTMANAGERS];
	int n = 1, http_at = -1, err;

	pfd[0].fd = ring_buffer__epoll_fd(d->probes.rb);
	pfd[0].events = POLLIN;
	if (d->httpd.open) {
		http_at = n++;
		mb_httpd_pollfd(&d->httpd, &pfd[http_at], now, &timeout);
	}
	mb_push_pollfds(&d->push, &pfd[n], now, mb_wall_ms(), &timeout);
	if (poll(pfd, (nfds_t)(n + d->push.n), timeout) < 0 && errno != EINTR)
		return -errno;
	err = mb_probes_poll(&d->probes, 0);
	now = mb_boot_ns();
	if (http_at >= 0)
		mb_httpd_handle(&d->httpd, pfd[http_at].revents, now);
	mb_push_handle(&d->push, &pfd[n], now);
	return err;
}
