/* SPDX-License-Identifier: MIT */
/*
 * Worker thread (see worker.h).  Read path: the socket is level-triggered
 * readable -> recvmmsg up to BATCH datagrams (MSG_DONTWAIT) -> each goes to
 * serve_input with its SCM_TIMESTAMPNS wall-clock time -> replies collect
 * in the send queue -> one sendmmsg.  A read burst is capped at a few
 * batches per wake-up so timers (download pacing) keep their pace under
 * load.  When the socket buffer is full (EAGAIN) the unsent datagrams
 * stay queued and a write watcher sends them when the socket drains; the
 * download pump waits for that instead of sealing chunks that cannot
 * leave.  Reply timestamps (server_tx_ns) are taken when a reply is sealed,
 * at most one batch before it leaves; with a single datagram queued (an
 * idle server) that is microseconds.
 */
#include "server/worker.h"

#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <ev.h>

#include "core/base/clock.h"
#include "core/base/sock.h"
#include "server/srvlog.h"

#define BATCH	       32
#define RX_BUF	       65536
#define READS_PER_WAKE 8
#define SNDBUF	       (4 << 20)
#define RCVBUF	       (4 << 20)

struct txq {
	struct mmsghdr msg[BATCH];
	struct iovec iov[BATCH];
	struct sockaddr_storage to[BATCH];
	uint8_t *buf; /* BATCH * bufcap */
	size_t bufcap, n, bytes;
	size_t head; /* entries before head have left */
};

struct worker {
	int fd;
	unsigned index;
	struct serve *serve;
	struct ev_loop *loop;
	ev_io rx, wr; /* wr: active while the socket refuses (EAGAIN) */
	ev_timer pump, tick;
	ev_async stop, rekey;
	pthread_t thread;
	int started;
	struct txq tx;
	struct serve_out out;
	/* receive batch */
	struct mmsghdr rmsg[BATCH];
	struct iovec riov[BATCH];
	struct sockaddr_storage rfrom[BATCH];
	union {
		char buf[CMSG_SPACE(sizeof(struct timespec)) * 2];
		struct cmsghdr align;
	} rctl[BATCH];
	uint8_t *rbuf; /* BATCH * RX_BUF */
};

/* ---- send queue --------------------------------------------------------- */

/* Move the unsent entries [head, n) to the front of the queue. */
static void tx_compact(struct txq *q)
{
	if (!q->head)
		return;
	size_t left = q->n - q->head;
	for (size_t i = 0; i < left; i++) {
		size_t from = q->head + i;
		memmove(q->buf + i * q->bufcap, q->buf + from * q->bufcap,
			q->iov[from].iov_len);
		q->to[i] = q->to[from];
		q->iov[i].iov_base = q->buf + i * q->bufcap;
		q->iov[i].iov_len = q->iov[from].iov_len;
		q->msg[i] = q->msg[from];
		q->msg[i].msg_hdr.msg_name = &q->to[i];
		q->msg[i].msg_hdr.msg_iov = &q->iov[i];
	}
	q->head = 0;
	q->n = left;
}

static void on_writable(struct ev_loop *loop, ev_io *io, int revents);

/* Send what is queued.  A full socket buffer (EAGAIN) keeps the rest
 * queued, in order, for the next writable event: nothing sealed is thrown
 * away, so a download's chunk_seq never skips a chunk it claims to have
 * sent.  Any other error (an unreachable peer) skips that datagram and
 * counts it as not sent.  Returns 1 when the queue is empty. */
static int tx_flush(struct worker *w)
{
	struct txq *q = &w->tx;
	while (q->head < q->n) {
		int k = sendmmsg(w->fd, q->msg + q->head,
				 (unsigned)(q->n - q->head), 0);
		if (k < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK ||
			    errno == ENOBUFS) {
				if (!ev_is_active(&w->wr))
					ev_io_start(w->loop, &w->wr);
				return 0;
			}
			serve_tx_failed(
				w->serve, 1,
				q->msg[q->head].msg_hdr.msg_iov->iov_len);
			q->head++;
			continue;
		}
		q->head += (size_t)k;
	}
	q->n = q->head = 0;
	if (ev_is_active(&w->wr))
		ev_io_stop(w->loop, &w->wr);
	return 1;
}

/* A slot for the next datagram; NULL when the socket is full and the queue
 * too (the caller drops that reply: not sealed, not counted). */
static uint8_t *tx_slot(void *ctx, size_t *cap)
{
	struct worker *w = ctx;
	if (w->tx.n == BATCH && !tx_flush(w))
		tx_compact(&w->tx);
	if (w->tx.n == BATCH)
		return NULL;
	*cap = w->tx.bufcap;
	return w->tx.buf + w->tx.n * w->tx.bufcap;
}

static void tx_commit(void *ctx, size_t len, const struct sockaddr *to,
		      socklen_t tolen)
{
	struct worker *w = ctx;
	struct txq *q = &w->tx;
	size_t i = q->n;
	if (tolen > sizeof(q->to[i]))
		tolen = sizeof(q->to[i]);
	memcpy(&q->to[i], to, tolen);
	q->iov[i].iov_base = q->buf + i * q->bufcap;
	q->iov[i].iov_len = len;
	memset(&q->msg[i], 0, sizeof(q->msg[i]));
	q->msg[i].msg_hdr.msg_name = &q->to[i];
	q->msg[i].msg_hdr.msg_namelen = tolen;
	q->msg[i].msg_hdr.msg_iov = &q->iov[i];
	q->msg[i].msg_hdr.msg_iovlen = 1;
	q->n++;
	q->bytes += len;
}

/* ---- loop callbacks ----------------------------------------------------- */

static void schedule_pump(struct worker *w, int64_t next_ns, int64_t now_ns)
{
	ev_timer_stop(w->loop, &w->pump);
	if (next_ns == INT64_MAX)
		return;
	double delay = next_ns > now_ns ? (double)(next_ns - now_ns) / 1e9 : 0;
	ev_timer_set(&w->pump, delay, 0.);
	ev_timer_start(w->loop, &w->pump);
}

/* Pump the download streams, unless the socket is full: then the
 * writable event pumps once the queue has drained. */
static void run_pump(struct worker *w)
{
	int64_t now = clock_mono_ns();
	if (!tx_flush(w)) {
		ev_timer_stop(w->loop, &w->pump);
		return;
	}
	int64_t next = serve_pump(w->serve, now, &w->out);
	tx_flush(w);
	schedule_pump(w, next, now);
}

static void on_writable(struct ev_loop *loop, ev_io *io, int revents)
{
	struct worker *w = io->data;
	if (tx_flush(w))
		run_pump(w);
}

static int64_t rx_time(struct msghdr *mh)
{
	for (struct cmsghdr *c = CMSG_FIRSTHDR(mh); c; c = CMSG_NXTHDR(mh, c))
		if (c->cmsg_level == SOL_SOCKET &&
		    c->cmsg_type == SCM_TIMESTAMPNS) {
			struct timespec t;
			memcpy(&t, CMSG_DATA(c), sizeof(t));
			return (int64_t)t.tv_sec * BB_NS_PER_S + t.tv_nsec;
		}
	return clock_real_ns();
}

static void on_readable(struct ev_loop *loop, ev_io *io, int revents)
{
	struct worker *w = io->data;
	for (int round = 0; round < READS_PER_WAKE; round++) {
		for (int i = 0; i < BATCH; i++) {
			struct msghdr *mh = &w->rmsg[i].msg_hdr;
			w->riov[i].iov_base = w->rbuf + (size_t)i * RX_BUF;
			w->riov[i].iov_len = RX_BUF;
			mh->msg_name = &w->rfrom[i];
			mh->msg_namelen = sizeof(w->rfrom[i]);
			mh->msg_iov = &w->riov[i];
			mh->msg_iovlen = 1;
			mh->msg_control = w->rctl[i].buf;
			mh->msg_controllen = sizeof(w->rctl[i].buf);
			mh->msg_flags = 0;
		}
		int n = recvmmsg(w->fd, w->rmsg, BATCH, MSG_DONTWAIT, NULL);
		if (n <= 0)
			break;
		int64_t now = clock_mono_ns();
		for (int i = 0; i < n; i++) {
			struct msghdr *mh = &w->rmsg[i].msg_hdr;
			if (mh->msg_flags & MSG_TRUNC)
				continue; /* larger than any valid packet */
			serve_input(w->serve, w->riov[i].iov_base,
				    w->rmsg[i].msg_len,
				    (struct sockaddr *)&w->rfrom[i],
				    mh->msg_namelen, rx_time(mh), now, &w->out);
		}
		tx_flush(w);
		if (n < BATCH)
			break;
	}
	run_pump(w);
}

static void on_pump(struct ev_loop *loop, ev_timer *t, int revents)
{
	run_pump(t->data);
}

static void on_tick(struct ev_loop *loop, ev_timer *t, int revents)
{
	struct worker *w = t->data;
	serve_tick(w->serve, clock_mono_ns());
}

static void on_stop(struct ev_loop *loop, ev_async *a, int revents)
{
	ev_break(loop, EVBREAK_ALL);
}

static void on_rekey(struct ev_loop *loop, ev_async *a, int revents)
{
	struct worker *w = a->data;
	serve_apply_keys(w->serve);
}

void worker_post_keys(struct worker *w, struct keyring *k)
{
	serve_post_keys(w->serve, k);
	if (w->started)
		ev_async_send(w->loop, &w->rekey);
	else
		serve_apply_keys(w->serve);
}

/* ---- lifecycle ---------------------------------------------------------- */

static int open_socket(const struct sockaddr *addr, socklen_t addrlen,
		       char *err, size_t errlen)
{
	int one = 1, zero = 0, fd = socket(addr->sa_family, SOCK_DGRAM, 0);
	int sz;
	char a[64];
	sock_addr_to_text(addr, a, sizeof(a));
	if (fd < 0) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return -1;
	}
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) < 0 ||
	    (addr->sa_family == AF_INET6 &&
	     setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero)) <
		     0) ||
	    sock_set_nonblock(fd) < 0 || sock_enable_rx_timestamps(fd) < 0) {
		snprintf(err, errlen, "socket options: %s", strerror(errno));
		goto fail;
	}
	sz = SNDBUF;
	setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
	sz = RCVBUF;
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	if (bind(fd, addr, addrlen) < 0) {
		snprintf(err, errlen, "cannot bind %s port %u: %s", a,
			 ntohs(addr->sa_family == AF_INET6
				       ? ((const struct sockaddr_in6
						   *)(const void *)addr)
						 ->sin6_port
				       : ((const struct sockaddr_in
						   *)(const void *)addr)
						 ->sin_port),
			 strerror(errno));
		goto fail;
	}
	return fd;
fail:
	close(fd);
	return -1;
}

struct worker *worker_new(const struct srvconf *c, unsigned index,
			  unsigned nworkers, size_t max_sessions,
			  const struct serve_shared *sh,
			  const struct sockaddr *addr, socklen_t addrlen,
			  char *err, size_t errlen)
{
	struct worker *w = calloc(1, sizeof(*w));
	if (!w) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	w->index = index;
	w->fd = open_socket(addr, addrlen, err, errlen);
	if (w->fd < 0) {
		free(w);
		return NULL;
	}
	w->tx.bufcap =
		(size_t)c->chunk_size > 2048 ? (size_t)c->chunk_size : 2048;
	w->tx.buf = malloc(BATCH * w->tx.bufcap);
	w->rbuf = malloc((size_t)BATCH * RX_BUF);
	w->serve = serve_new(c, index, nworkers, max_sessions, sh);
	w->loop = ev_loop_new(EVFLAG_AUTO | EVFLAG_NOSIGMASK);
	if (!w->tx.buf || !w->rbuf || !w->serve || !w->loop) {
		snprintf(err, errlen, "worker %u: out of memory", index);
		worker_free(w);
		return NULL;
	}
	w->out.slot = tx_slot;
	w->out.commit = tx_commit;
	w->out.ctx = w;
	ev_io_init(&w->rx, on_readable, w->fd, EV_READ);
	w->rx.data = w;
	ev_io_init(&w->wr, on_writable, w->fd, EV_WRITE);
	w->wr.data = w;
	ev_timer_init(&w->pump, on_pump, 0., 0.);
	w->pump.data = w;
	ev_timer_init(&w->tick, on_tick, 1., 1.);
	w->tick.data = w;
	ev_async_init(&w->stop, on_stop);
	ev_async_init(&w->rekey, on_rekey);
	w->rekey.data = w;
	ev_io_start(w->loop, &w->rx);
	ev_timer_start(w->loop, &w->tick);
	ev_async_start(w->loop, &w->stop);
	ev_async_start(w->loop, &w->rekey);
	return w;
}

void worker_local_addr(const struct worker *w, struct sockaddr_storage *out,
		       socklen_t *outlen)
{
	*outlen = sizeof(*out);
	if (getsockname(w->fd, (struct sockaddr *)out, outlen) < 0)
		memset(out, 0, sizeof(*out));
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	ev_run(w->loop, 0);
	tx_flush(w);
	return NULL;
}

int worker_start(struct worker *w)
{
	/* signals belong to the main thread */
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	int rc = pthread_create(&w->thread, NULL, worker_main, w);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc)
		return -rc;
	w->started = 1;
	return 0;
}

void worker_stop(struct worker *w)
{
	if (!w || !w->started)
		return;
	ev_async_send(w->loop, &w->stop);
	pthread_join(w->thread, NULL);
	w->started = 0;
}

void worker_free(struct worker *w)
{
	if (!w)
		return;
	if (w->loop)
		ev_loop_destroy(w->loop);
	serve_free(w->serve);
	if (w->fd >= 0)
		close(w->fd);
	free(w->tx.buf);
	free(w->rbuf);
	free(w);
}

void worker_stats(const struct worker *w, struct serve_stats *out)
{
	serve_stats(w->serve, out);
}
