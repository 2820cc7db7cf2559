/* SPDX-License-Identifier: MIT */
/*
 * A table-driven libconfig loader shared by the client (core/base/config.c)
 * and the server (server/srvconf.c): tmux's options-table.c idea.  A caller
 * lists its keys as rows {section, key, type, offset and size in its struct,
 * min, max, unit, default}; this module fills the defaults, reads the file
 * (size limit, no NUL, C locale, @include relative to the file), walks the
 * tree and stores each value after checking its type, range, choices and
 * syntax, and prints a struct back as libconfig text.  The walk follows the
 * file, not the table, so a key the table does not know -- a typo -- is an
 * error with its line, naming the nearest known key ("did you mean"), or
 * what to use instead when it is a key of the original templates.
 *
 * Every error reads "FILE:LINE: section.key: what", with the range and unit
 * where a number is refused.  libconfig 1.5 wraps integers that do not fit in
 * 32 bits without saying so; a scan of the text finds such literals first.
 * Inline secrets (keys named shared_secret) are lifted out of the text before
 * libconfig copies it into buffers it frees unwiped.
 */
#ifndef BB_CFGTABLE_H
#define BB_CFGTABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>

#include <libconfig.h>

#define CFGTABLE_PATH_LEN    512 /* a path after expansion */
#define CFGTABLE_WHY_LEN     192 /* a reason from a check */
#define CFGTABLE_MAX_OPTS    256 /* rows of one table */
#define CFGTABLE_MAX_SECRETS 16	 /* inline secrets in one file */
#define CFGTABLE_MAX_WIDE    32	 /* lines with a wrapped integer */

enum cfgtable_type {
	CFGT_BOOL,   /* bool or int field */
	CFGT_INT,    /* int, min..max */
	CFGT_FLOAT,  /* double, min..max; an integer literal is accepted */
	CFGT_STR,    /* char[size]; choices and check apply */
	CFGT_PATH,   /* char[size]; "~", $HOME, $XDG_*_HOME, file-relative */
	CFGT_LIST,   /* char[max_n][size] of strings, count at n_off */
	CFGT_CUSTOM, /* the row's load function does everything */
};

enum { CFGT_NONEMPTY = 1, CFGT_SECRET = 2 };

struct cfgtable_load;
struct cfgtable_opt;

/* 0, or -EINVAL with a reason in why. */
typedef int (*cfgtable_check_fn)(const char *v, char *why, size_t whylen);
/* Store setting s (called path in messages) into base. */
typedef int (*cfgtable_load_fn)(struct cfgtable_load *ld,
				const struct cfgtable_opt *o,
				const config_setting_t *s, const char *path,
				void *base);

struct cfgtable_opt {
	const char *section; /* "general", "tests.dns"; "" = top level */
	const char *key;
	enum cfgtable_type type;
	size_t off;   /* field offset in the struct */
	size_t size;  /* field size; for a list, one entry's size */
	size_t n_off; /* list: offset of its count */
	int max_n;    /* list: capacity */
	double min, max;
	const char *unit;
	double def;		     /* bool, int, float */
	const char *def_s;	     /* string, path */
	const char *const *def_list; /* list, NULL-terminated */
	const char *const *choices;  /* allowed words, NULL-terminated */
	cfgtable_check_fn check;
	cfgtable_load_fn load; /* CFGT_CUSTOM */
	unsigned flags;
};

/* A key or section of another version (the original templates) that a
 * user may paste: refused with what to use instead. */
struct cfgtable_advice {
	const char *path; /* "output.use_colors", or a section "server" */
	const char *advice;
};

struct cfgtable {
	const struct cfgtable_opt *opts;
	size_t n_opts;
	const char *const *sections; /* known sections, in print order */
	size_t n_sections;
	const struct cfgtable_advice *advice; /* may be NULL */
	size_t n_advice;
};

/* One load in progress; callers of a custom row read file, dir and mode. */
struct cfgtable_load {
	const struct cfgtable *tab;
	const char *file;	     /* for messages */
	char dir[CFGTABLE_PATH_LEN]; /* its folder, for relative paths */
	char *err;
	size_t errlen;
	mode_t mode;			   /* of the main file as read */
	unsigned lines[CFGTABLE_MAX_OPTS]; /* where each row was set, 0 */
	int wide[CFGTABLE_MAX_WIDE];
	int n_wide;
	/* inline secrets lifted out of the text; wiped with the struct */
	char masked[CFGTABLE_MAX_SECRETS][256];
	int n_masked;
};

#define CFGTABLE_FIELD(T, f) .off = offsetof(T, f), .size = sizeof(((T *)0)->f)

/* Reset row o's field in base to its default. */
void cfgtable_default(const struct cfgtable_opt *o, void *base);
/* Every row's default. */
void cfgtable_defaults(const struct cfgtable_opt *tab, size_t n, void *base);

/* Read FILE for ld (which it resets) and parse it into base with ld->tab.
 * 0, or -errno with "FILE:LINE: path: what" in err.  Leaves *cf holding
 * the parsed tree for checks across keys; release it with
 * cfgtable_release(). */
int cfgtable_load_file(struct cfgtable_load *ld, const struct cfgtable *tab,
		       const char *file, config_t *cf, void *base, char *err,
		       size_t errlen);
/* Wipe inline secrets in cf's tree, then free it. */
void cfgtable_release(config_t *cf);

/* Store setting s by row o (what the walk does for each known key). */
int cfgtable_load_value(struct cfgtable_load *ld, const struct cfgtable_opt *o,
			const config_setting_t *s, const char *path,
			void *base);
/* The string value of s, an inline secret restored from the mask. */
int cfgtable_string(struct cfgtable_load *ld, const config_setting_t *s,
		    const char *path, const char **out);
/* -EINVAL unless the file holding s (main file or an @include) is closed
 * to group and others, as a key file must be. */
int cfgtable_check_secret_mode(const struct cfgtable_load *ld,
			       const config_setting_t *s, const char *path);
/* Row of tab named section.key, or NULL. */
const struct cfgtable_opt *cfgtable_find(const struct cfgtable_opt *tab,
					 size_t n, const char *section,
					 const char *key);
/* Row of ld->tab for "section.key" ("key" at the top level), or NULL. */
const struct cfgtable_opt *cfgtable_find_path(const struct cfgtable *tab,
					      const char *path);

/* The known key or section nearest to PATH: one valid in PATH's own
 * section first (a typo, or a name with PATH as one of its words:
 * "servers" -> "dns_servers"), else a key of another section by edit
 * distance (a key in the wrong section; never a top-level name for a
 * nested PATH), or NULL when none is close. */
const char *cfgtable_suggest(const struct cfgtable *tab, const char *path,
			     char *buf, size_t n);
/* Advice for PATH, a key of another version, or NULL. */
const char *cfgtable_advice_for(const struct cfgtable *tab, const char *path);

/* Write "FILE:LINE: path: what" into ld->err; returns -EINVAL. */
int cfgtable_fail(const struct cfgtable_load *ld, const config_setting_t *s,
		  const char *path, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* Write a reason into why; returns -EINVAL (for check functions). */
int cfgtable_why(char *why, size_t n, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* v, shortest text that reads back the same. */
void cfgtable_fmt_num(char *buf, size_t n, double v);
/* XDG base directory NAME (HOME, XDG_CONFIG_HOME, ...) into out. */
int cfgtable_xdg_dir(const char *name, char *out, size_t n);

/* Row o's value in base as "key = value;\n", indented by depth. */
void cfgtable_print_opt(FILE *f, const struct cfgtable_opt *o, const void *base,
			int depth);

#endif
