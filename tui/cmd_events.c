// SPDX-License-Identifier: MIT
/*
 * bufferbane events: the events table over a period, filtered by kind and
 * severity, as one line per event or a JSON array.
 */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "tui/cmd.h"
#include "core/analysis/detect.h"
#include "core/analysis/event.h"
#include "core/base/clock.h"
#include "core/store/export.h"
#include "core/store/history.h"
#include "core/store/store.h"

static const char events_help[] =
	"usage: bufferbane events [--last SPAN | --start T [--end T]] "
	"[--kind K]\n"
	"       [--severity S] [--format text|json] [-c FILE] [--db FILE]\n"
	"The recorded events that overlap a period (ongoing ones included), "
	"by\n"
	"start: local start and end, duration, severity, kind, place "
	"(interface,\n"
	"target, server) and what happened.\n"
	"  --last SPAN     the period up to now: 90s, 15m, 24h, 7d, 2w\n"
	"                  or a sum like 1h30m (default 24h)\n"
	"  --start T, --end T  the period from T to T (end default: now);\n"
	"                  T is YYYY-MM-DD[ HH:MM[:SS]] in local time\n"
	"  --kind K        only events of kind K (packet_loss, "
	"latency_spike, ...)\n"
	"  --severity S    only events of severity S or worse: info, "
	"warning,\n"
	"                  critical\n"
	"  --format F      text (default) or json\n"
	"  -c, --config FILE  configuration (for general.database_path)\n"
	"      --db FILE   the database to read (opened read-only)\n"
	"Exit status: 0 success, 1 runtime failure, 2 bad usage or input.\n";

/* The detector's own catalog, so the list cannot miss a kind. */
static int bad_kind(const char *name)
{
	const char *k;
	fprintf(stderr,
		"bufferbane events: unknown event kind '%s'; the kinds: ",
		name);
	for (int i = 0; (k = detect_alert_name(i)); i++)
		fprintf(stderr, "%s%s", i ? ", " : "", k);
	fputc('\n', stderr);
	return CMD_EXIT_USAGE;
}

static int events_usage(const char *what, const char *arg)
{
	fprintf(stderr,
		"bufferbane events: %s '%s' (see bufferbane events --help)\n",
		what, arg);
	return CMD_EXIT_USAGE;
}

struct ev_out {
	const char *kind;
	int min_sev;
	bool json;
	int kind_w; /* text: the kind column, as wide as the longest kind */
	int64_t now, n;
};

/* "eth0 198.18.0.11 via vps", "-" when the event names no place. */
static void place_of(const struct bb_event *ev, char *buf, size_t len)
{
	size_t n = 0;
	buf[0] = '\0';
	if (ev->interface[0])
		n += (size_t)snprintf(buf + n, len - n, "%s", ev->interface);
	if (ev->target[0] && n < len)
		n += (size_t)snprintf(buf + n, len - n, "%s%s", n ? " " : "",
				      ev->target);
	if (ev->server[0] && strcmp(ev->server, ev->target) && n < len)
		n += (size_t)snprintf(buf + n, len - n, "%sserver %s",
				      n ? " " : "", ev->server);
	if (!buf[0])
		snprintf(buf, len, "-");
}

static void json_field(const char *name, const char *value, bool null)
{
	printf(",\"%s\":", name);
	if (null)
		fputs("null", stdout);
	else
		export_json_string(stdout, value);
}

static int one_event(void *ctx, const struct bb_event *ev)
{
	struct ev_out *o = ctx;
	if (o->kind && strcmp(o->kind, ev->kind))
		return 0;
	if (ev->severity < o->min_sev)
		return 0;
	bool ongoing = ev->end_ms == 0;
	int64_t dur = (ongoing ? o->now : ev->end_ms) - ev->start_ms;
	char start[48], end[48], d[32], place[160];
	place_of(ev, place, sizeof(place));
	if (o->json) {
		export_iso_time(ev->start_ms, start, sizeof(start));
		export_iso_time(ev->end_ms, end, sizeof(end));
		printf("%s{\"id\":%lld,\"start_ms\":%lld,", o->n ? ",\n" : "\n",
		       (long long)ev->id, (long long)ev->start_ms);
		if (ongoing)
			fputs("\"end_ms\":null", stdout);
		else
			printf("\"end_ms\":%lld", (long long)ev->end_ms);
		json_field("start", start, false);
		json_field("end", end, ongoing);
		printf(",\"duration_ms\":%lld,\"ongoing\":%s",
		       (long long)(dur < 0 ? 0 : dur),
		       ongoing ? "true" : "false");
		json_field("kind", ev->kind, false);
		json_field("severity", bb_severity_name(ev->severity), false);
		json_field("interface", ev->interface, false);
		json_field("target", ev->target, false);
		json_field("server_name", ev->server, false);
		json_field("place", place, false);
		json_field("description", ev->description, false);
		json_field("pattern", ev->pattern, !ev->pattern[0]);
		/* metrics is the JSON object the detector wrote: kept as
		 * such, or as a string if it is not one */
		if (ev->metrics[0] == '{')
			printf(",\"metrics\":%s", ev->metrics);
		else
			json_field("metrics", ev->metrics, !ev->metrics[0]);
		putchar('}');
	} else {
		history_format_time(ev->start_ms, start, sizeof(start));
		if (ongoing) {
			snprintf(end, sizeof(end), "ongoing");
		} else {
			history_format_time(ev->end_ms, end, sizeof(end));
			/* the same day: the time alone */
			if (!strncmp(start, end, 11))
				memmove(end, end + 11, strlen(end + 11) + 1);
		}
		if (history_event_instant(ev))
			snprintf(d, sizeof(d), "-"); /* no length to show */
		else
			history_format_duration(dur < 0 ? 0 : dur, d,
						sizeof(d));
		if (o->n == 0) /* a header over the first row */
			printf("%-19s  %-8s  %8s   %-8s  %-*s  %-18s  %s\n",
			       "start", "end", "length", "severity", o->kind_w,
			       "kind", "where", "what happened");
		printf("%s  %-8s  %8s%s  %-8s  %-*s  %-18s  %s\n", start, end,
		       d, ongoing ? "+" : " ", bb_severity_name(ev->severity),
		       o->kind_w, ev->kind, place, ev->description);
	}
	o->n++;
	return 0;
}

int cmd_events(int argc, char **argv)
{
	enum { O_DB = 256, O_LAST, O_START, O_END, O_FORMAT, O_KIND, O_SEV };
	static const struct option lo[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "db", required_argument, NULL, O_DB },
		{ "last", required_argument, NULL, O_LAST },
		{ "start", required_argument, NULL, O_START },
		{ "end", required_argument, NULL, O_END },
		{ "format", required_argument, NULL, O_FORMAT },
		{ "kind", required_argument, NULL, O_KIND },
		{ "severity", required_argument, NULL, O_SEV },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ 0 },
	};
	const char *conf = NULL, *db = NULL;
	const char *last = NULL, *start = NULL, *end = NULL;
	struct ev_out o = { 0 };
	int c;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":c:hV", lo, NULL)) != -1) {
		switch (c) {
		case 'c':
			conf = optarg;
			break;
		case O_DB:
			db = optarg;
			break;
		case O_LAST:
			last = optarg;
			break;
		case O_START:
			start = optarg;
			break;
		case O_END:
			end = optarg;
			break;
		case O_FORMAT:
			if (!strcmp(optarg, "json"))
				o.json = true;
			else if (strcmp(optarg, "text"))
				return events_usage("unknown format (text or "
						    "json)",
						    optarg);
			break;
		case O_KIND: {
			const char *k;
			for (int i = 0; (k = detect_alert_name(i)); i++)
				if (!strcmp(k, optarg))
					break;
			if (!k)
				return bad_kind(optarg);
			o.kind = optarg;
			break;
		}
		case O_SEV:
			o.min_sev = -1;
			for (int i = 0; i < BB_SEV_COUNT; i++)
				if (!strcmp(optarg, bb_severity_name(i)))
					o.min_sev = i;
			if (o.min_sev < 0)
				return events_usage("--severity wants info, "
						    "warning or critical, not",
						    optarg);
			break;
		case 'h':
			fputs(events_help, stdout);
			return 0;
		case 'V':
			printf("bufferbane %s\n", BB_VERSION);
			return 0;
		case ':':
			return events_usage("option needs a value",
					    argv[optind - 1]);
		default:
			return events_usage("unknown option", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return events_usage("unexpected argument", argv[optind]);
	int64_t span, from, to;
	int rc = cmd_period("events", last, start, end, 86400000LL, &from, &to,
			    &span);
	if (rc)
		return rc;
	struct store *st;
	if ((rc = cmd_open_db("events", conf, &db, &st, NULL)))
		return rc;
	o.now = clock_real_ns() / BB_NS_PER_MS;
	o.kind_w = detect_alert_name_width();
	if (o.json)
		putchar('[');
	rc = store_read_events(st, from, to, one_event, &o);
	if (rc < 0)
		fprintf(stderr, "bufferbane events: %s\n",
			store_last_error(st)[0] ? store_last_error(st)
						: strerror(-rc));
	store_close(st);
	if (rc < 0)
		return 1;
	if (o.json)
		fputs(o.n ? "\n]\n" : "]\n", stdout);
	else if (o.n == 0) {
		char a[32], b[32];
		history_format_time(from, a, sizeof(a));
		history_format_time(to, b, sizeof(b));
		printf("No events from %s to %s.\n", a, b);
	}
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr,
			"bufferbane events: writing to stdout failed: "
			"%s\n",
			strerror(errno));
		return 1;
	}
	return 0;
}
