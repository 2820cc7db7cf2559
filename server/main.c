// SPDX-License-Identifier: MIT
/* bufferbane-server: entry point. */
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "--version") == 0) {
		printf("bufferbane-server %s\n", BB_VERSION);
		return 0;
	}
	return 0;
}
