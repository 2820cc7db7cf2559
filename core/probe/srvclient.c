// SPDX-License-Identifier: MIT
/*
 * Companion-server session (see srvclient.h).  States and moves:
 *
 *   KNOCKING --ACK--> UP --no answer for DEAD_NS while requests wait-->
 *   KNOCKING --SRVCLIENT_UNREACH_AFTER knocks unanswered--> UNREACHABLE
 *   (UNREACHABLE keeps knocking at the backoff ceiling; any ACK -> UP)
 *
 * Knock retries back off exponentially from KNOCK_MIN_NS to KNOCK_MAX_NS.
 * While UP a refresh KNOCK goes out half-way to valid_until, so a session
 * that carries no traffic never lapses on the server.  Replies are checked
 * in the protocol's order and only authentic ones move any state.
 *
 * Revision 2 (PROTOCOL.md rule 8): the cookie of the latest KNOCK_ACK goes
 * on every request that carries one (srvclient_seal adds it, so callers
 * build requests as before); a KNOCK is padded by the cookie's length so
 * the server's ACK, never larger than the KNOCK, has room for it.  An ACK
 * without a cookie (a revision-1 server) means requests go without one.
 */
#include "core/probe/srvclient.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "core/probe/bloat.h"
#include "core/base/clock.h"
#include "core/base/config.h"
#include "core/engine/plan.h"
#include "core/probe/probe.h"
#include "proto/key.h"
#include "proto/antireplay.h"

/* Rule 13: every handle of the process seals from this one sequence.  A
 * client process has one client_id, and its probes on several interfaces
 * (one worker thread each) seal under the same key: separate generators
 * handed out the same nonce_ts in the same nanosecond.  One sequence for
 * all keys is simpler than one per (key, client_id) and still unique per
 * pair; it only skips values, which the protocol allows. */
static struct wire_nonce_shared seal_seq = WIRE_NONCE_SHARED_INIT(WIRE_DIR_C2S);

struct srvclient {
	uint8_t key[WIRE_KEY_LEN];
	uint8_t cid[WIRE_CLIENT_ID_LEN];
	struct antireplay_window replay;
	enum srvclient_state state;
	uint8_t cookie[WIRE_COOKIE_LEN];
	int have_cookie;
	unsigned unanswered, sessions;
	int64_t backoff_ns;
	int64_t next_knock;    /* monotonic; INT64_MAX = none due */
	int64_t last_rx;       /* last authentic packet */
	int64_t waiting_since; /* oldest request unanswered, 0 = none */
	uint8_t scratch[WIRE_MAX_DATAGRAM];
};

struct srvclient *srvclient_new(const uint8_t key[static WIRE_KEY_LEN],
				const uint8_t cid[static WIRE_CLIENT_ID_LEN])
{
	struct srvclient *sc = calloc(1, sizeof(*sc));
	if (!sc)
		return NULL;
	memcpy(sc->key, key, WIRE_KEY_LEN);
	memcpy(sc->cid, cid, WIRE_CLIENT_ID_LEN);
	antireplay_init(&sc->replay);
	sc->state = SRVCLIENT_KNOCKING;
	sc->backoff_ns = SRVCLIENT_KNOCK_MIN_NS;
	sc->next_knock = 0; /* right away */
	return sc;
}

void srvclient_free(struct srvclient *sc)
{
	if (!sc)
		return;
	sodium_memzero(sc, sizeof(*sc));
	free(sc);
}

enum srvclient_state srvclient_state(const struct srvclient *sc)
{
	return sc->state;
}

unsigned srvclient_unanswered(const struct srvclient *sc)
{
	return sc->unanswered;
}

unsigned srvclient_sessions(const struct srvclient *sc)
{
	return sc->sessions;
}

int srvclient_seal(struct srvclient *sc, const struct wire_msg *m,
		   int64_t now_real, size_t pad_len, uint8_t *buf, size_t cap)
{
	uint64_t n = wire_nonce_shared_next(&seal_seq, (uint64_t)now_real);
	if (!n)
		return -EOVERFLOW;
	if (sc->have_cookie && !m->has_cookie &&
	    wire_type_has_cookie(m->type) && m->type != WIRE_KNOCK_ACK) {
		struct wire_msg c = *m;
		c.has_cookie = 1;
		memcpy(c.cookie, sc->cookie, WIRE_COOKIE_LEN);
		return wire_seal(sc->key, sc->cid, n, &c, NULL, pad_len, buf,
				 cap);
	}
	return wire_seal(sc->key, sc->cid, n, m, NULL, pad_len, buf, cap);
}

int srvclient_cookie(const struct srvclient *sc,
		     uint8_t out[static WIRE_COOKIE_LEN])
{
	if (!sc->have_cookie)
		return -ENOENT;
	memcpy(out, sc->cookie, WIRE_COOKIE_LEN);
	return 0;
}

/* Back to knocking now (the session stopped answering). */
static void reknock(struct srvclient *sc, int64_t now)
{
	sc->state = SRVCLIENT_KNOCKING;
	sc->backoff_ns = SRVCLIENT_KNOCK_MIN_NS;
	sc->next_knock = now;
	sc->unanswered = 0;
	sc->waiting_since = 0;
}

int srvclient_tick(struct srvclient *sc, int64_t now_mono, int64_t now_real,
		   uint8_t *buf, size_t cap)
{
	if (sc->state == SRVCLIENT_UP && sc->waiting_since &&
	    now_mono - sc->waiting_since >= SRVCLIENT_DEAD_NS &&
	    now_mono - sc->last_rx >= SRVCLIENT_DEAD_NS)
		reknock(sc, now_mono);
	if (now_mono < sc->next_knock)
		return 0;
	struct wire_msg k = { .type = WIRE_KNOCK };
	k.u.knock.unix_time = (uint64_t)(now_real / BB_NS_PER_S);
	int len = srvclient_seal(sc, &k, now_real, WIRE_COOKIE_LEN, buf, cap);
	if (len < 0)
		return len;
	if (sc->state == SRVCLIENT_UP) {
		/* refresh: the answer keeps it up; silence is caught above */
		srvclient_note_request(sc, now_mono);
		sc->next_knock = now_mono + SRVCLIENT_KNOCK_MAX_NS;
		return len;
	}
	if (++sc->unanswered >= SRVCLIENT_UNREACH_AFTER)
		sc->state = SRVCLIENT_UNREACHABLE;
	sc->next_knock = now_mono + sc->backoff_ns;
	sc->backoff_ns *= 2;
	if (sc->backoff_ns > SRVCLIENT_KNOCK_MAX_NS)
		sc->backoff_ns = SRVCLIENT_KNOCK_MAX_NS;
	return len;
}

int64_t srvclient_next_ns(const struct srvclient *sc)
{
	int64_t t = sc->next_knock;
	if (sc->state == SRVCLIENT_UP && sc->waiting_since) {
		int64_t dead = sc->waiting_since > sc->last_rx
				       ? sc->waiting_since
				       : sc->last_rx;
		if (dead + SRVCLIENT_DEAD_NS < t)
			t = dead + SRVCLIENT_DEAD_NS;
	}
	return t;
}

void srvclient_note_request(struct srvclient *sc, int64_t now_mono)
{
	if (!sc->waiting_since)
		sc->waiting_since = now_mono;
}

int srvclient_open(struct srvclient *sc, const uint8_t *pkt, size_t len,
		   int64_t now_mono, int64_t now_real, struct wire_msg *m)
{
	struct wire_header h;
	int rc = wire_peek(pkt, len, &h);
	if (rc < 0)
		return rc;
	if (memcmp(h.client_id, sc->cid, WIRE_CLIENT_ID_LEN) != 0)
		return -EBADMSG;
	rc = wire_check_dir(&h, WIRE_DIR_S2C, 1);
	if (rc < 0)
		return rc;
	rc = antireplay_check(&sc->replay, h.nonce_ts, (uint64_t)now_real);
	if (rc < 0)
		return rc;
	rc = wire_open(sc->key, pkt, len, sc->scratch, sizeof(sc->scratch),
		       NULL, m);
	if (rc < 0)
		return rc;
	rc = antireplay_commit(&sc->replay, h.nonce_ts);
	if (rc < 0)
		return rc;
	sc->last_rx = now_mono;
	sc->waiting_since = 0;
	if (m->type != WIRE_KNOCK_ACK)
		return 0;
	if (sc->state != SRVCLIENT_UP)
		sc->sessions++;
	sc->have_cookie = m->has_cookie;
	if (m->has_cookie)
		memcpy(sc->cookie, m->cookie, WIRE_COOKIE_LEN);
	sc->state = SRVCLIENT_UP;
	sc->unanswered = 0;
	sc->backoff_ns = SRVCLIENT_KNOCK_MIN_NS;
	/* refresh half-way to expiry (at least 1 s from now) */
	int64_t left =
		((int64_t)m->u.knock_ack.valid_until - now_real / BB_NS_PER_S) *
		BB_NS_PER_S;
	if (left < 2 * BB_NS_PER_S)
		left = 2 * BB_NS_PER_S;
	sc->next_knock = now_mono + left / 2;
	return 1;
}

/* ---- configuration -> probe target -------------------------------------- */

static int client_id_from(const char *text, uint8_t cid[static 8])
{
	if (strcmp(text, "auto") == 0 || text[0] == '\0') {
		randombytes_buf(cid, 8);
		return 0;
	}
	size_t n = 0;
	if (sodium_hex2bin(cid, 8, text, strlen(text), NULL, &n, NULL) < 0 ||
	    n != 8)
		return -EINVAL;
	return 0;
}

int srvclient_check_secrets(const struct bb_config *cfg, char *err,
			    size_t errlen)
{
	for (int i = 0; i < cfg->n_servers; i++) {
		const struct bb_config_server *s = &cfg->servers[i];
		uint8_t key[KEY_LEN];
		char why[256], at[CONFIG_PATH_LEN + 16] = "";
		int rc = s->shared_secret_file[0]
				 ? key_load_file(s->shared_secret_file, key,
						 why, sizeof(why))
				 : key_parse_hex(s->shared_secret, key, why,
						 sizeof(why));
		key_wipe(key);
		if (rc == 0)
			continue;
		if (cfg->source_path[0] && s->secret_line > 0)
			snprintf(at, sizeof(at), "%s:%d: ", cfg->source_path,
				 s->secret_line);
		else if (cfg->source_path[0])
			snprintf(at, sizeof(at), "%s: ", cfg->source_path);
		snprintf(err, errlen, "%sservers[%d].%s: %s", at, i,
			 s->shared_secret_file[0] ? "shared_secret_file"
						  : "shared_secret",
			 why);
		return -EINVAL;
	}
	return 0;
}

int srvclient_target(const struct bb_config *cfg, int index, const char *ifname,
		     struct probe_target *t, char *err, size_t errlen)
{
	if (index < 0 || index >= cfg->n_servers) {
		snprintf(err, errlen, "no server %d configured", index);
		return -EINVAL;
	}
	const struct bb_config_server *s = &cfg->servers[index];
	memset(t, 0, sizeof(*t));
	t->kind = BB_KIND_UDP_ECHO;
	snprintf(t->name, sizeof(t->name), "%s", s->name);
	snprintf(t->interface, sizeof(t->interface), "%s", ifname);
	t->timeout_ns = (int64_t)cfg->general.probe_timeout_ms * BB_NS_PER_MS;
	char why[256];
	int rc;
	if (s->shared_secret[0])
		rc = key_parse_hex(s->shared_secret, t->srv.key, why,
				   sizeof(why));
	else if (s->shared_secret_file[0])
		rc = key_load_file(s->shared_secret_file, t->srv.key, why,
				   sizeof(why));
	else
		rc = -ENOKEY, snprintf(why, sizeof(why), "no shared secret");
	if (rc < 0) {
		snprintf(err, errlen, "server %s: %s", s->name, why);
		return rc;
	}
	if (client_id_from(cfg->general.client_id, t->srv.client_id) < 0) {
		key_wipe(t->srv.key);
		snprintf(err, errlen, "general.client_id: not 16 hex digits");
		return -EINVAL;
	}
	const __typeof__(cfg->tests.throughput) *tp = &cfg->tests.throughput;
	t->srv.chunk_bytes = (uint32_t)tp->chunk_bytes;
	if (tp->enabled) {
		t->srv.tput_every_ns[0] = tp->small_interval_s * BB_NS_PER_S;
		t->srv.tput_every_ns[1] = tp->medium_interval_s * BB_NS_PER_S;
		t->srv.tput_every_ns[2] = tp->large_interval_s * BB_NS_PER_S;
		t->srv.tput_bytes[0] = (uint32_t)tp->small_test_kb * 1000U;
		t->srv.tput_bytes[1] = (uint32_t)tp->medium_test_kb * 1000U;
		t->srv.tput_bytes[2] = (uint32_t)tp->large_test_kb * 1000U;
		t->srv.tput_first_ns = tp->first_test_s * BB_NS_PER_S;
	}
	const __typeof__(cfg->tests.bufferbloat) *bb = &cfg->tests.bufferbloat;
	if (bb->enabled) {
		t->srv.bloat_every_ns = bb->interval_s * BB_NS_PER_S;
		t->srv.bloat_first_ns = bb->first_test_s * BB_NS_PER_S;
	}
	t->srv.bloat_kind = !strcmp(bb->test_type, "upload")	 ? 1
			    : !strcmp(bb->test_type, "download") ? 2
								 : 3;
	/* test_duration_s covers idle + load phases (+ recovery) */
	struct bloat_plan plan;
	bloat_plan_of(bb->test_duration_s, t->srv.bloat_kind, &plan);
	t->srv.bloat_load_ns = plan.load_ns;
	t->srv.bloat_echo_ns = 20 * BB_NS_PER_MS;
	/* last: a name that does not resolve yet leaves a complete target */
	if (plan_resolve(s->host, s->port, &t->addr, &t->addr_len, why,
			 sizeof(why)) < 0) {
		snprintf(err, errlen, "server %s: %s", s->name, why);
		return 1;
	}
	return 0;
}

/* One echo stream per server at the loss-stream rate when that is faster
 * than test_interval_ms; throughput and bufferbloat tests ride on it.  A
 * server whose secret or id is bad is left out with a warning. */
int srvclient_plan(struct probe_planner *pl)
{
	const struct bb_config *cfg = pl->cfg;
	for (int i = 0; i < cfg->n_servers; i++) {
		struct probe_target tmp;
		char why[256];
		int got = srvclient_target(cfg, i, pl->ifname, &tmp, why,
					   sizeof(why));
		if (got < 0) {
			pl->warn(pl, "udp_echo: %s, left out", why);
			continue;
		}
		if (got > 0) /* DNS may just be down: later */
			pl->warn(pl,
				 "udp_echo: %s; it is resolved again in the "
				 "background and probed once it resolves",
				 why);
		struct probe_want w = {
			.name = cfg->servers[i].name,
			.host = cfg->servers[i].host,
			.port = cfg->servers[i].port,
			.resolve_later = got > 0,
			.interval_ns =
				cfg->loss_stream.interval_ms * BB_NS_PER_MS,
		};
		if (w.interval_ns <= 0 || w.interval_ns > pl->interval_ns)
			w.interval_ns = pl->interval_ns;
		if (got == 0) {
			w.addr = &tmp.addr;
			w.addr_len = tmp.addr_len;
		}
		struct probe_target *t = pl->add(pl, BB_KIND_UDP_ECHO, &w);
		if (t)
			*t = tmp; /* the plan's owner wipes it */
		key_wipe(tmp.srv.key);
		if (!t)
			return -E2BIG;
	}
	return 0;
}
