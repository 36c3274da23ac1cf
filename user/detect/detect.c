// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "detect.h"

void *mb_det_new(size_t size, size_t cfg_off, size_t sink_off, const struct mb_config *cfg,
		 struct mb_alert_sink sink)
{
	char *d;

	if (!cfg || cfg->ndaemons < 0 || cfg->ndaemons > MB_MAX_DAEMONS) {
		errno = EINVAL;
		return NULL;
	}
	d = calloc(1, size);
	if (!d)
		return NULL;
	memcpy(d + cfg_off, cfg, sizeof(*cfg));
	memcpy(d + sink_off, &sink, sizeof(sink));
	return d;
}
