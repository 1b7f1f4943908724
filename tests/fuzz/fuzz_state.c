/*
 * fuzz_state: libFuzzer target for state.c's reader of a container's
 * files (make fuzz). The input, split at its first two NUL bytes, becomes
 * the owner, config and state files of one container in a store of the
 * target's own; record_read() and record_status() read them back.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../step08-full/minidock.h"

#define ID "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static char top[] = "/tmp/minidock-fuzz-state.XXXXXX";

static void put(const char *dir, const char *name, const uint8_t *data, size_t len)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "we");
	if (!f || fwrite(data, 1, len, f) != len || fclose(f) != 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct store s;
	static struct record r;
	char dir[256];
	const uint8_t *part[3] = {data, data + size, data + size}, *end = data + size;
	size_t len[3] = {size, 0, 0};

	if (top[sizeof(top) - 2] == 'X') {
		if (!mkdtemp(top) || store_open(&s, top, NULL) < 0)
			abort();
		snprintf(dir, sizeof(dir), "%s/run/containers/" ID, top);
		if (make_dirs(dir, 0700) < 0)
			abort();
	}
	snprintf(dir, sizeof(dir), "%s/run/containers/" ID, top);
	for (int i = 0; i < 2; i++) {
		const uint8_t *nul = memchr(part[i], 0, len[i]);
		if (!nul)
			break;
		len[i] = (size_t)(nul - part[i]);
		part[i + 1] = nul + 1;
		len[i + 1] = (size_t)(end - part[i + 1]);
	}
	put(dir, "owner", part[0], len[0]);
	put(dir, "config", part[1], len[1]);
	put(dir, "state", part[2], len[2]);
	if (record_read(&s, ID, &r) == 0) {
		record_status(&r);
		record_free(&r);
	}
	return 0;
}
