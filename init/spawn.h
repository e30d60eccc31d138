/* init/spawn.h — finding the workload's program and starting it: its own process
 * group, the terminal's foreground, the sandbox, then execve. */
#ifndef USHER_SPAWN_H
#define USHER_SPAWN_H

#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <sys/types.h>

struct workload {
	char path[PATH_MAX];  /* resolved program */
	char **argv;
	char **envp;
	bool take_terminal;   /* stdin is a tty: make the workload's group the foreground */
	sigset_t child_mask;  /* the mask usher had before it blocked everything */
};

/* Looks argv[0] up in the PATH of envp (like execvp). 0, or 126/127 after printing. */
int workload_resolve(struct workload *w);

/* Starts the workload; returns its pid, or -1 after printing. The child runs
 * sandbox_apply() when the sandbox is active (then it is forked, else vforked) and
 * exits 125/126/127 with a message if anything before execve fails. */
pid_t workload_spawn(const struct workload *w);

#endif
