/* SPDX-License-Identifier: MIT */
/*
 * Server configuration (see srvconf.h).  One table lists every key: its
 * section, type, where it lands in struct srvconf and its range.  Loading
 * walks the file rather than the table, so a key the table does not know --
 * a typo -- is an error with its line, never silently ignored.
 */
#include "server/srvconf.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <libconfig.h>
#include <sodium.h>

#include "core/base/sock.h"
#include "proto/key.h"

enum kind {
	K_INT,
	K_FLOAT,
	K_BOOL,
	K_STR,
	K_LEVEL,
	K_SECRET,
	K_SECRET_FILE,
	K_CLIENTS,
};

struct key_def {
	const char *section, *name;
	enum kind kind;
	size_t off, size; /* size: string buffer */
	double min, max;
};

#define F(field) offsetof(struct srvconf, field)

static const struct key_def keys[] = {
	{ "general", "bind_address", K_STR, F(bind_address), 64, 0, 0 },
	{ "general", "bind_port", K_INT, F(bind_port), 0, 0, 65535 },
	{ "general", "max_concurrent_clients", K_INT, F(max_concurrent_clients),
	  0, 1, 1000000 },
	{ "general", "workers", K_INT, F(workers), 0, 0, 1024 },
	{ "security", "shared_secret", K_SECRET, 0, 0, 0, 0 },
	{ "security", "shared_secret_file", K_SECRET_FILE, 0, 0, 0, 0 },
	{ "security", "clients", K_CLIENTS, 0, 0, 0, 0 },
	{ "security", "knock_timeout_sec", K_INT, F(knock_timeout_sec), 0, 1,
	  3600 },
	{ "security", "session_timeout_sec", K_INT, F(session_timeout_sec), 0,
	  5, 86400 },
	{ "security", "enable_rate_limiting", K_BOOL, F(enable_rate_limiting),
	  0, 0, 1 },
	{ "rate_limiting", "max_packets_per_second", K_FLOAT,
	  F(max_packets_per_second), 0, 1, 1e7 },
	{ "rate_limiting", "max_bandwidth_mbps", K_FLOAT, F(max_bandwidth_mbps),
	  0, 0.01, 1e5 },
	{ "rate_limiting", "burst_size", K_INT, F(burst_size), 0, 1, 1e7 },
	{ "rate_limiting", "max_total_mbps", K_FLOAT, F(max_total_mbps), 0, 0,
	  1e6 },
	{ "rate_limiting", "max_unauthenticated_pps", K_FLOAT,
	  F(max_unauth_pps), 0, 0, 1e8 },
	{ "rate_limiting", "max_sessions_per_source", K_INT,
	  F(max_sessions_per_source), 0, 0, 1000000 },
	{ "rate_limiting", "max_sessions_per_prefix", K_INT,
	  F(max_sessions_per_prefix), 0, 0, 1000000 },
	{ "logging", "level", K_LEVEL, F(level), 0, 0, 0 },
	{ "logging", "log_failed_knocks", K_BOOL, F(log_failed_knocks), 0, 0,
	  1 },
	{ "logging", "stats_interval_s", K_INT, F(stats_interval_s), 0, 0,
	  86400 },
};

#define NKEYS (sizeof(keys) / sizeof(keys[0]))

void srvconf_defaults(struct srvconf *c)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->bind_address, sizeof(c->bind_address), "0.0.0.0");
	c->bind_port = SRVCONF_DEFAULT_PORT;
	c->max_concurrent_clients = 100;
	c->workers = 0;
	c->chunk_size = 1200;
	c->max_test_bytes = 100 * 1000 * 1000;
	c->max_test_duration_s = 60;
	c->knock_timeout_sec = 60;
	c->session_timeout_sec = 300;
	c->enable_rate_limiting = 1;
	c->max_packets_per_second = 2000;
	c->max_bandwidth_mbps = 100;
	c->burst_size = 500;
	c->max_total_mbps = 1000;
	c->max_unauth_pps = 100000;
	c->max_sessions_per_source = 32;
	c->max_sessions_per_prefix = 64;
	c->abuse_after_s = 10;
	c->ignore_s = 300;
	c->level = SRVLOG_INFO;
	c->log_failed_knocks = 1;
	c->stats_interval_s = 60;
}

static const struct key_def *find_key(const char *section, const char *name)
{
	for (size_t i = 0; i < NKEYS; i++)
		if (strcmp(keys[i].section, section) == 0 &&
		    strcmp(keys[i].name, name) == 0)
			return &keys[i];
	return NULL;
}

static int known_section(const char *name)
{
	for (size_t i = 0; i < NKEYS; i++)
		if (strcmp(keys[i].section, name) == 0)
			return 1;
	return 0;
}

#define ERR(...)                                                               \
	do {                                                                   \
		snprintf(err, errlen, "%s:%d: %s.%s: ", path,                  \
			 config_setting_source_line(s), k->section, k->name);  \
		size_t n_ = strlen(err);                                       \
		snprintf(err + n_, errlen - n_, __VA_ARGS__);                  \
		return -EINVAL;                                                \
	} while (0)

/* security.clients = ( { name = "..."; client_id = "16 hex";
 * shared_secret_file = "..."; }, ... ) */
static int load_clients(struct srvconf *c, config_setting_t *list,
			const char *path, char *err, size_t errlen)
{
	int n = config_setting_length(list);
	int line = config_setting_source_line(list);
	if (config_setting_type(list) != CONFIG_TYPE_LIST &&
	    !(config_setting_type(list) == CONFIG_TYPE_ARRAY && n == 0)) {
		snprintf(err, errlen,
			 "%s:%d: security.clients: expected a list ( { name; "
			 "client_id; shared_secret_file; }, ... )",
			 path, line);
		return -EINVAL;
	}
	if (n > SRVCONF_MAX_CLIENTS) {
		snprintf(err, errlen,
			 "%s:%d: security.clients: more than %d clients", path,
			 line, SRVCONF_MAX_CLIENTS);
		return -EINVAL;
	}
	free(c->clients);
	c->nclients = 0;
	c->clients = n ? calloc((size_t)n, sizeof(*c->clients)) : NULL;
	if (n && !c->clients) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	for (int i = 0; i < n; i++) {
		config_setting_t *g =
			config_setting_get_elem(list, (unsigned)i);
		struct srvconf_client *e = &c->clients[i];
		const char *name = NULL, *id = NULL, *file = NULL;
		char kerr[160] = "";
		size_t bin = 0;
		line = config_setting_source_line(g);
		if (config_setting_type(g) != CONFIG_TYPE_GROUP) {
			snprintf(
				err, errlen,
				"%s:%d: security.clients[%d]: expected { name; "
				"client_id; shared_secret_file; }",
				path, line, i);
			return -EINVAL;
		}
		for (int j = 0; j < config_setting_length(g); j++) {
			config_setting_t *f =
				config_setting_get_elem(g, (unsigned)j);
			const char *fn = config_setting_name(f);
			const char **dst = !strcmp(fn, "name")	      ? &name
					   : !strcmp(fn, "client_id") ? &id
					   : !strcmp(fn, "shared_secret_file")
						   ? &file
						   : NULL;
			if (!dst ||
			    config_setting_type(f) != CONFIG_TYPE_STRING) {
				snprintf(err, errlen,
					 "%s:%d: security.clients[%d].%s: %s",
					 path, config_setting_source_line(f), i,
					 fn,
					 dst ? "expected a string"
					     : "unknown key (name, client_id, "
					       "shared_secret_file)");
				return -EINVAL;
			}
			*dst = config_setting_get_string(f);
		}
		if (!name || !id || !file) {
			snprintf(
				err, errlen,
				"%s:%d: security.clients[%d]: needs name, "
				"client_id and shared_secret_file (missing %s)",
				path, line, i,
				!name ? "name"
				: !id ? "client_id"
				      : "the file");
			return -EINVAL;
		}
		if (!name[0] || strlen(name) >= sizeof(e->name) ||
		    strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRS"
				 "TUVWXYZ0123456789._-@") != strlen(name)) {
			snprintf(err, errlen,
				 "%s:%d: security.clients[%d].name: 1-%zu "
				 "letters, digits or ._-@",
				 path, line, i, sizeof(e->name) - 1);
			return -EINVAL;
		}
		if (strlen(id) != 16 ||
		    sodium_hex2bin(e->cid, sizeof(e->cid), id, 16, NULL, &bin,
				   NULL) < 0 ||
		    bin != sizeof(e->cid)) {
			snprintf(err, errlen,
				 "%s:%d: security.clients[%d].client_id: "
				 "expected 16 hex digits (the client's "
				 "general.client_id)",
				 path, line, i);
			return -EINVAL;
		}
		for (int k = 0; k < i; k++)
			if (!strcmp(c->clients[k].name, name) ||
			    !memcmp(c->clients[k].cid, e->cid,
				    sizeof(e->cid))) {
				snprintf(err, errlen,
					 "%s:%d: security.clients[%d]: name or "
					 "client_id already used by \"%s\"",
					 path, line, i, c->clients[k].name);
				return -EINVAL;
			}
		snprintf(e->name, sizeof(e->name), "%s", name);
		if (key_load_file(file, e->key, kerr, sizeof(kerr)) < 0) {
			snprintf(err, errlen,
				 "%s:%d: security.clients[%d] (%s): %s", path,
				 line, i, name, kerr);
			return -EINVAL;
		}
		c->nclients = i + 1;
	}
	return 0;
}

static int apply(struct srvconf *c, const struct key_def *k,
		 config_setting_t *s, const char *path, int *secret_seen,
		 char *err, size_t errlen)
{
	char *base = (char *)c;
	int type = config_setting_type(s);
	double v = 0;
	switch (k->kind) {
	case K_INT:
	case K_FLOAT:
		if (type == CONFIG_TYPE_INT)
			v = config_setting_get_int(s);
		else if (type == CONFIG_TYPE_INT64)
			v = (double)config_setting_get_int64(s);
		else if (type == CONFIG_TYPE_FLOAT && k->kind == K_FLOAT)
			v = config_setting_get_float(s);
		else
			ERR("expected %s",
			    k->kind == K_INT ? "an integer" : "a number");
		if (v < k->min || v > k->max)
			ERR("%g is out of range %g..%g", v, k->min, k->max);
		if (k->kind == K_INT)
			*(int *)(void *)(base + k->off) = (int)v;
		else
			*(double *)(void *)(base + k->off) = v;
		return 0;
	case K_BOOL:
		if (type != CONFIG_TYPE_BOOL)
			ERR("expected true or false");
		*(int *)(void *)(base + k->off) = config_setting_get_bool(s);
		return 0;
	case K_CLIENTS:
		return load_clients(c, s, path, err, errlen);
	case K_STR:
	case K_LEVEL:
	case K_SECRET:
	case K_SECRET_FILE:
		break;
	}
	if (type != CONFIG_TYPE_STRING)
		ERR("expected a string");
	const char *str = config_setting_get_string(s);
	char kerr[160] = "";
	int rc;
	switch (k->kind) {
	case K_STR:
		if (strlen(str) >= k->size)
			ERR("longer than %zu characters", k->size - 1);
		snprintf(base + k->off, k->size, "%s", str);
		return 0;
	case K_LEVEL:
		rc = srvlog_parse_level(str);
		if (rc < 0)
			ERR("\"%s\" is not one of error, warn, info, debug",
			    str);
		c->level = rc;
		return 0;
	case K_SECRET:
	case K_SECRET_FILE:
		if (*secret_seen)
			ERR("give shared_secret or shared_secret_file, not "
			    "both");
		*secret_seen = 1;
		/* an inline secret is refused where a key file would be:
		 * in a file group or others can read */
		struct stat st;
		const char *in = config_setting_source_file(s);
		if (k->kind == K_SECRET && stat(in ? in : path, &st) == 0 &&
		    (st.st_mode & (S_IRWXG | S_IRWXO)))
			ERR("an inline secret in a file group or others can "
			    "read (mode %04o); run: chmod 600 %s, or put the "
			    "key in a file of its own and give "
			    "shared_secret_file",
			    (unsigned)(st.st_mode & 07777), in ? in : path);
		rc = k->kind == K_SECRET
			     ? key_parse_hex(str, c->key, kerr, sizeof(kerr))
			     : key_load_file(str, c->key, kerr, sizeof(kerr));
		if (rc < 0)
			ERR("%s", kerr);
		c->have_key = 1;
		return 0;
	default:
		return 0;
	}
}

#undef ERR

/* libconfig frees its strings unwiped: wipe the inline secret first. */
static void wipe_secret(config_t *cfg)
{
	config_setting_t *s = config_lookup(cfg, "security.shared_secret");
	const char *v = s ? config_setting_get_string(s) : NULL;
	if (v)
		sodium_memzero((char *)v, strlen(v));
}

int srvconf_load(struct srvconf *c, const char *path, char *err, size_t errlen)
{
	config_t cfg;
	int rc = 0, secret_seen = 0;
	config_init(&cfg);
	if (!config_read_file(&cfg, path)) {
		if (config_error_type(&cfg) == CONFIG_ERR_FILE_IO) {
			rc = errno ? -errno : -ENOENT;
			snprintf(err, errlen, "%s: cannot read: %s", path,
				 strerror(-rc));
		} else {
			rc = -EINVAL;
			snprintf(err, errlen, "%s:%d: %s", path,
				 config_error_line(&cfg),
				 config_error_text(&cfg));
		}
		goto out;
	}
	config_setting_t *root = config_root_setting(&cfg);
	for (int i = 0; i < config_setting_length(root); i++) {
		config_setting_t *sec =
			config_setting_get_elem(root, (unsigned)i);
		const char *sname = config_setting_name(sec);
		if (!known_section(sname) ||
		    config_setting_type(sec) != CONFIG_TYPE_GROUP) {
			snprintf(err, errlen, "%s:%d: %s: %s", path,
				 config_setting_source_line(sec), sname,
				 known_section(sname) ? "expected a group { }"
						      : "unknown section");
			rc = -EINVAL;
			goto out;
		}
		for (int j = 0; j < config_setting_length(sec); j++) {
			config_setting_t *s =
				config_setting_get_elem(sec, (unsigned)j);
			const struct key_def *k =
				find_key(sname, config_setting_name(s));
			if (!k) {
				snprintf(err, errlen,
					 "%s:%d: %s.%s: unknown key", path,
					 config_setting_source_line(s), sname,
					 config_setting_name(s));
				rc = -EINVAL;
				goto out;
			}
			rc = apply(c, k, s, path, &secret_seen, err, errlen);
			if (rc < 0)
				goto out;
		}
	}
	if (c->bind_address[0]) {
		struct sockaddr_storage ss;
		socklen_t sl;
		if (sock_parse_addr(c->bind_address, 0, &ss, &sl) < 0 ||
		    strchr(c->bind_address, ']')) {
			snprintf(err, errlen,
				 "%s: general.bind_address: \"%s\" is not a "
				 "numeric IPv4 or IPv6 address",
				 path, c->bind_address);
			rc = -EINVAL;
		}
	}
out:
	wipe_secret(&cfg);
	config_destroy(&cfg);
	return rc;
}

int srvconf_set_bind(struct srvconf *c, const char *text, char *err,
		     size_t errlen)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	if (sock_parse_addr(text, 0, &ss, &sl) < 0) {
		snprintf(err, errlen,
			 "--bind %s: expected ADDR:PORT, [V6ADDR]:PORT or ADDR",
			 text);
		return -EINVAL;
	}
	/* a port is given as "]:" after a v6 address or one lone colon */
	const char *colon = strchr(text, ':');
	int has_port = text[0] == '[' ? strstr(text, "]:") != NULL
				      : colon && !strchr(colon + 1, ':');
	if (has_port)
		c->bind_port =
			ntohs(ss.ss_family == AF_INET6
				      ? ((struct sockaddr_in6 *)&ss)->sin6_port
				      : ((struct sockaddr_in *)&ss)->sin_port);
	sock_addr_to_text((struct sockaddr *)&ss, c->bind_address,
			  sizeof(c->bind_address));
	return 0;
}

void srvconf_wipe(struct srvconf *c)
{
	key_wipe(c->key);
	c->have_key = 0;
	if (c->clients)
		sodium_memzero(c->clients,
			       (size_t)c->nclients * sizeof(*c->clients));
	free(c->clients);
	c->clients = NULL;
	c->nclients = 0;
}
