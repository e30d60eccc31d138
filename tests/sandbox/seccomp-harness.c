/* tests/sandbox/seccomp-harness.c — runs a program under a seccomp profile through the
 * seccomp.h calls alone (no init/, no privilege drop), so the loader is testable by itself. */
#include "seccomp.h"
#include "seccomp-internal.h"
#include "util.h"
#include "../lib/unit-tap.h"

#include <linux/audit.h>
#include <linux/seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int usage(void)
{
	fprintf(stderr, "usage: seccomp-harness [-v] [--caps HEX] [--arches LIST] SPEC -- PROGRAM [ARG...]\n"
	                "       seccomp-harness --check-precompiled\n"
	                "       seccomp-harness --check-ranges PROFILE.json\n");
	return 2;
}

/* Each precompiled variant must be exactly what the loader builds from the embedded profile
 * for its cap set: prints one TAP line per variant. */
static int check_precompiled(void)
{
	struct sbx_profile profile;
	size_t json_len;
	const char *json = sbx_builtin_json(&json_len);
	const struct sbx_precompiled *variants = sbx_builtin_variants();
	if (!json || !variants || sbx_profile_parse(json, json_len, "built-in profile", &profile) < 0)
		return 1;
	for (size_t k = 0; k < sbx_builtin_variant_count; k++) {
		const struct sbx_precompiled *v = &variants[k];
		struct sbx_build_options options = { .caps = v->caps, .kernel = sbx_running_kernel() };
		struct sbx_bpf bpf;
		bool same = sbx_profile_compile(&profile, &options, "built-in profile", &bpf) == 0 &&
		            bpf.len == v->len && memcmp(bpf.insns, v->insns, v->len * sizeof *v->insns) == 0;
		ok(same, "variant %zu (caps %#llx, %u instructions) equals the filter built at start", k,
		   (unsigned long long)v->caps, v->len);
		free(bpf.insns);
	}
	sbx_profile_free(&profile);
	return done_testing();
}


/* A classic-BPF interpreter for seccomp programs (the instructions libseccomp and usher
 * emit); -1 on anything else, so a program the checker cannot run fails the check. */
static long long run_bpf(const struct sock_filter *p, size_t len, const struct seccomp_data *d)
{
	uint32_t a = 0, x = 0, mem[BPF_MEMWORDS] = { 0 };
	const unsigned char *data = (const unsigned char *)d;
	for (size_t pc = 0; pc < len; pc++) {
		const struct sock_filter *f = &p[pc];
		switch (f->code) {
		case BPF_LD | BPF_W | BPF_ABS:
			if (f->k > sizeof *d - 4)
				return -1;
			memcpy(&a, data + f->k, 4);
			break;
		case BPF_LD | BPF_MEM: a = mem[f->k % BPF_MEMWORDS]; break;
		case BPF_LDX | BPF_MEM: x = mem[f->k % BPF_MEMWORDS]; break;
		case BPF_ST: mem[f->k % BPF_MEMWORDS] = a; break;
		case BPF_STX: mem[f->k % BPF_MEMWORDS] = x; break;
		case BPF_LD | BPF_IMM: a = f->k; break;
		case BPF_ALU | BPF_AND | BPF_K: a &= f->k; break;
		case BPF_ALU | BPF_OR | BPF_K: a |= f->k; break;
		case BPF_MISC | BPF_TAX: x = a; break;
		case BPF_MISC | BPF_TXA: a = x; break;
		case BPF_JMP | BPF_JA: pc += f->k; break;
		case BPF_JMP | BPF_JEQ | BPF_K: pc += a == f->k ? f->jt : f->jf; break;
		case BPF_JMP | BPF_JGT | BPF_K: pc += a > f->k ? f->jt : f->jf; break;
		case BPF_JMP | BPF_JGE | BPF_K: pc += a >= f->k ? f->jt : f->jf; break;
		case BPF_JMP | BPF_JSET | BPF_K: pc += (a & f->k) ? f->jt : f->jf; break;
		case BPF_RET | BPF_K: return f->k;
		case BPF_RET | BPF_A: return a;
		default: return -1;
		}
	}
	return -1;
}

/* Every value the profile compares an argument with, and around it. */
static size_t arg_values(const struct sbx_profile *profile, uint64_t *out, size_t room)
{
	size_t n = 0;
	out[n++] = ~0ULL;
	/* 0-63: the call numbers x86's socketcall(2) and ipc(2) multiplex in their first
	 * argument (libseccomp's rules for the socket and IPC calls test them). */
	for (uint64_t v = 0; v < 64; v++)
		out[n++] = v;
	for (size_t r = 0; r < profile->rule_count; r++)
		for (size_t k = 0; k < profile->rules[r].arg_count; k++) {
			const struct sbx_arg *arg = &profile->rules[r].args[k];
			uint64_t v[] = { arg->value, arg->value - 1, arg->value + 1, arg->value_two,
			                 arg->value | arg->value_two, arg->value | 0xffffffff00000000ULL };
			for (size_t i = 0; i < sizeof v / sizeof v[0] && n < room; i++)
				out[n++] = v[i];
		}
	return n;
}

/* The filter with the range block decides every input as libseccomp's program alone does:
 * arches (native, i386, x32 numbers, a foreign one) x syscall numbers 0-1099 and x32's x
 * each argument value of the profile (and 0-63) in every argument. One TAP line per cap set. */
static int check_ranges(const char *path)
{
	if (access(path, R_OK) != 0) {
		printf("1..0 # SKIP %s not readable\n", path);
		return 0;
	}
	struct sbx_profile profile;
	if (sbx_profile_load_file(path, &profile) < 0)
		return 1;
	uint64_t mentioned = sbx_profile_caps_mentioned(&profile);
	uint64_t cap_sets[] = { 0, mentioned, 1ULL << 18 /* CAP_SYS_CHROOT */, mentioned & ~(1ULL << 21) };
	static uint64_t values[4096];
	size_t value_count = arg_values(&profile, values, sizeof values / sizeof values[0]);
	double largest_share = 0; /* of ranged.len / plain.len: what the range block saves */
	for (size_t c = 0; c < sizeof cap_sets / sizeof cap_sets[0]; c++) {
		/* Variants: default or log action x the profile's arches, native only, or x86 + x32 +
		 * arm (an arch with no range block: its own context keeps every rule). */
		for (int variant = 0; variant < 6; variant++) {
			bool log_default = variant & 1, native_only = variant / 2 == 1, with_arm = variant / 2 == 2;
			const uint32_t compat_and_arm[] = { sbx_arch_from_name("x86"), sbx_arch_from_name("x32"),
			                                    sbx_arch_from_name("arm") };
			struct sbx_build_options options = { .caps = cap_sets[c], .kernel = sbx_running_kernel(),
			                                     .log_default = log_default, .quiet = true,
			                                     .arches_override = native_only || with_arm,
			                                     .arches = with_arm ? compat_and_arm : NULL,
			                                     .arch_count = with_arm ? 3 : 0 };
			struct sbx_bpf ranged, plain;
			if (sbx_profile_compile(&profile, &options, path, &ranged) < 0)
				return 1;
			options.plain = true;
			if (sbx_profile_compile(&profile, &options, path, &plain) < 0)
				return 1;
			static const uint32_t arches[] = { AUDIT_ARCH_X86_64, AUDIT_ARCH_I386, AUDIT_ARCH_AARCH64,
			                                   AUDIT_ARCH_ARM, 0x12345678 };
			long long checked = 0, differ = 0, first_nr = -1;
			for (size_t a = 0; a < sizeof arches / sizeof arches[0]; a++)
				for (uint32_t i = 0; i < 1700; i++) {
					uint32_t nr = i < 1100 ? i : 0x40000000u + (i - 1100);
					for (size_t v = 0; v < value_count; v++) {
						struct seccomp_data d = { .nr = (int)nr, .arch = arches[a] };
						for (int k = 0; k < 6; k++)
							d.args[k] = values[v];
						long long x = run_bpf(ranged.insns, ranged.len, &d), y = run_bpf(plain.insns, plain.len, &d);
						checked++;
						if (x != y || x < 0) {
							differ++;
							if (first_nr < 0)
								first_nr = nr;
						}
					}
				}
			ok(!differ, "%s caps %#llx%s%s: %u instructions decide %lld inputs as libseccomp's %u do",
			   path, (unsigned long long)cap_sets[c], log_default ? " log" : "",
			   native_only ? " native" : with_arm ? " x86,x32,arm" : "", ranged.len, checked, plain.len);
			if (differ)
				diag("%lld differ, first at nr %lld", differ, first_nr);
			if ((double)ranged.len / plain.len > largest_share)
				largest_share = (double)ranged.len / plain.len;
			free(ranged.insns);
			free(plain.insns);
		}
	}
	/* What the block is for: the kernel's attach cost grows with the length (docs/seccomp.md).
	 * With compat arches too (Docker's archMap): x86_64's and x32's sections are ranged. */
	ok(largest_share <= 0.6, "%s: every filter is at most 60%% of libseccomp's length (largest: %.0f%%)",
	   path, 100 * largest_share);
	/* The control: the same comparison tells two filters apart that differ (no capability
	 * against every one the profile mentions), so a pass above means something. */
	if (mentioned) {
		struct sbx_build_options none = { .kernel = sbx_running_kernel(), .quiet = true, .plain = true };
		struct sbx_build_options all = none;
		all.caps = mentioned;
		struct sbx_bpf x, y;
		if (sbx_profile_compile(&profile, &none, path, &x) < 0 || sbx_profile_compile(&profile, &all, path, &y) < 0)
			return 1;
		long long differ = 0;
		for (uint32_t nr = 0; nr < 1100; nr++)
			for (size_t v = 0; v < value_count; v++) {
				struct seccomp_data d = { .nr = (int)nr, .arch = AUDIT_ARCH_X86_64 };
				for (int k = 0; k < 6; k++)
					d.args[k] = values[v];
				differ += run_bpf(x.insns, x.len, &d) != run_bpf(y.insns, y.len, &d);
			}
		ok(differ != 0, "control: the check tells no capability from every one (%lld inputs differ)",
		   differ);
		free(x.insns);
		free(y.insns);
	}
	sbx_profile_free(&profile);
	return done_testing();
}

int main(int argc, char **argv)
{
	uint64_t caps = 0;
	int i = 1;
	const char *arches = NULL;
	if (argc == 2 && strcmp(argv[1], "--check-precompiled") == 0)
		return check_precompiled();
	if (argc == 3 && strcmp(argv[1], "--check-ranges") == 0)
		return check_ranges(argv[2]);
	for (; i < argc && argv[i][0] == '-' && strcmp(argv[i], "--") != 0; i++) {
		if (strcmp(argv[i], "-v") == 0)
			usher_verbosity++;
		else if (strcmp(argv[i], "--caps") == 0 && i + 1 < argc)
			caps = strtoull(argv[++i], NULL, 16);
		else if (strcmp(argv[i], "--arches") == 0 && i + 1 < argc)
			arches = argv[++i];
		else
			return usage();
	}
	if (i + 2 >= argc || strcmp(argv[i + 1], "--") != 0)
		return usage();
	const char *spec = argv[i];
	char **program = &argv[i + 2];

	static struct sbx_seccomp filter; /* one plan's seccomp state */
	if (sbx_seccomp_select(&filter, spec, "--seccomp") < 0)
		return EXIT_USHER_FAILED;
	if (arches && sbx_seccomp_set_compat_arches(&filter, arches, "--seccomp-arches") < 0)
		return EXIT_USHER_FAILED;
	int rc = sbx_seccomp_prepare(&filter, caps);
	if (rc != 0)
		return rc;
	if (sbx_seccomp_load(&filter) < 0)
		return EXIT_USHER_FAILED;
	execv(program[0], program);
	perror(program[0]);
	return EXIT_NOT_FOUND;
}
