// SPDX-License-Identifier: MIT
/* The view tests' fixture (see viewfix.h). */
#include "tests/lib/viewfix.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/analysis/model.h"
#include "tui/evlog.h"

struct bb_sample viewfix_sample(enum bb_probe_kind kind, const char *iface,
				const char *target, int i, int64_t iv_ns)
{
	struct bb_sample s;
	sample_init(&s, kind);
	snprintf(s.interface, sizeof(s.interface), "%s", iface);
	snprintf(s.target, sizeof(s.target), "%s", target);
	s.mono_ns = T0 + (int64_t)i * iv_ns;
	s.real_ns = REAL0_MS * MS + (int64_t)i * iv_ns;
	s.seq = (uint32_t)i;
	return s;
}

int viewfix_open(struct viewfix *f, int64_t bucket_ns, size_t n_events, int w,
		 int h)
{
	memset(f, 0, sizeof(*f));
	f->m = model_new(bucket_ns);
	f->ev = evlog_new(n_events);
	f->cb = cellbuf_new(w, h);
	if (!f->m || !f->ev || !f->cb || view_ui_init(&f->ui) < 0) {
		viewfix_close(f);
		return -ENOMEM;
	}
	f->ui.src.model = f->m;
	f->ui.src.events = f->ev;
	return 0;
}

void viewfix_close(struct viewfix *f)
{
	model_free(f->m);
	evlog_free(f->ev);
	view_ui_fini(&f->ui);
	cellbuf_free(f->cb);
	memset(f, 0, sizeof(*f));
}

int viewfix_teardown(void **state)
{
	viewfix_close(*state);
	return 0;
}

void viewfix_render(struct viewfix *f, int w, int h)
{
	cellbuf_resize(f->cb, w, h);
	view_render(&f->ui, f->cb);
}

const char *viewfix_row(struct cellbuf *cb, int y)
{
	static char row[4096];
	cellbuf_row_text(cb, y, row, sizeof(row));
	return row;
}

int viewfix_find(struct cellbuf *cb, const char *s)
{
	for (int y = 0; y < cellbuf_height(cb); y++)
		if (strstr(viewfix_row(cb, y), s))
			return y;
	return -1;
}

void viewfix_dump(struct cellbuf *cb)
{
	if (!getenv("BB_VIEW_DUMP"))
		return;
	for (int y = 0; y < cellbuf_height(cb); y++)
		printf("|%s|\n", viewfix_row(cb, y));
}
