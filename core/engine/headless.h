/* SPDX-License-Identifier: MIT */
/* bufferbane -d: the monitoring engine without a screen. */
#ifndef BB_HEADLESS_H
#define BB_HEADLESS_H

#include "core/engine/monitor.h"

/* Run until a signal or --duration; returns the process exit code. */
int headless_main(const struct monitor_options *o);

#endif
