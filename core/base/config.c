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

#include "core/base/text.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

#ifndef CONFIG_SYSTEM_FILE
#define CONFIG_SYSTEM_FILE "/etc/bufferbane/bufferbane.conf"
#endif
#define CONFIG_USER_FILE "bufferbane/bufferbane.conf"
#define CONFIG_MAX_FILE	 (1 << 20) /* larger is a mistake */
#define WHY_LEN		 192

/* ---- syntax checks for addresses and names (no resolution) -------------- */

typedef int (*check_fn)(const char *v, char *why, size_t whylen);

static int why_set(char *why, size_t n, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int why_set(char *why, size_t n, const char *fmt, ...)
{
	va_list ap;

	if (!why || n == 0)
		return -EINVAL;
	va_start(ap, fmt);
	vsnprintf(why, n, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

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
		return why_set(why, n, "empty host name");
	if (len > 253)
		return why_set(why, n, "host name longer than 253 characters");
	for (size_t i = 0; i <= len; i++) {
		unsigned char c = i < len ? (unsigned char)s[i] : '.';

		if (c == '.') {
			if (label == 0)
				return why_set(why, n,
					       "empty label in \"%.64s\"", s);
			if (s[i - 1] == '-')
				return why_set(
					why, n,
					"label ends with '-' in \"%.64s\"", s);
			if (i < len) {
				label = 0;
				digits = true;
			}
			continue;
		}
		if (!isalnum(c) && c != '-' && c != '_')
			return why_set(why, n,
				       "\"%.64s\" is neither an address nor a "
				       "host name (bad character '%c')",
				       s, isprint(c) ? c : '?');
		if (label == 0 && c == '-')
			return why_set(why, n,
				       "label starts with '-' in \"%.64s\"", s);
		if (++label > 63)
			return why_set(why, n,
				       "label longer than 63 characters");
		if (!isdigit(c))
			digits = false;
	}
	if (digits)
		return why_set(why, n, "\"%.64s\" is not a valid IPv4 address",
			       s);
	return 0;
}

static int check_host(const char *s, char *why, size_t n)
{
	if (is_ip(s))
		return 0;
	if (strchr(s, ':'))
		return why_set(why, n, "\"%.64s\" is not a valid IPv6 address",
			       s);
	return check_hostname(s, why, n);
}

static int check_nonempty_host(const char *s, char *why, size_t n)
{
	if (!*s)
		return why_set(why, n, "must not be empty");
	return check_host(s, why, n);
}

static int check_gateway(const char *s, char *why, size_t n)
{
	if (strcmp(s, "auto") == 0 || strcmp(s, "none") == 0)
		return 0;
	if (is_ip(s))
		return 0;
	return why_set(why, n,
		       "\"%.64s\" is neither \"auto\", \"none\" nor an "
		       "IPv4 or IPv6 address",
		       s);
}

static int check_ifname(const char *s, char *why, size_t n)
{
	if (!*s)
		return why_set(why, n, "empty interface name");
	for (const char *p = s; *p; p++)
		if (*p == '/' || isspace((unsigned char)*p) ||
		    !isprint((unsigned char)*p))
			return why_set(why, n,
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
		return why_set(why, n, "empty name before '='");
	if ((size_t)(eq - s) > 63)
		return why_set(why, n,
			       "name before '=' longer than 63 "
			       "characters");
	for (const char *p = s; p < eq; p++)
		if (!isprint((unsigned char)*p))
			return why_set(why, n, "unprintable character in name");
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
		return why_set(why, n,
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
	return why_set(why, n,
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
		return why_set(why, n,
			       "must be 64 hex characters (32 bytes; "
			       "`bufferbane keygen` makes one), got %zu "
			       "characters%s",
			       len,
			       all_hex(s, len) ? "" : " with non-hex ones");
	return 0;
}

static int check_name(const char *s, char *why, size_t n)
{
	if (!*s)
		return why_set(why, n, "must not be empty");
	for (const char *p = s; *p; p++)
		if (!isgraph((unsigned char)*p))
			return why_set(why, n,
				       "only printable characters "
				       "without spaces");
	return 0;
}

static int check_hhmm(const char *s, char *why, size_t n)
{
	if (strlen(s) == 5 && isdigit((unsigned char)s[0]) &&
	    isdigit((unsigned char)s[1]) && s[2] == ':' &&
	    isdigit((unsigned char)s[3]) && isdigit((unsigned char)s[4])) {
		int h = (s[0] - '0') * 10 + (s[1] - '0');
		int m = (s[3] - '0') * 10 + (s[4] - '0');

		if (h < 24 && m < 60)
			return 0;
	}
	return why_set(why, n, "\"%.16s\" is not a time of day HH:MM", s);
}

/* ---- the option table ---------------------------------------------------- */

enum opt_type { OPT_BOOL, OPT_INT, OPT_FLOAT, OPT_STR, OPT_PATH, OPT_LIST };

enum { OPT_NONEMPTY = 1 };

struct opt {
	const char *section; /* "general", "tests.dns"; "servers" = a server */
	const char *key;
	enum opt_type type;
	size_t off;   /* field offset in the struct */
	size_t size;  /* field size; for a list, one entry's size */
	size_t n_off; /* list: offset of its count */
	int max_n;    /* list: capacity */
	double min, max;
	const char *unit;
	double def;		     /* bool, int, float */
	const char *def_s;	     /* string, path */
	const char *const *def_list; /* list, NULL-terminated */
	const char *const *choices;  /* allowed words, NULL-terminated */
	check_fn check;
	unsigned flags;
};

#define FLD(T, f) .off = offsetof(T, f), .size = sizeof(((T *)0)->f)
#define C_	  struct bb_config
#define S_	  struct bb_config_server

#define BOOL(sec, k, f, d)                                                     \
	{                                                                      \
		.section = sec, .key = k, .type = OPT_BOOL, FLD(C_, f),        \
		.def = d                                                       \
	}
#define INT(sec, k, f, lo, hi, d, u)                                           \
	{                                                                      \
		.section = sec, .key = k, .type = OPT_INT, FLD(C_, f),         \
		.min = lo, .max = hi, .def = d, .unit = u                      \
	}
#define FLT(sec, k, f, lo, hi, d, u)                                           \
	{                                                                      \
		.section = sec, .key = k, .type = OPT_FLOAT, FLD(C_, f),       \
		.min = lo, .max = hi, .def = d, .unit = u                      \
	}
#define STR(sec, k, f, d, chk, ch)                                             \
	{                                                                      \
		.section = sec, .key = k, .type = OPT_STR, FLD(C_, f),         \
		.def_s = d, .check = chk, .choices = ch                        \
	}
#define PATH(sec, k, f, d, fl)                                                 \
	{                                                                      \
		.section = sec, .key = k, .type = OPT_PATH, FLD(C_, f),        \
		.def_s = d, .flags = fl                                        \
	}
#define LIST(sec, k, f, nf, chk, dl)                                           \
	{                                                                      \
		.section = sec, .key = k, .type = OPT_LIST,                    \
		.off = offsetof(C_, f), .size = sizeof(((C_ *)0)->f[0]),       \
		.n_off = offsetof(C_, nf),                                     \
		.max_n = (int)ARRAY_LEN(((C_ *)0)->f), .check = chk,           \
		.def_list = dl                                                 \
	}

static const char *const conn_types[] = { "auto", "wifi",   "wired", "cellular",
					  "vpn",  "custom", NULL };
static const char *const bloat_types[] = { "upload", "download", "both", NULL };
static const char *const chart_styles[] = { "light", "dark", NULL };
static const char *const log_levels[] = { "error", "warning", "info", "debug",
					  NULL };
static const char *const no_entries[] = { NULL };
static const char *const def_icmp[] = { "1.1.1.1", "8.8.8.8", NULL };
static const char *const def_domains[] = { "example.com", NULL };
static const char *const def_tcp[] = { "1.1.1.1:443", "8.8.8.8:443", NULL };

/* Sections in print order; a key's section must be listed here. */
static const char *const sections[] = {
	"general",     "targets",	   "thresholds",
	"tests",       "tests.throughput", "tests.bufferbloat",
	"tests.dns",   "tests.tcp",	   "monitoring",
	"alerts",      "retention",	   "output",
	"export",      "logging",	   "metrics",
	"loss_stream",
};

#define G "general"
#define T "thresholds"
static const struct opt opts[] = {
	INT(G, "test_interval_ms", general.test_interval_ms, 10, 3600000, 1000,
	    "ms"),
	INT(G, "probe_timeout_ms", general.probe_timeout_ms, 10, 60000, 1000,
	    "ms"),
	PATH(G, "database_path", general.database_path,
	     "$XDG_DATA_HOME/bufferbane/bufferbane.db", OPT_NONEMPTY),
	STR(G, "client_id", general.client_id, "auto", check_client_id, NULL),
	LIST(G, "interfaces", general.interfaces, general.n_interfaces,
	     check_ifname, no_entries),
	STR(G, "connection_type", general.connection_type, "auto", NULL,
	    conn_types),

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

	BOOL("monitoring", "auto_detect_gateway",
	     monitoring.auto_detect_gateway, true),
	INT("monitoring", "gateway_check_interval_sec",
	    monitoring.gateway_check_interval_sec, 1, 86400, 60, "s"),

	BOOL("alerts", "enabled", alerts.enabled, true),
	PATH("alerts", "log_path", alerts.log_path, "", 0),
	STR("alerts", "command", alerts.command, "", NULL, NULL),

	INT("retention", "measurements_days", retention.measurements_days, 1,
	    36500, 30, "days"),
	INT("retention", "aggregations_days", retention.aggregations_days, 1,
	    36500, 365, "days"),
	INT("retention", "events_days", retention.events_days, 1, 36500, 365,
	    "days"),
	STR("retention", "aggregation_time", retention.aggregation_time,
	    "03:00", check_hhmm, NULL),

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

	STR("metrics", "listen", metrics.listen, "", check_listen, NULL),

	INT("loss_stream", "interval_ms", loss_stream.interval_ms, 10, 10000,
	    100, "ms"),
};
#undef G
#undef T

/* One companion server's keys; offsets are into struct bb_config_server. */
static const struct opt server_opts[] = {
	{ .section = "servers",
	  .key = "name",
	  .type = OPT_STR,
	  FLD(S_, name),
	  .def_s = "",
	  .check = check_name },
	{ .section = "servers",
	  .key = "host",
	  .type = OPT_STR,
	  FLD(S_, host),
	  .def_s = "",
	  .check = check_nonempty_host },
	{ .section = "servers",
	  .key = "port",
	  .type = OPT_INT,
	  FLD(S_, port),
	  .min = 1,
	  .max = 65535,
	  .def = CONFIG_DEFAULT_PORT },
	{ .section = "servers",
	  .key = "shared_secret",
	  .type = OPT_STR,
	  FLD(S_, shared_secret),
	  .def_s = "",
	  .check = check_secret },
	{ .section = "servers",
	  .key = "shared_secret_file",
	  .type = OPT_PATH,
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
};

/* ---- paths: "~", $HOME and the XDG base directories ---------------------- */

static const char *home_dir(void)
{
	static char buf[CONFIG_PATH_LEN];
	const char *h = getenv("HOME");
	struct passwd pw, *res = NULL;
	char tmp[4096];

	if (h && h[0] == '/')
		return h;
	if (getpwuid_r(getuid(), &pw, tmp, sizeof(tmp), &res) == 0 && res &&
	    res->pw_dir && res->pw_dir[0] == '/' &&
	    strlen(res->pw_dir) < sizeof(buf)) {
		strcpy(buf, res->pw_dir);
		return buf;
	}
	return NULL;
}

/* XDG base directory NAME (spec: ignored unless absolute) into OUT. */
static int xdg_dir(const char *name, char *out, size_t n)
{
	static const struct {
		const char *name, *fallback;
	} xdg[] = {
		{ "XDG_DATA_HOME", "/.local/share" },
		{ "XDG_CONFIG_HOME", "/.config" },
		{ "XDG_STATE_HOME", "/.local/state" },
		{ "XDG_CACHE_HOME", "/.cache" },
		{ "HOME", "" },
	};
	const char *v, *home;

	for (size_t i = 0; i < ARRAY_LEN(xdg); i++) {
		if (strcmp(name, xdg[i].name) != 0)
			continue;
		v = getenv(name);
		if (v && v[0] == '/' && i + 1 < ARRAY_LEN(xdg)) {
			if ((size_t)snprintf(out, n, "%s", v) >= n)
				return -ENAMETOOLONG;
			return 0;
		}
		home = home_dir();
		if (!home)
			return -ENOENT;
		if ((size_t)snprintf(out, n, "%s%s", home, xdg[i].fallback) >=
		    n)
			return -ENAMETOOLONG;
		return 0;
	}
	return -EINVAL;
}

/* Expand "~", $NAME and ${NAME} (HOME and XDG_*_HOME only) in IN; a relative
 * result is taken relative to BASE_DIR when one is given. */
static int expand_path(const char *in, const char *base_dir, char *out,
		       size_t n, char *why, size_t whylen)
{
	char tmp[CONFIG_PATH_LEN], var[32], val[CONFIG_PATH_LEN];
	size_t o = 0;
	const char *p = in;

	if (!*in) {
		out[0] = '\0';
		return 0;
	}
	if (p[0] == '~' && (p[1] == '/' || p[1] == '\0')) {
		if (xdg_dir("HOME", val, sizeof(val)) < 0)
			return why_set(why, whylen,
				       "cannot find the home "
				       "folder for '~'");
		o = (size_t)snprintf(tmp, sizeof(tmp), "%s", val);
		p++;
	}
	for (; *p && o < sizeof(tmp); p++) {
		size_t vl = 0;
		bool brace;
		int rc;

		if (*p != '$') {
			tmp[o++] = *p;
			continue;
		}
		brace = p[1] == '{';
		p += brace ? 2 : 1;
		while ((isalnum((unsigned char)*p) || *p == '_') &&
		       vl + 1 < sizeof(var))
			var[vl++] = *p++;
		var[vl] = '\0';
		if (brace && *p != '}')
			return why_set(why, whylen, "unterminated ${ in path");
		if (!brace)
			p--;
		if (vl == 0)
			return why_set(why, whylen,
				       "'$' without a variable name "
				       "in path");
		rc = xdg_dir(var, val, sizeof(val));
		if (rc == -EINVAL)
			return why_set(
				why, whylen,
				"unknown variable $%s (use "
				"HOME or XDG_DATA_HOME, XDG_CONFIG_HOME, "
				"XDG_STATE_HOME, XDG_CACHE_HOME)",
				var);
		if (rc < 0)
			return why_set(why, whylen, "cannot expand $%s", var);
		o += (size_t)snprintf(tmp + o, sizeof(tmp) - o, "%s", val);
	}
	if (o >= sizeof(tmp))
		return why_set(why, whylen, "path longer than %zu characters",
			       sizeof(tmp) - 1);
	tmp[o] = '\0';
	if (tmp[0] != '/' && base_dir && base_dir[0]) {
		if ((size_t)snprintf(out, n, "%s/%s", base_dir, tmp) >= n)
			return why_set(why, whylen,
				       "path longer than %zu "
				       "characters",
				       n - 1);
		return 0;
	}
	if (strlen(tmp) >= n)
		return why_set(why, whylen, "path longer than %zu characters",
			       n - 1);
	strcpy(out, tmp);
	return 0;
}

/* ---- defaults ---------------------------------------------------------- */

static void opt_default(const struct opt *o, void *base)
{
	char *f = (char *)base + o->off;
	char why[WHY_LEN];
	int n = 0;

	switch (o->type) {
	case OPT_BOOL:
		*(bool *)f = o->def != 0;
		break;
	case OPT_INT:
		*(int *)f = (int)o->def;
		break;
	case OPT_FLOAT:
		*(double *)f = o->def;
		break;
	case OPT_STR:
		copy_str(f, o->size, o->def_s);
		break;
	case OPT_PATH:
		if (expand_path(o->def_s, NULL, f, o->size, why, sizeof(why)) <
		    0)
			copy_str(f, o->size,
				 "bufferbane.db"); /* no home at all */
		break;
	case OPT_LIST:
		memset(f, 0, o->size * (size_t)o->max_n);
		for (; o->def_list[n]; n++)
			copy_str(f + o->size * (size_t)n, o->size,
				 o->def_list[n]);
		*(int *)((char *)base + o->n_off) = n;
		break;
	}
}

void config_defaults(struct bb_config *out)
{
	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < ARRAY_LEN(opts); i++)
		opt_default(&opts[i], out);
}

/* ---- loading ----------------------------------------------------------- */

#define MAX_WIDE_LINES 32

struct load {
	const char *file;	   /* for messages */
	char dir[CONFIG_PATH_LEN]; /* its folder, for relative paths */
	char *err;
	size_t errlen;
	unsigned lines[ARRAY_LEN(opts)]; /* where each option was set */
	int wide[MAX_WIDE_LINES];	 /* lines with a wrapped integer */
	int n_wide;
	mode_t mode; /* of the main file (fstat of what was read) */
	/* Inline secrets lifted out of the text before libconfig sees it
	 * (mask_secrets); wiped with the struct. */
	char masked[CONFIG_SERVERS_MAX][256];
	int n_masked;
};

static int fail(const struct load *ld, const config_setting_t *s,
		const char *path, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int fail(const struct load *ld, const config_setting_t *s,
		const char *path, const char *fmt, ...)
{
	char what[WHY_LEN + 64];
	const char *file = ld->file;
	int line = s ? config_setting_source_line(s) : 0;
	va_list ap;

	if (s && config_setting_source_file(s))
		file = config_setting_source_file(s);
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	if (!ld->err || ld->errlen == 0)
		return -EINVAL;
	if (line > 0)
		snprintf(ld->err, ld->errlen, "%s:%d: %s: %s", file, line, path,
			 what);
	else
		snprintf(ld->err, ld->errlen, "%s: %s: %s", file, path, what);
	return -EINVAL;
}

/* True when S sits on a line of the main file where the text scan found an
 * integer literal that libconfig wrapped to 32 bits. */
static bool is_wide(const struct load *ld, const config_setting_t *s)
{
	int line = config_setting_source_line(s);

	if (config_setting_source_file(s) &&
	    strcmp(config_setting_source_file(s), ld->file) != 0)
		return false;
	for (int i = 0; i < ld->n_wide; i++)
		if (ld->wide[i] == line)
			return true;
	return false;
}

static void fmt_num(char *buf, size_t n, double v)
{
	snprintf(buf, n, "%.15g", v);
	if (strtod(buf, NULL) != v)
		snprintf(buf, n, "%.17g", v);
}

/* VAL NULL: an integer literal libconfig could not hold in 32 bits. */
static int range_fail(const struct load *ld, const config_setting_t *s,
		      const struct opt *o, const char *path, const char *val)
{
	char lo[32], hi[32];

	fmt_num(lo, sizeof(lo), o->min);
	fmt_num(hi, sizeof(hi), o->max);
	return fail(ld, s, path, "%s%s (%s..%s%s%s)", val ? val : "",
		    val ? " is out of range" : "integer too large", lo, hi,
		    o->unit ? " " : "", o->unit ? o->unit : "");
}

static int store_string(const struct load *ld, const struct opt *o,
			const config_setting_t *s, const char *path,
			const char *v, char *dst, size_t size)
{
	char why[WHY_LEN], buf[CONFIG_PATH_LEN];
	size_t len;

	if (o->type == OPT_PATH) {
		if (expand_path(v, ld->dir, buf, sizeof(buf), why,
				sizeof(why)) < 0)
			return fail(ld, s, path, "%s", why);
		v = buf;
	}
	len = strlen(v);
	if ((o->flags & OPT_NONEMPTY) && len == 0)
		return fail(ld, s, path, "must not be empty");
	if (len >= size)
		return fail(ld, s, path,
			    "too long (%zu characters, at most %zu)", len,
			    size - 1);
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)v[i] < 0x20 && o->type != OPT_STR)
			return fail(ld, s, path, "control character in path");
	if (o->choices) {
		char list[128] = "";
		size_t i;

		for (i = 0; o->choices[i]; i++)
			if (strcmp(v, o->choices[i]) == 0)
				break;
		if (!o->choices[i]) {
			for (i = 0; o->choices[i]; i++)
				snprintf(list + strlen(list),
					 sizeof(list) - strlen(list), "%s%s",
					 i ? ", " : "", o->choices[i]);
			return fail(ld, s, path, "\"%.40s\" is not one of: %s",
				    v, list);
		}
	}
	if (o->check && o->check(v, why, sizeof(why)) < 0)
		return fail(ld, s, path, "%s", why);
	copy_str(dst, size, v);
	return 0;
}

/* libconfig's scanner copies every string literal into buffers it frees
 * unwiped, out of our reach; so an inline secret never gets to it.  Each
 * `shared_secret = "..."` of the main file's text has its value moved to
 * ld->masked[i] and replaced, length kept, by a placeholder: \x01, 'A' + i,
 * then \x01s (no configuration holds a \x01).  Values with escapes, line
 * breaks or of one character stay as they are (an invalid secret anyway),
 * and so does a secret in an @include, which libconfig reads itself. */
static void mask_secrets(struct load *ld, char *text)
{
	static const char key[] = "shared_secret";
	const size_t klen = sizeof(key) - 1;
	char *p = text;

	/* libconfig's lexis, enough to find names outside strings and
	 * comments (#, //, slash-star) */
	while (*p) {
		if (*p == '"') {
			for (p++; *p && *p != '"'; p++)
				if (*p == '\\' && p[1])
					p++;
			p += *p == '"';
			continue;
		}
		if (*p == '#' || (p[0] == '/' && p[1] == '/')) {
			p += strcspn(p, "\n");
			continue;
		}
		if (p[0] == '/' && p[1] == '*') {
			char *e = strstr(p + 2, "*/");
			p = e ? e + 2 : p + strlen(p);
			continue;
		}
		if (!isalpha((unsigned char)*p) && *p != '_' && *p != '*') {
			p++;
			continue;
		}
		char *name = p;
		while (isalnum((unsigned char)*p) || *p == '_' || *p == '-' ||
		       *p == '*')
			p++;
		if ((size_t)(p - name) != klen || strncmp(name, key, klen))
			continue;
		char *q = p + strspn(p, " \t\r\n"), *v;
		if (*q != '=' && *q != ':')
			continue;
		q++;
		q += strspn(q, " \t\r\n");
		if (*q != '"')
			continue;
		v = q + 1;
		size_t n = strcspn(v, "\"\\\n");
		if (v[n] != '"' || n < 2 || n >= sizeof(ld->masked[0]) ||
		    ld->n_masked >= (int)ARRAY_LEN(ld->masked))
			continue; /* the string is skipped as such next */
		memcpy(ld->masked[ld->n_masked], v, n);
		ld->masked[ld->n_masked][n] = '\0';
		memset(v, '\x01', n);
		v[1] = (char)('A' + ld->n_masked++);
		p = v + n + 1;
	}
}

/* A shared_secret setting: its value from ld->masked when libconfig holds
 * a placeholder. */
static int store_secret(struct load *ld, const struct opt *o,
			const config_setting_t *s, const char *path, char *dst)
{
	const char *v = config_setting_get_string(s);
	size_t n = strlen(v);
	int i = n >= 2 && v[0] == '\x01' ? v[1] - 'A' : -1;

	if (i >= 0 && i < ld->n_masked && strlen(ld->masked[i]) == n &&
	    strspn(v + 2, "\x01") == n - 2)
		return store_string(ld, o, s, path, ld->masked[i], dst,
				    o->size);
	if (strchr(v, '\x01'))
		return fail(ld, s, path, "write the secret as one \"...\"");
	return store_string(ld, o, s, path, v, dst, o->size);
}

static int load_value(struct load *ld, const struct opt *o,
		      const config_setting_t *s, const char *path, void *base)
{
	char *f = (char *)base + o->off;
	int type = config_setting_type(s);
	bool is_int = type == CONFIG_TYPE_INT || type == CONFIG_TYPE_INT64;
	char num[32];
	int rc;

	switch (o->type) {
	case OPT_BOOL:
		if (type != CONFIG_TYPE_BOOL)
			return fail(ld, s, path, "expected true or false");
		*(bool *)f = config_setting_get_bool(s);
		return 0;
	case OPT_INT: {
		long long v;

		if (!is_int)
			return fail(ld, s, path, "expected an integer");
		v = config_setting_get_int64(s);
		if (is_wide(ld, s))
			return range_fail(ld, s, o, path, NULL);
		if (v < (long long)o->min || v > (long long)o->max) {
			snprintf(num, sizeof(num), "%lld", v);
			return range_fail(ld, s, o, path, num);
		}
		*(int *)f = (int)v;
		return 0;
	}
	case OPT_FLOAT: {
		double v;

		if (!is_int && type != CONFIG_TYPE_FLOAT)
			return fail(ld, s, path, "expected a number");
		if (is_int && is_wide(ld, s))
			return range_fail(ld, s, o, path, NULL);
		v = is_int ? (double)config_setting_get_int64(s)
			   : config_setting_get_float(s);
		if (!isfinite(v) || v < o->min || v > o->max) {
			fmt_num(num, sizeof(num), v);
			return range_fail(ld, s, o, path, num);
		}
		*(double *)f = v;
		return 0;
	}
	case OPT_STR:
	case OPT_PATH:
		if (type != CONFIG_TYPE_STRING)
			return fail(ld, s, path, "expected a string");
		if (o->check == check_secret)
			return store_secret(ld, o, s, path, f);
		return store_string(ld, o, s, path,
				    config_setting_get_string(s), f, o->size);
	case OPT_LIST: {
		int n;

		if (type != CONFIG_TYPE_ARRAY && type != CONFIG_TYPE_LIST)
			return fail(ld, s, path,
				    "expected a list of strings "
				    "[ \"...\", ... ]");
		n = config_setting_length(s);
		if (n > o->max_n)
			return fail(ld, s, path, "%d entries, at most %d", n,
				    o->max_n);
		memset(f, 0, o->size * (size_t)o->max_n);
		for (int i = 0; i < n; i++) {
			const config_setting_t *e =
				config_setting_get_elem(s, (unsigned)i);
			char epath[96];

			snprintf(epath, sizeof(epath), "%s[%d]", path, i);
			if (config_setting_type(e) != CONFIG_TYPE_STRING)
				return fail(ld, e, epath, "expected a string");
			rc = store_string(ld, o, e, epath,
					  config_setting_get_string(e),
					  f + o->size * (size_t)i, o->size);
			if (rc < 0)
				return rc;
		}
		*(int *)((char *)base + o->n_off) = n;
		return 0;
	}
	}
	return -EINVAL;
}

static const struct opt *find_opt(const struct opt *tab, size_t n,
				  const char *section, const char *key)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(tab[i].section, section) == 0 &&
		    strcmp(tab[i].key, key) == 0)
			return &tab[i];
	return NULL;
}

static const struct opt *find_path(const char *path)
{
	const char *dot = strrchr(path, '.');
	char sec[64];

	if (!dot || (size_t)(dot - path) >= sizeof(sec))
		return NULL;
	memcpy(sec, path, (size_t)(dot - path));
	sec[dot - path] = '\0';
	return find_opt(opts, ARRAY_LEN(opts), sec, dot + 1);
}

static bool is_section(const char *path)
{
	for (size_t i = 0; i < ARRAY_LEN(sections); i++)
		if (strcmp(sections[i], path) == 0)
			return true;
	return false;
}

/* Overwrite inline secrets inside libconfig's tree before it is freed. */
static void wipe_tree(config_t *cf)
{
	config_setting_t *list = config_lookup(cf, "servers");

	for (int i = 0; list && i < config_setting_length(list); i++) {
		config_setting_t *g =
			config_setting_get_elem(list, (unsigned)i);
		config_setting_t *s =
			config_setting_is_group(g)
				? config_setting_get_member(g, "shared_secret")
				: NULL;
		const char *v = s ? config_setting_get_string(s) : NULL;

		if (v)
			explicit_bzero((char *)v, strlen(v));
	}
}

/* An inline secret is as secret as the key file it replaces: refused in a
 * file group or others can access, as key_load_file refuses such a key
 * file.  k is the setting, in the main file or an @include. */
static int check_secret_mode(const struct load *ld, const config_setting_t *k,
			     const char *path)
{
	const char *file = config_setting_source_file(k);
	char full[2 * CONFIG_PATH_LEN] = "";
	mode_t mode = ld->mode;
	struct stat st;

	if (file && strcmp(file, ld->file) != 0) {
		/* libconfig names an @include as written: relative to the
		 * include folder, the main file's */
		snprintf(full, sizeof(full), "%s%s%s",
			 file[0] != '/' && ld->dir[0] ? ld->dir : "",
			 file[0] != '/' && ld->dir[0] ? "/" : "", file);
		if (stat(full, &st) < 0)
			return fail(ld, k, path, "%s: %s", full,
				    strerror(errno));
		mode = st.st_mode;
	}
	if (!(mode & (S_IRWXG | S_IRWXO)))
		return 0;
	return fail(ld, k, path,
		    "an inline secret in a file group or others can read "
		    "(mode %04o); run: chmod 600 %s, or put the key in a file "
		    "of its own and give shared_secret_file",
		    (unsigned)(mode & 07777), full[0] ? full : ld->file);
}

static int load_servers(struct load *ld, config_setting_t *list,
			struct bb_config *c)
{
	int n = config_setting_length(list);

	if (!config_setting_is_list(list) &&
	    !(config_setting_is_array(list) && n == 0))
		return fail(ld, list, "servers",
			    "expected a list of groups "
			    "( { name = ...; host = ...; }, ... )");
	if (n > CONFIG_SERVERS_MAX)
		return fail(ld, list, "servers", "%d servers, at most %d", n,
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
			return fail(ld, g, spath,
				    "expected a group { name = "
				    "...; host = ...; }");
		memset(srv, 0, sizeof(*srv));
		for (size_t k = 0; k < ARRAY_LEN(server_opts); k++)
			opt_default(&server_opts[k], srv);
		for (int k = 0; k < config_setting_length(g); k++) {
			config_setting_t *m =
				config_setting_get_elem(g, (unsigned)k);
			const char *key = config_setting_name(m);
			const struct opt *o =
				find_opt(server_opts, ARRAY_LEN(server_opts),
					 "servers", key);

			snprintf(path, sizeof(path), "%s.%s", spath, key);
			if (!o)
				return fail(ld, m, path, "unknown key");
			rc = load_value(ld, o, m, path, srv);
			if (rc < 0)
				return rc;
			if (o->off == offsetof(struct bb_config_server, name))
				name_s = m;
		}
		if (!srv->name[0])
			return fail(ld, g, spath, "missing name");
		if (!srv->host[0])
			return fail(ld, g, spath, "missing host");
		{
			const config_setting_t *k = config_setting_get_member(
				g, srv->shared_secret_file[0]
					   ? "shared_secret_file"
					   : "shared_secret");
			srv->secret_line =
				k ? config_setting_source_line(k) : 0;
		}
		if (!srv->shared_secret[0] == !srv->shared_secret_file[0])
			return fail(ld, g, spath, "%s",
				    srv->shared_secret[0]
					    ? "give shared_secret or "
					      "shared_secret_file, not both"
					    : "missing shared_secret or "
					      "shared_secret_file");
		if (srv->shared_secret[0]) {
			snprintf(path, sizeof(path), "%s.shared_secret", spath);
			rc = check_secret_mode(
				ld,
				config_setting_get_member(g, "shared_secret"),
				path);
			if (rc < 0)
				return rc;
		}
		for (int j = 0; j < i; j++)
			if (strcmp(c->servers[j].name, srv->name) == 0) {
				snprintf(path, sizeof(path), "%s.name", spath);
				return fail(ld, name_s, path,
					    "\"%s\" is already "
					    "the name of servers[%d]",
					    srv->name, j);
			}
	}
	c->n_servers = n;
	return 0;
}

static int walk(struct load *ld, config_setting_t *g, const char *prefix,
		struct bb_config *c)
{
	for (int i = 0; i < config_setting_length(g); i++) {
		config_setting_t *m = config_setting_get_elem(g, (unsigned)i);
		const char *name = config_setting_name(m);
		const struct opt *o;
		char path[96];
		int rc;

		snprintf(path, sizeof(path), "%s%s%s", prefix ? prefix : "",
			 prefix ? "." : "", name);
		if (!prefix && strcmp(name, "servers") == 0) {
			rc = load_servers(ld, m, c);
		} else if (is_section(path)) {
			if (!config_setting_is_group(m))
				return fail(ld, m, path,
					    "expected a section "
					    "{ ... }");
			rc = walk(ld, m, path, c);
		} else if ((o = find_path(path))) {
			rc = load_value(ld, o, m, path, c);
			ld->lines[o - opts] = config_setting_source_line(m);
		} else {
			rc = fail(ld, m, path, "unknown %s",
				  config_setting_is_group(m) ? "section"
							     : "key");
		}
		if (rc < 0)
			return rc;
	}
	return 0;
}

static double opt_value(const struct opt *o, const struct bb_config *c)
{
	const char *f = (const char *)c + o->off;

	return o->type == OPT_INT ? *(const int *)f : *(const double *)f;
}

static int check_order(struct load *ld, config_t *cf, const struct bb_config *c)
{
	for (size_t i = 0; i < ARRAY_LEN(ordered); i++) {
		const struct opt *lo = find_path(ordered[i].lo);
		const struct opt *hi = find_path(ordered[i].hi);
		char a[32], b[32];

		if (opt_value(lo, c) <= opt_value(hi, c))
			continue;
		fmt_num(a, sizeof(a), opt_value(lo, c));
		fmt_num(b, sizeof(b), opt_value(hi, c));
		if (ld->lines[hi - opts]) /* report where the user wrote it */
			return fail(ld, config_lookup(cf, ordered[i].hi),
				    ordered[i].hi,
				    "%s must not be below %s = %s", b,
				    ordered[i].lo, a);
		return fail(ld, config_lookup(cf, ordered[i].lo), ordered[i].lo,
			    "%s must not be above %s = %s", a, ordered[i].hi,
			    b);
	}
	return 0;
}

/* Find decimal or hex integer literals outside strings and comments that
 * libconfig 1.5 would silently wrap to 32 bits (no L suffix). */
static void scan_wide(struct load *ld, const char *t)
{
	int line = 1;

	for (const char *p = t; *p; p++) {
		if (*p == '\n') {
			line++;
		} else if (*p == '#' || *p == '@' ||
			   (p[0] == '/' && p[1] == '/')) {
			while (p[1] && p[1] != '\n')
				p++;
		} else if (p[0] == '/' && p[1] == '*') {
			for (p += 2; *p && !(p[0] == '*' && p[1] == '/'); p++)
				if (*p == '\n')
					line++;
			if (!*p)
				return;
			p++;
		} else if (*p == '"') {
			for (p++; *p && *p != '"'; p++)
				if (p[0] == '\\' && p[1])
					p++;
			if (!*p)
				return;
		} else if (isalpha((unsigned char)*p) || *p == '_' ||
			   *p == '*') {
			while (isalnum((unsigned char)p[1]) || p[1] == '_' ||
			       p[1] == '-' || p[1] == '*')
				p++;
		} else if (isdigit((unsigned char)*p)) {
			const char *s = p;
			bool hex = p[0] == '0' && (p[1] == 'x' || p[1] == 'X');
			bool flt = false, wide;
			size_t digits;

			while (isalnum((unsigned char)p[1]) || p[1] == '.' ||
			       ((p[1] == '-' || p[1] == '+') && !hex &&
				(p[0] == 'e' || p[0] == 'E')))
				p++;
			for (const char *q = s; q <= p; q++)
				if (*q == '.' ||
				    (!hex && (*q == 'e' || *q == 'E')))
					flt = true;
			if (flt || *p == 'L')
				continue;
			if (hex) {
				s += 2;
				while (*s == '0' && s < p)
					s++;
				wide = p - s + 1 > 8;
			} else {
				while (*s == '0' && s < p)
					s++;
				digits = (size_t)(p - s + 1);
				wide = digits > 10 ||
				       (digits == 10 &&
					strncmp(s, "2147483648", 10) >= 0);
			}
			if (wide && ld->n_wide < MAX_WIDE_LINES)
				ld->wide[ld->n_wide++] = line;
		}
	}
}

static int read_text(const char *path, char **out, mode_t *mode, char *err,
		     size_t errlen)
{
	FILE *fp = fopen(path, "r");
	struct stat st;
	char *buf = NULL;
	size_t len = 0;
	int rc = 0;

	if (!fp) {
		rc = -errno;
		snprintf(err, errlen, "%s: %s", path, strerror(-rc));
		return rc;
	}
	/* unbuffered: stdio's buffer would be freed by fclose holding the
	 * text (an inline secret) unwiped; fread fills buf directly */
	setvbuf(fp, NULL, _IONBF, 0);
	if (fstat(fileno(fp), &st) < 0) {
		rc = -errno;
		snprintf(err, errlen, "%s: %s", path, strerror(-rc));
		goto out;
	}
	*mode = st.st_mode;
	if (S_ISDIR(st.st_mode)) {
		rc = -EISDIR;
		snprintf(err, errlen, "%s: is a folder, not a file", path);
		goto out;
	}
	buf = malloc(CONFIG_MAX_FILE + 1);
	if (!buf) {
		rc = -ENOMEM;
		snprintf(err, errlen, "%s: out of memory", path);
		goto out;
	}
	len = fread(buf, 1, CONFIG_MAX_FILE + 1, fp);
	if (ferror(fp)) {
		rc = -EIO;
		snprintf(err, errlen, "%s: read error", path);
		goto out;
	}
	if (len > CONFIG_MAX_FILE) {
		rc = -EFBIG;
		snprintf(err, errlen, "%s: larger than %d bytes", path,
			 CONFIG_MAX_FILE);
		goto out;
	}
	if (memchr(buf, '\0', len)) {
		rc = -EINVAL;
		snprintf(err, errlen, "%s: contains a NUL byte", path);
		goto out;
	}
	buf[len] = '\0';
	*out = buf;
	buf = NULL;
out:
	if (buf)
		explicit_bzero(buf, len); /* a refused file may hold a secret */
	free(buf);
	fclose(fp);
	return rc;
}

/* First existing file of the search order into OUT; false if none. */
static bool find_config(char *out, size_t n)
{
	char dir[CONFIG_PATH_LEN];

	if (xdg_dir("XDG_CONFIG_HOME", dir, sizeof(dir)) == 0 &&
	    (size_t)snprintf(out, n, "%s/%s", dir, CONFIG_USER_FILE) < n &&
	    access(out, F_OK) == 0)
		return true;
	if (access(CONFIG_SYSTEM_FILE, F_OK) == 0) {
		snprintf(out, n, "%s", CONFIG_SYSTEM_FILE);
		return true;
	}
	return false;
}

static int parse_file(struct load *ld, const char *text, struct bb_config *c)
{
	config_t cf;
	locale_t cloc = newlocale(LC_ALL_MASK, "C", (locale_t)0), old = 0;
	int rc;

	config_init(&cf);
	if (ld->dir[0])
		config_set_include_dir(&cf, ld->dir);
	if (cloc)
		old = uselocale(cloc); /* libconfig's strtod: "0.5", always */
	rc = config_read_string(&cf, text) == CONFIG_TRUE ? 0 : -EINVAL;
	if (cloc) {
		uselocale(old);
		freelocale(cloc);
	}
	if (rc < 0) {
		const char *what = config_error_text(&cf);

		if (!what || strcmp(what, "syntax error") == 0)
			what = "unexpected text (a missing ';', '=', quote or "
			       "brace here or just above?)";
		snprintf(ld->err, ld->errlen, "%s:%d: syntax error: %s",
			 config_error_file(&cf) ? config_error_file(&cf)
						: ld->file,
			 config_error_line(&cf), what);
		goto out;
	}
	scan_wide(ld, text);
	rc = walk(ld, config_root_setting(&cf), NULL, c);
	if (rc == 0)
		rc = check_order(ld, &cf, c);
out:
	wipe_tree(&cf);
	config_destroy(&cf);
	return rc;
}

int config_load(const char *path, struct bb_config *out, char *err,
		size_t errlen)
{
	struct bb_config *c = NULL;
	struct load *ld = NULL;
	char found[CONFIG_PATH_LEN], *text = NULL, *slash;
	char dummy[1];
	int rc;

	if (!err || errlen == 0) {
		err = dummy;
		errlen = sizeof(dummy);
	}
	err[0] = '\0';
	c = malloc(sizeof(*c));
	ld = calloc(1, sizeof(*ld));
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
	ld->file = path;
	ld->err = err;
	ld->errlen = errlen;
	snprintf(ld->dir, sizeof(ld->dir), "%s", path);
	slash = strrchr(ld->dir, '/');
	if (slash)
		slash[slash == ld->dir ? 1 : 0] = '\0';
	else
		ld->dir[0] = '\0';
	rc = read_text(path, &text, &ld->mode, err, errlen);
	if (rc < 0)
		goto out;
	mask_secrets(ld, text);
	rc = parse_file(ld, text, c);
	if (rc < 0)
		goto out;
	copy_str(c->source_path, sizeof(c->source_path), path);
	memcpy(out, c, sizeof(*c));
out:
	if (c)
		explicit_bzero(c, sizeof(*c));
	if (text)
		explicit_bzero(text, strlen(text));
	free(c);
	if (ld)
		explicit_bzero(ld, sizeof(*ld)); /* the masked secrets */
	free(ld);
	free(text);
	return rc;
}

void config_wipe_secrets(struct bb_config *c)
{
	for (size_t i = 0; i < ARRAY_LEN(c->servers); i++)
		explicit_bzero(c->servers[i].shared_secret,
			       sizeof(c->servers[i].shared_secret));
}

/* ---- printing ------------------------------------------------------------ */

static void print_quoted(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch == '"' || ch == '\\')
			fprintf(f, "\\%c", ch);
		else if (ch < 0x20 || ch == 0x7f)
			fprintf(f, "\\x%02x", ch);
		else
			fputc(ch, f);
	}
	fputc('"', f);
}

static void print_opt(FILE *f, const struct opt *o, const void *base, int depth)
{
	const char *v = (const char *)base + o->off;
	char num[40];
	int n;

	fprintf(f, "%*s%s = ", depth * 2, "", o->key);
	switch (o->type) {
	case OPT_BOOL:
		fputs(*(const bool *)v ? "true" : "false", f);
		break;
	case OPT_INT:
		fprintf(f, "%d", *(const int *)v);
		break;
	case OPT_FLOAT:
		fmt_num(num, sizeof(num), *(const double *)v);
		if (!strpbrk(num, ".e"))
			strcat(num, ".0");
		fputs(num, f);
		break;
	case OPT_STR:
	case OPT_PATH:
		print_quoted(f, v);
		break;
	case OPT_LIST:
		n = *(const int *)((const char *)base + o->n_off);
		fputc('[', f);
		for (int i = 0; i < n; i++) {
			fputs(i ? ", " : " ", f);
			print_quoted(f, v + o->size * (size_t)i);
		}
		fputs(" ]", f);
		break;
	}
	fputs(";\n", f);
}

static void print_servers(FILE *f, const struct bb_config *c)
{
	fputs("servers = (", f);
	for (int i = 0; i < c->n_servers; i++) {
		const struct bb_config_server *s = &c->servers[i];

		fprintf(f, "%s\n  {\n", i ? "," : "");
		for (size_t k = 0; k < ARRAY_LEN(server_opts); k++) {
			const struct opt *o = &server_opts[k];
			const char *v = (const char *)s + o->off;

			if ((o->type == OPT_STR || o->type == OPT_PATH) &&
			    !v[0] && strcmp(o->key, "name") != 0 &&
			    strcmp(o->key, "host") != 0)
				continue; /* the unused one of the secrets */
			print_opt(f, o, s, 2);
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
				print_opt(f, &opts[k], c, depth);
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
	char why[WHY_LEN];
	size_t hlen;
	bool bracket = false;
	long v = 0;

	if (!s || !*s)
		return why_set(err, errlen, "empty address");
	if (s[0] == '[') {
		const char *close = strchr(s, ']');

		if (!close)
			return why_set(err, errlen, "\"%.64s\": missing ']'",
				       s);
		h = s + 1;
		hlen = (size_t)(close - h);
		bracket = true;
		if (close[1] == ':')
			p = close + 2;
		else if (close[1])
			return why_set(err, errlen,
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
		return why_set(err, errlen, "\"%.64s\": empty host", s);
	if (hlen >= hostlen)
		return why_set(err, errlen, "\"%.64s\": host too long", s);
	memcpy(host, h, hlen);
	host[hlen] = '\0';
	if (bracket && !is_ipv6(host))
		return why_set(err, errlen, "\"%.64s\" is not an IPv6 address",
			       host);
	if (!bracket && check_host(host, why, sizeof(why)) < 0)
		return why_set(err, errlen, "%s", why);
	if (!p) {
		if (default_port <= 0)
			return why_set(err, errlen, "\"%.64s\": missing :port",
				       s);
		*port = default_port;
		return 0;
	}
	if (!*p)
		return why_set(err, errlen, "\"%.64s\": empty port", s);
	for (const char *q = p; *q; q++) {
		if (!isdigit((unsigned char)*q) || v > 65535)
			return why_set(err, errlen,
				       "\"%.64s\": port must be a "
				       "number 1..65535",
				       s);
		v = v * 10 + (*q - '0');
	}
	if (v < 1 || v > 65535)
		return why_set(err, errlen,
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
		return why_set(err, errlen,
			       "empty duration (use e.g. 90s, "
			       "15m, 24h, 7d)");
	while (*p) {
		int64_t n = 0, mult = 0;

		if (!isdigit((unsigned char)*p))
			return why_set(err, errlen,
				       "\"%.32s\": expected a "
				       "number at \"%.16s\"",
				       s, p);
		for (; isdigit((unsigned char)*p); p++) {
			if (n > (INT64_MAX - 9) / 10)
				return why_set(err, errlen,
					       "\"%.32s\": too "
					       "long",
					       s);
			n = n * 10 + (*p - '0');
		}
		for (size_t i = 0; i < ARRAY_LEN(units); i++)
			if (*p == units[i].unit)
				mult = units[i].mult;
		if (!mult)
			return why_set(err, errlen,
				       "\"%.32s\": %s (use s, m, "
				       "h, d or w, e.g. 90s, 15m, 24h, 7d)",
				       s, *p ? "unknown unit" : "missing unit");
		p++;
		if (n > (INT64_MAX - total) / mult)
			return why_set(err, errlen, "\"%.32s\": too long", s);
		total += n * mult;
	}
	if (total == 0)
		return why_set(err, errlen, "\"%.32s\": must be longer than 0",
			       s);
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
		return why_set(err, errlen, "\"%.40s\": no such date", s);
	dim = mdays[mo - 1] +
	      (mo == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0));
	if (d < 1 || d > dim)
		return why_set(err, errlen, "\"%.40s\": no such date", s);
	if (h > 23 || mi > 59 || sec > 59)
		return why_set(err, errlen, "\"%.40s\": no such time of day",
			       s);
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
		return why_set(err, errlen, "\"%.40s\": out of range", s);
	if (tm.tm_hour != h || tm.tm_min != mi || tm.tm_mday != d)
		return why_set(err, errlen,
			       "\"%.40s\" does not exist in local "
			       "time (a daylight-saving gap)",
			       s);
	*out = t;
	return 0;
syntax:
	return why_set(err, errlen,
		       "\"%.40s\": expected YYYY-MM-DD, "
		       "YYYY-MM-DD HH:MM or YYYY-MM-DD HH:MM:SS",
		       s ? s : "");
}
