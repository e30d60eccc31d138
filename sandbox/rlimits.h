/* sandbox/rlimits.h — resource limits (--rlimit, LimitNOFILE= …) and the umask (--umask,
 * UMask=) of the workload: parsed by the setters, set and read back in the child. */
#ifndef USHER_SANDBOX_RLIMITS_H
#define USHER_SANDBOX_RLIMITS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/resource.h>
#include <sys/types.h>

/* Limits in the order of systemd's LimitXXX= keys; the index of a limit in this list is
 * what rlimits_set_index() takes: CPU FSIZE DATA STACK CORE RSS NOFILE AS NPROC MEMLOCK LOCKS
 * SIGPENDING MSGQUEUE NICE RTPRIO RTTIME. */
enum { SBX_LIMIT_COUNT = 16 };

/* One plan's limits and umask as given. */
struct sbx_limits {
	struct sbx_limit {
		bool given;
		struct rlimit value;
		char *where; /* for messages in the child */
	} wanted[SBX_LIMIT_COUNT];
	bool umask_given;
	mode_t umask;
};

/* Option setters, writing into l. --rlimit takes NAME=VALUE ("nofile=1024:4096"); the
 * config keys name the limit themselves (index as above). */
int rlimits_set(struct sbx_limits *l, const char *value, const char *where);
int rlimits_set_index(struct sbx_limits *l, size_t index, const char *value, const char *where);
int umask_set(struct sbx_limits *l, const char *value, const char *where);

/* True when a limit or the umask was given. */
bool rlimits_requested(const struct sbx_limits *l);

/* In the child: each limit set with setrlimit and read back, then the umask.
 * Returns 0, or -1 after printing. */
int rlimits_apply(const struct sbx_limits *l);

#endif
