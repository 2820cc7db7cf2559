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
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <libconfig.h>
#include <sodium.h>

#include "core/base/cfgtable.h"
#include "core/base/sock.h"
#include "proto/key.h"

static int check_bind(const char *v, char *why, size_t n)
{
	struct sockaddr_storage ss;
	socklen_t sl;

	if (v[0] && (sock_parse_addr(v, 0, &ss, &sl) < 0 || strchr(v, ']')))
		return cfgtable_why(why, n,
				    "\"%s\" is not a numeric IPv4 or IPv6 "
				    "address",
				    v);
	return 0;
}

static int load_secret(struct cfgtable_load *ld, const struct cfgtable_opt *o,
		       const config_setting_t *s, const char *path, void *base);
static int load_clients(struct cfgtable_load *ld, const struct cfgtable_opt *o,
			const config_setting_t *list, const char *path,
			void *base);
static int load_level(struct cfgtable_load *ld, const struct cfgtable_opt *o,
		      const config_setting_t *s, const char *path, void *base);

#define C_ struct srvconf
#define INT(sec, k, f, lo, hi, d, u)                                           \
	{                                                                      \
		.section = sec, .key = k, .type = CFGT_INT,                    \
		CFGTABLE_FIELD(C_, f), .min = lo, .max = hi, .def = d,         \
		.unit = u                                                      \
	}
#define FLT(sec, k, f, lo, hi, d, u)                                           \
	{                                                                      \
		.section = sec, .key = k, .type = CFGT_FLOAT,                  \
		CFGTABLE_FIELD(C_, f), .min = lo, .max = hi, .def = d,         \
		.unit = u                                                      \
	}
#define BOOL(sec, k, f, d)                                                     \
	{                                                                      \
		.section = sec, .key = k, .type = CFGT_BOOL,                   \
		CFGTABLE_FIELD(C_, f), .def = d                                \
	}
#define CUSTOM(sec, k, fn)                                                     \
	{                                                                      \
		.section = sec, .key = k, .type = CFGT_CUSTOM, .load = fn      \
	}

#define G  "general"
#define S  "security"
#define RL "rate_limiting"
#define L  "logging"
static const struct cfgtable_opt keys[] = {
	{ .section = G,
	  .key = "bind_address",
	  .type = CFGT_STR,
	  CFGTABLE_FIELD(C_, bind_address),
	  .def_s = "0.0.0.0",
	  .check = check_bind },
	INT(G, "bind_port", bind_port, 0, 65535, SRVCONF_DEFAULT_PORT, NULL),
	INT(G, "max_concurrent_clients", max_concurrent_clients, 1, 1000000,
	    100, "clients"),
	INT(G, "workers", workers, 0, 1024, 0, "threads (0 = one per core)"),
	CUSTOM(S, "shared_secret", load_secret),
	CUSTOM(S, "shared_secret_file", load_secret),
	CUSTOM(S, "clients", load_clients),
	INT(S, "knock_timeout_sec", knock_timeout_sec, 1, 3600, 60, "s"),
	INT(S, "session_timeout_sec", session_timeout_sec, 5, 86400, 300, "s"),
	BOOL(S, "enable_rate_limiting", enable_rate_limiting, 1),
	FLT(RL, "max_packets_per_second", max_packets_per_second, 1, 1e7, 2000,
	    "packets/s"),
	FLT(RL, "max_bandwidth_mbps", max_bandwidth_mbps, 0.01, 1e5, 100,
	    "Mbit/s"),
	INT(RL, "burst_size", burst_size, 1, 10000000, 500, "packets"),
	FLT(RL, "max_total_mbps", max_total_mbps, 0, 1e6, 1000,
	    "Mbit/s, 0 = no cap"),
	FLT(RL, "max_unauthenticated_pps", max_unauth_pps, 0, 1e8, 100000,
	    "packets/s, 0 = no cap"),
	INT(RL, "max_sessions_per_source", max_sessions_per_source, 0, 1000000,
	    32, "sessions, 0 = no cap"),
	INT(RL, "max_sessions_per_prefix", max_sessions_per_prefix, 0, 1000000,
	    64, "sessions, 0 = no cap"),
	CUSTOM(L, "level", load_level),
	BOOL(L, "log_failed_knocks", log_failed_knocks, 1),
	INT(L, "stats_interval_s", stats_interval_s, 0, 86400, 60,
	    "s, 0 = none"),
};
#undef G
#undef S
#undef RL
#undef L

static const char *const sections[] = { "general", "security", "rate_limiting",
					"logging" };

/* Keys of the original templates (server.conf.template) users paste, and
 * what to use instead. */
static const struct cfgtable_advice advice[] = {
	{ "general.shared_secret",
	  "use security.shared_secret (or security.shared_secret_file)" },
	{ "security.knock_timeout_window_s", "use security.knock_timeout_sec" },
	{ "security.knock_validity_duration_s",
	  "use security.session_timeout_sec" },
	{ "security.client_timeout_s", "use security.session_timeout_sec" },
	{ "security.max_requests_per_second",
	  "use rate_limiting.max_packets_per_second" },
	{ "security.burst_size", "use rate_limiting.burst_size" },
	{ "security.max_concurrent_clients",
	  "use general.max_concurrent_clients" },
	{ "limits.max_packets_per_second",
	  "use rate_limiting.max_packets_per_second" },
	{ "limits.max_per_client_bandwidth_kbps",
	  "use rate_limiting.max_bandwidth_mbps (Mbit/s)" },
	{ "limits.max_total_bandwidth_kbps",
	  "use rate_limiting.max_total_mbps (Mbit/s)" },
	{ "performance.worker_threads", "use general.workers" },
	{ "logging.log_auth_failures", "use logging.log_failed_knocks" },
	{ "logging.log_auth_attempts", "use logging.log_failed_knocks" },
	{ "logging.log_to_file",
	  "bufferbane-server logs to stderr (the journal under systemd); "
	  "redirect it to a file if you want one" },
	{ "logging.log_path",
	  "bufferbane-server logs to stderr (the journal under systemd); "
	  "redirect it to a file if you want one" },
	{ "logging.log_rotation_mb",
	  "bufferbane-server does not write a log file; journald rotates" },
	{ "logging.log_max_files",
	  "bufferbane-server does not write a log file; journald rotates" },
};

static const struct cfgtable table = {
	.opts = keys,
	.n_opts = sizeof(keys) / sizeof(keys[0]),
	.sections = sections,
	.n_sections = sizeof(sections) / sizeof(sections[0]),
	.advice = advice,
	.n_advice = sizeof(advice) / sizeof(advice[0]),
};

void srvconf_keys(void (*fn)(const char *path, void *arg), void *arg)
{
	/* one entry of security.clients (load_clients reads these by hand) */
	static const char *const client_keys[] = { "name", "client_id",
						   "shared_secret_file" };
	char path[128];

	for (size_t i = 0; i < table.n_opts; i++) {
		snprintf(path, sizeof(path), "%s.%s", keys[i].section,
			 keys[i].key);
		fn(path, arg);
	}
	for (size_t i = 0; i < sizeof(client_keys) / sizeof(client_keys[0]);
	     i++) {
		snprintf(path, sizeof(path), "security.clients.%s",
			 client_keys[i]);
		fn(path, arg);
	}
}

void srvconf_defaults(struct srvconf *c)
{
	memset(c, 0, sizeof(*c));
	cfgtable_defaults(keys, table.n_opts, c);
	c->level = SRVLOG_INFO;
	/* built in, not in the file */
	c->chunk_size = 1200;
	c->max_test_bytes = 100 * 1000 * 1000;
	c->max_test_duration_s = 60;
	c->abuse_after_s = 10;
	c->ignore_s = 300;
}

static int load_level(struct cfgtable_load *ld, const struct cfgtable_opt *o,
		      const config_setting_t *s, const char *path, void *base)
{
	struct srvconf *c = base;
	int rc;

	(void)o;
	if (config_setting_type(s) != CONFIG_TYPE_STRING)
		return cfgtable_fail(ld, s, path, "expected a string");
	rc = srvlog_parse_level(config_setting_get_string(s));
	if (rc < 0)
		return cfgtable_fail(ld, s, path,
				     "\"%.40s\" is not one of error, warn, "
				     "info, debug",
				     config_setting_get_string(s));
	c->level = rc;
	return 0;
}

/* security.shared_secret (64 hex) or security.shared_secret_file, not both;
 * an inline secret is refused where a key file would be: in a file group
 * or others can read. */
static int load_secret(struct cfgtable_load *ld, const struct cfgtable_opt *o,
		       const config_setting_t *s, const char *path, void *base)
{
	struct srvconf *c = base;
	bool inline_key = strcmp(o->key, "shared_secret") == 0;
	char kerr[160] = "";
	const char *v;
	int rc;

	for (size_t i = 0; i < table.n_opts; i++)
		if (keys[i].load == load_secret && &keys[i] != o &&
		    ld->lines[i])
			return cfgtable_fail(ld, s, path,
					     "give shared_secret or "
					     "shared_secret_file, not both");
	if (config_setting_type(s) != CONFIG_TYPE_STRING)
		return cfgtable_fail(ld, s, path, "expected a string");
	rc = cfgtable_string(ld, s, path, &v);
	if (rc == 0 && inline_key)
		rc = cfgtable_check_secret_mode(ld, s, path);
	if (rc < 0)
		return rc;
	rc = inline_key ? key_parse_hex(v, c->key, kerr, sizeof(kerr))
			: key_load_file(v, c->key, kerr, sizeof(kerr));
	if (rc < 0)
		return cfgtable_fail(ld, s, path, "%s", kerr);
	c->have_key = 1;
	return 0;
}

/* security.clients = ( { name = "..."; client_id = "16 hex";
 * shared_secret_file = "..."; }, ... ) */
static int load_clients(struct cfgtable_load *ld, const struct cfgtable_opt *o,
			const config_setting_t *list, const char *path,
			void *base)
{
	struct srvconf *c = base;
	int n = config_setting_length(list);
	char p[96];

	(void)o;
	if (config_setting_type(list) != CONFIG_TYPE_LIST &&
	    !(config_setting_type(list) == CONFIG_TYPE_ARRAY && n == 0))
		return cfgtable_fail(ld, list, path,
				     "expected a list ( { name; client_id; "
				     "shared_secret_file; }, ... )");
	if (n > SRVCONF_MAX_CLIENTS)
		return cfgtable_fail(ld, list, path, "more than %d clients",
				     SRVCONF_MAX_CLIENTS);
	free(c->clients);
	c->nclients = 0;
	c->clients = n ? calloc((size_t)n, sizeof(*c->clients)) : NULL;
	if (n && !c->clients)
		return cfgtable_fail(ld, list, path, "out of memory");
	for (int i = 0; i < n; i++) {
		config_setting_t *g =
			config_setting_get_elem(list, (unsigned)i);
		struct srvconf_client *e = &c->clients[i];
		const char *name = NULL, *id = NULL, *file = NULL;
		char kerr[160] = "";
		size_t bin = 0;

		snprintf(p, sizeof(p), "%s[%d]", path, i);
		if (config_setting_type(g) != CONFIG_TYPE_GROUP)
			return cfgtable_fail(ld, g, p,
					     "expected { name; client_id; "
					     "shared_secret_file; }");
		for (int j = 0; j < config_setting_length(g); j++) {
			config_setting_t *f =
				config_setting_get_elem(g, (unsigned)j);
			const char *fn = config_setting_name(f);
			const char **dst = !strcmp(fn, "name")	      ? &name
					   : !strcmp(fn, "client_id") ? &id
					   : !strcmp(fn, "shared_secret_file")
						   ? &file
						   : NULL;
			char fp[128];

			snprintf(fp, sizeof(fp), "%s.%s", p, fn);
			if (!dst)
				return cfgtable_fail(
					ld, f, fp,
					"unknown key (name, client_id, "
					"shared_secret_file)");
			if (config_setting_type(f) != CONFIG_TYPE_STRING)
				return cfgtable_fail(ld, f, fp,
						     "expected a string");
			*dst = config_setting_get_string(f);
		}
		if (!name || !id || !file)
			return cfgtable_fail(ld, g, p,
					     "needs name, client_id and "
					     "shared_secret_file (missing %s)",
					     !name ? "name"
					     : !id ? "client_id"
						   : "the file");
		snprintf(p, sizeof(p), "%s[%d].name", path, i);
		if (!name[0] || strlen(name) >= sizeof(e->name) ||
		    strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRS"
				 "TUVWXYZ0123456789._-@") != strlen(name))
			return cfgtable_fail(ld, g, p,
					     "1-%zu letters, digits or "
					     "._-@",
					     sizeof(e->name) - 1);
		snprintf(p, sizeof(p), "%s[%d].client_id", path, i);
		if (strlen(id) != 16 ||
		    sodium_hex2bin(e->cid, sizeof(e->cid), id, 16, NULL, &bin,
				   NULL) < 0 ||
		    bin != sizeof(e->cid))
			return cfgtable_fail(ld, g, p,
					     "expected 16 hex "
					     "digits (the client's "
					     "general.client_id)");
		snprintf(p, sizeof(p), "%s[%d]", path, i);
		for (int k = 0; k < i; k++)
			if (!strcmp(c->clients[k].name, name) ||
			    !memcmp(c->clients[k].cid, e->cid, sizeof(e->cid)))
				return cfgtable_fail(ld, g, p,
						     "name or client_id "
						     "already used by \"%s\"",
						     c->clients[k].name);
		snprintf(e->name, sizeof(e->name), "%s", name);
		if (key_load_file(file, e->key, kerr, sizeof(kerr)) < 0) {
			snprintf(p, sizeof(p), "%s[%d] (%s)", path, i, name);
			return cfgtable_fail(ld, g, p, "%s", kerr);
		}
		c->nclients = i + 1;
	}
	return 0;
}

int srvconf_load(struct srvconf *c, const char *path, char *err, size_t errlen)
{
	struct cfgtable_load *ld = malloc(sizeof(*ld));
	config_t cf;
	int rc;

	if (!ld) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	rc = cfgtable_load_file(ld, &table, path, &cf, c, err, errlen);
	cfgtable_release(&cf);
	sodium_memzero(ld, sizeof(*ld)); /* the masked secret */
	free(ld);
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
