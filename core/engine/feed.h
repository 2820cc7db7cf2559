/* SPDX-License-Identifier: MIT */
/*
 * The one way a sample enters the analysis, live (core/engine/monitor) or
 * from a recording (core/engine/source, replay): the model, then the
 * detectors, then the clock-sync events from the sample's typed sync
 * figures.  Both paths call the same function, so replay decides what live
 * decided.  Main thread only.
 */
#ifndef BB_FEED_H
#define BB_FEED_H

#include <stddef.h>

#include "core/base/sample.h"

struct model;
struct model_series;
struct detect;

struct feed {
	struct model *model;
	struct detect *detect;
};

/* Feed one sample; returns its series (NULL: the model's table is full). */
const struct model_series *feed_sample(struct feed *f,
				       const struct bb_sample *s);

#endif
