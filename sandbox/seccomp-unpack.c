/* sandbox/seccomp-unpack.c — unpacks the built-in profile seccomp-gen packed into usher
 * (seccomp-pack.h), once, in sbx_seccomp_prepare, and only for a start that uses it. */
#include "seccomp-internal.h"
#include "seccomp-pack.h"
#include "util.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* A count: the token's nibble, plus extension bytes when it is 15. -1 past the end of the
 * input or above limit (the room left in the output). */
static int read_count(const unsigned char **in, const unsigned char *end, unsigned nibble, size_t limit,
                      size_t *count)
{
	*count = nibble;
	unsigned char more = nibble == 15 ? 255 : 0;
	while (more == 255 && *count <= limit) {
		if (*in == end)
			return -1;
		more = *(*in)++;
		*count += more;
	}
	return *count <= limit ? 0 : -1;
}

int sbx_unpack(const unsigned char *in, size_t in_len, unsigned char *out, size_t out_len)
{
	const unsigned char *end = in + in_len;
	size_t done = 0, count;
	while (in < end) {
		unsigned token = *in++;
		if (read_count(&in, end, token >> 4, out_len - done, &count) < 0 || count > (size_t)(end - in))
			return -1;
		if (count > 0)
			memcpy(out + done, in, count);
		in += count;
		done += count;
		if (in == end)
			break; /* the last sequence: literals only */
		size_t offset = *in++;
		if (offset & 0x80) {
			if (in == end)
				return -1;
			offset = (offset & 0x7f) << 8 | *in++;
		}
		if (offset == 0 || offset > done || out_len - done < SBX_PACK_MIN_MATCH ||
		    read_count(&in, end, token & 15, out_len - done - SBX_PACK_MIN_MATCH, &count) < 0)
			return -1;
		/* Byte by byte: a match may overlap what it writes (offset < length repeats). */
		for (count += SBX_PACK_MIN_MATCH; count > 0; count--, done++)
			out[done] = out[done - offset];
	}
	return done == out_len ? 0 : -1;
}

void sbx_bpf_from_planes(const unsigned char *planes, size_t n, struct sock_filter *insns)
{
	uint32_t k = 0;
	for (size_t i = 0; i < n; i++) {
		k += (uint32_t)planes[4 * n + i] | (uint32_t)planes[5 * n + i] << 8 |
		     (uint32_t)planes[6 * n + i] << 16 | (uint32_t)planes[7 * n + i] << 24;
		insns[i] = (struct sock_filter){ .code = (uint16_t)(planes[i] | planes[n + i] << 8),
		                                 .jt = planes[2 * n + i], .jf = planes[3 * n + i], .k = k };
	}
}

#ifndef USHER_SECCOMP_GEN /* seccomp-gen writes the data below; it only needs sbx_unpack */

/* Unpacked on first use and kept: the parsed profile points into the text, the prepared
 * program into the instructions. */
static char *builtin_json;
static struct sbx_precompiled *builtin_variants;

const char *sbx_builtin_json(size_t *len)
{
	if (!builtin_json) {
		char *text = malloc(sbx_builtin_json_len + 1);
		int rc = text ? sbx_unpack(sbx_builtin_json_packed, sbx_builtin_json_packed_len,
		                           (unsigned char *)text, sbx_builtin_json_len) : -1;
		if (rc < 0) {
			usher_err("built-in profile: %s", text ? "its packed text is damaged" : "out of memory");
			free(text);
			return NULL;
		}
		text[sbx_builtin_json_len] = '\0';
		builtin_json = text;
	}
	*len = sbx_builtin_json_len;
	return builtin_json;
}

const struct sbx_precompiled *sbx_builtin_variants(void)
{
	if (builtin_variants)
		return builtin_variants;
	size_t total = 0;
	for (size_t v = 0; v < sbx_builtin_variant_count; v++)
		total += sbx_builtin_shapes[v].len;
	unsigned char *planes = malloc(total * SBX_PLANES);
	struct sock_filter *insns = malloc(total * sizeof *insns);
	struct sbx_precompiled *variants = malloc(sbx_builtin_variant_count * sizeof *variants);
	int rc = planes && insns && variants ? sbx_unpack(sbx_builtin_bpf_packed, sbx_builtin_bpf_packed_len,
	                                                  planes, total * SBX_PLANES) : -1;
	if (rc < 0) {
		usher_err("built-in profile: %s", planes && insns && variants ? "its packed filters are damaged"
		                                                              : "out of memory");
		free(planes);
		free(insns);
		free(variants);
		return NULL;
	}
	/* The variants' planes follow each other, each variant's 8 planes together. */
	for (size_t v = 0, at = 0; v < sbx_builtin_variant_count; at += sbx_builtin_shapes[v++].len) {
		sbx_bpf_from_planes(planes + at * SBX_PLANES, sbx_builtin_shapes[v].len, insns + at);
		variants[v] = sbx_builtin_shapes[v];
		variants[v].insns = insns + at;
	}
	free(planes);
	builtin_variants = variants;
	return variants;
}

#endif
