/*
 * fuzz_tar: libFuzzer target for import.c's tar reader (make fuzz). Each
 * input is an archive: it goes into a memfd and import_tar() extracts it
 * into a fresh directory, which is then removed. A crash, a sanitizer's
 * report or an entry written outside that directory is a finding.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../step08-full/minidock.h"

static char top[] = "/tmp/minidock-fuzz-tar.XXXXXX";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char file[64], layer[sizeof(top) + 8];
	int fd;

	if (top[sizeof(top) - 2] == 'X' && !mkdtemp(top))
		abort();
	fd = memfd_create("archive", MFD_CLOEXEC);
	if (fd < 0 || write(fd, data, size) != (ssize_t)size)
		abort();
	snprintf(file, sizeof(file), "/proc/self/fd/%d", fd);
	snprintf(layer, sizeof(layer), "%s/layer", top);
	if (mkdir(layer, 0700) < 0)
		abort();
	import_tar(file, layer);
	remove_tree(layer);
	close(fd);
	return 0;
}
