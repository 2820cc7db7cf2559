/* SPDX-License-Identifier: MIT */
/*
 * The one string copy for fixed char arrays: samples, events and the
 * configuration all keep text in arrays that cross rings and files by value;
 * and the one HTML escape of the documents we write (reports, charts).
 */
#ifndef BB_TEXT_H
#define BB_TEXT_H

#include <stddef.h>
#include <stdio.h>
#include <string.h>

/* src into dst[size], cut to fit; the rest of dst is zeroed so the array
 * holds no stale bytes (rows compare and store byte for byte). */
static inline void copy_str(char *dst, size_t size, const char *src)
{
	size_t n = strnlen(src, size - 1);

	memcpy(dst, src, n);
	memset(dst + n, 0, size - n);
}

/* Levenshtein distance of a and b, for "did you mean" (commands, config
 * keys); (size_t)-1 when either is 96 characters or longer. */
size_t text_edit_distance(const char *a, const char *b);
/* s as HTML text or attribute value: & < > " ' as entities. */
void text_html(FILE *f, const char *s);

#endif
