// SPDX-License-Identifier: MIT
/*
 * One sample into the analysis (see feed.h).
 */
#include "core/engine/feed.h"

#include "core/analysis/detect.h"
#include "core/analysis/model.h"
#include "core/analysis/path.h"
#include "core/base/clock.h"

/* An answered echo carries the sync estimate it was timed with (quality,
 * offset and how many exchanges it rests on); the time_sync_* events are
 * decided on it here, live and in replay alike. */
static void sync_sample(struct feed *f, const struct bb_sample *s)
{
	if (!f->detect || s->kind != BB_KIND_UDP_ECHO ||
	    s->status != BB_STATUS_OK ||
	    (s->flags & (BB_SAMPLE_LATE | BB_SAMPLE_DUPLICATE)) ||
	    !s->server[0] || s->sync_pct < 0)
		return;
	detect_time_sync(f->detect, s->server, s->sync_pct,
			 s->clock_offset_ns == BB_NONE ? 0 : s->clock_offset_ns,
			 s->sync_n, s->real_ns / BB_NS_PER_MS);
}

const struct model_series *feed_sample(struct feed *f,
				       const struct bb_sample *s)
{
	if (s->kind == BB_KIND_PATH) { /* a table of its own, no series */
		struct path_change ch;
		if (model_path_add(f->model, s, &ch) > 0 && f->detect)
			detect_path_change(f->detect, &ch);
		return NULL;
	}
	const struct model_series *ms = model_add(f->model, s);
	if (f->detect)
		detect_sample(f->detect, ms, s);
	sync_sample(f, s);
	return ms;
}
