/* sandbox/seccomp-docker.c — which of a profile's rules apply, resolved as Docker does
 * (includes/excludes by arch, capabilities and kernel), and the arch it is built for. */
#include "seccomp-internal.h"

#include <seccomp.h>
#include <string.h>

/* Docker names arches in includes/excludes the Go way; only the native one is compared. */
static const struct {
	uint32_t arch;
	const char *go_name;
} go_arch_names[] = {
	{ SCMP_ARCH_X86, "x86" }, { SCMP_ARCH_X86_64, "amd64" }, { SCMP_ARCH_X32, "x32" },
	{ SCMP_ARCH_ARM, "arm" }, { SCMP_ARCH_AARCH64, "arm64" }, { SCMP_ARCH_MIPS, "mips" },
	{ SCMP_ARCH_MIPS64, "mips64" }, { SCMP_ARCH_MIPS64N32, "mips64n32" },
	{ SCMP_ARCH_MIPSEL, "mipsel" }, { SCMP_ARCH_MIPSEL64, "mipsel64" },
	{ SCMP_ARCH_MIPSEL64N32, "mipsel64n32" }, { SCMP_ARCH_PPC, "ppc" },
	{ SCMP_ARCH_PPC64, "ppc64" }, { SCMP_ARCH_PPC64LE, "ppc64le" }, { SCMP_ARCH_S390, "s390" },
	{ SCMP_ARCH_S390X, "s390x" }, { SCMP_ARCH_RISCV64, "riscv64" },
};

#ifdef USHER_SECCOMP_GEN
uint32_t sbx_target_arch;
uint32_t sbx_native_arch(void)
{
	return sbx_target_arch ? sbx_target_arch : seccomp_arch_native();
}
#endif

const char *sbx_native_go_name(void)
{
	uint32_t native = sbx_native_arch();
	for (size_t k = 0; k < sizeof go_arch_names / sizeof go_arch_names[0]; k++)
		if (go_arch_names[k].arch == native)
			return go_arch_names[k].go_name;
	return "unknown";
}

static bool names_native_arch(const struct sbx_condition *cond)
{
	const char *native = sbx_native_go_name();
	for (size_t k = 0; k < cond->arch_count; k++)
		if (strcmp(cond->arches[k], native) == 0)
			return true;
	return false;
}

/* Docker's resolution (moby seccomp_linux.go): excluded when the native arch is listed, when
 * ANY listed cap is kept, or the kernel is at least minKernel; included only when the native
 * arch is listed, ALL listed caps are kept and the kernel is at least minKernel. */
bool sbx_rule_applies(const struct sbx_rule *rule, const struct sbx_build_options *options)
{
	const struct sbx_condition *ex = &rule->excludes, *in = &rule->includes;
	if (ex->arch_count > 0 && names_native_arch(ex))
		return false;
	if ((ex->caps & options->caps) != 0)
		return false;
	if (ex->has_min_kernel && options->kernel >= ex->min_kernel)
		return false;
	if (in->arch_count > 0 && !names_native_arch(in))
		return false;
	if ((in->caps & options->caps) != in->caps)
		return false;
	if (in->has_min_kernel && options->kernel < in->min_kernel)
		return false;
	return true;
}

