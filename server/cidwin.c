/* SPDX-License-Identifier: MIT */
/*
 * Shared per-client_id replay windows (see cidwin.h).  Stripes chosen by
 * a SipHash of the client id under a random key (ids are chosen by
 * clients), each a mutex over a few hash chains; entries are allocated
 * per id and freed with their last holder.  Lock order: stripe, then
 * entry.  cidwin_commit takes only the entry's lock: a held entry cannot
 * be freed under it.
 */
#include "server/cidwin.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "proto/antireplay.h"

#define NSTRIPES 64

struct cidwin_ent {
	uint8_t cid[WIRE_CLIENT_ID_LEN];
	struct cidwin_ent *next; /* hash chain */
	unsigned refs;		 /* sessions holding it (stripe lock) */
	pthread_mutex_t lock;	 /* the window */
	struct antireplay_wide win;
};

struct stripe {
	pthread_mutex_t lock;
	size_t count;
	struct cidwin_ent **bucket;
};

struct cidwin {
	uint8_t hkey[crypto_shorthash_KEYBYTES];
	size_t nbuckets; /* per stripe, power of two */
	struct stripe st[NSTRIPES];
};

struct cidwin *cidwin_new(size_t max_clients)
{
	struct cidwin *t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	randombytes_buf(t->hkey, sizeof(t->hkey));
	t->nbuckets = 4;
	while (t->nbuckets * NSTRIPES < max_clients)
		t->nbuckets <<= 1;
	for (int i = 0; i < NSTRIPES; i++) {
		pthread_mutex_init(&t->st[i].lock, NULL);
		t->st[i].bucket = calloc(t->nbuckets, sizeof(void *));
		if (!t->st[i].bucket) {
			cidwin_free(t);
			return NULL;
		}
	}
	return t;
}

static void ent_free(struct cidwin_ent *e)
{
	pthread_mutex_destroy(&e->lock);
	antireplay_wide_free(&e->win);
	free(e);
}

void cidwin_free(struct cidwin *t)
{
	if (!t)
		return;
	for (int i = 0; i < NSTRIPES; i++) {
		struct stripe *s = &t->st[i];
		for (size_t b = 0; s->bucket && b < t->nbuckets; b++)
			for (struct cidwin_ent *e = s->bucket[b], *nx; e;
			     e = nx) {
				nx = e->next;
				ent_free(e);
			}
		free(s->bucket);
		pthread_mutex_destroy(&s->lock);
	}
	free(t);
}

static struct stripe *where(struct cidwin *t,
			    const uint8_t cid[static WIRE_CLIENT_ID_LEN],
			    struct cidwin_ent ***chain)
{
	uint8_t h[crypto_shorthash_BYTES];
	uint64_t v;
	crypto_shorthash(h, cid, WIRE_CLIENT_ID_LEN, t->hkey);
	memcpy(&v, h, sizeof(v));
	struct stripe *s = &t->st[v % NSTRIPES];
	*chain = &s->bucket[(v / NSTRIPES) & (t->nbuckets - 1)];
	return s;
}

static struct cidwin_ent *find(struct cidwin_ent *e,
			       const uint8_t cid[static WIRE_CLIENT_ID_LEN])
{
	for (; e; e = e->next)
		if (memcmp(e->cid, cid, WIRE_CLIENT_ID_LEN) == 0)
			return e;
	return NULL;
}

int cidwin_check(struct cidwin *t, const uint8_t cid[static WIRE_CLIENT_ID_LEN],
		 uint64_t nonce_ts, uint64_t now_ns)
{
	struct cidwin_ent **chain;
	struct stripe *s = where(t, cid, &chain);
	int rc = 0;
	pthread_mutex_lock(&s->lock);
	struct cidwin_ent *e = find(*chain, cid);
	if (e) {
		pthread_mutex_lock(&e->lock);
		rc = antireplay_wide_check(&e->win, nonce_ts, now_ns);
		pthread_mutex_unlock(&e->lock);
	}
	pthread_mutex_unlock(&s->lock);
	return rc;
}

struct cidwin_ent *cidwin_open(struct cidwin *t,
			       const uint8_t cid[static WIRE_CLIENT_ID_LEN],
			       uint64_t nonce_ts, uint64_t now_ns, int *err)
{
	struct cidwin_ent **chain;
	struct stripe *s = where(t, cid, &chain);
	int rc;
	pthread_mutex_lock(&s->lock);
	struct cidwin_ent *e = find(*chain, cid);
	if (!e) {
		e = calloc(1, sizeof(*e));
		if (!e || antireplay_wide_init(&e->win, nonce_ts) < 0) {
			free(e);
			pthread_mutex_unlock(&s->lock);
			*err = -ENOMEM;
			return NULL;
		}
		memcpy(e->cid, cid, WIRE_CLIENT_ID_LEN);
		pthread_mutex_init(&e->lock, NULL);
		e->next = *chain;
		*chain = e;
		s->count++;
	}
	pthread_mutex_lock(&e->lock);
	rc = antireplay_wide_check(&e->win, nonce_ts, now_ns);
	if (rc == 0)
		rc = antireplay_wide_commit(&e->win, nonce_ts, now_ns);
	pthread_mutex_unlock(&e->lock);
	if (rc == 0) {
		e->refs++;
	} else if (e->refs == 0) { /* just created for nothing */
		for (struct cidwin_ent **p = chain; *p; p = &(*p)->next)
			if (*p == e) {
				*p = e->next;
				break;
			}
		s->count--;
		ent_free(e);
		e = NULL;
	} else {
		e = NULL;
	}
	pthread_mutex_unlock(&s->lock);
	if (!e)
		*err = rc;
	return e;
}

int cidwin_commit(struct cidwin_ent *e, uint64_t nonce_ts, uint64_t now_ns)
{
	pthread_mutex_lock(&e->lock);
	int rc = antireplay_wide_check(&e->win, nonce_ts, now_ns);
	if (rc == 0)
		rc = antireplay_wide_commit(&e->win, nonce_ts, now_ns);
	pthread_mutex_unlock(&e->lock);
	return rc;
}

void cidwin_close(struct cidwin *t, struct cidwin_ent *e)
{
	if (!e)
		return;
	struct cidwin_ent **chain;
	struct stripe *s = where(t, e->cid, &chain);
	pthread_mutex_lock(&s->lock);
	if (e->refs && --e->refs == 0) {
		for (struct cidwin_ent **p = chain; *p; p = &(*p)->next)
			if (*p == e) {
				*p = e->next;
				break;
			}
		s->count--;
		ent_free(e);
	}
	pthread_mutex_unlock(&s->lock);
}

size_t cidwin_count(struct cidwin *t)
{
	size_t n = 0;
	for (int i = 0; i < NSTRIPES; i++) {
		pthread_mutex_lock(&t->st[i].lock);
		n += t->st[i].count;
		pthread_mutex_unlock(&t->st[i].lock);
	}
	return n;
}
