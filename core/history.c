// SPDX-License-Identifier: MIT
/*
 * History questions over the rollups (see history.h).
 */
#include "core/history.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <time.h>

#include "core/detect_diag.h"
#include "core/sample.h"
#include "core/store.h"

#define PEAK_MAX_ROWS (24 * 8)

struct hour_fold {
	struct diag_hour rows[PEAK_MAX_ROWS];
	size_t n;
	/* the series' hours are merged per (bucket): one row per hour */
	int64_t bucket_ms;
	double p50_sum;
	int64_t p50_n, count, lost;
};

static void fold_flush(struct hour_fold *f)
{
	if (f->count <= 0 || f->p50_n == 0 || f->n >= PEAK_MAX_ROWS)
		goto reset;
	time_t t = (time_t)(f->bucket_ms / 1000);
	struct tm tm;
	localtime_r(&t, &tm);
	/* the mean of the targets' medians: each target weighs the same */
	f->rows[f->n++] = (struct diag_hour){
		tm.tm_hour, f->p50_sum / (double)f->p50_n,
		100.0 * (double)f->lost / (double)f->count
	};
reset:
	f->p50_sum = 0;
	f->p50_n = f->count = f->lost = 0;
}

static int fold_row(void *ctx, const struct store_agg *a)
{
	struct hour_fold *f = ctx;
	if (a->kind != BB_KIND_ICMP && a->kind != BB_KIND_UDP_ECHO)
		return 0;
	if (a->bucket_ms != f->bucket_ms) {
		fold_flush(f);
		f->bucket_ms = a->bucket_ms;
	}
	f->count += a->count;
	f->lost += a->lost;
	if (!isnan(a->p50)) {
		f->p50_sum += a->p50;
		f->p50_n++;
	}
	return 0;
}

int history_peak_hours(struct store *st, int64_t now_ms, int days,
		       struct diag_peak *out)
{
	if (days < 1 || days > 7)
		days = 7; /* PEAK_MAX_ROWS holds 8 days of hours */
	struct hour_fold *f = calloc(1, sizeof(*f));
	if (!f)
		return -ENOMEM;
	int rc = store_read_aggs(st, STORE_AGG_1HOUR,
				 now_ms - days * 86400000LL, now_ms, fold_row,
				 f);
	if (rc == 0) {
		fold_flush(f);
		rc = diag_peak_hours(f->rows, f->n, out) ? -ENOENT : 0;
	}
	free(f);
	return rc;
}
