// SPDX-License-Identifier: MIT
/*
 * Namespace helpers for tests (see netns.h).  Creation and configuration go
 * through iproute2 (`ip netns add`, `ip -n NAME ...`); entering is setns() on
 * /var/run/netns/NAME, which moves only the calling thread.
 */
#include "tests/lib/netns.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_NS 16

static char created[MAX_NS][NETNS_NAME_LEN];
static int saved_fd = -1;
static int counter;
static pid_t owner; /* forked children must not delete our namespaces */

int netns_can_run(void)
{
	return geteuid() == 0;
}

int netns_sh(const char *fmt, ...)
{
	char cmd[1024];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(cmd))
		return -1;
	int st = system(cmd);
	if (st == -1 || !WIFEXITED(st))
		return -1;
	return WEXITSTATUS(st);
}

/* Remove "bbt<pid>_*" namespaces whose pid no longer exists. */
static void reap_stale(void)
{
	DIR *d = opendir("/var/run/netns");
	if (!d)
		return;
	struct dirent *e;
	while ((e = readdir(d))) {
		long pid;
		if (sscanf(e->d_name, "bbt%ld_", &pid) != 1 || pid <= 0)
			continue;
		if (kill((pid_t)pid, 0) == 0 || errno != ESRCH)
			continue;
		netns_sh("ip netns del '%s' 2>/dev/null", e->d_name);
	}
	closedir(d);
}

int netns_create(const char *tag, char name[static NETNS_NAME_LEN])
{
	static int registered;
	if (!registered) {
		reap_stale();
		owner = getpid();
		atexit(netns_delete_all);
		registered = 1;
	}
	int slot = -1;
	for (int i = 0; i < MAX_NS; i++)
		if (!created[i][0]) {
			slot = i;
			break;
		}
	if (slot < 0)
		return -ENOSPC;
	snprintf(name, NETNS_NAME_LEN, "bbt%ld_%.12s%d", (long)getpid(), tag,
		 counter++);
	if (netns_sh("ip netns add '%s'", name) != 0)
		return -EIO;
	strcpy(created[slot], name);
	if (netns_sh("ip -n '%s' link set lo up", name) != 0)
		return -EIO;
	return 0;
}

int netns_enter(const char *name)
{
	char path[128];
	snprintf(path, sizeof(path), "/var/run/netns/%s", name);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (saved_fd < 0) {
		saved_fd =
			open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
		if (saved_fd < 0) {
			int e = errno;
			close(fd);
			return -e;
		}
	}
	int ret = setns(fd, CLONE_NEWNET) < 0 ? -errno : 0;
	close(fd);
	return ret;
}

void netns_leave(void)
{
	if (saved_fd < 0)
		return;
	if (setns(saved_fd, CLONE_NEWNET) < 0)
		perror("netns_leave: setns");
	close(saved_fd);
	saved_fd = -1;
}

void netns_delete(const char *name)
{
	for (int i = 0; i < MAX_NS; i++)
		if (created[i][0] && strcmp(created[i], name) == 0) {
			netns_sh("ip netns del '%s' 2>/dev/null", created[i]);
			created[i][0] = '\0';
		}
}

void netns_delete_all(void)
{
	if (getpid() != owner)
		return;
	netns_leave();
	for (int i = 0; i < MAX_NS; i++)
		if (created[i][0]) {
			netns_sh("ip netns del '%s' 2>/dev/null", created[i]);
			created[i][0] = '\0';
		}
}
