/* SPDX-License-Identifier: MIT */
/*
 * Network namespaces for tests (libc only, no cmocka).  Every namespace a
 * test creates is named "bbt<pid>_<tag>", remembered, and deleted by
 * netns_delete_all() which is also registered with atexit(); namespaces left
 * behind by a crashed earlier run (its pid gone) are removed on first use.
 * Tests send traffic only to loopback or into these namespaces.
 */
#ifndef BB_TESTS_NETNS_H
#define BB_TESTS_NETNS_H

#include <stddef.h>

#define NETNS_NAME_LEN 40

/* 1 when we can create namespaces (root), else 0. */
int netns_can_run(void);
/* Create a namespace with lo up; its name into name.  0 or -errno. */
int netns_create(const char *tag, char name[static NETNS_NAME_LEN]);
/* Run a shell command (printf-style); returns its exit status or -1. */
int netns_sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Move the calling thread into name (saving where it was); 0 or -errno. */
int netns_enter(const char *name);
/* Back to the namespace saved by netns_enter (no-op if none). */
void netns_leave(void);
/* Delete one namespace / every namespace this process created. */
void netns_delete(const char *name);
void netns_delete_all(void);

#endif
