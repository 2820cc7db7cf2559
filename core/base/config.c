/* SPDX-License-Identifier: MIT */
/*
 * Client configuration: one table of options (tmux's options-table.c idea:
 * section, key, type, min, max, default, unit) drives the defaults, the
 * loader, the validator and the printer, so a new key is one table row and a
 * struct field.  The loader walks the libconfig tree and looks every setting
 * up in the table, which is what makes an unknown key an error instead of a
 * silently ignored typo.
 *
 * Nothing here touches the network: addresses are checked for syntax only
 * (inet_pton, host-name rules), never resolved.  Secret files are only named
 * here; their mode is checked where they are read (proto/key.c).
 *
 * libconfig 1.5 wraps integers that do not fit in 32 bits without saying so
 * (4294968296 reads as 1000); a small scan of the file's text finds such
 * literals first so they are reported as out of range.
 */
#include "core/base/config.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <libconfig.h>
#include <limits.h>
#include <locale.h>
#include <math.h>
#include <pwd.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/base/cfgtable.h"
#include "core/base/text.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

#ifndef CONFIG_SYSTEM_FILE
#define CONFIG_SYSTEM_FILE "/etc/bufferbane/bufferbane.conf"
#endif
#define CONFIG_USER_FILE "bufferbane/bufferbane.conf"

/* ---- syntax checks for addresses and names (no resolution) -------------- */

static bool is_ipv4(const char *s)
{
	struct in_addr a;

	return inet_pton(AF_INET, s, &a) == 1;
}

/* An IPv6 literal, with an optional "%zone" (fe80::1%eth0). */
static bool is_ipv6(const char *s)
{
	char buf[INET6_ADDRSTRLEN + CONFIG_IFNAME_LEN];
	struct in6_addr a;
	const char *pct = strchr(s, '%');
	size_t len = pct ? (size_t)(pct - s) : strlen(s);

	if (len >= sizeof(buf))
		return false;
	if (pct && (pct[1] == '\0' || strlen(pct + 1) >= CONFIG_IFNAME_LEN))
		return false;
	memcpy(buf, s, len);
	buf[len] = '\0';
	return inet_pton(AF_INET6, buf, &a) == 1;
}

static bool is_ip(const char *s)
{
	return is_ipv4(s) || is_ipv6(s);
}

/* RFC 1123 host name: dot-separated labels of letters, digits, '-' ('_'
 * tolerated), 1..63 each, 253 in all; a last label of digits only would be
 * a broken IPv4 literal, so it is refused. */
static int check_hostname(const char *s, char *why, size_t n)
{
	size_t len = strlen(s), label = 0;
	bool digits = true;

	if (len > 0 && s[len - 1] == '.')
		len--;
	if (len == 0)
		return cfgtable_why(why, n, "empty host name");
	if (len > 253)
		return cfgtable_why(why, n,
				    "host name longer than 253 characters");
	for (size_t i = 0; i <= len; i++) {
		unsigned char c = i < len ? (unsigned char)s[i] : '.';

		if (c == '.') {
			if (label == 0)
				return cfgtable_why(
					why, n, "empty label in \"%.64s\"", s);
			if (s[i - 1] == '-')
				return cfgtable_why(
					why, n,
					"label ends with '-' in \"%.64s\"", s);
			if (i < len) {
				label = 0;
				digits = true;
			}
			continue;
		}
		if (!isalnum(c) && c != '-' && c != '_')
			return cfgtable_why(
				why, n,
				"\"%.64s\" is neither an address nor a "
				"host name (bad character '%c')",
				s, isprint(c) ? c : '?');
		if (label == 0 && c == '-')
			return cfgtable_why(
				why, n, "label starts with '-' in \"%.64s\"",
				s);
		if (++label > 63)
			return cfgtable_why(why, n,
					    "label longer than 63 characters");
		if (!isdigit(c))
			digits = false;
	}
	if (digits)
		return cfgtable_why(why, n,
				    "\"%.64s\" is not a valid IPv4 address", s);
	return 0;
}

static int check_host(const char *s, char *why, size_t n)
{
	if (is_ip(s))
		return 0;
	if (strchr(s, ':'))
		return cfgtable_why(why, n,
				    "\"%.64s\" is not a valid IPv6 address", s);
	return check_hostname(s, why, n);
}

static int check_nonempty_host(const char *s, char *why, size_t n)
{
	if (!*s)
		return cfgtable_why(why, n, "must not be empty");
	return check_host(s, why, n);
}

static int check_gateway(const char *s, char *why, size_t n)
{
	if (strcmp(s, "auto") == 0 || strcmp(s, "none") == 0)
		return 0;
	if (is_ip(s))
		return 0;
	return cfgtable_why(why, n,
			    "\"%.64s\" is neither \"auto\", \"none\" nor an "
			    "IPv4 or IPv6 address",
			    s);
}

static int check_ifname(const char *s, char *why, size_t n)
{
	if (!*s)
		return cfgtable_why(why, n, "empty interface name");
	for (const char *p = s; *p; p++)
		if (*p == '/' || isspace((unsigned char)*p) ||
		    !isprint((unsigned char)*p))
			return cfgtable_why(why, n,
					    "bad character in interface name "
					    "\"%.15s\"",
					    s);
	return 0;
}

/* "host" or "name=host", name being what the display shows. */
static int check_custom(const char *s, char *why, size_t n)
{
	const char *eq = strchr(s, '=');

	if (!eq)
		return check_nonempty_host(s, why, n);
	if (eq == s)
		return cfgtable_why(why, n, "empty name before '='");
	if ((size_t)(eq - s) > 63)
		return cfgtable_why(why, n,
				    "name before '=' longer than 63 "
				    "characters");
	for (const char *p = s; p < eq; p++)
		if (!isprint((unsigned char)*p))
			return cfgtable_why(why, n,
					    "unprintable character in name");
	return check_nonempty_host(eq + 1, why, n);
}

static int check_hostport(const char *s, int defport, bool ip_only, char *why,
			  size_t n)
{
	char host[CONFIG_HOST_LEN];
	int port;

	if (config_parse_hostport(s, defport, host, sizeof(host), &port, why,
				  n) < 0)
		return -EINVAL;
	if (ip_only && !is_ip(host))
		return cfgtable_why(why, n,
				    "\"%.64s\" is not an IPv4 or IPv6 address "
				    "(names are not resolved here)",
				    host);
	return 0;
}

static int check_dns_server(const char *s, char *why, size_t n)
{
	return check_hostport(s, 53, true, why, n);
}

static int check_tcp_target(const char *s, char *why, size_t n)
{
	return check_hostport(s, 0, false, why, n);
}

static int check_listen(const char *s, char *why, size_t n)
{
	if (!*s)
		return 0;
	return check_hostport(s, 0, true, why, n);
}

static int check_domain(const char *s, char *why, size_t n)
{
	return check_hostname(s, why, n);
}

static bool all_hex(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (!isxdigit((unsigned char)s[i]))
			return false;
	return true;
}

static int check_client_id(const char *s, char *why, size_t n)
{
	if (strcmp(s, "auto") == 0)
		return 0;
	if (strlen(s) == 16 && all_hex(s, 16))
		return 0;
	return cfgtable_why(why, n,
			    "must be \"auto\" or 16 hex characters (8 "
			    "bytes)");
}

/* Never echoes the value: it is a secret. */
static int check_secret(const char *s, char *why, size_t n)
{
	size_t len = strlen(s);

	if (len == 0)
		return 0;
	if (len != CONFIG_SECRET_HEX || !all_hex(s, len))
		return cfgtable_why(
			why, n,
			"must be 64 hex characters (32 bytes; "
			"`bufferbane keygen` makes one), got %zu "
			"characters%s",
			len, all_hex(s, len) ? "" : " with non-hex ones");
	return 0;
}

static int check_name(const char *s, char *why, size_t n)
{
	if (!*s)
		return cfgtable_why(why, n, "must not be empty");
	for (const char *p = s; *p; p++)
		if (!isgraph((unsigned char)*p))
			return cfgtable_why(why, n,
					    "only printable characters "
					    "without spaces");
	return 0;
}

#define FLD(T, f) CFGTABLE_FIELD(T, f)
#define C_	  struct bb_config
#define S_	  struct bb_config_server

#define BOOL(sec, k, f, d)                                                     \
	{                                                                      \
		.section = sec, .key = k, .type = CFGT_BOOL, FLD(C_, f),       \
		.def = d                                                       \
	}
#define INT(sec, k, f, lo, hi, d, u)                                           \
	{                                                                      \
		.section = sec, .key = k, .type = CFGT_INT, FLD(C_, f),        \
		.min = lo, .max = hi, .def = d, .unit = u                      \
	}
#define FLT(sec, k, f, lo, hi, d, u)                                           \
	{                                                                      \
		.section = sec, .key = k, .type = CFGT_FLOAT, FLD(C_, f),      \
		.min = lo, .max = hi, .def = d, .unit = u                      \
	}
#define STR(sec, k, f, d, chk, ch)                                             \
	{                                                                      \
		.section = sec, .key = k, .type = CFGT_STR, FLD(C_, f),        \
		.def_s = d, .check = chk, .choices = ch                        \
	}
#define PATH(sec, k, f, d, fl)                                                 \
	{                                                                      \
		.section = sec, .key = k, .type = CFGT_PATH, FLD(C_, f),       \
		.def_s = d, .flags = fl                                        \
	}
#define LIST(sec, k, f, nf, chk, dl)                                           \
	{                                                                      \
		.section = sec, .key = k, .type = CFGT_LIST,                   \
		.off = offsetof(C_, f), .size = sizeof(((C_ *)0)->f[0]),       \
		.n_off = offsetof(C_, nf),                                     \
		.max_n = (int)ARRAY_LEN(((C_ *)0)->f), .check = chk,           \
		.def_list = dl                                                 \
	}

static const char *const conn_types[] = { "auto", "wifi",   "wired", "cellular",
					  "vpn",  "custom", NULL };

/* "IFACE=TYPE": the connection type stored with that interface's samples
 * (a list, not a group: interface names may hold '.' or start with a
 * digit, which libconfig names may not). */
static int check_conn_entry(const char *s, char *why, size_t n)
{
	const char *eq = strchr(s, '=');
	char ifname[CONFIG_IFNAME_LEN];

	if (!eq || eq == s)
		return cfgtable_why(why, n,
				    "\"%.64s\": expected \"INTERFACE=TYPE\", "
				    "e.g. \"wlan0=wifi\"",
				    s);
	if ((size_t)(eq - s) >= sizeof(ifname))
		return cfgtable_why(why, n,
				    "\"%.64s\": interface name longer than "
				    "%d characters",
				    s, CONFIG_IFNAME_LEN - 1);
	memcpy(ifname, s, (size_t)(eq - s));
	ifname[eq - s] = '\0';
	if (check_ifname(ifname, why, n) < 0)
		return -EINVAL;
	for (int i = 1; conn_types[i]; i++) /* all but "auto" */
		if (strcmp(eq + 1, conn_types[i]) == 0)
			return 0;
	if (strcmp(eq + 1, "loopback") == 0)
		return 0;
	return cfgtable_why(why, n,
			    "\"%.64s\": type is not one of: wifi, wired, "
			    "cellular, vpn, custom, loopback",
			    s);
}
static const char *const bloat_types[] = { "upload", "download", "both", NULL };
static const char *const path_methods[] = { "icmp", "udp", NULL };
static const char *const chart_styles[] = { "light", "dark", NULL };
static const char *const log_levels[] = { "error", "warning", "info", "debug",
					  NULL };
static const char *const no_entries[] = { NULL };
static const char *const def_icmp[] = { "1.1.1.1", "8.8.8.8", NULL };
static const char *const def_domains[] = { "example.com", NULL };
static const char *const def_tcp[] = { "1.1.1.1:443", "8.8.8.8:443", NULL };

/* Sections in print order; a key's section must be listed here. */
static const char *const sections[] = {
	"general",    "targets",	  "thresholds",
	"tests",      "tests.throughput", "tests.bufferbloat",
	"tests.dns",  "tests.tcp",	  "tests.traffic",
	"tests.path", "monitoring",	  "alerts",
	"retention",  "output",		  "export",
	"logging",    "metrics",	  "loss_stream",
};

#define G "general"
#define T "thresholds"
static int load_servers(struct cfgtable_load *ld,
			const struct cfgtable_opt *row,
			const config_setting_t *list, const char *lpath,
			void *base);

static const struct cfgtable_opt opts[] = {
	INT(G, "test_interval_ms", general.test_interval_ms, 10, 3600000, 1000,
	    "ms"),
	INT(G, "probe_timeout_ms", general.probe_timeout_ms, 10, 60000, 1000,
	    "ms"),
	PATH(G, "database_path", general.database_path,
	     "$XDG_DATA_HOME/bufferbane/bufferbane.db", CFGT_NONEMPTY),
	STR(G, "client_id", general.client_id, "auto", check_client_id, NULL),
	LIST(G, "interfaces", general.interfaces, general.n_interfaces,
	     check_ifname, no_entries),
	STR(G, "connection_type", general.connection_type, "auto", NULL,
	    conn_types),
	LIST(G, "connection_types", general.connection_types,
	     general.n_connection_types, check_conn_entry, no_entries),

	STR("targets", "isp_gateway", targets.isp_gateway, "auto",
	    check_gateway, NULL),
	LIST("targets", "public_dns", targets.public_dns, targets.n_public_dns,
	     check_nonempty_host, def_icmp),
	LIST("targets", "custom", targets.custom, targets.n_custom,
	     check_custom, no_entries),

	INT(T, "latency_warning_ms", thresholds.latency_warning_ms, 1, 600000,
	    100, "ms"),
	INT(T, "latency_critical_ms", thresholds.latency_critical_ms, 1, 600000,
	    300, "ms"),
	FLT(T, "latency_spike_factor", thresholds.latency_spike_factor, 1, 100,
	    3, "x baseline"),
	INT(T, "latency_spike_probes", thresholds.latency_spike_probes, 1, 1000,
	    2, "probes"),
	INT(T, "latency_spike_min_ms", thresholds.latency_spike_min_ms, 0,
	    600000, 2000, "ms"),
	INT(T, "jitter_warning_ms", thresholds.jitter_warning_ms, 1, 60000, 10,
	    "ms"),
	INT(T, "jitter_critical_ms", thresholds.jitter_critical_ms, 1, 60000,
	    30, "ms"),
	INT(T, "jitter_sustain_s", thresholds.jitter_sustain_s, 1, 3600, 10,
	    "s"),
	FLT(T, "packet_loss_warning_pct", thresholds.packet_loss_warning_pct, 0,
	    100, 0.5, "%"),
	FLT(T, "packet_loss_critical_pct", thresholds.packet_loss_critical_pct,
	    0, 100, 1, "%"),
	INT(T, "packet_loss_window_s", thresholds.packet_loss_window_s, 1, 3600,
	    60, "s"),
	INT(T, "consecutive_loss_warning", thresholds.consecutive_loss_warning,
	    1, 1000, 3, "probes"),
	INT(T, "consecutive_loss_threshold",
	    thresholds.consecutive_loss_threshold, 1, 1000, 5, "probes"),
	FLT(T, "throughput_warning_pct", thresholds.throughput_warning_pct, 0,
	    100, 80, "%"),
	FLT(T, "throughput_alert_pct", thresholds.throughput_alert_pct, 0, 100,
	    70, "%"),
	FLT(T, "throughput_critical_pct", thresholds.throughput_critical_pct, 0,
	    100, 50, "%"),
	INT(T, "throughput_sustain_s", thresholds.throughput_sustain_s, 1, 3600,
	    30, "s"),
	INT(T, "bufferbloat_warning_ms", thresholds.bufferbloat_warning_ms, 1,
	    60000, 100, "ms"),
	INT(T, "bufferbloat_alert_ms", thresholds.bufferbloat_alert_ms, 1,
	    60000, 200, "ms"),
	INT(T, "bufferbloat_critical_ms", thresholds.bufferbloat_critical_ms, 1,
	    60000, 500, "ms"),
	INT(T, "dns_slow_ms", thresholds.dns_slow_ms, 1, 60000, 200, "ms"),
	FLT(T, "dns_failure_pct", thresholds.dns_failure_pct, 0, 100, 10, "%"),
	INT(T, "connection_drops", thresholds.connection_drops, 1, 1000, 2,
	    "drops"),
	INT(T, "connection_window_s", thresholds.connection_window_s, 1, 86400,
	    300, "s"),
	INT(T, "micro_disconnect_ms", thresholds.micro_disconnect_ms, 100,
	    600000, 2000, "ms"),
	FLT(T, "time_sync_quality_pct", thresholds.time_sync_quality_pct, 0,
	    100, 80, "%"),
	INT(T, "time_sync_min_samples", thresholds.time_sync_min_samples, 1,
	    10000, 8, "samples"),
	INT(T, "alert_cooldown_s", thresholds.alert_cooldown_s, 0, 86400, 300,
	    "s"),

	BOOL("tests.throughput", "enabled", tests.throughput.enabled, true),
	INT("tests.throughput", "small_test_kb", tests.throughput.small_test_kb,
	    1, 1048576, 64, "KB"),
	INT("tests.throughput", "small_interval_s",
	    tests.throughput.small_interval_s, 10, 86400, 300, "s"),
	INT("tests.throughput", "medium_test_kb",
	    tests.throughput.medium_test_kb, 1, 1048576, 1024, "KB"),
	INT("tests.throughput", "medium_interval_s",
	    tests.throughput.medium_interval_s, 10, 86400, 3600, "s"),
	INT("tests.throughput", "large_test_kb", tests.throughput.large_test_kb,
	    1, 1048576, 10240, "KB"),
	INT("tests.throughput", "large_interval_s",
	    tests.throughput.large_interval_s, 10, 86400, 21600, "s"),
	INT("tests.throughput", "chunk_bytes", tests.throughput.chunk_bytes, 64,
	    65507, 1200, "bytes"),
	INT("tests.throughput", "first_test_s", tests.throughput.first_test_s,
	    0, 86400, 300, "s"),

	BOOL("tests.bufferbloat", "enabled", tests.bufferbloat.enabled, true),
	INT("tests.bufferbloat", "interval_s", tests.bufferbloat.interval_s, 10,
	    86400, 14400, "s"),
	INT("tests.bufferbloat", "test_duration_s",
	    tests.bufferbloat.test_duration_s, 1, 600, 12, "s"),
	INT("tests.bufferbloat", "first_test_s", tests.bufferbloat.first_test_s,
	    0, 86400, 300, "s"),
	STR("tests.bufferbloat", "test_type", tests.bufferbloat.test_type,
	    "both", NULL, bloat_types),

	BOOL("tests.dns", "enabled", tests.dns.enabled, true),
	INT("tests.dns", "interval_s", tests.dns.interval_s, 1, 86400, 10, "s"),
	LIST("tests.dns", "dns_servers", tests.dns.dns_servers,
	     tests.dns.n_dns_servers, check_dns_server, def_icmp),
	LIST("tests.dns", "test_domains", tests.dns.test_domains,
	     tests.dns.n_test_domains, check_domain, def_domains),

	BOOL("tests.tcp", "enabled", tests.tcp.enabled, false),
	LIST("tests.tcp", "targets", tests.tcp.targets, tests.tcp.n_targets,
	     check_tcp_target, def_tcp),
	INT("tests.tcp", "interval_s", tests.tcp.interval_s, 1, 86400, 10, "s"),

	BOOL("tests.traffic", "enabled", tests.traffic.enabled, true),
	/* off by default: it makes every router on the way answer (time
	 * exceeded) around the clock, traffic to third parties the user did
	 * not name */
	BOOL("tests.path", "enabled", tests.path.enabled, false),
	INT("tests.path", "interval_ms", tests.path.interval_ms, 10, 3600000,
	    1000, "ms"),
	INT("tests.path", "max_ttl", tests.path.max_ttl, 1, 32, 30, "hops"),
	STR("tests.path", "method", tests.path.method, "icmp", NULL,
	    path_methods),

	BOOL("monitoring", "auto_detect_gateway",
	     monitoring.auto_detect_gateway, true),
	INT("monitoring", "gateway_check_interval_sec",
	    monitoring.gateway_check_interval_sec, 1, 86400, 60, "s"),

	BOOL("alerts", "enabled", alerts.enabled, true),
	PATH("alerts", "log_path", alerts.log_path, "", 0),
	STR("alerts", "command", alerts.command, "", NULL, NULL),

	/* 0 = kept forever, as in the original templates */
	INT("retention", "measurements_days", retention.measurements_days, 0,
	    36500, 30, "days"),
	INT("retention", "aggregations_days", retention.aggregations_days, 0,
	    36500, 365, "days"),
	INT("retention", "hourly_days", retention.hourly_days, 0, 36500, 730,
	    "days"),
	INT("retention", "events_days", retention.events_days, 0, 36500, 365,
	    "days"),

	INT("output", "status_interval_s", output.status_interval_s, 1, 86400,
	    60, "s"),

	INT("export", "chart_width", export.chart_width, 100, 20000, 1200,
	    "px"),
	INT("export", "chart_height", export.chart_height, 100, 20000, 600,
	    "px"),
	STR("export", "chart_style", export.chart_style, "light", NULL,
	    chart_styles),

	STR("logging", "level", logging.level, "info", NULL, log_levels),
	PATH("logging", "file", logging.file, "", 0),
	BOOL("logging", "syslog", logging.syslog, false),

	STR("metrics", "listen", metrics.listen, "", check_listen, NULL),

	INT("loss_stream", "interval_ms", loss_stream.interval_ms, 10, 10000,
	    100, "ms"),
	{ .section = "",
	  .key = "servers",
	  .type = CFGT_CUSTOM,
	  .load = load_servers },
};

/* Keys of the original Bufferbane templates (client.conf.template) that
 * users paste, and what to use instead: refused, never silently ignored. */
static const struct cfgtable_advice advice[] = {
	{ "server", "companion servers are a list: servers = ( { name = "
		    "\"vps\"; host = \"...\"; port = 9876; "
		    "shared_secret_file = \"...\"; } );" },
	{ "output.use_colors",
	  "colours follow the terminal; set NO_COLOR=1 in the environment "
	  "for none (t switches the theme on screen)" },
	{ "output.refresh_interval_ms",
	  "the screen redraws when a sample arrives; remove it" },
	{ "output.stats_windows_s",
	  "the windows are fixed at 10 s, 60 s, 5 min and 1 h (w switches "
	  "them on screen); remove it" },
	{ "output.percentiles",
	  "p50, p95 and p99 are always computed; remove it" },
	{ "logging.path", "use logging.file" },
	{ "logging.max_size_mb",
	  "Bufferbane does not rotate its log: let logrotate rotate "
	  "logging.file (SIGHUP reopens it), or use logging.syslog = true" },
	{ "logging.max_files",
	  "Bufferbane does not rotate its log: let logrotate rotate "
	  "logging.file (SIGHUP reopens it), or use logging.syslog = true" },
	{ "retention.aggregation_time",
	  "rollups are built every minute and retention runs continuously; "
	  "remove it" },
	{ "thresholds.latency_public_warning_ms",
	  "one thresholds.latency_warning_ms applies to every target" },
	{ "thresholds.latency_public_critical_ms",
	  "one thresholds.latency_critical_ms applies to every target" },
	{ "alerts.latency_threshold_ms", "use thresholds.latency_warning_ms" },
	{ "alerts.jitter_threshold_ms", "use thresholds.jitter_warning_ms" },
	{ "alerts.packet_loss_threshold_pct",
	  "use thresholds.packet_loss_warning_pct" },
	{ "export.enable_csv",
	  "every format is always there: bufferbane export --format csv; "
	  "remove it" },
	{ "export.enable_json",
	  "every format is always there: bufferbane export --format json; "
	  "remove it" },
	{ "export.enable_charts",
	  "charts are always there: bufferbane chart, bufferbane charts; "
	  "remove it" },
	{ "export.chart_dpi", "use export.chart_width and chart_height" },
	{ "export.export_directory",
	  "give the file with -o FILE (bufferbane charts --output-dir DIR)" },
	{ "export.default_charts",
	  "bufferbane charts draws every kind; remove it" },
	{ "monitoring.monitor_public_ip",
	  "Bufferbane never asks a web service for your address; remove it" },
	{ "monitoring.public_ip_check_interval_sec",
	  "Bufferbane never asks a web service for your address; remove it" },
	{ "monitoring.public_ip_service",
	  "Bufferbane never asks a web service for your address; remove it" },
};

static const struct cfgtable table = {
	.opts = opts,
	.n_opts = ARRAY_LEN(opts),
	.sections = sections,
	.n_sections = ARRAY_LEN(sections),
	.advice = advice,
	.n_advice = ARRAY_LEN(advice),
};
_Static_assert(ARRAY_LEN(opts) <= CFGTABLE_MAX_OPTS, "client table too long");
_Static_assert(CONFIG_PATH_LEN == CFGTABLE_PATH_LEN, "one path length");
_Static_assert(CONFIG_SERVERS_MAX <= CFGTABLE_MAX_SECRETS,
	       "an inline secret per server");
#undef G
#undef T

/* One companion server's keys; offsets are into struct bb_config_server. */
static const struct cfgtable_opt server_opts[] = {
	{ .section = "servers",
	  .key = "name",
	  .type = CFGT_STR,
	  FLD(S_, name),
	  .def_s = "",
	  .check = check_name },
	{ .section = "servers",
	  .key = "host",
	  .type = CFGT_STR,
	  FLD(S_, host),
	  .def_s = "",
	  .check = check_nonempty_host },
	{ .section = "servers",
	  .key = "port",
	  .type = CFGT_INT,
	  FLD(S_, port),
	  .min = 1,
	  .max = 65535,
	  .def = CONFIG_DEFAULT_PORT },
	{ .section = "servers",
	  .key = "shared_secret",
	  .type = CFGT_STR,
	  FLD(S_, shared_secret),
	  .def_s = "",
	  .check = check_secret,
	  .flags = CFGT_SECRET },
	{ .section = "servers",
	  .key = "shared_secret_file",
	  .type = CFGT_PATH,
	  FLD(S_, shared_secret_file),
	  .def_s = "" },
};

/* Pairs that must be ordered: a.value <= b.value. */
static const struct {
	const char *lo, *hi;
} ordered[] = {
	{ "thresholds.latency_warning_ms", "thresholds.latency_critical_ms" },
	{ "thresholds.jitter_warning_ms", "thresholds.jitter_critical_ms" },
	{ "thresholds.packet_loss_warning_pct",
	  "thresholds.packet_loss_critical_pct" },
	{ "thresholds.consecutive_loss_warning",
	  "thresholds.consecutive_loss_threshold" },
	{ "thresholds.throughput_critical_pct",
	  "thresholds.throughput_alert_pct" },
	{ "thresholds.throughput_alert_pct",
	  "thresholds.throughput_warning_pct" },
	{ "thresholds.bufferbloat_warning_ms",
	  "thresholds.bufferbloat_alert_ms" },
	{ "thresholds.bufferbloat_alert_ms",
	  "thresholds.bufferbloat_critical_ms" },
	{ "tests.bufferbloat.test_duration_s", "tests.bufferbloat.interval_s" },
	{ "retention.measurements_days", "retention.aggregations_days" },
	{ "retention.aggregations_days", "retention.hourly_days" },
};

/* ---- defaults ---------------------------------------------------------- */

void config_defaults(struct bb_config *out)
{
	memset(out, 0, sizeof(*out));
	cfgtable_defaults(opts, ARRAY_LEN(opts), out);
}

/* ---- loading ----------------------------------------------------------- */

/* A key a servers[] group does not have: the nearest one that it has. */
static int unknown_server_key(struct cfgtable_load *ld,
			      const config_setting_t *m, const char *path,
			      const char *key)
{
	static const char *const sec[] = { "servers" };
	static const struct cfgtable stab = {
		.opts = server_opts,
		.n_opts = ARRAY_LEN(server_opts),
		.sections = sec,
		.n_sections = 0,
	};
	char want[96], near[96];

	snprintf(want, sizeof(want), "servers.%s", key);
	if (cfgtable_suggest(&stab, want, near, sizeof(near)))
		return cfgtable_fail(ld, m, path,
				     "unknown key; did you mean '%s'?",
				     near + strlen("servers."));
	return cfgtable_fail(ld, m, path, "unknown key");
}

/* The top-level list servers = ( { name; host; ... }, ... ). */
static int load_servers(struct cfgtable_load *ld,
			const struct cfgtable_opt *row,
			const config_setting_t *list, const char *lpath,
			void *base)
{
	struct bb_config *c = base;
	int n = config_setting_length(list);

	(void)row;
	(void)lpath;
	if (!config_setting_is_list(list) &&
	    !(config_setting_is_array(list) && n == 0))
		return cfgtable_fail(ld, list, "servers",
				     "expected a list of groups "
				     "( { name = ...; host = ...; }, ... )");
	if (n > CONFIG_SERVERS_MAX)
		return cfgtable_fail(ld, list, "servers",
				     "%d servers, at most %d", n,
				     CONFIG_SERVERS_MAX);
	for (int i = 0; i < n; i++) {
		config_setting_t *g =
			config_setting_get_elem(list, (unsigned)i);
		struct bb_config_server *srv = &c->servers[i];
		const config_setting_t *name_s = NULL;
		char spath[32], path[96];
		int rc;

		snprintf(spath, sizeof(spath), "servers[%d]", i);
		if (!config_setting_is_group(g))
			return cfgtable_fail(ld, g, spath,
					     "expected a group { name = "
					     "...; host = ...; }");
		memset(srv, 0, sizeof(*srv));
		cfgtable_defaults(server_opts, ARRAY_LEN(server_opts), srv);
		for (int k = 0; k < config_setting_length(g); k++) {
			config_setting_t *m =
				config_setting_get_elem(g, (unsigned)k);
			const char *key = config_setting_name(m);
			const struct cfgtable_opt *o = cfgtable_find(
				server_opts, ARRAY_LEN(server_opts), "servers",
				key);

			snprintf(path, sizeof(path), "%s.%s", spath, key);
			if (!o)
				return unknown_server_key(ld, m, path, key);
			rc = cfgtable_load_value(ld, o, m, path, srv);
			if (rc < 0)
				return rc;
			if (o->off == offsetof(struct bb_config_server, name))
				name_s = m;
		}
		if (!srv->name[0])
			return cfgtable_fail(ld, g, spath, "missing name");
		if (!srv->host[0])
			return cfgtable_fail(ld, g, spath, "missing host");
		{
			const config_setting_t *k = config_setting_get_member(
				g, srv->shared_secret_file[0]
					   ? "shared_secret_file"
					   : "shared_secret");
			srv->secret_line =
				k ? config_setting_source_line(k) : 0;
		}
		if (!srv->shared_secret[0] == !srv->shared_secret_file[0])
			return cfgtable_fail(
				ld, g, spath, "%s",
				srv->shared_secret[0]
					? "give shared_secret or "
					  "shared_secret_file, not both"
					: "missing shared_secret or "
					  "shared_secret_file");
		if (srv->shared_secret[0]) {
			snprintf(path, sizeof(path), "%s.shared_secret", spath);
			rc = cfgtable_check_secret_mode(
				ld,
				config_setting_get_member(g, "shared_secret"),
				path);
			if (rc < 0)
				return rc;
		}
		for (int j = 0; j < i; j++)
			if (strcmp(c->servers[j].name, srv->name) == 0) {
				snprintf(path, sizeof(path), "%s.name", spath);
				return cfgtable_fail(ld, name_s, path,
						     "\"%s\" is already "
						     "the name of servers[%d]",
						     srv->name, j);
			}
	}
	c->n_servers = n;
	return 0;
}

static double opt_value(const struct cfgtable_opt *o, const struct bb_config *c)
{
	const char *f = (const char *)c + o->off;

	return o->type == CFGT_INT ? *(const int *)f : *(const double *)f;
}

static int check_order(struct cfgtable_load *ld, config_t *cf,
		       const struct bb_config *c)
{
	for (size_t i = 0; i < ARRAY_LEN(ordered); i++) {
		const struct cfgtable_opt *lo =
			cfgtable_find_path(&table, ordered[i].lo);
		const struct cfgtable_opt *hi =
			cfgtable_find_path(&table, ordered[i].hi);
		char a[32], b[32];

		double l = opt_value(lo, c), h = opt_value(hi, c);

		/* a retention of 0 days keeps forever: above any other */
		if (!strncmp(ordered[i].hi, "retention.", 10)) {
			l = l == 0 ? INFINITY : l;
			h = h == 0 ? INFINITY : h;
		}
		if (l <= h)
			continue;
		cfgtable_fmt_num(a, sizeof(a), opt_value(lo, c));
		cfgtable_fmt_num(b, sizeof(b), opt_value(hi, c));
		if (ld->lines[hi - opts]) /* report where the user wrote it */
			return cfgtable_fail(
				ld, config_lookup(cf, ordered[i].hi),
				ordered[i].hi, "%s must not be below %s = %s",
				b, ordered[i].lo, a);
		return cfgtable_fail(
			ld, config_lookup(cf, ordered[i].lo), ordered[i].lo,
			"%s must not be above %s = %s", a, ordered[i].hi, b);
	}
	return 0;
}

/* First existing file of the search order into OUT; false if none. */
static bool find_config(char *out, size_t n)
{
	char dir[CONFIG_PATH_LEN];

	if (cfgtable_xdg_dir("XDG_CONFIG_HOME", dir, sizeof(dir)) == 0 &&
	    (size_t)snprintf(out, n, "%s/%s", dir, CONFIG_USER_FILE) < n &&
	    access(out, F_OK) == 0)
		return true;
	if (access(CONFIG_SYSTEM_FILE, F_OK) == 0) {
		snprintf(out, n, "%s", CONFIG_SYSTEM_FILE);
		return true;
	}
	return false;
}

int config_load(const char *path, struct bb_config *out, char *err,
		size_t errlen)
{
	struct bb_config *c = NULL;
	struct cfgtable_load *ld = NULL;
	char found[CONFIG_PATH_LEN];
	char dummy[1];
	config_t cf;
	int rc;

	if (!err || errlen == 0) {
		err = dummy;
		errlen = sizeof(dummy);
	}
	err[0] = '\0';
	c = malloc(sizeof(*c));
	ld = malloc(sizeof(*ld));
	if (!c || !ld) {
		rc = -ENOMEM;
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	config_defaults(c);
	if (!path) {
		if (!find_config(found, sizeof(found))) {
			memcpy(out, c, sizeof(*c));
			rc = 0;
			goto out;
		}
		path = found;
	}
	if (strlen(path) >= sizeof(c->source_path)) {
		rc = -ENAMETOOLONG;
		snprintf(err, errlen, "%.64s...: path too long", path);
		goto out;
	}
	rc = cfgtable_load_file(ld, &table, path, &cf, c, err, errlen);
	if (rc == 0)
		rc = check_order(ld, &cf, c);
	cfgtable_release(&cf);
	if (rc < 0)
		goto out;
	copy_str(c->source_path, sizeof(c->source_path), path);
	memcpy(out, c, sizeof(*c));
out:
	if (c)
		explicit_bzero(c, sizeof(*c));
	free(c);
	if (ld)
		explicit_bzero(ld, sizeof(*ld)); /* the masked secrets */
	free(ld);
	return rc;
}

/* Bytes of row o's value in a struct (a list with its count apart). */
static size_t opt_bytes(const struct cfgtable_opt *o)
{
	return o->type == CFGT_LIST ? o->size * (size_t)o->max_n : o->size;
}

static bool opt_equal(const struct cfgtable_opt *o, const struct bb_config *a,
		      const struct bb_config *b)
{
	const char *x = (const char *)a + o->off, *y = (const char *)b + o->off;

	if (o->type == CFGT_LIST &&
	    *(const int *)((const char *)a + o->n_off) !=
		    *(const int *)((const char *)b + o->n_off))
		return false;
	if (o->type == CFGT_STR || o->type == CFGT_PATH)
		return strcmp(x, y) == 0;
	return memcmp(x, y, opt_bytes(o)) == 0;
}

static bool servers_equal(const struct bb_config *a, const struct bb_config *b)
{
	if (a->n_servers != b->n_servers)
		return false;
	for (int i = 0; i < a->n_servers; i++) {
		const struct bb_config_server *x = &a->servers[i],
					      *y = &b->servers[i];
		if (strcmp(x->name, y->name) || strcmp(x->host, y->host) ||
		    x->port != y->port ||
		    strcmp(x->shared_secret_file, y->shared_secret_file))
			return false;
	}
	return true;
}

int config_diff(const struct bb_config *a, const struct bb_config *b,
		void (*fn)(void *ctx, const char *path), void *ctx)
{
	char path[96];
	int n = 0;

	for (size_t i = 0; i < ARRAY_LEN(opts); i++) {
		const struct cfgtable_opt *o = &opts[i];

		if (o->type == CFGT_CUSTOM || opt_equal(o, a, b))
			continue;
		snprintf(path, sizeof(path), "%s.%s", o->section, o->key);
		fn(ctx, path);
		n++;
	}
	if (!servers_equal(a, b)) {
		fn(ctx, "servers");
		n++;
	}
	return n;
}

int config_copy_key(struct bb_config *dst, const struct bb_config *src,
		    const char *path)
{
	const struct cfgtable_opt *o = cfgtable_find_path(&table, path);

	if (strcmp(path, "servers") == 0) {
		memcpy(dst->servers, src->servers, sizeof(dst->servers));
		dst->n_servers = src->n_servers;
		return 0;
	}
	if (!o || o->type == CFGT_CUSTOM)
		return -ENOENT;
	memcpy((char *)dst + o->off, (const char *)src + o->off, opt_bytes(o));
	if (o->type == CFGT_LIST)
		memcpy((char *)dst + o->n_off, (const char *)src + o->n_off,
		       sizeof(int));
	return 0;
}

void config_wipe_secrets(struct bb_config *c)
{
	for (size_t i = 0; i < ARRAY_LEN(c->servers); i++)
		explicit_bzero(c->servers[i].shared_secret,
			       sizeof(c->servers[i].shared_secret));
}

/* ---- printing ------------------------------------------------------------ */

static void print_servers(FILE *f, const struct bb_config *c)
{
	fputs("servers = (", f);
	for (int i = 0; i < c->n_servers; i++) {
		const struct bb_config_server *s = &c->servers[i];

		fprintf(f, "%s\n  {\n", i ? "," : "");
		for (size_t k = 0; k < ARRAY_LEN(server_opts); k++) {
			const struct cfgtable_opt *o = &server_opts[k];
			const char *v = (const char *)s + o->off;

			if ((o->type == CFGT_STR || o->type == CFGT_PATH) &&
			    !v[0] && strcmp(o->key, "name") != 0 &&
			    strcmp(o->key, "host") != 0)
				continue; /* the unused one of the secrets */
			cfgtable_print_opt(f, o, s, 2);
		}
		fputs("  }", f);
	}
	fputs(c->n_servers ? "\n);\n" : " );\n", f);
}

static bool is_parent(const char *a, const char *b)
{
	size_t n = strlen(a);

	return strncmp(a, b, n) == 0 && b[n] == '.';
}

void config_keys(void (*fn)(const char *path, void *arg), void *arg)
{
	char path[128];

	for (size_t i = 0; i < ARRAY_LEN(opts); i++) {
		snprintf(path, sizeof(path), "%s%s%s", opts[i].section,
			 opts[i].section[0] ? "." : "", opts[i].key);
		fn(path, arg);
	}
	for (size_t i = 0; i < ARRAY_LEN(server_opts); i++) {
		snprintf(path, sizeof(path), "servers.%s", server_opts[i].key);
		fn(path, arg);
	}
}

int config_print(const struct bb_config *c, FILE *f)
{
	const char *open[4];
	int depth = 0;
	locale_t cloc = newlocale(LC_ALL_MASK, "C", (locale_t)0), old = 0;

	if (cloc)
		old = uselocale(cloc);
	fprintf(f, "# Bufferbane effective configuration (from %s)\n\n",
		c->source_path[0] ? c->source_path : "built-in defaults");
	for (size_t i = 0; i < ARRAY_LEN(sections); i++) {
		const char *sec = sections[i], *dot = strrchr(sec, '.');

		while (depth > 0 && !is_parent(open[depth - 1], sec))
			fprintf(f, "%*s};\n", --depth * 2, "");
		fprintf(f, "%*s%s = {\n", depth * 2, "", dot ? dot + 1 : sec);
		open[depth++] = sec;
		for (size_t k = 0; k < ARRAY_LEN(opts); k++)
			if (strcmp(opts[k].section, sec) == 0)
				cfgtable_print_opt(f, &opts[k], c, depth);
	}
	while (depth > 0)
		fprintf(f, "%*s};\n", --depth * 2, "");
	print_servers(f, c);
	if (cloc) {
		uselocale(old);
		freelocale(cloc);
	}
	return ferror(f) ? -EIO : 0;
}

/* ---- command-line helpers ------------------------------------------------ */

int config_parse_hostport(const char *s, int default_port, char *host,
			  size_t hostlen, int *port, char *err, size_t errlen)
{
	const char *h = s, *p = NULL, *colon;
	char why[CFGTABLE_WHY_LEN];
	size_t hlen;
	bool bracket = false;
	long v = 0;

	if (!s || !*s)
		return cfgtable_why(err, errlen, "empty address");
	if (s[0] == '[') {
		const char *close = strchr(s, ']');

		if (!close)
			return cfgtable_why(err, errlen,
					    "\"%.64s\": missing ']'", s);
		h = s + 1;
		hlen = (size_t)(close - h);
		bracket = true;
		if (close[1] == ':')
			p = close + 2;
		else if (close[1])
			return cfgtable_why(err, errlen,
					    "\"%.64s\": unexpected text "
					    "after ']'",
					    s);
	} else {
		colon = strchr(s, ':');
		if (colon && !strchr(colon + 1, ':')) {
			hlen = (size_t)(colon - s);
			p = colon + 1;
		} else {
			hlen = strlen(s); /* no port, or a bare IPv6 literal */
		}
	}
	if (hlen == 0)
		return cfgtable_why(err, errlen, "\"%.64s\": empty host", s);
	if (hlen >= hostlen)
		return cfgtable_why(err, errlen, "\"%.64s\": host too long", s);
	memcpy(host, h, hlen);
	host[hlen] = '\0';
	if (bracket && !is_ipv6(host))
		return cfgtable_why(err, errlen,
				    "\"%.64s\" is not an IPv6 address", host);
	if (!bracket && check_host(host, why, sizeof(why)) < 0)
		return cfgtable_why(err, errlen, "%s", why);
	if (!p) {
		if (default_port <= 0)
			return cfgtable_why(err, errlen,
					    "\"%.64s\": missing :port", s);
		*port = default_port;
		return 0;
	}
	if (!*p)
		return cfgtable_why(err, errlen, "\"%.64s\": empty port", s);
	for (const char *q = p; *q; q++) {
		if (!isdigit((unsigned char)*q) || v > 65535)
			return cfgtable_why(err, errlen,
					    "\"%.64s\": port must be a "
					    "number 1..65535",
					    s);
		v = v * 10 + (*q - '0');
	}
	if (v < 1 || v > 65535)
		return cfgtable_why(err, errlen,
				    "\"%.64s\": port must be a number "
				    "1..65535",
				    s);
	*port = (int)v;
	return 0;
}

int config_parse_duration(const char *s, int64_t *seconds, char *err,
			  size_t errlen)
{
	static const struct {
		char unit;
		int64_t mult;
	} units[] = { { 's', 1 },
		      { 'm', 60 },
		      { 'h', 3600 },
		      { 'd', 86400 },
		      { 'w', 604800 } };
	int64_t total = 0;
	const char *p = s;

	if (!s || !*s)
		return cfgtable_why(err, errlen,
				    "empty duration (use e.g. 90s, "
				    "15m, 24h, 7d)");
	while (*p) {
		int64_t n = 0, mult = 0;

		if (!isdigit((unsigned char)*p))
			return cfgtable_why(err, errlen,
					    "\"%.32s\": expected a "
					    "number at \"%.16s\"",
					    s, p);
		for (; isdigit((unsigned char)*p); p++) {
			if (n > (INT64_MAX - 9) / 10)
				return cfgtable_why(err, errlen,
						    "\"%.32s\": too "
						    "long",
						    s);
			n = n * 10 + (*p - '0');
		}
		for (size_t i = 0; i < ARRAY_LEN(units); i++)
			if (*p == units[i].unit)
				mult = units[i].mult;
		if (!mult)
			return cfgtable_why(
				err, errlen,
				"\"%.32s\": %s (use s, m, "
				"h, d or w, e.g. 90s, 15m, 24h, 7d)",
				s, *p ? "unknown unit" : "missing unit");
		p++;
		if (n > (INT64_MAX - total) / mult)
			return cfgtable_why(err, errlen, "\"%.32s\": too long",
					    s);
		total += n * mult;
	}
	if (total == 0)
		return cfgtable_why(err, errlen,
				    "\"%.32s\": must be longer than 0", s);
	*seconds = total;
	return 0;
}

/* Read exactly N digits at *P into *V. */
static bool digits(const char **p, int n, int *v)
{
	*v = 0;
	for (int i = 0; i < n; i++, (*p)++) {
		if (!isdigit((unsigned char)**p))
			return false;
		*v = *v * 10 + (**p - '0');
	}
	return true;
}

int config_parse_time(const char *s, time_t *out, char *err, size_t errlen)
{
	static const int mdays[] = { 31, 28, 31, 30, 31, 30,
				     31, 31, 30, 31, 30, 31 };
	int y, mo, d, h = 0, mi = 0, sec = 0, dim;
	const char *p = s;
	struct tm tm;
	time_t t;

	if (!s || !digits(&p, 4, &y) || *p++ != '-' || !digits(&p, 2, &mo) ||
	    *p++ != '-' || !digits(&p, 2, &d))
		goto syntax;
	if (*p == ' ' || *p == 'T') {
		p++;
		if (!digits(&p, 2, &h) || *p++ != ':' || !digits(&p, 2, &mi))
			goto syntax;
		if (*p == ':') {
			p++;
			if (!digits(&p, 2, &sec))
				goto syntax;
		}
	}
	if (*p)
		goto syntax;
	if (y < 1970 || mo < 1 || mo > 12)
		return cfgtable_why(err, errlen, "\"%.40s\": no such date", s);
	dim = mdays[mo - 1] +
	      (mo == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0));
	if (d < 1 || d > dim)
		return cfgtable_why(err, errlen, "\"%.40s\": no such date", s);
	if (h > 23 || mi > 59 || sec > 59)
		return cfgtable_why(err, errlen,
				    "\"%.40s\": no such time of day", s);
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	tm.tm_isdst = -1;
	t = mktime(&tm);
	if (t == (time_t)-1)
		return cfgtable_why(err, errlen, "\"%.40s\": out of range", s);
	if (tm.tm_hour != h || tm.tm_min != mi || tm.tm_mday != d)
		return cfgtable_why(err, errlen,
				    "\"%.40s\" does not exist in local "
				    "time (a daylight-saving gap)",
				    s);
	*out = t;
	return 0;
syntax:
	return cfgtable_why(err, errlen,
			    "\"%.40s\": expected YYYY-MM-DD, "
			    "YYYY-MM-DD HH:MM or YYYY-MM-DD HH:MM:SS",
			    s ? s : "");
}
