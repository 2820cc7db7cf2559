// SPDX-License-Identifier: MIT
/*
 * The bufferbloat gauge (see gauge.h).  The text line is built as segments
 * with a drop rank; the widest variant that fits is drawn, trying two-space
 * and then one-space separators before dropping anything.
 */
#include "tui/gauge.h"

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#define DEFAULT_SCALE_US 500000
#define NSEG		 6

const char *gauge_grade(double ms)
{
	if (isnan(ms))
		return "?";
	if (ms < 5)
		return "A+";
	if (ms < 30)
		return "A";
	if (ms < 60)
		return "B";
	if (ms < 200)
		return "C";
	if (ms < 400)
		return "D";
	return "F";
}

enum cellbuf_role gauge_grade_role(double ms)
{
	if (isnan(ms))
		return ROLE_DIM;
	if (ms < 30)
		return ROLE_GRADE_GOOD;
	if (ms < 200)
		return ROLE_GRADE_MID;
	return ROLE_GRADE_BAD;
}

long gauge_rpm(double loaded_ms)
{
	if (!(loaded_ms > 0))
		return 0;
	return lround(60000.0 / loaded_ms);
}

static void fmt_ms(char *out, size_t size, int64_t us)
{
	if (us < 100) /* loopback and LAN: 0.04, not 0.0 */
		snprintf(out, size, "%.2f", (double)us / 1000.0);
	else if (us < 10000)
		snprintf(out, size, "%.1f", (double)us / 1000.0);
	else
		snprintf(out, size, "%lld", (long long)((us + 500) / 1000));
}

static void fmt_age(char *out, size_t size, int64_t s)
{
	if (s < 0)
		snprintf(out, size, "never tested");
	else if (s < 60)
		snprintf(out, size, "last test %llds ago", (long long)s);
	else if (s < 3600)
		snprintf(out, size, "last test %lldm ago", (long long)(s / 60));
	else if (s < 86400)
		snprintf(out, size, "last test %lldh ago",
			 (long long)(s / 3600));
	else
		snprintf(out, size, "last test %lldd ago",
			 (long long)(s / 86400));
}

struct seg {
	char text[80];
	enum cellbuf_role role;
	unsigned attr;
	int rank; /* dropped when rank > level; the grade has rank 0 */
};

static int line_width(const struct seg *s, int n, int level, int sep)
{
	int w = 0, k = 0;

	for (int i = 0; i < n; i++) {
		if (s[i].text[0] == '\0' || s[i].rank > level)
			continue;
		w += cellbuf_utf8_width(s[i].text) + (k++ ? sep : 0);
	}
	return w;
}

static void draw_bar(struct cellbuf *cb, int x, int y, int w,
		     const struct gauge_data *d, enum cellbuf_role grole)
{
	bool a = cellbuf_ascii(cb);
	int64_t scale = d->scale_us > 0 ? d->scale_us : DEFAULT_SCALE_US;
	int idle_c = 0, load_c = 0;

	cellbuf_fill(cb, x, y, w, 1, a ? '.' : 0x2591, ROLE_DIM, 0);
	if (d->idle_us < 0 || d->loaded_us < 0 || w <= 0)
		return;
	idle_c = (int)lround((double)d->idle_us / (double)scale * w);
	load_c = (int)lround((double)d->loaded_us / (double)scale * w);
	if (d->idle_us > 0 && idle_c < 1)
		idle_c = 1;
	if (load_c < idle_c)
		load_c = idle_c;
	if (d->loaded_us - d->idle_us >= 5000 && load_c == idle_c)
		load_c = idle_c + 1; /* any graded bloat gets a visible cell */
	if (idle_c > w)
		idle_c = w;
	if (load_c > w)
		load_c = w;
	cellbuf_fill(cb, x, y, idle_c, 1, a ? '=' : 0x2588, ROLE_OK, 0);
	cellbuf_fill(cb, x + idle_c, y, load_c - idle_c, 1, a ? '#' : 0x2588,
		     grole, 0);
	if (d->loaded_us > scale)
		cellbuf_set(cb, x + w - 1, y, '>', ROLE_BAD, CELLBUF_BOLD);
}

void gauge_draw(struct cellbuf *cb, int x, int y, int w, int h,
		const struct gauge_data *d)
{
	struct seg s[NSEG];
	bool known = d->idle_us >= 0 && d->loaded_us >= 0;
	double inc = known ? (double)(d->loaded_us - d->idle_us) / 1000.0 : NAN;
	enum cellbuf_role grole = gauge_grade_role(inc);
	char a[24], b[24];
	int level, sep = 1, col = x, k = 0;

	if (w <= 0 || h <= 0)
		return;
	memset(s, 0, sizeof(s));
	cellbuf_fill(cb, x, y, w, h, ' ', ROLE_NORMAL, 0);
	/* Display order; rank says when each segment goes. */
	snprintf(s[0].text, sizeof(s[0].text), "%s", d->label ? d->label : "");
	s[0].role = ROLE_HEADER, s[0].rank = 2;
	snprintf(s[1].text, sizeof(s[1].text), "%s",
		 known ? gauge_grade(inc) : "--");
	s[1].role = grole, s[1].attr = CELLBUF_BOLD, s[1].rank = 0;
	if (known) {
		fmt_ms(a, sizeof(a),
		       d->loaded_us - d->idle_us < 0
			       ? 0
			       : d->loaded_us - d->idle_us);
		snprintf(s[2].text, sizeof(s[2].text), "+%s ms", a);
		fmt_ms(a, sizeof(a), d->idle_us);
		fmt_ms(b, sizeof(b), d->loaded_us);
		snprintf(s[3].text, sizeof(s[3].text), "idle %s %s %s ms", a,
			 cellbuf_ascii(cb) ? "->" : "→", b);
		long rpm = gauge_rpm((double)d->loaded_us / 1000.0);

		/* below 0.6 ms loaded the figure only says "no queue" */
		if (rpm >= 100000)
			snprintf(s[4].text, sizeof(s[4].text), "RPM >99999");
		else if (rpm > 0)
			snprintf(s[4].text, sizeof(s[4].text), "RPM %ld", rpm);
	}
	s[2].role = grole == ROLE_GRADE_GOOD  ? ROLE_OK
		    : grole == ROLE_GRADE_MID ? ROLE_WARN
					      : ROLE_BAD;
	s[2].rank = 1;
	s[3].rank = 4;
	s[4].rank = 5;
	fmt_age(s[5].text, sizeof(s[5].text), d->age_s);
	s[5].role = ROLE_DIM, s[5].rank = 3;

	for (level = NSEG; level > 0; level--) {
		if (line_width(s, NSEG, level, 2) <= w) {
			sep = 2;
			break;
		}
		if (line_width(s, NSEG, level, 1) <= w)
			break;
	}
	for (int i = 0; i < NSEG; i++) {
		if (s[i].text[0] == '\0' || s[i].rank > level)
			continue;
		if (k++)
			col += sep;
		col += cellbuf_putn(cb, col, y, x + w - col, s[i].text,
				    s[i].role, s[i].attr);
	}
	if (h >= 2)
		draw_bar(cb, x, y + 1, w, d, grole);
}
