/* SPDX-License-Identifier: MIT */
/*
 * One packet-processing thread: its own UDP socket bound with SO_REUSEPORT
 * (so N workers share the port and the kernel spreads clients by 4-tuple),
 * its own libev loop, its own protocol engine (serve.h).  Datagrams are read
 * with recvmmsg together with their kernel RX timestamps and replies leave
 * in sendmmsg batches flushed after every read batch and every pump.  The
 * only things touched from other threads are the stop and reload
 * notifications (ev_async), the keys posted for a reload (behind a mutex
 * in serve) and the counters (atomics inside serve).
 */
#ifndef BB_WORKER_H
#define BB_WORKER_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "server/serve.h"
#include "server/srvconf.h"

struct worker;

/* Create worker `index` of `nworkers` and bind its socket to `addr` (with
 * SO_REUSEPORT); NULL with a reason in err.  After the first worker bound
 * port 0, pass the address it got (worker_local_addr) to the others.
 * sh: what all workers share (knock cache, limiter, send cap). */
struct worker *worker_new(const struct srvconf *c, unsigned index,
			  unsigned nworkers, size_t max_sessions,
			  const struct serve_shared *sh,
			  const struct sockaddr *addr, socklen_t addrlen,
			  char *err, size_t errlen);
/* The socket's bound address (port filled in). */
void worker_local_addr(const struct worker *w, struct sockaddr_storage *out,
		       socklen_t *outlen);
/* Start its thread; 0 or -errno. */
int worker_start(struct worker *w);
/* Ask the thread to stop and join it (no-op if not started). */
void worker_stop(struct worker *w);
/* Close and free (after worker_stop). */
void worker_free(struct worker *w);
/* Rule 14: hand new keys to the worker (ownership passes; any thread); it
 * takes them at once in its own thread, closing revoked sessions. */
void worker_post_keys(struct worker *w, struct keyring *k);
/* The engine's counters (any thread). */
void worker_stats(const struct worker *w, struct serve_stats *out);

#endif
