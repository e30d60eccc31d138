/* bench/rec.h — the record the workload sends to the driver through the FIFO.
 * 32 bytes, written with one write(): atomic on a pipe. */
#ifndef USHER_BENCH_REC_H
#define USHER_BENCH_REC_H

#include <stdint.h>

enum { REC_READY = 1, REC_SIGNAL = 2, REC_ORPHANS = 3 };

/* READY: a = CLOCK_MONOTONIC ns, b = pid in its namespace.
 * SIGNAL: a = CLOCK_MONOTONIC ns when the handler ran.
 * ORPHANS: a = ns spent creating, b = ns from the releases until all were reaped, summed over
 *          the batches (-1: gave up), c = most tasks seen left. */
struct rec {
	int64_t kind, a, b, c;
};

#endif
