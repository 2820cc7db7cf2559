/* SPDX-License-Identifier: MIT */
/*
 * Files written whole or not at all (export, reports, charts): the data
 * goes to an unnamed file in the target's folder (O_TMPFILE; a named
 * temporary where the file system has none), is fsync'ed, given a
 * temporary name and renamed over the target.  A failure, a full disk or
 * kill -9 leaves the old file, or none, and no stray temporary.
 */
#ifndef BB_AFILE_H
#define BB_AFILE_H

#include <limits.h>
#include <stdbool.h>
#include <stdio.h>

struct afile {
	FILE *f; /* write here */
	const char *path;
	char tmp[PATH_MAX + 32];
	bool named; /* tmp exists on disk */
};

/* Open a file that will become path (mode 0666 less the umask); 0 or
 * -errno. */
int afile_open(struct afile *a, const char *path);
/* rc == 0: flush, fsync and put the file in place; rc < 0: throw it away.
 * Returns rc, or the -errno of a step that failed here. */
int afile_close(struct afile *a, int rc);

#endif
