/* init/signals.h — signal names and numbers, the set usher forwards, and dumb-init's
 * --rewrite table. */
#ifndef USHER_SIGNALS_H
#define USHER_SIGNALS_H

#include <signal.h>
#include <stdbool.h>

#define USHER_NSIG 65 /* signals 1..64 on Linux */

/* "TERM", "SIGTERM", "15", "RTMIN+2" -> number; -1 if none. */
int signal_from_name(const char *name);
/* "SIGTERM", or "SIG15" style for ones without a name; static storage. */
const char *signal_name(int sig);
/* True for signals usher catches and forwards (everything but SIGKILL, SIGSTOP and
 * SIGCHLD; the fault signals too, when a process sent them). */
bool signal_is_forwardable(int sig);
/* False for a fault signal the kernel queued about usher itself (si_code > 0): not the
 * workload's to get. True for everything a process sent with kill() or sigqueue(). */
bool signal_from_process(int sig, int code);
/* Fills set with every forwardable signal plus SIGCHLD: what usher blocks. */
void signal_fill_handled(sigset_t *set);

/* dumb-init's --rewrite s:r; 0 means "drop". Defaults to identity. */
int signal_rewrite_add(const char *spec, const char *where);
int signal_rewritten(int sig);

#endif
