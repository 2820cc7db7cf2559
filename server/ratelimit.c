/* SPDX-License-Identifier: MIT */
/*
 * Token buckets per address (see ratelimit.h).  Buckets refill lazily from
 * the time elapsed since the address was last seen, so an idle address costs
 * nothing; the table is a fixed array of entries on SipHash-keyed chains
 * plus an LRU list whose head is forgotten when a new address needs room.
 * Forgetting an address hands it a full bucket again, which is why an
 * address in the penalty box is touched (moved to the tail) on every
 * packet: a flood of other addresses has to outnumber the table to free it.
 */
#include "server/ratelimit.h"

#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#define BREAK_NS 1000000000LL /* a second without drops ends a streak */

struct rl_key {
	uint8_t family;
	uint8_t addr[16];
};

struct rl_entry {
	struct rl_key key;
	struct rl_entry *hnext, *hprev, *lnext, *lprev;
	double tokens, btokens[2]; /* btokens by enum ratelimit_dir */
	int64_t last_ns, blast_ns[2];
	int64_t over_since_ns, last_drop_ns, ignore_until_ns;
};

struct ratelimit {
	struct ratelimit_conf c;
	struct rl_entry *ent, *free, *lru_head, *lru_tail;
	struct rl_entry **bucket;
	size_t cap, count, nbuckets;
	uint8_t hkey[crypto_shorthash_KEYBYTES];
};

static void make_key(const struct sockaddr *a, struct rl_key *k)
{
	memset(k, 0, sizeof(*k));
	k->family = (uint8_t)a->sa_family;
	if (a->sa_family == AF_INET)
		memcpy(k->addr,
		       &((const struct sockaddr_in *)(const void *)a)->sin_addr,
		       4);
	else if (a->sa_family == AF_INET6)
		memcpy(k->addr,
		       &((const struct sockaddr_in6 *)(const void *)a)
				->sin6_addr,
		       16);
}

static size_t bucket_of(const struct ratelimit *rl, const struct rl_key *k)
{
	uint8_t h[crypto_shorthash_BYTES];
	uint64_t v;
	crypto_shorthash(h, (const uint8_t *)k, sizeof(*k), rl->hkey);
	memcpy(&v, h, sizeof(v));
	return (size_t)(v & (rl->nbuckets - 1));
}

struct ratelimit *ratelimit_new(const struct ratelimit_conf *c,
				size_t max_addrs)
{
	if (max_addrs < 1)
		max_addrs = 1;
	struct ratelimit *rl = calloc(1, sizeof(*rl));
	if (!rl)
		return NULL;
	rl->c = *c;
	if (rl->c.burst < 1)
		rl->c.burst = 1;
	rl->cap = max_addrs;
	rl->nbuckets = 1;
	while (rl->nbuckets < 2 * max_addrs)
		rl->nbuckets <<= 1;
	rl->ent = calloc(max_addrs, sizeof(*rl->ent));
	rl->bucket = calloc(rl->nbuckets, sizeof(*rl->bucket));
	if (!rl->ent || !rl->bucket) {
		ratelimit_free(rl);
		return NULL;
	}
	for (size_t i = max_addrs; i-- > 0;) {
		rl->ent[i].lnext = rl->free;
		rl->free = &rl->ent[i];
	}
	randombytes_buf(rl->hkey, sizeof(rl->hkey));
	return rl;
}

void ratelimit_free(struct ratelimit *rl)
{
	if (!rl)
		return;
	free(rl->ent);
	free(rl->bucket);
	free(rl);
}

static void lru_unlink(struct ratelimit *rl, struct rl_entry *e)
{
	if (e->lprev)
		e->lprev->lnext = e->lnext;
	else
		rl->lru_head = e->lnext;
	if (e->lnext)
		e->lnext->lprev = e->lprev;
	else
		rl->lru_tail = e->lprev;
	e->lnext = e->lprev = NULL;
}

static void lru_append(struct ratelimit *rl, struct rl_entry *e)
{
	e->lprev = rl->lru_tail;
	e->lnext = NULL;
	if (rl->lru_tail)
		rl->lru_tail->lnext = e;
	else
		rl->lru_head = e;
	rl->lru_tail = e;
}

static void forget(struct ratelimit *rl, struct rl_entry *e)
{
	if (e->hprev)
		e->hprev->hnext = e->hnext;
	else
		rl->bucket[bucket_of(rl, &e->key)] = e->hnext;
	if (e->hnext)
		e->hnext->hprev = e->hprev;
	lru_unlink(rl, e);
	memset(e, 0, sizeof(*e));
	e->lnext = rl->free;
	rl->free = e;
	rl->count--;
}

/* The entry of a, created with full buckets if new; moved to the LRU tail. */
static struct rl_entry *lookup(struct ratelimit *rl, const struct sockaddr *a,
			       int64_t now_ns)
{
	struct rl_key k;
	make_key(a, &k);
	size_t b = bucket_of(rl, &k);
	struct rl_entry *e;
	for (e = rl->bucket[b]; e; e = e->hnext)
		if (memcmp(&e->key, &k, sizeof(k)) == 0)
			break;
	if (e) {
		if (rl->lru_tail != e) {
			lru_unlink(rl, e);
			lru_append(rl, e);
		}
		return e;
	}
	if (!rl->free)
		forget(rl, rl->lru_head);
	e = rl->free;
	rl->free = e->lnext;
	memset(e, 0, sizeof(*e));
	e->key = k;
	e->tokens = rl->c.burst;
	e->btokens[RATELIMIT_UP] = e->btokens[RATELIMIT_DOWN] =
		rl->c.byte_burst;
	e->last_ns = e->blast_ns[RATELIMIT_UP] = e->blast_ns[RATELIMIT_DOWN] =
		now_ns;
	e->hnext = rl->bucket[b];
	if (e->hnext)
		e->hnext->hprev = e;
	rl->bucket[b] = e;
	lru_append(rl, e);
	rl->count++;
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

enum ratelimit_verdict
ratelimit_packet(struct ratelimit *rl, const struct sockaddr *a, int64_t now_ns)
{
	struct rl_entry *e = lookup(rl, a, now_ns);
	if (e->ignore_until_ns && now_ns < e->ignore_until_ns)
		return RATELIMIT_IGNORED;
	e->ignore_until_ns = 0;
	if (rl->c.pps <= 0)
		return RATELIMIT_PASS;
	refill(&e->tokens, &e->last_ns, rl->c.pps, rl->c.burst, now_ns);
	if (e->tokens >= 1.0) {
		e->tokens -= 1.0;
		return RATELIMIT_PASS;
	}
	if (!e->over_since_ns || now_ns - e->last_drop_ns > BREAK_NS)
		e->over_since_ns = now_ns;
	e->last_drop_ns = now_ns;
	if (rl->c.abuse_after_ns > 0 &&
	    now_ns - e->over_since_ns >= rl->c.abuse_after_ns) {
		e->ignore_until_ns = now_ns + rl->c.ignore_ns;
		e->over_since_ns = 0;
		return RATELIMIT_IGNORED;
	}
	return RATELIMIT_DROP;
}

int ratelimit_bytes(struct ratelimit *rl, const struct sockaddr *a,
		    enum ratelimit_dir dir, size_t n, int64_t now_ns)
{
	if (rl->c.bytes_per_s <= 0)
		return 1;
	unsigned d = dir == RATELIMIT_DOWN ? RATELIMIT_DOWN : RATELIMIT_UP;
	struct rl_entry *e = lookup(rl, a, now_ns);
	double depth =
		rl->c.byte_burst > (double)n ? rl->c.byte_burst : (double)n;
	refill(&e->btokens[d], &e->blast_ns[d], rl->c.bytes_per_s, depth,
	       now_ns);
	if (e->btokens[d] < (double)n)
		return 0;
	e->btokens[d] -= (double)n;
	return 1;
}

int ratelimit_is_ignored(struct ratelimit *rl, const struct sockaddr *a,
			 int64_t now_ns)
{
	struct rl_key k;
	make_key(a, &k);
	for (struct rl_entry *e = rl->bucket[bucket_of(rl, &k)]; e;
	     e = e->hnext)
		if (memcmp(&e->key, &k, sizeof(k)) == 0)
			return e->ignore_until_ns &&
			       now_ns < e->ignore_until_ns;
	return 0;
}

size_t ratelimit_count(const struct ratelimit *rl)
{
	return rl->count;
}
