/* init/trim.h — giving back the pages of usher's own program that only start-up used,
 * so PID 1 holds little memory while the workload runs. */
#ifndef USHER_TRIM_H
#define USHER_TRIM_H

#include <stdbool.h>
#include <stddef.h>

/* The loop trims once, after its first quiet second (quiet: it woke by its own
 * TRIM_AFTER_MS timeout with no deadline due), or, in a loop that is never quiet (a service
 * logging every second, health checks' deadlines), a second after its first busy wake-up
 * once everything has started. The clock is read only then: a workload that exits at once
 * never reads it (the vDSO's first use faults). busy_since_ms: the caller's, 0 at first. */
#define TRIM_AFTER_MS 1000
bool trim_due(bool quiet, bool started, long long *busy_since_ms);

/* Drops usher's read-only segments (code, constants) from its page tables, except the
 * pages holding the loop's code: hot lists the caller's own functions. Best effort. */
void trim_startup_pages(const void *const *hot, size_t hot_count);

#endif
