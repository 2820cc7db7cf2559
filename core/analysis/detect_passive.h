/* SPDX-License-Identifier: MIT */
/*
 * Passive bufferbloat (DETECTION.md "Passive bufferbloat"): the delay of
 * the line while the household's own traffic keeps it busy, against its
 * delay while idle, with no test load sent.  The detector keeps per
 * interface a ring of seconds (the traffic probe's rates, the delay
 * probes' RTTs, whether our own throughput or bloat test ran then);
 * passive_judge() reads it and keeps no state, so the unit tests feed it
 * seconds directly.
 *
 * Rules: the capacity of a direction is the newest measured throughput
 * test's rate, else the highest rate the counters held for 3 seconds (the
 * middle of three).  A second is busy in a direction when its rate is
 * >= 70 % of that capacity (and, with a capacity only seen, 4 x the
 * median rate of the direction's seconds below 25 % of it) and
 * it leads the other direction (whose ACKs it causes: by utilisation when
 * both capacities are measured, else by rate), in a run of at least 5
 * busy seconds; idle when both directions are below
 * 25 % of their capacity and no busy or own second came in the 3 before.
 * Seconds of our own tests (and 2 s around them) are neither.  The
 * increase is the median over the busy seconds' RTTs of (RTT minus its
 * series' median RTT in the idle seconds), so targets of different
 * distances mix fairly.
 */
#ifndef BB_DETECT_PASSIVE_H
#define BB_DETECT_PASSIVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PASSIVE_SECONDS	  600 /* ring: ten minutes per interface */
#define PASSIVE_RTTS	  6   /* delay answers kept per second */
#define PASSIVE_WINDOW_S  60  /* busy seconds judged: the last minute */
#define PASSIVE_SUSTAIN_S 5   /* a busy run lasts at least this */
#define PASSIVE_BUSY_PCT  70.0
#define PASSIVE_IDLE_PCT  25.0
#define PASSIVE_MIN_KBPS  200 /* below this no line is busy */
#define PASSIVE_MIN_IDLE  10  /* idle answers needed for a baseline */
#define PASSIVE_MIN_BUSY  5   /* busy answers needed for an increase */

enum passive_dir { PASSIVE_UP, PASSIVE_DOWN, PASSIVE_NDIR };

/* Where a direction's capacity came from. */
enum passive_cap {
	PASSIVE_CAP_NONE, /* no traffic measured */
	PASSIVE_CAP_TEST, /* the newest throughput test of the direction */
	PASSIVE_CAP_SEEN, /* the highest rate held for 3 s */
};

/* One second of one interface. */
struct passive_sec {
	int64_t sec;		    /* monotonic second; 0 = empty */
	int64_t rate[PASSIVE_NDIR]; /* kbit/s (tx = up, rx = down), BB_NONE */
	bool own;		    /* our own test loaded the line then */
	uint8_t nrtt;
	uint8_t series[PASSIVE_RTTS]; /* which delay series answered */
	int64_t rtt[PASSIVE_RTTS];    /* ns */
};

struct passive_result {
	enum passive_dir dir;
	enum passive_cap cap_src;
	double cap_kbps;  /* the capacity the utilisation is of */
	double rate_kbps; /* median rate of the busy seconds */
	double util_pct;  /* rate / capacity */
	double idle_ms;	  /* median RTT of the idle seconds */
	double loaded_ms; /* idle_ms + increase_ms */
	double increase_ms;
	int busy_s;		 /* busy seconds judged */
	int n_idle, n_busy;	 /* RTTs behind each side */
	int64_t first_s, last_s; /* first and newest busy second */
};

/* "upload" or "download". */
const char *passive_dir_name(enum passive_dir dir);
/* Judge direction DIR over the N seconds of RING (any order, empty slots
 * skipped) at monotonic second NOW_S; CAP_TEST per direction the newest
 * throughput test in kbit/s (<= 0: none).  1 with OUT filled when a busy run of
 * DIR lies in the last PASSIVE_WINDOW_S with enough answers busy and idle, 0
 * when not (OUT then says how far it got: cap_src, busy_s).  Not
 * reentrant (static work arrays): the detector's thread only. */
int passive_judge(const struct passive_sec *ring, size_t n, int64_t now_s,
		  enum passive_dir dir, const double cap_test[PASSIVE_NDIR],
		  struct passive_result *out);

#endif
