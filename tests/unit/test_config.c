/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for core/config: built-in defaults, the shipped
 * etc/bufferbane.conf, every kind of validation error with its exact
 * "FILE:LINE: key.path: what" text, the search order through
 * XDG_CONFIG_HOME and HOME, path expansion, print -> load round trips, and
 * the host:port, duration and time parsers.  Every config is a real file in
 * a fresh mkdtemp folder; environment variables the module reads are set
 * per test and restored.
 */
#include "core/base/config.h"

#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <locale.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include <dlfcn.h>
#include <malloc.h>

#define SECRET_INC                                                             \
	"ffeeddccbbaa99887766554433221100"                                     \
	"ffeeddccbbaa99887766554433221100"

#define SECRET_A                                                               \
	"00112233445566778899aabbccddeeff"                                     \
	"00112233445566778899aabbccddeeff"

struct env_save {
	const char *name;
	char *value; /* NULL = was unset */
};

static const char *const env_names[] = { "HOME", "XDG_CONFIG_HOME",
					 "XDG_DATA_HOME", "TZ" };

struct fx {
	char dir[64];
	char path[PATH_MAX];
	struct env_save env[4];
	struct bb_config c, d;
	char err[512];
};

static int rm_one(const char *p, const struct stat *st, int flag,
		  struct FTW *ftw)
{
	return remove(p);
}

static int setup(void **state)
{
	struct fx *fx = calloc(1, sizeof(*fx));

	if (!fx)
		return -1;
	snprintf(fx->dir, sizeof(fx->dir), "/tmp/bb-test-config.XXXXXX");
	if (!mkdtemp(fx->dir))
		return -1;
	for (size_t i = 0; i < 4; i++) {
		const char *v = getenv(env_names[i]);

		fx->env[i].name = env_names[i];
		fx->env[i].value = v ? strdup(v) : NULL;
	}
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fx *fx = *state;

	for (size_t i = 0; i < 4; i++) {
		if (fx->env[i].value)
			setenv(fx->env[i].name, fx->env[i].value, 1);
		else
			unsetenv(fx->env[i].name);
		free(fx->env[i].value);
	}
	tzset();
	nftw(fx->dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	free(fx);
	return 0;
}

/* Write TEXT to DIR/REL (creating folders) and return the full path. */
static const char *write_at(struct fx *fx, const char *rel, const char *text)
{
	char *slash;
	FILE *f;

	snprintf(fx->path, sizeof(fx->path), "%s/%s", fx->dir, rel);
	for (slash = strchr(fx->path + strlen(fx->dir) + 1, '/'); slash;
	     slash = strchr(slash + 1, '/')) {
		*slash = '\0';
		mkdir(fx->path, 0700);
		*slash = '/';
	}
	f = fopen(fx->path, "w");
	assert_non_null(f);
	/* no stdio buffer left on the heap holding a secret (a later block
	 * carved from it would read as one test_secret_wiped missed) */
	setvbuf(f, NULL, _IONBF, 0);
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
	/* as a config holding an inline secret must be */
	assert_int_equal(chmod(fx->path, 0600), 0);
	return fx->path;
}

static const char *write_conf(struct fx *fx, const char *text)
{
	return write_at(fx, "test.conf", text);
}

/* ---- defaults ------------------------------------------------------------ */

static void test_defaults(void **state)
{
	struct fx *fx = *state;
	struct bb_config *c = &fx->c;
	char want[600];

	setenv("XDG_DATA_HOME", "/srv/data", 1);
	config_defaults(c);
	assert_string_equal(c->source_path, "");
	assert_int_equal(c->general.test_interval_ms, 1000);
	assert_int_equal(c->general.probe_timeout_ms, 1000);
	assert_string_equal(c->general.database_path,
			    "/srv/data/bufferbane/bufferbane.db");
	assert_string_equal(c->general.client_id, "auto");
	assert_int_equal(c->general.n_interfaces, 0);
	assert_string_equal(c->general.connection_type, "auto");
	assert_string_equal(c->targets.isp_gateway, "auto");
	assert_int_equal(c->targets.n_public_dns, 2);
	assert_string_equal(c->targets.public_dns[0], "1.1.1.1");
	assert_string_equal(c->targets.public_dns[1], "8.8.8.8");
	assert_int_equal(c->targets.n_custom, 0);
	assert_int_equal(c->n_servers, 0);
	assert_int_equal(c->thresholds.jitter_warning_ms, 10);
	assert_int_equal(c->thresholds.jitter_critical_ms, 30);
	assert_true(c->thresholds.latency_spike_factor == 3.0);
	assert_int_equal(c->thresholds.latency_spike_probes, 2);
	assert_int_equal(c->thresholds.latency_spike_min_ms, 2000);
	assert_true(c->thresholds.packet_loss_warning_pct == 0.5);
	assert_true(c->thresholds.packet_loss_critical_pct == 1.0);
	assert_int_equal(c->thresholds.consecutive_loss_warning, 3);
	assert_int_equal(c->thresholds.consecutive_loss_threshold, 5);
	assert_true(c->thresholds.throughput_warning_pct == 80.0);
	assert_true(c->thresholds.throughput_alert_pct == 70.0);
	assert_true(c->thresholds.throughput_critical_pct == 50.0);
	assert_int_equal(c->thresholds.bufferbloat_warning_ms, 100);
	assert_int_equal(c->thresholds.bufferbloat_alert_ms, 200);
	assert_int_equal(c->thresholds.bufferbloat_critical_ms, 500);
	assert_int_equal(c->thresholds.dns_slow_ms, 200);
	assert_true(c->thresholds.dns_failure_pct == 10.0);
	assert_int_equal(c->tests.throughput.chunk_bytes, 1200);
	assert_true(c->tests.bufferbloat.enabled);
	/* under 1 GB/day on 100/20 Mbit (etc/bufferbane.conf TRAFFIC) */
	assert_int_equal(c->tests.bufferbloat.interval_s, 14400);
	assert_int_equal(c->tests.bufferbloat.test_duration_s, 12);
	assert_int_equal(c->tests.bufferbloat.first_test_s, 300);
	assert_true(c->tests.throughput.enabled);
	assert_int_equal(c->tests.throughput.small_test_kb, 64);
	assert_int_equal(c->tests.throughput.small_interval_s, 300);
	assert_int_equal(c->tests.throughput.medium_test_kb, 1024);
	assert_int_equal(c->tests.throughput.medium_interval_s, 3600);
	assert_int_equal(c->tests.throughput.large_test_kb, 10240);
	assert_int_equal(c->tests.throughput.large_interval_s, 21600);
	assert_int_equal(c->tests.throughput.first_test_s, 300);
	assert_string_equal(c->tests.bufferbloat.test_type, "both");
	assert_true(c->tests.dns.enabled);
	assert_int_equal(c->tests.dns.interval_s, 10);
	assert_int_equal(c->tests.dns.n_dns_servers, 2);
	assert_int_equal(c->tests.dns.n_test_domains, 1);
	assert_string_equal(c->tests.dns.test_domains[0], "example.com");
	assert_false(c->tests.tcp.enabled);
	assert_int_equal(c->tests.tcp.interval_s, 10);
	assert_true(c->monitoring.auto_detect_gateway);
	assert_int_equal(c->monitoring.gateway_check_interval_sec, 60);
	assert_true(c->alerts.enabled);
	assert_string_equal(c->alerts.command, "");
	assert_int_equal(c->retention.measurements_days, 30);
	assert_int_equal(c->retention.aggregations_days, 365);
	assert_int_equal(c->retention.events_days, 365);
	assert_int_equal(c->output.status_interval_s, 60);
	assert_int_equal(c->export.chart_width, 1200);
	assert_int_equal(c->export.chart_height, 600);
	assert_string_equal(c->logging.level, "info");
	assert_string_equal(c->logging.file, "");
	assert_string_equal(c->metrics.listen, "");
	assert_int_equal(c->loss_stream.interval_ms, 100);

	/* XDG_DATA_HOME unset or relative: ~/.local/share (XDG spec). */
	setenv("HOME", fx->dir, 1);
	setenv("XDG_DATA_HOME", "relative/data", 1);
	config_defaults(c);
	snprintf(want, sizeof(want), "%s/.local/share/bufferbane/bufferbane.db",
		 fx->dir);
	assert_string_equal(c->general.database_path, want);
	unsetenv("XDG_DATA_HOME");
	config_defaults(&fx->d);
	assert_memory_equal(c, &fx->d, sizeof(*c));
}

/* The shipped file documents every key with its default: it must load and
 * equal the built-in defaults byte for byte (apart from source_path). */
static void test_shipped_file(void **state)
{
	struct fx *fx = *state;
	const char *top = getenv("BB_TOP");
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/etc/bufferbane.conf", top ? top : ".");
	assert_int_equal(config_load(path, &fx->c, fx->err, sizeof(fx->err)),
			 0);
	assert_string_equal(fx->err, "");
	assert_string_equal(fx->c.source_path, path);
	memset(fx->c.source_path, 0, sizeof(fx->c.source_path));
	config_defaults(&fx->d);
	assert_memory_equal(&fx->c, &fx->d, sizeof(fx->c));
}

/* ---- validation errors --------------------------------------------------- */

struct bad {
	const char *text;
	const char *want; /* the message after "FILE" */
};

static const struct bad bad_cases[] = {
	/* libconfig syntax */
	{ "general = {\n  test_interval_ms = ;\n};\n",
	  ":2: syntax error: unexpected text (a missing ';', '=', quote or "
	  "brace here or just above?)" },
	{ "general = {\n  test_interval_ms = 1;\n  test_interval_ms = 2;\n};\n",
	  ":3: syntax error: duplicate setting name" },
	/* unknown keys and sections */
	{ "general = {\n  test_intervall_ms = 500;\n};\n",
	  ":2: general.test_intervall_ms: unknown key; did you mean "
	  "'general.test_interval_ms'?" },
	{ "\ngenral = {\n  test_interval_ms = 500;\n};\n",
	  ":2: genral: unknown section; did you mean 'general'?" },
	{ "verbose = true;\n", ":1: verbose: unknown key" },
	{ "tests = {\n  dns = {\n    enable = true;\n  };\n};\n",
	  ":3: tests.dns.enable: unknown key; did you mean "
	  "'tests.dns.enabled'?" },
	{ "tests = {\n  icmp = { };\n};\n", ":2: tests.icmp: unknown section" },
	/* typos: the nearest known key, in its section or another */
	{ "thresholds = { latency_warn_ms = 90; };\n",
	  ":1: thresholds.latency_warn_ms: unknown key; did you mean "
	  "'thresholds.latency_warning_ms'?" },
	{ "general = { latency_warning_ms = 90; };\n",
	  ":1: general.latency_warning_ms: unknown key; did you mean "
	  "'thresholds.latency_warning_ms'?" },
	{ "tests = { throughput = { larg_interval_s = 90; }; };\n",
	  ":1: tests.throughput.larg_interval_s: unknown key; did you mean "
	  "'tests.throughput.large_interval_s'?" },
	{ "tests = { bloat = { }; };\n", ":1: tests.bloat: unknown section" },
	/* the names valid at that place first: a word of one, never the
	 * top-level section of the same name */
	{ "tests = { dns = { servers = [ ]; }; };\n",
	  ":1: tests.dns.servers: unknown key; did you mean "
	  "'tests.dns.dns_servers'?" },
	{ "tests = { dns = { domains = [ ]; }; };\n",
	  ":1: tests.dns.domains: unknown key; did you mean "
	  "'tests.dns.test_domains'?" },
	{ "tests = { dns = { logging = 1; }; };\n",
	  ":1: tests.dns.logging: unknown key" },
	{ "general = { interval_ms = 500; };\n",
	  ":1: general.interval_ms: unknown key; did you mean "
	  "'general.test_interval_ms'?" },
	/* the original templates' keys: what to use instead */
	{ "output = {\n  use_colors = true;\n};\n",
	  ":2: output.use_colors: not a Bufferbane key: colours follow the "
	  "terminal; set NO_COLOR=1 in the environment for none (t switches "
	  "the theme on screen)" },
	{ "logging = { max_size_mb = 100; };\n",
	  ":1: logging.max_size_mb: not a Bufferbane key: Bufferbane does not "
	  "rotate its log: let logrotate rotate logging.file (SIGHUP reopens "
	  "it), or use logging.syslog = true" },
	{ "logging = { path = \"./bufferbane.log\"; };\n",
	  ":1: logging.path: not a Bufferbane key: use logging.file" },
	{ "retention = { aggregation_time = \"03:00\"; };\n",
	  ":1: retention.aggregation_time: not a Bufferbane key: rollups are "
	  "built every minute and retention runs continuously; remove it" },
	{ "alerts = { latency_threshold_ms = 100.0; };\n",
	  ":1: alerts.latency_threshold_ms: not a Bufferbane key: use "
	  "thresholds.latency_warning_ms" },
	{ "server = {\n  enabled = false;\n};\n",
	  ":1: server: not a Bufferbane section: companion servers are a "
	  "list: servers = ( { name = \"vps\"; host = \"...\"; port = 9876; "
	  "shared_secret_file = \"...\"; } );" },
	/* per-interface connection types */
	{ "general = { connection_types = [ \"wlan0\" ]; };\n",
	  ":1: general.connection_types[0]: \"wlan0\": expected "
	  "\"INTERFACE=TYPE\", e.g. \"wlan0=wifi\"" },
	{ "general = { connection_types = [ \"wlan0=wireless\" ]; };\n",
	  ":1: general.connection_types[0]: \"wlan0=wireless\": type is not "
	  "one of: wifi, wired, cellular, vpn, custom, loopback" },
	/* types */
	{ "general = 5;\n", ":1: general: expected a section { ... }" },
	{ "general = {\n  test_interval_ms = \"fast\";\n};\n",
	  ":2: general.test_interval_ms: expected an integer" },
	{ "general = { test_interval_ms = 1000.0; };\n",
	  ":1: general.test_interval_ms: expected an integer" },
	{ "tests = { dns = { enabled = 1; }; };\n",
	  ":1: tests.dns.enabled: expected true or false" },
	{ "thresholds = { dns_failure_pct = \"10\"; };\n",
	  ":1: thresholds.dns_failure_pct: expected a number" },
	{ "logging = { level = 3; };\n",
	  ":1: logging.level: expected a string" },
	{ "targets = {\n  public_dns = \"198.18.0.53\";\n};\n",
	  ":2: targets.public_dns: expected a list of strings [ \"...\", ... "
	  "]" },
	{ "targets = {\n  public_dns = ( \"198.18.0.53\",\n    2 );\n};\n",
	  ":3: targets.public_dns[1]: expected a string" },
	/* ranges */
	{ "general = {\n  test_interval_ms = 5;\n};\n",
	  ":2: general.test_interval_ms: 5 is out of range (10..3600000 ms)" },
	{ "general = { test_interval_ms = 3600001; };\n",
	  ":1: general.test_interval_ms: 3600001 is out of range "
	  "(10..3600000 ms)" },
	{ "general = {\n  test_interval_ms = 4294968296;\n};\n",
	  ":2: general.test_interval_ms: integer too large (10..3600000 ms)" },
	{ "thresholds = {\n  dns_failure_pct = 4294967306;\n};\n",
	  ":2: thresholds.dns_failure_pct: integer too large (0..100 %)" },
	{ "thresholds = { packet_loss_critical_pct = 100.5; };\n",
	  ":1: thresholds.packet_loss_critical_pct: 100.5 is out of range "
	  "(0..100 %)" },
	{ "thresholds = { packet_loss_warning_pct = -1; };\n",
	  ":1: thresholds.packet_loss_warning_pct: -1 is out of range "
	  "(0..100 %)" },
	{ "tests = { throughput = { chunk_bytes = 70000; }; };\n",
	  ":1: tests.throughput.chunk_bytes: 70000 is out of range "
	  "(64..65507 bytes)" },
	{ "loss_stream = { interval_ms = 0; };\n",
	  ":1: loss_stream.interval_ms: 0 is out of range (10..10000 ms)" },
	/* words, names, times */
	{ "general = { connection_type = \"wireless\"; };\n",
	  ":1: general.connection_type: \"wireless\" is not one of: auto, "
	  "wifi, wired, cellular, vpn, custom" },
	{ "tests = { bufferbloat = { test_type = \"up\"; }; };\n",
	  ":1: tests.bufferbloat.test_type: \"up\" is not one of: upload, "
	  "download, both" },
	{ "general = { client_id = \"laptop\"; };\n",
	  ":1: general.client_id: must be \"auto\" or 16 hex characters (8 "
	  "bytes)" },
	{ "general = { interfaces = [ \"eth0\", \"wl an0\" ]; };\n",
	  ":1: general.interfaces[1]: bad character in interface name "
	  "\"wl an0\"" },
	{ "general = { interfaces = [ \"averyveryverylongname\" ]; };\n",
	  ":1: general.interfaces[0]: too long (21 characters, at most 15)" },
	{ "general = { database_path = \"\"; };\n",
	  ":1: general.database_path: must not be empty" },
	{ "logging = { file = \"$LOGDIR/bb.log\"; };\n",
	  ":1: logging.file: unknown variable $LOGDIR (use HOME or "
	  "XDG_DATA_HOME, XDG_CONFIG_HOME, XDG_STATE_HOME, XDG_CACHE_HOME)" },
	/* addresses */
	{ "targets = { isp_gateway = \"198.18.1.300\"; };\n",
	  ":1: targets.isp_gateway: \"198.18.1.300\" is neither \"auto\", "
	  "\"none\" nor an IPv4 or IPv6 address" },
	{ "targets = { isp_gateway = \"router.lan\"; };\n",
	  ":1: targets.isp_gateway: \"router.lan\" is neither \"auto\", "
	  "\"none\" nor an IPv4 or IPv6 address" },
	/* (libconfig dates an entry by the token after it: the line of the
	 * ',' or closing bracket, so keep those on the entry's line.) */
	{ "targets = {\n  public_dns = [\n    \"198.18.0.53\",\n    \"bad "
	  "host\",\n"
	  "    \"198.18.0.54\" ];\n};\n",
	  ":4: targets.public_dns[1]: \"bad host\" is neither an address nor a "
	  "host name (bad character ' ')" },
	{ "targets = { public_dns = [ \"198.18.3.999\" ]; };\n",
	  ":1: targets.public_dns[0]: \"198.18.3.999\" is not a valid IPv4 "
	  "address" },
	{ "targets = { public_dns = [ \"2001:db8::g\" ]; };\n",
	  ":1: targets.public_dns[0]: \"2001:db8::g\" is not a valid IPv6 "
	  "address" },
	{ "targets = { public_dns = [ \"-bad.example\" ]; };\n",
	  ":1: targets.public_dns[0]: label starts with '-' in "
	  "\"-bad.example\"" },
	{ "targets = { custom = [ \"=198.18.0.53\" ]; };\n",
	  ":1: targets.custom[0]: empty name before '='" },
	{ "targets = { public_dns = [ \"a\", \"b\", \"c\", \"d\", \"e\", "
	  "\"f\", \"g\", \"h\", \"i\", \"j\", \"k\", \"l\", \"m\", \"n\", "
	  "\"o\", \"p\", \"q\" ]; };\n",
	  ":1: targets.public_dns: 17 entries, at most 16" },
	{ "tests = { dns = { dns_servers = [ \"dns.google\" ]; }; };\n",
	  ":1: tests.dns.dns_servers[0]: \"dns.google\" is not an IPv4 or "
	  "IPv6 address (names are not resolved here)" },
	{ "tests = { tcp = { targets = [ \"example.com\" ]; }; };\n",
	  ":1: tests.tcp.targets[0]: \"example.com\": missing :port" },
	{ "tests = { tcp = { targets = [ \"example.com:70000\" ]; }; };\n",
	  ":1: tests.tcp.targets[0]: \"example.com:70000\": port must be a "
	  "number 1..65535" },
	{ "metrics = { listen = \"localhost:9877\"; };\n",
	  ":1: metrics.listen: \"localhost\" is not an IPv4 or IPv6 address "
	  "(names are not resolved here)" },
	/* servers */
	{ "servers = { name = \"a\"; };\n",
	  ":1: servers: expected a list of groups ( { name = ...; host = ...; "
	  "}, ... )" },
	{ "servers = ( \"a\" );\n",
	  ":1: servers[0]: expected a group { name = ...; host = ...; }" },
	{ "servers = (\n  { name = \"a\"; host = \"s.example\";\n"
	  "    port = 0; shared_secret = \"" SECRET_A "\"; }\n);\n",
	  ":3: servers[0].port: 0 is out of range (1..65535)" },
	{ "servers = (\n  { name = \"a\"; host = \"s.example\";\n"
	  "    shared_secret = \"abcd\"; }\n);\n",
	  ":3: servers[0].shared_secret: must be 64 hex characters (32 bytes; "
	  "`bufferbane keygen` makes one), got 4 characters" },
	{ "servers = (\n  { name = \"a\"; host = \"s.example\";\n"
	  "    shared_secret = \"zz112233445566778899aabbccddeeff0011223344556"
	  "6778899aabbccddeeff\"; }\n);\n",
	  ":3: servers[0].shared_secret: must be 64 hex characters (32 bytes; "
	  "`bufferbane keygen` makes one), got 64 characters with non-hex "
	  "ones" },
	{ "servers = (\n  { name = \"a\"; host = \"s.example\";\n"
	  "    shared_secret = \"" SECRET_A "\";\n"
	  "    shared_secret_file = \"/etc/bb.key\"; }\n);\n",
	  ":2: servers[0]: give shared_secret or shared_secret_file, not "
	  "both" },
	{ "servers = (\n  { name = \"a\"; host = \"s.example\"; }\n);\n",
	  ":2: servers[0]: missing shared_secret or shared_secret_file" },
	{ "servers = (\n  { name = \"a\"; shared_secret = \"" SECRET_A
	  "\"; }\n);\n",
	  ":2: servers[0]: missing host" },
	{ "servers = (\n  { name = \"a\"; host = \"s.example\";\n"
	  "    secret = \"x\"; }\n);\n",
	  ":3: servers[0].secret: unknown key; did you mean 'shared_secret'?" },
	{ "servers = (\n  { name = \"a\"; host = \"s.example\";\n"
	  "    shared_secret_fle = \"x\"; }\n);\n",
	  ":3: servers[0].shared_secret_fle: unknown key; did you mean "
	  "'shared_secret_file'?" },
	{ "servers = (\n  { name = \"a\"; host = \"s\"; shared_secret = "
	  "\"" SECRET_A "\"; },\n  { name = \"a\"; host = \"t\";\n"
	  "    shared_secret_file = \"k\"; }\n);\n",
	  ":3: servers[1].name: \"a\" is already the name of servers[0]" },
	/* ordered pairs */
	{ "thresholds = {\n  latency_warning_ms = 500;\n};\n",
	  ":2: thresholds.latency_warning_ms: 500 must not be above "
	  "thresholds.latency_critical_ms = 300" },
	{ "thresholds = {\n  throughput_alert_pct = 40;\n};\n",
	  ":2: thresholds.throughput_alert_pct: 40 must not be below "
	  "thresholds.throughput_critical_pct = 50" },
	{ "thresholds = {\n  bufferbloat_warning_ms = 150;\n"
	  "  bufferbloat_alert_ms = 120;\n};\n",
	  ":3: thresholds.bufferbloat_alert_ms: 120 must not be below "
	  "thresholds.bufferbloat_warning_ms = 150" },
	{ "tests = { bufferbloat = {\n  interval_s = 10; }; };\n",
	  ":2: tests.bufferbloat.interval_s: 10 must not be below "
	  "tests.bufferbloat.test_duration_s = 12" },
};

static void test_errors(void **state)
{
	struct fx *fx = *state;

	for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		const char *path = write_conf(fx, bad_cases[i].text);
		char want[700];
		int rc;

		memset(&fx->c, 0x5a, sizeof(fx->c));
		memcpy(&fx->d, &fx->c, sizeof(fx->c));
		rc = config_load(path, &fx->c, fx->err, sizeof(fx->err));
		snprintf(want, sizeof(want), "%s%s", path, bad_cases[i].want);
		if (rc != -EINVAL || strcmp(fx->err, want) != 0)
			print_error("case %zu:\n%s\n got rc %d: %s\nwant: %s\n",
				    i, bad_cases[i].text, rc, fx->err, want);
		assert_int_equal(rc, -EINVAL);
		assert_string_equal(fx->err, want);
		/* On error OUT is left alone. */
		assert_memory_equal(&fx->c, &fx->d, sizeof(fx->c));
	}
}

/* An inline secret in a file group or others can read is refused, as
 * key_load_file refuses such a key file; the message names the file and
 * line of the secret (an @include's too) and says what to do. */
static void test_secret_mode(void **state)
{
	struct fx *fx = *state;
	const char *text = "servers = (\n"
			   "  { name = \"a\"; host = \"h\";\n"
			   "    shared_secret = \"" SECRET_A "\"; }\n);\n";
	const mode_t bad[] = { 0644, 0640, 0604, 0660, 0606 };
	char want[PATH_MAX + 300];
	const char *path;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		path = write_conf(fx, text);
		assert_int_equal(chmod(path, bad[i]), 0);
		assert_int_equal(
			config_load(path, &fx->c, fx->err, sizeof(fx->err)),
			-EINVAL);
		snprintf(want, sizeof(want),
			 "%s:3: servers[0].shared_secret: an inline secret in "
			 "a file group or others can read (mode %04o); run: "
			 "chmod 600 %s, or put the key in a file of its own "
			 "and give shared_secret_file",
			 path, (unsigned)bad[i], path);
		assert_string_equal(fx->err, want);
		assert_null(strstr(fx->err, SECRET_A));
	}
	path = write_conf(fx, text); /* 0600 */
	assert_int_equal(config_load(path, &fx->c, fx->err, sizeof(fx->err)),
			 0);
	assert_string_equal(fx->c.servers[0].shared_secret, SECRET_A);
	/* a key file named in a readable config is fine: the secret is not
	 * in it */
	path = write_conf(fx, "servers = ( { name = \"a\"; host = \"h\"; "
			      "shared_secret_file = \"/k\"; } );\n");
	assert_int_equal(chmod(path, 0644), 0);
	assert_int_equal(config_load(path, &fx->c, fx->err, sizeof(fx->err)),
			 0);
	/* the secret in a readable @include of a private main file (another
	 * secret: libconfig reads an @include itself and frees its copy
	 * unwiped, which test_secret_wiped would find later) */
	char inc[PATH_MAX];
	snprintf(inc, sizeof(inc), "%s",
		 write_at(fx, "servers.inc",
			  "servers = (\n"
			  "  { name = \"a\"; host = \"h\";"
			  " shared_secret = \"" SECRET_INC "\"; }\n);\n"));
	assert_int_equal(chmod(inc, 0644), 0);
	path = write_conf(fx, "general = { };\n@include \"servers.inc\"\n");
	assert_int_equal(config_load(path, &fx->c, fx->err, sizeof(fx->err)),
			 -EINVAL);
	snprintf(want, sizeof(want),
		 "servers.inc:2: servers[0].shared_secret: an inline secret in "
		 "a file group or others can read (mode 0644); run: chmod 600 "
		 "%s,",
		 inc);
	assert_true(strncmp(fx->err, want, strlen(want)) == 0);
	assert_int_equal(chmod(inc, 0600), 0);
	assert_int_equal(config_load(path, &fx->c, fx->err, sizeof(fx->err)),
			 0);
}

/* Secret wiping is checked where the heap gives it back: this binary's
 * free() looks for the inline secret (either half) in every block freed
 * while a config loads: config_load's copies, stdio's buffer, and the
 * blocks libconfig frees (counted apart: its scanner copies every string
 * unwiped, which config.c's mask_secrets keeps the secret out of).
 * Sanitizer runtimes define free() themselves: the check is off there. */
#if !defined(__SANITIZE_ADDRESS__) && !defined(__SANITIZE_THREAD__)
extern void __libc_free(void *p);
/* volatile: the compiler knows free() and would drop the stores around
 * it as dead */
static const char *volatile free_watch;
static volatile int free_leaks, free_leaks_libconfig;

void free(void *p)
{
	if (p && free_watch) {
		size_t n = malloc_usable_size(p);
		Dl_info di;
		if (memmem(p, n, free_watch, 32) ||
		    memmem(p, n, free_watch + 32, 32)) {
			if (dladdr(__builtin_return_address(0), &di) &&
			    di.dli_fname && strstr(di.dli_fname, "libconfig"))
				free_leaks_libconfig++;
			else
				free_leaks++;
		}
	}
	__libc_free(p);
}

static void test_secret_wiped(void **state)
{
	struct fx *fx = *state;
	const char *path =
		write_conf(fx, "servers = (\n"
			       "  { name = \"a\"; host = \"h\";\n"
			       "    shared_secret = \"" SECRET_A "\"; }\n);\n");
	free_watch = SECRET_A;
	free_leaks = free_leaks_libconfig = 0;
	int rc = config_load(path, &fx->c, fx->err, sizeof(fx->err));
	free_watch = NULL;
	assert_int_equal(rc, 0);
	assert_string_equal(fx->c.servers[0].shared_secret, SECRET_A);
	assert_int_equal(free_leaks, 0);
	assert_int_equal(free_leaks_libconfig, 0); /* mask_secrets */
	/* the check finds a secret freed unwiped */
	char *leak = malloc(80);
	assert_non_null(leak);
	snprintf(leak, 80, "x%s", SECRET_A);
	free_watch = SECRET_A;
	free(leak);
	free_watch = NULL;
	assert_int_equal(free_leaks, 1);
	config_wipe_secrets(&fx->c);
	assert_string_equal(fx->c.servers[0].shared_secret, "");
}
#else
static void test_secret_wiped(void **state)
{
	skip();
}
#endif

/* config.c hides inline secrets from libconfig's scanner: what it parses
 * is what the file says, whatever the spelling around the secret. */
static void test_secret_masking(void **state)
{
	struct fx *fx = *state;
	const char *path = write_conf(
		fx, "# shared_secret = \"" SECRET_INC "\";\n"
		    "/* shared_secret = \"x\" */ servers = (\n"
		    "  { name = \"a\"; host = \"h\"; shared_secret:\"" SECRET_A
		    "\"; },\n"
		    "  { name = \"b\"; host = \"h\";\n"
		    "    shared_secret\t=\n\t\"" SECRET_INC "\"; },\n"
		    "  { name = \"shared_secret=\"; host = \"h\"; "
		    "shared_secret_file = \"/k\"; }\n);\n");

	assert_int_equal(config_load(path, &fx->c, fx->err, sizeof(fx->err)),
			 0);
	assert_string_equal(fx->c.servers[0].shared_secret, SECRET_A);
	assert_string_equal(fx->c.servers[1].shared_secret, SECRET_INC);
	assert_string_equal(fx->c.servers[2].name, "shared_secret=");
	assert_string_equal(fx->c.servers[2].shared_secret_file, "/k");
	/* two literals make one string in libconfig: not a secret we can
	 * keep from its scanner, so refused with a hint */
	path = write_conf(
		fx, "servers = ( { name = \"a\"; host = \"h\";\n"
		    "  shared_secret = \"00112233445566778899aabbccdd"
		    "eeff\" \"00112233445566778899aabbccddeeff\"; } );\n");
	assert_int_equal(config_load(path, &fx->c, fx->err, sizeof(fx->err)),
			 -EINVAL);
	assert_non_null(strstr(fx->err, ":2: servers[0].shared_secret: write "
					"the secret as one \"...\""));
}

/* The secret never appears in an error message. */
static void test_error_hides_secret(void **state)
{
	struct fx *fx = *state;
	const char *path = write_conf(fx, "servers = ( { name = \"a\"; host = "
					  "\"h\"; shared_secret = \"0123456789"
					  "abcdefXYZ\"; } );\n");

	assert_int_equal(config_load(path, &fx->c, fx->err, sizeof(fx->err)),
			 -EINVAL);
	assert_null(strstr(fx->err, "0123456789"));
	assert_non_null(strstr(fx->err, "got 19 characters"));
}

static void test_missing_file(void **state)
{
	struct fx *fx = *state;
	char path[PATH_MAX], want[PATH_MAX + 64];

	snprintf(path, sizeof(path), "%s/nope.conf", fx->dir);
	assert_int_equal(config_load(path, &fx->c, fx->err, sizeof(fx->err)),
			 -ENOENT);
	snprintf(want, sizeof(want), "%s: No such file or directory", path);
	assert_string_equal(fx->err, want);

	assert_int_equal(config_load(fx->dir, &fx->c, fx->err, sizeof(fx->err)),
			 -EISDIR);
	snprintf(want, sizeof(want), "%s: is a folder, not a file", fx->dir);
	assert_string_equal(fx->err, want);

	/* A NULL error buffer is allowed. */
	assert_int_equal(config_load(path, &fx->c, NULL, 0), -ENOENT);
}

static void test_search_order(void **state)
{
	struct fx *fx = *state;
	char xdg[PATH_MAX], home[PATH_MAX], want[PATH_MAX];
	bool system = access("/etc/bufferbane/bufferbane.conf", F_OK) == 0;

	snprintf(xdg, sizeof(xdg), "%s/xdg", fx->dir);
	snprintf(home, sizeof(home), "%s/home", fx->dir);
	setenv("XDG_CONFIG_HOME", xdg, 1);
	setenv("HOME", home, 1);

	/* Nothing in the user's folders: the system file or the defaults. */
	assert_int_equal(config_load(NULL, &fx->c, fx->err, sizeof(fx->err)),
			 0);
	assert_string_equal(fx->c.source_path,
			    system ? "/etc/bufferbane/bufferbane.conf" : "");
	if (!system) {
		config_defaults(&fx->d);
		assert_memory_equal(&fx->c, &fx->d, sizeof(fx->c));
	}

	/* $HOME/.config is not used while XDG_CONFIG_HOME is set. */
	write_at(fx, "home/.config/bufferbane/bufferbane.conf",
		 "general = { test_interval_ms = 500; };\n");
	snprintf(want, sizeof(want), "%s", fx->path);
	assert_int_equal(config_load(NULL, &fx->c, fx->err, sizeof(fx->err)),
			 0);
	assert_int_not_equal(fx->c.general.test_interval_ms, 500);

	write_at(fx, "xdg/bufferbane/bufferbane.conf",
		 "general = { test_interval_ms = 250; };\n");
	assert_int_equal(config_load(NULL, &fx->c, fx->err, sizeof(fx->err)),
			 0);
	assert_string_equal(fx->c.source_path, fx->path);
	assert_int_equal(fx->c.general.test_interval_ms, 250);

	/* Unset, or relative (ignored per the XDG spec): ~/.config. */
	unsetenv("XDG_CONFIG_HOME");
	assert_int_equal(config_load(NULL, &fx->c, fx->err, sizeof(fx->err)),
			 0);
	assert_string_equal(fx->c.source_path, want);
	assert_int_equal(fx->c.general.test_interval_ms, 500);
	setenv("XDG_CONFIG_HOME", "xdg", 1);
	assert_int_equal(config_load(NULL, &fx->c, fx->err, sizeof(fx->err)),
			 0);
	assert_string_equal(fx->c.source_path, want);

	/* A file that is found but broken is an error, not a fallback. */
	write_at(fx, "home/.config/bufferbane/bufferbane.conf",
		 "general = { test_interval_ms = 1; };\n");
	assert_int_equal(config_load(NULL, &fx->c, fx->err, sizeof(fx->err)),
			 -EINVAL);
	assert_non_null(strstr(fx->err, "general.test_interval_ms"));
}

static void test_paths(void **state)
{
	struct fx *fx = *state;
	char want[PATH_MAX + 64];
	const char *path;

	setenv("HOME", "/home/tester", 1);
	setenv("XDG_DATA_HOME", "/var/xdg", 1);
	path = write_conf(fx, "general = {\n"
			      "  database_path = \"~/bb.db\";\n};\n"
			      "alerts = { log_path = \"alerts.log\"; };\n"
			      "logging = { file = \"${XDG_DATA_HOME}/bb.log\"; "
			      "};\n"
			      "servers = ( { name = \"s\"; host = \"::1\"; "
			      "shared_secret_file = \"$HOME/k\"; } );\n");
	assert_int_equal(config_load(path, &fx->c, fx->err, sizeof(fx->err)),
			 0);
	assert_string_equal(fx->c.general.database_path, "/home/tester/bb.db");
	snprintf(want, sizeof(want), "%s/alerts.log", fx->dir);
	assert_string_equal(fx->c.alerts.log_path, want);
	assert_string_equal(fx->c.logging.file, "/var/xdg/bb.log");
	assert_string_equal(fx->c.servers[0].shared_secret_file,
			    "/home/tester/k");
	assert_int_equal(fx->c.servers[0].port, 9876);
}

/* ---- print -> load round trip ------------------------------------------- */

static char *print_to_string(const struct bb_config *c)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	assert_int_equal(config_print(c, f), 0);
	fclose(f);
	return buf;
}

static void round_trip(struct fx *fx, const struct bb_config *c)
{
	char *text = print_to_string(c), *text2;
	const char *path = write_at(fx, "printed.conf", text);
	struct bb_config *c2 = &fx->d;

	if (config_load(path, c2, fx->err, sizeof(fx->err)) != 0)
		print_error("%s\n%s\n", fx->err, text);
	assert_string_equal(fx->err, "");
	assert_string_equal(c2->source_path, path);
	text2 = print_to_string(c2);
	/* Identical apart from the first line that names the source. */
	assert_string_equal(strchr(text, '\n'), strchr(text2, '\n'));
	memcpy(c2->source_path, c->source_path, sizeof(c2->source_path));
	for (int i = 0; i < c2->n_servers; i++) /* lines of another file */
		c2->servers[i].secret_line = c->servers[i].secret_line;
	assert_memory_equal(c, c2, sizeof(*c));
	free(text);
	free(text2);
}

static void test_round_trip(void **state)
{
	struct fx *fx = *state;
	const char *path;

	config_defaults(&fx->c);
	round_trip(fx, &fx->c);

	path = write_conf(
		fx,
		"general = {\n"
		"  test_interval_ms = 250;\n"
		"  client_id = \"0011223344aabbcc\";\n"
		"  interfaces = ( \"eth0\", \"wlan0\" );\n"
		"  connection_type = \"wifi\";\n"
		"};\n"
		"targets = {\n"
		"  isp_gateway = \"fe80::1%eth0\";\n"
		"  public_dns = [ ];\n"
		"  custom = [ \"nas=192.168.1.10\", \"example.org.\" ];\n"
		"};\n"
		"thresholds = { packet_loss_warning_pct = 0.1;\n"
		"  packet_loss_critical_pct = 2; latency_spike_factor = 2.5;\n"
		"  latency_spike_min_ms = 1500;\n"
		"  throughput_critical_pct = 33.333333333333336; };\n"
		"tests = { tcp = { enabled = true; targets = [\n"
		"  \"[2001:db8::1]:443\", \"h.example:22\" ]; };\n"
		"  dns = { dns_servers = [ \"9.9.9.9:5353\", \"[::1]\" ]; }; "
		"};\n"
		"alerts = { command = \"notify-send \\\"bb\\\" 'a\\\\b'\\t\"; "
		"};\n"
		"metrics = { listen = \"[::1]:9877\"; };\n"
		"export = { chart_style = \"dark\"; };\n"
		"servers = (\n"
		"  { name = \"home\"; host = \"198.18.0.2\"; port = 4000;\n"
		"    shared_secret = \"" SECRET_A "\"; },\n"
		"  { name = \"vps\"; host = \"vps.example.net\";\n"
		"    shared_secret_file = \"/etc/bufferbane/vps.key\"; }\n"
		");\n");
	assert_int_equal(config_load(path, &fx->c, fx->err, sizeof(fx->err)),
			 0);
	assert_int_equal(fx->c.n_servers, 2);
	assert_string_equal(fx->c.servers[0].shared_secret, SECRET_A);
	assert_int_equal(fx->c.servers[0].port, 4000);
	assert_string_equal(fx->c.servers[1].shared_secret, "");
	assert_int_equal(fx->c.servers[1].port, 9876);
	assert_string_equal(fx->c.alerts.command,
			    "notify-send \"bb\" 'a\\b'\t");
	assert_int_equal(fx->c.targets.n_public_dns, 0);
	assert_string_equal(fx->c.targets.custom[0], "nas=192.168.1.10");
	assert_true(fx->c.thresholds.packet_loss_warning_pct == 0.1);
	assert_true(fx->c.thresholds.packet_loss_critical_pct == 2.0);
	assert_int_equal(fx->c.thresholds.latency_spike_min_ms, 1500);
	round_trip(fx, &fx->c);

	config_wipe_secrets(&fx->c);
	assert_string_equal(fx->c.servers[0].shared_secret, "");
	assert_string_equal(fx->c.servers[1].name, "vps");
}

/* A decimal-comma locale (the TUI calls setlocale) must not change how
 * "0.5" is read or printed.  Skipped where no such locale is installed. */
static void test_locale(void **state)
{
	struct fx *fx = *state;
	const char *path;
	char *text;

	if (!setlocale(LC_NUMERIC, "de_DE.UTF-8") &&
	    !setlocale(LC_NUMERIC, "fr_FR.UTF-8")) {
		skip();
		return;
	}
	path = write_conf(fx, "thresholds = { packet_loss_warning_pct = "
			      "0.25; };\n");
	assert_int_equal(config_load(path, &fx->c, fx->err, sizeof(fx->err)),
			 0);
	assert_true(fx->c.thresholds.packet_loss_warning_pct == 0.25);
	text = print_to_string(&fx->c);
	setlocale(LC_NUMERIC, "C");
	assert_non_null(strstr(text, "packet_loss_warning_pct = 0.25;"));
	free(text);
}

/* ---- command-line helpers ------------------------------------------------ */

static void test_hostport(void **state)
{
	static const struct {
		const char *in;
		int defport;
		const char *host;
		int port; /* 0 = error expected */
	} cases[] = {
		{ "example.com:443", 0, "example.com", 443 },
		{ "example.com", 9876, "example.com", 9876 },
		{ "198.18.0.1:1", 0, "198.18.0.1", 1 },
		{ "[2001:db8::1]:65535", 0, "2001:db8::1", 65535 },
		{ "[::1]", 53, "::1", 53 },
		{ "2001:db8::1", 9876, "2001:db8::1", 9876 },
		{ "fe80::1%eth0", 7, "fe80::1%eth0", 7 },
		{ "example.com", 0, NULL, 0 },
		{ "example.com:", 9876, NULL, 0 },
		{ "example.com:0", 0, NULL, 0 },
		{ "example.com:65536", 0, NULL, 0 },
		{ "example.com:99999999999999999999", 0, NULL, 0 },
		{ "example.com:8o", 0, NULL, 0 },
		{ ":80", 0, NULL, 0 },
		{ "", 80, NULL, 0 },
		{ "[example.com]:80", 0, NULL, 0 },
		{ "[::1", 0, NULL, 0 },
		{ "[::1]x", 0, NULL, 0 },
		{ "bad host:80", 0, NULL, 0 },
		{ "1.2.3.4.5", 80, NULL, 0 },
	};
	char host[64], err[256];
	int port;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int rc;

		err[0] = '\0';
		port = -1;
		rc = config_parse_hostport(cases[i].in, cases[i].defport, host,
					   sizeof(host), &port, err,
					   sizeof(err));
		if (cases[i].port) {
			assert_int_equal(rc, 0);
			assert_string_equal(host, cases[i].host);
			assert_int_equal(port, cases[i].port);
		} else {
			if (rc != -EINVAL)
				print_error("case %s\n", cases[i].in);
			assert_int_equal(rc, -EINVAL);
			assert_true(err[0] != '\0');
		}
	}
	assert_int_equal(config_parse_hostport("a.example:80", 0, host, 4,
					       &port, err, sizeof(err)),
			 -EINVAL);
	assert_string_equal(err, "\"a.example:80\": host too long");
}

static void test_duration(void **state)
{
	static const struct {
		const char *in;
		int64_t want; /* 0 = error expected */
	} cases[] = {
		{ "90s", 90 },
		{ "15m", 900 },
		{ "24h", 86400 },
		{ "7d", 604800 },
		{ "2w", 1209600 },
		{ "1h30m", 5400 },
		{ "0h10s", 10 },
		{ "", 0 },
		{ "90", 0 },
		{ "15x", 0 },
		{ "s", 0 },
		{ "-5m", 0 },
		{ "0s", 0 },
		{ "1 h", 0 },
		{ "1h ", 0 },
		{ "99999999999999999999s", 0 },
		{ "9999999999999999d", 0 },
	};
	char err[256];
	int64_t s;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int rc = config_parse_duration(cases[i].in, &s, err,
					       sizeof(err));

		if (cases[i].want) {
			assert_int_equal(rc, 0);
			assert_int_equal(s, cases[i].want);
		} else {
			if (rc != -EINVAL)
				print_error("case \"%s\"\n", cases[i].in);
			assert_int_equal(rc, -EINVAL);
		}
	}
	config_parse_duration("15x", &s, err, sizeof(err));
	assert_string_equal(err, "\"15x\": unknown unit (use s, m, h, d or w, "
				 "e.g. 90s, 15m, 24h, 7d)");
	config_parse_duration("90", &s, err, sizeof(err));
	assert_string_equal(err, "\"90\": missing unit (use s, m, h, d or w, "
				 "e.g. 90s, 15m, 24h, 7d)");
}

static void test_time(void **state)
{
	static const struct {
		const char *in;
		long long want; /* -1 = error expected */
	} utc[] = {
		{ "2024-03-01", 1709251200LL },
		{ "2024-03-01 12:34", 1709251200LL + 45240 },
		{ "2024-03-01 12:34:56", 1709251200LL + 45296 },
		{ "2024-03-01T12:34:56", 1709251200LL + 45296 },
		{ "2024-02-29", 1709164800LL },
		{ "1970-01-01 00:00:00", 0 },
		{ "2023-02-29", -1 },
		{ "2024-02-30", -1 },
		{ "2024-13-01", -1 },
		{ "2024-00-10", -1 },
		{ "2024-1-01", -1 },
		{ "2024-01-01 24:00", -1 },
		{ "2024-01-01 12:60", -1 },
		{ "2024-01-01 12:00:60", -1 },
		{ "2024-01-01 12", -1 },
		{ "2024-01-01 12:00 ", -1 },
		{ "2024-01-01x", -1 },
		{ "yesterday", -1 },
		{ "", -1 },
		{ "1969-12-31", -1 },
	};
	char err[256];
	time_t t;

	setenv("TZ", "UTC0", 1);
	tzset();
	for (size_t i = 0; i < sizeof(utc) / sizeof(utc[0]); i++) {
		int rc = config_parse_time(utc[i].in, &t, err, sizeof(err));

		if (utc[i].want >= 0) {
			if (rc != 0)
				print_error("case \"%s\": %s\n", utc[i].in,
					    err);
			assert_int_equal(rc, 0);
			assert_int_equal((long long)t, utc[i].want);
		} else {
			if (rc != -EINVAL)
				print_error("case \"%s\"\n", utc[i].in);
			assert_int_equal(rc, -EINVAL);
		}
	}
	config_parse_time("2024-02-30", &t, err, sizeof(err));
	assert_string_equal(err, "\"2024-02-30\": no such date");
	config_parse_time("soon", &t, err, sizeof(err));
	assert_string_equal(err, "\"soon\": expected YYYY-MM-DD, YYYY-MM-DD "
				 "HH:MM or YYYY-MM-DD HH:MM:SS");

	/* Local time: Central European, DST from the last Sunday of March. */
	setenv("TZ", "CET-1CEST,M3.5.0,M10.5.0/3", 1);
	tzset();
	assert_int_equal(
		config_parse_time("2024-01-15 12:00", &t, err, sizeof(err)), 0);
	assert_int_equal((long long)t, 1705316400LL); /* 11:00 UTC */
	assert_int_equal(
		config_parse_time("2024-07-01 12:00", &t, err, sizeof(err)), 0);
	assert_int_equal((long long)t, 1719828000LL); /* 10:00 UTC */
	assert_int_equal(
		config_parse_time("2024-03-31 02:30", &t, err, sizeof(err)),
		-EINVAL);
	assert_string_equal(err, "\"2024-03-31 02:30\" does not exist in local "
				 "time (a daylight-saving gap)");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_defaults, setup, teardown),
		cmocka_unit_test_setup_teardown(test_shipped_file, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_secret_mode, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_secret_wiped, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_secret_masking, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_error_hides_secret, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_missing_file, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_search_order, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_paths, setup, teardown),
		cmocka_unit_test_setup_teardown(test_round_trip, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_locale, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hostport, setup, teardown),
		cmocka_unit_test_setup_teardown(test_duration, setup, teardown),
		cmocka_unit_test_setup_teardown(test_time, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
