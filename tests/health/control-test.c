/* tests/health/control-test.c — runs init/control.c's server in a poll loop as PID 1's loop
 * would, with three made-up services, so control.t can aim real and hostile clients at it.
 *
 * usage: control-test SOCKET READY_FILE TICKS_FILE
 * SIGUSR1: the "worker" service's health check passes from now on. SIGUSR2: appends a line
 * to TICKS_FILE at once (control.t times how soon the loop sees a signal). SIGTERM: exits 0,
 * removing the socket. CONTROL_TEST_LOOSEN=1 opens the directory and socket to every user
 * after start, so that only the SO_PEERCRED check stands between them and the server. */
#include "control.h"
#include "util.h"

#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <unistd.h>

static bool worker_ok;

static bool rows(unsigned index, struct control_row *row)
{
	static const struct control_row table[] = {
		{ "web", "ready", 42, 0, -1, "http://127.0.0.1:8080/health: HTTP 200", true, 0 },
		{ "db", "starting", 43, 2, 1, NULL, false, 0 },
		{ "worker", "ready", 44, 1, 143, "exec:check\tworker: exit 1", false, 0 },
		{ "migrate", "done", 0, 0, 0, NULL, false, 0 },
	};
	if (index >= sizeof table / sizeof table[0])
		return false;
	*row = table[index];
	row->health_ms = now_ms() - 3500; /* 3.5 s: the "now" control.c renders with was read a moment earlier */
	if (index == 2 && worker_ok) {
		row->health = "exec:check worker: exit 0";
		row->health_ok = true;
	}
	return true;
}

int main(int argc, char **argv)
{
	if (argc != 4) {
		fprintf(stderr, "usage: control-test SOCKET READY_FILE TICKS_FILE\n");
		return 2;
	}
	sigset_t mask;
	sigemptyset(&mask);
	sigaddset(&mask, SIGUSR1);
	sigaddset(&mask, SIGUSR2);
	sigaddset(&mask, SIGTERM);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	int signals = signalfd(-1, &mask, SFD_CLOEXEC);
	usher_verbosity = 2; /* control.t reads the info lines too */
	if (signals < 0 || control_init(argv[1], rows) != 0)
		return 1;
	const char *loosen = getenv("CONTROL_TEST_LOOSEN");
	if (loosen && strcmp(loosen, "1") == 0) {
		char dir[256];
		snprintf(dir, sizeof dir, "%s", argv[1]);
		*strrchr(dir, '/') = '\0';
		if (chmod(dir, 0755) != 0 || chmod(argv[1], 0666) != 0)
			return 1;
	}
	FILE *ready = fopen(argv[2], "w");
	if (!ready || fclose(ready) != 0)
		return 1;
	for (unsigned tick = 1;;) {
		struct pollfd fds[1 + 1 + CONTROL_SLOTS];
		fds[0] = (struct pollfd){ .fd = signals, .events = POLLIN };
		int n = control_poll_fill(fds + 1, (int)(sizeof fds / sizeof fds[0]) - 1);
		long long deadline = control_next_deadline(), now = now_ms();
		int timeout = deadline < 0 ? -1 : deadline <= now ? 0 : (int)(deadline - now);
		if (poll(fds, (nfds_t)(1 + n), timeout) < 0)
			continue;
		if (fds[0].revents) {
			struct signalfd_siginfo info;
			if (read(signals, &info, sizeof info) != sizeof info)
				continue;
			if (info.ssi_signo == SIGTERM) {
				control_close();
				return 0;
			}
			if (info.ssi_signo == SIGUSR1)
				worker_ok = true;
			if (info.ssi_signo == SIGUSR2) {
				FILE *ticks = fopen(argv[3], "a");
				if (ticks) {
					fprintf(ticks, "tick %u\n", tick++);
					fclose(ticks);
				}
			}
		}
		control_poll_handle(fds + 1, n, now_ms());
	}
}
