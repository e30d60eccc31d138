/* init/proc.c — the process engine: resolves and starts every process usher runs (vfork for
 * the plain main command, fork otherwise), signals, stops and times them out, and reaps them. */
#include "proc.h"
#include "relay.h"
#include "sandbox.h"
#include "supervise.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

/* The main command, 32 services, their ReadyCheck= and HealthCheck= exec: checks (and the main
 * command's HealthCheck=), 16 login helpers: 114, and room. */
enum { PROC_TABLE_MAX = 128 };

static struct proc *table[PROC_TABLE_MAX];
static unsigned table_count;

/* Relay streams: stdout and stderr of the main command, 32 services, their exec: checks and
 * 16 login helpers; helpers may capture 64 KiB each. Reserved, never resident unless used. */
enum { RELAY_STREAM_MAX = 2 * (1 + 32 + 32 + 16), RELAY_CAPTURE_TOTAL = 16 * 64 * 1024,
       RELAY_EXIT_FLUSH_MS = 1000 };
static unsigned relay_streams;
static const struct loop_module relay_module = { relay_poll_fill, relay_poll_handle, NULL, NULL };

static const char default_path[] = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

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

int proc_resolve(struct proc *p, char *buffer)
{
	const char *command = p->argv[0];
	p->path = buffer;
	int problem = 0;
	if (strchr(command, '/')) {
		if (strlen(command) >= PATH_MAX)
			problem = ENAMETOOLONG;
		else
			problem = check_executable(strcpy(buffer, command));
		if (problem == 0)
			return 0;
		usher_err("%s: %s", command, strerror(problem));
		return problem == ENOENT || problem == ENOTDIR ? EXIT_NOT_FOUND : EXIT_NOT_EXECUTABLE;
	}
	const char *dir = default_path;
	for (char **e = p->envp; *e; e++)
		if (strncmp(*e, "PATH=", 5) == 0)
			dir = *e + 5;
	for (;;) {
		const char *end = strchrnul(dir, ':');
		size_t dir_length = (size_t)(end - dir);
		int written = snprintf(buffer, PATH_MAX, "%.*s%s%s", (int)dir_length, dir,
				       dir_length ? "/" : "", command);
		if (written > 0 && written < PATH_MAX) {
			int found = check_executable(buffer);
			if (found == 0)
				return 0;
			if (found != ENOENT && found != ENOTDIR)
				problem = found;
		}
		if (!*end)
			break;
		dir = end + 1;
	}
	if (problem) {
		usher_err("%s: %s", command, strerror(problem));
		return EXIT_NOT_EXECUTABLE;
	}
	usher_err("%s: command not found", command);
	return EXIT_NOT_FOUND;
}

struct exec_report {
	int step, error;
};

/* The child's fds 0-2. Sources are first moved above 2 so dup2 never meets its target. */
static int child_fds(const struct proc *p, int in_fd, const int out[2])
{
	int source[3] = { -1, out[0], out[1] };
	if (p->input == INPUT_NULL || p->input == INPUT_FILE) {
		const char *file = p->input == INPUT_FILE ? p->input_file : "/dev/null";
		if ((source[0] = open(file, O_RDONLY | O_CLOEXEC | O_NOCTTY)) < 0)
			return p->input == INPUT_FILE ? 5 : 2;
	} else if (p->input == INPUT_TEXT) {
		source[0] = in_fd;
	} else if (p->input == INPUT_FD) {
		source[0] = p->stdin_fd;
	}
	for (int i = 0; i < 3; i++)
		if (source[i] >= 0 && (source[i] = fcntl(source[i], F_DUPFD_CLOEXEC, 3)) < 0)
			return 2;
	for (int i = 0; i < 3; i++)
		if (source[i] >= 0 && dup2(source[i], i) < 0)
			return 2;
	/* usher opens everything O_CLOEXEC; this covers any fd that slipped through. */
	(void)syscall(SYS_close_range, 3U, ~0U, CLOSE_RANGE_CLOEXEC);
	return 0;
}

/* Runs in the child, vforked or forked: only async-signal-safe calls before execve, and
 * never returns. A failure is written to report_fd (forked) or *shared (vforked). */
static void __attribute__((noreturn))
become(const struct proc *p, bool sandboxed, int in_fd, const int out[2], int report_fd,
       struct exec_report *shared, pid_t parent)
{
	struct exec_report report = { 1, 0 };
	bool main = p->kind == PROC_MAIN;
	/* Its own process group either way (-g signals it). A session of its own only where
	 * a terminal could reach it: usher's session has a controlling terminal that is not
	 * on stdin (services and helpers always, so they never get one). With the terminal on
	 * stdin the session must stay, or the workload would lose it; with none, setsid()
	 * only costs a start (a new autogroup: docs/benchmarks.md) and changes nothing. */
	bool own_group_only = p->take_terminal || p->keep_session;
	if (own_group_only ? setpgid(0, 0) != 0 : setsid() < 0)
		goto fail;
	/* SIGTTOU is still blocked here, so taking the foreground works from the background. */
	if (p->take_terminal && tcsetpgrp(STDIN_FILENO, getpid()) != 0 && errno != ENOTTY &&
	    errno != ENXIO)
		usher_warn("cannot give the terminal to the workload: %s", strerror(errno));
	if (!main) {
		/* usher blocks every signal and may ignore some: neither may reach the child. */
		for (int sig = 1; sig < NSIG; sig++)
			if (sig != SIGKILL && sig != SIGSTOP)
				signal(sig, SIG_DFL); /* fails harmlessly for libc-reserved numbers */
		if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != parent)
			_exit(EXIT_USHER_FAILED); /* usher died already: nobody to report to */
	}
	/* The main command keeps usher's fds unless its output is relayed. */
	if ((!main || out[0] >= 0 || out[1] >= 0) && (report.step = child_fds(p, in_fd, out)) != 0)
		goto fail;
	report.step = 4;
	if (p->cwd && chdir(p->cwd) != 0)
		goto fail;
	/* The mask goes before the sandbox: a strict seccomp profile need not allow
	 * rt_sigprocmask, and a signal arriving now acts on the child as it would after exec. */
	sigset_t none;
	sigemptyset(&none);
	report.step = 6;
	if (sigprocmask(SIG_SETMASK, p->child_mask ? p->child_mask : &none, NULL) != 0 ||
	    (sandboxed && sandbox_apply(p->plan) != 0))
		goto fail; /* sandbox_apply() said why */
	report.step = 3;
	execve(p->path, p->argv, p->envp);
fail:
	report.error = errno;
	struct stat st; /* execve says EACCES for a directory; proc_resolve() says what it is */
	if (report.step == 3 && report.error == EACCES && stat(p->path, &st) == 0 && S_ISDIR(st.st_mode))
		report.error = EISDIR;
	if (shared)
		*shared = report;
	if (report_fd >= 0) {
		ssize_t ignored = write(report_fd, &report, sizeof report);
		(void)ignored;
	}
	if (main && report.step != 6)
		usher_err("%s: %s", report.step == 3 ? p->path : report.step == 4 ? p->cwd
				    : own_group_only ? "setpgid" : "setsid", strerror(report.error));
	if (report.step != 3)
		_exit(EXIT_USHER_FAILED);
	_exit(report.error == ENOENT || report.error == ENOTDIR ? EXIT_NOT_FOUND : EXIT_NOT_EXECUTABLE);
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/* p's relay streams for this run (the last run's closed first) into out[]. */
static int relay_start(struct proc *p, int out[2])
{
	for (int k = 0; k < 2; k++) {
		if (!p->relay[k])
			continue;
		relay_close(p->relay_stream[k]);
		if (relay_open(p->relay_stream[k], p->relay[k], &out[k]) != 0)
			return -1;
	}
	return 0;
}

void proc_relay_close(struct proc *p)
{
	for (int k = 0; k < 2; k++)
		if (p->relay[k])
			relay_close(p->relay_stream[k]);
}

int proc_start(struct proc *p)
{
	int in[2] = { -1, -1 }, report[2] = { -1, -1 }, out[2] = { p->out_fd, p->err_fd };
	struct exec_report shared = { 0, 0 };
	p->exec_error = p->exec_step = 0;
	p->timed_out = p->abandoned = false;
	p->input_done = 0;
	/* The plain main command: vfork, nothing else (start-up speed is benchmarked). */
	bool sandboxed = p->plan && sandbox_active(p->plan);
	bool fast = p->kind == PROC_MAIN && !sandboxed;
	if (p->input == INPUT_TEXT &&
	    (pipe2(in, O_CLOEXEC) != 0 || fcntl(in[1], F_SETFL, O_NONBLOCK) != 0))
		goto fail;
	if ((!fast && p->kind != PROC_MAIN && pipe2(report, O_CLOEXEC) != 0) ||
	    relay_start(p, out) != 0)
		goto fail;
	pid_t parent = getpid();
	/* The vfork child only makes system calls and execs; the parent waits meanwhile. */
	pid_t pid = fast ? vfork() : fork();
	if (pid < 0)
		goto fail;
	if (pid == 0)
		become(p, sandboxed, in[0], out, report[1], fast ? &shared : NULL, parent);
	/* The parent's copies of the write ends: the pipes reach EOF when the child is gone.
	 * A User= child is given its ends by sandbox_apply() (fds 0-2 it could not reopen). */
	for (int k = 0; k < 2; k++)
		if (p->relay[k])
			relay_child_started(p->relay_stream[k]);
	p->pid = pid;
	p->state = PROC_RUNNING;
	p->started_ms = p->run_timeout_ms || !fast ? now_ms() : 0;
	p->deadline_ms = p->run_timeout_ms ? p->started_ms + p->run_timeout_ms : 0;
	close_fd(&in[0]);
	p->input_fd = in[1];
	if (report[0] >= 0) {
		close_fd(&report[1]);
		/* Returns at execve (EOF) or at the child's failure: never on anything outside. */
		ssize_t got;
		while ((got = read(report[0], &shared, sizeof shared)) < 0 && errno == EINTR)
			;
		close_fd(&report[0]);
		if (got != (ssize_t)sizeof shared)
			shared.step = 0;
	}
	if (shared.step) {
		p->exec_step = shared.step;
		p->exec_error = shared.error;
		close_fd(&p->input_fd);
	}
	/* After fork the child may not have run yet: make the group exist before any
	 * signal is forwarded to it. EACCES means the child already exec'd: fine. Not for a
	 * child that makes its own session: a group leader cannot (the loop copes with the
	 * moment before it has, see proc_signal()). */
	if (!fast && (p->take_terminal || p->keep_session) && setpgid(pid, pid) != 0 &&
	    errno != EACCES && errno != ESRCH)
		usher_warn("setpgid(%d): %s", (int)pid, strerror(errno));
	proc_feed_input(p);
	return 0;
fail:
	usher_err("%s: cannot start: %s", p->name, strerror(errno));
	close_fd(&in[0]);
	close_fd(&in[1]);
	close_fd(&report[0]);
	close_fd(&report[1]);
	proc_relay_close(p);
	return -1;
}

/* A write to a pipe whose reader is gone must not turn into a SIGPIPE the loop would then
 * forward: usher blocks SIGPIPE, so the one this write raised is taken back here. */
void proc_feed_input(struct proc *p)
{
	if (p->input_fd < 0)
		return;
	sigset_t pending, pipe_only;
	sigemptyset(&pipe_only);
	sigaddset(&pipe_only, SIGPIPE);
	bool was_pending = sigpending(&pending) == 0 && sigismember(&pending, SIGPIPE);
	ssize_t wrote = write(p->input_fd, p->input_text + p->input_done,
			      p->input_len - p->input_done);
	int problem = errno;
	if (wrote > 0)
		p->input_done += (size_t)wrote;
	if (wrote < 0 && problem == EPIPE && !was_pending) {
		struct timespec zero = { 0, 0 };
		while (sigtimedwait(&pipe_only, NULL, &zero) < 0 && errno == EINTR)
			;
	}
	/* EPIPE: the child closed its stdin; it decides whether that is an error. */
	if ((wrote < 0 && problem != EAGAIN && problem != EINTR) || p->input_done == p->input_len)
		close_fd(&p->input_fd);
}

int proc_register(struct proc *p)
{
	for (unsigned i = 0; i < table_count; i++)
		if (table[i] == p)
			return 0;
	p->input_fd = -1;
	if (table_count == PROC_TABLE_MAX) {
		usher_err("%s: too many processes to supervise", p->name); /* a bug: sized above */
		return -1;
	}
	table[table_count++] = p;
	for (int k = 0; k < 2; k++) {
		if (!p->relay[k])
			continue;
		if (relay_streams == 0) {
			if (relay_init(RELAY_STREAM_MAX, RELAY_CAPTURE_TOTAL) != 0)
				return -1;
			loop_add(&relay_module);
		}
		if (relay_streams == RELAY_STREAM_MAX) {
			usher_err("%s: too many relayed outputs", p->name); /* a bug: sized above */
			return -1;
		}
		p->relay_stream[k] = relay_streams++;
	}
	return 0;
}

int proc_log_prefix(struct proc *p, const char *label)
{
	const char *slash = strrchr(label, '/');
	struct { struct relay_opts opts[2]; char prefix[72]; } *r = calloc(1, sizeof *r);
	if (!r) {
		usher_err("out of memory");
		return -1;
	}
	snprintf(r->prefix, sizeof r->prefix, "%.64s | ", slash && slash[1] ? slash + 1 : label);
	for (int k = 0; k < 2; k++) {
		r->opts[k] = (struct relay_opts){ .to_fd = k + 1, .prefix = r->prefix, .name = p->name };
		p->relay[k] = &r->opts[k];
	}
	return 0;
}

void proc_relay_finish(void)
{
	if (relay_streams) {
		relay_flush_all(now_ms() + RELAY_EXIT_FLUSH_MS);
		relay_wipe();
	}
}

void proc_signal(const struct proc *p, int sig)
{
	if (p->state == PROC_IDLE || p->pid <= 0)
		return;
	int rc = kill(p->signal_group ? -p->pid : p->pid, sig);
	/* For a moment after a fork the child may not lead its group yet. */
	if (rc != 0 && errno == ESRCH && p->signal_group)
		rc = kill(p->pid, sig);
	if (rc != 0 && errno != ESRCH)
		usher_warn("%s: kill: %s", p->name, strerror(errno));
}

void proc_stop(struct proc *p)
{
	if (p->state != PROC_RUNNING)
		return;
	proc_signal(p, p->kill_signal ? p->kill_signal : SIGTERM);
	proc_signal(p, SIGCONT); /* a stopped process must run to see the signal */
	p->state = PROC_STOPPING;
	p->deadline_ms = now_ms() + p->stop_timeout_ms;
}

static void finish(struct proc *p, int status)
{
	p->status = status;
	p->state = PROC_IDLE;
	p->deadline_ms = 0;
	close_fd(&p->input_fd);
	/* Whatever is left of its group goes with it (php-fpm's workers would hold its port
	 * against a restart; az's telemetry uploaders would outlive a login). */
	if (p->reap_group && p->pid > 0 && kill(-p->pid, SIGKILL) != 0 && errno != ESRCH)
		usher_warn("%s: kill: %s", p->name, strerror(errno));
	/* What its pipes hold now; a grandchild's later output still comes until the next run. */
	for (int k = 0; k < 2; k++)
		if (p->relay[k])
			relay_child_exited(p->relay_stream[k]);
	if (p->exited)
		p->exited(p);
}

bool proc_group_left(const struct proc *p)
{
	return p->pid > 0 && kill(-p->pid, 0) == 0;
}

bool proc_reaped(pid_t pid, int status)
{
	for (unsigned i = 0; i < table_count; i++) {
		struct proc *p = table[i];
		if (p->state != PROC_IDLE && p->pid == pid) {
			finish(p, status);
			return true;
		}
	}
	return false;
}

long long proc_next_deadline(void)
{
	long long next = 0;
	for (unsigned i = 0; i < table_count; i++) {
		long long at = table[i]->state != PROC_IDLE ? table[i]->deadline_ms : 0;
		if (at && (!next || at < next))
			next = at;
	}
	return next;
}

void proc_tick(long long now)
{
	for (unsigned i = 0; i < table_count; i++) {
		struct proc *p = table[i];
		if (p->state == PROC_IDLE || !p->deadline_ms || now < p->deadline_ms)
			continue;
		if (p->state == PROC_RUNNING) {
			p->timed_out = true;
			proc_stop(p);
		} else if (p->state == PROC_STOPPING) {
			if (p->kind != PROC_HELPER) /* a helper's one line says it timed out */
				usher_warn("%s ignored %s for %ld ms; sending SIGKILL", p->name,
					   p->kind == PROC_MAIN ? "SIGTERM" : "its stop signal",
					   p->stop_timeout_ms);
			kill(-p->pid, SIGKILL);
			kill(p->pid, SIGKILL);
			p->state = PROC_KILLED;
			p->deadline_ms = p->kill_wait_ms ? now + p->kill_wait_ms : 0;
		} else {
			p->abandoned = true;
			finish(p, 0);
		}
	}
}
