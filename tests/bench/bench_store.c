// SPDX-License-Identifier: MIT
/*
 * Store figures on this machine: bytes per sample of each kind on disk,
 * ingest and read-back rates, rollup time, and the size of a week at the
 * shipped defaults (etc/bufferbane.conf), without a server (gateway and two
 * public DNS ICMP at 1/s, DNS every 10 s to two servers) and with one
 * server (+ its UDP echo stream every 100 ms, throughput tests every 5 min
 * / 1 h / 6 h and a bufferbloat test every 4 h).  The streams are
 * realistic: RTTs with jitter and bursts, occasional losses (echoes with
 * their direction), errors with a detail, late replies and duplicates,
 * probes flagged under load during our own tests, a drifting clock-sync
 * offset.  Written as the recorder writes: one transaction per 500 ms.
 * Databases live in a mkdtemp folder under $TMPDIR (default /tmp), removed
 * at the end.  BB_BENCH_HOURS sets the simulated span (default 24).
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/base/clock.h"
#include "core/base/sample.h"
#include "core/store/store.h"

#define T0_MS	    1732539960000LL
#define REAL_OFF_NS (T0_MS * BB_NS_PER_MS + 123457)

static uint64_t rng = 88172645463325252ULL;

static uint32_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng >> 11);
}

static double unif(void)
{
	return (rnd() + 0.5) / 2097152.0 / 1024.0; /* (0, 1) */
}

/* Queueing-like jitter: exponential with a rare heavy tail. */
static int64_t jitter_ns(double mean_ms)
{
	double x = -log(unif()) * mean_ms;
	if (rnd() % 200 == 0)
		x *= 10;
	return (int64_t)(x * 1e6);
}

struct gen {
	struct bb_sample *s;
	size_t n, cap;
};

static struct bb_sample *add(struct gen *g, enum bb_probe_kind kind,
			     int64_t mono_ns, const char *target,
			     const char *server)
{
	if (g->n == g->cap) {
		g->cap = g->cap ? 2 * g->cap : 4096;
		g->s = realloc(g->s, g->cap * sizeof(*g->s));
		if (!g->s)
			exit(1);
	}
	struct bb_sample *s = &g->s[g->n++];
	sample_init(s, kind);
	/* send jitter of the scheduler: tens of µs, rarely ms */
	int64_t err = 20000 + rnd() % 60000 + (rnd() % 1000 == 0) * 3000000;
	s->mono_ns = mono_ns + err;
	s->real_ns = s->mono_ns + REAL_OFF_NS + rnd() % 90;
	s->send_error_ns = err;
	snprintf(s->interface, sizeof(s->interface), "eth0");
	snprintf(s->target, sizeof(s->target), "%s", target);
	snprintf(s->server, sizeof(s->server), "%s", server);
	return s;
}

/* Our own load tests: [from, to) in ns from the start. */
struct load {
	int64_t from, to;
	uint8_t phase;
};
static struct load loads[4096];
static size_t nloads;

static uint8_t load_at(int64_t t)
{
	for (size_t i = 0; i < nloads; i++)
		if (t >= loads[i].from && t < loads[i].to)
			return loads[i].phase;
	return BB_PHASE_NONE;
}

static void gen_tests(struct gen *g, int64_t span)
{
	static const struct {
		int64_t every_s, kb;
	} tp[] = { { 300, 64 }, { 3600, 1024 }, { 21600, 10240 } };
	for (size_t k = 0; k < 3; k++) {
		for (int64_t t = 300 * BB_NS_PER_S; t < span;
		     t += tp[k].every_s * BB_NS_PER_S) {
			int64_t at = t + (int64_t)k * 7 * BB_NS_PER_S;
			for (int dir = 0; dir < 2; dir++) {
				int64_t dur =
					(tp[k].kb / 64 + 1) * 40 * BB_NS_PER_MS;
				struct bb_sample *s = add(g,
							  dir ? BB_KIND_DOWNLOAD
							      : BB_KIND_UPLOAD,
							  at, "vps1", "vps1");
				s->seq = (uint32_t)(t / BB_NS_PER_S / 300);
				s->rtt_ns = dur;
				s->throughput_kbps =
					(dir ? 95000 : 38000) + rnd() % 4000;
				s->loss_ppm = rnd() % 5 ? 0 : rnd() % 3000;
				if (nloads < 4096)
					loads[nloads++] = (struct load){
						at, at + dur,
						dir ? BB_PHASE_DOWN
						    : BB_PHASE_UP
					};
				at += dur + BB_NS_PER_S;
			}
		}
	}
	for (int64_t t = 300 * BB_NS_PER_S; t < span;
	     t += 14400 * BB_NS_PER_S) {
		static const uint8_t ph[] = { BB_PHASE_UP, BB_PHASE_DOWN };
		for (int k = 0; k < 2; k++) {
			int64_t at =
				t + 60 * BB_NS_PER_S + k * 12 * BB_NS_PER_S;
			struct bb_sample *s =
				add(g, BB_KIND_BUFFERBLOAT, at, "vps1", "vps1");
			s->seq = (uint32_t)(t / BB_NS_PER_S / 14400);
			s->load_phase = ph[k];
			s->rtt_ns = 320000000 + jitter_ns(20);
			s->up_delay_ns = k ? 10000000 : 300000000;
			s->down_delay_ns = k ? 40000000 : 10000000;
			s->bloat.idle_p50_ns = 19800000;
			s->bloat.loaded_p95_ns = 410000000;
			s->bloat.increase_ns = 300000000 + jitter_ns(5);
			s->bloat.up_inc_ns = k ? 1000000 : 290000000;
			s->bloat.down_inc_ns = k ? 30000000 : 500000;
			s->bloat.rpm = 180 + (int32_t)(rnd() % 20);
			if (nloads < 4096)
				loads[nloads++] = (struct load){
					at, at + 12 * BB_NS_PER_S, ph[k]
				};
		}
	}
}

static void gen_icmp(struct gen *g, int64_t span)
{
	static const char *const tg[] = { "gateway", "198.18.1.3",
					  "198.18.1.4" };
	for (int t = 0; t < 3; t++) {
		uint32_t seq = rnd();
		for (int64_t at = t * 7 * BB_NS_PER_MS; at < span;
		     at += BB_NS_PER_S) {
			struct bb_sample *s =
				add(g, BB_KIND_ICMP, at, tg[t], "");
			s->seq = seq++;
			uint8_t ph = load_at(at);
			if (ph) {
				s->flags |= BB_SAMPLE_UNDER_LOAD;
				s->load_phase = ph;
			}
			uint32_t r = rnd() % 10000;
			if (r < 15) {
				s->status = BB_STATUS_TIMEOUT;
			} else if (r < 16) {
				s->status = BB_STATUS_ERROR;
				snprintf(s->detail, sizeof(s->detail),
					 "sendto: No route to host");
			} else {
				s->rtt_ns = (t ? 11000000 : 600000) +
					    jitter_ns(t ? 2.0 : 0.3) +
					    (ph ? 150000000 : 0);
				if (r < 18) { /* a late twin */
					struct bb_sample *d = add(
						g, BB_KIND_ICMP, 0, tg[t], "");
					*d = *s;
					d->flags |= BB_SAMPLE_DUPLICATE;
				}
			}
		}
	}
}

static void gen_dns(struct gen *g, int64_t span)
{
	static const char *const tg[] = { "198.18.1.3", "198.18.1.4" };
	uint32_t seq = 0;
	for (int64_t at = 500 * BB_NS_PER_MS; at < span;
	     at += 10 * BB_NS_PER_S) {
		for (int d = 0; d < 2; d++) {
			struct bb_sample *s =
				add(g, BB_KIND_DNS, at + d * 3 * BB_NS_PER_MS,
				    tg[d], "");
			s->seq = seq++;
			if (rnd() % 1000 < 2) {
				s->status = BB_STATUS_TIMEOUT;
				continue;
			}
			s->rtt_ns = 12000000 + jitter_ns(6);
		}
	}
}

static void gen_echo(struct gen *g, int64_t span)
{
	uint32_t seq = 1;
	double sync = 0;
	for (int64_t at = 50 * BB_NS_PER_MS; at < span;
	     at += 100 * BB_NS_PER_MS) {
		struct bb_sample *s =
			add(g, BB_KIND_UDP_ECHO, at, "vps1", "vps1");
		s->seq = seq++;
		uint8_t ph = load_at(at);
		if (ph) {
			s->flags |= BB_SAMPLE_UNDER_LOAD;
			s->load_phase = ph;
		}
		uint32_t r = rnd() % 10000;
		if (r < 40) {
			s->status = BB_STATUS_TIMEOUT;
			s->loss_dir = r < 25 ? BB_LOSS_UP : BB_LOSS_DOWN;
			continue;
		}
		/* a clock-sync estimate that settles and then wanders */
		sync = sync < 90 ? sync + 2 : 90 + rnd() % 9;
		s->sync_pct = (int8_t)sync;
		s->clock_offset_ns =
			1234567 + at / 200000 + (int64_t)(rnd() % 20000);
		int64_t up = 9000000 + jitter_ns(1.5) +
			     (ph == BB_PHASE_UP) * 250000000;
		int64_t down = 9500000 + jitter_ns(1.5) +
			       (ph == BB_PHASE_DOWN) * 80000000;
		int64_t hold = 15000 + rnd() % 40000;
		s->rtt_ns = up + down + hold;
		if (sync >= 80) {
			s->up_delay_ns = up;
			s->down_delay_ns = down;
		}
		if (r < 43) { /* late: after the timeout, a second row */
			struct bb_sample *d =
				add(g, BB_KIND_UDP_ECHO, 0, "vps1", "vps1");
			*d = *s;
			d->flags |= BB_SAMPLE_LATE;
			d->rtt_ns = 1200000000 + jitter_ns(100);
			d->up_delay_ns = d->down_delay_ns = BB_NONE;
			s->status = BB_STATUS_TIMEOUT;
			s->rtt_ns = s->up_delay_ns = s->down_delay_ns = BB_NONE;
		}
	}
}

static int cmp_mono(const void *a, const void *b)
{
	const struct bb_sample *x = a, *y = b;
	return (x->mono_ns > y->mono_ns) - (x->mono_ns < y->mono_ns);
}

static int count_cb(void *ctx, const struct bb_sample *s)
{
	(void)s;
	(*(size_t *)ctx)++;
	return 0;
}

/* Write g into a fresh database as the recorder does (one transaction per
 * 500 ms of send times); bytes per sample and, optionally, more figures. */
static double measure(const char *dir, const char *name, struct gen *g,
		      int64_t span, int verbose, double *agg_per_row,
		      int *series)
{
	char path[400], err[512];
	snprintf(path, sizeof(path), "%s/%s.db", dir, name);
	struct store *st = store_open(path, STORE_RDWR, err, sizeof(err));
	if (!st) {
		fprintf(stderr, "%s\n", err);
		exit(1);
	}
	qsort(g->s, g->n, sizeof(*g->s), cmp_mono);
	int64_t empty = 0, after = 0, rolled = 0;
	store_db_bytes(st, &empty);
	int64_t t0 = clock_mono_ns();
	size_t i = 0;
	for (int64_t w = 0; i < g->n; w += 500 * BB_NS_PER_MS) {
		size_t j = i;
		while (j < g->n && g->s[j].mono_ns < w + 500 * BB_NS_PER_MS)
			j++;
		if (j > i && store_write_samples(st, g->s + i, j - i) < 0) {
			fprintf(stderr, "%s\n", store_last_error(st));
			exit(1);
		}
		i = j;
	}
	double secs = (double)(clock_mono_ns() - t0) / BB_NS_PER_S;
	store_db_bytes(st, &after);
	double per = (double)(after - empty) / (double)g->n;
	if (verbose) {
		printf("store ingest: %.0f rows/s (%zu samples in 500 ms "
		       "transactions, %.2f s)\n",
		       (double)g->n / secs, g->n, secs);
		t0 = clock_mono_ns();
		size_t got = 0;
		store_read_samples(st, 0, INT64_MAX, count_cb, &got);
		secs = (double)(clock_mono_ns() - t0) / BB_NS_PER_S;
		printf("store read-back: %.0f rows/s (%zu rows)\n",
		       (double)got / secs, got);
	}
	if (agg_per_row) {
		t0 = clock_mono_ns();
		int rows =
			store_rollup(st, T0_MS + span / BB_NS_PER_MS + 3600000);
		secs = (double)(clock_mono_ns() - t0) / BB_NS_PER_S;
		store_db_bytes(st, &rolled);
		*agg_per_row = rows > 0 ? (double)(rolled - after) / rows : 0;
		printf("store rollup: %d aggregate rows in %.2f s, %.1f "
		       "bytes/row\n",
		       rows, secs, *agg_per_row);
	}
	if (series) {
		int n = 0;
		for (size_t k = 0; k < g->n; k++) {
			int seen = 0;
			for (size_t m = 0; m < k && !seen; m++)
				seen = g->s[m].kind == g->s[k].kind &&
				       !strcmp(g->s[m].target, g->s[k].target);
			n += !seen;
			if (k > 2000)
				break;
		}
		*series = n;
	}
	store_close(st);
	return per;
}

int main(void)
{
	double hours = 24;
	const char *env = getenv("BB_BENCH_HOURS");
	if (env && atof(env) >= 1)
		hours = atof(env);
	int64_t span = (int64_t)(hours * 3600) * BB_NS_PER_S;
	const char *tmp = getenv("TMPDIR");
	char dir[256];
	snprintf(dir, sizeof(dir), "%s/bb-bench-store.XXXXXX",
		 tmp ? tmp : "/tmp");
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	struct gen tests = { 0 }, icmp = { 0 }, dns = { 0 }, echo = { 0 };
	gen_tests(&tests, span);
	gen_icmp(&icmp, span);
	gen_dns(&dns, span);
	gen_echo(&echo, span);
	printf("store simulated span: %.0f h\n", hours);

	/* per kind, each alone in its own file */
	struct {
		const char *name;
		struct gen *g;
	} kinds[] = { { "icmp", &icmp },
		      { "dns", &dns },
		      { "udp_echo", &echo },
		      { "tests", &tests } };
	double per[4], rate[4];
	for (int k = 0; k < 4; k++) {
		per[k] = measure(dir, kinds[k].name, kinds[k].g, span, 0, NULL,
				 NULL);
		rate[k] = (double)kinds[k].g->n / (hours * 3600);
		printf("store bytes/sample %-9s %6.1f (%zu samples, "
		       "%.3f/s)\n",
		       kinds[k].name, per[k], kinds[k].g->n, rate[k]);
	}

	/* all together, with rollups */
	struct gen all = { 0 };
	struct gen *parts[] = { &icmp, &dns, &echo, &tests };
	for (int k = 0; k < 4; k++)
		for (size_t i = 0; i < parts[k]->n; i++) {
			struct bb_sample *s = add(&all, 0, 0, "", "");
			*s = parts[k]->s[i];
		}
	double agg_row = 0;
	int nser = 0;
	double per_all = measure(dir, "all", &all, span, 1, &agg_row, &nser);
	printf("store bytes/sample all kinds together: %.1f\n", per_all);

	/* a week at the defaults */
	double week = 7 * 86400.0, buckets = 7 * 1440 + 7 * 24;
	double nosrv = week * (rate[0] * per[0] + rate[1] * per[1]) +
		       agg_row * 5 * buckets;
	double srv = nosrv + week * (rate[2] * per[2] + rate[3] * per[3]) +
		     agg_row * 4 * buckets;
	printf("store week at defaults without a server: %.1f MB "
	       "(%.0f samples, %.1f MB of rollups)\n",
	       nosrv / 1e6, week * (rate[0] + rate[1]),
	       agg_row * 5 * buckets / 1e6);
	printf("store week at defaults with one server: %.1f MB "
	       "(%.0f samples, %.1f MB of rollups)\n",
	       srv / 1e6, week * (rate[0] + rate[1] + rate[2] + rate[3]),
	       agg_row * 9 * buckets / 1e6);
	for (int k = 0; k < 4; k++)
		free(parts[k]->s);
	free(all.s);
	char cmd[400];
	if (getenv("BB_BENCH_KEEP")) { /* for a look with sqlite3 */
		printf("store databases kept in %s\n", dir);
		return 0;
	}
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : 1;
}
