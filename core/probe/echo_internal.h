/* SPDX-License-Identifier: MIT */
/*
 * What the echo probe's files share (core/probe/probe_echo.c: session and
 * echo stream; core/probe/echo_tests.c: throughput and bufferbloat tests;
 * core/probe/echo_oneshot.c: `bufferbane bloat`): the probe's state and
 * the functions one file calls in another.  Internal to those three.
 */
#ifndef BB_ECHO_INTERNAL_H
#define BB_ECHO_INTERNAL_H

#include <ev.h>
#include <stddef.h>
#include <stdint.h>

#include "core/base/sample.h"
#include "core/base/text.h"
#include "core/probe/bloat.h"
#include "core/probe/probe.h"
#include "core/probe/throughput.h"
#include "proto/wire.h"

#define ECHO_SLOTS	1024
#define HOLD_NS		(2 * BB_NS_PER_S)
#define RX_DRAIN_MAX	512
#define TX_BURST_MAX	256
#define RAMP_NS		(250 * BB_NS_PER_MS)
#define RAMP_START_KBPS 2000 /* load start when no rate is known */
#define STEP_NS		(20 * BB_NS_PER_MS)
#define STATS_WAIT_NS	(5 * BB_NS_PER_S)
#define DL_MAX_NS	(60 * BB_NS_PER_S)
#define UL_MAX_NS	(60 * BB_NS_PER_S) /* a slower upload stops there */
#define RECOVER_MAX_NS	(3 * BB_NS_PER_S)
#define LOAD_MARGIN_NS	(10 * BB_NS_PER_S)
#define NOT_UP_RETRY_NS (200 * BB_NS_PER_MS)
/* After a test, echoes still meet the queue it filled (a cable modem's
 * buffer holds up to about a second): they count as under load. */
#define LOAD_DRAIN_NS (1 * BB_NS_PER_S)

enum slot_state { S_FREE, S_INFLIGHT, S_EXPIRED, S_ANSWERED, S_REPORTED };
enum test_kind { T_NONE, T_UPLOAD, T_DOWNLOAD, T_BLOAT };
enum bloat_state { B_IDLE, B_LOAD, B_RECOVER };

struct slot {
	uint32_t seq;
	uint8_t state, emit;
	int8_t phase;	    /* enum bloat_phase, -1 = not part of a test */
	uint8_t under_load; /* sent while one of our tests ran */
	uint8_t load_phase; /* enum bb_load_phase of that test */
	unsigned session;
	int64_t send_mono, send_real, send_err, expired_at, load_start;
};

struct probe {
	struct ev_loop *loop;
	struct probe_target t;
	probe_emit_fn emit;
	void *emit_ctx;
	int fd, ipv6;
	int knock_err; /* errno of the last handshake send, 0 = sent */
	/* the server's host answered "port unreachable" (ECONNREFUSED, on a
	 * send or a receive) and nothing authentic came since: nothing
	 * listens there, which silence (a wrong key, a firewall) never says */
	bool refused;
	struct srvclient *sc;
	struct clocksync *cs;
	uint64_t cookie;
	uint32_t next_seq, highest;
	uint64_t sent_total; /* requests ever sent: seqs 0..sent_total-1 */
	int answered_any;
	/* per-session loss split, from the server's counters relative to
	 * the first answer of the session (R0, H0): a re-knock may open a new
	 * session that counts afresh or keep the old one counting on */
	unsigned session;
	uint32_t srv_R0, srv_H0, srv_R, srv_H, up_attr;
	int have_srv;
	struct slot slots[ECHO_SLOTS];
	ev_io io;
	ev_timer tmo, knock, sched, pace, bstep, guard;
	/* tests */
	int64_t tput_next[3], bloat_next;
	struct tput_memory up_rates, down_rates; /* past tests */
	int64_t load_ended_mono; /* when our last test stopped loading */
	uint8_t last_phase;	 /* enum bb_load_phase it last put on */
	int load_on;		 /* a LOAD_START without its LOAD_END */
	uint32_t test_seq;
	struct {
		enum test_kind kind;
		uint32_t id, bytes, chunk_seq;
		uint64_t sent, ip_sent; /* DATA payload and IP bytes */
		int64_t rate_kbps, start_mono, start_real, deadline;
		int64_t end_at, last_data;
		int requests;
		struct tput_pacer pacer;
	} cur;
	struct tput_rx *rx;
	/* bufferbloat */
	struct bloat_acc *acc;
	enum bloat_state b_state;
	enum bloat_phase b_phases[3];
	int b_nph, b_idx;
	int64_t b_phase_start, b_load_start, b_next_ramp, b_idle_p50;
	uint32_t b_id, b_did;
	int b_up_load, b_down_load, b_down_seen, b_starts, b_loaded;
	int64_t b_up_kbps, b_down_kbps;
	int64_t b_up_sat, b_down_sat; /* rates that filled each queue */
	int b_ramped;		      /* this phase doubled its load */
	int64_t b_recent[8];
	int64_t b_recent_t[8];
	unsigned b_nrecent;
	struct bloat_result b_res[3];
	int b_nres, b_runs;
	uint8_t tx[WIRE_MAX_DATAGRAM];
	uint8_t rxbuf[WIRE_MAX_DATAGRAM];
};

/* probe_echo.c */
void echo_sample_base(const struct probe *p, enum bb_probe_kind kind,
		      int64_t mono, int64_t real, struct bb_sample *s);
void echo_load_begin(struct probe *p, int64_t mono, int64_t bound_ns);
void echo_load_end(struct probe *p);
void echo_arm_at(struct probe *p, ev_timer *w, int64_t at);
int echo_xmit(struct probe *p, const struct wire_msg *m, size_t pad);
int echo_session_up(const struct probe *p);
void echo_send(struct probe *p, int emit, int phase, int64_t deadline);
void echo_close(struct probe *p);

/* echo_tests.c */
void echo_test_abort(struct probe *p, const char *why);
void echo_test_done(struct probe *p);
void echo_bloat_rtt(struct probe *p, const struct slot *s, int64_t rtt,
		    int64_t up, int64_t down);
void echo_on_stats(struct probe *p, const struct wire_msg *m);
void echo_download_finish(struct probe *p, uint32_t chunks);
void echo_emit_tput(struct probe *p, enum bb_probe_kind kind, enum bb_status st,
		    int64_t kbps, int32_t loss_ppm, const char *detail);
void echo_on_pace(struct ev_loop *loop, ev_timer *w, int revents);
void echo_on_sched(struct ev_loop *loop, ev_timer *w, int revents);
void echo_on_bstep(struct ev_loop *loop, ev_timer *w, int revents);
void echo_on_guard(struct ev_loop *loop, ev_timer *w, int revents);
void echo_sched_arm(struct probe *p);
int64_t echo_bloat_idle_ns(const struct probe *p);

#endif
