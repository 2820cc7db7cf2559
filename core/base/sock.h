/* SPDX-License-Identifier: MIT */
/*
 * Small socket helpers shared by the probes and the server: non-blocking
 * sockets, binding to an interface, numeric address parsing and printing, and
 * receiving a datagram together with its kernel RX timestamp (SO_TIMESTAMPNS,
 * MEASUREMENT.md "Time": never the time our callback happened to run).
 */
#ifndef BB_SOCK_H
#define BB_SOCK_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

/* Make fd non-blocking and close-on-exec; 0 or -errno. */
int sock_set_nonblock(int fd);
/* Ask the kernel for RX timestamps on fd (SO_TIMESTAMPNS); 0 or -errno. */
int sock_enable_rx_timestamps(int fd);
/* SO_BINDTODEVICE to ifname ("" = no-op); 0 or -errno with a reason. */
int sock_bind_device(int fd, const char *ifname, char *err, size_t errlen);
/* One datagram via recvmsg; *rx_mono_ns is the kernel RX timestamp on the
 * monotonic clock (or the time of reading when the kernel gave none).
 * Returns the length, or -errno (-EAGAIN when nothing is queued). */
ssize_t sock_recv_timestamped(int fd, void *buf, size_t len,
			      struct sockaddr_storage *from, socklen_t *fromlen,
			      int64_t *rx_mono_ns);
/* Queue ICMP errors about fd's datagrams in its error queue (IP_RECVERR,
 * IPV6_RECVERR for family); 0 or -errno. */
int sock_enable_recverr(int fd, int family);
struct sock_extended_err;
/* One message from fd's error queue: the datagram of ours it is about into
 * buf, where that datagram went into to (NULL: not wanted), the kernel's
 * extended error into *ee and who reported it into offender (NULL: not
 * wanted; family AF_UNSPEC when none).  Returns the length, -ENOMSG when
 * the message carried no extended error, or -errno (-EAGAIN when the
 * queue is empty). */
ssize_t sock_recv_error(int fd, void *buf, size_t len,
			struct sockaddr_storage *to,
			struct sock_extended_err *ee,
			struct sockaddr_storage *offender);
/* Parse a numeric IPv4/IPv6 address, optionally "[v6]:port" or "v4:port";
 * port 0 in the text keeps default_port.  0 or -EINVAL. */
int sock_parse_addr(const char *text, uint16_t default_port,
		    struct sockaddr_storage *out, socklen_t *outlen);
/* "192.0.2.1" / "2001:db8::1" (no port) into buf. */
void sock_addr_to_text(const struct sockaddr *sa, char *buf, size_t len);
/* The port of an IPv4/IPv6 address, host order; 0 for another family. */
uint16_t sock_port(const struct sockaddr_storage *sa);
/* Same address (and port when with_port) in both. */
int sock_addr_equal(const struct sockaddr *a, const struct sockaddr *b,
		    int with_port);

#endif
