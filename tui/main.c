// SPDX-License-Identifier: MIT
/* bufferbane: entry point (grows into the CLI dispatcher). */
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "--version") == 0) {
		printf("bufferbane %s\n", BB_VERSION);
		return 0;
	}
	return 0;
}
