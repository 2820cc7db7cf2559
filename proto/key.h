/* SPDX-License-Identifier: MIT */
/*
 * The 32-byte shared secret: parsing from 64 hex characters (config), loading
 * from a key file that only its owner may read, formatting, generation and
 * wiping (STYLE.md "Secrets").  Keys live in caller-owned fixed arrays; call
 * key_wipe on every copy once it is no longer needed.  Error texts never
 * contain key material.
 */
#ifndef BB_KEY_H
#define BB_KEY_H

#include <stddef.h>
#include <stdint.h>

#define KEY_LEN	    32
#define KEY_HEX_LEN 64

/* Exactly 64 hex digits (either case), nothing else.  0 or -EINVAL. */
int key_parse_hex(const char *hex, uint8_t key[static KEY_LEN], char *err,
		  size_t errlen);
/* A regular file holding 64 hex digits (surrounding whitespace allowed),
 * owned by us or root, mode 0600 or stricter; -EPERM when group/others
 * may read or write it, -EINVAL bad content, else -errno of open/read. */
int key_load_file(const char *path, uint8_t key[static KEY_LEN], char *err,
		  size_t errlen);
/* 64 lowercase hex digits and a NUL. */
void key_format_hex(const uint8_t key[static KEY_LEN],
		    char out[static KEY_HEX_LEN + 1]);
/* sodium_memzero the key. */
void key_wipe(uint8_t key[static KEY_LEN]);
/* A fresh random key (libsodium's CSPRNG). */
void key_generate(uint8_t key[static KEY_LEN]);

#endif
