// SPDX-License-Identifier: MIT
/*
 * The live model (see model.h).  Series are found by a linear scan: there are
 * at most a few dozen, and the scan touches one cache line per series.
 */
#include "core/analysis/model.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "core/analysis/stats.h"

struct model {
	int64_t interval_ns;
	struct model_series series[MODEL_MAX_SERIES];
	size_t n;
	uint64_t generation;
	uint64_t overflow;
};

struct model *model_create(int64_t interval_ns)
{
	struct model *m = calloc(1, sizeof(*m));
	if (m)
		m->interval_ns = interval_ns;
	return m;
}

void model_destroy(struct model *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < m->n; i++)
		stats_series_destroy(m->series[i].stats);
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
	struct stats_series *st = stats_series_create(m->interval_ns);
	if (!st)
		return NULL;
	struct model_series *ms = &m->series[m->n++];
	memcpy(ms->interface, s->interface, sizeof(ms->interface));
	memcpy(ms->target, s->target, sizeof(ms->target));
	memcpy(ms->server, s->server, sizeof(ms->server));
	ms->kind = (enum bb_probe_kind)s->kind;
	ms->stats = st;
	return ms;
}

const struct model_series *model_add(struct model *m, const struct bb_sample *s)
{
	struct model_series *ms = find_or_add(m, s);
	if (!ms) {
		m->overflow++;
		return NULL;
	}
	/* an echo without a session measured nothing: the windows' loss is
	 * the line's; the series' last sample shows the state */
	if (!(s->flags & BB_SAMPLE_NO_SESSION))
		stats_series_add(ms->stats, s);
	if (!(s->flags & (BB_SAMPLE_LATE | BB_SAMPLE_DUPLICATE))) {
		ms->last = *s;
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

uint64_t model_overflow(const struct model *m)
{
	return m->overflow;
}
