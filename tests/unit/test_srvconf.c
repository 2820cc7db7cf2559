/* SPDX-License-Identifier: MIT */
/*
 * security.clients (server/srvconf.c) and the keys a server accepts
 * (server/keyring.c), rule 14: a listed client_id only under its own key,
 * any other id under the shared secret or not at all; clear errors for a
 * bad list (real files in a temporary directory).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "server/keyring.h"
#include "server/srvconf.h"

static char dir[64];

static void write_file(const char *name, const char *text, mode_t mode)
{
	char p[128];
	snprintf(p, sizeof(p), "%s/%s", dir, name);
	FILE *f = fopen(p, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	chmod(p, mode);
}

#define KA "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define KB "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
#define KS "5555555555555555555555555555555555555555555555555555555555555555"

static int setup(void **state)
{
	snprintf(dir, sizeof(dir), "/tmp/bb-srvconf.XXXXXX");
	assert_non_null(mkdtemp(dir));
	write_file("a.key", KA "\n", 0600);
	write_file("b.key", KB "\n", 0600);
	write_file("s.key", KS "\n", 0600);
	write_file("open.key", KA "\n", 0644);
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd);
}

/* Load a config of `security` contents; 0 or the error with err. */
static int load(struct srvconf *c, const char *security, char *err,
		size_t errlen)
{
	char text[2048];
	snprintf(text, sizeof(text), "security = { %s };\n", security);
	write_file("srv.conf", text, 0600);
	char p[128];
	snprintf(p, sizeof(p), "%s/srv.conf", dir);
	srvconf_defaults(c);
	return srvconf_load(c, p, err, errlen);
}

#define CLIENT(n, id, f)                                                       \
	"{ name = \"" n "\"; client_id = \"" id                                \
	"\"; shared_secret_file = \"DIR/" f "\"; }"

/* in with every "DIR" replaced by the temporary directory */
static void subst(const char *in, char *out, size_t len)
{
	size_t o = 0;
	while (*in && o + sizeof(dir) + 1 < len) {
		if (!strncmp(in, "DIR", 3)) {
			o += (size_t)snprintf(out + o, len - o, "%s", dir);
			in += 3;
		} else {
			out[o++] = *in++;
		}
	}
	out[o] = 0;
}

static void test_clients_and_keyring(void **state)
{
	struct srvconf c;
	char err[512] = "", sec[1024];
	subst("clients = ( " CLIENT("laptop", "0123456789abcdef",
				    "a.key") ", " CLIENT("nas",
							 "fedcba9876543210",
							 "b.key") " );",
	      sec, sizeof(sec));
	assert_int_equal(load(&c, sec, err, sizeof(err)), 0);
	assert_int_equal(c.nclients, 2);
	assert_false(c.have_key);
	struct keyring *k = keyring_new(&c);
	srvconf_wipe(&c);
	assert_null(c.clients);
	assert_non_null(k);
	const uint8_t laptop[8] = { 0x01, 0x23, 0x45, 0x67,
				    0x89, 0xab, 0xcd, 0xef };
	const uint8_t other[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
	const struct keyring_ent *e = keyring_find(k, laptop);
	assert_non_null(e);
	assert_string_equal(e->name, "laptop");
	assert_int_equal(e->key[0], 0xaa);
	/* no shared secret: an unlisted id has no key at all */
	assert_null(keyring_find(k, other));
	char lab[96];
	assert_string_equal(keyring_label(e, laptop, lab, sizeof(lab)),
			    "laptop");
	assert_string_equal(keyring_label(NULL, other, lab, sizeof(lab)),
			    "id 0102030405060708");
	keyring_free(k);

	/* with the shared secret: listed ids keep their own key */
	subst("shared_secret_file = \"DIR/s.key\"; clients = ( " CLIENT(
		      "laptop", "0123456789abcdef", "a.key") " );",
	      sec, sizeof(sec));
	assert_int_equal(load(&c, sec, err, sizeof(err)), 0);
	k = keyring_new(&c);
	srvconf_wipe(&c);
	assert_int_equal(keyring_find(k, laptop)->key[0], 0xaa);
	assert_int_equal(keyring_find(k, other)->key[0], 0x55);
	assert_string_equal(keyring_find(k, other)->name, "");
	keyring_free(k);
}

static void expect_error(const char *security, const char *want)
{
	struct srvconf c;
	char err[512] = "", sec[1024];
	subst(security, sec, sizeof(sec));
	assert_int_equal(load(&c, sec, err, sizeof(err)), -EINVAL);
	srvconf_wipe(&c);
	if (!strstr(err, want))
		fail_msg("error \"%s\" does not say \"%s\"", err, want);
}

static void test_bad_lists(void **state)
{
	expect_error("clients = ( " CLIENT("x", "0123", "a.key") " );",
		     "security.clients[0].client_id: expected 16 hex digits");
	expect_error("clients = ( " CLIENT("x", "0123456789abcdef",
					   "a.key") ", " CLIENT("y",
								"0123456789abcd"
								"ef",
								"b.key") " );",
		     "already used by \"x\"");
	expect_error("clients = ( " CLIENT("x", "0123456789abcdef",
					   "open.key") " );",
		     "security.clients[0] (x):");
	expect_error("clients = ( " CLIENT("x", "0123456789abcdef",
					   "missing.key") " );",
		     "security.clients[0] (x):");
	expect_error("clients = ( { name = \"x\"; client_id = "
		     "\"0123456789abcdef\"; } );",
		     "needs name, client_id and shared_secret_file");
	expect_error("clients = ( " CLIENT("bad name", "0123456789abcdef",
					   "a.key") " );",
		     "security.clients[0].name");
	expect_error("clients = ( { name = \"x\"; key = \"y\"; } );",
		     "security.clients[0].key: unknown key");
	expect_error("clients = \"laptop\";", "expected a list");
}

/* A whole file (not just `security`): 0 or the error in err. */
static int load_text(struct srvconf *c, const char *text, mode_t mode,
		     char *err, size_t errlen)
{
	char p[128];

	write_file("whole.conf", text, mode);
	snprintf(p, sizeof(p), "%s/whole.conf", dir);
	srvconf_defaults(c);
	int rc = srvconf_load(c, p, err, errlen);
	srvconf_wipe(c);
	return rc;
}

static void expect_file_error(const char *text, const char *want)
{
	struct srvconf c;
	char err[512] = "";

	if (load_text(&c, text, 0600, err, sizeof(err)) != -EINVAL)
		fail_msg("accepted: %s", text);
	if (!strstr(err, want))
		fail_msg("error \"%s\" does not say \"%s\"", err, want);
	if (!strstr(err, "whole.conf:"))
		fail_msg("error \"%s\" does not name the file", err);
}

/* The server's keys go through the shared table (core/base/cfgtable.c):
 * the line, the key, the range with its unit, wrapped 64-bit literals,
 * typos and secrets all reported as the client's are. */
static void test_table_errors(void **state)
{
	expect_file_error("general = {\n  bind_port = 70000;\n};\n",
			  "whole.conf:2: general.bind_port: 70000 is out of "
			  "range (0..65535)");
	expect_file_error("security = {\n\n knock_timeout_sec = 0;\n};\n",
			  ":3: security.knock_timeout_sec: 0 is out of range "
			  "(1..3600 s)");
	/* libconfig alone reads 4294968296 as 1000 */
	expect_file_error("rate_limiting = { burst_size = 4294968296; };\n",
			  ":1: rate_limiting.burst_size: integer too large "
			  "(1..10000000 packets)");
	expect_file_error("rate_limiting = { max_bandwidth_mbps = 0.001; };\n",
			  "rate_limiting.max_bandwidth_mbps: 0.001 is out of "
			  "range (0.01..100000 Mbit/s)");
	expect_file_error("general = { workers = 2.5; };\n",
			  "general.workers: expected an integer");
	expect_file_error("general = { bind_adress = \"::1\"; };\n",
			  ":1: general.bind_adress: unknown key; did you mean "
			  "'general.bind_address'?");
	expect_file_error("generl = { };\n",
			  ":1: generl: unknown section; did you mean "
			  "'general'?");
	expect_file_error("security = { session_timeout = 60; };\n",
			  ":1: security.session_timeout: unknown key; did "
			  "you mean 'security.session_timeout_sec'?");
	/* the original templates' keys: what to use instead */
	expect_file_error("security = {\n knock_validity_duration_s = 300;\n"
			  "};\n",
			  ":2: security.knock_validity_duration_s: not a "
			  "Bufferbane key: use security.session_timeout_sec");
	expect_file_error("performance = {\n worker_threads = 0;\n};\n",
			  ":2: performance.worker_threads: not a Bufferbane "
			  "key: use general.workers");
	expect_file_error("general = { shared_secret = \"\"; };\n",
			  ":1: general.shared_secret: not a Bufferbane key: "
			  "use security.shared_secret (or "
			  "security.shared_secret_file)");
	expect_file_error("general = 5;\n", "general: expected a section");
	expect_file_error("general = {\n bind_address = \"1.2.3\";\n};\n",
			  ":2: general.bind_address: \"1.2.3\" is not a "
			  "numeric IPv4 or IPv6 address");
	expect_file_error("logging = { level = \"loud\"; };\n",
			  "logging.level: \"loud\" is not one of");
	expect_file_error("logging = { log_failed_knocks = 1; };\n",
			  "logging.log_failed_knocks: expected true or false");
	expect_file_error("security = { shared_secret = \"" KS "\";\n"
			  " shared_secret_file = \"/nonexistent\"; };\n",
			  ":2: security.shared_secret_file: give shared_secret "
			  "or shared_secret_file, not both");
	expect_file_error("general = {\n bind_port = ; };\n",
			  ":2: syntax error");

	/* an inline secret in a file others can read */
	struct srvconf c;
	char err[512] = "";
	assert_int_equal(
		load_text(&c, "security = { shared_secret = \"" KS "\"; };\n",
			  0644, err, sizeof(err)),
		-EINVAL);
	assert_non_null(strstr(err, ":1: security.shared_secret: an inline "
				    "secret in a file group or others can "
				    "read (mode 0644)"));
}

/* The table's defaults are the documented ones; the file overrides them. */
static void test_table_defaults(void **state)
{
	struct srvconf c;
	char err[512] = "";

	srvconf_defaults(&c);
	assert_string_equal(c.bind_address, "0.0.0.0");
	assert_int_equal(c.bind_port, SRVCONF_DEFAULT_PORT);
	assert_int_equal(c.max_concurrent_clients, 100);
	assert_int_equal(c.knock_timeout_sec, 60);
	assert_int_equal(c.session_timeout_sec, 300);
	assert_int_equal(c.enable_rate_limiting, 1);
	assert_true(c.max_packets_per_second == 2000);
	assert_true(c.max_unauth_pps == 100000);
	assert_int_equal(c.max_sessions_per_prefix, 64);
	assert_int_equal(c.level, SRVLOG_INFO);
	assert_int_equal(c.log_failed_knocks, 1);
	assert_int_equal(c.stats_interval_s, 60);
	assert_int_equal(c.chunk_size, 1200);

	write_file("whole.conf",
		   "general = { bind_address = \"::1\"; bind_port = 0; };\n"
		   "security = { shared_secret = \"" KS "\";\n"
		   "  enable_rate_limiting = false; };\n"
		   "rate_limiting = { max_total_mbps = 5; burst_size = 7; };\n"
		   "logging = { level = \"debug\"; };\n",
		   0600);
	char p[128];
	snprintf(p, sizeof(p), "%s/whole.conf", dir);
	srvconf_defaults(&c);
	assert_int_equal(srvconf_load(&c, p, err, sizeof(err)), 0);
	assert_string_equal(c.bind_address, "::1");
	assert_int_equal(c.bind_port, 0);
	assert_int_equal(c.enable_rate_limiting, 0);
	assert_true(c.max_total_mbps == 5);
	assert_int_equal(c.burst_size, 7);
	assert_int_equal(c.level, SRVLOG_DEBUG);
	assert_true(c.have_key);
	assert_int_equal(c.key[0], 0x55);
	srvconf_wipe(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_clients_and_keyring),
		cmocka_unit_test(test_bad_lists),
		cmocka_unit_test(test_table_errors),
		cmocka_unit_test(test_table_defaults),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
