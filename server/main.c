/* SPDX-License-Identifier: MIT */
/*
 * bufferbane-server: command line, configuration, the key, the workers and
 * the main thread's loop (signals and the periodic statistics line).
 * Start-up runs srvconf -> wire_init -> workers bound -> workers started;
 * SIGTERM/SIGINT stop the workers in reverse and exit 0.  Every start-up
 * failure is one line on stderr and exit 2 (usage, config) or 1 (runtime).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ev.h>

#include "core/base/clock.h"
#include "core/base/sock.h"
#include "proto/wire.h"
#include "server/cidwin.h"
#include "server/keyring.h"
#include "server/knockcache.h"
#include "server/serve.h"
#include "server/srvconf.h"
#include "server/srvlog.h"
#include "server/worker.h"

#define MAX_WORKERS 256

struct server {
	struct worker *w[MAX_WORKERS];
	unsigned n;
	struct knockcache *knocks;
	struct ratelimit *rl;
	struct ratecap txcap;
	struct ratecap guard; /* unauthenticated AEAD opens per second */
	struct cidwin *wins;
	_Atomic int64_t total; /* sessions of all workers */
	struct serve_shared sh;
	const char *conf_path; /* for SIGHUP; NULL = built-in defaults */
	struct serve_stats last;
	int64_t last_ns;
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: bufferbane-server [-c FILE] [--bind ADDR:PORT] [-f]\n"
		"\n"
		"  -c, --config FILE   configuration (default %s)\n"
		"  -b, --bind ADDR:PORT  listen here instead of "
		"general.bind_*\n"
		"                      (port 0 = any free port, logged)\n"
		"  -f, --foreground    stay in the foreground (the default)\n"
		"  -h, --help          this text\n"
		"  -V, --version       print the version\n",
		SRVCONF_PATH);
}

static void sum_stats(const struct server *sv, struct serve_stats *t)
{
	memset(t, 0, sizeof(*t));
	for (unsigned i = 0; i < sv->n; i++) {
		struct serve_stats s;
		worker_stats(sv->w[i], &s);
		t->rx_packets += s.rx_packets;
		t->rx_bytes += s.rx_bytes;
		t->tx_packets += s.tx_packets;
		t->tx_bytes += s.tx_bytes;
		t->knocks_ok += s.knocks_ok;
		t->knocks_failed += s.knocks_failed;
		t->sessions_created += s.sessions_created;
		t->sessions_evicted += s.sessions_evicted;
		t->bans += s.bans;
		t->tx_capped += s.tx_capped;
		t->sessions += s.sessions;
		t->streams += s.streams;
		for (int k = 0; k < SERVE_DROP_NREASONS; k++)
			t->drop[k] += s.drop[k];
	}
}

static void on_stats(struct ev_loop *loop, ev_timer *t, int revents)
{
	struct server *sv = t->data;
	struct serve_stats now;
	sum_stats(sv, &now);
	int64_t ns = clock_mono_ns();
	double dt = (double)(ns - sv->last_ns) / 1e9;
	if (dt <= 0)
		dt = 1;
	char drops[256];
	size_t off = 0;
	drops[0] = '\0';
	for (int k = 0; k < SERVE_DROP_NREASONS; k++) {
		uint64_t d = now.drop[k] - sv->last.drop[k];
		if (d && off < sizeof(drops))
			off += (size_t)snprintf(
				drops + off, sizeof(drops) - off, " %s=%llu",
				serve_drop_name(k), (unsigned long long)d);
	}
	srvlog(SRVLOG_INFO,
	       "stats: sessions=%llu streams=%llu rx=%.0f pkt/s tx=%.0f pkt/s "
	       "sent=%.1f Mbit/s knocks ok=%llu failed=%llu bans=%llu "
	       "capped=%llu drops:%s",
	       (unsigned long long)now.sessions,
	       (unsigned long long)now.streams,
	       (double)(now.rx_packets - sv->last.rx_packets) / dt,
	       (double)(now.tx_packets - sv->last.tx_packets) / dt,
	       (double)(now.tx_bytes - sv->last.tx_bytes) * 8 / 1e6 / dt,
	       (unsigned long long)(now.knocks_ok - sv->last.knocks_ok),
	       (unsigned long long)(now.knocks_failed - sv->last.knocks_failed),
	       (unsigned long long)(now.bans - sv->last.bans),
	       (unsigned long long)(now.tx_capped - sv->last.tx_capped),
	       drops[0] ? drops : " none");
	sv->last = now;
	sv->last_ns = ns;
}

/* The unauthenticated budget: max_unauth_pps, a tenth of a second of
 * burst (at least 1000). */
static void guard_init(struct ratecap *g, const struct srvconf *c)
{
	double pps = c->max_unauth_pps;
	ratecap_init(g, pps, pps / 10 > 1000 ? pps / 10 : 1000);
}

static void log_keys(const char *when, const struct srvconf *c);

/* Rule 14: every worker gets a copy of the reloaded keys and closes the
 * sessions of clients that lost (or changed) theirs.  A file with no key
 * at all keeps the running keys. */
static void reload_keys(struct server *sv, const struct srvconf *c)
{
	if (!c->have_key && c->nclients <= 0) {
		srvlog(SRVLOG_ERROR, "SIGHUP: no shared secret and no "
				     "security.clients; keeping the running "
				     "keys");
		return;
	}
	for (unsigned i = 0; i < sv->n; i++) {
		struct keyring *k = keyring_new(c);
		if (!k) {
			srvlog(SRVLOG_ERROR, "SIGHUP: out of memory for keys");
			return;
		}
		worker_post_keys(sv->w[i], k);
	}
	log_keys("SIGHUP: keys reloaded", c);
}

/* Which keys the server takes, by client name (never key material). */
static void log_keys(const char *when, const struct srvconf *c)
{
	char names[512] = "";
	size_t o = 0;
	for (int i = 0; i < c->nclients && o < sizeof(names); i++)
		o += (size_t)snprintf(names + o, sizeof(names) - o, "%s%s",
				      i ? ", " : "", c->clients[i].name);
	srvlog(SRVLOG_INFO,
	       "%s: %d client%s with a key of their own%s%s%s, %s shared "
	       "secret",
	       when, c->nclients, c->nclients == 1 ? "" : "s",
	       c->nclients ? " (" : "", names, c->nclients ? ")" : "",
	       c->have_key ? "and the" : "no");
}

/* SIGHUP: read the configuration again and apply its limits (packet and
 * byte rates, bursts, session caps, max_total_mbps) to the running
 * limiter, and its keys: the shared secret and security.clients (a client
 * removed from the list is revoked: its sessions close, its packets get
 * silence).  A broken file is logged and changes nothing; the server never
 * stops on SIGHUP.  Addresses and worker counts need a restart. */
static void on_hup(struct ev_loop *loop, ev_signal *w, int revents)
{
	struct server *sv = w->data;
	static struct srvconf c;
	char err[512];
	srvconf_defaults(&c);
	if (sv->conf_path &&
	    srvconf_load(&c, sv->conf_path, err, sizeof(err)) < 0) {
		srvlog(SRVLOG_ERROR, "SIGHUP: %s; keeping the running settings",
		       err);
		srvconf_wipe(&c);
		return;
	}
	reload_keys(sv, &c);
	srvconf_wipe(&c);
	struct ratelimit_conf rc;
	serve_ratelimit_conf(&c, &rc);
	ratelimit_set_conf(sv->rl, &rc);
	double total = c.max_total_mbps * 1e6 / 8;
	ratecap_init(&sv->txcap, total,
		     total / 10 > 262144 ? total / 10 : 262144);
	guard_init(&sv->guard, &c);
	srvlog(SRVLOG_INFO,
	       "SIGHUP: reloaded limits from %s: %.0f packets/s (burst %d), "
	       "%.0f Mbit/s per source, %.0f Mbit/s in total, %d sessions "
	       "per address, %d per IPv6 /64, %.0f unauthenticated packets/s",
	       sv->conf_path ? sv->conf_path : "built-in defaults",
	       c.max_packets_per_second, c.burst_size, c.max_bandwidth_mbps,
	       c.max_total_mbps, c.max_sessions_per_source,
	       c.max_sessions_per_prefix, c.max_unauth_pps);
}

static void on_signal(struct ev_loop *loop, ev_signal *s, int revents)
{
	srvlog(SRVLOG_INFO, "signal %d: shutting down", s->signum);
	ev_break(loop, EVBREAK_ALL);
}

static int parse_args(int argc, char **argv, const char **conf,
		      const char **bind)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "bind", required_argument, NULL, 'b' },
		{ "foreground", no_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	int ch;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":c:b:fhV", opts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			*conf = optarg;
			break;
		case 'b':
			*bind = optarg;
			break;
		case 'f':
			break;
		case 'h':
			usage(stdout);
			exit(0);
		case 'V':
			printf("bufferbane-server %s\n", BB_VERSION);
			exit(0);
		case ':':
			fprintf(stderr,
				"bufferbane-server: option %s needs a value "
				"(see --help)\n",
				argv[optind - 1]);
			return -EINVAL;
		default:
			fprintf(stderr,
				"bufferbane-server: unknown option %s (see "
				"--help)\n",
				argv[optind - 1]);
			return -EINVAL;
		}
	}
	if (optind < argc) {
		fprintf(stderr,
			"bufferbane-server: unexpected argument '%s' (see "
			"--help)\n",
			argv[optind]);
		return -EINVAL;
	}
	return 0;
}

static unsigned worker_count(const struct srvconf *c)
{
	long n = c->workers;
	if (n <= 0)
		n = sysconf(_SC_NPROCESSORS_ONLN);
	if (n < 1)
		n = 1;
	if (n > MAX_WORKERS)
		n = MAX_WORKERS;
	return (unsigned)n;
}

/* The workers' sockets share their port (SO_REUSEPORT), and so would a
 * second server's: the kernel would split the clients between two processes
 * that may hold different keys.  A socket without it cannot bind a port that
 * anything holds, so one bound and closed first tells if the port is taken.
 * Port 0 asks for a free one: nothing to check. */
static int check_port_free(const struct sockaddr *addr, socklen_t alen,
			   uint16_t port, char *err, size_t errlen)
{
	int zero = 0, rc = 0, fd;
	char a[64];
	if (port == 0)
		return 0;
	fd = socket(addr->sa_family, SOCK_DGRAM, 0);
	if (fd < 0)
		return 0; /* the workers' own socket() will say why */
	if (addr->sa_family == AF_INET6) /* as the workers: both families */
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
	if (bind(fd, addr, alen) < 0 && errno == EADDRINUSE) {
		sock_addr_to_text(addr, a, sizeof(a));
		snprintf(err, errlen,
			 "%s%s%s:%u: address already in use "
			 "(another bufferbane-server?)",
			 addr->sa_family == AF_INET6 ? "[" : "", a,
			 addr->sa_family == AF_INET6 ? "]" : "", port);
		rc = -EADDRINUSE;
	}
	close(fd);
	return rc;
}

static int start_workers(struct server *sv, const struct srvconf *c, char *err,
			 size_t errlen)
{
	struct sockaddr_storage addr;
	socklen_t alen;
	char text[96];
	snprintf(text, sizeof(text), "%s", c->bind_address);
	if (sock_parse_addr(text, (uint16_t)c->bind_port, &addr, &alen) < 0 ||
	    c->bind_port < 0 || c->bind_port > 65535) {
		snprintf(err, errlen, "bad bind address %s", c->bind_address);
		return -EINVAL;
	}
	int rc = check_port_free((struct sockaddr *)&addr, alen,
				 (uint16_t)c->bind_port, err, errlen);
	if (rc < 0)
		return rc;
	unsigned n = worker_count(c);
	/* max_concurrent_clients for all workers together (sv->total);
	 * each table can hold them all, since the kernel's spread of clients
	 * over workers is uneven */
	size_t per = (size_t)c->max_concurrent_clients;
	/* 64 Ki claims (1 MiB): about 1000 authentic knocks a second
	 * before new ones are refused (rule 9) */
	sv->knocks = knockcache_new(65536, (uint64_t)clock_real_ns());
	/* one limiter for every worker: limits hold per source, not per
	 * worker (rule 11); 64 Ki sources in 64 stripes */
	struct ratelimit_conf rlc;
	serve_ratelimit_conf(c, &rlc);
	sv->rl = ratelimit_new(&rlc, 65536);
	double total = c->max_total_mbps * 1e6 / 8;
	ratecap_init(&sv->txcap, total,
		     total / 10 > 262144 ? total / 10 : 262144);
	guard_init(&sv->guard, c);
	/* rule 10: one replay window per client_id for all workers */
	sv->wins = cidwin_new((size_t)c->max_concurrent_clients);
	atomic_store(&sv->total, 0);
	sv->sh = (struct serve_shared){ sv->knocks, sv->rl,	&sv->txcap,
					sv->wins,   &sv->guard, &sv->total };
	if (!sv->knocks || !sv->rl || !sv->wins) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	for (unsigned i = 0; i < n; i++) {
		sv->w[i] =
			worker_new(c, i, n, per, &sv->sh,
				   (struct sockaddr *)&addr, alen, err, errlen);
		if (!sv->w[i])
			return -EADDRNOTAVAIL;
		sv->n = i + 1;
		if (i == 0) /* port 0: the others share the port we got */
			worker_local_addr(sv->w[0], &addr, &alen);
	}
	for (unsigned i = 0; i < n; i++) {
		rc = worker_start(sv->w[i]);
		if (rc < 0) {
			snprintf(err, errlen, "cannot start worker %u: %s", i,
				 strerror(-rc));
			return rc;
		}
	}
	char a[64];
	sock_addr_to_text((struct sockaddr *)&addr, a, sizeof(a));
	uint16_t port =
		ntohs(addr.ss_family == AF_INET6
			      ? ((struct sockaddr_in6 *)&addr)->sin6_port
			      : ((struct sockaddr_in *)&addr)->sin_port);
	srvlog(SRVLOG_INFO,
	       "bufferbane-server %s listening on %s%s%s:%u, %u worker%s, "
	       "up to %d sessions",
	       BB_VERSION, addr.ss_family == AF_INET6 ? "[" : "", a,
	       addr.ss_family == AF_INET6 ? "]" : "", port, n,
	       n == 1 ? "" : "s", c->max_concurrent_clients);
	return 0;
}

static void stop_workers(struct server *sv)
{
	for (unsigned i = sv->n; i-- > 0;)
		worker_stop(sv->w[i]);
	for (unsigned i = sv->n; i-- > 0;)
		worker_free(sv->w[i]);
	sv->n = 0;
	knockcache_free(sv->knocks);
	sv->knocks = NULL;
	ratelimit_free(sv->rl);
	sv->rl = NULL;
	cidwin_free(sv->wins);
	sv->wins = NULL;
}

int main(int argc, char **argv)
{
	const char *conf = NULL, *bind = NULL;
	static struct srvconf c;
	static struct server sv;
	char err[512];
	int rc = 2;

	if (parse_args(argc, argv, &conf, &bind) < 0)
		return 2;
	srvconf_defaults(&c);
	if (!conf && access(SRVCONF_PATH, F_OK) == 0)
		conf = SRVCONF_PATH;
	if (conf && srvconf_load(&c, conf, err, sizeof(err)) < 0) {
		fprintf(stderr, "bufferbane-server: %s\n", err);
		goto out;
	}
	if (bind && srvconf_set_bind(&c, bind, err, sizeof(err)) < 0) {
		fprintf(stderr, "bufferbane-server: %s\n", err);
		goto out;
	}
	if (!c.have_key && c.nclients <= 0) {
		fprintf(stderr,
			"bufferbane-server: %s: no shared secret: set "
			"security.shared_secret_file (or shared_secret), or "
			"list security.clients\n",
			conf ? conf : "built-in defaults");
		goto out;
	}
	srvlog_set_level(c.level);
	if (wire_init() < 0) {
		fprintf(stderr, "bufferbane-server: libsodium init failed\n");
		rc = 1;
		goto out;
	}
	clock_calibrate();
	signal(SIGPIPE, SIG_IGN);

	struct ev_loop *loop = ev_default_loop(0);
	if (start_workers(&sv, &c, err, sizeof(err)) < 0) {
		fprintf(stderr, "bufferbane-server: %s\n", err);
		rc = 1;
		stop_workers(&sv);
		goto out;
	}
	log_keys("keys", &c);
	srvconf_wipe(&c); /* the workers hold their own copies */

	ev_signal sigterm, sigint, sighup;
	ev_timer stats;
	ev_signal_init(&sigterm, on_signal, SIGTERM);
	ev_signal_init(&sigint, on_signal, SIGINT);
	ev_signal_start(loop, &sigterm);
	ev_signal_start(loop, &sigint);
	sv.conf_path = conf;
	ev_signal_init(&sighup, on_hup, SIGHUP);
	sighup.data = &sv;
	ev_signal_start(loop, &sighup);
	sv.last_ns = clock_mono_ns();
	if (c.stats_interval_s > 0) {
		ev_timer_init(&stats, on_stats, c.stats_interval_s,
			      c.stats_interval_s);
		stats.data = &sv;
		ev_timer_start(loop, &stats);
	}
	ev_run(loop, 0);
	stop_workers(&sv);
	srvlog(SRVLOG_INFO, "stopped");
	rc = 0;
out:
	srvconf_wipe(&c);
	return rc;
}
