/* sandbox/seccomp.c — the seccomp phase: --seccomp and --seccomp-arches, the filter chosen or
 * built before the privilege drop, loaded with seccomp(2) as the child's last step before execve. */
#include "seccomp.h"

#include "seccomp-internal.h"
#include "util.h"

#include <errno.h>
#include <linux/seccomp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

enum seccomp_mode {
	MODE_UNCONFINED, /* also when --seccomp is not given */
	MODE_DEFAULT,
	MODE_LOG,
	MODE_FILE,
	MODE_COMPILED, /* a file from `usher seccomp compile` (seccomp-compiled.c) */
};

/* The profile given with --seccomp PATH, freed and forgotten. */
static void forget_file(struct sbx_seccomp *s)
{
	if (s->file_profile)
		sbx_profile_free(s->file_profile);
	if (s->compiled)
		sbx_compiled_free(s->compiled);
	free(s->file_profile);
	free(s->compiled);
	free(s->file_path);
	s->file_profile = NULL;
	s->compiled = NULL;
	s->file_path = NULL;
}

int sbx_seccomp_select(struct sbx_seccomp *s, const char *spec, const char *where)
{
	if (spec[0] == '\0') {
		usher_err("%s: empty value: say default, log, unconfined or a profile's path", where);
		return -1;
	}
	forget_file(s);
	if (strcmp(spec, "default") == 0) {
		s->mode = MODE_DEFAULT;
	} else if (strcmp(spec, "log") == 0) {
		s->mode = MODE_LOG;
	} else if (strcmp(spec, "unconfined") == 0) {
		s->mode = MODE_UNCONFINED;
	} else {
		/* Parsed now, so a malformed file stops usher before anything runs. */
		s->mode = MODE_UNCONFINED;
		s->file_profile = calloc(1, sizeof *s->file_profile);
		s->compiled = calloc(1, sizeof *s->compiled);
		s->file_path = strdup(spec);
		if (!s->file_profile || !s->compiled || !s->file_path) {
			forget_file(s);
			usher_err("%s: out of memory", where);
			return -1;
		}
		/* A compiled file is told by its first bytes; anything else is JSON. */
		int is_json = sbx_compiled_load(spec, s->compiled);
		if (is_json < 0 || (is_json == 1 && sbx_profile_load_file(spec, s->file_profile) < 0)) {
			forget_file(s);
			return -1;
		}
		s->mode = is_json ? MODE_FILE : MODE_COMPILED;
	}
	return 0;
}

int sbx_seccomp_set_compat_arches(struct sbx_seccomp *s, const char *value, const char *where)
{
	s->arches_override = true;
	s->compat_arch_count = 0;
	if (strcmp(value, "native") == 0)
		return 0;
	if (value[0] == '\0') {
		usher_err("%s: empty value: say native, or arch names such as x86,x32", where);
		return -1;
	}
	const char *name = value;
	while (*name) {
		size_t len = strcspn(name, ",");
		char arch_name[32];
		if (len == 0 || len >= sizeof arch_name) {
			usher_err("%s: \"%s\": expected arch names separated by commas, e.g. x86,x32, or native", where, value);
			return -1;
		}
		memcpy(arch_name, name, len);
		arch_name[len] = '\0';
		uint32_t arch = sbx_arch_from_name(arch_name);
		if (arch == 0) {
			usher_err("%s: unknown architecture \"%s\" (libseccomp names: x86, x32, x86_64, arm...)", where, arch_name);
			return -1;
		}
		if (s->compat_arch_count == sizeof s->compat_arches / sizeof s->compat_arches[0]) {
			usher_err("%s: too many architectures", where);
			return -1;
		}
		s->compat_arches[s->compat_arch_count++] = arch;
		name += len + (name[len] == ',');
	}
	return 0;
}

bool sbx_seccomp_active(const struct sbx_seccomp *s)
{
	return s->mode != MODE_UNCONFINED;
}

static long long now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* The variant seccomp-gen compiled for these caps and this mode, or NULL. It is only valid
 * for the running kernel when every minKernel of the profile is met, as at build time. */
static const struct sbx_precompiled *precompiled_variant(const struct sbx_seccomp *s,
							 uint64_t workload_caps, bool log_default)
{
	if (log_default)
		return NULL; /* not precompiled: see seccomp-gen.c */
	if (s->arches_override && s->compat_arch_count > 0)
		return NULL;
	if (sbx_running_kernel() < sbx_builtin_min_kernel)
		return NULL;
	uint64_t caps = workload_caps & sbx_builtin_caps_mentioned;
	for (size_t k = 0; k < sbx_builtin_variant_count; k++) {
		const struct sbx_precompiled *v = &sbx_builtin_shapes[k]; /* packed: no insns yet */
		if (v->caps == caps)
			return v;
	}
	return NULL;
}

static int build_now(struct sbx_seccomp *s, const struct sbx_profile *profile, const char *origin,
		     uint64_t workload_caps)
{
	struct sbx_build_options options = {
		.quiet = s->mode != MODE_FILE,
		.caps = workload_caps,
		.kernel = sbx_running_kernel(),
		.log_default = s->mode == MODE_LOG,
		.arches_override = s->arches_override,
		.arches = s->compat_arches,
		.arch_count = s->compat_arch_count,
	};
	long long start = now_us();
	struct sbx_bpf built;
	if (sbx_profile_compile(profile, &options, origin, &built) < 0)
		return -1;
	s->built = built.insns;
	s->program = (struct sock_fprog){ .len = built.len, .filter = built.insns };
	s->load_flags = built.load_flags;
	usher_info("seccomp: %s: built at start in %lld us, %u instructions", origin, now_us() - start, built.len);
	return 0;
}

int sbx_seccomp_prepare(struct sbx_seccomp *s, uint64_t workload_caps)
{
	free(s->built); /* from an earlier prepare, if any */
	s->built = NULL;
	s->program = (struct sock_fprog){ 0 };
	s->load_flags = 0;
	if (s->mode == MODE_UNCONFINED)
		return 0;
	if (s->mode == MODE_FILE)
		return build_now(s, s->file_profile, s->file_path, workload_caps) < 0 ? EXIT_USHER_FAILED : 0;
	if (s->mode == MODE_COMPILED) {
		if (sbx_compiled_match(s->compiled, s->file_path, workload_caps, s->arches_override,
		                       s->compat_arches, s->compat_arch_count, sbx_running_kernel()) < 0)
			return EXIT_USHER_FAILED;
		s->program = (struct sock_fprog){ .len = s->compiled->len, .filter = s->compiled->insns };
		s->load_flags = s->compiled->load_flags;
		usher_info("seccomp: %s: compiled (profile hash %016llx), %u instructions", s->file_path,
		           (unsigned long long)s->compiled->profile_hash, s->compiled->len);
		return 0;
	}

	const char *origin = s->mode == MODE_LOG ? "built-in profile (log)" : "built-in profile";
	const struct sbx_precompiled *variant = precompiled_variant(s, workload_caps, s->mode == MODE_LOG);
	if (variant) {
		const struct sbx_precompiled *unpacked = sbx_builtin_variants();
		if (!unpacked)
			return EXIT_USHER_FAILED;
		variant = &unpacked[variant - sbx_builtin_shapes];
		/* The kernel only reads the program; the cast drops const for struct sock_fprog. */
		s->program = (struct sock_fprog){ .len = variant->len, .filter = (struct sock_filter *)variant->insns };
		usher_info("seccomp: %s: precompiled, %u instructions", origin, variant->len);
		return 0;
	}
	/* Kept capabilities unlock rules no precompiled variant has, or compat arches were asked
	 * for: build from the same profile text the generator compiled. */
	struct sbx_profile builtin;
	size_t json_len;
	const char *json = sbx_builtin_json(&json_len); /* unpacked now */
	if (!json || sbx_profile_parse(json, json_len, origin, &builtin) < 0)
		return EXIT_USHER_FAILED;
	int rc = build_now(s, &builtin, origin, workload_caps);
	sbx_profile_free(&builtin);
	return rc < 0 ? EXIT_USHER_FAILED : 0;
}

int sbx_seccomp_compile(const struct sbx_seccomp *s, const char *json_path, const char *out_path,
                        uint64_t workload_caps)
{
	struct sbx_build_options options = {
		.caps = workload_caps,
		.kernel = sbx_running_kernel(),
		.arches_override = s->arches_override,
		.arches = s->compat_arches,
		.arch_count = s->compat_arch_count,
	};
	return sbx_compiled_write(json_path, out_path, &options) < 0 ? EXIT_USHER_FAILED : 0;
}

static int install(const struct sbx_seccomp *s)
{
	return syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, s->load_flags, &s->program) == 0 ? 0 : -1;
}

int sbx_seccomp_load(const struct sbx_seccomp *s)
{
	if (s->mode == MODE_UNCONFINED)
		return 0;
	if (!s->program.filter) {
		usher_err("seccomp: no filter was prepared (sbx_seccomp_prepare was not called)");
		return -1;
	}
	if (install(s) == 0)
		return 0;
	/* Without CAP_SYS_ADMIN the kernel wants no_new_privs first, as libseccomp sets it. */
	if (errno == EACCES && prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) == 0) {
		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
			usher_err("seccomp: setting no_new_privs: %s", strerror(errno));
			return -1;
		}
		usher_debug("seccomp: no_new_privs set: the workload has no CAP_SYS_ADMIN to load a filter without it");
		if (install(s) == 0)
			return 0;
	}
	usher_err("seccomp: loading the filter: %s", strerror(errno));
	return -1;
}
