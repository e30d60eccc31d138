/* init/trim.h — giving back the pages of usher's own program that only start-up used,
 * so PID 1 holds little memory while the workload runs. */
#ifndef USHER_TRIM_H
#define USHER_TRIM_H

#include <stddef.h>

/* Drops usher's read-only segments (code, constants) from its page tables, except the
 * pages holding the loop's code: hot lists the caller's own functions. Best effort. */
void trim_startup_pages(const void *const *hot, size_t hot_count);

#endif
