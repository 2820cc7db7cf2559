// SPDX-License-Identifier: MIT
/*
 * Files written whole or not at all (see afile.h).
 */
#include "core/base/afile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* An unnamed file in path's folder, else a named temporary; fd or -errno. */
static int open_temp(struct afile *a)
{
	char dir[PATH_MAX];
	const char *slash = strrchr(a->path, '/');
	if (!slash)
		snprintf(dir, sizeof(dir), ".");
	else if (slash == a->path)
		snprintf(dir, sizeof(dir), "/");
	else
		snprintf(dir, sizeof(dir), "%.*s", (int)(slash - a->path),
			 a->path);
	mode_t mask = umask(0);
	umask(mask);
	a->named = false;
#ifdef O_TMPFILE
	int fd = open(dir, O_TMPFILE | O_WRONLY | O_CLOEXEC, 0666 & ~mask);
	if (fd >= 0)
		return fd;
	if (errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL)
		return -errno;
#endif
	if (snprintf(a->tmp, sizeof(a->tmp), "%s.XXXXXX", a->path) >=
	    (int)sizeof(a->tmp))
		return -ENAMETOOLONG;
	int t = mkstemp(a->tmp);
	if (t < 0)
		return -errno;
	a->named = true;
	if (fchmod(t, 0666 & ~mask) < 0) {
		int e = errno;
		close(t);
		unlink(a->tmp);
		return -e;
	}
	return t;
}

/* Give the unnamed file fd a temporary name beside the target. */
static int link_temp(struct afile *a, int fd)
{
	char proc[64];
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	for (int i = 0; i < 100; i++) {
		if (snprintf(a->tmp, sizeof(a->tmp), "%s.%d.%d", a->path,
			     (int)getpid(), i) >= (int)sizeof(a->tmp))
			return -ENAMETOOLONG;
		if (linkat(AT_FDCWD, proc, AT_FDCWD, a->tmp,
			   AT_SYMLINK_FOLLOW) == 0) {
			a->named = true;
			return 0;
		}
		if (errno != EEXIST)
			return -errno;
	}
	return -EEXIST;
}

int afile_open(struct afile *a, const char *path)
{
	memset(a, 0, sizeof(*a));
	a->path = path;
	int fd = open_temp(a);
	if (fd < 0)
		return fd;
	a->f = fdopen(fd, "w");
	if (!a->f) {
		int e = errno;
		close(fd);
		if (a->named)
			unlink(a->tmp);
		return -e;
	}
	return 0;
}

int afile_close(struct afile *a, int rc)
{
	if (rc == 0 && (fflush(a->f) != 0 || ferror(a->f)))
		rc = errno ? -errno : -EIO;
	if (rc == 0 && fsync(fileno(a->f)) < 0)
		rc = -errno;
	if (rc == 0 && !a->named)
		rc = link_temp(a, fileno(a->f));
	if (fclose(a->f) != 0 && rc == 0)
		rc = -errno;
	a->f = NULL;
	if (rc == 0 && rename(a->tmp, a->path) < 0)
		rc = -errno;
	if (rc < 0 && a->named)
		unlink(a->tmp);
	return rc;
}
