/*
 * sha256.h: SHA-256 (FIPS 180-4), to check that each blob of an image
 * archive is the one its manifest names (sha256.c).
 */
#ifndef MINIDOCK_SHA256_H
#define MINIDOCK_SHA256_H

#include <stddef.h>
#include <stdint.h>

struct sha256 {
	uint32_t h[8];
	uint64_t length;          /* bytes so far */
	unsigned char block[64];
	size_t used;              /* bytes waiting in block */
};

void sha256_init(struct sha256 *c);
void sha256_update(struct sha256 *c, const void *data, size_t len);
/* The digest as 64 lowercase hex digits. */
void sha256_hex(struct sha256 *c, char out[65]);
/* A whole file's digest; -1 with errno set if it cannot be read. */
int sha256_file(const char *path, char out[65]);

#endif
