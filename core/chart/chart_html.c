// SPDX-License-Identifier: MIT
/*
 * One chart as one HTML file that works offline forever: the page, its
 * style, the data (JSON in a non-executed <script type="application/json">)
 * and the renderer (core/chart/chart_html.js, built into this object) all
 * inline.  Every string from the recording goes into the JSON escaped so
 * that no "</script>" or "<!--" can end the element, and into the HTML
 * escaped as text; the script only ever sets textContent.  A Content-
 * Security-Policy allows no fetch of any kind and runs only the renderer
 * (by its SHA-256), so even a mistake here could not load or run anything.
 *
 * Times go out as Unix ms; the local zone as its offsets over the period
 * (one entry per change), so the page shows the recording's local time
 * and zone whatever the zone of the machine it is opened on.
 */
#include "core/chart/chart_html.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <sodium.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include "core/base/text.h"
#include "core/chart/chart_draw.h"

/* The renderer's source, verbatim (the Makefile makes this object depend on
 * it; the path is relative to the top of the tree, where make runs). */
__asm__(".section .rodata\n"
	".global chart_html_js\n"
	".hidden chart_html_js\n"
	"chart_html_js:\n"
	".incbin \"core/chart/chart_html.js\"\n"
	".global chart_html_js_end\n"
	".hidden chart_html_js_end\n"
	"chart_html_js_end:\n"
	".byte 0\n"
	".previous\n");
extern const char chart_html_js[], chart_html_js_end[];

static const struct {
	const char *name, *title;
} kinds[CHART_KIND_COUNT] = {
	[CHART_LATENCY_OVER_TIME] = { "latency_over_time",
				      "Latency over time" },
	[CHART_JITTER_OVER_TIME] = { "jitter_over_time", "Jitter over time" },
	[CHART_PACKET_LOSS_OVER_TIME] = { "packet_loss_over_time",
					  "Packet loss over time" },
	[CHART_THROUGHPUT_OVER_TIME] = { "throughput_over_time",
					 "Throughput over time" },
	[CHART_LATENCY_DISTRIBUTION] = { "latency_distribution",
					 "Latency distribution" },
	[CHART_CONNECTION_COMPARISON] = { "connection_comparison",
					  "Connection comparison" },
	[CHART_DAILY_HEATMAP] = { "daily_heatmap", "Daily latency heatmap" },
	[CHART_BUFFERBLOAT_IMPACT] = { "bufferbloat_impact",
				       "Bufferbloat impact" },
	[CHART_LATENCY_VS_LOAD] = { "latency_vs_load",
				    "Latency against the line's load" },
};

static const char *const phase_names[] = { "none", "idle", "upload", "download",
					   "both" };

/* Text in HTML content or a quoted attribute. */
/* A JSON string that is also safe inside a <script> element: '<', '>' and
 * '&' as \u escapes (no "</script>", "<!--" or "]]>"), and U+2028/2029,
 * which old JS parsers take for line ends. */
static void json_str(FILE *f, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	fputc('"', f);
	for (; *p; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(f, "\\%c", *p);
		else if (*p < 0x20 || *p == '<' || *p == '>' || *p == '&' ||
			 *p == 0x7f)
			fprintf(f, "\\u%04x", *p);
		else if (p[0] == 0xe2 && p[1] == 0x80 &&
			 (p[2] == 0xa8 || p[2] == 0xa9)) {
			fprintf(f, "\\u%04x", p[2] == 0xa8 ? 0x2028 : 0x2029);
			p += 2;
		} else
			fputc(*p, f);
	}
	fputc('"', f);
}

static void json_key(FILE *f, const char *k, bool first)
{
	fprintf(f, "%s\"%s\":", first ? "" : ",", k);
}

/* A figure, or null where there is none (JSON has no NaN). */
static void json_num(FILE *f, double v)
{
	if (isfinite(v))
		fprintf(f, "%.6g", v);
	else
		fputs("null", f);
}

static void json_bucket_field(FILE *f, const char *k,
			      const struct chart_series *s, size_t off)
{
	json_key(f, k, false);
	fputc('[', f);
	for (size_t i = 0; i < s->n; i++) {
		if (i)
			fputc(',', f);
		json_num(f, *(const double *)((const char *)&s->b[i] + off));
	}
	fputc(']', f);
}

static void json_series(FILE *f, const struct chart_series *s, size_t nedges)
{
	fputc('{', f);
	json_key(f, "label", true);
	json_str(f, s->label);
	json_key(f, "interface", false);
	json_str(f, s->interface);
	json_key(f, "target", false);
	json_str(f, s->target);
	json_key(f, "server", false);
	json_str(f, s->server);
	json_key(f, "kind", false);
	json_str(f, sample_kind_name(s->kind) ? sample_kind_name(s->kind) : "");
	json_key(f, "unit", false);
	json_str(f, s->unit ? s->unit : "");
	json_key(f, "t", false);
	fputc('[', f);
	for (size_t i = 0; i < s->n; i++)
		fprintf(f, "%s%lld", i ? "," : "", (long long)s->b[i].t_ms);
	fputc(']', f);
	json_key(f, "n", false);
	fputc('[', f);
	for (size_t i = 0; i < s->n; i++)
		fprintf(f, "%s%u", i ? "," : "", s->b[i].count);
	fputc(']', f);
	json_key(f, "lost", false);
	fputc('[', f);
	for (size_t i = 0; i < s->n; i++)
		fprintf(f, "%s%u", i ? "," : "", s->b[i].lost);
	fputc(']', f);
	json_bucket_field(f, "min", s, offsetof(struct chart_bucket, min));
	json_bucket_field(f, "p50", s, offsetof(struct chart_bucket, p50));
	json_bucket_field(f, "p95", s, offsetof(struct chart_bucket, p95));
	json_bucket_field(f, "max", s, offsetof(struct chart_bucket, max));
	json_bucket_field(f, "jit", s, offsetof(struct chart_bucket, jitter));
	json_key(f, "hist", false);
	fputc('[', f);
	/* bins without edges cannot be placed: left out */
	for (size_t i = 0; s->hist && nedges && i < s->nhist && i + 1 < nedges;
	     i++)
		fprintf(f, "%s%u", i ? "," : "", s->hist[i]);
	fputs("]}", f);
}

static void json_event(FILE *f, const struct chart_event *e)
{
	fputc('{', f);
	json_key(f, "start", true);
	fprintf(f, "%lld", (long long)e->start_ms);
	json_key(f, "end", false);
	if (e->end_ms < 0)
		fputs("null", f);
	else
		fprintf(f, "%lld", (long long)e->end_ms);
	json_key(f, "kind", false);
	json_str(f, e->kind);
	json_key(f, "severity", false);
	json_str(f, e->severity);
	json_key(f, "interface", false);
	json_str(f, e->interface);
	json_key(f, "target", false);
	json_str(f, e->target);
	json_key(f, "description", false);
	json_str(f, e->description);
	fputc('}', f);
}

static void json_bloat(FILE *f, const struct chart_bloat *b)
{
	fputc('{', f);
	json_key(f, "t", true);
	fprintf(f, "%lld", (long long)b->t_ms);
	json_key(f, "phase", false);
	json_str(f, b->phase < sizeof(phase_names) / sizeof(phase_names[0])
			    ? phase_names[b->phase]
			    : "none");
	json_key(f, "server", false);
	json_str(f, b->server);
	json_key(f, "idle", false);
	json_num(f, b->idle_ms);
	json_key(f, "loaded", false);
	json_num(f, b->loaded_ms);
	json_key(f, "increase", false);
	json_num(f, b->increase_ms);
	json_key(f, "rpm", false);
	if (b->rpm > 0)
		fprintf(f, "%d", b->rpm);
	else
		fputs("null", f);
	fputc('}', f);
}

/* [t_ms, offset in minutes east of UTC, zone name] at the start of the
 * period and at each change of offset within it (found hour by hour: every
 * zone in use changes on a whole hour or half hour, and the hourly scan
 * lands within the hour after, which is what the page shows anyway). */
static void json_zones(FILE *f, int64_t from_ms, int64_t to_ms)
{
	long last = LONG_MIN;
	int n = 0;

	fputc('[', f);
	if (to_ms < from_ms)
		to_ms = from_ms;
	for (int64_t t = from_ms;; t += 3600 * 1000) {
		if (t > to_ms)
			t = to_ms;
		time_t s = (time_t)(t / 1000);
		struct tm tm;
		if (localtime_r(&s, &tm) && tm.tm_gmtoff != last) {
			fprintf(f, "%s[%lld,%ld,", n++ ? "," : "", (long long)t,
				tm.tm_gmtoff / 60);
			json_str(f, tm.tm_zone ? tm.tm_zone : "");
			fputc(']', f);
			last = tm.tm_gmtoff;
		}
		if (t >= to_ms)
			break;
	}
	if (!n)
		fputs("[0,0,\"UTC\"]", f);
	fputc(']', f);
}

static void json_data(FILE *f, const struct chart_data *d, enum chart_kind kind)
{
	size_t nedges = 0;

	for (size_t i = 0; i < d->nseries && d->hist_edge_ms; i++)
		if (d->series[i].nhist + 1 > nedges)
			nedges = d->series[i].nhist + 1;
	fputc('{', f);
	json_key(f, "kind", true);
	json_str(f, kinds[kind].name);
	json_key(f, "title", false);
	json_str(f, kinds[kind].title);
	json_key(f, "from", false);
	fprintf(f, "%lld", (long long)d->from_ms);
	json_key(f, "to", false);
	fprintf(f, "%lld", (long long)d->to_ms);
	json_key(f, "bucket", false);
	fprintf(f, "%lld", (long long)d->bucket_ms);
	json_key(f, "tz", false);
	json_str(f, d->tz);
	json_key(f, "zones", false);
	json_zones(f, d->from_ms, d->to_ms);
	json_key(f, "rollups", false);
	fputs(d->from_rollups ? "true" : "false", f);
	json_key(f, "edges", false);
	fputc('[', f);
	for (size_t i = 0; i < nedges; i++) {
		if (i)
			fputc(',', f);
		json_num(f, d->hist_edge_ms[i]);
	}
	fputc(']', f);
	json_key(f, "series", false);
	fputc('[', f);
	for (size_t i = 0; i < d->nseries; i++) {
		if (i)
			fputs(",\n", f);
		json_series(f, &d->series[i], nedges);
	}
	fputs("]", f);
	json_key(f, "events", false);
	fputc('[', f);
	for (size_t i = 0; i < d->nevents; i++) {
		if (i)
			fputs(",\n", f);
		json_event(f, &d->events[i]);
	}
	fputs("]", f);
	json_key(f, "bloat", false);
	fputc('[', f);
	for (size_t i = 0; i < d->nbloat; i++) {
		if (i)
			fputs(",\n", f);
		json_bloat(f, &d->bloat[i]);
	}
	fputs("]}", f);
}

#define DARK                                                                   \
	"--bg:#16181c;--fg:#dcdcdc;--grid:#30343a;--axis:#a0a4aa;"             \
	"--tipbg:#23262b;--tipfg:#eee;--sel:rgba(120,170,255,.25);"            \
	"--band:.22"

static const char css[] =
	":root{--bg:#fff;--fg:#222;--grid:#e6e6e6;--axis:#555;"
	"--tipbg:#fffff4;--tipfg:#111;--sel:rgba(70,130,220,.18);--band:.18}\n"
	"@media (prefers-color-scheme:dark){:root:not(.light){" DARK "}}\n"
	":root.dark{" DARK "}\n"
	"body{background:var(--bg);color:var(--fg);"
	"font:14px system-ui,sans-serif;margin:1em 2em}\n"
	"h1{font-size:1.3em;margin:.2em 0}\n"
	"#sub,#range,#note{color:var(--axis);margin:.3em 0}\n"
	"#legend{margin:.4em 0}\n"
	"#legend button{font:inherit;color:inherit;background:none;"
	"border:1px solid var(--grid);border-radius:4px;margin:0 .4em .3em 0;"
	"padding:.15em .5em;cursor:pointer}\n"
	"#legend button.off{opacity:.45;text-decoration:line-through}\n"
	"#legend .sw{display:inline-block;width:.9em;height:.9em;"
	"border-radius:2px;margin-right:.4em;vertical-align:-.1em}\n"
	"#wrap{position:relative}\n"
	"#plot{display:block;width:100%;height:60vh;min-height:320px;"
	"cursor:crosshair;user-select:none}\n"
	"#tip{position:absolute;pointer-events:none;background:var(--tipbg);"
	"color:var(--tipfg);border:1px solid var(--axis);border-radius:4px;"
	"padding:.4em .6em;font-size:12px;white-space:pre;"
	"font-variant-numeric:tabular-nums;"
	"box-shadow:0 2px 6px rgba(0,0,0,.25);z-index:2}\n"
	"#tip .h{font-weight:600}\n";

static void period(char *buf, size_t len, int64_t ms)
{
	time_t s = (time_t)(ms / 1000);
	struct tm tm;

	if (!localtime_r(&s, &tm) || !strftime(buf, len, "%Y-%m-%d %H:%M", &tm))
		snprintf(buf, len, "?");
}

/* Latency against load has no interactive renderer: the page holds the
 * cairo drawing as inline SVG (as report --format html embeds its charts),
 * with no script at all.  The style is the configured one, light when
 * none: a drawing cannot follow the reader's preference. */
static int svg_page(const struct chart_data *d, enum chart_kind kind,
		    const char *style, const char *title, FILE *out, char *err,
		    size_t errlen)
{
	bool dark = style && !strcmp(style, "dark");
	struct chart_opts o = { 1200, 600,
				dark ? CHART_STYLE_DARK : CHART_STYLE_LIGHT };
	char *svg = NULL;
	size_t n = 0;
	FILE *m = open_memstream(&svg, &n);
	if (!m) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	int rc = chart_draw(d, kind, &o, CHART_SVG, m, err, errlen);
	if (fclose(m) != 0 && rc == 0) {
		snprintf(err, errlen, "out of memory");
		rc = -ENOMEM;
	}
	const char *p = rc == 0 && svg ? strstr(svg, "<svg") : NULL;
	if (!p) {
		if (rc == 0) {
			snprintf(err, errlen, "the drawing has no <svg>");
			rc = -EINVAL;
		}
		free(svg);
		return rc;
	}
	fprintf(out,
		"<!DOCTYPE html>\n<html lang=\"en\" class=\"%s\">\n<head>\n"
		"<meta charset=\"utf-8\">\n"
		"<meta http-equiv=\"Content-Security-Policy\" "
		"content=\"default-src 'none'; style-src 'unsafe-inline'; "
		"img-src data:\">\n"
		"<meta name=\"viewport\" content=\"width=device-width, "
		"initial-scale=1\">\n<meta name=\"generator\" "
		"content=\"bufferbane " BB_VERSION "\">\n<title>",
		dark ? "dark" : "light");
	text_html(out, title);
	fprintf(out,
		"</title>\n<style>body{background:%s;margin:1em 2em}"
		"svg{max-width:100%%;height:auto}</style>\n</head>\n<body>\n",
		dark ? "#1e1f24" : "#fff");
	/* HTML gives inline SVG its namespaces: no URL in the page at all
	 * (the ids and references left are the drawing's own, "#...") */
	static const char *const ns[] = {
		" xmlns=\"http://www.w3.org/2000/svg\"",
		" xmlns:xlink=\"http://www.w3.org/1999/xlink\"",
	};
	while (*p) {
		size_t k = 0;
		while (k < 2 && strncmp(p, ns[k], strlen(ns[k])))
			k++;
		if (k < 2)
			p += strlen(ns[k]);
		else
			fputc(*p++, out);
	}
	fputs("</body>\n</html>\n", out);
	free(svg);
	if (fflush(out) || ferror(out)) {
		int e = errno ? errno : EIO;
		snprintf(err, errlen, "writing the chart: %s", strerror(e));
		return -e;
	}
	return 0;
}

int chart_html_write_style(const struct chart_data *d, enum chart_kind kind,
			   const char *style, FILE *out, char *err,
			   size_t errlen)
{
	const char *js = chart_html_js;
	size_t jslen = (size_t)(chart_html_js_end - chart_html_js);
	unsigned char h[crypto_hash_sha256_BYTES];
	char h64[sodium_base64_ENCODED_LEN(crypto_hash_sha256_BYTES,
					   sodium_base64_VARIANT_ORIGINAL)];
	char title[512], a[32], b[32];

	if ((unsigned)kind >= CHART_KIND_COUNT) {
		snprintf(err, errlen, "unknown chart kind %d", (int)kind);
		return -EINVAL;
	}
	if (style && *style && strcmp(style, "light") &&
	    strcmp(style, "dark")) {
		snprintf(err, errlen, "unknown chart style '%s' (light, dark)",
			 style);
		return -EINVAL;
	}
	crypto_hash_sha256(h, (const unsigned char *)js, jslen);
	sodium_bin2base64(h64, sizeof(h64), h, sizeof(h),
			  sodium_base64_VARIANT_ORIGINAL);
	period(a, sizeof(a), d->from_ms);
	period(b, sizeof(b), d->to_ms);
	snprintf(title, sizeof(title), "%s, %s to %s %s", kinds[kind].title, a,
		 b, d->tz);
	if (kind == CHART_LATENCY_VS_LOAD)
		return svg_page(d, kind, style, title, out, err, errlen);

	fprintf(out,
		"<!DOCTYPE html>\n<html lang=\"en\"%s>\n<head>\n"
		"<meta charset=\"utf-8\">\n",
		!style || !*style	 ? ""
		: !strcmp(style, "dark") ? " class=\"dark\""
					 : " class=\"light\"");
	fprintf(out,
		"<meta http-equiv=\"Content-Security-Policy\" "
		"content=\"default-src 'none'; style-src 'unsafe-inline'; "
		"img-src data:; script-src 'sha256-%s'\">\n",
		h64);
	fputs("<meta name=\"color-scheme\" content=\"light dark\">\n"
	      "<meta name=\"viewport\" content=\"width=device-width, "
	      "initial-scale=1\">\n<meta name=\"generator\" "
	      "content=\"bufferbane " BB_VERSION "\">\n<title>",
	      out);
	text_html(out, title);
	fprintf(out,
		"</title>\n<style>\n%s</style>\n</head>\n<body>\n<h1 "
		"id=\"title\">",
		css);
	text_html(out, title);
	fputs("</h1>\n<p id=\"sub\"></p>\n"
	      "<div id=\"legend\" role=\"group\" aria-label=\"series\"></div>\n"
	      "<div id=\"wrap\"><canvas id=\"plot\"></canvas>"
	      "<div id=\"tip\" role=\"tooltip\" hidden></div></div>\n"
	      "<p id=\"range\"></p>\n<p id=\"note\"></p>\n"
	      "<noscript><p>This chart is drawn by its inline script: allow "
	      "scripts for this file to see it.</p></noscript>\n"
	      "<script type=\"application/json\" id=\"bb-data\">",
	      out);
	json_data(out, d, kind);
	fputs("</script>\n<script>", out);
	fwrite(js, 1, jslen, out);
	fputs("</script>\n</body>\n</html>\n", out);
	if (fflush(out) || ferror(out)) {
		int e = errno ? errno : EIO;
		snprintf(err, errlen, "writing the chart: %s", strerror(e));
		return -e;
	}
	return 0;
}

int chart_html_write(const struct chart_data *d, enum chart_kind kind,
		     FILE *out, char *err, size_t errlen)
{
	return chart_html_write_style(d, kind, NULL, out, err, errlen);
}
