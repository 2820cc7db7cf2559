/* SPDX-License-Identifier: MIT */
/*
 * The interactive front end: the terminal, the event loop watchers and the
 * data source (the live monitor, or a recorded database with --replay)
 * behind the views of tui/view.h.  Returns the program's exit code.
 */
#ifndef BB_APP_H
#define BB_APP_H

struct monitor_options;

/* `bufferbane`: the live monitor on the screen. */
int app_live(const struct monitor_options *o);
/* `bufferbane --replay FILE`: the same views over a recording. */
int app_replay(const char *path);

#endif
