// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Parsing listen addresses and Alertmanager URLs: no sockets, no DNS. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include "netaddr.h"

int mb_httpd_parse_addr(const char *s, void *sa, unsigned int *salen)
{
	struct sockaddr_in *in4 = sa;
	struct sockaddr_in6 *in6 = sa;
	struct in6_addr a6;
	struct in_addr a4;
	char host[64];
	const char *colon, *h = s;
	size_t hl;
	char *end;
	long port;

	if (!s)
		return -EINVAL;
	if (*s == '[') {
		const char *rb = strchr(s, ']');

		if (!rb || rb[1] != ':')
			return -EINVAL;
		h = s + 1;
		hl = (size_t)(rb - h);
		colon = rb + 1;
	} else {
		colon = strrchr(s, ':');
		if (!colon)
			return -EINVAL;
		hl = (size_t)(colon - s);
	}
	if (!hl || hl >= sizeof(host) || colon[1] < '0' || colon[1] > '9')
		return -EINVAL;
	errno = 0;
	port = strtol(colon + 1, &end, 10);
	if (errno || *end || port < 1 || port > 65535)
		return -EINVAL;
	memcpy(host, h, hl);
	host[hl] = '\0';
	/* Parsed aside first: a host that is no address leaves *sa untouched. */
	if (*s != '[' && inet_pton(AF_INET, host, &a4) == 1) {
		memset(sa, 0, sizeof(struct sockaddr_in6));
		in4->sin_addr = a4;
		in4->sin_family = AF_INET;
		in4->sin_port = htons((uint16_t)port);
		*salen = sizeof(*in4);
		return 0;
	}
	if (*s == '[' && inet_pton(AF_INET6, host, &a6) == 1) {
		memset(sa, 0, sizeof(struct sockaddr_in6));
		in6->sin6_addr = a6;
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons((uint16_t)port);
		*salen = sizeof(*in6);
		return 0;
	}
	return -EINVAL;
}

const char *mb_no_network_hint(int err)
{
	/* PrivateNetwork=yes leaves only a down lo; RestrictAddressFamilies= fails socket(). */
	if (err == EADDRNOTAVAIL || err == EAFNOSUPPORT || err == ENETUNREACH || err == ENETDOWN)
		return " (the shipped systemd unit has no IP networking: install "
		       "/usr/share/mailbpf/systemd/network.conf as a drop-in, see mailbpf(8))";
	return "";
}

int mb_push_parse_url(const char *url, char *host, size_t hostlen, char *port, size_t portlen,
		      char *prefix, size_t prefixlen)
{
	const char *h, *hend, *p, *slash;
	size_t hl, pl;

	if (!url || strncmp(url, "http://", 7))
		return -EINVAL;
	h = url + 7;
	slash = strchr(h, '/');
	if (!slash)
		slash = h + strlen(h);
	if (memchr(h, '@', (size_t)(slash - h)) || strpbrk(url, "?# \t\r\n"))
		return -EINVAL; /* no credentials in a URL; no query or fragment */
	if (*h == '[') {
		hend = memchr(h, ']', (size_t)(slash - h));
		if (!hend)
			return -EINVAL;
		p = hend + 1;
		h++;
	} else {
		hend = memchr(h, ':', (size_t)(slash - h));
		if (!hend)
			hend = slash;
		p = hend;
	}
	hl = (size_t)(hend - h);
	if (!hl || hl >= hostlen)
		return -EINVAL;
	for (const char *c = h; c < hend; c++)
		if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
		      (*c >= '0' && *c <= '9') || *c == '-' || *c == '.' || *c == ':'))
			return -EINVAL;
	if (p < slash && *p != ':')
		return -EINVAL;
	pl = p < slash ? (size_t)(slash - p - 1) : 0;
	if (p < slash) {
		long v = 0;

		if (!pl || pl > 5)
			return -EINVAL;
		for (const char *c = p + 1; c < slash; c++) {
			if (*c < '0' || *c > '9')
				return -EINVAL;
			v = v * 10 + (*c - '0');
		}
		if (v < 1 || v > 65535 || pl >= portlen)
			return -EINVAL;
	}
	if (strlen(slash) >= prefixlen || portlen < 3)
		return -EINVAL;
	memcpy(host, h, hl);
	host[hl] = '\0';
	if (pl) {
		memcpy(port, p + 1, pl);
		port[pl] = '\0';
	} else {
		snprintf(port, portlen, "80");
	}
	/* "/" and "" are the root; a trailing slash must not double. */
	snprintf(prefix, prefixlen, "%s", slash);
	pl = strlen(prefix);
	while (pl && prefix[pl - 1] == '/')
		prefix[--pl] = '\0';
	return 0;
}
