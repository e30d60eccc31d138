/* tests/sandbox/seccomp-harness.c — runs a program under a seccomp profile through the
 * seccomp.h calls alone (no init/, no privilege drop), so the loader is testable by itself. */
#include "seccomp.h"
#include "seccomp-internal.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int usage(void)
{
	fprintf(stderr, "usage: seccomp-harness [-v] [--caps HEX] [--arches LIST] SPEC -- PROGRAM [ARG...]\n"
	                "       seccomp-harness --check-precompiled\n");
	return 2;
}

/* Each precompiled variant must be exactly what the loader builds from the embedded profile
 * for its cap set: prints one TAP line per variant. */
static int check_precompiled(void)
{
	struct sbx_profile profile;
	if (sbx_profile_parse(sbx_builtin_json, sbx_builtin_json_len, "built-in profile", &profile) < 0)
		return 1;
	int failed = 0;
	for (size_t k = 0; k < sbx_builtin_variant_count; k++) {
		const struct sbx_precompiled *v = &sbx_builtin_variants[k];
		struct sbx_build_options options = { .caps = v->caps, .kernel = sbx_running_kernel() };
		struct sbx_bpf bpf;
		bool same = sbx_profile_compile(&profile, &options, "built-in profile", &bpf) == 0 &&
		            bpf.len == v->len && memcmp(bpf.insns, v->insns, v->len * sizeof *v->insns) == 0;
		printf("%sok %zu - variant %zu (caps %#llx, %u instructions) equals the filter built at start\n",
		       same ? "" : "not ", k + 1, k, (unsigned long long)v->caps, v->len);
		failed += !same;
		free(bpf.insns);
	}
	printf("1..%zu\n", sbx_builtin_variant_count);
	sbx_profile_free(&profile);
	return failed ? 1 : 0;
}

int main(int argc, char **argv)
{
	uint64_t caps = 0;
	int i = 1;
	const char *arches = NULL;
	if (argc == 2 && strcmp(argv[1], "--check-precompiled") == 0)
		return check_precompiled();
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
