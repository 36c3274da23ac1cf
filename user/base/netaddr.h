/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Addresses and URLs as the config names them: checked by the config parser
 * (base) and used by the listener and the Alertmanager client (output).
 */
#ifndef MAILBPF_NETADDR_H
#define MAILBPF_NETADDR_H

#include <stddef.h>

/*
 * Parse "127.0.0.1:9638" or "[::1]:9638" (numeric only: binding must not
 * wait for DNS). 0, or -EINVAL with nothing written. sa is a
 * struct sockaddr_storage.
 */
int mb_httpd_parse_addr(const char *s, void *sa, unsigned int *salen);

/* " (... install the network.conf drop-in ...)" for errnos a unit without IP gives. */
const char *mb_no_network_hint(int err);

/*
 * "http://HOST[:PORT][/PREFIX]" with HOST a name, an IPv4 address or
 * [IPv6]; PORT defaults to 80. Only http: https needs TLS, which this
 * client does not do. The API path is PREFIX + "/api/v2/alerts". 0, or
 * -EINVAL with nothing written.
 */
int mb_push_parse_url(const char *url, char *host, size_t hostlen, char *port, size_t portlen,
		      char *prefix, size_t prefixlen);

#endif
