/* SPDX-License-Identifier: MIT */
/*
 * Session table (see session.h).  All memory is allocated once: an array of
 * `cap` fixed-stride entries (session + caller state), a bucket array of
 * 2*cap chains hashed by client_id with a random SipHash key (libsodium's
 * crypto_shorthash), so a client id chosen by a scanner cannot pile sessions
 * into one chain, and two LRU lists ordered by last_ns, one of pending and
 * one of validated sessions: each head is the next of its kind to expire,
 * and the pending head is the only session ever evicted to make room.
 * Invariants: an entry is on the free list or on exactly one chain and the
 * LRU list of its kind; each LRU list is sorted by last_ns (touch and
 * validate move to the tail, and time only grows).
 */
#include "server/session.h"

#include <stdalign.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "core/base/sock.h"

struct entry {
	struct session s; /* first: a session pointer is an entry pointer */
	struct entry *hnext, *hprev;
	struct entry *lnext, *lprev; /* LRU[validated], or free list (lnext) */
	int used;
	alignas(max_align_t) unsigned char priv[];
};

struct session_table {
	unsigned char *mem;
	size_t stride, cap, count, nbuckets;
	int64_t timeout_ns[2]; /* by validated */
	size_t priv_size;
	struct entry **bucket;
	struct entry *lru_head[2], *lru_tail[2], *free;
	uint8_t hkey[crypto_shorthash_KEYBYTES];
	session_remove_fn on_remove;
	void *ctx;
};

static struct entry *entry_at(struct session_table *t, size_t i)
{
	return (struct entry *)(void *)(t->mem + i * t->stride);
}

static size_t bucket_of(const struct session_table *t,
			const uint8_t cid[static WIRE_CLIENT_ID_LEN])
{
	uint8_t h[crypto_shorthash_BYTES];
	uint64_t v;
	crypto_shorthash(h, cid, WIRE_CLIENT_ID_LEN, t->hkey);
	memcpy(&v, h, sizeof(v));
	return (size_t)(v & (t->nbuckets - 1));
}

struct session_table *session_table_new(size_t cap, int64_t timeout_ns,
					int64_t pending_ns, size_t priv_size,
					session_remove_fn on_remove, void *ctx)
{
	if (cap < 1 || cap > (1u << 24))
		return NULL;
	struct session_table *t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	size_t a = alignof(max_align_t);
	t->stride = (sizeof(struct entry) + priv_size + a - 1) / a * a;
	t->cap = cap;
	t->nbuckets = 1;
	while (t->nbuckets < 2 * cap)
		t->nbuckets <<= 1;
	t->timeout_ns[1] = timeout_ns;
	t->timeout_ns[0] = pending_ns < timeout_ns ? pending_ns : timeout_ns;
	t->priv_size = priv_size;
	t->on_remove = on_remove;
	t->ctx = ctx;
	t->mem = aligned_alloc(a, t->stride * cap);
	t->bucket = calloc(t->nbuckets, sizeof(*t->bucket));
	if (!t->mem || !t->bucket) {
		free(t->mem);
		free(t->bucket);
		free(t);
		return NULL;
	}
	memset(t->mem, 0, t->stride * cap);
	for (size_t i = cap; i-- > 0;) {
		struct entry *e = entry_at(t, i);
		e->lnext = t->free;
		t->free = e;
	}
	randombytes_buf(t->hkey, sizeof(t->hkey));
	return t;
}

static void lru_unlink(struct session_table *t, struct entry *e)
{
	int k = e->s.validated ? 1 : 0;
	if (e->lprev)
		e->lprev->lnext = e->lnext;
	else
		t->lru_head[k] = e->lnext;
	if (e->lnext)
		e->lnext->lprev = e->lprev;
	else
		t->lru_tail[k] = e->lprev;
	e->lnext = e->lprev = NULL;
}

static void lru_append(struct session_table *t, struct entry *e)
{
	int k = e->s.validated ? 1 : 0;
	e->lprev = t->lru_tail[k];
	e->lnext = NULL;
	if (t->lru_tail[k])
		t->lru_tail[k]->lnext = e;
	else
		t->lru_head[k] = e;
	t->lru_tail[k] = e;
}

static void remove_entry(struct session_table *t, struct entry *e,
			 enum session_end why)
{
	if (t->on_remove)
		t->on_remove(&e->s, why, t->ctx);
	if (e->hprev)
		e->hprev->hnext = e->hnext;
	else
		t->bucket[bucket_of(t, e->s.client_id)] = e->hnext;
	if (e->hnext)
		e->hnext->hprev = e->hprev;
	lru_unlink(t, e);
	sodium_memzero(e, t->stride);
	e->lnext = t->free;
	t->free = e;
	t->count--;
}

void session_table_free(struct session_table *t)
{
	if (!t)
		return;
	for (int k = 0; k < 2; k++)
		while (t->lru_head[k])
			remove_entry(t, t->lru_head[k], SESSION_CLOSED);
	free(t->mem);
	free(t->bucket);
	free(t);
}

struct session *session_find(struct session_table *t, const struct sockaddr *a,
			     const uint8_t cid[static WIRE_CLIENT_ID_LEN])
{
	for (struct entry *e = t->bucket[bucket_of(t, cid)]; e; e = e->hnext)
		if (memcmp(e->s.client_id, cid, WIRE_CLIENT_ID_LEN) == 0 &&
		    sock_addr_equal((const struct sockaddr *)&e->s.addr, a, 0))
			return &e->s;
	return NULL;
}

struct session *session_find_cid(struct session_table *t,
				 const uint8_t cid[static WIRE_CLIENT_ID_LEN],
				 struct session *after)
{
	struct entry *e = after ? ((struct entry *)(void *)after)->hnext
				: t->bucket[bucket_of(t, cid)];
	for (; e; e = e->hnext)
		if (memcmp(e->s.client_id, cid, WIRE_CLIENT_ID_LEN) == 0)
			return &e->s;
	return NULL;
}

struct session *session_add(struct session_table *t, const struct sockaddr *a,
			    socklen_t alen,
			    const uint8_t cid[static WIRE_CLIENT_ID_LEN],
			    int64_t now_ns)
{
	if (!t->free) {
		if (!t->lru_head[0])
			return NULL; /* all validated: never evicted */
		remove_entry(t, t->lru_head[0], SESSION_EVICTED);
	}
	struct entry *e = t->free;
	t->free = e->lnext;
	memset(e, 0, t->stride);
	e->used = 1;
	if (alen > sizeof(e->s.addr))
		alen = sizeof(e->s.addr);
	memcpy(&e->s.addr, a, alen);
	e->s.addrlen = alen;
	memcpy(e->s.client_id, cid, WIRE_CLIENT_ID_LEN);
	e->s.id = randombytes_random();
	randombytes_buf(e->s.cookie, sizeof(e->s.cookie));
	e->s.created_ns = e->s.last_ns = now_ns;
	antireplay_init(&e->s.replay);
	size_t b = bucket_of(t, cid);
	e->hnext = t->bucket[b];
	if (e->hnext)
		e->hnext->hprev = e;
	t->bucket[b] = e;
	lru_append(t, e);
	t->count++;
	return &e->s;
}

void session_touch(struct session_table *t, struct session *s,
		   const struct sockaddr *a, socklen_t alen, int64_t now_ns)
{
	struct entry *e = (struct entry *)(void *)s;
	if (now_ns > s->last_ns)
		s->last_ns = now_ns;
	if (a && alen <= sizeof(s->addr)) {
		memcpy(&s->addr, a, alen);
		s->addrlen = alen;
	}
	if (t->lru_tail[s->validated ? 1 : 0] != e) {
		lru_unlink(t, e);
		lru_append(t, e);
	}
}

void session_validate(struct session_table *t, struct session *s,
		      int64_t now_ns)
{
	struct entry *e = (struct entry *)(void *)s;
	if (s->validated)
		return;
	lru_unlink(t, e);
	s->validated = 1;
	if (now_ns > s->last_ns)
		s->last_ns = now_ns;
	lru_append(t, e);
}

int session_evict_pending(struct session_table *t)
{
	if (!t->lru_head[0])
		return 0;
	remove_entry(t, t->lru_head[0], SESSION_EVICTED);
	return 1;
}

void session_remove(struct session_table *t, struct session *s)
{
	remove_entry(t, (struct entry *)(void *)s, SESSION_CLOSED);
}

void session_each(struct session_table *t,
		  void (*fn)(struct session *s, void *ctx), void *ctx)
{
	for (int k = 0; k < 2; k++)
		for (struct entry *e = t->lru_head[k], *nx; e; e = nx) {
			nx = e->lnext;
			fn(&e->s, ctx);
		}
}

size_t session_expire(struct session_table *t, int64_t now_ns)
{
	size_t n = 0;
	for (int k = 0; k < 2; k++)
		while (t->lru_head[k] &&
		       t->lru_head[k]->s.last_ns + t->timeout_ns[k] <= now_ns) {
			remove_entry(t, t->lru_head[k], SESSION_EXPIRED);
			n++;
		}
	return n;
}

int64_t session_deadline(const struct session_table *t, const struct session *s)
{
	return s->last_ns + t->timeout_ns[s->validated ? 1 : 0];
}

size_t session_count(const struct session_table *t)
{
	return t->count;
}

void *session_priv(struct session *s)
{
	return ((struct entry *)(void *)s)->priv;
}

struct session *session_of_priv(void *priv)
{
	return &((struct entry *)(void *)((unsigned char *)priv -
					  offsetof(struct entry, priv)))
			->s;
}
