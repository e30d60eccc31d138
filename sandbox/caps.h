/* sandbox/caps.h — the workload's capabilities: --cap-keep/--cap-drop planned before the
 * fork, then bounding, permitted, effective, inheritable and ambient sets set and read back. */
#ifndef USHER_SANDBOX_CAPS_H
#define USHER_SANDBOX_CAPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Option setters (see sandbox_options[] in sandbox.c). */
int caps_set_keep(const char *value, const char *where);
int caps_set_drop(const char *value, const char *where);

/* True when --cap-keep or --cap-drop was given. */
bool caps_requested(void);

/* Before the fork: the final sets. to_non_root says the workload's uid will not be 0: it
 * then loses every capability unless kept, and kept ones go into the ambient set too.
 * *workload_caps gets the workload's bounding set as a mask of (1ULL << CAP_x).
 * Returns 0, or -1 after printing why. */
int caps_plan(bool to_non_root, uint64_t *workload_caps);

/* True when caps_plan decided to change the capability sets. */
bool caps_active(void);

/* In the child, in this order around user_apply():
 * caps_before_id_switch — drops the bounding set, sets securebits and keep-caps while
 *   usher still holds CAP_SETPCAP;
 * caps_after_id_switch — sets permitted/effective/inheritable, then the ambient set;
 * caps_verify — reads every set back and compares it with the plan.
 * Each returns 0, or -1 after printing. */
int caps_before_id_switch(void);
int caps_after_id_switch(void);
int caps_verify(void);

/* "inh=0x... prm=0x... eff=0x... bnd=0x... amb=0x... (NET_BIND_SERVICE) securebits=0x..."
 * from the kernel's view of the calling process, for -v. */
void caps_describe(char *buf, size_t size);

#endif
