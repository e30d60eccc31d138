/* tests/fuzz/seccomp-compiled-fuzz.c — libFuzzer harness for compiled seccomp profiles
 * (sandbox/seccomp-compiled.c): any file must load or be refused, and match or be refused. */
#include "seccomp-internal.h"
#include "util.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/* The checksum would refuse nearly every mutation before the fields are read: inputs of a
 * header's size or more get a right one (FNV-1a, the checksum field at 112..119 zero). */
static void fix_checksum(uint8_t *data, size_t size)
{
	if (size < 120)
		return;
	memset(data + 112, 0, 8);
	uint64_t h = 0xcbf29ce484222325ULL;
	for (size_t k = 0; k < size; k++)
		h = (h ^ data[k]) * 0x100000001b3ULL;
	memcpy(data + 112, &h, 8);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	usher_verbosity = -1;
	uint8_t *copy = malloc(size ? size : 1);
	if (!copy)
		return 0;
	memcpy(copy, data, size);
	if (size > 0 && data[0] & 1) /* half the inputs keep their own checksum */
		fix_checksum(copy, size);
	int fd = memfd_create("fuzz-bpf", MFD_CLOEXEC);
	if (fd < 0 || write(fd, copy, size) != (ssize_t)size) {
		if (fd >= 0)
			close(fd);
		free(copy);
		return 0;
	}
	char path[64];
	snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
	struct sbx_compiled c;
	if (sbx_compiled_load(path, &c) == 0) {
		uint32_t compat[2] = { 0x40000003u /* x86 */, 0x4000003eu /* x32 */ };
		uint64_t caps = size >= 8 ? ((const uint64_t *)(const void *)copy)[0] : 0;
		sbx_compiled_match(&c, "fuzz", caps, size & 1, compat, size % 3, sbx_running_kernel());
		sbx_compiled_free(&c);
	}
	close(fd);
	free(copy);
	return 0;
}
