// SPDX-License-Identifier: MIT
/*
 * Paths hop by hop (see path.h).  Nothing is allocated; a path is found by
 * a linear scan of at most PATH_MAX_PATHS entries.
 */
#include "core/analysis/path.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/base/clock.h"

int path_blame(const double *loss_pct, int n, double threshold_pct,
	       double *path_pct, double *own_pct)
{
	double carried = -1; /* smallest loss from hop i on; -1 none yet */
	for (int i = n - 1; i >= 0; i--) {
		if (loss_pct[i] < 0) {
			path_pct[i] = carried < 0 ? 0 : carried;
			own_pct[i] = 0;
			continue;
		}
		if (carried < 0 || loss_pct[i] < carried)
			carried = loss_pct[i];
		path_pct[i] = carried;
		own_pct[i] = loss_pct[i] - carried;
	}
	for (int i = 0; i < n; i++)
		if (loss_pct[i] >= 0 && path_pct[i] >= threshold_pct)
			return i + 1;
	return 0;
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

/* Nearest rank (ceil(p/100 * n)) of sorted v[0..n-1]. */
static int64_t rank(const int64_t *v, size_t n, unsigned p)
{
	size_t r = (n * p + 99) / 100;
	return v[r ? r - 1 : 0];
}

static void hop_figures(struct path_hop *h)
{
	int64_t ok[PATH_WINDOW];
	size_t nok = 0;
	for (uint32_t i = 0; i < h->n; i++) {
		int64_t v = h->ring[(h->head + i) % PATH_WINDOW];
		if (v != BB_NONE)
			ok[nok++] = v;
	}
	h->sent = h->n;
	h->lost = h->n - (uint32_t)nok;
	h->loss_pct = h->n ? 100.0 * h->lost / h->n : 0;
	h->p50_ns = h->p95_ns = BB_NONE;
	if (nok) {
		qsort(ok, nok, sizeof(ok[0]), cmp_i64);
		h->p50_ns = rank(ok, nok, 50);
		h->p95_ns = rank(ok, nok, 95);
	}
}

static void hop_push(struct path_hop *h, int64_t rtt)
{
	if (h->n < PATH_WINDOW)
		h->ring[(h->head + h->n++) % PATH_WINDOW] = rtt;
	else {
		h->ring[h->head] = rtt;
		h->head = (h->head + 1) % PATH_WINDOW;
	}
	h->last_ns = rtt;
	hop_figures(h);
}

/* The last k probes of h all went unanswered. */
static bool silent(const struct path_hop *h, uint32_t k)
{
	if (h->n < k)
		return false;
	for (uint32_t i = h->n - k; i < h->n; i++)
		if (h->ring[(h->head + i) % PATH_WINDOW] != BB_NONE)
			return false;
	return true;
}

static void hop_clear(struct path_hop *h)
{
	memset(h, 0, sizeof(*h));
	h->p50_ns = h->p95_ns = h->last_ns = BB_NONE;
}

static void blame(struct path_view *v)
{
	double loss[PATH_MAX_HOPS] = { 0 }, carried[PATH_MAX_HOPS],
	       own[PATH_MAX_HOPS];
	for (int i = 0; i < v->n_hops; i++)
		loss[i] = v->hop[i].sent ? v->hop[i].loss_pct : -1;
	v->lossy_hop =
		path_blame(loss, v->n_hops, PATH_BLAME_PCT, carried, own);
	for (int i = 0; i < v->n_hops; i++) {
		v->hop[i].path_loss_pct = carried[i];
		v->hop[i].own_loss_pct = own[i];
	}
}

static struct path_view *find_or_add(struct path_table *t,
				     const struct bb_sample *s)
{
	for (size_t i = 0; i < t->n; i++)
		if (strcmp(t->path[i].target, s->target) == 0 &&
		    strcmp(t->path[i].interface, s->interface) == 0)
			return &t->path[i];
	if (t->n == PATH_MAX_PATHS)
		return NULL;
	struct path_view *v = &t->path[t->n++];
	memset(v, 0, sizeof(*v));
	snprintf(v->interface, sizeof(v->interface), "%s", s->interface);
	snprintf(v->target, sizeof(v->target), "%s", s->target);
	for (int i = 0; i < PATH_MAX_HOPS; i++)
		hop_clear(&v->hop[i]);
	return v;
}

/* Every hop up to the target probed at least once. */
static bool complete(const struct path_view *v)
{
	if (!v->dest_ttl)
		return false;
	for (int i = 0; i < v->dest_ttl; i++)
		if (!v->hop[i].sent)
			return false;
	return true;
}

void path_route(const struct path_view *v, char *buf, size_t len)
{
	size_t at = 0;
	buf[0] = '\0';
	for (int i = 0; i < v->n_hops && at < len; i++) {
		const char *a = v->hop[i].addr[0] ? v->hop[i].addr : "*";
		int w = snprintf(buf + at, len - at, "%s%s", i ? " " : "", a);
		if (w < 0)
			break;
		at += (size_t)w;
	}
}

/* The n-th (1-based) word of a path_route() string, "*" past its end. */
static void route_word(const char *route, int n, char *out, size_t len)
{
	const char *p = route;
	for (int i = 1; i < n && p; i++) {
		p = strchr(p, ' ');
		if (p)
			p++;
	}
	size_t w = p ? strcspn(p, " ") : 0;
	if (!w)
		snprintf(out, len, "*");
	else
		snprintf(out, len, "%.*s", (int)w, p);
}

int path_table_add(struct path_table *t, const struct bb_sample *s,
		   struct path_change *ch)
{
	/* annotations, and probes that measured our own test's load */
	if (s->kind != BB_KIND_PATH || (s->flags & BB_SAMPLE_UNCOUNTED) ||
	    s->hop < 1 || s->hop > PATH_MAX_HOPS)
		return 0;
	struct path_view *v = find_or_add(t, s);
	if (!v) {
		t->overflow++;
		return 0;
	}
	int h = s->hop;
	struct path_hop *hp = &v->hop[h - 1];
	bool end = s->flags & BB_SAMPLE_PATH_END;
	/* the target answering a probe with TTL to spare says nothing new,
	 * unless its own hop went silent: the path got longer there */
	bool longer = v->dest_ttl && h > v->dest_ttl && end &&
		      silent(&v->hop[v->dest_ttl - 1], PATH_SILENT_PROBES);
	if (v->dest_ttl && h > v->dest_ttl && !longer &&
	    !(s->hop_addr[0] && !end))
		return 0;
	bool was = complete(v);
	char old[sizeof(ch->old_route)];
	path_route(v, old, sizeof(old));
	int changed = 0; /* first hop that differs */

	/* an answer (a reply, time exceeded or unreachable) carries its
	 * RTT; a probe nobody answered is lost at this hop */
	bool answered = s->hop_addr[0] && s->rtt_ns != BB_NONE;
	hop_push(hp, answered ? s->rtt_ns : BB_NONE);
	if (s->hop_addr[0]) {
		if (hp->addr[0] && strcmp(hp->addr, s->hop_addr) != 0)
			changed = h;
		snprintf(hp->addr, sizeof(hp->addr), "%s", s->hop_addr);
	}
	if (end && (!v->dest_ttl || h < v->dest_ttl || longer)) {
		if (v->dest_ttl && !changed)
			changed = h < v->dest_ttl ? h : v->dest_ttl;
		if (longer) /* the target was there, a silent router now */
			v->hop[v->dest_ttl - 1].addr[0] = '\0';
		v->dest_ttl = h;
		for (int i = h; i < PATH_MAX_HOPS; i++)
			hop_clear(&v->hop[i]); /* beyond the target */
	} else if (!end && s->hop_addr[0] && v->dest_ttl && h >= v->dest_ttl) {
		/* a router where the target was: the path got longer */
		v->dest_ttl = 0;
		if (!changed)
			changed = h;
	}
	if (v->dest_ttl)
		v->n_hops = v->dest_ttl;
	else if (h > v->n_hops)
		v->n_hops = h;
	blame(v);
	if (!changed || !was)
		return 0;
	v->changes++;
	v->changed_real_ns = s->real_ns;
	v->changed_hop = changed;
	route_word(old, changed, v->changed_from, sizeof(v->changed_from));
	snprintf(v->changed_to, sizeof(v->changed_to), "%s",
		 changed <= v->n_hops && v->hop[changed - 1].addr[0]
			 ? v->hop[changed - 1].addr
			 : "*");
	if (ch) {
		memset(ch, 0, sizeof(*ch));
		snprintf(ch->interface, sizeof(ch->interface), "%s",
			 v->interface);
		snprintf(ch->target, sizeof(ch->target), "%s", v->target);
		ch->real_ms = s->real_ns / BB_NS_PER_MS;
		snprintf(ch->old_route, sizeof(ch->old_route), "%s", old);
		path_route(v, ch->new_route, sizeof(ch->new_route));
		ch->hop = changed;
	}
	return 1;
}

const struct path_view *path_table_find(const struct path_table *t,
					const char *interface,
					const char *target)
{
	for (size_t i = 0; i < t->n; i++)
		if (strcmp(t->path[i].target, target) == 0 &&
		    strcmp(t->path[i].interface, interface) == 0)
			return &t->path[i];
	return NULL;
}

const char *path_hop_whose(const struct path_view *v, int i)
{
	const struct path_hop *hp = &v->hop[i];
	if (v->lossy_hop == i + 1)
		return hp->own_loss_pct >= PATH_BLAME_PCT
			       ? " (the line's from here or later; its own too)"
			       : " (the line's from here)";
	if (hp->own_loss_pct >= PATH_BLAME_PCT)
		return " (the router's own)";
	return "";
}

/* The first hop (0-based) from which the delay stays PATH_SLOW_MS above
 * what the hops before it carry, -1 none: as the blame rule, the smallest
 * median of a hop and every later one is what it passes on. */
static int slow_hop(const struct path_view *v, double *added_ms)
{
	double carried[PATH_MAX_HOPS], low = -1;
	for (int i = v->n_hops - 1; i >= 0; i--) {
		int64_t p = v->hop[i].p50_ns;
		if (p != BB_NONE && (low < 0 || p / 1e6 < low))
			low = p / 1e6;
		carried[i] = low;
	}
	double before = 0;
	for (int i = 0; i < v->n_hops; i++) {
		if (carried[i] < 0)
			continue;
		if (carried[i] - before >= PATH_SLOW_MS) {
			*added_ms = carried[i] - before;
			return i;
		}
		before = carried[i];
	}
	return -1;
}

static const char *hop_addr(const struct path_view *v, int i)
{
	return v->hop[i].addr[0] ? v->hop[i].addr : "*";
}

enum path_finding path_words(const struct path_view *v, bool brief, char *buf,
			     size_t len)
{
	enum path_finding f = PATH_CLEAN;
	size_t n = 0;
	int w = 0;
	double added = 0;
	int slow = slow_hop(v, &added);
	buf[0] = '\0';
	if (!v->n_hops)
		return PATH_NONE;
	const char *to = v->dest_ttl ? "the target" : "the last hop probed";
	if (v->lossy_hop) {
		int i = v->lossy_hop - 1;
		f = i ? PATH_LOSS : PATH_LOSS_HOME;
		if (brief)
			w = snprintf(buf, len,
				     "loss to %s starts at hop %d (%s)%s",
				     v->target, i + 1, hop_addr(v, i),
				     i ? ", beyond your home network"
				       : ", your home network");
		else
			w = snprintf(buf, len,
				     "loss starts at hop %d (%s) and persists "
				     "to %s: %s",
				     i + 1, hop_addr(v, i), to,
				     i ? "beyond your home network"
				       : "your home network");
	} else if (slow >= 0) {
		f = slow ? PATH_SLOW : PATH_SLOW_HOME;
		if (brief)
			w = snprintf(buf, len,
				     "%s slow from hop %d (%s, +%.0f ms)%s",
				     v->target, slow + 1, hop_addr(v, slow),
				     added,
				     slow ? ", beyond your home network"
					  : ", your home network");
		else if (!slow)
			w = snprintf(buf, len,
				     "only the gateway hop (hop 1, %s) is slow "
				     "(+%.0f ms): your home network",
				     hop_addr(v, 0), added);
		else
			w = snprintf(buf, len,
				     "the delay rises at hop %d (%s, +%.0f ms) "
				     "and persists to %s: beyond your home "
				     "network",
				     slow + 1, hop_addr(v, slow), added, to);
	} else if (brief) {
		return f;
	} else {
		for (int i = 0; i < v->n_hops; i++)
			if (v->hop[i].own_loss_pct >= PATH_BLAME_PCT) {
				f = PATH_OWN_LOSS;
				w = snprintf(
					buf, len,
					"hop %d drops its own answers (rate "
					"limit); the path is clean",
					i + 1);
				break;
			}
	}
	if (w > 0)
		n = (size_t)w < len ? (size_t)w : len - 1;
	if (brief)
		return f;
	if (v->changes && n < len) {
		char hms[16] = "?";
		time_t t = (time_t)(v->changed_real_ns / 1000000000);
		struct tm tm;
		if (localtime_r(&t, &tm))
			strftime(hms, sizeof(hms), "%H:%M:%S", &tm);
		w = snprintf(buf + n, len - n,
			     "%spath changed at %s (hop %d: %s -> %s)",
			     n ? "; " : "", hms, v->changed_hop,
			     v->changed_from, v->changed_to);
		if (f == PATH_CLEAN)
			f = PATH_CHANGED;
	} else if (!n) {
		if (v->dest_ttl)
			snprintf(buf, len,
				 "the path is clean: no loss and no delay "
				 "added along its %d hop%s",
				 v->n_hops, v->n_hops == 1 ? "" : "s");
		else if (v->n_hops == 1)
			snprintf(buf, len,
				 "the target has not answered yet "
				 "(hop 1 probed)");
		else
			snprintf(buf, len,
				 "the target has not answered yet (hops 1-%d "
				 "probed)",
				 v->n_hops);
	}
	return f;
}

size_t path_verdict(const struct path_table *t, char *buf, size_t len)
{
	char add[512] = "";
	size_t na = 0;
	for (size_t i = 0; i < t->n && na + 1 < sizeof(add); i++) {
		char w[256];
		const struct path_view *v = &t->path[i];
		enum path_finding f = path_words(v, true, w, sizeof(w));
		if (f != PATH_LOSS && f != PATH_LOSS_HOME)
			continue;
		/* a lost probe or two is no verdict yet */
		const struct path_hop *h = &v->hop[v->lossy_hop - 1];
		if (h->sent < PATH_VERDICT_PROBES ||
		    h->path_loss_pct < PATH_VERDICT_PCT)
			continue;
		w[0] = (char)(w[0] - 'a' + 'A'); /* "loss" starts a sentence */
		int k = snprintf(add + na, sizeof(add) - na, "%s%s.",
				 na ? " " : "", w);
		if (k < 0)
			break;
		na += (size_t)k < sizeof(add) - na ? (size_t)k
						   : sizeof(add) - na - 1;
	}
	size_t n = strlen(buf);
	if (!na || !len)
		return n;
	/* the detectors have not (yet) seen it: the path's finding is the
	 * verdict, not a contradiction after "No problems" */
	if (!strncmp(buf, "No problem", 10)) {
		snprintf(buf, len, "%s", add);
		return strlen(buf);
	}
	/* after the verdict's first sentence, the diagnosis, so that a
	 * header cut at the screen's width still shows it */
	char *end = strstr(buf, ". ");
	size_t at = end ? (size_t)(end - buf) + 1 : n;
	char tail[1024];
	snprintf(tail, sizeof(tail), "%s", buf + at);
	snprintf(buf + at, len - at, "%s%s%s", at ? " " : "", add, tail);
	return strlen(buf);
}
