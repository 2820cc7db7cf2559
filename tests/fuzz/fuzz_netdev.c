// SPDX-License-Identifier: MIT
/*
 * libFuzzer target for the /proc/net/dev parser (core/probe/traffic.c):
 * arbitrary bytes, not NUL-terminated, looked up for a few names.  Seeds:
 * tests/fuzz/corpus/netdev/.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "core/probe/traffic.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *wants[] = { "", "lo", "eth0", "wlan0" };
	for (size_t i = 0; i < sizeof(wants) / sizeof(wants[0]); i++) {
		struct traffic_counters c;
		int r = traffic_parse_proc_net_dev((const char *)data, size,
						   wants[i], &c);
		if (r != 0 && r != -ENOENT)
			abort();
	}
	/* the rate never divides by zero nor overflows */
	if (size >= 24) {
		uint64_t v[3] = { 0, 0, 0 };
		for (int k = 0; k < 24; k++)
			v[k / 8] = v[k / 8] << 8 | data[k];
		(void)traffic_rate_kbps(v[0], v[1], (int64_t)v[2]);
	}
	return 0;
}
