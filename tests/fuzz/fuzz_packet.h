/* SPDX-License-Identifier: MIT */
/*
 * The input of the ICMP parsers' targets (fuzz_icmp.c, fuzz_icmp_path.c):
 * the first byte picks the family (odd: IPv6), the rest is a packet as a
 * socket gives it.  Header only: fuzz targets link no test library.
 */
#ifndef BB_FUZZ_PACKET_H
#define BB_FUZZ_PACKET_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

/* The packet in a buffer of its exact size, so that reading past its end
 * is caught (free() it), its length in *len and its family in *family;
 * NULL for an empty input or without memory. */
static inline uint8_t *fuzz_packet(const uint8_t *data, size_t size,
				   int *family, size_t *len)
{
	if (size < 1)
		return NULL;
	*family = data[0] & 1 ? AF_INET6 : AF_INET;
	*len = size - 1;
	uint8_t *pkt = malloc(*len ? *len : 1);
	if (pkt)
		memcpy(pkt, data + 1, *len);
	return pkt;
}

#endif
