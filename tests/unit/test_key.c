/* SPDX-License-Identifier: MIT */
/*
 * Tests for proto/key: hex parsing (good, bad digit, wrong length), format
 * round trip, key files (mode 0600/0400 accepted; any group/other bit
 * refused with a clear message; missing, directory, bad contents), wipe
 * and generation.  Key files live in a private mkdtemp folder.
 */
#include "proto/key.h"

#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <sodium.h>

static const char HEX[] = "000102030405060708090a0b0c0d0e0f"
			  "F0E1D2C3B4A5968778695A4B3C2D1E0F";
static const uint8_t BIN[32] = {
	0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a,
	0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0xf0, 0xe1, 0xd2, 0xc3, 0xb4, 0xa5,
	0x96, 0x87, 0x78, 0x69, 0x5a, 0x4b, 0x3c, 0x2d, 0x1e, 0x0f,
};

static char dir[64];
static char path[128];
static char err[256];

static int setup(void **state)
{
	strcpy(dir, "/tmp/bb-test-key.XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	snprintf(path, sizeof(path), "%s/key", dir);
	return 0;
}

static int teardown(void **state)
{
	unlink(path);
	rmdir(dir);
	return 0;
}

static void write_key_file(const char *content, mode_t mode)
{
	int fd;

	unlink(path);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, content, strlen(content)),
			 (ssize_t)strlen(content));
	close(fd);
	assert_int_equal(chmod(path, mode), 0);
}

static void test_parse_hex(void **state)
{
	uint8_t key[32];

	assert_int_equal(key_parse_hex(HEX, key, err, sizeof(err)), 0);
	assert_memory_equal(key, BIN, 32);
}

static void test_parse_bad_hex(void **state)
{
	uint8_t key[32], before[32];
	char bad[80];

	memset(key, 0x5a, sizeof(key));
	memcpy(before, key, sizeof(key));
	strcpy(bad, HEX);
	bad[17] = 'g';
	assert_int_equal(key_parse_hex(bad, key, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "character 18"));
	assert_null(strstr(err, "0809")); /* no key material in the text */
	assert_null(strstr(err, "'g'"));
	assert_memory_equal(key, before, 32); /* untouched on failure */

	bad[17] = ' ';
	assert_int_equal(key_parse_hex(bad, key, err, sizeof(err)), -EINVAL);
	strcpy(bad, HEX);
	bad[63] = 0;
	assert_int_equal(key_parse_hex(bad, key, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "64 hex characters, got 63"));
	snprintf(bad, sizeof(bad), "%s0", HEX);
	assert_int_equal(key_parse_hex(bad, key, err, sizeof(err)), -EINVAL);
	assert_int_equal(key_parse_hex("", key, err, sizeof(err)), -EINVAL);
	assert_int_equal(key_parse_hex(NULL, key, err, sizeof(err)), -EINVAL);
	snprintf(bad, sizeof(bad), "0x%.62s", HEX);
	assert_int_equal(key_parse_hex(bad, key, NULL, 0), -EINVAL);
	assert_memory_equal(key, before, 32);
}

static void test_format_roundtrip(void **state)
{
	uint8_t key[32], back[32];
	char out[65];

	key_format_hex(BIN, out);
	assert_int_equal(strlen(out), 64);
	assert_string_equal(out, "000102030405060708090a0b0c0d0e0f"
				 "f0e1d2c3b4a5968778695a4b3c2d1e0f");
	for (int i = 0; i < 50; i++) {
		key_generate(key);
		key_format_hex(key, out);
		assert_int_equal(key_parse_hex(out, back, err, sizeof(err)), 0);
		assert_memory_equal(key, back, 32);
	}
}

static void test_file_0600_and_0400_accepted(void **state)
{
	uint8_t key[32];
	char content[100];

	snprintf(content, sizeof(content), "%s\n", HEX);
	write_key_file(content, 0600);
	assert_int_equal(key_load_file(path, key, err, sizeof(err)), 0);
	assert_memory_equal(key, BIN, 32);

	memset(key, 0, sizeof(key));
	snprintf(content, sizeof(content), "  \n\t%s \r\n\n", HEX);
	write_key_file(content, 0400);
	assert_int_equal(key_load_file(path, key, err, sizeof(err)), 0);
	assert_memory_equal(key, BIN, 32);
}

static void test_file_group_world_refused(void **state)
{
	const mode_t modes[] = { 0644, 0640, 0604, 0660, 0602,
				 0620, 0610, 0601, 0777 };
	uint8_t key[32];
	char content[100], want[64];

	snprintf(content, sizeof(content), "%s\n", HEX);
	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		write_key_file(content, modes[i]);
		memset(key, 0x11, sizeof(key));
		assert_int_equal(key_load_file(path, key, err, sizeof(err)),
				 -EPERM);
		assert_non_null(strstr(err, "group or others"));
		assert_non_null(strstr(err, path));
		assert_non_null(strstr(err, "chmod 600"));
		snprintf(want, sizeof(want), "mode %04o", (unsigned)modes[i]);
		assert_non_null(strstr(err, want));
		for (int k = 0; k < 32; k++)
			assert_int_equal(key[k], 0x11);
	}
}

static void test_file_bad(void **state)
{
	uint8_t key[32];
	char content[700];

	assert_int_equal(
		key_load_file("/nonexistent/bb/key", key, err, sizeof(err)),
		-ENOENT);
	assert_non_null(strstr(err, "/nonexistent/bb/key"));
	assert_int_equal(key_load_file(dir, key, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "not a regular file"));
	/* A FIFO is refused without blocking on open(). */
	unlink(path);
	assert_int_equal(mkfifo(path, 0600), 0);
	assert_int_equal(key_load_file(path, key, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "not a regular file"));

	write_key_file("", 0600);
	assert_int_equal(key_load_file(path, key, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "got 0"));

	snprintf(content, sizeof(content), "%.63s\n", HEX);
	write_key_file(content, 0600);
	assert_int_equal(key_load_file(path, key, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, path));

	snprintf(content, sizeof(content), "%s\n%s\n", HEX, HEX);
	write_key_file(content, 0600);
	assert_int_equal(key_load_file(path, key, err, sizeof(err)), -EINVAL);

	snprintf(content, sizeof(content), "%.10sz%s\n", HEX, HEX + 11);
	write_key_file(content, 0600);
	assert_int_equal(key_load_file(path, key, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "not a hex digit"));

	memset(content, ' ', sizeof(content) - 1);
	content[sizeof(content) - 1] = 0;
	memcpy(content, HEX, 64);
	write_key_file(content, 0600);
	assert_int_equal(key_load_file(path, key, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "larger than"));
}

static void test_wipe_and_generate(void **state)
{
	uint8_t a[32], b[32], zero[32] = { 0 };

	key_generate(a);
	key_generate(b);
	assert_memory_not_equal(a, b, 32);
	assert_memory_not_equal(a, zero, 32);
	key_wipe(a);
	assert_memory_equal(a, zero, 32);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_hex),
		cmocka_unit_test(test_parse_bad_hex),
		cmocka_unit_test(test_format_roundtrip),
		cmocka_unit_test(test_file_0600_and_0400_accepted),
		cmocka_unit_test(test_file_group_world_refused),
		cmocka_unit_test(test_file_bad),
		cmocka_unit_test(test_wipe_and_generate),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, setup, teardown);
}
