// SPDX-License-Identifier: MIT
/*
 * The self-contained HTML chart: a chart_data filled by hand with known
 * figures (three series, one of them named like an attack, a gap, losses,
 * an outage, events, bufferbloat results, a histogram) written as every
 * chart kind.  Checked here: nothing in the file names another file or
 * host, the attack strings never appear raw, the period's local time and
 * zone (including a daylight-saving change), bad arguments and a failing
 * stream.  With BB_CHART_OUT=DIR the files are left in DIR for
 * tests/integration/chart_html.sh, which opens them in headless Chromium.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "core/chart/chart_html.h"

/* 2026-03-10 11:00 UTC = 12:00 CET, one hour of one-minute buckets */
#define T0     1773140400000LL
#define NB     60
#define MIN_MS 60000LL
#define EVIL   "</script><script>alert(1)</script>"
#define EVIL2  "</script><script>alert(2)</script><!--"

static struct chart_bucket b0[NB], b1[NB], b2[NB];
static uint32_t h0[] = { 0, 0, 300, 100, 50, 20, 0 };
static uint32_t h1[] = { 0, 0, 0, 0, 0, 0, 590 };
static double edges[] = { 0, 5, 10, 15, 20, 30, 50, 100 };
static struct chart_series series[3];
static struct chart_event events[3];
static struct chart_bloat bloat[3];
static struct chart_data data;

/* One bucket's figures (the inner band p25/p75 unset: NAN). */
static struct chart_bucket bucket(int64_t t, uint32_t count, uint32_t lost,
				  double min, double p50, double p95,
				  double max, double jitter)
{
	return (struct chart_bucket){ .t_ms = t,
				      .count = count,
				      .lost = lost,
				      .min = min,
				      .p50 = p50,
				      .p95 = p95,
				      .max = max,
				      .jitter = jitter,
				      .p25 = NAN,
				      .p75 = NAN };
}

static void fill(void)
{
	for (int i = 0; i < NB; i++) {
		int64_t t = T0 + i * MIN_MS;
		/* series 0: steady, an outage at 20..24, 3 of 10 lost at 40 */
		b0[i] = bucket(t, 10, 0, 8, 12.5, 20.4, 31, 1.5);
		if (i >= 20 && i <= 24)
			b0[i] = bucket(t, 10, 10, NAN, NAN, NAN, NAN, NAN);
		if (i == 40)
			b0[i].lost = 3;
		b1[i] = bucket(t, 10, 0, 35, 40, 45, 50, 2.25);
		b2[i] = bucket(t, 1, 0, 85000, 90000, 95000, 98000, NAN);
	}
	series[0] = (struct chart_series){ .interface = "lo",
					   .target = "127.0.0.1",
					   .kind = BB_KIND_ICMP,
					   .unit = "ms",
					   .label = "icmp 127.0.0.1 via lo",
					   .b = b0,
					   .n = NB,
					   .hist = h0,
					   .nhist = 7 };
	series[1] = (struct chart_series){ .interface = "lo",
					   .target = EVIL,
					   .kind = BB_KIND_ICMP,
					   .unit = "ms",
					   .label = "icmp " EVIL,
					   .b = b1,
					   .n = NB,
					   .hist = h1,
					   .nhist = 7 };
	series[2] = (struct chart_series){ .interface = "lo",
					   .server = "lab",
					   .kind = BB_KIND_DOWNLOAD,
					   .unit = "kbit/s",
					   .label = "download from lab",
					   .b = b2,
					   .n = NB };
	events[0] = (struct chart_event){
		T0 + 10 * MIN_MS,
		T0 + 15 * MIN_MS,
		"high_latency",
		"warning",
		"lo",
		"127.0.0.1",
		"Latency above 30 ms for 5 min <b>&</b>"
	};
	events[1] = (struct chart_event){ T0 + 20 * MIN_MS,
					  T0 + 25 * MIN_MS,
					  "outage",
					  "critical",
					  "lo",
					  EVIL,
					  EVIL2 };
	events[2] = (struct chart_event){ T0 + 50 * MIN_MS,
					  -1,
					  "packet_loss",
					  "info",
					  "",
					  "",
					  "Loss \xe2\x80\xa8 still going" };
	bloat[0] = (struct chart_bloat){
		T0 + 5 * MIN_MS, BB_PHASE_UP, "lab", 10, 80, 70, 450
	};
	bloat[1] = (struct chart_bloat){
		T0 + 30 * MIN_MS, BB_PHASE_DOWN, "lab", 11, 150, 139, 300
	};
	bloat[2] = (struct chart_bloat){
		T0 + 45 * MIN_MS, BB_PHASE_BOTH, "lab", 12, 60, 48, 0
	};
	data = (struct chart_data){ .from_ms = T0,
				    .to_ms = T0 + NB * MIN_MS,
				    .bucket_ms = MIN_MS,
				    .tz = "CET",
				    .series = series,
				    .nseries = 3,
				    .hist_edge_ms = edges,
				    .events = events,
				    .nevents = 3,
				    .bloat = bloat,
				    .nbloat = 3 };
}

/* The chart as a string (and, with BB_CHART_OUT, as DIR/NAME.html). */
static char *render(const struct chart_data *d, enum chart_kind k,
		    const char *style, const char *name)
{
	char err[256] = "", *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	assert_int_equal(
		chart_html_write_style(d, k, style, f, err, sizeof(err)), 0);
	assert_string_equal(err, "");
	fclose(f);
	const char *dir = getenv("BB_CHART_OUT");
	if (dir && name) {
		char path[512];
		snprintf(path, sizeof(path), "%s/%s.html", dir, name);
		FILE *o = fopen(path, "w");
		assert_non_null(o);
		fwrite(buf, 1, len, o);
		assert_int_equal(fclose(o), 0);
	}
	return buf;
}

static int count(const char *s, const char *what)
{
	int n = 0;
	for (const char *p = s; (p = strstr(p, what)); p += strlen(what))
		n++;
	return n;
}

static void self_contained(const char *html)
{
	/* the only "http" is the CSP's http-equiv; no URL, no fetch */
	assert_int_equal(count(html, "http"), 1);
	assert_non_null(strstr(html, "<meta http-equiv=\"Content-Security-"
				     "Policy\" content=\"default-src 'none';"));
	assert_null(strstr(html, "://"));
	assert_null(strstr(html, "src="));
	assert_null(strstr(html, "href"));
	assert_null(strstr(html, "@import"));
	assert_null(strstr(html, "url("));
	assert_null(strstr(html, "fetch("));
	assert_null(strstr(html, "XMLHttpRequest"));
	assert_null(strstr(html, "innerHTML"));
	/* the attack strings only escaped: two script elements, no third */
	assert_int_equal(count(html, "<script"), 2);
	assert_int_equal(count(html, "</script>"), 2);
	assert_int_equal(count(html, "<!--"), 0);
	assert_null(strstr(html, "<script>alert"));
	assert_null(strstr(html, "</script><script>"));
	assert_non_null(strstr(html, "\\u003c/script\\u003e\\u003cscript"
				     "\\u003ealert(1)"));
	assert_non_null(strstr(html, "\\u2028"));
	assert_int_equal(strncmp(html, "<!DOCTYPE html>\n", 16), 0);
	assert_non_null(strstr(html, "</html>\n"));
}

static void test_every_kind(void **state)
{
	static const char *const names[CHART_KIND_COUNT] = {
		"latency_over_time",	 "jitter_over_time",
		"packet_loss_over_time", "throughput_over_time",
		"latency_distribution",	 "connection_comparison",
		"daily_heatmap",	 "bufferbloat_impact",
		"latency_vs_load"
	};
	char want[64];

	fill();
	/* latency_vs_load is a drawing: test_load_page */
	for (int k = 0; k < CHART_LATENCY_VS_LOAD; k++) {
		char *html = render(&data, k, NULL, names[k]);
		self_contained(html);
		snprintf(want, sizeof(want), "{\"kind\":\"%s\"", names[k]);
		assert_non_null(strstr(html, want));
		/* the recording's local time, whatever the reader's zone */
		assert_non_null(strstr(html, "2026-03-10 12:00 to 2026-03-10 "
					     "13:00 CET</title>"));
		assert_non_null(
			strstr(html, "\"zones\":[[1773140400000,60,\"CET\"]]"));
		assert_null(strstr(html, "class=\"dark\""));
		/* a gap is null, figures as given */
		assert_non_null(strstr(html, "\"p50\":[12.5,12.5,"));
		assert_non_null(strstr(html, "12.5,null,null,null,null,null,"
					     "12.5"));
		assert_non_null(strstr(html, "\"end\":null"));
		assert_non_null(strstr(html, "\"rpm\":null"));
		assert_non_null(strstr(html, "\"edges\":[0,5,10,15,20,30,50,"
					     "100]"));
		free(html);
	}
	free(render(&data, CHART_LATENCY_OVER_TIME, "dark", "dark"));
	char *html = render(&data, CHART_LATENCY_OVER_TIME, "light", NULL);
	assert_non_null(strstr(html, "<html lang=\"en\" class=\"light\">"));
	free(html);
}

/* Berlin leaves CET for CEST at 01:00 UTC on 2026-03-29: the page gets
 * both offsets, each from the hour it starts. */
static void test_dst(void **state)
{
	struct chart_data d = { .from_ms = 1774744200000LL,
				.to_ms = 1774744200000LL + 2 * 3600000LL,
				.bucket_ms = MIN_MS,
				.tz = "CET" };
	char *html = render(&d, CHART_LATENCY_OVER_TIME, NULL, "dst_empty");

	assert_non_null(strstr(html, "\"zones\":[[1774744200000,60,\"CET\"],"
				     "[1774747800000,120,\"CEST\"]]"));
	/* no series at all: still a complete page */
	assert_non_null(strstr(html, "\"series\":[]"));
	assert_null(strstr(html, "://"));
	free(html);
}

/* latency_vs_load: the cairo drawing inline as SVG, no script at all, no
 * URL (not even the SVG namespaces), every reference inside the page. */
static void test_load_page(void **state)
{
	(void)state;
	fill();
	char *html = render(&data, CHART_LATENCY_VS_LOAD, "dark", "load");
	assert_int_equal(strncmp(html, "<!DOCTYPE html>\n", 16), 0);
	assert_non_null(strstr(html, "<html lang=\"en\" class=\"dark\">"));
	assert_non_null(strstr(html, "<meta http-equiv=\"Content-Security-"
				     "Policy\" content=\"default-src 'none'; "
				     "style-src 'unsafe-inline'; img-src "
				     "data:\">"));
	assert_non_null(strstr(html, "<title>Latency against the line&#39;s "
				     "load, 2026-03-10 12:00 to 2026-03-10 "
				     "13:00 CET</title>"));
	assert_null(strstr(html, "<?xml"));
	assert_int_equal(count(html, "<svg"), 1);
	assert_non_null(strstr(html, "</svg>\n</body>\n</html>\n"));
	assert_int_equal(count(html, "<script"), 0);
	assert_null(strstr(html, "://"));
	assert_null(strstr(html, "src="));
	/* references only to the drawing's own ids */
	assert_int_equal(count(html, "href=\""), count(html, "href=\"#"));
	assert_int_equal(count(html, "url("), count(html, "url(#"));
	assert_true(count(html, "href=\"#") > 10); /* the words' glyphs */
	free(html);
}

static void test_bad_input(void **state)
{
	char err[128] = "";
	FILE *f = fopen("/dev/full", "w");

	fill();
	assert_int_equal(chart_html_write(&data, CHART_KIND_COUNT, stdout, err,
					  sizeof(err)),
			 -EINVAL);
	char want[64];
	snprintf(want, sizeof(want), "unknown chart kind %d", CHART_KIND_COUNT);
	assert_string_equal(err, want);
	assert_int_equal(chart_html_write_style(&data, 0, "blue", stdout, err,
						sizeof(err)),
			 -EINVAL);
	assert_string_equal(err, "unknown chart style 'blue' (light, dark)");
	if (!f)
		skip();
	/* a full disk is an error, not a truncated chart passed as good */
	assert_int_equal(chart_html_write(&data, 0, f, err, sizeof(err)),
			 -ENOSPC);
	assert_string_equal(err, "writing the chart: No space left on device");
	fclose(f);
}

int main(void)
{
	setenv("TZ", "Europe/Berlin", 1);
	tzset();
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_kind),
		cmocka_unit_test(test_dst),
		cmocka_unit_test(test_load_page),
		cmocka_unit_test(test_bad_input),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
