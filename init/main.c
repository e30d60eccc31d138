/* init/main.c — usher's start-up, in order: block signals, read options, credentials,
 * sandbox preparation, spawn the workload, then hand over to the supervising loop. */
#include "control.h"
#include "creds.h"
#include "helpers.h"
#include "options.h"
#include "sandbox.h"
#include "service-run.h"
#include "signals.h"
#include "proc.h"
#include "subcommand.h"
#include "supervise.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

extern char **environ;

static char **command_argv; /* the workload's command as given, before expansion */

/* With a user switch HOME follows the target user, as with gosu, su-exec and
 * `docker run --user`: usher's own HOME (often /root) would be the wrong one. Only a
 * HOME that the credentials set on purpose (different from usher's own) is kept. */
static char **workload_environment(void)
{
	/* No credentials asked for: the environment passes through untouched, uncopied. */
	char **env = settings.creds_used ? creds_env() : environ;
	const char *home = sandbox_home(sandbox_plan_main());
	if (!home)
		return env;
	size_t count = 0, home_index = (size_t)-1;
	for (; env[count]; count++)
		if (strncmp(env[count], "HOME=", 5) == 0)
			home_index = count;
	if (home_index != (size_t)-1 && home_set_on_purpose(env[home_index] + 5))
		return env;
	char **with_home = calloc(count + 2, sizeof *with_home);
	char *home_entry = malloc(strlen(home) + 6);
	if (!with_home || !home_entry) {
		free(with_home);
		free(home_entry);
		usher_err("out of memory");
		return NULL;
	}
	memcpy(with_home, env, count * sizeof *env);
	sprintf(home_entry, "HOME=%s", home);
	with_home[home_index != (size_t)-1 ? home_index : count] = home_entry;
	return with_home;
}

/* The resolved program of the running main command and of the next one (reload). */
static char paths[2][PATH_MAX];
static unsigned path_index;

/* Everything a start needs, allocated here so spawning and the loop do not allocate.
 * first: nothing runs yet, so a command given with its path needs no stat/access here: the
 * child's execve finds out, and says so in the same words and exit codes (proc.c). A reload
 * checks first, not to stop a running workload for a next one that cannot start. */
static int workload_build(struct proc *w, bool first)
{
	w->envp = workload_environment();
	if (!w->envp)
		return EXIT_USHER_FAILED;
	/* tini and dumb-init pass argv untouched; so does usher unless credentials are in
	 * play (or --expand-argv=yes), so `sh -c 'kill $$'` keeps working as a drop-in. */
	bool expand = settings.expand_argv == 1 || (settings.expand_argv < 0 && settings.creds_used);
	w->argv = expand ? creds_expand_argv(command_argv) : command_argv;
	if (!w->argv)
		return EXIT_USHER_FAILED;
	if (first && strchr(w->argv[0], '/')) {
		w->path = w->argv[0];
		return 0;
	}
	char *path = paths[path_index]; /* [0] first: its start shares a page with .data's end */
	path_index ^= 1;
	return proc_resolve(w, path);
}

int workload_prepare_next(struct proc *next)
{
	struct proc built = { .envp = NULL };
	if (workload_build(&built, false) != 0)
		return -1;
	next->argv = built.argv;
	next->envp = built.envp;
	next->path = built.path;
	return 0;
}

/* Whether usher's session has a controlling terminal (stdin aside): a container's
 * without -t has none. Unsure (no /dev/tty, say) counts as yes: a session of its own
 * for the workload is the safe side. */
static bool session_has_terminal(void)
{
	int fd = open("/dev/tty", O_RDONLY | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return errno != ENXIO;
	close(fd);
	return true;
}

static void become_subreaper(bool is_pid1, pid_t self)
{
	if (is_pid1 && !settings.subreaper)
		return;
	if (prctl(PR_SET_CHILD_SUBREAPER, 1) != 0) {
		usher_warn("cannot register as a child subreaper: %s; orphans will not be reaped",
			   strerror(errno));
		return;
	}
	if (!is_pid1)
		usher_info("not PID 1 (pid %d): registered as a child subreaper", (int)self);
}

int main(int argc, char **argv)
{
	/* `usher probe ...`: only as the first argument, so `usher -- probe` runs a workload.
	 * No subcommand starts with '-': a start with options or `--` skips the table. */
	subcommand_fn *subcommand = argc > 1 && argv[1][0] != '-' ? subcommand_find(argv[1]) : NULL;
	if (subcommand)
		return subcommand(argc - 1, argv + 1);
	/* First of all: a signal that comes while usher starts stays pending, not lost. */
	static struct proc w = { .name = "workload", .kind = PROC_MAIN, .kill_signal = SIGTERM,
				 .input = INPUT_INHERIT, .out_fd = -1, .err_fd = -1 };
	static sigset_t child_mask;
	sigset_t handled;
	signal_fill_handled(&handled);
	w.child_mask = &child_mask;
	if (sigprocmask(SIG_BLOCK, &handled, &child_mask) != 0) {
		usher_err("sigprocmask: %s", strerror(errno));
		return EXIT_USHER_FAILED;
	}
	pid_t self = getpid();
	bool is_pid1 = self == 1;

	int command_index = options_parse(argc, argv, environ);
	if (command_index < 0)
		return EXIT_USHER_FAILED;
	/* Every [Service NAME] checked as a whole (names, cycles) before anything runs. */
	if (service_defs_finish() != 0)
		return EXIT_USHER_FAILED;
	/* With services and no command, usher runs them until it is asked to stop. */
	if (command_index >= argc && service_count == 0) {
		usher_err("no command to run (usage: usher [options] [--] command [args...]; "
			  "see usher --help)");
		return EXIT_USHER_FAILED;
	}
	command_argv = command_index < argc ? argv + command_index : NULL;
	become_subreaper(is_pid1, self);
	if (settings.parent_death_signal &&
	    prctl(PR_SET_PDEATHSIG, settings.parent_death_signal) != 0) {
		usher_err("PR_SET_PDEATHSIG: %s", strerror(errno));
		return EXIT_USHER_FAILED;
	}

	/* Without a credentials option there is nothing to load, hide or wipe: skipping the
	 * phase saves the copies (and their page faults) on every plain start. */
	int rc = settings.creds_used ? creds_prepare(environ) : 0;
	if (rc == 0)
		rc = sandbox_prepare(sandbox_plan_main());
	if (rc == 0 && command_argv && settings.log_prefix)
		rc = proc_log_prefix(&w, command_argv[0]);
	if (command_argv && proc_register(&w) != 0 && rc == 0) /* first: the reaper looks at it first */
		rc = EXIT_USHER_FAILED;
	if (rc == 0 && command_argv)
		rc = workload_build(&w, true);
	if (rc == 0 && service_count)
		rc = services_prepare(settings.creds_used ? creds_env() : environ);
	if (rc == 0 && (service_count || service_main_has_check()))
		rc = service_health_prepare(command_argv ? &w : NULL);
	if (rc == 0 && creds_login_count())
		rc = helpers_prepare(); /* they run first in the loop (init/helpers.c) */
	if (rc != 0) {
		creds_wipe();
		return rc;
	}
	w.take_terminal = isatty(STDIN_FILENO);
	w.keep_session = !w.take_terminal && !session_has_terminal();
	w.signal_group = settings.kill_group;
	w.plan = sandbox_plan_main();
	/* With services or login helpers the workload starts once they are done (supervise.c). */
	if (command_argv && !service_count && !creds_login_count() && proc_start(&w) != 0) {
		creds_wipe();
		return EXIT_USHER_FAILED;
	}
	usher_debug("workload %s started as pid %d", w.path, (int)w.pid);
	rc = supervise(command_argv ? &w : NULL, is_pid1);
	proc_relay_finish();
	control_close();
	if (settings.creds_used || service_count) /* services' env files may hold secrets */
		creds_wipe();
	return rc;
}
