// SPDX-License-Identifier: MIT
/*
 * The live model (see model.h).  Series are found by a linear scan: there are
 * at most a few dozen, and the scan touches one cache line per series.
 */
#include "core/analysis/model.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/analysis/detect_diag.h"
#include "core/analysis/path.h"
#include "core/base/clock.h"
#include "core/analysis/stats.h"

struct model {
	int64_t interval_ns;
	struct model_series series[MODEL_MAX_SERIES];
	size_t n;
	struct model_server servers[MODEL_MAX_SERVERS];
	size_t nservers;
	struct model_traffic traffic[MODEL_MAX_TRAFFIC];
	size_t ntraffic;
	uint64_t generation;
	uint64_t overflow;
	struct path_table *paths; /* BB_KIND_PATH samples, hop by hop */
};

struct model *model_new(int64_t interval_ns)
{
	struct model *m = calloc(1, sizeof(*m));
	if (!m)
		return NULL;
	m->interval_ns = interval_ns;
	m->paths = calloc(1, sizeof(*m->paths));
	if (!m->paths) {
		free(m);
		return NULL;
	}
	return m;
}

void model_free(struct model *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < m->n; i++)
		stats_log_free(m->series[i].stats);
	free(m->paths);
	free(m);
}

static bool same_series(const struct model_series *ms,
			const struct bb_sample *s)
{
	return ms->kind == s->kind && strcmp(ms->target, s->target) == 0 &&
	       strcmp(ms->interface, s->interface) == 0 &&
	       strcmp(ms->server, s->server) == 0;
}

static struct model_series *find_or_add(struct model *m,
					const struct bb_sample *s)
{
	for (size_t i = 0; i < m->n; i++)
		if (same_series(&m->series[i], s))
			return &m->series[i];
	if (m->n == MODEL_MAX_SERIES)
		return NULL;
	struct stats_log *st = stats_log_new(m->interval_ns);
	if (!st)
		return NULL;
	struct model_series *ms = &m->series[m->n++];
	memcpy(ms->interface, s->interface, sizeof(ms->interface));
	memcpy(ms->target, s->target, sizeof(ms->target));
	memcpy(ms->server, s->server, sizeof(ms->server));
	ms->kind = (enum bb_probe_kind)s->kind;
	ms->stats = st;
	sample_init(&ms->quiet, ms->kind);
	return ms;
}

static struct model_server *server_for(struct model *m, const char *name)
{
	for (size_t i = 0; i < m->nservers; i++)
		if (!strcmp(m->servers[i].server, name))
			return &m->servers[i];
	if (m->nservers == MODEL_MAX_SERVERS)
		return NULL;
	struct model_server *sv = &m->servers[m->nservers++];
	snprintf(sv->server, sizeof(sv->server), "%s", name);
	return sv;
}

/* A bufferbloat result replaces the phase's older one (a replay feeds in
 * order, but a late result must not hide a newer one). */
static void add_bloat(struct model_server *sv, const struct bb_sample *s)
{
	int ph = s->load_phase == BB_PHASE_UP	  ? MODEL_BLOAT_UP
		 : s->load_phase == BB_PHASE_DOWN ? MODEL_BLOAT_DOWN
		 : s->load_phase == BB_PHASE_BOTH ? MODEL_BLOAT_BOTH
						  : -1;
	int64_t at = s->real_ns / BB_NS_PER_MS;
	if (ph < 0 || (sv->bloat[ph].have && sv->bloat[ph].at_ms > at))
		return;
	struct model_bloat *b = &sv->bloat[ph];
	memset(b, 0, sizeof(*b));
	b->have = true;
	b->at_ms = at;
	b->idle_ns = b->loaded_ns = b->increase_ns = BB_NONE;
	b->rpm = -1;
	snprintf(b->detail, sizeof(b->detail), "%s", s->detail);
	if (s->status != BB_STATUS_OK || s->rtt_ns == BB_NONE)
		return;
	b->ok = true;
	b->loaded_ns = s->rtt_ns;
	b->rpm = s->bloat.rpm;
	b->increase_ns = s->bloat.increase_ns;
	b->idle_ns = s->bloat.idle_p50_ns;
	if (b->increase_ns == BB_NONE && b->idle_ns != BB_NONE)
		b->increase_ns = b->loaded_ns - b->idle_ns;
	if (b->idle_ns == BB_NONE && b->increase_ns != BB_NONE)
		b->idle_ns = b->loaded_ns - b->increase_ns < 0
				     ? 0
				     : b->loaded_ns - b->increase_ns;
	if (b->increase_ns != BB_NONE)
		snprintf(b->grade, sizeof(b->grade), "%s",
			 diag_bloat_grade((double)b->increase_ns / 1e6));
}

/* Figures kept per companion server (model.h). */
static void add_server_figures(struct model *m, const struct bb_sample *s)
{
	/* an echo lost into our own test's queue is not the line's */
	bool lost = s->kind == BB_KIND_UDP_ECHO &&
		    s->status == BB_STATUS_TIMEOUT &&
		    !(s->flags & BB_SAMPLE_UNDER_LOAD) &&
		    (s->loss_dir == BB_LOSS_UP || s->loss_dir == BB_LOSS_DOWN);
	if (!s->server[0] || (s->kind != BB_KIND_BUFFERBLOAT && !lost &&
			      s->kind != BB_KIND_UDP_ECHO))
		return;
	struct model_server *sv = server_for(m, s->server);
	if (!sv)
		return;
	if (s->kind == BB_KIND_BUFFERBLOAT)
		add_bloat(sv, s);
	else if (lost && s->loss_dir == BB_LOSS_UP)
		sv->lost_up++;
	else if (lost)
		sv->lost_down++;
}

static struct model_traffic *traffic_for(struct model *m, const char *iface)
{
	for (size_t i = 0; i < m->ntraffic; i++)
		if (!strcmp(m->traffic[i].interface, iface))
			return &m->traffic[i];
	if (m->ntraffic == MODEL_MAX_TRAFFIC)
		return NULL;
	struct model_traffic *t = &m->traffic[m->ntraffic++];
	snprintf(t->interface, sizeof(t->interface), "%s", iface);
	t->rx_kbps = t->tx_kbps = BB_NONE;
	return t;
}

/* A running mean of the samples of one second (n before this one). */
static int64_t mean_in(int64_t old, int64_t add, uint32_t n)
{
	if (old == BB_NONE)
		return add;
	if (add == BB_NONE)
		return old;
	return (old * (int64_t)n + add) / ((int64_t)n + 1);
}

static void add_traffic(struct model *m, const struct bb_sample *s)
{
	struct model_traffic *t = traffic_for(m, s->interface);
	if (!t) {
		m->overflow++;
		return;
	}
	int64_t sec = s->real_ns / BB_NS_PER_S;
	struct model_traffic_point *last = t->n ? &t->ring[t->head] : NULL;
	if (last && sec < last->real_s)
		return; /* older than the history: a replay went back */
	snprintf(t->device, sizeof(t->device), "%.15s", s->target);
	snprintf(t->detail, sizeof(t->detail), "%s", s->detail);
	t->at_ns = s->real_ns;
	t->ok = s->status == BB_STATUS_OK;
	t->rx_kbps = t->ok ? s->rx_kbps : BB_NONE;
	t->tx_kbps = t->ok ? s->tx_kbps : BB_NONE;
	if (!t->ok)
		return;
	if (last && sec == last->real_s) {
		last->rx_kbps =
			mean_in(last->rx_kbps, t->rx_kbps, t->head_count);
		last->tx_kbps =
			mean_in(last->tx_kbps, t->tx_kbps, t->head_count);
		t->head_count++;
		return;
	}
	t->head = t->n ? (t->head + 1) % MODEL_TRAFFIC_HISTORY : 0;
	if (t->n < MODEL_TRAFFIC_HISTORY)
		t->n++;
	t->ring[t->head] = (struct model_traffic_point){
		.real_s = sec, .rx_kbps = t->rx_kbps, .tx_kbps = t->tx_kbps
	};
	t->head_count = 1;
}

int model_path_add(struct model *m, const struct bb_sample *s,
		   struct path_change *ch)
{
	int rc = path_table_add(m->paths, s, ch);
	m->generation++;
	return rc;
}

const struct path_table *model_paths(const struct model *m)
{
	return m->paths;
}

const struct path_view *model_path(const struct model *m, const char *interface,
				   const char *target)
{
	return path_table_find(m->paths, interface, target);
}

const struct model_series *model_add(struct model *m, const struct bb_sample *s)
{
	if (s->kind == BB_KIND_TRAFFIC) {
		add_traffic(m, s);
		m->generation++;
		return NULL;
	}
	/* hop by hop, not a series of the line (its own table) */
	if (s->kind == BB_KIND_PATH) {
		model_path_add(m, s, NULL);
		return NULL;
	}
	if (!(s->flags & BB_SAMPLE_DUPLICATE))
		add_server_figures(m, s);
	struct model_series *ms = find_or_add(m, s);
	if (!ms) {
		m->overflow++;
		return NULL;
	}
	/* an echo without a session measured nothing: the windows' loss is
	 * the line's; the series' last sample shows the state */
	if (!(s->flags & BB_SAMPLE_NO_SESSION))
		stats_log_add(ms->stats, s);
	if (!(s->flags & (BB_SAMPLE_LATE | BB_SAMPLE_DUPLICATE))) {
		ms->last = *s;
		if (!(s->flags & BB_SAMPLE_UNDER_LOAD))
			ms->quiet = *s;
		ms->samples++;
	}
	m->generation++;
	return ms;
}

size_t model_count(const struct model *m)
{
	return m->n;
}

const struct model_series *model_at(const struct model *m, size_t i)
{
	return i < m->n ? &m->series[i] : NULL;
}

uint64_t model_generation(const struct model *m)
{
	return m->generation;
}

size_t model_server_count(const struct model *m)
{
	return m->nservers;
}

const struct model_server *model_server_at(const struct model *m, size_t i)
{
	return i < m->nservers ? &m->servers[i] : NULL;
}

const struct model_server *model_server_find(const struct model *m,
					     const char *name)
{
	for (size_t i = 0; i < m->nservers; i++)
		if (!strcmp(m->servers[i].server, name))
			return &m->servers[i];
	return NULL;
}

const struct model_bloat *model_bloat_latest(const struct model *m, int phase)
{
	const struct model_bloat *best = NULL;
	if (phase < 0 || phase >= MODEL_BLOAT_N)
		return NULL;
	for (size_t i = 0; i < m->nservers; i++) {
		const struct model_bloat *b = &m->servers[i].bloat[phase];
		if (b->have && (!best || b->at_ms > best->at_ms))
			best = b;
	}
	return best;
}

uint64_t model_overflow(const struct model *m)
{
	return m->overflow;
}

const struct model_traffic *model_traffic(const struct model *m,
					  const char *iface)
{
	for (size_t i = 0; i < m->ntraffic; i++)
		if (!strcmp(m->traffic[i].interface, iface))
			return &m->traffic[i];
	return NULL;
}

size_t model_traffic_count(const struct model *m)
{
	return m->ntraffic;
}

const struct model_traffic *model_traffic_at(const struct model *m, size_t i)
{
	return i < m->ntraffic ? &m->traffic[i] : NULL;
}

size_t model_traffic_history(const struct model_traffic *t,
			     struct model_traffic_point *out, size_t max)
{
	size_t k = t->n < max ? t->n : max;
	for (size_t i = 0; i < k; i++) {
		size_t back = k - 1 - i; /* 0 = newest */
		out[i] = t->ring[(t->head + MODEL_TRAFFIC_HISTORY - back) %
				 MODEL_TRAFFIC_HISTORY];
	}
	return k;
}
