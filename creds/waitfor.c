/* creds/waitfor.c — --wait-for: hold the start until files that a sidecar (Vault Agent,
 * consul-template) renders late exist, up to --wait-timeout, interruptible by SIGTERM/SIGINT. */
#include "envfile.h"

#include "util.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

/* How often to look again: short next to any timeout, long next to a stat() call. */
#define POLL_MS 50

/* 1 if path exists (a symlink counts once its target exists), 0 if not yet, -1 after
 * printing when it cannot be checked. */
static int exists(const char *path)
{
	struct stat st;
	if (stat(path, &st) == 0)
		return 1;
	if (errno == ENOENT || errno == ENOTDIR)
		return 0;
	usher_err("%s: %s", path, strerror(errno));
	return -1;
}

static void format_ms(long ms, char *out, size_t size)
{
	if (ms % 1000 == 0)
		snprintf(out, size, "%lds", ms / 1000);
	else
		snprintf(out, size, "%ldms", ms);
}

int waitfor_paths(char *const *paths, long timeout_ms)
{
	if (!paths || !paths[0])
		return 0;
	/* Blocked, a stop signal stays pending for sigtimedwait instead of being lost (or
	 * ignored, as PID 1 ignores signals without a handler). */
	sigset_t stop, saved;
	sigemptyset(&stop);
	sigaddset(&stop, SIGTERM);
	sigaddset(&stop, SIGINT);
	if (sigprocmask(SIG_BLOCK, &stop, &saved) != 0) {
		usher_err("sigprocmask: %s", strerror(errno));
		return EXIT_USHER_FAILED;
	}

	long long deadline = now_ms() + timeout_ms;
	size_t next = 0, announced = (size_t)-1;
	int rc = 0;
	for (;;) {
		int found = 0;
		while (paths[next] && (found = exists(paths[next])) == 1)
			next++;
		if (!paths[next])
			break;
		if (found < 0) {
			rc = EXIT_USHER_FAILED;
			break;
		}
		long long left = deadline - now_ms();
		if (left <= 0) {
			char shown[32];
			format_ms(timeout_ms, shown, sizeof shown);
			usher_err("%s: still missing after %s (--wait-for, --wait-timeout)",
				  paths[next], shown);
			rc = EXIT_USHER_FAILED;
			break;
		}
		if (announced != next) {
			usher_info("waiting for %s", paths[next]);
			announced = next;
		}
		long nap = left < POLL_MS ? (long)left : POLL_MS;
		struct timespec pause = { .tv_sec = 0, .tv_nsec = nap * 1000000L };
		int sig = sigtimedwait(&stop, NULL, &pause);
		if (sig > 0) {
			usher_err("%s: start-up interrupted by signal %d while waiting", paths[next],
				  sig);
			rc = 128 + sig;
			break;
		}
		if (errno != EAGAIN && errno != EINTR) {
			usher_err("sigtimedwait: %s", strerror(errno));
			rc = EXIT_USHER_FAILED;
			break;
		}
	}
	if (sigprocmask(SIG_SETMASK, &saved, NULL) != 0 && rc == 0) {
		usher_err("sigprocmask: %s", strerror(errno));
		rc = EXIT_USHER_FAILED;
	}
	return rc;
}
