/* SPDX-License-Identifier: MIT */
/*
 * The keys a server accepts (PROTOCOL.md rule 14): the shared secret (the
 * simple default, any client_id) and/or a list of clients, each a name, a
 * client_id and its own secret.  A client_id on the list is accepted only
 * under its own key; any other id only under the shared secret, and not at
 * all when the server has none.  So removing a client from the list (and
 * SIGHUP) revokes it: its key opens nothing any more.
 *
 * Immutable once built; each worker owns its copy (a reload builds new
 * ones), so lookups take no lock.  Lookup is a binary search by id.
 */
#ifndef BB_KEYRING_H
#define BB_KEYRING_H

#include <stddef.h>
#include <stdint.h>

#include "proto/wire.h"
#include "server/srvconf.h"

struct keyring_ent {
	char name[SRVCONF_NAME_LEN]; /* "" for the shared secret */
	uint8_t cid[WIRE_CLIENT_ID_LEN];
	uint8_t key[WIRE_KEY_LEN];
};

struct keyring;

/* The keys of a configuration (copied); NULL on out of memory. */
struct keyring *keyring_new(const struct srvconf *c);
/* Wipe and free (NULL is fine). */
void keyring_free(struct keyring *k);
/* The key cid must use: its own entry, else the shared secret's, else
 * NULL (unknown or revoked). */
const struct keyring_ent *
keyring_find(const struct keyring *k,
	     const uint8_t cid[static WIRE_CLIENT_ID_LEN]);
/* Number of listed clients. */
size_t keyring_count(const struct keyring *k);
/* "name" of a listed client, or "id <16 hex>" for the shared secret's
 * clients, into buf (for log lines). */
const char *keyring_label(const struct keyring_ent *e,
			  const uint8_t cid[static WIRE_CLIENT_ID_LEN],
			  char *buf, size_t len);

#endif
