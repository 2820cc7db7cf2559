/* SPDX-License-Identifier: MIT */
/*
 * The live model, owned by the main thread: one series per (interface,
 * probe kind, target, server), each with its rolling statistics.  Front ends
 * read it between samples; model_generation() changes whenever it does, so
 * a view redraws only when there is something new.
 */
#ifndef BB_MODEL_H
#define BB_MODEL_H

#include <stddef.h>
#include <stdint.h>

#include "core/base/sample.h"

#define MODEL_MAX_SERIES 128

struct model;
struct stats_series;

struct model_series {
	char interface[BB_IFNAME_LEN];
	char target[BB_TARGET_LEN];
	char server[BB_SERVER_LEN];
	enum bb_probe_kind kind;
	struct stats_series *stats;
	struct bb_sample last; /* newest probe (not annotations); its
				  BB_SAMPLE_NO_SESSION: no session now */
	uint64_t samples;      /* probes seen, annotations excluded */
};

/* Empty model whose series expect one sample per interval_ns. */
struct model *model_create(int64_t interval_ns);
/* Free the model and its series. */
void model_destroy(struct model *m);
/* Feed one sample; returns its series (NULL when the table is full). */
const struct model_series *model_add(struct model *m,
				     const struct bb_sample *s);
/* Number of series, in order of first appearance. */
size_t model_count(const struct model *m);
/* Series i (0 <= i < model_count). */
const struct model_series *model_at(const struct model *m, size_t i);
/* Changes every time the model does. */
uint64_t model_generation(const struct model *m);
/* Samples refused because the series table was full. */
uint64_t model_overflow(const struct model *m);

#endif
