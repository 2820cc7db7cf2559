/* SPDX-License-Identifier: MIT */
/*
 * The table-driven libconfig loader (see cfgtable.h).  What is specific to
 * one program -- its rows, checks across keys, lists of groups -- stays with
 * it; this file knows types, ranges, paths, secrets and messages.
 */
#include "core/base/cfgtable.h"

#include <ctype.h>
#include <errno.h>
#include <locale.h>
#include <math.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/base/text.h"
#include <sys/stat.h>
#include <unistd.h>

#include "core/base/text.h"

#define ARRAY_LEN(a)	(sizeof(a) / sizeof((a)[0]))
#define CONFIG_MAX_FILE (1 << 20) /* larger is a mistake */

int cfgtable_why(char *why, size_t n, const char *fmt, ...)
{
	va_list ap;

	if (!why || n == 0)
		return -EINVAL;
	va_start(ap, fmt);
	vsnprintf(why, n, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* ---- paths: "~", $HOME and the XDG base directories ---------------------- */

static const char *home_dir(void)
{
	static char buf[CFGTABLE_PATH_LEN];
	const char *h = getenv("HOME");
	struct passwd pw, *res = NULL;
	char tmp[4096];

	if (h && h[0] == '/')
		return h;
	if (getpwuid_r(getuid(), &pw, tmp, sizeof(tmp), &res) == 0 && res &&
	    res->pw_dir && res->pw_dir[0] == '/' &&
	    strlen(res->pw_dir) < sizeof(buf)) {
		strcpy(buf, res->pw_dir);
		return buf;
	}
	return NULL;
}

/* XDG base directory NAME (spec: ignored unless absolute) into OUT. */
int cfgtable_xdg_dir(const char *name, char *out, size_t n)
{
	static const struct {
		const char *name, *fallback;
	} xdg[] = {
		{ "XDG_DATA_HOME", "/.local/share" },
		{ "XDG_CONFIG_HOME", "/.config" },
		{ "XDG_STATE_HOME", "/.local/state" },
		{ "XDG_CACHE_HOME", "/.cache" },
		{ "HOME", "" },
	};
	const char *v, *home;

	for (size_t i = 0; i < ARRAY_LEN(xdg); i++) {
		if (strcmp(name, xdg[i].name) != 0)
			continue;
		v = getenv(name);
		if (v && v[0] == '/' && i + 1 < ARRAY_LEN(xdg)) {
			if ((size_t)snprintf(out, n, "%s", v) >= n)
				return -ENAMETOOLONG;
			return 0;
		}
		home = home_dir();
		if (!home)
			return -ENOENT;
		if ((size_t)snprintf(out, n, "%s%s", home, xdg[i].fallback) >=
		    n)
			return -ENAMETOOLONG;
		return 0;
	}
	return -EINVAL;
}

/* Expand "~", $NAME and ${NAME} (HOME and XDG_*_HOME only) in IN; a relative
 * result is taken relative to BASE_DIR when one is given. */
static int expand_path(const char *in, const char *base_dir, char *out,
		       size_t n, char *why, size_t whylen)
{
	char tmp[CFGTABLE_PATH_LEN], var[32], val[CFGTABLE_PATH_LEN];
	size_t o = 0;
	const char *p = in;

	if (!*in) {
		out[0] = '\0';
		return 0;
	}
	if (p[0] == '~' && (p[1] == '/' || p[1] == '\0')) {
		if (cfgtable_xdg_dir("HOME", val, sizeof(val)) < 0)
			return cfgtable_why(why, whylen,
					    "cannot find the home "
					    "folder for '~'");
		o = (size_t)snprintf(tmp, sizeof(tmp), "%s", val);
		p++;
	}
	for (; *p && o < sizeof(tmp); p++) {
		size_t vl = 0;
		bool brace;
		int rc;

		if (*p != '$') {
			tmp[o++] = *p;
			continue;
		}
		brace = p[1] == '{';
		p += brace ? 2 : 1;
		while ((isalnum((unsigned char)*p) || *p == '_') &&
		       vl + 1 < sizeof(var))
			var[vl++] = *p++;
		var[vl] = '\0';
		if (brace && *p != '}')
			return cfgtable_why(why, whylen,
					    "unterminated ${ in path");
		if (!brace)
			p--;
		if (vl == 0)
			return cfgtable_why(why, whylen,
					    "'$' without a variable name "
					    "in path");
		rc = cfgtable_xdg_dir(var, val, sizeof(val));
		if (rc == -EINVAL)
			return cfgtable_why(
				why, whylen,
				"unknown variable $%s (use "
				"HOME or XDG_DATA_HOME, XDG_CONFIG_HOME, "
				"XDG_STATE_HOME, XDG_CACHE_HOME)",
				var);
		if (rc < 0)
			return cfgtable_why(why, whylen, "cannot expand $%s",
					    var);
		o += (size_t)snprintf(tmp + o, sizeof(tmp) - o, "%s", val);
	}
	if (o >= sizeof(tmp))
		return cfgtable_why(why, whylen,
				    "path longer than %zu characters",
				    sizeof(tmp) - 1);
	tmp[o] = '\0';
	if (tmp[0] != '/' && base_dir && base_dir[0]) {
		if ((size_t)snprintf(out, n, "%s/%s", base_dir, tmp) >= n)
			return cfgtable_why(why, whylen,
					    "path longer than %zu "
					    "characters",
					    n - 1);
		return 0;
	}
	if (strlen(tmp) >= n)
		return cfgtable_why(why, whylen,
				    "path longer than %zu characters", n - 1);
	strcpy(out, tmp);
	return 0;
}

/* ---- defaults ---------------------------------------------------------- */

void cfgtable_default(const struct cfgtable_opt *o, void *base)
{
	char *f = (char *)base + o->off;
	char why[CFGTABLE_WHY_LEN];
	int n = 0;

	switch (o->type) {
	case CFGT_BOOL:
		if (o->size == sizeof(int))
			*(int *)f = o->def != 0;
		else
			*(bool *)f = o->def != 0;
		break;
	case CFGT_INT:
		*(int *)f = (int)o->def;
		break;
	case CFGT_FLOAT:
		*(double *)f = o->def;
		break;
	case CFGT_STR:
		copy_str(f, o->size, o->def_s);
		break;
	case CFGT_PATH:
		if (expand_path(o->def_s, NULL, f, o->size, why, sizeof(why)) <
		    0)
			copy_str(f, o->size,
				 "bufferbane.db"); /* no home at all */
		break;
	case CFGT_LIST:
		memset(f, 0, o->size * (size_t)o->max_n);
		for (; o->def_list && o->def_list[n]; n++)
			copy_str(f + o->size * (size_t)n, o->size,
				 o->def_list[n]);
		*(int *)((char *)base + o->n_off) = n;
		break;
	case CFGT_CUSTOM:
		break;
	}
}

void cfgtable_defaults(const struct cfgtable_opt *tab, size_t n, void *base)
{
	for (size_t i = 0; i < n; i++)
		cfgtable_default(&tab[i], base);
}

/* ---- loading ----------------------------------------------------------- */

int cfgtable_fail(const struct cfgtable_load *ld, const config_setting_t *s,
		  const char *path, const char *fmt, ...)
{
	char what[CFGTABLE_WHY_LEN + 64];
	const char *file = ld->file;
	int line = s ? config_setting_source_line(s) : 0;
	va_list ap;

	if (s && config_setting_source_file(s))
		file = config_setting_source_file(s);
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	if (!ld->err || ld->errlen == 0)
		return -EINVAL;
	if (line > 0)
		snprintf(ld->err, ld->errlen, "%s:%d: %s: %s", file, line, path,
			 what);
	else
		snprintf(ld->err, ld->errlen, "%s: %s: %s", file, path, what);
	return -EINVAL;
}

/* True when S sits on a line of the main file where the text scan found an
 * integer literal that libconfig wrapped to 32 bits. */
static bool is_wide(const struct cfgtable_load *ld, const config_setting_t *s)
{
	int line = config_setting_source_line(s);

	if (config_setting_source_file(s) &&
	    strcmp(config_setting_source_file(s), ld->file) != 0)
		return false;
	for (int i = 0; i < ld->n_wide; i++)
		if (ld->wide[i] == line)
			return true;
	return false;
}

void cfgtable_fmt_num(char *buf, size_t n, double v)
{
	snprintf(buf, n, "%.15g", v);
	if (strtod(buf, NULL) != v)
		snprintf(buf, n, "%.17g", v);
}

/* VAL NULL: an integer literal libconfig could not hold in 32 bits. */
static int range_fail(const struct cfgtable_load *ld, const config_setting_t *s,
		      const struct cfgtable_opt *o, const char *path,
		      const char *val)
{
	char lo[32], hi[32];

	cfgtable_fmt_num(lo, sizeof(lo), o->min);
	cfgtable_fmt_num(hi, sizeof(hi), o->max);
	return cfgtable_fail(ld, s, path, "%s%s (%s..%s%s%s)", val ? val : "",
			     val ? " is out of range" : "integer too large", lo,
			     hi, o->unit ? " " : "", o->unit ? o->unit : "");
}

static int store_string(const struct cfgtable_load *ld,
			const struct cfgtable_opt *o, const config_setting_t *s,
			const char *path, const char *v, char *dst, size_t size)
{
	char why[CFGTABLE_WHY_LEN], buf[CFGTABLE_PATH_LEN];
	size_t len;

	if (o->type == CFGT_PATH) {
		if (expand_path(v, ld->dir, buf, sizeof(buf), why,
				sizeof(why)) < 0)
			return cfgtable_fail(ld, s, path, "%s", why);
		v = buf;
	}
	len = strlen(v);
	if ((o->flags & CFGT_NONEMPTY) && len == 0)
		return cfgtable_fail(ld, s, path, "must not be empty");
	if (len >= size)
		return cfgtable_fail(ld, s, path,
				     "too long (%zu characters, at most %zu)",
				     len, size - 1);
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)v[i] < 0x20 && o->type != CFGT_STR)
			return cfgtable_fail(ld, s, path,
					     "control character in path");
	if (o->choices) {
		char list[128] = "";
		size_t i;

		for (i = 0; o->choices[i]; i++)
			if (strcmp(v, o->choices[i]) == 0)
				break;
		if (!o->choices[i]) {
			for (i = 0; o->choices[i]; i++)
				snprintf(list + strlen(list),
					 sizeof(list) - strlen(list), "%s%s",
					 i ? ", " : "", o->choices[i]);
			return cfgtable_fail(ld, s, path,
					     "\"%.40s\" is not one of: %s", v,
					     list);
		}
	}
	if (o->check && o->check(v, why, sizeof(why)) < 0)
		return cfgtable_fail(ld, s, path, "%s", why);
	copy_str(dst, size, v);
	return 0;
}

/* libconfig's scanner copies every string literal into buffers it frees
 * unwiped, out of our reach; so an inline secret never gets to it.  Each
 * `shared_secret = "..."` of the main file's text has its value moved to
 * ld->masked[i] and replaced, length kept, by a placeholder: \x01, 'A' + i,
 * then \x01s (no configuration holds a \x01).  Values with escapes, line
 * breaks or of one character stay as they are (an invalid secret anyway),
 * and so does a secret in an @include, which libconfig reads itself. */
static void mask_secrets(struct cfgtable_load *ld, char *text)
{
	static const char key[] = "shared_secret";
	const size_t klen = sizeof(key) - 1;
	char *p = text;

	/* libconfig's lexis, enough to find names outside strings and
	 * comments (#, //, slash-star) */
	while (*p) {
		if (*p == '"') {
			for (p++; *p && *p != '"'; p++)
				if (*p == '\\' && p[1])
					p++;
			p += *p == '"';
			continue;
		}
		if (*p == '#' || (p[0] == '/' && p[1] == '/')) {
			p += strcspn(p, "\n");
			continue;
		}
		if (p[0] == '/' && p[1] == '*') {
			char *e = strstr(p + 2, "*/");
			p = e ? e + 2 : p + strlen(p);
			continue;
		}
		if (!isalpha((unsigned char)*p) && *p != '_' && *p != '*') {
			p++;
			continue;
		}
		char *name = p;
		while (isalnum((unsigned char)*p) || *p == '_' || *p == '-' ||
		       *p == '*')
			p++;
		if ((size_t)(p - name) != klen || strncmp(name, key, klen))
			continue;
		char *q = p + strspn(p, " \t\r\n"), *v;
		if (*q != '=' && *q != ':')
			continue;
		q++;
		q += strspn(q, " \t\r\n");
		if (*q != '"')
			continue;
		v = q + 1;
		size_t n = strcspn(v, "\"\\\n");
		if (v[n] != '"' || n < 2 || n >= sizeof(ld->masked[0]) ||
		    ld->n_masked >= (int)ARRAY_LEN(ld->masked))
			continue; /* the string is skipped as such next */
		memcpy(ld->masked[ld->n_masked], v, n);
		ld->masked[ld->n_masked][n] = '\0';
		memset(v, '\x01', n);
		v[1] = (char)('A' + ld->n_masked++);
		p = v + n + 1;
	}
}

/* A shared_secret setting: its value from ld->masked when libconfig holds
 * a placeholder. */
int cfgtable_string(struct cfgtable_load *ld, const config_setting_t *s,
		    const char *path, const char **out)
{
	const char *v = config_setting_get_string(s);
	size_t n = strlen(v);
	int i = n >= 2 && v[0] == '\x01' ? v[1] - 'A' : -1;

	if (i >= 0 && i < ld->n_masked && strlen(ld->masked[i]) == n &&
	    strspn(v + 2, "\x01") == n - 2)
		v = ld->masked[i];
	else if (strchr(v, '\x01'))
		return cfgtable_fail(ld, s, path,
				     "write the secret as one \"...\"");
	*out = v;
	return 0;
}

/* A shared_secret setting: its value from ld->masked when libconfig holds
 * a placeholder. */
static int store_secret(struct cfgtable_load *ld, const struct cfgtable_opt *o,
			const config_setting_t *s, const char *path, char *dst)
{
	const char *v;
	int rc = cfgtable_string(ld, s, path, &v);

	return rc < 0 ? rc : store_string(ld, o, s, path, v, dst, o->size);
}

int cfgtable_load_value(struct cfgtable_load *ld, const struct cfgtable_opt *o,
			const config_setting_t *s, const char *path, void *base)
{
	char *f = (char *)base + o->off;
	int type = config_setting_type(s);
	bool is_int = type == CONFIG_TYPE_INT || type == CONFIG_TYPE_INT64;
	char num[32];
	int rc;

	switch (o->type) {
	case CFGT_BOOL:
		if (type != CONFIG_TYPE_BOOL)
			return cfgtable_fail(ld, s, path,
					     "expected true or false");
		if (o->size == sizeof(int))
			*(int *)f = config_setting_get_bool(s);
		else
			*(bool *)f = config_setting_get_bool(s);
		return 0;
	case CFGT_INT: {
		long long v;

		if (!is_int)
			return cfgtable_fail(ld, s, path,
					     "expected an integer");
		v = config_setting_get_int64(s);
		if (is_wide(ld, s))
			return range_fail(ld, s, o, path, NULL);
		if (v < (long long)o->min || v > (long long)o->max) {
			snprintf(num, sizeof(num), "%lld", v);
			return range_fail(ld, s, o, path, num);
		}
		*(int *)f = (int)v;
		return 0;
	}
	case CFGT_FLOAT: {
		double v;

		if (!is_int && type != CONFIG_TYPE_FLOAT)
			return cfgtable_fail(ld, s, path, "expected a number");
		if (is_int && is_wide(ld, s))
			return range_fail(ld, s, o, path, NULL);
		v = is_int ? (double)config_setting_get_int64(s)
			   : config_setting_get_float(s);
		if (!isfinite(v) || v < o->min || v > o->max) {
			cfgtable_fmt_num(num, sizeof(num), v);
			return range_fail(ld, s, o, path, num);
		}
		*(double *)f = v;
		return 0;
	}
	case CFGT_STR:
	case CFGT_PATH:
		if (type != CONFIG_TYPE_STRING)
			return cfgtable_fail(ld, s, path, "expected a string");
		if (o->flags & CFGT_SECRET)
			return store_secret(ld, o, s, path, f);
		return store_string(ld, o, s, path,
				    config_setting_get_string(s), f, o->size);
	case CFGT_LIST: {
		int n;

		if (type != CONFIG_TYPE_ARRAY && type != CONFIG_TYPE_LIST)
			return cfgtable_fail(ld, s, path,
					     "expected a list of strings "
					     "[ \"...\", ... ]");
		n = config_setting_length(s);
		if (n > o->max_n)
			return cfgtable_fail(ld, s, path,
					     "%d entries, at most %d", n,
					     o->max_n);
		memset(f, 0, o->size * (size_t)o->max_n);
		for (int i = 0; i < n; i++) {
			const config_setting_t *e =
				config_setting_get_elem(s, (unsigned)i);
			char epath[96];

			snprintf(epath, sizeof(epath), "%s[%d]", path, i);
			if (config_setting_type(e) != CONFIG_TYPE_STRING)
				return cfgtable_fail(ld, e, epath,
						     "expected a string");
			rc = store_string(ld, o, e, epath,
					  config_setting_get_string(e),
					  f + o->size * (size_t)i, o->size);
			if (rc < 0)
				return rc;
		}
		*(int *)((char *)base + o->n_off) = n;
		return 0;
	}
	case CFGT_CUSTOM:
		return o->load(ld, o, s, path, base);
	}
	return -EINVAL;
}

const struct cfgtable_opt *cfgtable_find(const struct cfgtable_opt *tab,
					 size_t n, const char *section,
					 const char *key)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(tab[i].section, section) == 0 &&
		    strcmp(tab[i].key, key) == 0)
			return &tab[i];
	return NULL;
}

const struct cfgtable_opt *cfgtable_find_path(const struct cfgtable *tab,
					      const char *path)
{
	const char *dot = strrchr(path, '.');
	char sec[64];

	if (!dot)
		return cfgtable_find(tab->opts, tab->n_opts, "", path);
	if ((size_t)(dot - path) >= sizeof(sec))
		return NULL;
	memcpy(sec, path, (size_t)(dot - path));
	sec[dot - path] = '\0';
	return cfgtable_find(tab->opts, tab->n_opts, sec, dot + 1);
}

static const char *last_part(const char *path)
{
	const char *dot = strrchr(path, '.');

	return dot ? dot + 1 : path;
}

/* How far CAND is from PATH: the whole path, or the last name alone plus
 * one for being in another section (a key put in the wrong section). */
static size_t path_distance(const char *path, const char *cand)
{
	size_t d = text_edit_distance(path, cand);
	size_t k = text_edit_distance(last_part(path), last_part(cand));

	if (k != (size_t)-1 && k + 1 < d)
		d = k + 1;
	return d;
}

/* Whether WORD is one or more whole '_'-separated words of NAME ("servers"
 * in "dns_servers"), and long enough to mean something. */
static bool word_of(const char *word, const char *name)
{
	size_t wl = strlen(word);

	if (wl < 4)
		return false;
	for (const char *p = strstr(name, word); p; p = strstr(p + 1, word))
		if ((p == name || p[-1] == '_') &&
		    (p[wl] == '\0' || p[wl] == '_'))
			return true;
	return false;
}

/* The length of PATH's section ("tests.dns" of "tests.dns.servers"). */
static size_t parent_len(const char *path)
{
	const char *dot = strrchr(path, '.');

	return dot ? (size_t)(dot - path) : 0;
}

const char *cfgtable_suggest(const struct cfgtable *tab, const char *path,
			     char *buf, size_t n)
{
	size_t best = (size_t)-1, len = strlen(last_part(path));
	/* close enough to be the same word: an edit per three letters */
	size_t limit = len / 3 > 1 ? len / 3 : 1;
	size_t plen = parent_len(path);
	bool same_best = false;
	char cand[96];

	buf[0] = '\0';
	for (size_t i = 0; i < tab->n_opts + tab->n_sections; i++) {
		size_t d;
		bool same;

		if (i < tab->n_opts)
			snprintf(cand, sizeof(cand), "%s%s%s",
				 tab->opts[i].section,
				 tab->opts[i].section[0] ? "." : "",
				 tab->opts[i].key);
		else
			snprintf(cand, sizeof(cand), "%s",
				 tab->sections[i - tab->n_opts]);
		if (strcmp(cand, path) == 0)
			continue;
		/* a name valid at that place comes first: a typo of it, or
		 * a word of it ("servers" for "dns_servers") */
		same = parent_len(cand) == plen && !strncmp(cand, path, plen);
		if (same) {
			const char *a = last_part(path), *b = last_part(cand);

			d = text_edit_distance(a, b);
			if (d > limit && (word_of(a, b) || word_of(b, a)))
				d = limit + (strlen(a) > strlen(b)
						     ? strlen(a) - strlen(b)
						     : strlen(b) - strlen(a));
			else if (d > limit)
				continue;
		} else {
			/* a key put in the wrong section, never a top-level
			 * name for one inside a section */
			if (same_best || (plen && !parent_len(cand)))
				continue;
			d = path_distance(path, cand);
			if (d > limit)
				continue;
		}
		if (d < best || (same && !same_best)) {
			best = d;
			same_best = same;
			snprintf(buf, n, "%s", cand);
		}
	}
	return buf[0] ? buf : NULL;
}

const char *cfgtable_advice_for(const struct cfgtable *tab, const char *path)
{
	for (size_t i = 0; tab->advice && i < tab->n_advice; i++)
		if (strcmp(tab->advice[i].path, path) == 0)
			return tab->advice[i].advice;
	return NULL;
}

/* The first setting under an unknown group G (a section of another
 * version) that has advice of its own, or NULL. */
static config_setting_t *advised_member(const struct cfgtable *tab,
					config_setting_t *g, const char *path,
					const char **advice)
{
	for (int i = 0;
	     config_setting_is_group(g) && i < config_setting_length(g); i++) {
		config_setting_t *m = config_setting_get_elem(g, (unsigned)i);
		char sub[224];

		snprintf(sub, sizeof(sub), "%s.%s", path,
			 config_setting_name(m));
		if ((*advice = cfgtable_advice_for(tab, sub)))
			return m;
	}
	return NULL;
}

/* A setting the table does not know: what it was in the original
 * templates, or the nearest known name, or just "unknown". */
static int unknown(struct cfgtable_load *ld, config_setting_t *m,
		   const char *path)
{
	const char *what = config_setting_is_group(m) ? "section" : "key";
	const char *advice = cfgtable_advice_for(ld->tab, path), *near;
	config_setting_t *sub;
	char buf[224];

	if (advice)
		return cfgtable_fail(ld, m, path, "not a Bufferbane %s: %s",
				     what, advice);
	sub = advised_member(ld->tab, m, path, &advice);
	if (sub) {
		snprintf(buf, sizeof(buf), "%s.%s", path,
			 config_setting_name(sub));
		return cfgtable_fail(ld, sub, buf, "not a Bufferbane key: %s",
				     advice);
	}
	near = cfgtable_suggest(ld->tab, path, buf, sizeof(buf));
	if (near)
		return cfgtable_fail(ld, m, path,
				     "unknown %s; did you mean '%s'?", what,
				     near);
	return cfgtable_fail(ld, m, path, "unknown %s", what);
}

static bool is_section(const struct cfgtable *tab, const char *path)
{
	for (size_t i = 0; i < tab->n_sections; i++)
		if (strcmp(tab->sections[i], path) == 0)
			return true;
	return false;
}

/* Overwrite inline secrets (shared_secret, at any depth) inside libconfig's
 * tree before it is freed. */
static void wipe_tree(config_setting_t *g)
{
	for (int i = 0; g && i < config_setting_length(g); i++) {
		config_setting_t *m = config_setting_get_elem(g, (unsigned)i);
		const char *name = config_setting_name(m);

		if (config_setting_is_aggregate(m))
			wipe_tree(m);
		else if (name && strcmp(name, "shared_secret") == 0 &&
			 config_setting_type(m) == CONFIG_TYPE_STRING)
			explicit_bzero((char *)config_setting_get_string(m),
				       strlen(config_setting_get_string(m)));
	}
}

void cfgtable_release(config_t *cf)
{
	wipe_tree(config_root_setting(cf));
	config_destroy(cf);
}

/* An inline secret is as secret as the key file it replaces: refused in a
 * file group or others can access, as key_load_file refuses such a key
 * file.  k is the setting, in the main file or an @include. */
int cfgtable_check_secret_mode(const struct cfgtable_load *ld,
			       const config_setting_t *k, const char *path)
{
	const char *file = config_setting_source_file(k);
	char full[2 * CFGTABLE_PATH_LEN] = "";
	mode_t mode = ld->mode;
	struct stat st;

	if (file && strcmp(file, ld->file) != 0) {
		/* libconfig names an @include as written: relative to the
		 * include folder, the main file's */
		snprintf(full, sizeof(full), "%s%s%s",
			 file[0] != '/' && ld->dir[0] ? ld->dir : "",
			 file[0] != '/' && ld->dir[0] ? "/" : "", file);
		if (stat(full, &st) < 0)
			return cfgtable_fail(ld, k, path, "%s: %s", full,
					     strerror(errno));
		mode = st.st_mode;
	}
	if (!(mode & (S_IRWXG | S_IRWXO)))
		return 0;
	return cfgtable_fail(
		ld, k, path,
		"an inline secret in a file group or others can read "
		"(mode %04o); run: chmod 600 %s, or put the key in a file "
		"of its own and give shared_secret_file",
		(unsigned)(mode & 07777), full[0] ? full : ld->file);
}

static int walk(struct cfgtable_load *ld, config_setting_t *g,
		const char *prefix, void *base)
{
	for (int i = 0; i < config_setting_length(g); i++) {
		config_setting_t *m = config_setting_get_elem(g, (unsigned)i);
		const char *name = config_setting_name(m);
		const struct cfgtable_opt *o;
		char path[96];
		int rc;

		snprintf(path, sizeof(path), "%s%s%s", prefix ? prefix : "",
			 prefix ? "." : "", name);
		if ((o = cfgtable_find_path(ld->tab, path))) {
			ld->lines[o - ld->tab->opts] =
				(unsigned)config_setting_source_line(m);
			rc = cfgtable_load_value(ld, o, m, path, base);
		} else if (is_section(ld->tab, path)) {
			if (!config_setting_is_group(m))
				return cfgtable_fail(ld, m, path,
						     "expected a section "
						     "{ ... }");
			rc = walk(ld, m, path, base);
		} else {
			rc = unknown(ld, m, path);
		}
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* Find decimal or hex integer literals outside strings and comments that
 * libconfig 1.5 would silently wrap to 32 bits (no L suffix). */
static void scan_wide(struct cfgtable_load *ld, const char *t)
{
	int line = 1;

	for (const char *p = t; *p; p++) {
		if (*p == '\n') {
			line++;
		} else if (*p == '#' || *p == '@' ||
			   (p[0] == '/' && p[1] == '/')) {
			while (p[1] && p[1] != '\n')
				p++;
		} else if (p[0] == '/' && p[1] == '*') {
			for (p += 2; *p && !(p[0] == '*' && p[1] == '/'); p++)
				if (*p == '\n')
					line++;
			if (!*p)
				return;
			p++;
		} else if (*p == '"') {
			for (p++; *p && *p != '"'; p++)
				if (p[0] == '\\' && p[1])
					p++;
			if (!*p)
				return;
		} else if (isalpha((unsigned char)*p) || *p == '_' ||
			   *p == '*') {
			while (isalnum((unsigned char)p[1]) || p[1] == '_' ||
			       p[1] == '-' || p[1] == '*')
				p++;
		} else if (isdigit((unsigned char)*p)) {
			const char *s = p;
			bool hex = p[0] == '0' && (p[1] == 'x' || p[1] == 'X');
			bool flt = false, wide;
			size_t digits;

			while (isalnum((unsigned char)p[1]) || p[1] == '.' ||
			       ((p[1] == '-' || p[1] == '+') && !hex &&
				(p[0] == 'e' || p[0] == 'E')))
				p++;
			for (const char *q = s; q <= p; q++)
				if (*q == '.' ||
				    (!hex && (*q == 'e' || *q == 'E')))
					flt = true;
			if (flt || *p == 'L')
				continue;
			if (hex) {
				s += 2;
				while (*s == '0' && s < p)
					s++;
				wide = p - s + 1 > 8;
			} else {
				while (*s == '0' && s < p)
					s++;
				digits = (size_t)(p - s + 1);
				wide = digits > 10 ||
				       (digits == 10 &&
					strncmp(s, "2147483648", 10) >= 0);
			}
			if (wide && ld->n_wide < CFGTABLE_MAX_WIDE)
				ld->wide[ld->n_wide++] = line;
		}
	}
}

static int read_text(const char *path, char **out, mode_t *mode, char *err,
		     size_t errlen)
{
	FILE *fp = fopen(path, "r");
	struct stat st;
	char *buf = NULL;
	size_t len = 0;
	int rc = 0;

	if (!fp) {
		rc = -errno;
		snprintf(err, errlen, "%s: %s", path, strerror(-rc));
		return rc;
	}
	/* unbuffered: stdio's buffer would be freed by fclose holding the
	 * text (an inline secret) unwiped; fread fills buf directly */
	setvbuf(fp, NULL, _IONBF, 0);
	if (fstat(fileno(fp), &st) < 0) {
		rc = -errno;
		snprintf(err, errlen, "%s: %s", path, strerror(-rc));
		goto out;
	}
	*mode = st.st_mode;
	if (S_ISDIR(st.st_mode)) {
		rc = -EISDIR;
		snprintf(err, errlen, "%s: is a folder, not a file", path);
		goto out;
	}
	buf = malloc(CONFIG_MAX_FILE + 1);
	if (!buf) {
		rc = -ENOMEM;
		snprintf(err, errlen, "%s: out of memory", path);
		goto out;
	}
	len = fread(buf, 1, CONFIG_MAX_FILE + 1, fp);
	if (ferror(fp)) {
		rc = -EIO;
		snprintf(err, errlen, "%s: read error", path);
		goto out;
	}
	if (len > CONFIG_MAX_FILE) {
		rc = -EFBIG;
		snprintf(err, errlen, "%s: larger than %d bytes", path,
			 CONFIG_MAX_FILE);
		goto out;
	}
	if (memchr(buf, '\0', len)) {
		rc = -EINVAL;
		snprintf(err, errlen, "%s: contains a NUL byte", path);
		goto out;
	}
	buf[len] = '\0';
	*out = buf;
	buf = NULL;
out:
	if (buf)
		explicit_bzero(buf, len); /* a refused file may hold a secret */
	free(buf);
	fclose(fp);
	return rc;
}

static int parse_text(struct cfgtable_load *ld, config_t *cf, const char *text,
		      void *base)
{
	locale_t cloc = newlocale(LC_ALL_MASK, "C", (locale_t)0), old = 0;
	int rc;

	if (ld->dir[0])
		config_set_include_dir(cf, ld->dir);
	if (cloc)
		old = uselocale(cloc); /* libconfig's strtod: "0.5", always */
	rc = config_read_string(cf, text) == CONFIG_TRUE ? 0 : -EINVAL;
	if (cloc) {
		uselocale(old);
		freelocale(cloc);
	}
	if (rc < 0) {
		const char *what = config_error_text(cf);

		if (!what || strcmp(what, "syntax error") == 0)
			what = "unexpected text (a missing ';', '=', quote or "
			       "brace here or just above?)";
		snprintf(ld->err, ld->errlen, "%s:%d: syntax error: %s",
			 config_error_file(cf) ? config_error_file(cf)
					       : ld->file,
			 config_error_line(cf), what);
		return rc;
	}
	scan_wide(ld, text);
	return walk(ld, config_root_setting(cf), NULL, base);
}

int cfgtable_load_file(struct cfgtable_load *ld, const struct cfgtable *tab,
		       const char *file, config_t *cf, void *base, char *err,
		       size_t errlen)
{
	char *text = NULL, *slash;
	int rc;

	config_init(cf);
	memset(ld, 0, sizeof(*ld));
	ld->tab = tab;
	ld->file = file;
	ld->err = err;
	ld->errlen = errlen;
	if (tab->n_opts > CFGTABLE_MAX_OPTS) {
		snprintf(err, errlen, "%s: table of %zu keys, at most %d", file,
			 tab->n_opts, CFGTABLE_MAX_OPTS);
		return -E2BIG;
	}
	snprintf(ld->dir, sizeof(ld->dir), "%s", file);
	slash = strrchr(ld->dir, '/');
	if (slash)
		slash[slash == ld->dir ? 1 : 0] = '\0';
	else
		ld->dir[0] = '\0';
	rc = read_text(file, &text, &ld->mode, err, errlen);
	if (rc < 0)
		return rc;
	mask_secrets(ld, text);
	rc = parse_text(ld, cf, text, base);
	explicit_bzero(text, strlen(text));
	free(text);
	return rc;
}

static void print_quoted(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch == '"' || ch == '\\')
			fprintf(f, "\\%c", ch);
		else if (ch < 0x20 || ch == 0x7f)
			fprintf(f, "\\x%02x", ch);
		else
			fputc(ch, f);
	}
	fputc('"', f);
}

void cfgtable_print_opt(FILE *f, const struct cfgtable_opt *o, const void *base,
			int depth)
{
	const char *v = (const char *)base + o->off;
	char num[40];
	int n;

	if (o->type == CFGT_CUSTOM)
		return; /* its owner prints it */
	fprintf(f, "%*s%s = ", depth * 2, "", o->key);
	switch (o->type) {
	case CFGT_BOOL:
		fputs((o->size == sizeof(int) ? *(const int *)v
					      : *(const bool *)v)
			      ? "true"
			      : "false",
		      f);
		break;
	case CFGT_INT:
		fprintf(f, "%d", *(const int *)v);
		break;
	case CFGT_FLOAT:
		cfgtable_fmt_num(num, sizeof(num), *(const double *)v);
		if (!strpbrk(num, ".e"))
			strcat(num, ".0");
		fputs(num, f);
		break;
	case CFGT_STR:
	case CFGT_PATH:
		print_quoted(f, v);
		break;
	case CFGT_LIST:
		n = *(const int *)((const char *)base + o->n_off);
		fputc('[', f);
		for (int i = 0; i < n; i++) {
			fputs(i ? ", " : " ", f);
			print_quoted(f, v + o->size * (size_t)i);
		}
		fputs(" ]", f);
		break;
	case CFGT_CUSTOM:
		break;
	}
	fputs(";\n", f);
}
