// SPDX-License-Identifier: MIT
/*
 * Unit tests for core/engine/metrics' exposition text: a model fed with
 * known samples gives the hand-computed quantiles, sums, counts, loss ratio,
 * one-way delays, throughput, bufferbloat grade and session state under the
 * documented names and labels; label values are escaped as the text format
 * says; every sample line follows the HELP and TYPE of its own family and no
 * family is split; open events are counted by kind.
 */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/analysis/detect.h"
#include "core/analysis/model.h"
#include "core/base/clock.h"
#include "core/base/config.h"
#include "core/base/sample.h"
#include "core/engine/feed.h"
#include "core/engine/metrics.h"
#include "core/engine/monitor.h"

#define MS  BB_NS_PER_MS
#define SEC BB_NS_PER_S
#define NOW (1000 * SEC) /* the windows end here */

struct fixture {
	struct model *model;
	struct detect *detect;
	struct feed feed;
	struct metrics_tally tally;
};

static void add(struct fixture *f, const struct bb_sample *s)
{
	metrics_tally_add(&f->tally, feed_sample(&f->feed, s), s);
}

static struct bb_sample sample(enum bb_probe_kind kind, const char *target,
			       const char *server, int64_t mono_ns)
{
	struct bb_sample s;
	sample_init(&s, kind);
	snprintf(s.target, sizeof(s.target), "%s", target);
	snprintf(s.server, sizeof(s.server), "%s", server);
	s.mono_ns = mono_ns;
	s.real_ns = 1700000000 * SEC + mono_ns;
	return s;
}

static void ignore_event(void *ctx, const struct bb_event *ev,
			 enum detect_state st)
{
}

static struct fixture *fixture_new(bool with_detect)
{
	struct fixture *f = calloc(1, sizeof(*f));
	assert_non_null(f);
	f->model = model_new(100 * MS);
	assert_non_null(f->model);
	if (with_detect) {
		struct bb_config cfg;
		config_defaults(&cfg);
		f->detect =
			detect_new(detect_params_from_config(
					   &cfg, &(struct detect_params){ 0 }),
				   ignore_event, NULL);
		assert_non_null(f->detect);
	}
	f->feed.model = f->model;
	f->feed.detect = f->detect;
	return f;
}

static void fixture_free(struct fixture *f)
{
	model_free(f->model);
	detect_free(f->detect);
	free(f);
}

static char *render(struct fixture *f, const struct monitor_status *st)
{
	struct metrics_view v = { .model = f->model,
				  .tally = &f->tally,
				  .detect = f->detect,
				  .status = st,
				  .now_mono_ns = NOW };
	char *text = NULL;
	size_t len = 0;
	assert_int_equal(metrics_render(&v, &text, &len), 0);
	assert_non_null(text);
	assert_int_equal(strlen(text), len);
	return text;
}

/* The value on the line whose name and labels are exactly SERIES; fails
 * the test when there is no such line. */
static double value_of(const char *text, const char *series)
{
	size_t n = strlen(series);
	for (const char *l = text; *l;) {
		const char *end = strchr(l, '\n');
		assert_non_null(end);
		if (!strncmp(l, series, n) && l[n] == ' ') {
			if (!strncmp(l + n + 1, "NaN", 3))
				return NAN;
			return strtod(l + n + 1, NULL);
		}
		l = end + 1;
	}
	fail_msg("no line for %s in:\n%s", series, text);
	return 0;
}

static bool has_line_prefix(const char *text, const char *prefix)
{
	size_t n = strlen(prefix);
	for (const char *l = text; *l;) {
		if (!strncmp(l, prefix, n))
			return true;
		const char *end = strchr(l, '\n');
		if (!end)
			break;
		l = end + 1;
	}
	return false;
}

/* Families: "# HELP x", "# TYPE x t", then only lines of x (x_sum and
 * x_count for a summary), and no family twice. */
static void check_structure(const char *text)
{
	char fam[128] = "", type[16] = "", seen[64][128];
	int nseen = 0;
	bool help = false;
	for (const char *l = text; *l;) {
		const char *end = strchr(l, '\n');
		assert_non_null(end); /* the text ends with a line feed */
		char line[1024];
		size_t len = (size_t)(end - l);
		assert_true(len < sizeof(line));
		memcpy(line, l, len);
		line[len] = '\0';
		l = end + 1;
		if (!strncmp(line, "# HELP ", 7)) {
			assert_true(sscanf(line + 7, "%127s", fam) == 1);
			for (int i = 0; i < nseen; i++)
				if (!strcmp(seen[i], fam))
					fail_msg("family %s twice", fam);
			assert_true(nseen < 64);
			strcpy(seen[nseen++], fam);
			help = true;
			type[0] = '\0';
			continue;
		}
		if (!strncmp(line, "# TYPE ", 7)) {
			char name[128];
			assert_true(help);
			assert_int_equal(
				sscanf(line + 7, "%127s %15s", name, type), 2);
			assert_string_equal(name, fam);
			assert_true(!strcmp(type, "gauge") ||
				    !strcmp(type, "counter") ||
				    !strcmp(type, "summary"));
			if (!strcmp(type, "counter"))
				assert_non_null(strstr(fam, "_total"));
			continue;
		}
		assert_true(line[0] != '#');
		assert_true(type[0] != '\0');
		size_t nl = strcspn(line, "{ ");
		char name[128];
		assert_true(nl < sizeof(name));
		memcpy(name, line, nl);
		name[nl] = '\0';
		assert_int_equal(strncmp(name, "bufferbane_", 11), 0);
		bool ok = !strcmp(name, fam);
		if (!strcmp(type, "summary")) {
			size_t fl = strlen(fam);
			ok |= !strncmp(name, fam, fl) &&
			      (!strcmp(name + fl, "_sum") ||
			       !strcmp(name + fl, "_count"));
		}
		if (!ok)
			fail_msg("line of %s under family %s", name, fam);
	}
}

/* 100 answered pings of 1..100 ms and 10 lost ones in the last 11 s. */
/* Every family of TEXT ("# TYPE name") is named in bufferbane(1)'s
 * METRICS (under $BB_TOP, which tests/run.sh sets, or "."). */
static void check_documented(const char *text)
{
	const char *top = getenv("BB_TOP");
	char path[512];
	snprintf(path, sizeof(path), "%s/etc/man/bufferbane.1",
		 top ? top : ".");
	FILE *fp = fopen(path, "r");
	if (!fp)
		fail_msg("cannot read %s", path);
	static char man[1 << 18];
	size_t n = fread(man, 1, sizeof(man) - 1, fp);
	fclose(fp);
	man[n] = '\0';
	const char *sec = strstr(man, "\n.SH METRICS");
	assert_non_null(sec);
	for (const char *l = strstr(text, "# TYPE "); l;
	     l = strstr(l + 1, "# TYPE ")) {
		char name[128];
		if (sscanf(l, "# TYPE %127s", name) != 1)
			continue;
		/* whole: followed by neither a letter nor an underscore */
		bool found = false;
		size_t k = strlen(name);
		for (const char *m = strstr(sec, name); m && !found;
		     m = strstr(m + 1, name))
			found = m[k] != '_' && !isalnum((unsigned char)m[k]);
		if (!found)
			fail_msg("%s is not in bufferbane(1)'s METRICS", name);
	}
}

static void feed_icmp(struct fixture *f, const char *target)
{
	int64_t t = NOW - 11 * SEC;
	for (int i = 1; i <= 110; i++) {
		struct bb_sample s = sample(BB_KIND_ICMP, target, "", t);
		t += 100 * MS;
		if (i % 11 == 0) {
			s.status = BB_STATUS_TIMEOUT;
		} else {
			int ms = i - i / 11; /* 1..100 over the answered */
			s.rtt_ns = ms * MS;
		}
		add(f, &s);
	}
}

static void test_rtt_summary(void **state)
{
	struct fixture *f = fixture_new(false);
	feed_icmp(f, "10.0.0.1");
	char *text = render(f, NULL);
	check_structure(text);
	assert_non_null(
		strstr(text, "# TYPE bufferbane_rtt_seconds summary\n"));
	const char *l = "bufferbane_rtt_seconds{interface=\"\",target=\"10.0.0."
			"1\",server=\"\",probe=\"icmp\"";
	char q[256];
	/* nearest rank over 1..100 ms */
	snprintf(q, sizeof(q), "%s,quantile=\"0.5\"}", l);
	assert_float_equal(value_of(text, q), 0.050, 1e-9);
	snprintf(q, sizeof(q), "%s,quantile=\"0.95\"}", l);
	assert_float_equal(value_of(text, q), 0.095, 1e-9);
	snprintf(q, sizeof(q), "%s,quantile=\"0.99\"}", l);
	assert_float_equal(value_of(text, q), 0.099, 1e-9);
	/* sum 1 + ... + 100 ms, count the answered only */
	const char *lab = "{interface=\"\",target=\"10.0.0.1\",server=\"\","
			  "probe=\"icmp\"}";
	snprintf(q, sizeof(q), "bufferbane_rtt_seconds_sum%s", lab);
	assert_float_equal(value_of(text, q), 5.050, 1e-9);
	snprintf(q, sizeof(q), "bufferbane_rtt_seconds_count%s", lab);
	assert_float_equal(value_of(text, q), 100, 0);
	snprintf(q, sizeof(q), "bufferbane_probes_total%s", lab);
	assert_float_equal(value_of(text, q), 110, 0);
	snprintf(q, sizeof(q), "bufferbane_probes_lost_total%s", lab);
	assert_float_equal(value_of(text, q), 10, 0);
	/* the 60 s window holds all 110 probes */
	snprintf(q, sizeof(q), "bufferbane_loss_ratio%s", lab);
	assert_float_equal(value_of(text, q), 10. / 110, 1e-9);
	/* consecutive answered values differ by 1 ms (a loss breaks a
	 * pair): mean |IPDV| 1 ms */
	snprintf(q, sizeof(q), "bufferbane_jitter_seconds%s", lab);
	assert_float_equal(value_of(text, q), 0.001, 1e-9);
	/* no DNS, TCP, server or detector: no such family at all */
	assert_null(strstr(text, "bufferbane_dns_seconds"));
	assert_null(strstr(text, "bufferbane_events_open"));
	assert_null(strstr(text, "bufferbane_server_session"));
	check_documented(text);
	free(text);
	fixture_free(f);
}

/* A window that slid past every probe: quantiles NaN, counters kept. */
static void test_window_expired(void **state)
{
	struct fixture *f = fixture_new(false);
	struct bb_sample s =
		sample(BB_KIND_DNS, "198.18.1.53", "", NOW - 120 * SEC);
	s.rtt_ns = 12 * MS;
	add(f, &s);
	char *text = render(f, NULL);
	check_structure(text);
	const char *lab = "{interface=\"\",target=\"198.18.1.53\",server=\"\","
			  "probe=\"dns\"";
	char q[256];
	snprintf(q, sizeof(q), "bufferbane_dns_seconds%s,quantile=\"0.5\"}",
		 lab);
	assert_true(isnan(value_of(text, q)));
	snprintf(q, sizeof(q), "bufferbane_dns_seconds_count%s}", lab);
	assert_float_equal(value_of(text, q), 1, 0);
	snprintf(q, sizeof(q), "bufferbane_dns_seconds_sum%s}", lab);
	assert_float_equal(value_of(text, q), 0.012, 1e-12);
	snprintf(q, sizeof(q), "bufferbane_loss_ratio%s}", lab);
	assert_true(isnan(value_of(text, q)));
	/* jitter is for RTT probes only */
	snprintf(q, sizeof(q), "bufferbane_jitter_seconds%s}", lab);
	assert_false(has_line_prefix(text, q));
	check_documented(text);
	free(text);
	fixture_free(f);
}

static void test_escaping(void **state)
{
	struct fixture *f = fixture_new(false);
	struct bb_sample s = sample(BB_KIND_ICMP, "a\"b\\c\nd", "", NOW - SEC);
	snprintf(s.interface, sizeof(s.interface), "eth\\0");
	s.rtt_ns = 3 * MS;
	add(f, &s);
	char *text = render(f, NULL);
	check_structure(text);
	assert_float_equal(value_of(text,
				    "bufferbane_rtt_seconds_count{interface="
				    "\"eth\\\\0\",target=\"a\\\"b\\\\c\\nd\","
				    "server=\"\",probe=\"icmp\"}"),
			   1, 0);
	/* the raw line feed never reaches the text: one line per sample */
	assert_null(strstr(text, "c\nd"));
	check_documented(text);
	free(text);
	fixture_free(f);
}

/* Echoes, one-way delays, a lost echo by direction, a server without a
 * session, a bufferbloat result, a throughput test. */
static void test_servers(void **state)
{
	struct fixture *f = fixture_new(false);
	struct bb_sample s =
		sample(BB_KIND_UDP_ECHO, "srv.example", "home", NOW - 2 * SEC);
	s.rtt_ns = 20 * MS;
	s.up_delay_ns = 12 * MS;
	s.down_delay_ns = 8 * MS;
	add(f, &s);
	s = sample(BB_KIND_UDP_ECHO, "srv.example", "home", NOW - SEC);
	s.status = BB_STATUS_TIMEOUT;
	s.loss_dir = BB_LOSS_DOWN;
	add(f, &s);
	s = sample(BB_KIND_UDP_ECHO, "srv.example", "home", NOW - SEC / 2);
	s.rtt_ns = 22 * MS;
	s.up_delay_ns = 13 * MS;
	s.down_delay_ns = 9 * MS;
	add(f, &s);
	struct bb_sample ns =
		sample(BB_KIND_UDP_ECHO, "other.example", "away", NOW - SEC);
	ns.status = BB_STATUS_TIMEOUT;
	ns.flags = BB_SAMPLE_NO_SESSION;
	add(f, &ns);
	struct bb_sample bl =
		sample(BB_KIND_BUFFERBLOAT, "srv.example", "home", NOW - SEC);
	bl.load_phase = BB_PHASE_UP;
	bl.rtt_ns = 65 * MS;
	bl.bloat.idle_p50_ns = 20 * MS;
	bl.bloat.increase_ns = 45 * MS; /* 30..60 ms: B */
	bl.bloat.rpm = 923;
	add(f, &bl);
	struct bb_sample up =
		sample(BB_KIND_UPLOAD, "srv.example", "home", NOW - SEC);
	up.throughput_kbps = 20000;
	add(f, &up);

	char *text = render(f, NULL);
	check_structure(text);
	const char *lab =
		"interface=\"\",target=\"srv.example\",server=\"home\""
		",probe=\"udp_echo\"";
	char q[256];
	snprintf(q, sizeof(q),
		 "bufferbane_one_way_delay_seconds{%s,direction=\"up\"}", lab);
	assert_float_equal(value_of(text, q), 0.013, 1e-12);
	snprintf(q, sizeof(q),
		 "bufferbane_one_way_delay_seconds{%s,direction=\"down\"}",
		 lab);
	assert_float_equal(value_of(text, q), 0.009, 1e-12);
	snprintf(q, sizeof(q), "bufferbane_rtt_seconds_count{%s}", lab);
	assert_float_equal(value_of(text, q), 2, 0);
	assert_float_equal(value_of(text, "bufferbane_echo_lost_total{server="
					  "\"home\",direction=\"down\"}"),
			   1, 0);
	assert_float_equal(value_of(text, "bufferbane_echo_lost_total{server="
					  "\"home\",direction=\"up\"}"),
			   0, 0);
	assert_float_equal(value_of(text,
				    "bufferbane_server_session{interface=\"\","
				    "server=\"home\"}"),
			   1, 0);
	assert_float_equal(value_of(text,
				    "bufferbane_server_session{interface=\"\","
				    "server=\"away\"}"),
			   0, 0);
	/* the echo without a session is neither a probe nor a loss */
	assert_float_equal(value_of(text,
				    "bufferbane_probes_total{interface=\"\","
				    "target=\"other.example\",server=\"away\","
				    "probe=\"udp_echo\"}"),
			   0, 0);
	assert_float_equal(
		value_of(text, "bufferbane_bufferbloat_increase_seconds{server="
			       "\"home\",direction=\"up\"}"),
		0.045, 1e-12);
	assert_float_equal(
		value_of(text, "bufferbane_bufferbloat_grade{server=\"home\","
			       "direction=\"up\",grade=\"B\"}"),
		3, 0);
	assert_float_equal(value_of(text, "bufferbane_bufferbloat_rpm{server="
					  "\"home\",direction=\"up\"}"),
			   923, 0);
	/* no download or both-way test ran: no line for them */
	assert_false(has_line_prefix(text,
				     "bufferbane_bufferbloat_grade{"
				     "server=\"home\",direction=\"down\""));
	assert_float_equal(
		value_of(text, "bufferbane_throughput_bytes_per_second{"
			       "interface=\"\",target=\"srv.example\",server="
			       "\"home\",direction=\"up\"}"),
		20e6 / 8, 0);
	check_documented(text);
	free(text);
	fixture_free(f);
}

/* A target that stops answering opens packet_loss; every kind of the
 * catalog has a line, the others 0. */
static void test_events_open(void **state)
{
	struct fixture *f = fixture_new(true);
	int64_t t = NOW - 30 * SEC;
	for (int i = 0; i < 300; i++, t += 100 * MS) {
		/* one target fails while the other answers: the target's
		 * loss, not an outage of the line */
		struct bb_sample ok = sample(BB_KIND_ICMP, "10.0.0.8", "", t);
		ok.rtt_ns = 5 * MS;
		add(f, &ok);
		struct bb_sample s = sample(BB_KIND_ICMP, "10.0.0.9", "", t);
		if (i < 100)
			s.rtt_ns = 5 * MS;
		else
			s.status = BB_STATUS_TIMEOUT;
		add(f, &s);
		if (i % 10 == 9)
			detect_tick(f->detect, t);
	}
	assert_true(detect_open_of_kind(f->detect, "packet_loss") >= 1);
	char *text = render(f, NULL);
	check_structure(text);
	assert_float_equal(
		value_of(text, "bufferbane_events_open{kind=\"packet_loss\"}"),
		(double)detect_open_of_kind(f->detect, "packet_loss"), 0);
	assert_float_equal(
		value_of(text, "bufferbane_events_open{kind=\"bufferbloat\"}"),
		0, 0);
	size_t total = 0;
	for (int i = 0; detect_alert_name(i); i++) {
		char q[128];
		snprintf(q, sizeof(q), "bufferbane_events_open{kind=\"%s\"}",
			 detect_alert_name(i));
		total += (size_t)value_of(text, q);
	}
	assert_int_equal(total, detect_open_count(f->detect));
	check_documented(text);
	free(text);
	fixture_free(f);
}

/* The path probe's hops (line's and own loss, p50/p95, the lossy hop)
 * and the interfaces' traffic rates. */
static void path_probe(struct fixture *f, const char *target, int hop,
		       const char *addr, int64_t rtt, int64_t at)
{
	struct bb_sample s = sample(BB_KIND_PATH, target, "", at);
	snprintf(s.interface, sizeof(s.interface), "eth0");
	s.hop = (uint8_t)hop;
	if (addr) {
		snprintf(s.hop_addr, sizeof(s.hop_addr), "%s", addr);
		s.rtt_ns = rtt;
		if (hop == 3)
			s.flags |= BB_SAMPLE_PATH_END;
	} else {
		s.status = BB_STATUS_TIMEOUT;
	}
	add(f, &s);
}

static void test_path_and_traffic(void **state)
{
	struct fixture *f = fixture_new(false);
	int64_t at = NOW - 30 * SEC;
	/* "a": hop 2 answers every other probe, the target every one (the
	 * router's own loss); "b": the target loses every fourth (the
	 * line's, from hop 3) */
	for (int r = 0; r < 32; r++) {
		path_probe(f, "a", 1, "198.18.0.1", MS, at += 10 * MS);
		path_probe(f, "a", 2, r % 2 ? NULL : "198.18.1.2",
			   (4 + r % 2) * MS, at += 10 * MS);
		path_probe(f, "a", 3, "198.18.2.2", 9 * MS, at += 10 * MS);
		path_probe(f, "b", 1, "198.18.0.1", MS, at += 10 * MS);
		path_probe(f, "b", 2, "198.18.1.2", 5 * MS, at += 10 * MS);
		path_probe(f, "b", 3, r % 4 == 3 ? NULL : "198.18.3.3",
			   (10 + r % 10) * MS, at += 10 * MS);
	}
	struct bb_sample t = sample(BB_KIND_TRAFFIC, "eth0", "", NOW - SEC);
	t.rx_kbps = 12000;
	t.tx_kbps = 4900;
	add(f, &t);
	char *text = render(f, NULL);
	check_structure(text);
#define HOP(tg, h, a)                                                          \
	"{interface=\"eth0\",target=\"" tg "\",hop=\"" h "\",addr=\"" a "\","
	assert_float_equal(
		value_of(text,
			 "bufferbane_path_hop_loss_ratio" HOP(
				 "a", "2", "198.18.1.2") "whose=\"own\"}"),
		0.5, 1e-9);
	assert_float_equal(
		value_of(text,
			 "bufferbane_path_hop_loss_ratio" HOP(
				 "a", "2", "198.18.1.2") "whose=\"line\"}"),
		0, 1e-9);
	assert_float_equal(
		value_of(text,
			 "bufferbane_path_hop_loss_ratio" HOP(
				 "b", "3", "198.18.3.3") "whose=\"line\"}"),
		0.25, 1e-9);
	assert_float_equal(
		value_of(text,
			 "bufferbane_path_hop_rtt_seconds" HOP(
				 "a", "2", "198.18.1.2") "quantile=\"0.5\"}"),
		0.004, 1e-9);
	assert_float_equal(
		value_of(text,
			 "bufferbane_path_hop_rtt_seconds" HOP(
				 "a", "1", "198.18.0.1") "quantile=\"0.95\"}"),
		0.001, 1e-9);
	assert_float_equal(value_of(text, "bufferbane_path_lossy_hop{interface="
					  "\"eth0\",target=\"a\"}"),
			   0, 0);
	assert_float_equal(value_of(text, "bufferbane_path_lossy_hop{interface="
					  "\"eth0\",target=\"b\"}"),
			   3, 0);
	assert_float_equal(value_of(text,
				    "bufferbane_interface_rx_bits_per_second"
				    "{interface=\"\",device=\"eth0\"}"),
			   12e6, 0);
	assert_float_equal(value_of(text,
				    "bufferbane_interface_tx_bits_per_second"
				    "{interface=\"\",device=\"eth0\"}"),
			   4.9e6, 0);
#undef HOP
	check_documented(text);
	free(text);
	fixture_free(f);
}

static void test_status_counters(void **state)
{
	struct fixture *f = fixture_new(false);
	struct monitor_status st = { .samples = 1234,
				     .stored = 1200,
				     .dropped_engine = 3,
				     .dropped_storage = 31,
				     .store_failures = 2,
				     .store_pending = 7 };
	char *text = render(f, &st);
	check_structure(text);
	assert_float_equal(value_of(text, "bufferbane_samples_total"), 1234, 0);
	assert_float_equal(value_of(text, "bufferbane_samples_stored_total"),
			   1200, 0);
	assert_float_equal(
		value_of(text,
			 "bufferbane_samples_dropped_total{reason=\"queue\"}"),
		3, 0);
	assert_float_equal(
		value_of(
			text,
			"bufferbane_samples_dropped_total{reason=\"storage\"}"),
		31, 0);
	assert_float_equal(value_of(text, "bufferbane_samples_pending"), 7, 0);
	assert_float_equal(
		value_of(text, "bufferbane_store_failed_batches_total"), 2, 0);
	assert_float_equal(
		value_of(text,
			 "bufferbane_build_info{version=\"" BB_VERSION "\"}"),
		1, 0);
	check_documented(text);
	free(text);
	fixture_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rtt_summary),
		cmocka_unit_test(test_window_expired),
		cmocka_unit_test(test_escaping),
		cmocka_unit_test(test_servers),
		cmocka_unit_test(test_events_open),
		cmocka_unit_test(test_status_counters),
		cmocka_unit_test(test_path_and_traffic),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
