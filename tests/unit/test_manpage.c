/* SPDX-License-Identifier: MIT */
/*
 * The manual keeps up with the option tables: every key the client's table
 * accepts (config_keys) is an entry of bufferbane.conf(5), every key of the
 * server's (srvconf_keys) one of bufferbane-server(8), and no entry names a
 * key that the tables no longer have.  An entry is a ".TP" paragraph whose
 * tag line is ".B section.key" (or .BR/.BI).  A failure lists every missing
 * or stale key at once, so adding a key without its documentation shows
 * what to write.  Reads etc/man/ under $BB_TOP (tests/run.sh sets it) or ".".
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/base/config.h"
#include "server/srvconf.h"

#define MAX_NAMES 512
#define NAME_LEN  96

struct names {
	char v[MAX_NAMES][NAME_LEN];
	int n;
};

static void add_name(const char *path, void *arg)
{
	struct names *s = arg;

	assert_true(s->n < MAX_NAMES);
	snprintf(s->v[s->n++], NAME_LEN, "%s", path);
}

static int has_name(const struct names *s, const char *name)
{
	for (int i = 0; i < s->n; i++)
		if (strcmp(s->v[i], name) == 0)
			return 1;
	return 0;
}

/* A tag word as the reader sees it: without quotes, \& and the \- of a
 * hyphen. */
static void unescape(const char *in, char *out, size_t n)
{
	size_t o = 0;

	for (; *in && o + 1 < n; in++) {
		if (in[0] == '\\' && (in[1] == '-' || in[1] == '&')) {
			if (in[1] == '-')
				out[o++] = '-';
			in++;
		} else if (*in != '"') {
			out[o++] = *in;
		}
	}
	out[o] = '\0';
}

/* The tags of the .TP entries of man page FILE that look like key paths
 * (lower-case words joined by dots). */
static void read_tags(const char *file, struct names *tags)
{
	char path[512], line[1024], word[NAME_LEN];
	const char *top = getenv("BB_TOP");
	int after_tp = 0;

	snprintf(path, sizeof(path), "%s/etc/man/%s", top ? top : ".", file);
	FILE *f = fopen(path, "r");
	if (!f)
		fail_msg("cannot open %s", path);
	tags->n = 0;
	while (fgets(line, sizeof(line), f)) {
		int tp = strncmp(line, ".TP", 3) == 0;
		if (after_tp && line[0] == '.' && line[1] == 'B') {
			const char *p = line + 2;
			p += strcspn(p, " \t\n");
			p += strspn(p, " \t");
			unescape(p, word, sizeof(word));
			word[strcspn(word, " \t\n")] = '\0';
			int key = strchr(word, '.') != NULL;
			for (const char *c = word; *c; c++)
				if (!islower((unsigned char)*c) && *c != '_' &&
				    *c != '.' && !isdigit((unsigned char)*c))
					key = 0;
			if (key)
				add_name(word, tags);
		}
		after_tp = tp;
	}
	fclose(f);
}

/* Every key documented, every documented key still a key. */
static void check_page(const char *page, const struct names *keys)
{
	static struct names tags;
	int missing = 0, stale = 0;

	read_tags(page, &tags);
	assert_true(tags.n > 0);
	for (int i = 0; i < keys->n; i++) {
		/* a top-level list ("servers") is documented by its own
		 * section; its members are the entries */
		if (!strchr(keys->v[i], '.'))
			continue;
		if (!has_name(&tags, keys->v[i])) {
			fprintf(stderr, "%s: key %s is not documented\n", page,
				keys->v[i]);
			missing++;
		}
	}
	for (int i = 0; i < tags.n; i++)
		if (!has_name(keys, tags.v[i])) {
			fprintf(stderr,
				"%s: documents %s, which is not a key\n", page,
				tags.v[i]);
			stale++;
		}
	if (missing || stale)
		fail_msg("%s: %d keys undocumented, %d entries stale", page,
			 missing, stale);
}

static void test_client_keys(void **state)
{
	static struct names keys;

	(void)state;
	keys.n = 0;
	config_keys(add_name, &keys);
	/* the table is really walked: a few keys every version has */
	assert_true(keys.n > 50);
	assert_true(has_name(&keys, "general.test_interval_ms"));
	assert_true(has_name(&keys, "servers.shared_secret_file"));
	check_page("bufferbane.conf.5", &keys);
}

static void test_server_keys(void **state)
{
	static struct names keys;

	(void)state;
	keys.n = 0;
	srvconf_keys(add_name, &keys);
	assert_true(keys.n > 15);
	assert_true(has_name(&keys, "general.bind_port"));
	assert_true(has_name(&keys, "security.clients.client_id"));
	check_page("bufferbane-server.8", &keys);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_client_keys),
		cmocka_unit_test(test_server_keys),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
