/* sandbox/seccomp-internal.h — what seccomp.c, the build-time generator (seccomp-gen.c) and
 * the generated seccomp-builtin.c share: the parsed profile, its compilation to BPF. */
#ifndef USHER_SECCOMP_INTERNAL_H
#define USHER_SECCOMP_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/filter.h>

/* The most arches one filter holds: native plus compat ones (x86_64 + x86 + x32...). */
#define SBX_MAX_ARCHES 8
/* The most runs of syscall numbers the range block holds (its jumps are 8 bits). */
#define SBX_MAX_RANGES 120
/* The largest profile file read. */
#define SBX_PROFILE_MAX_BYTES (4u << 20)

/* One "args" entry: compare argument `index` with `value` (and `value_two` for MASKED_EQ). */
struct sbx_arg {
	unsigned index;
	int op; /* enum scmp_compare */
	uint64_t value, value_two;
};

/* "includes" / "excludes" of Docker's format: which capabilities, arches and kernel the
 * rule is meant for. */
struct sbx_condition {
	uint64_t caps;      /* bitmask of CAP_* named in "caps" */
	char **arches;      /* Go arch names ("amd64", "x32"...), as Docker writes them */
	size_t arch_count;
	bool has_min_kernel;
	unsigned min_kernel; /* major << 16 | minor */
};

struct sbx_rule {
	char **names;
	size_t name_count;
	uint32_t action; /* libseccomp action, errno included */
	struct sbx_arg *args;
	size_t arg_count;
	struct sbx_condition includes, excludes;
};

struct sbx_profile {
	uint32_t default_action;
	uint32_t *arches;  /* SCMP_ARCH_* besides the native one, from archMap or architectures */
	size_t arch_count;
	unsigned load_flags; /* SECCOMP_FILTER_FLAG_* from "flags" */
	struct sbx_rule *rules;
	size_t rule_count;
};

/* Parses a Docker or OCI profile held in text[0..len). `origin` names it in messages:
 * "usher: <origin>: <why>". Returns 0, or -1 after printing. */
int sbx_profile_parse(const char *text, size_t len, const char *origin, struct sbx_profile *profile);
/* Reads and parses the file at path. Returns 0, or -1 after printing. */
int sbx_profile_load_file(const char *path, struct sbx_profile *profile);
void sbx_profile_free(struct sbx_profile *profile);

/* What the profile's includes/excludes are evaluated against, and how to compile it. */
struct sbx_build_options {
	uint64_t caps;          /* the workload's capabilities after the drop */
	unsigned kernel;        /* running kernel, major << 16 | minor */
	bool log_default;       /* replace the default action with SCMP_ACT_LOG */
	bool arches_override;   /* use `arches` instead of the profile's list */
	const uint32_t *arches; /* compat arches to add (native is always in) */
	size_t arch_count;
	bool quiet;             /* skipped names noted at -vv, not -v (the built-in profile) */
	bool plain;             /* libseccomp's program alone, no range block (tests compare) */
};

/* A compiled filter ready for seccomp(2). */
struct sbx_bpf {
	struct sock_filter *insns;
	unsigned short len;
	unsigned load_flags;
	uint32_t arches[SBX_MAX_ARCHES]; /* the arches it covers, native first */
	unsigned arch_count;
};

/* Compiles the profile with libseccomp (binary tree), then puts the ENOSYS stub for
 * syscalls newer than the profile in front. `origin` names the profile in messages.
 * Returns 0, or -1 after printing. */
int sbx_profile_compile(const struct sbx_profile *profile, const struct sbx_build_options *options,
                        const char *origin, struct sbx_bpf *bpf);

/* seccomp-ranges.c: sorts nrs (syscall numbers allowed outright on audit_arch) and writes a
 * block that returns ALLOW for them and falls through for anything else, into out (room for
 * 5 + 2 * SBX_MAX_RANGES). Returns its length; 0 when nrs is empty or too scattered. */
size_t sbx_ranges_write(uint32_t audit_arch, uint32_t *nrs, size_t count, struct sock_filter *out);

/* Bitmask of every capability the profile's includes/excludes mention, and the highest
 * minKernel it mentions: the parts of the start-up state a compiled filter depends on. */
uint64_t sbx_profile_caps_mentioned(const struct sbx_profile *profile);
unsigned sbx_profile_max_min_kernel(const struct sbx_profile *profile);

/* The arch the filters are built for. usher's is the running one; seccomp-gen (built with
 * USHER_SECCOMP_GEN) takes another with --arch, to precompile a cross build's profile. */
#ifdef USHER_SECCOMP_GEN
extern uint32_t sbx_target_arch; /* 0: the running one */
uint32_t sbx_native_arch(void);
#else
#define sbx_native_arch() seccomp_arch_native()
#endif

/* seccomp-docker.c: whether a rule applies for these options, as moby's setupSeccomp decides;
 * the native arch's Go name ("amd64"), as includes/excludes spell it. */
bool sbx_rule_applies(const struct sbx_rule *rule, const struct sbx_build_options *options);
const char *sbx_native_go_name(void);

/* "SCMP_ARCH_X86" or "x86" → SCMP_ARCH_X86; 0 if unknown. */
uint32_t sbx_arch_from_name(const char *name);
/* "CAP_SYS_ADMIN" → 21; -1 if unknown. */
int sbx_cap_from_name(const char *name);
/* 21 → "SYS_ADMIN"; NULL if unknown. */
const char *sbx_cap_name(int cap);
/* Running kernel as major << 16 | minor; 0 if uname fails. */
unsigned sbx_running_kernel(void);
/* "6.18.44-foo" -> major 6, minor 18, *rest at ".44-foo"; false if it does not start so. */
bool sbx_kernel_version(const char *text, unsigned *major, unsigned *minor, const char **rest);

/* A profile compiled by `usher seccomp compile` (seccomp-compiled.c): the filter and what
 * it was compiled for. */
struct sbx_compiled {
	struct sock_filter *insns;
	unsigned short len;
	unsigned load_flags;
	uint32_t arches[SBX_MAX_ARCHES];
	unsigned arch_count;
	uint64_t caps_mentioned, caps;   /* caps: the workload's, masked with caps_mentioned */
	unsigned kernel_low, kernel_high; /* the kernels its minKernel rules hold for */
	uint64_t profile_hash;
};
/* Parses the JSON profile at json_path, compiles it for options (options->kernel: the running
 * one) and writes the compiled file to out_path. Returns 0, or -1 after printing. */
int sbx_compiled_write(const char *json_path, const char *out_path, const struct sbx_build_options *options);
/* Reads path: 1 if it is not a compiled profile (no magic: a JSON profile then), 0 with *c
 * filled, -1 after printing why it is refused (size, checksum, arch, version). */
int sbx_compiled_load(const char *path, struct sbx_compiled *c);
void sbx_compiled_free(struct sbx_compiled *c);
/* 0 if c was compiled for what the workload will have (capabilities, the arches asked for
 * with --seccomp-arches, the kernel); else -1 after one line saying what differs. */
int sbx_compiled_match(const struct sbx_compiled *c, const char *origin, uint64_t workload_caps,
                       bool arches_override, const uint32_t *compat, size_t compat_count, unsigned kernel);

/* The built-in profile, written by seccomp-gen into seccomp-builtin.c at build time, packed
 * (seccomp-pack.h); seccomp-unpack.c unpacks it on first use. */
struct sbx_precompiled {
	uint64_t caps; /* caps & sbx_builtin_caps_mentioned this variant was compiled for */
	const struct sock_filter *insns;
	unsigned short len;
};
/* The profile's text (NUL-terminated, *len bytes), or NULL after printing why. */
const char *sbx_builtin_json(size_t *len);
/* The sbx_builtin_variant_count precompiled variants, or NULL after printing why. */
const struct sbx_precompiled *sbx_builtin_variants(void);
extern const size_t sbx_builtin_variant_count;
extern const uint64_t sbx_builtin_caps_mentioned;
extern const unsigned sbx_builtin_min_kernel;
/* The packed data behind those two (seccomp-builtin.c): the variants' caps and lengths
 * (insns NULL), their instructions as planes in one stream, the text in another. */
extern const struct sbx_precompiled sbx_builtin_shapes[];
extern const unsigned char sbx_builtin_bpf_packed[], sbx_builtin_json_packed[];
extern const size_t sbx_builtin_bpf_packed_len, sbx_builtin_json_packed_len, sbx_builtin_json_len;

#endif
