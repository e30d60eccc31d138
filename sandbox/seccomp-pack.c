/* sandbox/seccomp-pack.c — the build-time half of seccomp-pack.h (seccomp-gen and the unit
 * test, never usher): BPF into byte planes, and an LZ77 packer that looks for the cheapest parse. */
#include "seccomp-pack.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

void sbx_bpf_to_planes(const struct sock_filter *insns, size_t n, unsigned char *planes)
{
	uint32_t previous_k = 0;
	for (size_t i = 0; i < n; i++) {
		uint32_t delta = insns[i].k - previous_k;
		previous_k = insns[i].k;
		planes[i] = insns[i].code & 0xff;
		planes[n + i] = insns[i].code >> 8;
		planes[2 * n + i] = insns[i].jt;
		planes[3 * n + i] = insns[i].jf;
		for (size_t b = 0; b < 4; b++)
			planes[(4 + b) * n + i] = delta >> (8 * b) & 0xff;
	}
}

#define MAX_MATCH 4096      /* longer repeats take several matches */
#define NICE_MATCH 256      /* a match this long is taken whole, its shorter cuts not tried */
#define MAX_CANDIDATES 1024 /* earlier positions tried per position */
#define HASH_BITS 14
#define NONE SIZE_MAX

/* Bytes after the token a count takes: none below 15, then one per 255 (see seccomp-pack.h). */
static size_t ext_bytes(size_t count)
{
	return count < 15 ? 0 : 1 + (count - 15) / 255;
}

static size_t offset_bytes(size_t offset)
{
	return offset < 128 ? 1 : 2;
}

static size_t hash3(const unsigned char *p)
{
	return ((size_t)p[0] << 8 ^ (size_t)p[1] << 4 ^ p[2]) & ((1u << HASH_BITS) - 1);
}

/* The longest match at each position, and the longest one whose offset fits one byte. */
struct matches {
	size_t near_len, near_offset, far_len, far_offset;
};

static void find_matches(const unsigned char *in, size_t len, size_t *head, size_t *chain, struct matches *m)
{
	for (size_t h = 0; h < (1u << HASH_BITS); h++)
		head[h] = NONE;
	for (size_t i = 0; i < len; i++) {
		m[i] = (struct matches){ 0 };
		if (len - i < SBX_PACK_MIN_MATCH)
			continue;
		size_t cap = len - i < MAX_MATCH ? len - i : MAX_MATCH, h = hash3(in + i), tried = 0;
		for (size_t j = head[h]; j != NONE && i - j <= SBX_PACK_MAX_OFFSET && tried < MAX_CANDIDATES;
		     j = chain[j], tried++) {
			/* Of use only if longer than the best so far (near, then far): a quick look at
			 * the byte that would make it longer. */
			size_t need = i - j < 128 ? m[i].near_len : m[i].far_len;
			if (need > 0 && need < cap && in[j + need] != in[i + need])
				continue;
			size_t l = 0;
			while (l < cap && in[j + l] == in[i + l])
				l++;
			if (l >= SBX_PACK_MIN_MATCH && i - j < 128 && l > m[i].near_len)
				m[i].near_len = l, m[i].near_offset = i - j;
			if (l > m[i].far_len)
				m[i].far_len = l, m[i].far_offset = i - j;
			if (m[i].far_len >= (cap < NICE_MATCH ? cap : NICE_MATCH) && (m[i].near_len == m[i].far_len || i - j >= 128))
				break; /* long enough: nothing further back is cheaper */
		}
		if (m[i].far_len < SBX_PACK_MIN_MATCH)
			m[i].far_len = 0;
		chain[i] = head[h];
		head[h] = i;
	}
}

static unsigned char *put_count(unsigned char *out, size_t count)
{
	if (count < 15)
		return out;
	for (count -= 15; count >= 255; count -= 255)
		*out++ = 255;
	*out++ = (unsigned char)count;
	return out;
}

/* One sequence of the parse: literals in[lit_start..+lit_len), then a match (match_len 0: none). */
struct sequence {
	size_t lit_start, lit_len, match_len, offset;
};

/* The parse is a shortest path over positions in two states: A[i], a sequence ends at i
 * (after a match, or at the start); B[i], a sequence is open at i, its token and literals
 * paid. B[i] is A[i] + a token, or B[i-1] + one literal; a match of length L from B[i] reaches
 * A[i+L]. The stream ends in A[len] or, after final literals, in B[len]. */
unsigned char *sbx_pack(const unsigned char *in, size_t len, size_t *packed_len)
{
	size_t *cost_a = malloc((len + 1) * sizeof *cost_a), *cost_b = malloc((len + 1) * sizeof *cost_b);
	size_t *a_from = malloc((len + 1) * sizeof *a_from), *a_offset = malloc((len + 1) * sizeof *a_offset);
	size_t *b_start = malloc((len + 1) * sizeof *b_start), *chain = malloc((len + 1) * sizeof *chain);
	size_t *head = malloc(((size_t)1 << HASH_BITS) * sizeof *head);
	struct matches *m = malloc((len + 1) * sizeof *m);
	struct sequence *seqs = malloc((len + 1) * sizeof *seqs);
	unsigned char *out = NULL;
	if (!cost_a || !cost_b || !a_from || !a_offset || !b_start || !chain || !head || !m || !seqs)
		goto done;
	find_matches(in, len, head, chain, m);
	for (size_t i = 0; i <= len; i++)
		cost_a[i] = NONE;
	cost_a[0] = 0;
	for (size_t i = 0; i <= len; i++) {
		cost_b[i] = NONE;
		if (cost_a[i] != NONE)
			cost_b[i] = cost_a[i] + 1, b_start[i] = i;
		if (i > 0 && cost_b[i - 1] != NONE) {
			size_t run = i - b_start[i - 1];
			size_t extended = cost_b[i - 1] + 1 + ext_bytes(run) - ext_bytes(run - 1);
			if (extended < cost_b[i])
				cost_b[i] = extended, b_start[i] = b_start[i - 1];
		}
		if (i == len)
			break;
		size_t shortest = m[i].far_len >= NICE_MATCH ? m[i].far_len : SBX_PACK_MIN_MATCH;
		for (size_t l = shortest; l <= m[i].far_len; l++) {
			size_t offset = l <= m[i].near_len ? m[i].near_offset : m[i].far_offset;
			size_t cost = cost_b[i] + offset_bytes(offset) + ext_bytes(l - SBX_PACK_MIN_MATCH);
			if (cost < cost_a[i + l])
				cost_a[i + l] = cost, a_from[i + l] = i, a_offset[i + l] = offset;
		}
	}

	/* Back from the end, then written front to back. */
	size_t count = 0, pos = len, total = cost_a[len];
	if (cost_b[len] < cost_a[len]) {
		total = cost_b[len];
		seqs[count++] = (struct sequence){ .lit_start = b_start[len], .lit_len = len - b_start[len] };
		pos = b_start[len];
	}
	while (pos > 0) {
		size_t from = a_from[pos], start = b_start[from];
		seqs[count++] = (struct sequence){ .lit_start = start, .lit_len = from - start,
		                                   .match_len = pos - from, .offset = a_offset[pos] };
		pos = start;
	}
	out = malloc(total ? total : 1);
	if (!out)
		goto done;
	unsigned char *p = out;
	while (count-- > 0) {
		const struct sequence *s = &seqs[count];
		size_t lit_nibble = s->lit_len < 15 ? s->lit_len : 15;
		size_t match_nibble = 0;
		if (s->match_len)
			match_nibble = s->match_len - SBX_PACK_MIN_MATCH < 15 ? s->match_len - SBX_PACK_MIN_MATCH : 15;
		*p++ = (unsigned char)(lit_nibble << 4 | match_nibble);
		p = put_count(p, s->lit_len);
		memcpy(p, in + s->lit_start, s->lit_len);
		p += s->lit_len;
		if (s->match_len == 0)
			continue;
		if (s->offset >= 128)
			*p++ = (unsigned char)(0x80 | s->offset >> 8);
		*p++ = (unsigned char)(s->offset & 0xff);
		p = put_count(p, s->match_len - SBX_PACK_MIN_MATCH);
	}
	if ((size_t)(p - out) != total)
		abort(); /* the cost model and the writer disagree: a bug here, not bad input */
	*packed_len = total;
done:
	free(cost_a);
	free(cost_b);
	free(a_from);
	free(a_offset);
	free(b_start);
	free(chain);
	free(head);
	free(m);
	free(seqs);
	return out;
}
