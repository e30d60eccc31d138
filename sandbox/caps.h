/* sandbox/caps.h — the workload's capabilities: --cap-keep/--cap-drop planned before the
 * fork, then bounding, permitted, effective, inheritable and ambient sets set and read back. */
#ifndef USHER_SANDBOX_CAPS_H
#define USHER_SANDBOX_CAPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A set of capabilities as given: named ones, or ALL. */
struct cap_list {
	bool given;
	bool all;
	uint64_t mask;
};

/* One plan's capabilities: as given, and the final sets caps_plan() makes of them. */
struct sbx_caps {
	struct cap_list keep, drop;
	bool active;           /* caps_plan decided to change the sets */
	bool to_non_root;
	int last_cap;          /* highest capability the running kernel knows */
	uint64_t final;        /* permitted = effective = inheritable */
	uint64_t bounding;     /* final, or usher's own when it cannot matter (see caps_plan) */
	uint64_t ambient;      /* final for a non-root workload, else 0 */
	unsigned securebits;   /* bits to add; 0 for none */
};

/* Option setters, writing into c (sandbox.c passes the selected plan's). */
int caps_set_keep(struct sbx_caps *c, const char *value, const char *where);
int caps_set_drop(struct sbx_caps *c, const char *value, const char *where);

/* Before the fork: the final sets. to_non_root says the workload's uid will not be 0: it
 * then loses every capability unless kept, and kept ones go into the ambient set too.
 * *workload_caps gets the workload's bounding set as a mask of (1ULL << CAP_x).
 * Returns 0, or -1 after printing why. */
int caps_plan(struct sbx_caps *c, bool to_non_root, uint64_t *workload_caps);

/* True when the capability sets will change (asked for, or planned). */
bool caps_active(const struct sbx_caps *c);

/* In the child, in this order around user_apply():
 * caps_before_id_switch — drops the bounding set, sets securebits and keep-caps while
 *   usher still holds CAP_SETPCAP; *securebits gets the bits it set;
 * caps_after_id_switch — sets permitted/effective/inheritable, then the ambient set;
 * caps_verify — reads every set back and compares it with the plan and those securebits.
 * Each returns 0, or -1 after printing. */
int caps_before_id_switch(const struct sbx_caps *c, unsigned *securebits);
int caps_after_id_switch(const struct sbx_caps *c);
int caps_verify(const struct sbx_caps *c, unsigned securebits);

/* "inh=0x... prm=0x... eff=0x... bnd=0x... amb=0x... (NET_BIND_SERVICE) securebits=0x..."
 * from the kernel's view of the calling process, for -v. */
void caps_describe(char *buf, size_t size);

#endif
