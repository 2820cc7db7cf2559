/* SPDX-License-Identifier: MIT */
/*
 * bufferbane-server's configuration: the libconfig file documented in
 * etc/bufferbane-server.conf (INTERFACES.md "Server"), every key with its
 * default, range and meaning in one table.  Unknown keys and wrong types are
 * errors reported as "FILE:LINE: section.key: what".  The shared secret is
 * read from security.shared_secret (64 hex) or security.shared_secret_file
 * (mode 0600 enforced by proto/key.c) straight into a fixed array; wipe it
 * with srvconf_wipe.  security.clients lists clients with keys of their
 * own ({ name; client_id; shared_secret_file; }, rule 14); a server needs
 * the shared secret, a client list, or both.
 */
#ifndef BB_SRVCONF_H
#define BB_SRVCONF_H

#include <stddef.h>
#include <stdint.h>

#include "proto/key.h"
#include "server/srvlog.h"

#define SRVCONF_DEFAULT_PORT 9876
#define SRVCONF_PATH	     "/etc/bufferbane/bufferbane-server.conf"
#define SRVCONF_NAME_LEN     64
#define SRVCONF_MAX_CLIENTS  65536

/* One entry of security.clients (rule 14): its own key file. */
struct srvconf_client {
	char name[SRVCONF_NAME_LEN];
	uint8_t cid[8];
	uint8_t key[KEY_LEN];
};

struct srvconf {
	/* general */
	char bind_address[64];
	int bind_port;
	int max_concurrent_clients;
	int workers; /* 0 = one per online core */
	/* not in the file (yet): built-in values */
	int chunk_size; /* UDP payload of DATA packets */
	int max_test_bytes;
	int max_test_duration_s;
	/* security */
	uint8_t key[KEY_LEN];
	int have_key;
	struct srvconf_client *clients; /* security.clients, malloc'd */
	int nclients;
	int knock_timeout_sec;
	int session_timeout_sec;
	int enable_rate_limiting;
	/* rate_limiting */
	double max_packets_per_second;
	double max_bandwidth_mbps;
	int burst_size;
	double max_total_mbps; /* everything sent; 0 = no cap */
	double max_unauth_pps; /* AEAD opens/s nobody vouches for; 0 = any */
	int max_sessions_per_source; /* validated, per address; 0 = no cap */
	int max_sessions_per_prefix; /* validated, per IPv6 /64; 0 = none */
	int abuse_after_s;	     /* built-in */
	int ignore_s;		     /* built-in */
	/* logging */
	int level; /* enum srvlog_level */
	int log_failed_knocks;
	int stats_interval_s; /* 0 = no stats line */
};

/* Built-in defaults (no key). */
void srvconf_defaults(struct srvconf *c);
/* Read FILE over the defaults in c.  0, or -EINVAL/-errno with
 * "FILE:LINE: key: what" in err. */
int srvconf_load(struct srvconf *c, const char *path, char *err, size_t errlen);
/* Apply "--bind ADDR:PORT" (v4:port, [v6]:port, or an address alone).
 * 0 or -EINVAL with a reason. */
int srvconf_set_bind(struct srvconf *c, const char *text, char *err,
		     size_t errlen);
/* Call fn with the path of every key a file may set ("general.bind_port",
 * ..., "security.clients.name", ...; for the manual's test). */
void srvconf_keys(void (*fn)(const char *path, void *arg), void *arg);
/* Wipe the keys and free the client list. */
void srvconf_wipe(struct srvconf *c);

#endif
