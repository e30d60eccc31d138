/* init/spawn.c — resolves the workload's program and starts it. vfork keeps start-up
 * cheap; fork is used when the sandbox has work to do in the child. */
#include "spawn.h"
#include "sandbox.h"
#include "util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char default_path[] = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

static const char *path_of(char **envp)
{
	for (char **e = envp; *e; e++)
		if (strncmp(*e, "PATH=", 5) == 0)
			return *e + 5;
	return default_path;
}

/* 0 if candidate is an executable regular file; else the errno execve would give. */
static int check_executable(const char *candidate)
{
	struct stat st;
	if (stat(candidate, &st) != 0)
		return errno;
	if (S_ISDIR(st.st_mode))
		return EISDIR;
	if (!S_ISREG(st.st_mode) || access(candidate, X_OK) != 0)
		return EACCES;
	return 0;
}

int workload_resolve(struct workload *w)
{
	const char *command = w->argv[0];
	if (strchr(command, '/')) {
		if (strlen(command) >= sizeof w->path) {
			usher_err("%s: path too long", command);
			return EXIT_NOT_FOUND;
		}
		strcpy(w->path, command);
		int problem = check_executable(w->path);
		if (problem == 0)
			return 0;
		usher_err("%s: %s", command, strerror(problem));
		return problem == ENOENT || problem == ENOTDIR ? EXIT_NOT_FOUND : EXIT_NOT_EXECUTABLE;
	}
	int found_but_unusable = 0;
	for (const char *dir = path_of(w->envp); ; ) {
		const char *end = strchrnul(dir, ':');
		size_t dir_length = (size_t)(end - dir);
		int written = snprintf(w->path, sizeof w->path, "%.*s%s%s", (int)dir_length, dir,
				       dir_length ? "/" : "", command);
		if (written > 0 && (size_t)written < sizeof w->path) {
			int problem = check_executable(w->path);
			if (problem == 0)
				return 0;
			if (problem != ENOENT && problem != ENOTDIR)
				found_but_unusable = problem;
		}
		if (!*end)
			break;
		dir = end + 1;
	}
	if (found_but_unusable) {
		usher_err("%s: %s", command, strerror(found_but_unusable));
		return EXIT_NOT_EXECUTABLE;
	}
	usher_err("%s: command not found", command);
	return EXIT_NOT_FOUND;
}

/* Runs in the child, vforked or forked: only async-signal-safe calls before execve,
 * and never returns. */
static void become_workload(const struct workload *w, bool sandboxed)
{
	/* Its own process group either way (-g signals it). Without a terminal, its own
	 * session too, as dumb-init does: with autogroup scheduling the workload then wakes
	 * without waiting behind usher's group. With a terminal the session must stay, or
	 * the workload would lose it. */
	if (w->take_terminal ? setpgid(0, 0) != 0 : setsid() < 0) {
		usher_err("%s: %s", w->take_terminal ? "setpgid" : "setsid", strerror(errno));
		_exit(EXIT_USHER_FAILED);
	}
	/* SIGTTOU is still blocked here, so taking the foreground works from the background. */
	if (w->take_terminal && tcsetpgrp(STDIN_FILENO, getpid()) != 0 && errno != ENOTTY &&
	    errno != ENXIO)
		usher_warn("cannot give the terminal to the workload: %s", strerror(errno));
	/* The mask goes before the sandbox: a strict seccomp profile need not allow
	 * rt_sigprocmask, and a signal arriving now acts on the child as it would after exec. */
	if (sigprocmask(SIG_SETMASK, &w->child_mask, NULL) != 0)
		_exit(EXIT_USHER_FAILED);
	if (sandboxed && sandbox_apply(sandbox_plan_main()) != 0)
		_exit(EXIT_USHER_FAILED);
	execve(w->path, w->argv, w->envp);
	int problem = errno;
	usher_err("%s: %s", w->path, strerror(problem));
	_exit(problem == ENOENT || problem == ENOTDIR ? EXIT_NOT_FOUND : EXIT_NOT_EXECUTABLE);
}

pid_t workload_spawn(const struct workload *w)
{
	bool sandboxed = sandbox_active(sandbox_plan_main());
	/* The vfork child only makes system calls and execs; the parent waits meanwhile. */
	pid_t pid = sandboxed ? fork() : vfork();
	if (pid < 0) {
		usher_err("cannot start the workload: %s", strerror(errno));
		return -1;
	}
	if (pid == 0)
		become_workload(w, sandboxed);
	/* After fork the child may not have run yet: make the group exist before any
	 * signal is forwarded to it. EACCES means the child already exec'd: fine. Not for a
	 * child that makes its own session: a group leader cannot (the loop copes with the
	 * moment before it has, see forward()). */
	if (sandboxed && w->take_terminal && setpgid(pid, pid) != 0 && errno != EACCES &&
	    errno != ESRCH)
		usher_warn("setpgid(%d): %s", (int)pid, strerror(errno));
	return pid;
}
