/* SPDX-License-Identifier: MIT */
/*
 * Shared-secret handling.  Invariants: every buffer that held key material
 * (file contents, hex text) is wiped with sodium_memzero before returning,
 * on success and on failure; a key file is refused unless it is a regular
 * file owned by the effective user or root with no group/other permission
 * bits (the rule ssh applies to private keys); error messages name the
 * problem and the file, never a key byte.
 */
#include "proto/key.h"

#include "proto/bytes.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

/* Largest key file we read: 64 digits and generous whitespace. */
#define KEY_FILE_MAX 512

__attribute__((format(printf, 3, 4))) static void
seterr(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || !errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* Decode exactly KEY_HEX_LEN digits at hex (length n) into key. */
static int parse_n(const char *hex, size_t n, uint8_t key[static KEY_LEN],
		   char *err, size_t errlen)
{
	uint8_t tmp[KEY_LEN];

	if (n != KEY_HEX_LEN) {
		seterr(err, errlen, "key must be %d hex characters, got %zu",
		       KEY_HEX_LEN, n);
		return -EINVAL;
	}
	for (size_t i = 0; i < KEY_LEN; i++) {
		int hi = hex_digit(hex[2 * i]), lo = hex_digit(hex[2 * i + 1]);

		if (hi < 0 || lo < 0) {
			seterr(err, errlen,
			       "key character %zu is not a hex digit",
			       2 * i + (hi < 0 ? 1 : 2));
			sodium_memzero(tmp, sizeof(tmp));
			return -EINVAL;
		}
		tmp[i] = (uint8_t)(hi << 4 | lo);
	}
	memcpy(key, tmp, KEY_LEN);
	sodium_memzero(tmp, sizeof(tmp));
	return 0;
}

int key_parse_hex(const char *hex, uint8_t key[static KEY_LEN], char *err,
		  size_t errlen)
{
	if (!hex) {
		seterr(err, errlen, "no key given");
		return -EINVAL;
	}
	return parse_n(hex, strlen(hex), key, err, errlen);
}

static int is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

int key_load_file(const char *path, uint8_t key[static KEY_LEN], char *err,
		  size_t errlen)
{
	char buf[KEY_FILE_MAX + 1];
	struct stat st;
	size_t n = 0, b, e;
	int fd, rc;

	/* O_NONBLOCK: a FIFO must not hang us before S_ISREG refuses it. */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		rc = -errno;
		seterr(err, errlen, "%s: %s", path, strerror(-rc));
		return rc;
	}
	if (fstat(fd, &st) < 0) {
		rc = -errno;
		seterr(err, errlen, "%s: %s", path, strerror(-rc));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		rc = -EINVAL;
		seterr(err, errlen, "%s: not a regular file", path);
		goto out;
	}
	if (st.st_mode & (S_IRWXG | S_IRWXO)) {
		rc = -EPERM;
		seterr(err, errlen,
		       "%s: key file is accessible by group or others "
		       "(mode %04o); run: chmod 600 %s",
		       path, (unsigned)(st.st_mode & 07777), path);
		goto out;
	}
	if (st.st_uid != geteuid() && st.st_uid != 0) {
		rc = -EPERM;
		seterr(err, errlen,
		       "%s: key file is owned by uid %u, not by us or root",
		       path, (unsigned)st.st_uid);
		goto out;
	}
	for (;;) {
		ssize_t r = read(fd, buf + n, sizeof(buf) - n);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			rc = -errno;
			seterr(err, errlen, "%s: %s", path, strerror(-rc));
			goto out;
		}
		if (r == 0)
			break;
		n += (size_t)r;
		if (n == sizeof(buf)) {
			rc = -EINVAL;
			seterr(err, errlen, "%s: larger than %d bytes", path,
			       KEY_FILE_MAX);
			goto out;
		}
	}
	for (b = 0; b < n && is_space(buf[b]); b++)
		;
	for (e = n; e > b && is_space(buf[e - 1]); e--)
		;
	for (size_t i = b; i < e; i++) {
		if (buf[i] == '\0') {
			rc = -EINVAL;
			seterr(err, errlen, "%s: contains a NUL byte", path);
			goto out;
		}
	}
	rc = parse_n(buf + b, e - b, key, err, errlen);
	if (rc < 0 && err && errlen) {
		char why[96];

		snprintf(why, sizeof(why), "%s", err);
		seterr(err, errlen, "%s: %s", path, why);
	}
out:
	sodium_memzero(buf, sizeof(buf));
	close(fd);
	return rc;
}

void key_format_hex(const uint8_t key[static KEY_LEN],
		    char out[static KEY_HEX_LEN + 1])
{
	sodium_bin2hex(out, KEY_HEX_LEN + 1, key, KEY_LEN);
}

void key_wipe(uint8_t key[static KEY_LEN])
{
	sodium_memzero(key, KEY_LEN);
}

void key_generate(uint8_t key[static KEY_LEN])
{
	randombytes_buf(key, KEY_LEN);
}
