/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * What the detectors share. A detector is a pure state machine fed decoded
 * kernel events and a clock (CLOCK_BOOTTIME ns); what it concludes leaves
 * through its alert sink (base/alert.h).
 */
#ifndef MAILBPF_DETECT_H
#define MAILBPF_DETECT_H

#include <stddef.h>
#include "alert.h"
#include "config.h"

/*
 * A zeroed detector of `size` bytes with its copy of cfg and its sink
 * stored at the given offsets. NULL with errno EINVAL for a missing or
 * out-of-range config, ENOMEM without memory. Use MB_DET_NEW.
 */
void *mb_det_new(size_t size, size_t cfg_off, size_t sink_off, const struct mb_config *cfg,
		 struct mb_alert_sink sink);
#define MB_DET_NEW(type, c, s) \
	((type *)mb_det_new(sizeof(type), offsetof(type, cfg), offsetof(type, sink), c, s))

#endif
