/* init/stop.h — signalling everything usher is responsible for, at the final stop. */
#ifndef USHER_STOP_H
#define USHER_STOP_H

#include <stdbool.h>

/* As PID 1: every process in the namespace (kill(-1)). Otherwise: every descendant,
 * found through /proc/<pid>/task/<tid>/children. Allocation-free. */
void signal_everyone(int sig, bool is_pid1);

#endif
