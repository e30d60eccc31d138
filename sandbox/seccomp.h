/* sandbox/seccomp.h — the seccomp phase: choose a profile (built-in, log, file), build the
 * filter before the privilege drop, load it in the child as the last step before execve. */
#ifndef USHER_SECCOMP_H
#define USHER_SECCOMP_H

#include <stdbool.h>
#include <stdint.h>

/* --seccomp / Seccomp=: "default" | "log" | "unconfined" | PATH. A PATH is read and parsed
 * here, so a malformed file fails early with "usher: <path>: <why>".
 * Returns 0, or -1 after printing. */
int sbx_seccomp_select(const char *spec, const char *where);

/* --seccomp-arches / SeccompArchitectures=: e.g. "x86,x32", or "native".
 * Returns 0, or -1 after printing. */
int sbx_seccomp_set_compat_arches(const char *value, const char *where);

/* True when a filter will be loaded (anything but "unconfined"). */
bool sbx_seccomp_active(void);

/* Before fork, before the privilege drop: build the filter. workload_caps is a bitmask
 * (1ULL << CAP_x) of the capabilities the workload keeps after the drop.
 * Returns 0, or EXIT_USHER_FAILED after printing. */
int sbx_seccomp_prepare(uint64_t workload_caps);

/* `usher seccomp compile`: compiles the JSON profile at json_path for workload_caps and the
 * --seccomp-arches given, and writes it to out_path. Returns 0, or EXIT_USHER_FAILED after
 * printing. */
int sbx_seccomp_compile(const char *json_path, const char *out_path, uint64_t workload_caps);

/* In the forked child, the last step before execve. Returns 0, or -1 after printing. */
int sbx_seccomp_load(void);

#endif
