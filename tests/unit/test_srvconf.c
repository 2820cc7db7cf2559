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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_clients_and_keyring),
		cmocka_unit_test(test_bad_lists),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
