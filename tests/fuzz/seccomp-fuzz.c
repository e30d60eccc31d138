/* tests/fuzz/seccomp-fuzz.c — libFuzzer harness: the seccomp JSON loader and, for what it
 * accepts, the compiler (sandbox/seccomp-profile.c, seccomp-build.c, with libseccomp). */
#include "seccomp-internal.h"
#include "util.h"

#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	usher_verbosity = -1;
	struct sbx_profile profile;
	if (sbx_profile_parse((const char *)data, size, "fuzz.json", &profile) != 0)
		return 0;
	/* Both with every capability and with none: includes/excludes take both ways. */
	for (int pass = 0; pass < 2; pass++) {
		struct sbx_build_options options = {
			.caps = pass ? ~0ULL : 0,
			.kernel = (6u << 16) | 1,
			.log_default = pass,
			.quiet = true,
		};
		struct sbx_bpf bpf = { 0 };
		if (sbx_profile_compile(&profile, &options, "fuzz.json", &bpf) == 0 &&
		    (bpf.len == 0 || !bpf.insns))
			__builtin_trap(); /* a compiled filter is never empty */
		free(bpf.insns);
	}
	sbx_profile_free(&profile);
	return 0;
}
