// SPDX-License-Identifier: MIT
/*
 * libFuzzer target for the route-table parsers (core/probe/gateway.c):
 * arbitrary bytes as /proc/net/route and /proc/net/ipv6_route text, with and
 * without an interface filter.  The input is not NUL-terminated, which is
 * the point.  Seeds: tests/fuzz/corpus/gateway/ (valid-*, edge-*, malform-*).
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/probe/gateway.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	char dev[GATEWAY_IFNAME_LEN];
	struct in_addr gw4;
	struct in6_addr gw6;
	const char *wants[] = { NULL, "", "eth0" };
	for (size_t i = 0; i < sizeof(wants) / sizeof(wants[0]); i++) {
		memset(dev, 0x55, sizeof(dev));
		int r = gateway_parse_proc_route(text, size, wants[i], &gw4,
						 dev);
		if (r != 0 && r != -ENOENT)
			abort();
		if (r == 0 && !memchr(dev, '\0', sizeof(dev)))
			abort(); /* ifname_out must be a string */
		memset(dev, 0x55, sizeof(dev));
		r = gateway_parse_proc_ipv6_route(text, size, wants[i], &gw6,
						  dev);
		if (r != 0 && r != -ENOENT)
			abort();
		if (r == 0 && !memchr(dev, '\0', sizeof(dev)))
			abort();
	}
	return 0;
}
