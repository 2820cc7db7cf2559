/* SPDX-License-Identifier: MIT */
/*
 * loadgen: offer a bufferbane-server more authenticated echoes than it can
 * take and count what comes back, so its capacity is measured, not derived
 * from CPU time.  N sockets on 127.0.0.(base+i), each its own client (own
 * client_id, knock, cookie with --rev 2), echo requests sealed before the
 * run (a fresh even nonce each, in order, so the server's replay window
 * accepts every one) and sent open-loop at --offer per second with
 * sendmmsg; replies drained with recvmmsg and counted by header (type
 * ECHO_REPLY, our client_id); every 64th is authenticated in full.
 * With --pid, the server's CPU time over the measured window (after a
 * warm-up) gives echoes per server CPU-second.  Loopback only.
 *
 * Built by the Makefile's tests/bench pattern rule: make build/bench/loadgen
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "tests/lib/bbforge.h"

#define MAXSOCK 16
#define BATCH	64
#define REQLEN	(WIRE_MIN_PACKET + 16 + BBF_COOKIE_LEN) /* 72 bytes */

struct gen {
	int fd;
	struct bbf_client c;
	uint8_t *reqs; /* npre sealed requests of REQLEN bytes */
	size_t npre, next;
};

static int64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void die(const char *what, int err)
{
	fprintf(stderr, "loadgen: %s: %s\n", what,
		strerror(err < 0 ? -err : err));
	exit(2);
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "server", 1, 0, 's' },    { "key", 1, 0, 'k' },
		{ "rev", 1, 0, 'r' },	    { "sockets", 1, 0, 'n' },
		{ "seconds", 1, 0, 'S' },   { "offer", 1, 0, 'o' },
		{ "pid", 1, 0, 'p' },	    { "base", 1, 0, 'b' },
		{ "warmup-ms", 1, 0, 'w' }, { 0, 0, 0, 0 },
	};
	const char *server = NULL, *keyfile = NULL, *base = "127.0.0.100";
	int rev = 2, nsock = 4, secs = 3, pid = 0, warm_ms = 500;
	double offer = 400000;
	int ch;
	while ((ch = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (ch) {
		case 's':
			server = optarg;
			break;
		case 'k':
			keyfile = optarg;
			break;
		case 'r':
			rev = atoi(optarg);
			break;
		case 'n':
			nsock = atoi(optarg);
			break;
		case 'S':
			secs = atoi(optarg);
			break;
		case 'o':
			offer = atof(optarg);
			break;
		case 'p':
			pid = atoi(optarg);
			break;
		case 'b':
			base = optarg;
			break;
		case 'w':
			warm_ms = atoi(optarg);
			break;
		default:
			fprintf(stderr,
				"usage: loadgen --server 127.0.0.1:PORT --key "
				"FILE [--rev 1|2] [--sockets N] [--seconds S] "
				"[--offer PER_S] [--pid SERVER_PID] [--base "
				"127.0.0.100] [--warmup-ms MS]\n");
			return 2;
		}
	}
	struct sockaddr_in srv;
	uint8_t key[WIRE_KEY_LEN];
	if (!server || !keyfile || nsock < 1 || nsock > MAXSOCK || secs < 1 ||
	    offer < 1)
		die("bad arguments (see --help)", EINVAL);
	if (bbf_init() < 0 || bbf_parse_addr(server, &srv) < 0)
		die("--server must be 127.x.y.z:PORT", EINVAL);
	int rc = bbf_load_key(keyfile, key);
	if (rc < 0)
		die(keyfile, rc);
	struct in_addr b0;
	if (inet_pton(AF_INET, base, &b0) != 1)
		die(base, EINVAL);

	static struct gen g[MAXSOCK];
	static uint8_t buf[65536], pt[65536];
	double total_s = secs + warm_ms / 1000.0;
	/* 25 % headroom: the first socket of a round is served most */
	size_t npre = (size_t)(offer * total_s * 1.25 / nsock) + BATCH;
	for (int i = 0; i < nsock; i++) {
		struct sockaddr_in me = { .sin_family = AF_INET };
		me.sin_addr.s_addr = htonl(ntohl(b0.s_addr) + (uint32_t)i);
		if ((ntohl(me.sin_addr.s_addr) >> 24) != 127)
			die("--base must be a loopback address", EINVAL);
		g[i].fd = bbf_udp_bind(&me);
		if (g[i].fd < 0)
			die("bind", g[i].fd);
		if (connect(g[i].fd, (struct sockaddr *)&srv, sizeof(srv)) < 0)
			die("connect", errno);
		bbf_client_init(&g[i].c, key, NULL);
		int ok = 0;
		for (int t = 0; t < 3 && !ok; t++) {
			int n = bbf_client_knock(&g[i].c, buf, sizeof(buf));
			if (send(g[i].fd, buf, (size_t)n, 0) < 0)
				die("send", errno);
			int64_t end = bbf_mono_ms() + 1000;
			while (!ok && bbf_mono_ms() < end) {
				int k = bbf_recv(g[i].fd, buf, sizeof(buf),
						 (int)(end - bbf_mono_ms()));
				size_t pl;
				uint8_t ty;
				if (k > 0 &&
				    bbf_open(key, buf, (size_t)k, pt, &pl,
					     &ty) == 0 &&
				    ty == WIRE_KNOCK_ACK) {
					bbf_take_ack(&g[i].c, pt, pl, rev,
						     NULL);
					ok = 1;
				}
			}
		}
		if (!ok)
			die("no KNOCK_ACK (key, server?)", ETIMEDOUT);
		g[i].reqs = malloc(npre * REQLEN);
		if (!g[i].reqs)
			die("malloc", ENOMEM);
		g[i].npre = npre;
		for (size_t k = 0; k < npre; k++) {
			uint8_t f[16];
			size_t fl = bbf_echo(f, (uint32_t)k, 0, k);
			/* without a cookie, pad to the same size */
			size_t pad = g[i].c.have_cookie ? 0 : BBF_COOKIE_LEN;
			int n = bbf_client_seal(&g[i].c, WIRE_ECHO_REQUEST, f,
						fl, pad, g[i].reqs + k * REQLEN,
						REQLEN);
			if (n != REQLEN)
				die("seal", n < 0 ? n : EPROTO);
		}
	}

	struct mmsghdr mm[BATCH];
	struct iovec iov[BATCH];
	static uint8_t rbuf[BATCH][256];
	uint64_t sent = 0, got = 0, got0 = 0, got_win = 0, checked = 0, bad = 0;
	int64_t t0 = mono_ns(), twarm = t0 + (int64_t)warm_ms * 1000000;
	int64_t tend = twarm + (int64_t)secs * 1000000000LL;
	int64_t cpu0 = -1, cpu1 = -1, tw0 = 0, tw1 = 0;
	int exhausted = 0;
	for (int64_t now = t0; now < tend + 200000000LL; now = mono_ns()) {
		if (cpu0 < 0 && now >= twarm) {
			cpu0 = pid > 0 ? bbf_proc_cpu_ns(pid) : 0;
			tw0 = now;
			got0 = got;
		}
		if (cpu1 < 0 && now >= tend) {
			cpu1 = pid > 0 ? bbf_proc_cpu_ns(pid) : 0;
			tw1 = now;
			got_win = got - got0;
		}
		/* send what is due, one batch per socket per round */
		uint64_t due =
			now < tend
				? (uint64_t)((double)(now - t0) * offer / 1e9)
				: sent;
		for (int i = 0; i < nsock && sent < due; i++) {
			struct gen *x = &g[i];
			int bn = 0;
			while (bn < BATCH && x->next < x->npre &&
			       sent + (uint64_t)bn < due) {
				iov[bn].iov_base = x->reqs + x->next * REQLEN;
				iov[bn].iov_len = REQLEN;
				memset(&mm[bn], 0, sizeof(mm[bn]));
				mm[bn].msg_hdr.msg_iov = &iov[bn];
				mm[bn].msg_hdr.msg_iovlen = 1;
				x->next++;
				bn++;
			}
			if (x->next >= x->npre && now < tend - 50000000LL)
				exhausted = 1; /* the pool ran dry early */
			if (bn == 0)
				continue;
			int s = sendmmsg(x->fd, mm, (unsigned)bn, MSG_DONTWAIT);
			if (s > 0)
				sent += (uint64_t)s;
			if (s < bn) /* the socket refused: skip those */
				sent += (uint64_t)(bn - (s > 0 ? s : 0));
		}
		/* drain replies */
		for (int i = 0; i < nsock; i++) {
			for (;;) {
				for (int k = 0; k < BATCH; k++) {
					iov[k].iov_base = rbuf[k];
					iov[k].iov_len = sizeof(rbuf[k]);
					memset(&mm[k], 0, sizeof(mm[k]));
					mm[k].msg_hdr.msg_iov = &iov[k];
					mm[k].msg_hdr.msg_iovlen = 1;
				}
				int r = recvmmsg(g[i].fd, mm, BATCH,
						 MSG_DONTWAIT, NULL);
				if (r <= 0)
					break;
				for (int k = 0; k < r; k++) {
					const uint8_t *p = rbuf[k];
					size_t n = mm[k].msg_len;
					if (n < WIRE_MIN_PACKET ||
					    p[5] != WIRE_ECHO_REPLY ||
					    memcmp(p + 8, g[i].c.cid, 8) != 0)
						continue;
					got++;
					if ((got & 63) == 0) {
						size_t pl;
						uint8_t ty;
						checked++;
						if (bbf_open(key, p, n, pt, &pl,
							     &ty) < 0)
							bad++;
					}
				}
				if (r < BATCH)
					break;
			}
		}
	}
	double win = (double)(tw1 - tw0) / 1e9;
	double cpu = pid > 0 ? (double)(cpu1 - cpu0) / 1e9 : 0;
	printf("loadgen sockets=%d offered_per_s=%.0f sent=%llu replies=%llu "
	       "window_s=%.2f delivered_per_s=%.0f server_cpu_s=%.3f "
	       "per_cpu_s=%.0f verified=%llu bad=%llu exhausted=%d\n",
	       nsock, offer, (unsigned long long)sent, (unsigned long long)got,
	       win, (double)got_win / win, cpu,
	       cpu > 0 ? (double)got_win / cpu : 0.0,
	       (unsigned long long)checked, (unsigned long long)bad, exhausted);
	return bad ? 1 : 0;
}
