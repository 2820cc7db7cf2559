/* SPDX-License-Identifier: MIT */
/*
 * What to do about each diagnosis a verdict can name (core/detect's live
 * verdict, core/history's period verdict): one plain sentence per kind of
 * trouble, kept in one const table so the words are written once.
 */
#ifndef BB_ADVICE_H
#define BB_ADVICE_H

#include <stddef.h>

enum advice {
	ADVICE_NO_SESSION,   /* no session with a companion server */
	ADVICE_NO_SERVER,    /* ... and its port refused: none running */
	ADVICE_LOCAL_LINK,   /* one interface worse than the other */
	ADVICE_HOME,	     /* the gateway (home router) itself is bad */
	ADVICE_ROUTING,	     /* one destination bad, the others fine */
	ADVICE_UNREACHABLE,  /* one target silent */
	ADVICE_LINE,	     /* loss or outages beyond the gateway */
	ADVICE_LINE_OR_HOME, /* outages, no gateway probe to tell where */
	ADVICE_NO_ROUTE,     /* outages while this computer has no route */
	ADVICE_DELAY,	     /* latency spikes or jitter on the line */
	ADVICE_UPLOAD,	     /* upload below its baseline */
	ADVICE_DOWNLOAD,     /* download below its baseline */
	ADVICE_DNS,	     /* a resolver slow or failing */
	ADVICE_CONN,	     /* TCP connects to one target failing */
	ADVICE_BLOAT,	     /* bufferbloat grade worse than the warning */
	ADVICE_PEAK,	     /* evenings worse than the rest of the day */
	ADVICE_COUNT
};

/* The sentence for A as written in the table ("{port}" marks where
 * advice_add puts a server's port); NULL when A is out of range. */
const char *advice_text(enum advice a);
/* Append " " and the sentence for A to the string in BUF (never beyond
 * LEN), PORT > 0 filling in "{port}", unless BUF already says it. */
void advice_add(char *buf, size_t len, enum advice a, int port);

#endif
