/* sandbox/sandbox.h — what init/ asks of the sandbox phase: one plan per process (user,
 * groups, capabilities, no_new_privs, limits, umask, seccomp), prepared before the loop,
 * applied in the child right before execve, fail closed. */
#ifndef USHER_SANDBOX_H
#define USHER_SANDBOX_H

#include <stdbool.h>

struct sandbox_plan; /* opaque */

/* The main command's plan: what the command line, USHER_* variables and the unnamed
 * [Service] section set. Always there; all empty = no sandbox. */
struct sandbox_plan *sandbox_plan_main(void);

/* A new, empty plan (a service's: empty = no sandbox), or NULL after printing
 * "usher: out of memory". Lives as long as usher. */
struct sandbox_plan *sandbox_plan_new(void);

/* From now on the setters of sandbox_options[] write into p (NULL: the main plan). The
 * config parser selects a service's plan for its [Service NAME] section, the main one after. */
void sandbox_plan_select(struct sandbox_plan *p);

/* Before the loop, for each plan: resolve user and groups from the image's /etc files,
 * plan the capabilities, build the seccomp filter. Returns 0, or EXIT_USHER_FAILED after
 * printing one line that says why. A plan with nothing asked costs nothing. NULL: 0. */
int sandbox_prepare(struct sandbox_plan *p);

/* True when sandbox_apply(p) has anything to do (the child is then forked, not vforked);
 * right before sandbox_prepare(p) too. False for NULL. */
bool sandbox_active(const struct sandbox_plan *p);

/* HOME of p's target user from /etc/passwd ("/" for a uid without an entry), or NULL (no
 * user switch). init/ puts it in the workload's environment (see docs/sandbox.md). */
const char *sandbox_home(const struct sandbox_plan *p);

/* In the child, right before execve: limits, umask, capabilities, stdio, groups, gid, uid,
 * no_new_privs, then p's seccomp filter last; each checked and read back.
 * Returns 0, or -1 after printing "usher: ..." (the child then exits 125). */
int sandbox_apply(const struct sandbox_plan *p);

#endif
