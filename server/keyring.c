/* SPDX-License-Identifier: MIT */
/* Per-client keys (see keyring.h): a sorted array and the shared entry. */
#include "server/keyring.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

struct keyring {
	int have_shared;
	struct keyring_ent shared;
	size_t n;
	struct keyring_ent ent[]; /* by cid, ascending */
};

static int by_cid(const void *a, const void *b)
{
	return memcmp(((const struct keyring_ent *)a)->cid,
		      ((const struct keyring_ent *)b)->cid, WIRE_CLIENT_ID_LEN);
}

struct keyring *keyring_new(const struct srvconf *c)
{
	size_t n = c->nclients > 0 ? (size_t)c->nclients : 0;
	struct keyring *k =
		calloc(1, sizeof(*k) + n * sizeof(struct keyring_ent));
	if (!k)
		return NULL;
	k->have_shared = c->have_key;
	if (c->have_key)
		memcpy(k->shared.key, c->key, WIRE_KEY_LEN);
	for (size_t i = 0; i < n; i++) {
		struct keyring_ent *e = &k->ent[i];
		snprintf(e->name, sizeof(e->name), "%s", c->clients[i].name);
		memcpy(e->cid, c->clients[i].cid, WIRE_CLIENT_ID_LEN);
		memcpy(e->key, c->clients[i].key, WIRE_KEY_LEN);
	}
	k->n = n;
	qsort(k->ent, n, sizeof(k->ent[0]), by_cid);
	return k;
}

void keyring_free(struct keyring *k)
{
	if (!k)
		return;
	sodium_memzero(k, sizeof(*k) + k->n * sizeof(struct keyring_ent));
	free(k);
}

const struct keyring_ent *
keyring_find(const struct keyring *k,
	     const uint8_t cid[static WIRE_CLIENT_ID_LEN])
{
	size_t lo = 0, hi = k->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = memcmp(k->ent[mid].cid, cid, WIRE_CLIENT_ID_LEN);
		if (c == 0)
			return &k->ent[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return k->have_shared ? &k->shared : NULL;
}

size_t keyring_count(const struct keyring *k)
{
	return k->n;
}

const char *keyring_label(const struct keyring_ent *e,
			  const uint8_t cid[static WIRE_CLIENT_ID_LEN],
			  char *buf, size_t len)
{
	if (e && e->name[0]) {
		snprintf(buf, len, "%s", e->name);
		return buf;
	}
	char hex[2 * WIRE_CLIENT_ID_LEN + 1];
	sodium_bin2hex(hex, sizeof(hex), cid, WIRE_CLIENT_ID_LEN);
	snprintf(buf, len, "id %s", hex);
	return buf;
}
