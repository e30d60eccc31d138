/* sandbox/seccomp.h — the seccomp phase: choose a profile (built-in, log, file), build the
 * filter before the privilege drop, load it in the child as the last step before execve. */
#ifndef USHER_SECCOMP_H
#define USHER_SECCOMP_H

#include <linux/filter.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct sbx_profile;
struct sbx_compiled;

/* One plan's seccomp state: the profile chosen, then the filter prepared for it (a
 * precompiled built-in one, or one built at start). All zero: unconfined. */
struct sbx_seccomp {
	int mode;                         /* seccomp.c's enum; 0 = unconfined */
	struct sbx_profile *file_profile; /* --seccomp PATH: parsed when given */
	struct sbx_compiled *compiled;    /* --seccomp PATH of `usher seccomp compile`: read when given */
	char *file_path;
	bool arches_override;
	uint32_t compat_arches[8];
	size_t compat_arch_count;
	struct sock_fprog program;        /* what sbx_seccomp_load hands to the kernel */
	struct sock_filter *built;        /* malloc'd when built at start, else NULL */
	unsigned load_flags;
};

/* --seccomp / Seccomp=: "default" | "log" | "unconfined" | PATH, into s. A PATH is read and
 * parsed here, so a malformed file fails early with "usher: <path>: <why>".
 * Returns 0, or -1 after printing. */
int sbx_seccomp_select(struct sbx_seccomp *s, const char *spec, const char *where);

/* --seccomp-arches / SeccompArchitectures=: e.g. "x86,x32", or "native".
 * Returns 0, or -1 after printing. */
int sbx_seccomp_set_compat_arches(struct sbx_seccomp *s, const char *value, const char *where);

/* True when a filter will be loaded (anything but "unconfined"). */
bool sbx_seccomp_active(const struct sbx_seccomp *s);

/* Before fork, before the privilege drop: build the filter. workload_caps is a bitmask
 * (1ULL << CAP_x) of the capabilities the workload keeps after the drop.
 * Returns 0, or EXIT_USHER_FAILED after printing. */
int sbx_seccomp_prepare(struct sbx_seccomp *s, uint64_t workload_caps);

/* `usher seccomp compile`: compiles the JSON profile at json_path for workload_caps and s's
 * --seccomp-arches, and writes it to out_path. Returns 0, or EXIT_USHER_FAILED after printing. */
int sbx_seccomp_compile(const struct sbx_seccomp *s, const char *json_path, const char *out_path,
                        uint64_t workload_caps);

/* In the forked child, the last step before execve. Returns 0, or -1 after printing. */
int sbx_seccomp_load(const struct sbx_seccomp *s);

#endif
