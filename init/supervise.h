/* init/supervise.h — the one loop PID 1 lives in: signals, the reaper, every module's fds and
 * deadlines (services, relay, checks, notify, watched files), reload, the final stop. */
#ifndef USHER_SUPERVISE_H
#define USHER_SUPERVISE_H

#include "proc.h"
#include <poll.h>
#include <stdbool.h>

/* A module the loop serves: fds to poll, a deadline, work when time passes. Any may be NULL. */
struct loop_module {
	unsigned (*fill)(struct pollfd *fds, unsigned room); /* returns how many it wrote */
	void (*handle)(const struct pollfd *fds, unsigned count);
	long long (*deadline)(void);                         /* now_ms() clock; 0: none */
	void (*tick)(long long now);
};

/* Before the loop. */
void loop_add(const struct loop_module *module);

/* Builds the next main command after creds were reloaded (main.c). 0, or -1 after printing:
 * the running one is then kept. */
int workload_prepare_next(struct proc *next);

/* Runs until the main command has exited and nothing else is left (or the grace period ran
 * out). main_proc: NULL when only services run; not started yet (PROC_IDLE) when it waits for
 * the services to be ready. Returns usher's exit code. */
int supervise(struct proc *main_proc, bool is_pid1);

/* Stop everything (the main command first, then the services in reverse order, then what is
 * left) and exit with code; the first call's code wins. */
void supervise_exit(int code);
/* 128+N for signal N, else the exit status; -e remaps to 0. */
int supervise_exit_code(int status);

#endif
