// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * libFuzzer target: mb_http_parse() on arbitrary bytes, the request heads
 * anyone who can reach `run --listen` may send.
 *
 * Beyond not crashing, what the server relies on:
 *   - the verdict is one of the statuses it knows how to answer, with a
 *     method for 200/404 and a head length inside the input for a
 *     complete head;
 *   - "read more" is only ever asked for below MB_HTTP_HEAD_MAX bytes, so
 *     the server's fixed buffer can never fill without a verdict;
 *   - a prefix that is decided has the whole input's verdict: the answer
 *     does not depend on how the bytes were split across reads.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "http_req.h"

#define CHECK(cond)                                                                         \
	do {                                                                                \
		if (!(cond)) {                                                              \
			fprintf(stderr, "fuzz_http: invariant failed: %s (%s:%d)\n", #cond, \
				__FILE__, __LINE__);                                        \
			abort();                                                            \
		}                                                                           \
	} while (0)

static int known(int status)
{
	return status == 200 || status == 400 || status == 404 || status == 405 || status == 431 ||
	       status == 505;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* A copy of exactly size bytes: ASan sees any read past the end. */
	char *buf = malloc(size ? size : 1);
	struct mb_http_req whole, part;
	int done, pdone;
	size_t cut;

	if (!buf)
		return 0;
	memcpy(buf, data, size);
	done = mb_http_parse(buf, size, &whole);
	CHECK(done == 0 || done == 1);
	if (!done) {
		CHECK(size < MB_HTTP_HEAD_MAX);
	} else {
		CHECK(known(whole.status));
		if (whole.status == 200 || whole.status == 404)
			CHECK(whole.method == MB_HTTP_GET || whole.method == MB_HTTP_HEAD);
		if (whole.status == 200)
			CHECK(whole.head_len > 0);
		CHECK(whole.head_len <= size && whole.head_len <= MB_HTTP_HEAD_MAX);
		CHECK(strcmp(mb_http_reason(whole.status), "Error"));
	}
	/* Split where the input says (its first byte), as a short read would. */
	cut = size ? data[0] % (size + 1) : 0;
	pdone = mb_http_parse(buf, cut, &part);
	if (pdone && done)
		CHECK(part.status == whole.status);
	CHECK(!pdone || done); /* decided on a prefix: decided on the whole */
	free(buf);
	return 0;
}
