/* init/signals.c — signal names and numbers, the forwarded set, and the --rewrite table.
 * The table is filled before the loop starts; the loop only reads it. */
#include "signals.h"
#include "util.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const struct {
	const char *name;
	int number;
} signal_names[] = {
	{ "HUP", SIGHUP },   { "INT", SIGINT },       { "QUIT", SIGQUIT },     { "ILL", SIGILL },
	{ "TRAP", SIGTRAP }, { "ABRT", SIGABRT },     { "IOT", SIGIOT },       { "BUS", SIGBUS },
	{ "FPE", SIGFPE },   { "KILL", SIGKILL },     { "USR1", SIGUSR1 },     { "SEGV", SIGSEGV },
	{ "USR2", SIGUSR2 }, { "PIPE", SIGPIPE },     { "ALRM", SIGALRM },     { "TERM", SIGTERM },
	{ "STKFLT", SIGSTKFLT }, { "CHLD", SIGCHLD }, { "CONT", SIGCONT },     { "STOP", SIGSTOP },
	{ "TSTP", SIGTSTP }, { "TTIN", SIGTTIN },     { "TTOU", SIGTTOU },     { "URG", SIGURG },
	{ "XCPU", SIGXCPU }, { "XFSZ", SIGXFSZ },     { "VTALRM", SIGVTALRM }, { "PROF", SIGPROF },
	{ "WINCH", SIGWINCH }, { "IO", SIGIO },       { "POLL", SIGPOLL },     { "PWR", SIGPWR },
	{ "SYS", SIGSYS },
};

static int rewrite_to[USHER_NSIG];
static bool rewrite_set[USHER_NSIG];

int signal_from_name(const char *name)
{
	long number;
	if (parse_long(name, 1, USHER_NSIG - 1, &number) == 0)
		return (int)number;
	if (strncasecmp(name, "SIG", 3) == 0)
		name += 3;
	for (size_t i = 0; i < sizeof signal_names / sizeof signal_names[0]; i++)
		if (strcasecmp(name, signal_names[i].name) == 0)
			return signal_names[i].number;
	/* RTMIN+n / RTMAX-n, as kill(1) spells them */
	if (strncasecmp(name, "RTMIN", 5) == 0 || strncasecmp(name, "RTMAX", 5) == 0) {
		bool from_min = strncasecmp(name, "RTMIN", 5) == 0;
		int base = from_min ? SIGRTMIN : SIGRTMAX;
		const char *rest = name + 5;
		long offset = 0;
		if (*rest) {
			if (*rest != (from_min ? '+' : '-') || parse_long(rest + 1, 0, 64, &offset) != 0)
				return -1;
		}
		int sig = from_min ? base + (int)offset : base - (int)offset;
		return sig >= SIGRTMIN && sig <= SIGRTMAX ? sig : -1;
	}
	return -1;
}

const char *signal_name(int sig)
{
	static char buffer[16];
	for (size_t i = 0; i < sizeof signal_names / sizeof signal_names[0]; i++)
		if (signal_names[i].number == sig) {
			snprintf(buffer, sizeof buffer, "SIG%s", signal_names[i].name);
			return buffer;
		}
	snprintf(buffer, sizeof buffer, "signal %d", sig);
	return buffer;
}

bool signal_is_forwardable(int sig)
{
	return sig >= 1 && sig < USHER_NSIG && sig != SIGKILL && sig != SIGSTOP && sig != SIGCHLD;
}

/* The fault signals are blocked and forwarded like the rest (`docker kill -s ILL` must not
 * end PID 1). Blocking cannot hide a real fault of usher's own: the kernel delivers a
 * synchronous fault with force_sig_fault(), which unblocks the signal, resets it to SIG_DFL
 * and, for PID 1, lifts SIGNAL_UNKILLABLE, so usher dies of it as it would unblocked
 * (tests/hardening/fault.c checks this for SEGV, ILL, FPE, BUS, TRAP and ABRT). What can
 * still arrive queued is a fault signal the kernel sends without forcing it (a machine
 * check's SIGBUS BUS_MCEERR_AO about usher's memory): that one is usher's, not the
 * workload's, and is dropped. Only what a process sent (si_code <= 0: SI_USER, SI_QUEUE,
 * SI_TKILL...) is forwarded. */
bool signal_from_process(int sig, int code)
{
	switch (sig) {
	case SIGSEGV: case SIGBUS: case SIGILL: case SIGFPE: case SIGTRAP: case SIGSYS:
		return code <= 0;
	}
	return true;
}

/* Every signal but KILL and STOP: the forwardable ones and SIGCHLD, as bits sig-1 of the
 * set's first 8 bytes, set directly: musl's sigaddset refuses 32-34, which it keeps for
 * itself in threaded programs, but senders using glibc call 34 SIGRTMIN and usher has no
 * threads (glibc's sigprocmask still leaves its own 32 and 33 unblocked). One store: the
 * loop over signal_is_forwardable() it replaces was a fifth of a bare start's instructions. */
void signal_fill_handled(sigset_t *set)
{
	_Static_assert(USHER_NSIG == 65 && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
		       "signals 1..64 in the first 8 bytes of a sigset_t");
	sigemptyset(set);
	uint64_t bits = ~((UINT64_C(1) << (SIGKILL - 1)) | (UINT64_C(1) << (SIGSTOP - 1)));
	memcpy(set, &bits, sizeof bits);
}

int signal_rewrite_add(const char *spec, const char *where)
{
	char from_text[32];
	const char *colon = strchr(spec, ':');
	if (!colon || (size_t)(colon - spec) >= sizeof from_text) {
		usher_err("%s: '%s': expected FROM:TO, e.g. 15:3 or TERM:QUIT (TO 0 drops the signal)",
			  where, spec);
		return -1;
	}
	memcpy(from_text, spec, (size_t)(colon - spec));
	from_text[colon - spec] = '\0';
	int from = signal_from_name(from_text);
	int to = strcmp(colon + 1, "0") == 0 ? 0 : signal_from_name(colon + 1);
	if (from < 1 || !signal_is_forwardable(from)) {
		usher_err("%s: '%s': %s is not a signal usher can catch", where, spec, from_text);
		return -1;
	}
	if (to < 0) {
		usher_err("%s: '%s': unknown signal '%s'", where, spec, colon + 1);
		return -1;
	}
	rewrite_to[from] = to;
	rewrite_set[from] = true;
	return 0;
}

int signal_rewritten(int sig)
{
	if (sig < 1 || sig >= USHER_NSIG || !rewrite_set[sig])
		return sig;
	return rewrite_to[sig];
}
