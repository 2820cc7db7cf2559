/* SPDX-License-Identifier: MIT */
/*
 * Knock replay cache (see knockcache.h): an open-addressing hash table
 * keyed by SipHash(cid, nonce_ts) under a random key (a client cannot aim
 * its knocks at one probe run).  A claim lives in one of the PROBE slots
 * after its hash; a slot is free when empty or when its nonce_ts has left
 * the acceptance window (nonce_ts + window < now: the clock check refuses
 * that knock by itself), so nothing live is ever overwritten.  A lookup
 * scans all PROBE slots (expired ones included: they cannot match a fresh
 * nonce), an insert takes the first free one, or refuses.
 */
#include "server/knockcache.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "proto/antireplay.h"

#define PROBE	  32
#define WINDOW_NS (REPLAY_CLOCK_NS + 1000000000ULL) /* + 1 s of margin */

struct claim {
	uint8_t cid[WIRE_CLIENT_ID_LEN];
	uint64_t nonce_ts; /* 0 = empty */
};

struct knockcache {
	pthread_mutex_t lock;
	struct claim *c;
	size_t mask;
	uint64_t start_ns;
	uint8_t hkey[crypto_shorthash_KEYBYTES];
};

struct knockcache *knockcache_new(size_t slots, uint64_t start_real_ns)
{
	struct knockcache *kc = calloc(1, sizeof(*kc));
	if (!kc)
		return NULL;
	size_t n = PROBE;
	while (n < slots)
		n <<= 1;
	kc->mask = n - 1;
	kc->start_ns = start_real_ns;
	kc->c = calloc(n, sizeof(*kc->c));
	if (!kc->c || pthread_mutex_init(&kc->lock, NULL) != 0) {
		free(kc->c);
		free(kc);
		return NULL;
	}
	randombytes_buf(kc->hkey, sizeof(kc->hkey));
	return kc;
}

void knockcache_free(struct knockcache *kc)
{
	if (!kc)
		return;
	pthread_mutex_destroy(&kc->lock);
	free(kc->c);
	free(kc);
}

static int live(const struct claim *c, uint64_t now)
{
	return c->nonce_ts && c->nonce_ts + WINDOW_NS >= now;
}

int knockcache_claim(struct knockcache *kc,
		     const uint8_t cid[static WIRE_CLIENT_ID_LEN],
		     uint64_t nonce_ts, uint64_t now_real_ns)
{
	if (nonce_ts < kc->start_ns)
		return -ESTALE; /* may have been accepted before a restart */
	if (nonce_ts == 0)
		return -EINVAL;
	uint8_t in[WIRE_CLIENT_ID_LEN + 8], h[crypto_shorthash_BYTES];
	uint64_t v;
	memcpy(in, cid, WIRE_CLIENT_ID_LEN);
	memcpy(in + WIRE_CLIENT_ID_LEN, &nonce_ts, 8);
	crypto_shorthash(h, in, sizeof(in), kc->hkey);
	memcpy(&v, h, sizeof(v));

	int rc = -ENOSPC;
	struct claim *slot = NULL;
	pthread_mutex_lock(&kc->lock);
	for (size_t i = 0; i < PROBE; i++) {
		struct claim *c = &kc->c[(v + i) & kc->mask];
		if (c->nonce_ts == nonce_ts &&
		    memcmp(c->cid, cid, WIRE_CLIENT_ID_LEN) == 0) {
			rc = -EALREADY;
			slot = NULL;
			break;
		}
		if (!slot && !live(c, now_real_ns))
			slot = c;
	}
	if (slot) {
		memcpy(slot->cid, cid, WIRE_CLIENT_ID_LEN);
		slot->nonce_ts = nonce_ts;
		rc = 0;
	}
	pthread_mutex_unlock(&kc->lock);
	return rc;
}

size_t knockcache_live(struct knockcache *kc, uint64_t now_real_ns)
{
	size_t n = 0;
	pthread_mutex_lock(&kc->lock);
	for (size_t i = 0; i <= kc->mask; i++)
		n += (size_t)live(&kc->c[i], now_real_ns);
	pthread_mutex_unlock(&kc->lock);
	return n;
}
