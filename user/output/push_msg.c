// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The alert set behind the Alertmanager push and its JSON. Alert names are
 * those of the shipped Prometheus rules (deploy/prometheus/mailbpf.rules.yml)
 * where one corresponds, so routes and silences written for the rules
 * catch the pushed alerts too.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "escape.h"
#include "push_msg.h"

const char *mb_push_alertname(const char *kind)
{
	int i = mb_alert_kind_of(kind);

	return i < 0 ? NULL : mb_alert_kinds[i].alertname;
}

void mb_push_set_init(struct mb_push_set *s, const char *instance)
{
	memset(s, 0, sizeof(*s));
	snprintf(s->instance, sizeof(s->instance), "%s", instance ? instance : "");
}

static const char *field(const struct mb_alert *a, const char *key)
{
	for (int i = 0; i < a->nfields; i++)
		if (!strcmp(a->fields[i].key, key) && a->fields[i].type == MB_F_STR)
			return a->fields[i].s;
	return "";
}

/* "key=value, ..." of the alert's details: what the alert log has. */
static void describe(const struct mb_alert *a, char *buf, size_t len)
{
	size_t n = (size_t)snprintf(buf, len, "%s.", a->summary);

	for (int i = 0; i < a->nfields && n < len; i++) {
		const struct mb_field *f = &a->fields[i];

		if (f->type == MB_F_INT)
			n += (size_t)snprintf(buf + n, len - n, " %s=%lld", f->key,
					      (long long)f->i);
		else if (f->s[0])
			n += (size_t)snprintf(buf + n, len - n, " %s=%s", f->key, f->s);
	}
}

static struct mb_push_alert *find(struct mb_push_set *s, const char *name, const struct mb_alert *a,
				  int open_only)
{
	for (int i = 0; i < s->n; i++) {
		struct mb_push_alert *e = &s->a[i];

		if ((!open_only || !e->ends_ms) && !strcmp(e->alertname, name) &&
		    !strcmp(e->daemon, field(a, "daemon")) &&
		    !strcmp(e->device, field(a, "device")) &&
		    !strcmp(e->mountpoint, field(a, "mountpoint")) &&
		    !strcmp(e->service, field(a, "service")))
			return e;
	}
	return NULL;
}

static void remove_at(struct mb_push_set *s, int i)
{
	memmove(&s->a[i], &s->a[i + 1], (size_t)(s->n - i - 1) * sizeof(s->a[0]));
	s->n--;
}

/* Room for one more: the oldest ended entry goes first, then the oldest. */
static struct mb_push_alert *slot(struct mb_push_set *s)
{
	int victim = 0;

	if (s->n < MB_PUSH_MAX)
		return &s->a[s->n++];
	for (int i = 0; i < s->n; i++)
		if (s->a[i].ends_ms) {
			victim = i;
			break;
		}
	remove_at(s, victim);
	s->evicted++;
	return &s->a[s->n++];
}

int mb_push_feed(struct mb_push_set *s, const struct mb_alert *a, int64_t now_ms)
{
	int k = mb_alert_kind_of(a->kind);
	const char *name;
	struct mb_push_alert *e;

	if (k < 0)
		return 0;
	name = mb_alert_kinds[k].alertname;
	/* The rules tell a read-only remount by an admin from one after errors. */
	if (k == MB_AK_FS_READONLY && !strcmp(field(a, "cause"), "admin"))
		name = "MailbpfFilesystemRemountedReadOnly";
	e = find(s, name, a, 1);
	if (a->severity == MB_SEV_INFO) {
		if (!e || !mb_alert_kinds[k].is_state)
			return 0;
		e->ends_ms = now_ms > e->starts_ms ? now_ms : e->starts_ms + 1;
		e->acked = 0;
		e->seq = ++s->seq;
		return 1;
	}
	if (!e) {
		e = find(s, name, a, 0);
		if (e) /* ended, not yet everywhere: a new start replaces it */
			remove_at(s, (int)(e - s->a));
		e = slot(s);
		memset(e, 0, sizeof(*e));
		snprintf(e->alertname, sizeof(e->alertname), "%s", name);
		snprintf(e->daemon, sizeof(e->daemon), "%s", field(a, "daemon"));
		snprintf(e->device, sizeof(e->device), "%s", field(a, "device"));
		snprintf(e->mountpoint, sizeof(e->mountpoint), "%s", field(a, "mountpoint"));
		snprintf(e->service, sizeof(e->service), "%s", field(a, "service"));
		e->starts_ms = now_ms;
	}
	e->severity = mb_severity_name(a->severity);
	snprintf(e->summary, sizeof(e->summary), "%s", a->summary);
	describe(a, e->description, sizeof(e->description));
	e->expires_ms = mb_alert_kinds[k].is_state ? 0 : now_ms + MB_PUSH_EVENT_MS;
	e->seq = ++s->seq;
	return 1;
}

int mb_push_tick(struct mb_push_set *s, int64_t now_ms)
{
	int changed = 0;

	for (int i = 0; i < s->n; i++) {
		struct mb_push_alert *e = &s->a[i];

		if (e->ends_ms || !e->expires_ms || now_ms < e->expires_ms)
			continue;
		e->ends_ms = e->expires_ms;
		e->acked = 0;
		e->seq = ++s->seq;
		changed = 1;
	}
	return changed;
}

void mb_push_acked(struct mb_push_set *s, int bit, int ntargets, uint64_t seq)
{
	uint32_t all = ntargets >= 32 ? ~0u : (1u << ntargets) - 1;

	for (int i = 0; i < s->n; i++) {
		struct mb_push_alert *e = &s->a[i];

		if (!e->ends_ms || e->seq > seq)
			continue;
		e->acked |= 1u << bit;
		if ((e->acked & all) == all)
			remove_at(s, i--);
	}
}

static int grow(char **buf, size_t *cap, size_t need)
{
	size_t c = *cap ? *cap : 4096;
	char *nb;

	while (c < need)
		c *= 2;
	if (c == *cap)
		return 0;
	nb = realloc(*buf, c);
	if (!nb)
		return -ENOMEM;
	*buf = nb;
	*cap = c;
	return 0;
}

/* Append "s" as a JSON string (quoted, escaped). */
static int put_str(char **buf, size_t *cap, size_t *len, const char *str)
{
	size_t n = mb_json_escape(NULL, 0, str);

	if (grow(buf, cap, *len + n + 3))
		return -ENOMEM;
	(*buf)[(*len)++] = '"';
	mb_json_escape(*buf + *len, n + 1, str);
	*len += n;
	(*buf)[(*len)++] = '"';
	(*buf)[*len] = '\0';
	return 0;
}

static int put_raw(char **buf, size_t *cap, size_t *len, const char *raw)
{
	size_t n = strlen(raw);

	if (grow(buf, cap, *len + n + 1))
		return -ENOMEM;
	memcpy(*buf + *len, raw, n + 1);
	*len += n;
	return 0;
}

static void rfc3339(int64_t ms, char *buf, size_t len)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	gmtime_r(&t, &tm);
	snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
		 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)(ms % 1000));
}

static int put_label(char **buf, size_t *cap, size_t *len, const char *k, const char *v, int first)
{
	int err = put_raw(buf, cap, len, first ? "" : ",");

	err = err ?: put_str(buf, cap, len, k);
	err = err ?: put_raw(buf, cap, len, ":");
	return err ?: put_str(buf, cap, len, v);
}

long mb_push_body(const struct mb_push_set *s, char **buf, size_t *cap)
{
	size_t len = 0;
	char ts[80]; /* room for any int year: -Wformat-truncation */
	int err = put_raw(buf, cap, &len, "[");

	for (int i = 0; i < s->n && !err; i++) {
		const struct mb_push_alert *e = &s->a[i];

		err = put_raw(buf, cap, &len, i ? ",{\"labels\":{" : "{\"labels\":{");
		err = err ?: put_label(buf, cap, &len, "alertname", e->alertname, 1);
		err = err ?: put_label(buf, cap, &len, "severity", e->severity, 0);
		err = err ?: put_label(buf, cap, &len, "instance", s->instance, 0);
		if (e->daemon[0])
			err = err ?: put_label(buf, cap, &len, "daemon", e->daemon, 0);
		if (e->device[0])
			err = err ?: put_label(buf, cap, &len, "device", e->device, 0);
		if (e->service[0])
			err = err ?: put_label(buf, cap, &len, "service", e->service, 0);
		err = err ?: put_raw(buf, cap, &len, "},\"annotations\":{");
		err = err ?: put_label(buf, cap, &len, "summary", e->summary, 1);
		err = err ?: put_label(buf, cap, &len, "description", e->description, 0);
		rfc3339(e->starts_ms, ts, sizeof(ts));
		err = err ?: put_raw(buf, cap, &len, "},");
		err = err ?: put_label(buf, cap, &len, "startsAt", ts, 1);
		if (e->ends_ms) {
			rfc3339(e->ends_ms, ts, sizeof(ts));
			err = err ?: put_label(buf, cap, &len, "endsAt", ts, 0);
		}
		err = err ?: put_raw(buf, cap, &len, "}");
	}
	err = err ?: put_raw(buf, cap, &len, "]");
	return err ? err : (long)len;
}
