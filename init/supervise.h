/* init/supervise.h — the supervising loop: reap, forward, reload, stop. */
#ifndef USHER_SUPERVISE_H
#define USHER_SUPERVISE_H

#include "spawn.h"
#include <stdbool.h>

/* Builds the next workload after creds were reloaded (main.c). 0, or -1 after printing:
 * the running workload is then kept. */
int workload_prepare_next(struct workload *next);

/* Runs until the workload has exited and nothing else is left (or the grace period ran
 * out). Returns usher's exit code. */
int supervise(struct workload *current, pid_t workload_pid, bool is_pid1);

#endif
