/* init/probe.c — `usher probe [--timeout D] [--expect CODE] SPEC...`: runs each check once,
 * prints one line of what it saw, exits 0 (all passed), 1 (one failed) or 2 (bad usage). */
#include "check.h"
#include "proc.h"
#include "subcommand.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

/* Docker's HEALTHCHECK: 0 healthy, 1 unhealthy, 2 reserved; a bad SPEC can never pass. */
enum { PROBE_PASSED, PROBE_FAILED, PROBE_USAGE };
enum { LINE_MAX_BYTES = 4000 }; /* Docker keeps 4 KiB of a probe's output */

static int usage(const char *why, const char *what)
{
	if (why)
		usher_err("probe: %s%s", why, what);
	fprintf(why ? stderr : stdout,
		"usage: usher probe [--timeout DURATION] [--expect CODE] SPEC...\n"
		"SPEC: tcp:HOST:PORT unix:PATH http://HOST:PORT/PATH http+unix:SOCKET:/PATH\n"
		"      file:PATH exec:COMMAND ARGS\n"
		"exit: 0 passed, 1 failed, 2 bad usage (docs/health.md)\n");
	return why ? PROBE_USAGE : PROBE_PASSED;
}

/* The command through the process engine (own session and group, no shell), its stdout onto
 * stderr so that stdout keeps only the probe's line; the deadline kills the whole group. */
static void run_exec(struct check_run *run)
{
	static struct proc p = { .name = "probe", .kind = PROC_CHECK, .input = INPUT_NULL,
				 .out_fd = STDERR_FILENO, .err_fd = -1, .input_fd = -1 };
	static char path[PATH_MAX];
	sigset_t child_exit;
	sigemptyset(&child_exit);
	sigaddset(&child_exit, SIGCHLD);
	sigprocmask(SIG_BLOCK, &child_exit, NULL);
	p.argv = run->spec->exec_argv;
	p.envp = environ;
	int status = proc_resolve(&p, path) << 8;
	pid_t pid = status || proc_start(&p) != 0 ? -1 : p.pid;
	if (pid > 0 && p.exec_error)
		status = EXIT_USHER_FAILED << 8;
	bool timed_out = false;
	while (pid > 0 && waitpid(pid, &status, WNOHANG) == 0) {
		long long left = run->deadline_ms - now_ms();
		if (left <= 0) {
			kill(-pid, SIGKILL);
			kill(pid, SIGKILL); /* in case it has not made its group yet */
			waitpid(pid, &status, 0);
			timed_out = true;
			break;
		}
		struct timespec wait = { left / 1000, left % 1000 * 1000000 };
		sigtimedwait(&child_exit, NULL, &wait);
	}
	if (pid < 0 && !status)
		status = EXIT_USHER_FAILED << 8;
	check_exec_done(run, status, timed_out);
}

static void run_one(struct check_run *run, const struct check_spec *spec, long timeout_ms)
{
	check_begin(run, spec, now_ms(), timeout_ms);
	if (run->state == CHECK_NEEDS_EXEC)
		run_exec(run);
	while (run->state == CHECK_PENDING) {
		long long now = now_ms();
		if (now >= run->deadline_ms) {
			check_expire(run, now);
			break;
		}
		struct pollfd ready = { .fd = run->fd, .events = check_events(run) };
		if (poll(&ready, 1, (int)(run->deadline_ms - now)) > 0)
			check_step(run, ready.revents, now_ms());
	}
}

/* "--name VALUE" or "--name=VALUE" at argv[*i]; NULL if argv[*i] is another option. */
static const char *option_value(int argc, char **argv, int *i, const char *name)
{
	size_t len = strlen(name);
	if (strncmp(argv[*i], name, len) != 0)
		return NULL;
	if (argv[*i][len] == '=')
		return argv[*i] + len + 1;
	if (argv[*i][len] || *i + 1 >= argc)
		return NULL;
	return argv[++*i];
}

int probe_main(int argc, char **argv)
{
	long timeout_ms = 1000, expect = 0;
	int i = 1;
	usher_verbosity = 0; /* errors only: stdout carries the one line */
	for (; i < argc && argv[i][0] == '-'; i++) {
		const char *value;
		if (strcmp(argv[i], "--") == 0) {
			i++;
			break;
		} else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
			return usage(NULL, NULL);
		} else if ((value = option_value(argc, argv, &i, "--timeout"))) {
			if (parse_duration_ms(value, &timeout_ms) != 0 || timeout_ms <= 0)
				return usage("--timeout: not a positive duration: ", value);
		} else if ((value = option_value(argc, argv, &i, "--expect"))) {
			if (parse_long(value, 100, 599, &expect) != 0)
				return usage("--expect: not an HTTP status (100-599): ", value);
		} else {
			return usage("unknown option or missing value: ", argv[i]);
		}
	}
	if (i >= argc)
		return usage("no SPEC", "");
	int count = argc - i;
	static struct check_spec *specs; /* static: still reachable at exit (LSan) */
	specs = calloc((size_t)count, sizeof *specs);
	if (!specs)
		return usage("out of memory", "");
	for (int s = 0; s < count; s++) {
		int parsed = check_parse(argv[i + s], "probe", &specs[s]);
		if (parsed != 0) /* printed; an unknown host is a failure, not bad usage */
			return parsed == -2 ? PROBE_FAILED : PROBE_USAGE;
		specs[s].expect_status = (int)expect;
	}
	static struct check_run run;
	static char line[LINE_MAX_BYTES];
	int rc = PROBE_PASSED, used = 0;
	for (int s = 0; s < count && rc == PROBE_PASSED; s++) {
		run_one(&run, &specs[s], timeout_ms);
		if (run.state != CHECK_PASSED)
			rc = PROBE_FAILED;
		int room = (int)sizeof line - used;
		int n = snprintf(line + used, (size_t)room, "%s%s", s ? "; " : "", check_detail(&run));
		used += n < room ? n : room - 1;
	}
	printf("%s: %s\n", rc == PROBE_PASSED ? "ok" : "failed", line);
	return rc;
}
