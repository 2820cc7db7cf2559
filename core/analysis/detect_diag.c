// SPDX-License-Identifier: MIT
/*
 * Pure diagnosis helpers (see detect_diag.h).  The grade scale is the one
 * bufferbloat testers publish (DETECTION.md "Grades and plain words"); RPM
 * follows the IETF responsiveness draft (60000 / loaded RTT in ms).
 */
#include "core/analysis/detect_diag.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

const char *diag_bloat_grade(double increase_ms)
{
	static const struct {
		double below;
		const char *grade;
	} scale[] = { { 5, "A+" },
		      { 30, "A" },
		      { 60, "B" },
		      { 200, "C" },
		      { 400, "D" } };
	for (size_t i = 0; i < sizeof(scale) / sizeof(scale[0]); i++)
		if (increase_ms < scale[i].below)
			return scale[i].grade;
	return "F";
}

double diag_rpm(double loaded_ms)
{
	return loaded_ms > 0 ? 60000.0 / loaded_ms : 0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static double median(double *v, size_t n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static int is_peak(int hour)
{
	return hour >= 18 && hour <= 23;
}

int diag_peak_hours(const struct diag_hour *rows, size_t n,
		    struct diag_peak *out)
{
	double peak[24 * 8], off[24 * 8];
	size_t np = 0, no = 0;
	double lp = 0, lo = 0, worst = -1;
	out->worst_hour = -1;
	for (size_t i = 0; i < n; i++) {
		if (rows[i].hour < 0 || rows[i].hour > 23)
			continue;
		if (is_peak(rows[i].hour) &&
		    np < sizeof(peak) / sizeof(*peak)) {
			peak[np++] = rows[i].p50_ms;
			lp += rows[i].loss_pct;
			if (rows[i].p50_ms > worst) {
				worst = rows[i].p50_ms;
				out->worst_hour = rows[i].hour;
			}
		} else if (!is_peak(rows[i].hour) &&
			   no < sizeof(off) / sizeof(*off)) {
			off[no++] = rows[i].p50_ms;
			lo += rows[i].loss_pct;
		}
	}
	if (np == 0 || no == 0)
		return -EINVAL;
	out->peak_p50_ms = median(peak, np);
	out->offpeak_p50_ms = median(off, no);
	out->peak_loss_pct = lp / (double)np;
	out->offpeak_loss_pct = lo / (double)no;
	out->degraded = out->peak_p50_ms > 1.5 * out->offpeak_p50_ms + 5 ||
			out->peak_loss_pct > out->offpeak_loss_pct + 1.0;
	return 0;
}

size_t diag_peak_words(const struct diag_peak *pk, char *buf, size_t len)
{
	int n = snprintf(buf, len,
			 "evenings are worse: %.1f ms median delay and %.1f %% "
			 "loss from 18:00 to 23:59 against %.1f ms and %.1f %% "
			 "the rest of the day, worst at %02d:00",
			 pk->peak_p50_ms, pk->peak_loss_pct, pk->offpeak_p50_ms,
			 pk->offpeak_loss_pct, pk->worst_hour);
	return n < 0 ? 0 : (size_t)n < len ? (size_t)n : len ? len - 1 : 0;
}

static int lossy_vs(const struct diag_dir *a, const struct diag_dir *b)
{
	return a->loss_pct > 1.0 && a->loss_pct > 3 * b->loss_pct;
}

static int slow_vs(const struct diag_dir *a, const struct diag_dir *b)
{
	return a->delay_ms >= 0 && b->delay_ms >= 0 &&
	       a->delay_ms > 2 * b->delay_ms + 10;
}

enum diag_asym diag_asymmetry(const struct diag_dir *up,
			      const struct diag_dir *down)
{
	int up_bad = lossy_vs(up, down) || slow_vs(up, down);
	int down_bad = lossy_vs(down, up) || slow_vs(down, up);
	if (up_bad && !down_bad)
		return DIAG_ASYM_UP;
	if (down_bad && !up_bad)
		return DIAG_ASYM_DOWN;
	return DIAG_ASYM_NONE;
}

static int worse(const struct diag_iface *a, const struct diag_iface *b)
{
	return (a->loss_pct > b->loss_pct + 1.0 &&
		a->loss_pct > 3 * b->loss_pct) ||
	       a->p50_ms > 2 * b->p50_ms + 10 ||
	       a->jitter_ms > 2 * b->jitter_ms + 5;
}

int diag_worse_interface(const struct diag_iface *a, const struct diag_iface *b)
{
	int wa = worse(a, b), wb = worse(b, a);
	if (wa && !wb)
		return 0;
	if (wb && !wa)
		return 1;
	return -1;
}
