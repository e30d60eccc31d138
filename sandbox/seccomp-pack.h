/* sandbox/seccomp-pack.h — the packed form of the built-in profile in usher's binary: an LZ77
 * byte format (packed by seccomp-gen at build time, unpacked by usher) and BPF as byte planes. */
#ifndef USHER_SECCOMP_PACK_H
#define USHER_SECCOMP_PACK_H

#include <stddef.h>
#include <linux/filter.h>

/* The format (LZ4's sequences, with a shorter offset): each sequence is a token byte, then
 * literals, then a match copied from the output already written.
 *   token        high nibble: literal count L, low nibble: match length M - 3
 *   [L ext]      when L = 15: bytes added to it, each 255 says another follows
 *   L literals
 *   offset       1 byte 0..127, or 2 bytes (0x80 | high 7 bits, low 8 bits): 1..32767 back
 *   [M ext]      when M - 3 = 15: as for L
 * The stream may end right after a sequence's literals (the last one has no match) or after
 * a match. An offset of 0 or beyond what was written, a count running past either buffer,
 * and an output that is not filled exactly are errors. */
#define SBX_PACK_MIN_MATCH 3
#define SBX_PACK_MAX_OFFSET 32767

/* Unpacks in[0..in_len) into out[0..out_len). 0, or -1 if the stream is not out_len bytes of
 * this format (nothing is read or written outside the buffers either way). */
int sbx_unpack(const unsigned char *in, size_t in_len, unsigned char *out, size_t out_len);

/* BPF as byte planes: for n instructions, 8 runs of n bytes each (code low, code high, jt, jf,
 * and the four bytes, low first, of k minus the previous instruction's k). The instructions'
 * fields line up and the syscall numbers of libseccomp's tree differ little, so LZ77 finds far
 * longer matches in planes than in the instructions. Independent of byte order. */
#define SBX_PLANES 8
void sbx_bpf_from_planes(const unsigned char *planes, size_t n, struct sock_filter *insns);

/* Build time only: seccomp-pack.c, linked into seccomp-gen and the unit test, not usher. */
void sbx_bpf_to_planes(const struct sock_filter *insns, size_t n, unsigned char *planes);
/* Packs in[0..len) with the cheapest parse it finds: a malloc'd stream, its length in
 * *packed_len; NULL when out of memory. */
unsigned char *sbx_pack(const unsigned char *in, size_t len, size_t *packed_len);

#endif
