/* SPDX-License-Identifier: MIT */
/*
 * Client configuration (INTERFACES.md "Files"): one plain struct holding every
 * key of bufferbane.conf with its built-in default, loaded from libconfig
 * syntax and validated strictly.  Unknown keys, wrong types, out-of-range
 * numbers and malformed addresses are errors reported as
 * "FILE:LINE: key.path: what is wrong"; nothing is resolved over the network.
 *
 * Invariants: a struct bb_config holds no pointers (it may be copied with
 * memcpy and compared with memcmp: config_defaults() and config_load() zero
 * every byte they do not set), every string is NUL-terminated, every list
 * holds exactly n_<list> entries, and paths are already expanded ("~",
 * $HOME, $XDG_*_HOME, relative to the config file's folder).  Raw strings are
 * kept for addresses; config_parse_hostport() splits them at use time.
 */
#ifndef BB_CONFIG_H
#define BB_CONFIG_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#define CONFIG_PATH_LEN	    512 /* file paths, after expansion */
#define CONFIG_HOST_LEN	    256 /* a host name (253) or address literal */
#define CONFIG_ENTRY_LEN    320 /* a list entry: "name=host", "[v6]:port" */
#define CONFIG_NAME_LEN	    32	/* short names and enum-like words */
#define CONFIG_IFNAME_LEN   16	/* IFNAMSIZ */
#define CONFIG_SECRET_HEX   64	/* a 32-byte shared secret as hex */
#define CONFIG_LIST_MAX	    16	/* entries per list */
#define CONFIG_SERVERS_MAX  8	/* companion servers */
#define CONFIG_DEFAULT_PORT 9876

struct bb_config_server {
	char name[CONFIG_NAME_LEN];
	char host[CONFIG_HOST_LEN]; /* host name or address literal */
	int port;
	char shared_secret[CONFIG_SECRET_HEX + 1]; /* 64 hex chars, or "" */
	char shared_secret_file[CONFIG_PATH_LEN];  /* path, or "" */
	int secret_line; /* line of the secret setting in source_path, 0 */
};

struct bb_config {
	char source_path[CONFIG_PATH_LEN]; /* file loaded, "" = built-in */

	struct {
		int test_interval_ms;
		int probe_timeout_ms;
		char database_path[CONFIG_PATH_LEN];
		char client_id[CONFIG_NAME_LEN]; /* "auto" or 16 hex chars */
		char interfaces[CONFIG_LIST_MAX][CONFIG_IFNAME_LEN];
		int n_interfaces; /* 0 = default route */
		/* "auto" (detected per interface) or the type of every
		 * interface without an entry below */
		char connection_type[CONFIG_NAME_LEN];
		/* "IFACE=TYPE" entries */
		char connection_types[CONFIG_LIST_MAX]
				     [CONFIG_NAME_LEN + CONFIG_IFNAME_LEN];
		int n_connection_types;
	} general;

	struct {
		char isp_gateway[CONFIG_HOST_LEN]; /* "auto" or an address */
		/* ICMP targets (the original templates' name). */
		char public_dns[CONFIG_LIST_MAX][CONFIG_ENTRY_LEN];
		int n_public_dns;
		/* Extra ICMP targets, "host" or "name=host". */
		char custom[CONFIG_LIST_MAX][CONFIG_ENTRY_LEN];
		int n_custom;
	} targets;

	struct bb_config_server servers[CONFIG_SERVERS_MAX];
	int n_servers;

	/* Alert thresholds: all the detector takes from the file besides the
	 * servers' names and ports (struct detect_params). */
	struct bb_thresholds {
		int latency_warning_ms;
		int latency_critical_ms;
		double latency_spike_factor;
		int latency_spike_probes;
		int latency_spike_min_ms;
		int jitter_warning_ms;
		int jitter_critical_ms;
		int jitter_sustain_s;
		double packet_loss_warning_pct;
		double packet_loss_critical_pct;
		int packet_loss_window_s;
		int consecutive_loss_warning;
		int consecutive_loss_threshold;
		double throughput_warning_pct;
		double throughput_alert_pct;
		double throughput_critical_pct;
		int throughput_sustain_s;
		int bufferbloat_warning_ms;
		int bufferbloat_alert_ms;
		int bufferbloat_critical_ms;
		int dns_slow_ms;
		double dns_failure_pct;
		int connection_drops;
		int connection_window_s;
		int micro_disconnect_ms;
		double time_sync_quality_pct;
		int time_sync_min_samples;
		int alert_cooldown_s;
	} thresholds;

	struct {
		struct {
			bool enabled;
			int small_test_kb;
			int small_interval_s;
			int medium_test_kb;
			int medium_interval_s;
			int large_test_kb;
			int large_interval_s;
			int chunk_bytes;
			int first_test_s; /* none scheduled before (s) */
		} throughput;
		struct {
			bool enabled;
			int interval_s;
			int test_duration_s;
			int first_test_s;
			/* "upload", "download" or "both" */
			char test_type[CONFIG_NAME_LEN];
		} bufferbloat;
		struct {
			bool enabled;
			int interval_s;
			char dns_servers[CONFIG_LIST_MAX][CONFIG_ENTRY_LEN];
			int n_dns_servers;
			char test_domains[CONFIG_LIST_MAX][CONFIG_ENTRY_LEN];
			int n_test_domains;
		} dns;
		struct {
			bool enabled;
			/* "host:port" or "[v6]:port" */
			char targets[CONFIG_LIST_MAX][CONFIG_ENTRY_LEN];
			int n_targets;
			int interval_s;
		} tcp;
		struct {
			bool enabled; /* read interface byte counters */
		} traffic;
		/* TTL-limited echoes hop by hop to every ICMP target and
		 * server (core/probe/probe_path.c) */
		struct {
			bool enabled;
			int interval_ms; /* one hop per interval */
			int max_ttl;	 /* highest hop tried */
			/* "icmp" (echo) or "udp" (datagrams to closed
			 * ports, as traceroute) */
			char method[CONFIG_NAME_LEN];
		} path;
	} tests;

	struct {
		bool auto_detect_gateway;
		int gateway_check_interval_sec;
	} monitoring;

	struct {
		bool enabled;
		char log_path[CONFIG_PATH_LEN]; /* "" = no separate alert log */
		char command[CONFIG_PATH_LEN];	/* "" = none */
	} alerts;

	struct {
		/* days kept, 0 = forever: raw samples, 1-min rollups,
		 * 1-hour rollups, events */
		int measurements_days;
		int aggregations_days;
		int hourly_days;
		int events_days;
	} retention;

	struct {
		/* Period of the `bufferbane -d` status lines. */
		int status_interval_s;
	} output;

	struct {
		int chart_width;
		int chart_height;
		char chart_style[CONFIG_NAME_LEN]; /* light|dark */
	} export;

	struct {
		char level[CONFIG_NAME_LEN]; /* error|warning|info|debug */
		char file[CONFIG_PATH_LEN];  /* "" = standard output (-d) */
		bool syslog;		     /* to syslog, daemon facility */
	} logging;

	struct {
		char listen[CONFIG_ENTRY_LEN]; /* "" = off, else "addr:port" */
	} metrics;

	struct {
		int interval_ms;
	} loss_stream;
};

/* Fill every field with its built-in default (paths expanded, all else 0). */
void config_defaults(struct bb_config *out);
/* Load PATH (NULL = search order), validate, fill OUT; 0 or -errno + ERR. */
int config_load(const char *path, struct bb_config *out, char *err,
		size_t errlen);
/* Write C in libconfig syntax that config_load reads back to C (includes
 * inline secrets: never send it to a log); 0 or -EIO. */
int config_print(const struct bb_config *c, FILE *f);
/* Call fn with the path of every key a file may set, in table order:
 * "general.test_interval_ms", ..., "servers", "servers.name", ... (the
 * manual's test checks bufferbane.conf(5) names each one). */
void config_keys(void (*fn)(const char *path, void *arg), void *arg);
/* Call fn with the path ("section.key", or "servers") of every key whose
 * value differs between A and B (a server's inline secret is not compared:
 * a running configuration has wiped it); returns how many. */
int config_diff(const struct bb_config *a, const struct bb_config *b,
		void (*fn)(void *ctx, const char *path), void *ctx);
/* Copy the value of key PATH (as config_diff names it) from SRC into DST;
 * 0 or -ENOENT. */
int config_copy_key(struct bb_config *dst, const struct bb_config *src,
		    const char *path);
/* Wipe the shared secrets held in C (call when done with them). */
void config_wipe_secrets(struct bb_config *c);
/* Split "host", "host:port", "[v6]" or "[v6]:port" without resolving;
 * DEFAULT_PORT 0 makes the port mandatory.  0 or -EINVAL + ERR. */
int config_parse_hostport(const char *s, int default_port, char *host,
			  size_t hostlen, int *port, char *err, size_t errlen);
/* "90s", "15m", "24h", "7d", "2w" or sums like "1h30m" to seconds (> 0). */
int config_parse_duration(const char *s, int64_t *seconds, char *err,
			  size_t errlen);
/* "YYYY-MM-DD[ HH:MM[:SS]]" (or 'T' between) in local time to Unix time. */
int config_parse_time(const char *s, time_t *out, char *err, size_t errlen);

#endif
