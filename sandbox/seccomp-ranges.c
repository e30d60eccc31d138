/* sandbox/seccomp-ranges.c — the syscalls a native-only profile allows outright, as runs of
 * numbers tested in front of libseccomp's program: two jumps per run instead of one per call. */
#include "seccomp-internal.h"

#include <linux/seccomp.h>
#include <stddef.h>
#include <stdlib.h>

static int by_number(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return (x > y) - (x < y);
}

size_t sbx_ranges_write(uint32_t audit_arch, uint32_t *nrs, size_t count, struct sock_filter *out)
{
	if (count == 0)
		return 0;
	qsort(nrs, count, sizeof *nrs, by_number);
	/* The runs of consecutive numbers, in place: lo[i] = nrs[2i], hi[i] = nrs[2i+1]. */
	uint32_t lo[SBX_MAX_RANGES], hi[SBX_MAX_RANGES];
	size_t runs = 0;
	for (size_t k = 0; k < count; k++) {
		if (runs > 0 && (nrs[k] == hi[runs - 1] || nrs[k] == hi[runs - 1] + 1)) {
			hi[runs - 1] = nrs[k];
			continue;
		}
		if (runs == SBX_MAX_RANGES)
			return 0; /* too scattered for 8-bit jumps: libseccomp keeps them all */
		lo[runs] = hi[runs] = nrs[k];
		runs++;
	}
	/* ld arch; jeq ARCH or past the block; ld nr; per run: jge lo or out, jgt hi or allow;
	 * out: ja past allow; allow: ret ALLOW. Runs are in order, so below lo means below all
	 * that follow. */
	size_t len = 5 + 2 * runs, n = 0, out_at = 3 + 2 * runs, allow_at = out_at + 1;
	out[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch));
	out[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, audit_arch, 0, (unsigned char)(len - 2));
	out[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr));
	for (size_t r = 0; r < runs; r++) {
		out[n] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, lo[r], 0, (unsigned char)(out_at - n - 1));
		n++;
		out[n] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JGT | BPF_K, hi[r], 0, (unsigned char)(allow_at - n - 1));
		n++;
	}
	out[n++] = (struct sock_filter)BPF_STMT(BPF_JMP | BPF_JA, 1);
	out[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
	return n;
}
