/* SPDX-License-Identifier: MIT */
/*
 * Token buckets per source (see ratelimit.h).  Buckets refill lazily from
 * the time elapsed since the source was last seen, so an idle source costs
 * nothing.  The table is split into stripes (a power of two, by a SipHash
 * of the source under a random key); each stripe is a fixed array of
 * entries on hash chains plus an LRU list, behind its own mutex.  Making
 * room looks at a few LRU heads and frees the first one at rest (nothing
 * it holds would differ from a new entry); one that is not at rest goes
 * back to the tail.  Nothing found: the source shares the stripe's
 * overflow entry, which is never put in the penalty box.
 */
#include "server/ratelimit.h"

#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#define BREAK_NS   1000000000LL /* a second without drops ends a streak */
#define EVICT_TRY  8
#define MAX_STRIPE 64

struct rl_key {
	uint8_t family;
	uint8_t plen; /* 32, 64 (IPv6 /64) or 128 */
	uint8_t addr[16];
};

struct rl_entry {
	struct rl_key key;
	struct rl_entry *hnext, *hprev, *lnext, *lprev;
	double tokens, btokens[2]; /* btokens by enum ratelimit_dir */
	int64_t last_ns, blast_ns[2], seen_ns;
	int64_t over_since_ns, last_drop_ns, ignore_until_ns;
	uint32_t streak_proven;
	int streak_tainted;
	unsigned sessions;
};

struct stripe {
	pthread_mutex_t lock;
	struct ratelimit_conf c;
	int64_t rest_ns; /* idle this long: buckets full again */
	struct rl_entry *ent, *free, *lru_head, *lru_tail;
	struct rl_entry **bucket;
	struct rl_entry overflow;
	size_t cap, count, nbuckets;
};

struct ratelimit {
	size_t nstripes;
	uint8_t hkey[crypto_shorthash_KEYBYTES];
	struct stripe st[];
};

static void make_key(const struct sockaddr *a, int plen, struct rl_key *k)
{
	memset(k, 0, sizeof(*k));
	k->family = (uint8_t)a->sa_family;
	if (a->sa_family == AF_INET) {
		memcpy(k->addr,
		       &((const struct sockaddr_in *)(const void *)a)->sin_addr,
		       4);
		k->plen = 32;
	} else if (a->sa_family == AF_INET6) {
		const struct in6_addr *v6 =
			&((const struct sockaddr_in6 *)(const void *)a)
				 ->sin6_addr;
		if (IN6_IS_ADDR_V4MAPPED(v6)) { /* an IPv4 client */
			k->family = AF_INET;
			memcpy(k->addr, v6->s6_addr + 12, 4);
			k->plen = 32;
			return;
		}
		memcpy(k->addr, v6, plen == 128 ? 16 : 8);
		k->plen = (uint8_t)(plen == 128 ? 128 : 64);
	}
}

static uint64_t hash_of(const struct ratelimit *rl, const struct rl_key *k)
{
	uint8_t h[crypto_shorthash_BYTES];
	uint64_t v;
	crypto_shorthash(h, (const uint8_t *)k, sizeof(*k), rl->hkey);
	memcpy(&v, h, sizeof(v));
	return v;
}

static void set_conf(struct stripe *s, const struct ratelimit_conf *c)
{
	s->c = *c;
	if (s->c.burst < 1)
		s->c.burst = 1;
	double rest = 1.0;
	if (s->c.pps > 0 && s->c.burst / s->c.pps > rest)
		rest = s->c.burst / s->c.pps;
	if (s->c.bytes_per_s > 0 && s->c.byte_burst / s->c.bytes_per_s > rest)
		rest = s->c.byte_burst / s->c.bytes_per_s;
	s->rest_ns = (int64_t)(rest * 1e9) + BREAK_NS;
}

struct ratelimit *ratelimit_new(const struct ratelimit_conf *c,
				size_t max_addrs)
{
	if (max_addrs < 1)
		max_addrs = 1;
	size_t ns = 1;
	while (ns < MAX_STRIPE && ns * 2 * 256 <= max_addrs)
		ns *= 2;
	struct ratelimit *rl =
		calloc(1, sizeof(*rl) + ns * sizeof(struct stripe));
	if (!rl)
		return NULL;
	rl->nstripes = ns;
	randombytes_buf(rl->hkey, sizeof(rl->hkey));
	for (size_t i = 0; i < ns; i++) {
		struct stripe *s = &rl->st[i];
		s->cap = (max_addrs + ns - 1) / ns;
		s->nbuckets = 1;
		while (s->nbuckets < 2 * s->cap)
			s->nbuckets <<= 1;
		s->ent = calloc(s->cap, sizeof(*s->ent));
		s->bucket = calloc(s->nbuckets, sizeof(*s->bucket));
		pthread_mutex_init(&s->lock, NULL);
		set_conf(s, c);
		if (!s->ent || !s->bucket) {
			rl->nstripes = i + 1;
			ratelimit_free(rl);
			return NULL;
		}
		for (size_t k = s->cap; k-- > 0;) {
			s->ent[k].lnext = s->free;
			s->free = &s->ent[k];
		}
		s->overflow.tokens = s->c.burst;
		s->overflow.btokens[0] = s->overflow.btokens[1] =
			s->c.byte_burst;
	}
	return rl;
}

void ratelimit_free(struct ratelimit *rl)
{
	if (!rl)
		return;
	for (size_t i = 0; i < rl->nstripes; i++) {
		pthread_mutex_destroy(&rl->st[i].lock);
		free(rl->st[i].ent);
		free(rl->st[i].bucket);
	}
	free(rl);
}

void ratelimit_set_conf(struct ratelimit *rl, const struct ratelimit_conf *c)
{
	for (size_t i = 0; i < rl->nstripes; i++) {
		pthread_mutex_lock(&rl->st[i].lock);
		set_conf(&rl->st[i], c);
		pthread_mutex_unlock(&rl->st[i].lock);
	}
}

static void lru_unlink(struct stripe *s, struct rl_entry *e)
{
	if (e->lprev)
		e->lprev->lnext = e->lnext;
	else
		s->lru_head = e->lnext;
	if (e->lnext)
		e->lnext->lprev = e->lprev;
	else
		s->lru_tail = e->lprev;
	e->lnext = e->lprev = NULL;
}

static void lru_append(struct stripe *s, struct rl_entry *e)
{
	e->lprev = s->lru_tail;
	e->lnext = NULL;
	if (s->lru_tail)
		s->lru_tail->lnext = e;
	else
		s->lru_head = e;
	s->lru_tail = e;
}

static void forget(struct stripe *s, struct rl_entry *e, size_t b)
{
	if (e->hprev)
		e->hprev->hnext = e->hnext;
	else
		s->bucket[b] = e->hnext;
	if (e->hnext)
		e->hnext->hprev = e->hprev;
	lru_unlink(s, e);
	memset(e, 0, sizeof(*e));
	e->lnext = s->free;
	s->free = e;
	s->count--;
}

static int at_rest(const struct stripe *s, const struct rl_entry *e,
		   int64_t now)
{
	return e->sessions == 0 &&
	       !(e->ignore_until_ns && now < e->ignore_until_ns) &&
	       now - e->seen_ns >= s->rest_ns;
}

static struct stripe *stripe_of(struct ratelimit *rl, const struct rl_key *k,
				size_t *bucket)
{
	uint64_t v = hash_of(rl, k);
	struct stripe *s = &rl->st[v & (rl->nstripes - 1)];
	*bucket = (size_t)(v >> 16) & (s->nbuckets - 1);
	return s;
}

static struct rl_entry *find(struct stripe *s, size_t b, const struct rl_key *k)
{
	for (struct rl_entry *e = s->bucket[b]; e; e = e->hnext)
		if (memcmp(&e->key, k, sizeof(*k)) == 0)
			return e;
	return NULL;
}

/* The entry of k (stripe locked), created with full buckets if new, or
 * the overflow entry when the stripe cannot make room; moved to the LRU
 * tail. */
static struct rl_entry *lookup(struct ratelimit *rl, struct stripe *s, size_t b,
			       const struct rl_key *k, int64_t now)
{
	struct rl_entry *e = find(s, b, k);
	if (e) {
		if (s->lru_tail != e) {
			lru_unlink(s, e);
			lru_append(s, e);
		}
		e->seen_ns = now;
		return e;
	}
	for (int i = 0; !s->free && i < EVICT_TRY && s->lru_head; i++) {
		struct rl_entry *h = s->lru_head;
		if (at_rest(s, h, now)) {
			size_t hb;
			stripe_of(rl, &h->key, &hb);
			forget(s, h, hb);
		} else {
			lru_unlink(s, h);
			lru_append(s, h);
		}
	}
	if (!s->free) {
		s->overflow.seen_ns = now;
		return &s->overflow;
	}
	e = s->free;
	s->free = e->lnext;
	memset(e, 0, sizeof(*e));
	e->key = *k;
	e->tokens = s->c.burst;
	e->btokens[RATELIMIT_UP] = e->btokens[RATELIMIT_DOWN] = s->c.byte_burst;
	e->last_ns = e->blast_ns[RATELIMIT_UP] = e->blast_ns[RATELIMIT_DOWN] =
		e->seen_ns = now;
	e->hnext = s->bucket[b];
	if (e->hnext)
		e->hnext->hprev = e;
	s->bucket[b] = e;
	lru_append(s, e);
	s->count++;
	return e;
}

static void refill(double *tokens, int64_t *last_ns, double rate, double depth,
		   int64_t now_ns)
{
	if (now_ns > *last_ns) {
		*tokens += rate * (double)(now_ns - *last_ns) / 1e9;
		if (*tokens > depth)
			*tokens = depth;
		*last_ns = now_ns;
	}
}

static enum ratelimit_verdict packet(struct stripe *s, struct rl_entry *e,
				     int proven, int64_t now_ns)
{
	if (e->ignore_until_ns && now_ns < e->ignore_until_ns)
		return RATELIMIT_IGNORED;
	e->ignore_until_ns = 0;
	if (s->c.pps <= 0)
		return RATELIMIT_PASS;
	refill(&e->tokens, &e->last_ns, s->c.pps, s->c.burst, now_ns);
	int streak = e->over_since_ns && now_ns - e->last_drop_ns <= BREAK_NS;
	if (streak) { /* was what it sends during the streak proven? */
		if (proven)
			e->streak_proven++;
		else
			e->streak_tainted = 1;
	}
	if (e->tokens >= 1.0) {
		e->tokens -= 1.0;
		return RATELIMIT_PASS;
	}
	if (!streak) {
		e->over_since_ns = now_ns;
		e->streak_proven = proven ? 1 : 0;
		e->streak_tainted = !proven;
	}
	e->last_drop_ns = now_ns;
	/* the penalty only for a streak every packet of which was authentic
	 * and proven: a key holder forging a source cannot earn it for the
	 * source's owner */
	if (s->c.abuse_after_ns > 0 && e != &s->overflow &&
	    now_ns - e->over_since_ns >= s->c.abuse_after_ns &&
	    e->streak_proven > 0 && !e->streak_tainted) {
		e->ignore_until_ns = now_ns + s->c.ignore_ns;
		e->over_since_ns = 0;
		return RATELIMIT_BANNED;
	}
	return RATELIMIT_DROP;
}

enum ratelimit_verdict ratelimit_packet(struct ratelimit *rl,
					const struct sockaddr *a, int proven,
					int64_t now_ns)
{
	struct rl_key k;
	size_t b;
	make_key(a, 64, &k);
	struct stripe *s = stripe_of(rl, &k, &b);
	pthread_mutex_lock(&s->lock);
	enum ratelimit_verdict v =
		packet(s, lookup(rl, s, b, &k, now_ns), proven, now_ns);
	pthread_mutex_unlock(&s->lock);
	return v;
}

int ratelimit_bytes(struct ratelimit *rl, const struct sockaddr *a,
		    enum ratelimit_dir dir, size_t n, int64_t now_ns)
{
	struct rl_key k;
	size_t b;
	make_key(a, 64, &k);
	struct stripe *s = stripe_of(rl, &k, &b);
	int ok = 1;
	pthread_mutex_lock(&s->lock);
	if (s->c.bytes_per_s > 0) {
		unsigned d =
			dir == RATELIMIT_DOWN ? RATELIMIT_DOWN : RATELIMIT_UP;
		struct rl_entry *e = lookup(rl, s, b, &k, now_ns);
		double depth = s->c.byte_burst > (double)n ? s->c.byte_burst
							   : (double)n;
		refill(&e->btokens[d], &e->blast_ns[d], s->c.bytes_per_s, depth,
		       now_ns);
		if (e->btokens[d] < (double)n)
			ok = 0;
		else
			e->btokens[d] -= (double)n;
	}
	pthread_mutex_unlock(&s->lock);
	return ok;
}

int ratelimit_is_ignored(struct ratelimit *rl, const struct sockaddr *a,
			 int64_t now_ns)
{
	struct rl_key k;
	size_t b;
	make_key(a, 64, &k);
	struct stripe *s = stripe_of(rl, &k, &b);
	pthread_mutex_lock(&s->lock);
	struct rl_entry *e = find(s, b, &k);
	int r = e && e->ignore_until_ns && now_ns < e->ignore_until_ns;
	pthread_mutex_unlock(&s->lock);
	return r;
}

/* +1 (or -1) session on the entry of a at prefix plen, within cap. */
static int session_adj(struct ratelimit *rl, const struct sockaddr *a, int plen,
		       int delta, int64_t now_ns)
{
	struct rl_key k;
	size_t b;
	int rc = 0;
	make_key(a, plen, &k);
	struct stripe *s = stripe_of(rl, &k, &b);
	pthread_mutex_lock(&s->lock);
	if (delta > 0) {
		unsigned cap = k.plen == 64 ? s->c.max_sessions_per_prefix
					    : s->c.max_sessions_per_source;
		struct rl_entry *e = lookup(rl, s, b, &k, now_ns);
		if (e == &s->overflow)
			rc = -ENOSPC; /* cannot count it: refuse */
		else if (cap && e->sessions >= cap)
			rc = -EUSERS;
		else
			e->sessions++;
	} else {
		struct rl_entry *e = find(s, b, &k);
		if (e && e->sessions)
			e->sessions--;
	}
	pthread_mutex_unlock(&s->lock);
	return rc;
}

static int is_v6(const struct sockaddr *a)
{
	return a->sa_family == AF_INET6 &&
	       !IN6_IS_ADDR_V4MAPPED(
		       &((const struct sockaddr_in6 *)(const void *)a)
				->sin6_addr);
}

int ratelimit_session_add(struct ratelimit *rl, const struct sockaddr *a,
			  int64_t now_ns)
{
	int rc = session_adj(rl, a, 128, 1, now_ns);
	if (rc < 0 || !is_v6(a))
		return rc;
	rc = session_adj(rl, a, 64, 1, now_ns);
	if (rc < 0)
		session_adj(rl, a, 128, -1, now_ns);
	return rc;
}

void ratelimit_session_del(struct ratelimit *rl, const struct sockaddr *a)
{
	session_adj(rl, a, 128, -1, 0);
	if (is_v6(a))
		session_adj(rl, a, 64, -1, 0);
}

size_t ratelimit_count(struct ratelimit *rl)
{
	size_t n = 0;
	for (size_t i = 0; i < rl->nstripes; i++) {
		pthread_mutex_lock(&rl->st[i].lock);
		n += rl->st[i].count;
		pthread_mutex_unlock(&rl->st[i].lock);
	}
	return n;
}

/* ---- global send cap ------------------------------------------------------
 */

void ratecap_init(struct ratecap *c, double bytes_per_s, double burst)
{
	int64_t ps = bytes_per_s > 0 ? (int64_t)(1e12 / bytes_per_s) : 0;
	if (bytes_per_s > 0 && ps < 1)
		ps = 1;
	atomic_store(&c->tat, 0);
	atomic_store(&c->ps_per_b, ps);
	atomic_store(&c->burst_ns, (int64_t)(burst * (double)ps / 1000.0));
}

int ratecap_take(struct ratecap *c, size_t n, int64_t now_ns)
{
	int64_t ps = atomic_load_explicit(&c->ps_per_b, memory_order_relaxed);
	if (!ps)
		return 1;
	int64_t burst =
		atomic_load_explicit(&c->burst_ns, memory_order_relaxed);
	int64_t inc = (int64_t)n * ps / 1000;
	int64_t tat = atomic_load_explicit(&c->tat, memory_order_relaxed);
	for (;;) {
		int64_t t = tat > now_ns ? tat : now_ns;
		if (t - now_ns > burst)
			return 0;
		if (atomic_compare_exchange_weak_explicit(
			    &c->tat, &tat, t + inc, memory_order_relaxed,
			    memory_order_relaxed))
			return 1;
	}
}

void ratecap_charge(struct ratecap *c, size_t n, int64_t now_ns)
{
	int64_t ps = atomic_load_explicit(&c->ps_per_b, memory_order_relaxed);
	if (!ps)
		return;
	int64_t burst =
		atomic_load_explicit(&c->burst_ns, memory_order_relaxed);
	int64_t inc = (int64_t)n * ps / 1000;
	int64_t tat = atomic_load_explicit(&c->tat, memory_order_relaxed);
	for (;;) {
		int64_t t = tat > now_ns ? tat : now_ns;
		/* empty (tat beyond now + burst) for up to one more burst:
		 * a longer debt would only outlast the flood */
		if (t - now_ns > 2 * burst)
			return;
		if (atomic_compare_exchange_weak_explicit(
			    &c->tat, &tat, t + inc, memory_order_relaxed,
			    memory_order_relaxed))
			return;
	}
}
