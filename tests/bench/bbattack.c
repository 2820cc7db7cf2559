/* SPDX-License-Identifier: MIT */
/*
 * bbattack: the attacks of issue 11 against a real bufferbane-server on
 * loopback, one subcommand each; it prints figures (key=value) and the
 * tests/integration/attack_*.sh scripts judge them.  Forged sources go out
 * through an IP_HDRINCL raw socket (root); victims are ordinary UDP sockets
 * on other 127.0.0.x addresses that only count what arrives.  --rev 2 (the
 * default) reads the cookie from KNOCK_ACK and puts it in every later
 * request (PROTOCOL.md rule 8); a revision-1 server reads that cookie as
 * padding, so rev 2 also works against it.  Loopback only.
 *
 *   reflect     forged KNOCK + request(s) of one type from a victim
 *   capture     a legitimate KNOCK + DOWNLOAD_REQUEST, saved for replay
 *   replay      saved datagrams re-sent from a forged victim source
 *   knocks      fresh authentic knocks (random ids) from many forged sources
 *   flood       forged garbage claiming given sources, sendmmsg, N threads
 *   echo-client a client that knocks once and echoes at a fixed interval
 *               (--cid: its client id, else a random one; last_reply_ms:
 *               send time of the last request answered, from the start)
 *   replay2     a captured packet replayed into a second session of its id
 *   oversize    an authentic 65 507-byte KNOCK; optional CPU cost figures
 *
 * Built by the Makefile's tests/bench pattern rule: make build/bench/bbattack
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "tests/lib/bbforge.h"

#define MAXPKT 65536

static struct {
	uint8_t key[WIRE_KEY_LEN];
	struct sockaddr_in srv;
	int rev;
	const char *victim, *local, *type, *cookie, *in, *out, *src, *cid_hex;
	int listen_ms, count, rate, seconds, threads, interval_ms, cpu_pid;
	uint32_t bytes;
} opt = { .rev = 2,
	  .listen_ms = 1000,
	  .count = 3,
	  .rate = 1000,
	  .seconds = 5,
	  .threads = 4,
	  .interval_ms = 20,
	  .bytes = 2000000,
	  .cookie = "none" };

static uint8_t pkt[MAXPKT], pt[MAXPKT];

static void die(const char *what, int err)
{
	fprintf(stderr, "bbattack: %s: %s\n", what,
		strerror(err < 0 ? -err : err));
	exit(2);
}

static void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}

static int must_bind(const char *ip_port)
{
	struct sockaddr_in sa;
	if (bbf_parse_addr(ip_port, &sa) < 0)
		die(ip_port, EINVAL);
	int fd = bbf_udp_bind(&sa);
	if (fd < 0)
		die(ip_port, fd);
	return fd;
}

/* A legitimate socket on ip (any port). */
static int bind_ip(const char *ip)
{
	char a[80];
	snprintf(a, sizeof(a), "%s:0", ip);
	return must_bind(a);
}

static void to_srv(int fd, const uint8_t *b, size_t n)
{
	if (sendto(fd, b, n, 0, (struct sockaddr *)&opt.srv, sizeof(opt.srv)) <
	    0)
		die("sendto", errno);
}

/* Wait for an authentic datagram of `type` for c; its plaintext length in
 * pt, or -1 after ms. */
static int wait_type(int fd, struct bbf_client *c, uint8_t type, int ms)
{
	int64_t end = bbf_mono_ms() + ms;
	for (;;) {
		int left = (int)(end - bbf_mono_ms());
		if (left <= 0)
			return -1;
		int n = bbf_recv(fd, pkt, sizeof(pkt), left);
		if (n < 0)
			return -1;
		size_t pl;
		uint8_t t;
		if (bbf_open(c->key, pkt, (size_t)n, pt, &pl, &t) == 0 &&
		    t == type &&
		    memcmp(pkt + 8, c->cid, WIRE_CLIENT_ID_LEN) == 0)
			return (int)pl;
	}
}

/* Knock from fd until KNOCK_ACK (3 tries); 0 or -1. */
static int knock(int fd, struct bbf_client *c)
{
	for (int i = 0; i < 3; i++) {
		int n = bbf_client_knock(c, pkt, sizeof(pkt));
		to_srv(fd, pkt, (size_t)n);
		int pl = wait_type(fd, c, WIRE_KNOCK_ACK, 1000);
		if (pl >= 0) {
			bbf_take_ack(c, pt, (size_t)pl, opt.rev, NULL);
			return 0;
		}
	}
	return -1;
}

static int seal(struct bbf_client *c, uint8_t type, const uint8_t *f,
		size_t flen)
{
	int n = bbf_client_seal(c, type, f, flen, 0, pkt, sizeof(pkt));
	if (n < 0)
		die("seal", n);
	return n;
}

static int seal_data(struct bbf_client *c, uint32_t test_id, uint32_t seq,
		     size_t data_len)
{
	uint8_t f[8 + 1200];
	size_t n = bbf_tp_end(f, test_id, seq); /* same layout: two u32 */
	memset(f + n, 0xa5, data_len);
	return seal(c, WIRE_THROUGHPUT_DATA, f, n + data_len);
}

/* ---- reflect ------------------------------------------------------------ */

static int cmd_reflect(void)
{
	struct sockaddr_in vic;
	if (!opt.victim || !opt.type || bbf_parse_addr(opt.victim, &vic) < 0)
		die("reflect needs --victim IP:PORT --type T", EINVAL);
	int vfd = must_bind(opt.victim);
	int raw = bbf_raw_socket();
	if (raw < 0)
		die("raw socket (root needed)", raw);
	struct bbf_client c;
	bbf_client_init(&c, opt.key, NULL);
	uint64_t sent = 0, got = 0, pk = 0;
	int n = bbf_client_knock(&c, pkt, sizeof(pkt));
	if (bbf_raw_send(raw, &vic, &opt.srv, pkt, (size_t)n) < 0)
		die("raw send", errno);
	sent += (uint64_t)n;
	bbf_count(vfd, 100, &got, &pk);
	/* The attacker never sees the ACK: it guesses a cookie or sends
	 * none. */
	if (strcmp(opt.cookie, "guess") == 0) {
		randombytes_buf(c.cookie, sizeof(c.cookie));
		c.have_cookie = 1;
	}
	uint8_t f[32];
	for (int i = 0; i < opt.count; i++) {
		const char *t = opt.type;
		uint32_t id = (uint32_t)i + 1;
		if (strcmp(t, "download") == 0) {
			n = seal(&c, WIRE_DOWNLOAD_REQUEST, f,
				 bbf_download(f, id, 100000000, 0));
		} else if (strncmp(t, "bloat", 5) == 0) {
			n = seal(&c, WIRE_BUFFERBLOAT_START, f,
				 bbf_bloat_start(f, id, (uint8_t)atoi(t + 5)));
		} else if (strcmp(t, "echo") == 0) {
			n = seal(&c, WIRE_ECHO_REQUEST, f,
				 bbf_echo(f, id, 0, id));
		} else if (strcmp(t, "throughput") == 0) {
			n = seal(&c, WIRE_THROUGHPUT_START, f,
				 bbf_tp_start(f, id, 10000000, 2000));
			if (bbf_raw_send(raw, &vic, &opt.srv, pkt, (size_t)n) <
			    0)
				die("raw send", errno);
			sent += (uint64_t)n;
			for (uint32_t s = 0; s < 5; s++) {
				n = seal_data(&c, id, s, 200);
				bbf_raw_send(raw, &vic, &opt.srv, pkt,
					     (size_t)n);
				sent += (uint64_t)n;
			}
			n = seal(&c, WIRE_THROUGHPUT_END, f,
				 bbf_tp_end(f, id, 1000));
		} else {
			die(t, EINVAL);
		}
		if (bbf_raw_send(raw, &vic, &opt.srv, pkt, (size_t)n) < 0)
			die("raw send", errno);
		sent += (uint64_t)n;
		bbf_count(vfd, 100, &got, &pk);
	}
	bbf_count(vfd, opt.listen_ms, &got, &pk);
	printf("reflect type=%s cookie=%s sent=%llu delivered=%llu "
	       "packets=%llu\n",
	       opt.type, opt.cookie, (unsigned long long)sent,
	       (unsigned long long)got, (unsigned long long)pk);
	return 0;
}

/* ---- capture / replay --------------------------------------------------- */

static void save(FILE *f, const uint8_t *b, int n)
{
	uint8_t l[2] = { (uint8_t)(n >> 8), (uint8_t)n };
	if (fwrite(l, 1, 2, f) != 2 || fwrite(b, 1, (size_t)n, f) != (size_t)n)
		die("write", errno);
}

static int cmd_capture(void)
{
	if (!opt.local || !opt.out)
		die("capture needs --local IP --out FILE", EINVAL);
	FILE *f = fopen(opt.out, "wb");
	if (!f)
		die(opt.out, errno);
	int fd = bind_ip(opt.local);
	struct bbf_client c;
	bbf_client_init(&c, opt.key, NULL);
	int n = bbf_client_knock(&c, pkt, sizeof(pkt));
	save(f, pkt, n);
	to_srv(fd, pkt, (size_t)n);
	int pl = wait_type(fd, &c, WIRE_KNOCK_ACK, 2000);
	if (pl < 0) {
		printf("capture ack=0 received=0\n");
		return 1;
	}
	bbf_take_ack(&c, pt, (size_t)pl, opt.rev, NULL);
	uint8_t fl[16];
	n = seal(&c, WIRE_DOWNLOAD_REQUEST, fl,
		 bbf_download(fl, 7, opt.bytes, 0));
	save(f, pkt, n);
	fclose(f);
	to_srv(fd, pkt, (size_t)n);
	uint64_t got = 0, pk = 0;
	int64_t end = bbf_mono_ms() + 3000;
	while (bbf_mono_ms() < end) {
		int k = bbf_recv(fd, pkt, sizeof(pkt), 300);
		if (k < 0)
			break;
		got += (uint64_t)k;
		pk++;
		if (pkt[5] == WIRE_DOWNLOAD_END)
			break;
	}
	printf("capture ack=1 received=%llu packets=%llu\n",
	       (unsigned long long)got, (unsigned long long)pk);
	return got > 0 ? 0 : 1;
}

static int cmd_replay(void)
{
	struct sockaddr_in vic;
	if (!opt.in || !opt.victim || bbf_parse_addr(opt.victim, &vic) < 0)
		die("replay needs --in FILE --victim IP:PORT", EINVAL);
	FILE *f = fopen(opt.in, "rb");
	if (!f)
		die(opt.in, errno);
	int vfd = must_bind(opt.victim);
	int raw = bbf_raw_socket();
	if (raw < 0)
		die("raw socket (root needed)", raw);
	uint64_t sent = 0, got = 0, pk = 0;
	uint8_t l[2];
	while (fread(l, 1, 2, f) == 2) {
		size_t n = (size_t)l[0] << 8 | l[1];
		if (fread(pkt, 1, n, f) != n)
			die("short capture file", EINVAL);
		if (bbf_raw_send(raw, &vic, &opt.srv, pkt, n) < 0)
			die("raw send", errno);
		sent += n;
		bbf_count(vfd, 100, &got, &pk);
	}
	fclose(f);
	bbf_count(vfd, opt.listen_ms, &got, &pk);
	printf("replay sent=%llu delivered=%llu packets=%llu\n",
	       (unsigned long long)sent, (unsigned long long)got,
	       (unsigned long long)pk);
	return 0;
}

/* ---- knocks ------------------------------------------------------------- */

/* Forged source number i: 127.1.x.y (never .0/.255), port 40000. */
static void forged_src(struct sockaddr_in *sa, unsigned i)
{
	memset(sa, 0, sizeof(*sa));
	sa->sin_family = AF_INET;
	sa->sin_port = htons(40000);
	unsigned x = (i / 254) % 250, y = i % 254 + 1;
	sa->sin_addr.s_addr = htonl(0x7f010000U | x << 8 | y);
}

static int cmd_knocks(void)
{
	int raw = bbf_raw_socket();
	if (raw < 0)
		die("raw socket (root needed)", raw);
	int64_t t0 = bbf_mono_ms();
	for (int i = 0; i < opt.count; i++) {
		struct bbf_client c;
		struct sockaddr_in src;
		bbf_client_init(&c, opt.key, NULL);
		forged_src(&src, (unsigned)i);
		int n = bbf_client_knock(&c, pkt, sizeof(pkt));
		if (bbf_raw_send(raw, &src, &opt.srv, pkt, (size_t)n) < 0)
			die("raw send", errno);
		/* pace: i packets by i / rate seconds */
		int64_t due = t0 + (int64_t)i * 1000 / opt.rate;
		int64_t now = bbf_mono_ms();
		if (due > now)
			sleep_ms((int)(due - now));
	}
	printf("knocks sent=%d ms=%lld\n", opt.count,
	       (long long)(bbf_mono_ms() - t0));
	return 0;
}

/* ---- flood -------------------------------------------------------------- */

#define FLOOD_BATCH 64
#define FLOOD_POOL  256

struct flood_src {
	struct sockaddr_in sa;
};

static struct flood_src fsrc[16];
static int nfsrc;
static uint8_t flood_cid[WIRE_CLIENT_ID_LEN];
static int have_flood_cid;

struct flood_thr {
	pthread_t t;
	int idx;
	uint64_t sent;
};

static void *flood_run(void *arg)
{
	struct flood_thr *th = arg;
	int raw = bbf_raw_socket();
	if (raw < 0)
		die("raw socket (root needed)", raw);
	/* A pool of datagrams: half random garbage, half a valid header
	 * (ECHO_REQUEST, the client's id when known) with a random body
	 * that reaches the AEAD and fails it. */
	static __thread uint8_t pool[FLOOD_POOL][28 + 200];
	static __thread size_t plen[FLOOD_POOL];
	for (int i = 0; i < FLOOD_POOL; i++) {
		uint8_t body[200];
		size_t n = 60 + (size_t)randombytes_uniform(140);
		randombytes_buf(body, n);
		int hdr = i & 1;
		if (hdr) {
			body[0] = 'B', body[1] = 'F', body[2] = 'B',
			body[3] = 'N';
			body[4] = WIRE_VERSION;
			body[5] = WIRE_ECHO_REQUEST;
			body[6] = (uint8_t)((n - 24) >> 8);
			body[7] = (uint8_t)(n - 24);
			if (have_flood_cid)
				memcpy(body + 8, flood_cid, 8);
		}
		int k = bbf_raw_build(&fsrc[i % nfsrc].sa, &opt.srv, body, n,
				      pool[i], sizeof(pool[i]));
		plen[i] = (size_t)k;
	}
	struct mmsghdr mm[FLOOD_BATCH];
	struct iovec iov[FLOOD_BATCH];
	double rate = (double)opt.rate / opt.threads;
	int64_t t0 = bbf_mono_ms(), end = t0 + (int64_t)opt.seconds * 1000;
	unsigned pi = (unsigned)th->idx * 17;
	while (bbf_mono_ms() < end) {
		uint64_t due = (uint64_t)((double)(bbf_mono_ms() - t0) * rate /
					  1000.0);
		if (th->sent >= due) {
			sleep_ms(1);
			continue;
		}
		int b = (int)(due - th->sent);
		if (b > FLOOD_BATCH)
			b = FLOOD_BATCH;
		uint64_t now = bbf_now_ns() & ~1ULL;
		for (int i = 0; i < b; i++) {
			unsigned k = pi++ % FLOOD_POOL;
			uint8_t *p = pool[k];
			if (k & 1) { /* fresh nonce_ts: passes the window */
				uint64_t nt = now + 2 * (uint64_t)i;
				for (int j = 0; j < 8; j++)
					p[28 + 16 + j] =
						(uint8_t)(nt >> (56 - 8 * j));
			}
			iov[i].iov_base = p;
			iov[i].iov_len = plen[k];
			memset(&mm[i], 0, sizeof(mm[i]));
			mm[i].msg_hdr.msg_iov = &iov[i];
			mm[i].msg_hdr.msg_iovlen = 1;
			mm[i].msg_hdr.msg_name = &opt.srv;
			mm[i].msg_hdr.msg_namelen = sizeof(opt.srv);
		}
		int s = sendmmsg(raw, mm, (unsigned)b, 0);
		if (s > 0)
			th->sent += (uint64_t)s;
		else
			sleep_ms(1);
	}
	close(raw);
	return NULL;
}

static int cmd_flood(void)
{
	if (!opt.src)
		die("flood needs --src IP:PORT[,IP:PORT...]", EINVAL);
	char *list = strdup(opt.src), *save_ptr = NULL;
	for (char *t = strtok_r(list, ",", &save_ptr); t && nfsrc < 16;
	     t = strtok_r(NULL, ",", &save_ptr))
		if (bbf_parse_addr(t, &fsrc[nfsrc++].sa) < 0)
			die(t, EINVAL);
	free(list);
	if (opt.cid_hex) {
		size_t bin = 0;
		if (sodium_hex2bin(flood_cid, sizeof(flood_cid), opt.cid_hex,
				   strlen(opt.cid_hex), NULL, &bin, NULL) < 0 ||
		    bin != sizeof(flood_cid))
			die("--cid wants 16 hex digits", EINVAL);
		have_flood_cid = 1;
	}
	struct flood_thr th[16];
	if (opt.threads < 1 || opt.threads > 16)
		die("--threads 1..16", EINVAL);
	int64_t t0 = bbf_mono_ms();
	for (int i = 0; i < opt.threads; i++) {
		th[i] = (struct flood_thr){ .idx = i };
		pthread_create(&th[i].t, NULL, flood_run, &th[i]);
	}
	uint64_t sent = 0;
	for (int i = 0; i < opt.threads; i++) {
		pthread_join(th[i].t, NULL);
		sent += th[i].sent;
	}
	double secs = (double)(bbf_mono_ms() - t0) / 1000.0;
	printf("flood sent=%llu secs=%.2f pps=%.0f\n", (unsigned long long)sent,
	       secs, (double)sent / secs);
	return 0;
}

/* ---- echo client -------------------------------------------------------- */

static int cmd_echo_client(void)
{
	if (!opt.local)
		die("echo-client needs --local IP", EINVAL);
	int fd = bind_ip(opt.local);
	struct bbf_client c;
	uint8_t cid[WIRE_CLIENT_ID_LEN];
	size_t bin = 0;
	if (opt.cid_hex &&
	    (sodium_hex2bin(cid, sizeof(cid), opt.cid_hex, strlen(opt.cid_hex),
			    NULL, &bin, NULL) < 0 ||
	     bin != sizeof(cid)))
		die("--cid wants 16 hex digits", EINVAL);
	bbf_client_init(&c, opt.key, opt.cid_hex ? cid : NULL);
	if (knock(fd, &c) < 0) {
		printf("echo knock=0\n");
		return 1;
	}
	int total = opt.seconds * 1000 / opt.interval_ms;
	uint8_t *got = calloc((size_t)total + 1, 1);
	int64_t t0 = bbf_mono_ms(), end_wait = 0;
	int seq = 0, replied = 0;
	for (;;) {
		int64_t now = bbf_mono_ms();
		if (seq < total && now >= t0 + (int64_t)seq * opt.interval_ms) {
			uint8_t f[16];
			int n = seal(&c, WIRE_ECHO_REQUEST, f,
				     bbf_echo(f, (uint32_t)seq, 0,
					      0x5eed0000U + (uint32_t)seq));
			to_srv(fd, pkt, (size_t)n);
			if (++seq == total)
				end_wait = bbf_mono_ms() + 500;
			continue;
		}
		if (seq == total && now >= end_wait)
			break;
		int64_t next = seq < total ? t0 + (int64_t)seq * opt.interval_ms
					   : end_wait;
		int n = bbf_recv(fd, pkt, sizeof(pkt),
				 (int)(next > now ? next - now : 0));
		if (n < 0)
			continue;
		size_t pl;
		uint8_t t;
		if (bbf_open(c.key, pkt, (size_t)n, pt, &pl, &t) == 0 &&
		    t == WIRE_ECHO_REPLY && pl >= 16) {
			uint32_t s = bbf_get32(pt);
			if (s < (uint32_t)total && !got[s]) {
				got[s] = 1;
				replied++;
			}
		}
	}
	int run = 0, worst = 0, last = -1;
	for (int i = 0; i < total; i++) {
		run = got[i] ? 0 : run + 1;
		if (run > worst)
			worst = run;
		if (got[i])
			last = i;
	}
	printf("echo sent=%d replied=%d loss_pct=%.2f longest_gap_ms=%d "
	       "last_reply_ms=%d\n",
	       total, replied, 100.0 * (total - replied) / total,
	       worst * opt.interval_ms, last < 0 ? -1 : last * opt.interval_ms);
	free(got);
	return 0;
}

/* ---- replay into a second session --------------------------------------- */

/* THROUGHPUT_STATS packets_rx for test_id after END, or -1. */
static long upload_stats(int fd, struct bbf_client *c, uint32_t test_id)
{
	uint8_t f[16];
	int n = seal(c, WIRE_THROUGHPUT_END, f, bbf_tp_end(f, test_id, 0));
	to_srv(fd, pkt, (size_t)n);
	int pl = wait_type(fd, c, WIRE_THROUGHPUT_STATS, 1500);
	return pl >= 24 ? (long)bbf_get32(pt + 16) : -1;
}

/* Echo replies to the datagram e sent from fd within ms. */
static int replies_to(int fd, struct bbf_client *c, const uint8_t *e,
		      size_t elen, int ms)
{
	to_srv(fd, e, elen);
	int k = 0;
	while (wait_type(fd, c, WIRE_ECHO_REPLY, ms) >= 0)
		k++;
	return k;
}

static int cmd_replay2(void)
{
	if (!opt.local)
		die("replay2 needs --local IP (it uses IP, IP+1)", EINVAL);
	struct in_addr a;
	if (inet_pton(AF_INET, opt.local, &a) != 1)
		die(opt.local, EINVAL);
	char ip2[32];
	struct in_addr b = { htonl(ntohl(a.s_addr) + 1) };
	inet_ntop(AF_INET, &b, ip2, sizeof(ip2));

	/* session 1: its echo E and five upload DATA packets captured */
	int fa = bind_ip(opt.local);
	struct bbf_client c1;
	bbf_client_init(&c1, opt.key, NULL);
	if (knock(fa, &c1) < 0)
		die("session 1: no KNOCK_ACK", ETIMEDOUT);
	uint8_t f[16], e[256], data[5][512];
	size_t elen, dlen[5];
	int n = seal(&c1, WIRE_ECHO_REQUEST, f, bbf_echo(f, 1, 0, 0xe1));
	memcpy(e, pkt, (size_t)n);
	elen = (size_t)n;
	int own = replies_to(fa, &c1, e, elen, 500);
	n = seal(&c1, WIRE_THROUGHPUT_START, f, bbf_tp_start(f, 77, 5000, 500));
	to_srv(fa, pkt, (size_t)n);
	for (uint32_t s = 0; s < 5; s++) {
		n = seal_data(&c1, 77, s, 400);
		memcpy(data[s], pkt, (size_t)n);
		dlen[s] = (size_t)n;
		to_srv(fa, data[s], dlen[s]);
	}
	long own_rx = upload_stats(fa, &c1, 77);
	/* Session 1 moves on to another upload: sessions are keyed by
	 * address without port, so when the new port below lands on the
	 * same worker it is session 1 again, and END 77 must then report a
	 * fresh upload 77, not this one's 5 packets. */
	n = seal(&c1, WIRE_THROUGHPUT_START, f, bbf_tp_start(f, 76, 5000, 500));
	to_srv(fa, pkt, (size_t)n);
	upload_stats(fa, &c1, 76);
	/* the same session again: its replay window holds */
	int same = replies_to(fa, &c1, e, elen, 300);

	/* session 2: same client_id, second address; session 3: the first
	 * address from a new port (a restarted client) */
	const char *ips[2] = { ip2, opt.local };
	const char *names[2] = { "second_address", "new_port" };
	int bad = 0;
	printf("replay2 session1 echo_replies=%d upload_packets_rx=%ld "
	       "same_session_replay_replies=%d\n",
	       own, own_rx, same);
	for (int i = 0; i < 2; i++) {
		int fb = bind_ip(ips[i]);
		struct bbf_client c2 = c1; /* same key, id and nonce sequence */
		c2.have_cookie = 0;
		if (knock(fb, &c2) < 0)
			die("second session: no KNOCK_ACK", ETIMEDOUT);
		n = seal(&c2, WIRE_ECHO_REQUEST, f, bbf_echo(f, 2, 0, 0xe2));
		int fresh = replies_to(fb, &c2, pkt, (size_t)n, 500);
		int rep = replies_to(fb, &c2, e, elen, 500);
		n = seal(&c2, WIRE_THROUGHPUT_START, f,
			 bbf_tp_start(f, 77, 5000, 500));
		to_srv(fb, pkt, (size_t)n);
		for (int s = 0; s < 5; s++)
			to_srv(fb, data[s], dlen[s]);
		long rx = upload_stats(fb, &c2, 77);
		printf("replay2 %s fresh_echo_replies=%d "
		       "replayed_echo_replies=%d replayed_data_counted=%ld\n",
		       names[i], fresh, rep, rx);
		c1.last_nonce = c2.last_nonce;
		if (fresh < 1 || rx < 0)
			bad = 1;
		close(fb);
	}
	return own < 1 || own_rx != 5 || bad ? 1 : 0;
}

/* ---- oversize KNOCK ------------------------------------------------------ */

/* A KNOCK of total bytes, authentic or with its tag broken. */
static int knock_of(struct bbf_client *c, size_t total, int broken)
{
	uint8_t f[8];
	size_t fl = bbf_knock(f, bbf_now_ns() / 1000000000ULL);
	int n = bbf_client_seal(c, WIRE_KNOCK, f, fl,
				total - WIRE_MIN_PACKET - fl, pkt, sizeof(pkt));
	if (n < 0)
		die("seal", n);
	if (broken)
		pkt[n - 1] ^= 0x55;
	return n;
}

/* Server CPU ns per knock of `total` bytes (broken tags, fresh nonces,
 * from 4 addresses), paced at rate/s for ms. */
static double cpu_per_knock(int fds[4], size_t total, int rate, int ms)
{
	struct bbf_client c;
	bbf_client_init(&c, opt.key, NULL);
	int64_t c0 = bbf_proc_cpu_ns(opt.cpu_pid);
	int64_t t0 = bbf_mono_ms();
	int k = 0, count = rate * ms / 1000;
	while (k < count) {
		int64_t due = t0 + (int64_t)k * 1000 / rate;
		int64_t now = bbf_mono_ms();
		if (due > now) {
			sleep_ms((int)(due - now));
			continue;
		}
		int n = knock_of(&c, total, 1);
		to_srv(fds[k % 4], pkt, (size_t)n);
		k++;
	}
	sleep_ms(300); /* let the server finish the queue */
	int64_t c1 = bbf_proc_cpu_ns(opt.cpu_pid);
	return (double)(c1 - c0) / count;
}

static int cmd_oversize(void)
{
	if (!opt.local)
		die("oversize needs --local IP", EINVAL);
	int fd = bind_ip(opt.local);
	struct bbf_client c;
	bbf_client_init(&c, opt.key, NULL);
	int n = knock_of(&c, WIRE_MAX_DATAGRAM, 0);
	to_srv(fd, pkt, (size_t)n);
	uint64_t got = 0, pk = 0;
	bbf_count(fd, 1000, &got, &pk);
	/* control: a normal knock from the same socket is answered */
	struct bbf_client c2;
	bbf_client_init(&c2, opt.key, NULL);
	int ok = knock(fd, &c2) == 0;
	printf("oversize size=%d replies=%llu reply_bytes=%llu "
	       "normal_knock_answered=%d\n",
	       n, (unsigned long long)pk, (unsigned long long)got, ok);
	if (opt.cpu_pid > 0) {
		int fds[4];
		struct in_addr a;
		inet_pton(AF_INET, opt.local, &a);
		for (int i = 0; i < 4; i++) {
			char ip[32];
			struct in_addr b = { htonl(ntohl(a.s_addr) + 1 +
						   (uint32_t)i) };
			inet_ntop(AF_INET, &b, ip, sizeof(ip));
			fds[i] = bind_ip(ip);
		}
		int64_t i0 = bbf_proc_cpu_ns(opt.cpu_pid);
		sleep_ms(1000);
		double idle = (double)(bbf_proc_cpu_ns(opt.cpu_pid) - i0);
		double big = cpu_per_knock(fds, WIRE_MAX_DATAGRAM, 500, 2000);
		double small = cpu_per_knock(fds, BBF_KNOCK_LEN, 2500, 2000);
		printf("oversize_cpu big_us=%.2f normal_us=%.2f ratio=%.1f "
		       "idle_ms_per_s=%.2f\n",
		       big / 1000, small / 1000, small > 0 ? big / small : 0.0,
		       idle / 1e6);
	}
	return ok ? 0 : 1;
}

/* ---- main ---------------------------------------------------------------- */

static void usage(void)
{
	fprintf(stderr,
		"usage: bbattack CMD --server 127.0.0.1:PORT --key FILE "
		"[--rev 1|2] [options]\n"
		"  reflect --victim IP:PORT --type download|bloat1|bloat2|"
		"bloat3|throughput|echo [--cookie none|guess]\n"
		"  capture --local IP --out FILE [--bytes N]\n"
		"  replay --in FILE --victim IP:PORT\n"
		"  knocks --count N --rate R\n"
		"  flood --src IP:PORT[,..] --rate PPS --seconds S "
		"[--threads T] [--cid HEX]\n"
		"  echo-client --local IP --interval-ms MS --seconds S [--cid "
		"HEX]\n"
		"  replay2 --local IP\n"
		"  oversize --local IP [--cpu-pid PID]\n"
		"  common: --listen-ms MS (victim listening time)\n");
	exit(2);
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "server", 1, 0, 's' },    { "key", 1, 0, 'k' },
		{ "rev", 1, 0, 'r' },	    { "victim", 1, 0, 'v' },
		{ "type", 1, 0, 't' },	    { "cookie", 1, 0, 'C' },
		{ "listen-ms", 1, 0, 'l' }, { "count", 1, 0, 'n' },
		{ "local", 1, 0, 'L' },	    { "out", 1, 0, 'o' },
		{ "in", 1, 0, 'i' },	    { "bytes", 1, 0, 'b' },
		{ "rate", 1, 0, 'R' },	    { "seconds", 1, 0, 'S' },
		{ "threads", 1, 0, 'T' },   { "src", 1, 0, 'F' },
		{ "cid", 1, 0, 'c' },	    { "interval-ms", 1, 0, 'I' },
		{ "cpu-pid", 1, 0, 'P' },   { 0, 0, 0, 0 },
	};
	if (argc < 2)
		usage();
	const char *cmd = argv[1];
	const char *server = NULL, *keyfile = NULL;
	int ch;
	optind = 2;
	while ((ch = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (ch) {
		case 's':
			server = optarg;
			break;
		case 'k':
			keyfile = optarg;
			break;
		case 'r':
			opt.rev = atoi(optarg);
			break;
		case 'v':
			opt.victim = optarg;
			break;
		case 't':
			opt.type = optarg;
			break;
		case 'C':
			opt.cookie = optarg;
			break;
		case 'l':
			opt.listen_ms = atoi(optarg);
			break;
		case 'n':
			opt.count = atoi(optarg);
			break;
		case 'L':
			opt.local = optarg;
			break;
		case 'o':
			opt.out = optarg;
			break;
		case 'i':
			opt.in = optarg;
			break;
		case 'b':
			opt.bytes = (uint32_t)strtoul(optarg, NULL, 10);
			break;
		case 'R':
			opt.rate = atoi(optarg);
			break;
		case 'S':
			opt.seconds = atoi(optarg);
			break;
		case 'T':
			opt.threads = atoi(optarg);
			break;
		case 'F':
			opt.src = optarg;
			break;
		case 'c':
			opt.cid_hex = optarg;
			break;
		case 'I':
			opt.interval_ms = atoi(optarg);
			break;
		case 'P':
			opt.cpu_pid = atoi(optarg);
			break;
		default:
			usage();
		}
	}
	if (!server || !keyfile || opt.rate < 1 || opt.interval_ms < 1)
		usage();
	if (bbf_init() < 0)
		die("libsodium", EIO);
	if (bbf_parse_addr(server, &opt.srv) < 0)
		die("--server must be 127.x.y.z:PORT", EINVAL);
	int rc = bbf_load_key(keyfile, opt.key);
	if (rc < 0)
		die(keyfile, rc);
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!strcmp(cmd, "reflect"))
		return cmd_reflect();
	if (!strcmp(cmd, "capture"))
		return cmd_capture();
	if (!strcmp(cmd, "replay"))
		return cmd_replay();
	if (!strcmp(cmd, "knocks"))
		return cmd_knocks();
	if (!strcmp(cmd, "flood"))
		return cmd_flood();
	if (!strcmp(cmd, "echo-client"))
		return cmd_echo_client();
	if (!strcmp(cmd, "replay2"))
		return cmd_replay2();
	if (!strcmp(cmd, "oversize"))
		return cmd_oversize();
	usage();
	return 2;
}
