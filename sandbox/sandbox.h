/* sandbox/sandbox.h — what init/ asks of the sandbox phase: prepare everything before
 * the fork, apply it in the child right before execve, fail closed. */
#ifndef USHER_SANDBOX_H
#define USHER_SANDBOX_H

#include <stdbool.h>

/* Before any fork: resolve user and groups from the image's /etc files, parse
 * capabilities, build the seccomp filter. Returns 0, or EXIT_USHER_FAILED after
 * printing one line that says why. */
int sandbox_prepare(void);

/* True when sandbox_apply has anything to do (the child is then forked, not vforked). */
bool sandbox_active(void);

/* HOME of the target user from /etc/passwd, or NULL (no user switch). init/ sets it
 * in the workload's environment when HOME is unset there. */
const char *sandbox_home(void);

/* In the child, right before execve: groups, gid, uid, capabilities, no_new_privs,
 * rlimits, umask, then the seccomp filter last; each checked and read back.
 * Returns 0, or -1 after printing "usher: ..." (the child then exits 125). */
int sandbox_apply(void);

#endif
