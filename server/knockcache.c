/* SPDX-License-Identifier: MIT */
/*
 * Knock replay cache (see knockcache.h): a ring of the last `slots` claims,
 * searched linearly.  The oldest claim is overwritten first; with the
 * default 4096 slots that is older than the 60 s replay window unless
 * authentic knocks arrive at over 60 per second, which the per-address
 * rate limit and the session cap make a non-issue.
 */
#include "server/knockcache.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

struct claim {
	uint8_t cid[WIRE_CLIENT_ID_LEN];
	uint64_t nonce_ts;
};

struct knockcache {
	pthread_mutex_t lock;
	struct claim *c;
	size_t slots, next;
};

struct knockcache *knockcache_new(size_t slots)
{
	struct knockcache *kc = calloc(1, sizeof(*kc));
	if (!kc)
		return NULL;
	kc->slots = slots ? slots : 1;
	kc->c = calloc(kc->slots, sizeof(*kc->c));
	if (!kc->c || pthread_mutex_init(&kc->lock, NULL) != 0) {
		free(kc->c);
		free(kc);
		return NULL;
	}
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

int knockcache_claim(struct knockcache *kc,
		     const uint8_t cid[static WIRE_CLIENT_ID_LEN],
		     uint64_t nonce_ts)
{
	int rc = 0;
	pthread_mutex_lock(&kc->lock);
	for (size_t i = 0; i < kc->slots; i++)
		if (kc->c[i].nonce_ts == nonce_ts &&
		    memcmp(kc->c[i].cid, cid, WIRE_CLIENT_ID_LEN) == 0) {
			rc = -EALREADY;
			goto out;
		}
	memcpy(kc->c[kc->next].cid, cid, WIRE_CLIENT_ID_LEN);
	kc->c[kc->next].nonce_ts = nonce_ts;
	kc->next = (kc->next + 1) % kc->slots;
out:
	pthread_mutex_unlock(&kc->lock);
	return rc;
}
