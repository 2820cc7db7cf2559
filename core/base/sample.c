// SPDX-License-Identifier: MIT
/* Names and initialisation of struct bb_sample (see sample.h). */
#include "core/base/sample.h"

#include <string.h>

#include "core/probe/kind.h" /* the kind names live in its table */

static const char *const status_names[BB_STATUS_COUNT] = {
	[BB_STATUS_OK] = "ok",
	[BB_STATUS_TIMEOUT] = "timeout",
	[BB_STATUS_ERROR] = "error",
};

void sample_init(struct bb_sample *s, enum bb_probe_kind kind)
{
	memset(s, 0, sizeof(*s));
	s->kind = (uint8_t)kind;
	s->rtt_ns = BB_NONE;
	s->up_delay_ns = BB_NONE;
	s->down_delay_ns = BB_NONE;
	s->throughput_kbps = BB_NONE;
	s->rx_kbps = BB_NONE;
	s->tx_kbps = BB_NONE;
	s->loss_ppm = -1;
	s->sync_pct = -1;
	s->clock_offset_ns = BB_NONE;
	s->bloat.idle_p50_ns = BB_NONE;
	s->bloat.loaded_p95_ns = BB_NONE;
	s->bloat.increase_ns = BB_NONE;
	s->bloat.up_inc_ns = BB_NONE;
	s->bloat.down_inc_ns = BB_NONE;
	s->bloat.rpm = -1;
}

const char *sample_kind_name(enum bb_probe_kind kind)
{
	const struct kind *k = kind_get(kind);
	return k ? k->name : "unknown";
}

const char *sample_status_name(enum bb_status status)
{
	return (unsigned)status < BB_STATUS_COUNT ? status_names[status]
						  : "unknown";
}

const char *sample_no_session_why(const struct bb_sample *s)
{
	if (!(s->flags & BB_SAMPLE_NO_SESSION) || !s->detail[0])
		return NULL;
	if (s->status == BB_STATUS_ERROR ||
	    strstr(s->detail, BB_DETAIL_REFUSED))
		return s->detail;
	return NULL;
}

static int index_of(const char *const *names, int n, const char *name)
{
	for (int i = 0; i < n; i++)
		if (names[i] && strcmp(names[i], name) == 0)
			return i;
	return -1;
}

int sample_kind_from_name(const char *name)
{
	return kind_from_name(name);
}

int sample_status_from_name(const char *name)
{
	return index_of(status_names, BB_STATUS_COUNT, name);
}
