// SPDX-License-Identifier: MIT
/*
 * One sample into the analysis (see feed.h).
 */
#include "core/engine/feed.h"

#include <stdio.h>
#include <string.h>

#include "core/analysis/detect.h"
#include "core/analysis/model.h"
#include "core/base/clock.h"

/* An answered echo carries the sync estimate it was timed with; the
 * time_sync_* events are decided on it here, with the run of samples that
 * had one (the estimator's own count is not on the sample). */
static void sync_sample(struct feed *f, const struct bb_sample *s)
{
	if (s->kind != BB_KIND_UDP_ECHO || s->status != BB_STATUS_OK ||
	    (s->flags & (BB_SAMPLE_LATE | BB_SAMPLE_DUPLICATE)) ||
	    !s->server[0])
		return;
	size_t i = 0;
	while (i < f->nsync && strcmp(f->sync[i].server, s->server))
		i++;
	if (i == f->nsync) {
		if (i == FEED_MAX_SYNC)
			return;
		snprintf(f->sync[i].server, sizeof(f->sync[i].server), "%s",
			 s->server);
		f->sync[i].n = 0;
		f->nsync++;
	}
	if (s->sync_pct < 0) {
		f->sync[i].n = 0;
		return;
	}
	if (f->sync[i].n < 1000000)
		f->sync[i].n++;
	if (f->detect)
		detect_time_sync(
			f->detect, s->server, s->sync_pct,
			s->clock_offset_ns == BB_NONE ? 0 : s->clock_offset_ns,
			f->sync[i].n, s->real_ns / BB_NS_PER_MS);
}

const struct model_series *feed_sample(struct feed *f,
				       const struct bb_sample *s)
{
	const struct model_series *ms = model_add(f->model, s);
	if (f->detect)
		detect_sample(f->detect, ms, s);
	sync_sample(f, s);
	return ms;
}
