/* tests/sandbox/seccomp-unpack.c — TAP unit test of the built-in profile's packing
 * (seccomp-pack.h): round trips of random and real data, BPF planes, and damaged streams. */
#include "seccomp-internal.h"
#include "seccomp-pack.h"
#include "util.h"
#include "../lib/unit-tap.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

static uint32_t rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (uint32_t)(rng_state >> 16);
}

/* Exactly sized heap copies, so ASan sees a read or write one byte outside either buffer. */
static unsigned char *copy_of(const unsigned char *data, size_t len)
{
	unsigned char *copy = malloc(len ? len : 1);
	if (!copy)
		abort();
	memcpy(copy, data, len);
	return copy;
}

/* Packs and unpacks data; 1 if it comes back the same and the packed stream is at most ~1 %
 * longer than the data (all literals: 1 + 1/255; the packer's parse is close to, not always,
 * the cheapest). *packed_len set. */
static int round_trip(const unsigned char *data, size_t len, size_t *packed_len)
{
	unsigned char *packed = sbx_pack(data, len, packed_len);
	if (!packed)
		return 0;
	unsigned char *in = copy_of(packed, *packed_len), *out = malloc(len ? len : 1);
	int same = out && sbx_unpack(in, *packed_len, out, len) == 0 && memcmp(out, data, len) == 0 &&
	           *packed_len <= len + len / 128 + 16;
	free(packed);
	free(in);
	free(out);
	return same;
}

/* The kinds of random data: incompressible, few symbols, runs, and repeats far apart. */
static void fill(unsigned char *data, size_t len, int kind)
{
	for (size_t i = 0; i < len; i++) {
		switch (kind) {
		case 0: data[i] = (unsigned char)rng(); break;
		case 1: data[i] = "ab\"\n"[rng() % 4]; break;
		case 2: data[i] = rng() % 512 == 0 ? (unsigned char)rng() : (i ? data[i - 1] : 0); break;
		default: data[i] = i >= 20000 && rng() % 64 ? data[i - 20000 + rng() % 2] : (unsigned char)rng(); break;
		}
	}
}

static void test_random(void)
{
	static const size_t sizes[] = { 0, 1, 2, 3, 4, 14, 15, 16, 17, 18, 19, 255, 269, 270, 271, 1000, 4095,
	                                4096, 4097, 9000, 32767, 32768, 40000 };
	static const char *kinds[] = { "random bytes", "four symbols", "long runs", "repeats 20000 back" };
	/* Four symbols make every position a candidate of every other: the slow case, kept short. */
	static const size_t largest[] = { 40000, 9000, 40000, 40000 };
	unsigned char *data = malloc(40000);
	if (!data)
		abort();
	for (int kind = 0; kind < 4; kind++) {
		size_t failures = 0, in_total = 0, packed_total = 0;
		size_t tried = 0;
		for (size_t s = 0; s < sizeof sizes / sizeof sizes[0] && sizes[s] <= largest[kind]; s++, tried++) {
			size_t packed_len = 0;
			fill(data, sizes[s], kind);
			if (!round_trip(data, sizes[s], &packed_len)) {
				printf("# %s, %zu bytes: packed to %zu, not unpacked the same or longer than literals\n",
				       kinds[kind], sizes[s], packed_len);
				failures++;
			}
			in_total += sizes[s];
			packed_total += packed_len;
		}
		ok(failures == 0, "%s, %zu sizes from 0 to %zu: unpacked as packed (%zu bytes to %zu)", kinds[kind],
		   tried, largest[kind], in_total, packed_total);
	}
	/* Counts on the boundaries of the nibble and its 255 extensions: literals, then a match. */
	size_t failures = 0;
	for (size_t lit = 0; lit < 600; lit += lit < 20 ? 1 : 37) {
		for (size_t run = 3; run < 1200; run += run < 20 ? 1 : 61) {
			size_t len = lit + 1 + run, packed_len;
			fill(data, lit, 0);
			memset(data + lit, 'x', run + 1);
			failures += !round_trip(data, len, &packed_len);
		}
	}
	ok(failures == 0, "literal runs 0-600 then repeats 3-1200 (every nibble and extension boundary)");
	free(data);
}

/* Whitespace outside strings dropped, as seccomp-gen packs the text before it packs the bytes. */
static size_t strip_json(char *text, size_t len)
{
	size_t kept = 0;
	int in_string = 0, escaped = 0;
	for (size_t i = 0; i < len; i++) {
		char c = text[i];
		if (in_string) {
			in_string = escaped || c != '"';
			escaped = !escaped && c == '\\';
		} else if (c == '"') {
			in_string = 1;
		} else if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
			continue;
		}
		text[kept++] = c;
	}
	return kept;
}

static void test_real(const char *json_path)
{
	size_t len, packed_len = 0;
	char *text = read_small_file(json_path, SBX_PROFILE_MAX_BYTES, &len);
	ok(text != NULL, "%s read", json_path);
	if (!text)
		return;
	int text_back = round_trip((unsigned char *)text, len, &packed_len);
	ok(text_back, "%s as it is: unpacked as packed (%zu bytes to %zu)", json_path, len, packed_len);
	len = strip_json(text, len);
	size_t builtin_len;
	const char *builtin = sbx_builtin_json(&builtin_len);
	ok(builtin && builtin_len == len && memcmp(builtin, text, len) == 0 && builtin[len] == '\0',
	   "the built-in text unpacks to %s without its white space (%zu bytes from %zu packed)", json_path, len,
	   sbx_builtin_json_packed_len);
	free(text);

	const struct sbx_precompiled *variants = sbx_builtin_variants();
	ok(variants != NULL && sbx_builtin_variants() == variants, "the built-in variants unpack, once");
	if (!variants)
		return;
	size_t total = 0;
	for (size_t v = 0; v < sbx_builtin_variant_count; v++)
		total += variants[v].len;
	unsigned char *planes = malloc(total * SBX_PLANES);
	struct sock_filter *back = malloc(total * sizeof *back);
	if (!planes || !back)
		abort();
	size_t at = 0, same = 0;
	for (size_t v = 0; v < sbx_builtin_variant_count; at += variants[v++].len) {
		same += variants[v].caps == sbx_builtin_shapes[v].caps && variants[v].len == sbx_builtin_shapes[v].len &&
		        variants[v].len > 0;
		sbx_bpf_to_planes(variants[v].insns, variants[v].len, planes + at * SBX_PLANES);
	}
	ok(same == sbx_builtin_variant_count, "%zu variants, caps and lengths as generated", same);
	unsigned char *packed = sbx_pack(planes, total * SBX_PLANES, &packed_len);
	ok(packed && packed_len == sbx_builtin_bpf_packed_len &&
	   memcmp(packed, sbx_builtin_bpf_packed, packed_len) == 0,
	   "the variants' planes pack to the embedded stream again (%zu bytes to %zu)", total * SBX_PLANES,
	   packed_len);
	free(packed);
	at = 0;
	for (size_t v = 0; v < sbx_builtin_variant_count; at += variants[v++].len)
		sbx_bpf_from_planes(planes + at * SBX_PLANES, variants[v].len, back + at);
	ok(memcmp(back, variants[0].insns, total * sizeof *back) == 0, "%zu instructions back from their planes", total);
	free(planes);
	free(back);
}

static void test_planes(void)
{
	enum { N = 5000 };
	struct sock_filter *insns = malloc(N * sizeof *insns), *back = malloc(N * sizeof *back);
	unsigned char *planes = malloc(N * SBX_PLANES);
	if (!insns || !back || !planes)
		abort();
	for (size_t i = 0; i < N; i++)
		insns[i] = (struct sock_filter){ .code = (uint16_t)rng(), .jt = (uint8_t)rng(), .jf = (uint8_t)rng(),
		                                 .k = i % 3 ? rng() << 16 ^ rng() : 0xffffffffu - (uint32_t)i };
	sbx_bpf_to_planes(insns, N, planes);
	sbx_bpf_from_planes(planes, N, back);
	ok(memcmp(insns, back, N * sizeof *back) == 0, "%d random instructions (all 16 code bits, k wrapping) through planes", N);
	free(insns);
	free(back);
	free(planes);
}

/* The decoder on what it never gets from seccomp-gen: every cut of a real stream, a wrong
 * output length, bad offsets, and random damage. ASan (the asan build runs this too) turns any
 * access outside the exactly sized buffers into a failure. */
static void test_damaged(void)
{
	size_t json_len;
	const char *json = sbx_builtin_json(&json_len);
	if (!json) {
		ok(0, "the built-in text unpacks");
		return;
	}
	size_t packed_len;
	unsigned char *packed = sbx_pack((const unsigned char *)json, json_len, &packed_len);
	unsigned char *out = malloc(json_len + 1);
	if (!packed || !out)
		abort();
	size_t accepted = 0;
	for (size_t cut = 0; cut < packed_len; cut++) {
		unsigned char *in = copy_of(packed, cut);
		accepted += sbx_unpack(in, cut, out, json_len) == 0;
		free(in);
	}
	ok(accepted == 0, "each of the %zu shorter cuts of the text's stream is refused", packed_len);
	unsigned char *in = copy_of(packed, packed_len);
	ok(sbx_unpack(in, packed_len, out, json_len + 1) < 0 && sbx_unpack(in, packed_len, out, json_len - 1) < 0 &&
	   sbx_unpack(in, packed_len, out, json_len) == 0, "an output one byte longer or shorter is refused");
	free(in);

	static const struct {
		const char *why;
		unsigned char stream[8];
		size_t len, out_len;
	} bad[] = {
		{ "offset 0", { 0x10, 'a', 0x00 }, 3, 4 },
		{ "offset beyond what was written", { 0x10, 'a', 0x02 }, 3, 4 },
		{ "two-byte offset beyond what was written", { 0x10, 'a', 0x81, 0x00 }, 4, 4 },
		{ "offset cut after its first byte", { 0x10, 'a', 0x80 }, 3, 4 },
		{ "literals past the end of the stream", { 0x30, 'a', 'b' }, 3, 3 },
		{ "literals past the end of the output", { 0x30, 'a', 'b', 'c' }, 4, 2 },
		{ "match past the end of the output", { 0x11, 'a', 0x01 }, 3, 4 },
		{ "literal count extension missing", { 0xf0 }, 1, 15 },
		{ "literal count extension cut after 255", { 0xf0, 0xff }, 2, 300 },
		{ "match count extension missing", { 0x1f, 'a', 0x01 }, 3, 19 },
		{ "huge match count", { 0x1f, 'a', 0x01, 0xff, 0xff, 0xff, 0xff, 0x00 }, 8, 40 },
		{ "stream ends after a match, output not full", { 0x10, 'a', 0x01 }, 3, 5 },
	};
	for (size_t b = 0; b < sizeof bad / sizeof bad[0]; b++) {
		in = copy_of(bad[b].stream, bad[b].len);
		unsigned char *small = malloc(bad[b].out_len);
		ok(small && sbx_unpack(in, bad[b].len, small, bad[b].out_len) < 0, "refused: %s", bad[b].why);
		free(small);
		free(in);
	}
	static const unsigned char good[] = { 0x11, 'a', 0x01, 0x20, 'b', 'c' };
	in = copy_of(good, sizeof good);
	ok(sbx_unpack(in, sizeof good, out, 7) == 0 && memcmp(out, "aaaaabc", 7) == 0,
	   "a hand-made stream: a literal, an overlapping match, final literals");
	free(in);

	/* Random damage: flipped bytes in the real stream, and streams of random bytes. Any answer
	 * will do (a flipped literal still decodes) as long as nothing is written past the output:
	 * 16 guard bytes after it must stay as they were. The input is exactly sized, for ASan. */
	size_t rounds = 20000, passed = 0, overwritten = 0;
	for (size_t r = 0; r < rounds; r++) {
		size_t len = r % 2 ? packed_len : 1 + rng() % 64;
		in = r % 2 ? copy_of(packed, packed_len) : malloc(len);
		if (!in)
			abort();
		if (r % 2) {
			for (int flips = 1 + rng() % 4; flips > 0; flips--)
				in[rng() % len] ^= (unsigned char)(1 + rng() % 255);
		} else {
			for (size_t i = 0; i < len; i++)
				in[i] = (unsigned char)rng();
		}
		size_t out_len = r % 2 ? json_len : rng() % 200;
		unsigned char *o = malloc(out_len + 16);
		if (!o)
			abort();
		memset(o + out_len, 0xa5, 16);
		passed += sbx_unpack(in, len, o, out_len) == 0;
		for (size_t g = 0; g < 16; g++)
			overwritten += o[out_len + g] != 0xa5;
		free(o);
		free(in);
	}
	ok(overwritten == 0, "%zu damaged or random streams: nothing written past the output (%zu happened to decode)",
	   rounds, passed);
	free(packed);
	free(out);
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: seccomp-unpack PROFILE.json (sandbox/seccomp-default.json)\n");
		return 2;
	}
	test_random();
	test_planes();
	test_real(argv[1]);
	test_damaged();
	return done_testing();
}
