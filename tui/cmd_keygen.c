// SPDX-License-Identifier: MIT
/* bufferbane keygen: a fresh shared secret for the server and its clients. */
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "tui/cmd.h"
#include "proto/key.h"

int cmd_keygen(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "db", required_argument, NULL, 'D' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ 0 },
	};
	int c;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":c:hV", lo, NULL)) != -1) {
		switch (c) {
		case 'c':
		case 'D':
			break; /* every command takes them; keygen reads neither
				*/
		case 'h':
			printf("usage: bufferbane keygen [-c FILE] [--db "
			       "FILE]\n"
			       "Print a fresh 32-byte shared secret as 64 hex "
			       "characters.\nPut it in the server's and the "
			       "client's configuration (or a 0600 key "
			       "file).\n-c and --db are accepted like every "
			       "command's; keygen reads neither.\n");
			return 0;
		case 'V':
			printf("bufferbane %s\n", BB_VERSION);
			return 0;
		case ':':
			fprintf(stderr,
				"bufferbane keygen: option '%s' needs a value "
				"(see bufferbane keygen --help)\n",
				argv[optind - 1]);
			return CMD_EXIT_USAGE;
		default:
			fprintf(stderr,
				"bufferbane keygen: unknown option '%s' (see "
				"bufferbane keygen --help)\n",
				argv[optind - 1]);
			return CMD_EXIT_USAGE;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "bufferbane keygen: unexpected argument '%s'\n",
			argv[optind]);
		return CMD_EXIT_USAGE;
	}
	uint8_t key[32];
	char hex[65];
	key_generate(key);
	key_format_hex(key, hex);
	key_wipe(key);
	printf("%s\n", hex);
	explicit_bzero(hex, sizeof(hex));
	return 0;
}
