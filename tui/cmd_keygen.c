// SPDX-License-Identifier: MIT
/* bufferbane keygen: a fresh shared secret for the server and its clients. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "tui/cmd.h"
#include "proto/key.h"

int cmd_keygen(int argc, char **argv)
{
	if (argc > 1) {
		if (strcmp(argv[1], "-h") == 0 ||
		    strcmp(argv[1], "--help") == 0) {
			printf("Usage: bufferbane keygen\n"
			       "Print a fresh 32-byte shared secret as 64 hex "
			       "characters.\nPut it in the server's and the "
			       "client's configuration (or a 0600 key "
			       "file).\n");
			return 0;
		}
		fprintf(stderr, "bufferbane keygen: unexpected argument '%s'\n",
			argv[1]);
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
