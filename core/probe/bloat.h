/* SPDX-License-Identifier: MIT */
/*
 * Latency under load (MEASUREMENT.md "Latency under load", PEERS.md RRUL
 * and Crusader): collects the echo RTTs (and one-way delays while the clock
 * is synced) of one bufferbloat test by phase, and turns them into a result
 * per load direction: idle and loaded RTT (median, p95), the increase, the
 * grade A+..F on the scale bufferbloat testers publish (DETECTION.md), RPM
 * = 60000 / loaded RTT ms (IETF draft "Responsiveness under Working
 * Conditions", draft-ietf-ippm-responsiveness), and which direction's
 * one-way delay grew.  Loaded figures use only echoes sent at least
 * BLOAT_SETTLE_NS after the load started (the queue needs time to fill).
 * Pure: no I/O, no clocks.
 */
#ifndef BB_BLOAT_H
#define BB_BLOAT_H

#include <stddef.h>
#include <stdint.h>

#include "core/base/sample.h"

#define BLOAT_SETTLE_NS	 1000000000LL /* ignore the first second of load */
#define BLOAT_MAX_ECHOES 4096	      /* per phase */

enum bloat_phase {
	BLOAT_IDLE,
	BLOAT_UP,
	BLOAT_DOWN,
	BLOAT_BOTH,
	BLOAT_NPHASES
};

struct bloat_acc; /* opaque */

/* One direction's result. */
struct bloat_result {
	enum bloat_phase phase; /* BLOAT_UP, BLOAT_DOWN or BLOAT_BOTH */
	int64_t idle_p50_ns, idle_p95_ns;
	int64_t loaded_p50_ns, loaded_p95_ns;
	int64_t increase_ns; /* loaded p50 - idle p50 */
	char grade[3];	     /* "A+", "A" ... "F" */
	double rpm;	     /* 60000 / loaded p50 ms */
	int n_idle, n_loaded;
	/* one-way delay increase (loaded p50 - idle p50), BB_NONE unsynced */
	int64_t up_inc_ns, down_inc_ns;
	int64_t up_p50_ns, down_p50_ns; /* loaded one-way p50s, or BB_NONE */
	const char *blame; /* "upstream", "downstream", "both" or "" */
};

/* An empty accumulator; NULL on out of memory. */
struct bloat_acc *bloat_new(void);
/* Free. */
void bloat_free(struct bloat_acc *a);
/* Forget everything (a new test). */
void bloat_reset(struct bloat_acc *a);
/* One echo of phase ph sent since_load_ns after that phase's load began
 * (use 0 for idle); up/down one-way delays or BB_NONE. */
void bloat_add(struct bloat_acc *a, enum bloat_phase ph, int64_t since_load_ns,
	       int64_t rtt_ns, int64_t up_ns, int64_t down_ns);
/* Echoes of phase ph kept for the result so far. */
int bloat_count(const struct bloat_acc *a, enum bloat_phase ph);
/* Result for load phase ph; 0, or -ENODATA without idle or loaded echoes. */
int bloat_result(const struct bloat_acc *a, enum bloat_phase ph,
		 struct bloat_result *out);
/* Grade for an increase in ms: A+ < 5, A < 30, B < 60, C < 200, D < 400,
 * else F. */
const char *bloat_grade(double increase_ms);
/* Median of the last n RTTs of phase ph (any time since load), or BB_NONE:
 * for the load ramp and the recovery check. */
int64_t bloat_recent_p50(const struct bloat_acc *a, enum bloat_phase ph, int n);
/* The result onto a BUFFERBLOAT sample: rtt_ns and the one-way delays
 * (loaded medians), load_phase and the figures in s->bloat; the grade is
 * bloat_grade() of bloat.increase_ns, never stored. */
void bloat_mark(const struct bloat_result *r, struct bb_sample *s);
/* The sample's load phase for ph (BB_PHASE_IDLE ... BB_PHASE_BOTH). */
enum bb_load_phase bloat_load_phase(enum bloat_phase ph);
/* "up" / "down" / "both" / "idle". */
const char *bloat_phase_name(enum bloat_phase ph);

/* What one test does with test_duration_s and kind (1 upload, 2 download,
 * 3 both: upload, download, then both at once): the duration split into
 * an idle part and one load phase per direction (at least 2 s of load),
 * the usual length (a recovery of about a second after each load) and the
 * longest (3 s recoveries). */
struct bloat_plan {
	int phases;
	int64_t load_ns, idle_ns, typical_ns, max_ns;
};
void bloat_plan_of(int test_duration_s, int kind, struct bloat_plan *p);
/* One plain sentence on results r[0..n): what the worst direction's
 * increase means and what to do ("Upload bufferbloat +290 ms (grade D):
 * calls and games will lag while anything uploads; enable SQM ...");
 * length. */
size_t bloat_advice(const struct bloat_result *r, int n, char *buf, size_t len);
/* `bufferbane bloat`'s table: the header line and r's row (no newline),
 * in columns wide enough for a loopback's million RPM and a bloated
 * line's seconds; length. */
size_t bloat_table_header(char *buf, size_t len);
size_t bloat_table_row(const struct bloat_result *r, char *buf, size_t len);
/* Bytes the load phases move on a line of up/down kbps (an upper bound:
 * the load saturates each direction it loads for the whole phase). */
double bloat_plan_bytes(const struct bloat_plan *p, int kind, double up_kbps,
			double down_kbps);

#endif
