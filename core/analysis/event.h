/* SPDX-License-Identifier: MIT */
/*
 * One alert episode (DETECTION.md "Alert catalog"): plain data with no
 * pointers, so it crosses the main -> storage ring by value and maps one to
 * one onto a row of the `events` table (INTERFACES.md "Database").
 *
 * An event is written when it starts and again whenever it changes; end_ms
 * stays 0 while it is ongoing.  The storage side identifies a row by id when
 * id is set, else by (start_ms, kind, interface, target, server), so the main
 * thread can re-push an updated copy without ever learning the row id.
 */
#ifndef BB_EVENT_H
#define BB_EVENT_H

#include <stdint.h>

#include "core/base/sample.h"

#define BB_EVENT_KIND_LEN    32
#define BB_EVENT_DESC_LEN    256
#define BB_EVENT_METRICS_LEN 512

enum bb_severity { BB_SEV_INFO, BB_SEV_WARNING, BB_SEV_CRITICAL, BB_SEV_COUNT };

/* "info", "warning", "critical" (the word stored and shown); "?" if out of
 * range. */
static inline const char *bb_severity_name(unsigned sev)
{
	static const char *const names[BB_SEV_COUNT] = {
		[BB_SEV_INFO] = "info",
		[BB_SEV_WARNING] = "warning",
		[BB_SEV_CRITICAL] = "critical",
	};

	return sev < BB_SEV_COUNT ? names[sev] : "?";
}

struct bb_event {
	int64_t id;	  /* row id in `events`; 0 = not known */
	int64_t start_ms; /* Unix ms */
	int64_t end_ms;	  /* Unix ms; 0 while ongoing (NULL in the table) */
	char kind[BB_EVENT_KIND_LEN]; /* "latency_spike", "packet_loss", ... */
	uint8_t severity;	      /* enum bb_severity */
	char interface[BB_IFNAME_LEN];
	char target[BB_TARGET_LEN];
	char server[BB_SERVER_LEN];
	char description[BB_EVENT_DESC_LEN]; /* one plain sentence */
	char metrics[BB_EVENT_METRICS_LEN];  /* JSON object text */
	/* packet_loss: its pattern ("scattered", "burst", "periodic",
	 * "unreachable"), also in metrics; "" for other kinds */
	char pattern[12];
};

#endif
