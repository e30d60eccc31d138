/* sandbox/rlimits.h — resource limits (--rlimit, LimitNOFILE= …) and the umask (--umask,
 * UMask=) of the workload: parsed by the setters, set and read back in the child. */
#ifndef USHER_SANDBOX_RLIMITS_H
#define USHER_SANDBOX_RLIMITS_H

#include <stdbool.h>

/* Option setters (see sandbox_options[] in sandbox.c). --rlimit takes NAME=VALUE
 * ("nofile=1024:4096"); the config keys name the limit themselves. */
int rlimits_set(const char *value, const char *where);
int rlimits_set_cpu(const char *value, const char *where);
int rlimits_set_fsize(const char *value, const char *where);
int rlimits_set_data(const char *value, const char *where);
int rlimits_set_stack(const char *value, const char *where);
int rlimits_set_core(const char *value, const char *where);
int rlimits_set_rss(const char *value, const char *where);
int rlimits_set_nofile(const char *value, const char *where);
int rlimits_set_as(const char *value, const char *where);
int rlimits_set_nproc(const char *value, const char *where);
int rlimits_set_memlock(const char *value, const char *where);
int rlimits_set_locks(const char *value, const char *where);
int rlimits_set_sigpending(const char *value, const char *where);
int rlimits_set_msgqueue(const char *value, const char *where);
int rlimits_set_nice(const char *value, const char *where);
int rlimits_set_rtprio(const char *value, const char *where);
int rlimits_set_rttime(const char *value, const char *where);
int umask_set(const char *value, const char *where);

/* True when a limit or the umask was given. */
bool rlimits_requested(void);

/* In the child: each limit set with setrlimit and read back, then the umask.
 * Returns 0, or -1 after printing. */
int rlimits_apply(void);

#endif
