// SPDX-License-Identifier: MIT
/*
 * export: samples as CSV or JSON (see export.h).  Rows are formatted by
 * hand into a 64 KB buffer (fprintf per field would cost more than reading
 * the database); each value is exactly what the measurements view shows,
 * from the same integers: delays in µs printed as ms with three decimals,
 * loss in ppm as a percentage with four.
 */
#include "core/store/export.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/base/afile.h"
#include "core/base/sample.h"
#include "core/probe/kind.h"
#include "core/store/store.h"

#define SLICE_MS 3600000LL /* one read statement per hour of the period */
#define OUT_CAP	 (64 * 1024)
#define ROW_MAX	 4096 /* a row's worst case is well under this */

static const char *const columns[] = {
	"time",
	/* the measurements view, in its order (INTERFACES.md, then the
	 * typed columns) */
	"timestamp", "monotonic_ns", "interface", "connection_type",
	"test_type", "target", "server_name", "seq", "rtt_ms", "up_delay_ms",
	"down_delay_ms", "jitter_ms", "packet_loss_pct", "throughput_kbps",
	"dns_time_ms", "connect_ms", "status", "error_detail", "flags",
	"under_load", "late", "duplicate", "reordered", "loss_direction",
	"load_phase", "sync_pct", "sync_n", "clock_offset_ms", "bloat_idle_ms",
	"bloat_loaded_p95_ms", "bloat_increase_ms", "bloat_up_increase_ms",
	"bloat_down_increase_ms", "bloat_rpm", "rx_kbps", "tx_kbps"
};
#define N_COLUMNS (sizeof(columns) / sizeof(columns[0]))

/* Which of rtt_ms, dns_time_ms, connect_ms shows a kind's main delay. */
enum { SHOW_RTT, SHOW_DNS, SHOW_CONNECT };

struct out {
	FILE *f;
	int fmt;
	const struct export_filter *flt;
	int show[BB_KIND_COUNT];
	int64_t rows;
	int err; /* -errno of a failed write */
	int col; /* the next column's index in the row */
	int64_t sec;
	char when[40]; /* "YYYY-MM-DDTHH:MM:SS" and the offset of sec */
	char zone[40];
	size_t n;
	char buf[OUT_CAP];
};

static int flush_out(struct out *o)
{
	if (o->n && fwrite(o->buf, 1, o->n, o->f) != o->n)
		o->err = -(errno ? errno : EIO);
	o->n = 0;
	return o->err;
}

static void put(struct out *o, const char *s, size_t len)
{
	memcpy(o->buf + o->n, s, len);
	o->n += len;
}

static void puts_(struct out *o, const char *s)
{
	put(o, s, strlen(s));
}

/* The separator and, in JSON, the key of the next column. */
static void key(struct out *o)
{
	int c = o->col++;
	if (o->fmt == EXPORT_CSV) {
		if (c)
			o->buf[o->n++] = ',';
		return;
	}
	puts_(o, c ? ",\"" : "{\"");
	puts_(o, columns[c]);
	put(o, "\":", 2);
}

static void v_null(struct out *o)
{
	key(o);
	if (o->fmt == EXPORT_JSON)
		put(o, "null", 4);
}

static void put_u64(struct out *o, uint64_t v)
{
	char tmp[24];
	int i = sizeof(tmp);
	do {
		tmp[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	put(o, tmp + i, sizeof(tmp) - (size_t)i);
}

static void put_i64(struct out *o, int64_t v)
{
	if (v < 0) {
		o->buf[o->n++] = '-';
		put_u64(o, -(uint64_t)v);
	} else {
		put_u64(o, (uint64_t)v);
	}
}

static void v_int(struct out *o, int64_t v)
{
	key(o);
	put_i64(o, v);
}

/* v / 10^places with every decimal: exact, as the view's round(). */
static void v_fixed(struct out *o, int64_t v, int places, int64_t scale)
{
	key(o);
	uint64_t a = v < 0 ? -(uint64_t)v : (uint64_t)v;
	if (v < 0)
		o->buf[o->n++] = '-';
	put_u64(o, a / (uint64_t)scale);
	o->buf[o->n++] = '.';
	uint64_t frac = a % (uint64_t)scale;
	for (int i = places - 1; i >= 0; i--) {
		o->buf[o->n + (size_t)i] = (char)('0' + frac % 10);
		frac /= 10;
	}
	o->n += (size_t)places;
}

/* ns of a figure kept to the µs -> ms with 3 decimals, or NULL. */
static void v_ms(struct out *o, int64_t ns)
{
	if (ns == BB_NONE)
		v_null(o);
	else
		v_fixed(o, ns / 1000, 3, 1000);
}

static void json_chars(struct out *o, const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\') {
			o->buf[o->n++] = '\\';
			o->buf[o->n++] = (char)c;
		} else if (c == '\n') {
			put(o, "\\n", 2);
		} else if (c == '\r') {
			put(o, "\\r", 2);
		} else if (c == '\t') {
			put(o, "\\t", 2);
		} else if (c < 0x20) {
			static const char hex[] = "0123456789abcdef";
			put(o, "\\u00", 4);
			o->buf[o->n++] = hex[c >> 4];
			o->buf[o->n++] = hex[c & 15];
		} else {
			o->buf[o->n++] = (char)c;
		}
	}
}

static void v_text(struct out *o, const char *s)
{
	key(o);
	if (o->fmt == EXPORT_CSV) {
		if (!strpbrk(s, ",\"\r\n")) {
			puts_(o, s);
			return;
		}
		o->buf[o->n++] = '"';
		for (; *s; s++) {
			if (*s == '"')
				o->buf[o->n++] = '"';
			o->buf[o->n++] = *s;
		}
		o->buf[o->n++] = '"';
		return;
	}
	o->buf[o->n++] = '"';
	json_chars(o, s);
	o->buf[o->n++] = '"';
}

/* Text or NULL when empty (the view's NULL for "no detail"). */
static void v_text_or_null(struct out *o, const char *s)
{
	if (s[0])
		v_text(o, s);
	else
		v_null(o);
}

/* "2024-03-05T14:03:07.123+01:00": the seconds' part is formatted once a
 * second (rows come in time order, several per second). */
static void v_time(struct out *o, int64_t ms)
{
	int64_t sec = ms >= 0 ? ms / 1000 : -((-ms + 999) / 1000);
	if (sec != o->sec || !o->when[0]) {
		time_t t = (time_t)sec;
		struct tm tm;
		localtime_r(&t, &tm);
		strftime(o->when, sizeof(o->when), "%Y-%m-%dT%H:%M:%S", &tm);
		long off = tm.tm_gmtoff / 60;
		snprintf(o->zone, sizeof(o->zone), "%c%02ld:%02ld",
			 off < 0 ? '-' : '+', labs(off) / 60, labs(off) % 60);
		o->sec = sec;
	}
	key(o);
	if (o->fmt == EXPORT_JSON)
		o->buf[o->n++] = '"';
	puts_(o, o->when);
	int64_t frac = ms - sec * 1000;
	char f[4] = { '.', (char)('0' + frac / 100),
		      (char)('0' + frac / 10 % 10), (char)('0' + frac % 10) };
	put(o, f, 4);
	puts_(o, o->zone);
	if (o->fmt == EXPORT_JSON)
		o->buf[o->n++] = '"';
}

static const char *loss_dir_name(int d)
{
	return d == BB_LOSS_UP ? "up" : d == BB_LOSS_DOWN ? "down" : NULL;
}

static const char *phase_name(int p)
{
	static const char *const names[BB_PHASE_COUNT] = {
		[BB_PHASE_IDLE] = "idle",
		[BB_PHASE_UP] = "up",
		[BB_PHASE_DOWN] = "down",
		[BB_PHASE_BOTH] = "both",
	};
	return p > 0 && p < BB_PHASE_COUNT ? names[p] : NULL;
}

static void v_name(struct out *o, const char *name)
{
	if (name)
		v_text(o, name);
	else
		v_null(o);
}

static int row(void *ctx, const struct bb_sample *s, const char *conn)
{
	struct out *o = ctx;
	const struct export_filter *flt = o->flt;
	if (flt && flt->interface && flt->interface[0] &&
	    strcmp(flt->interface, s->interface))
		return 0;
	if (flt && flt->target && flt->target[0] &&
	    strcmp(flt->target, s->target))
		return 0;
	if (o->n > OUT_CAP - ROW_MAX && flush_out(o) < 0)
		return o->err;
	if (o->fmt == EXPORT_JSON)
		puts_(o, o->rows ? ",\n" : "\n");
	o->col = 0;
	int64_t ms = s->real_ns / 1000000;
	int show = s->kind < BB_KIND_COUNT ? o->show[s->kind] : SHOW_RTT;
	int64_t rtt = s->rtt_ns;
	v_time(o, ms);
	v_int(o, ms);
	v_int(o, s->mono_ns);
	v_text(o, s->interface);
	v_text(o, conn);
	v_text(o, sample_kind_name(s->kind));
	v_text(o, s->target);
	v_text(o, s->server);
	v_int(o, s->seq);
	v_ms(o, show == SHOW_RTT ? rtt : BB_NONE);
	v_ms(o, s->up_delay_ns);
	v_ms(o, s->down_delay_ns);
	v_null(o); /* jitter_ms: a property of a stream, not of a sample */
	if (s->loss_ppm >= 0)
		v_fixed(o, s->loss_ppm, 4, 10000);
	else
		v_null(o);
	if (s->throughput_kbps != BB_NONE)
		v_int(o, s->throughput_kbps);
	else
		v_null(o);
	v_ms(o, show == SHOW_DNS ? rtt : BB_NONE);
	v_ms(o, show == SHOW_CONNECT ? rtt : BB_NONE);
	v_text(o, s->flags & BB_SAMPLE_NO_SESSION
			  ? "no_session"
			  : sample_status_name(s->status));
	v_text_or_null(o, s->detail);
	v_int(o, s->flags);
	v_int(o, (s->flags & BB_SAMPLE_UNDER_LOAD) != 0);
	v_int(o, (s->flags & BB_SAMPLE_LATE) != 0);
	v_int(o, (s->flags & BB_SAMPLE_DUPLICATE) != 0);
	v_int(o, (s->flags & BB_SAMPLE_REORDERED) != 0);
	v_name(o, loss_dir_name(s->loss_dir));
	v_name(o, phase_name(s->load_phase));
	/* the store keeps sync_n only beside a sync estimate */
	if (s->sync_pct >= 0) {
		v_int(o, s->sync_pct);
		v_int(o, s->sync_n);
	} else {
		v_null(o);
		v_null(o);
	}
	v_ms(o, s->clock_offset_ns);
	v_ms(o, s->bloat.idle_p50_ns);
	v_ms(o, s->bloat.loaded_p95_ns);
	v_ms(o, s->bloat.increase_ns);
	v_ms(o, s->bloat.up_inc_ns);
	v_ms(o, s->bloat.down_inc_ns);
	if (s->bloat.rpm != -1)
		v_int(o, s->bloat.rpm);
	else
		v_null(o);
	for (int k = 0; k < 2; k++) { /* traffic */
		int64_t v = k ? s->tx_kbps : s->rx_kbps;
		if (v != BB_NONE)
			v_int(o, v);
		else
			v_null(o);
	}
	puts_(o, o->fmt == EXPORT_CSV ? "\r\n" : "}");
	o->rows++;
	return 0;
}

void export_iso_time(int64_t ms, char *buf, size_t len)
{
	struct out o = { .fmt = EXPORT_CSV };
	v_time(&o, ms);
	snprintf(buf, len, "%.*s", (int)o.n, o.buf);
}

int export_json_string(FILE *f, const char *s)
{
	struct out o = { .fmt = EXPORT_CSV };
	/* v_text's JSON branch without a key; long text in pieces */
	o.fmt = EXPORT_JSON;
	o.col = 1;
	fputc('"', f);
	char piece[1024];
	size_t n = strlen(s);
	for (size_t i = 0; i < n; i += sizeof(piece) - 1) {
		snprintf(piece, sizeof(piece), "%s", s + i);
		o.n = 0;
		json_chars(&o, piece);
		fwrite(o.buf, 1, o.n, f);
	}
	fputc('"', f);
	return ferror(f) ? -EIO : 0;
}

int export_format_from_name(const char *name)
{
	if (!strcmp(name, "csv"))
		return EXPORT_CSV;
	if (!strcmp(name, "json"))
		return EXPORT_JSON;
	return -1;
}

int64_t export_write(struct store *st, FILE *f, int fmt, int64_t from_ms,
		     int64_t to_ms, const struct export_filter *flt, char *err,
		     size_t errlen)
{
	struct out *o = calloc(1, sizeof(*o));
	if (!o) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	o->f = f;
	o->fmt = fmt;
	o->flt = flt;
	for (int k = 0; k < BB_KIND_COUNT; k++) {
		const struct kind *kd = kind_get(k);
		const char *c = kd && kd->column ? kd->column : "rtt_ms";
		o->show[k] = !strcmp(c, "dns_time_ms")	? SHOW_DNS
			     : !strcmp(c, "connect_ms") ? SHOW_CONNECT
							: SHOW_RTT;
	}
	if (fmt == EXPORT_CSV) {
		for (size_t i = 0; i < N_COLUMNS; i++) {
			if (i)
				o->buf[o->n++] = ',';
			puts_(o, columns[i]);
		}
		puts_(o, "\r\n");
	} else {
		o->buf[o->n++] = '[';
	}
	/* only the recorded part of the period, an hour per statement */
	int64_t first, last;
	int rc = store_time_range(st, &first, &last);
	if (rc == -ENOENT) {
		rc = 0;
		first = last = from_ms;
	} else if (rc < 0) {
		goto fail;
	}
	int64_t a = from_ms > first ? from_ms : first;
	int64_t end = to_ms < last + 1 ? to_ms : last + 1;
	for (; a < end && rc == 0; a += SLICE_MS)
		rc = store_read_measurements(
			st, a, end - a > SLICE_MS ? a + SLICE_MS : end, row, o);
	if (rc == 0) {
		puts_(o, fmt == EXPORT_CSV ? "" : o->rows ? "\n]\n" : "]\n");
		if (flush_out(o) == 0 && fflush(f) != 0)
			o->err = -(errno ? errno : EIO);
		rc = o->err;
	}
fail:
	if (rc < 0) {
		if (o->err)
			snprintf(err, errlen, "writing failed: %s",
				 strerror(-o->err));
		else
			snprintf(err, errlen, "%s",
				 store_last_error(st)[0] ? store_last_error(st)
							 : strerror(-rc));
	}
	int64_t rows = o->rows;
	free(o);
	return rc < 0 ? rc : rows;
}

int64_t export_write_file(struct store *st, const char *path, int fmt,
			  int64_t from_ms, int64_t to_ms,
			  const struct export_filter *flt, char *err,
			  size_t errlen)
{
	struct afile a;
	int rc = afile_open(&a, path);
	if (rc < 0) {
		snprintf(err, errlen, "cannot export to %s: %s", path,
			 strerror(-rc));
		return rc;
	}
	char why[512] = "";
	int64_t rows = export_write(st, a.f, fmt, from_ms, to_ms, flt, why,
				    sizeof(why));
	rc = afile_close(&a, rows < 0 ? (int)rows : 0);
	if (rc < 0) {
		snprintf(err, errlen, "cannot export to %s: %s", path,
			 why[0] ? why : strerror(-rc));
		return rc;
	}
	return rows;
}
