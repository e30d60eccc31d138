/* init/supervise.c — the loop PID 1 lives in: reaps every child, forwards signals,
 * restarts the workload on reload, and stops everything that is left at the end.
 * Nothing in here allocates; the loop only waits in sigtimedwait() or poll(). */
#include "supervise.h"
#include "creds.h"
#include "options.h"
#include "signals.h"
#include "stop.h"
#include "trim.h"
#include "util.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

/* After the first wait this long without a signal, the workload is no one-shot command:
 * hand back the start-up pages then (a short-lived workload never pays for it). */
#define TRIM_AFTER_MS 1000

/* After SIGKILL, how long to collect the dead before exiting anyway: a process stuck in
 * the kernel (D state) must not hold usher past its grace period for long. */
#define AFTER_KILL_MS 1000

enum phase {
	RUNNING,    /* the workload runs */
	RESTARTING, /* the old workload was asked to stop; the next one starts when it has */
	STOPPING,   /* the workload is gone; what is left gets SIGTERM, then SIGKILL */
};

static struct {
	enum phase phase;
	bool is_pid1;
	pid_t workload;        /* 0 once it has exited */
	int exit_code;
	bool stop_requested;   /* a stop signal came while restarting: do not start again */
	bool children_left;    /* waitpid has not yet said ECHILD */
	long long deadline_ms; /* when the current grace period ends; 0 if none */
	bool killed;           /* SIGKILL already sent for this deadline */
	bool final_stop_due;   /* the workload is gone: signal what is left */
	bool reload_pending;   /* a reload was asked for while restarting: do it after */
	struct workload *current, next;
} sv;

static int exit_code_of(int status)
{
	int code = WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status);
	return settings.exit_to_zero[code] ? 0 : code;
}

static void start_final_stop(void)
{
	sv.deadline_ms = 0;
	if (!sv.children_left)
		return;
	usher_info("workload gone; sending SIGTERM to what is left (grace %ld ms)", settings.grace_ms);
	signal_everyone(SIGTERM, sv.is_pid1);
	signal_everyone(SIGCONT, sv.is_pid1); /* a stopped process must run to see SIGTERM */
	sv.deadline_ms = now_ms() + settings.grace_ms;
	sv.killed = false;
}

static void start_next_workload(void)
{
	*sv.current = sv.next;
	pid_t pid = workload_spawn(sv.current);
	sv.deadline_ms = 0;
	sv.killed = false;
	if (pid < 0) {
		sv.exit_code = EXIT_USHER_FAILED;
		sv.phase = STOPPING;
		sv.final_stop_due = true;
		return;
	}
	usher_info("workload restarted as pid %d", (int)pid);
	sv.workload = pid;
	sv.phase = RUNNING;
}

static void workload_exited(int status)
{
	sv.workload = 0;
	sv.exit_code = exit_code_of(status);
	usher_info("workload exited: status %d", sv.exit_code);
	if (sv.phase == RESTARTING && !sv.stop_requested) {
		start_next_workload();
	} else {
		sv.phase = STOPPING;
		sv.final_stop_due = true; /* once this round of reaping is done */
	}
}

/* The workload stopped (Ctrl-Z on its terminal). As PID 1 nothing is above usher to take
 * the terminal back: it just stays stopped until a SIGCONT comes. Under an interactive
 * shell usher does what a shell's job does: stop too, so that shell gets its terminal
 * back, and on `fg` give the terminal back to the workload and continue it. */
static void workload_stopped(void)
{
	if (sv.is_pid1 || !sv.current->take_terminal)
		return;
	if (tcsetpgrp(STDIN_FILENO, getpgrp()) != 0)
		return; /* not our terminal any more: leave job control to whoever has it */
	kill(getpid(), SIGSTOP);
	/* Continued: the shell made usher's group the foreground again. */
	if (tcsetpgrp(STDIN_FILENO, sv.workload) != 0)
		usher_warn("cannot give the terminal back to the workload: %s", strerror(errno));
	kill(-sv.workload, SIGCONT);
}

static void reap_all(void)
{
	for (;;) {
		int status;
		pid_t pid = waitpid(-1, &status, WNOHANG | WUNTRACED);
		if (pid < 0 && errno == EINTR)
			continue;
		if (pid < 0) {
			if (errno == ECHILD)
				sv.children_left = false;
			else
				usher_warn("waitpid: %s", strerror(errno));
			return;
		}
		if (pid == 0) {
			sv.children_left = true;
			return;
		}
		if (WIFSTOPPED(status)) {
			if (pid == sv.workload)
				workload_stopped();
			continue;
		}
		if (pid == sv.workload)
			workload_exited(status);
		else if (settings.warn_on_reap)
			usher_warn("Reaped zombie process with pid=%d", (int)pid); /* tini's words */
	}
}

static pid_t forward_target(void)
{
	/* The workload leads its own process group (spawn.c), so its pgid is its pid. */
	return settings.kill_group ? -sv.workload : sv.workload;
}

static void forward(int sig)
{
	int to = signal_rewritten(sig);
	/* signal_name() only when debugging: formatting would touch pages trimmed away. */
	bool debugging = usher_verbosity >= 3;
	if (sv.workload == 0 || to == 0) {
		if (debugging)
			usher_debug("%s not forwarded", signal_name(sig));
		return;
	}
	if (sv.phase == RESTARTING && (sig == SIGTERM || sig == SIGINT || sig == SIGQUIT))
		sv.stop_requested = true;
	int rc = kill(forward_target(), to);
	/* -g: for a moment after a fork the workload may not lead its group yet. */
	if (rc != 0 && errno == ESRCH && settings.kill_group)
		rc = kill(sv.workload, to);
	if (rc != 0 && errno != ESRCH)
		usher_warn("forwarding %s: %s", signal_name(to), strerror(errno));
	else if (debugging)
		usher_debug("forwarded %s to %d", signal_name(to), (int)forward_target());
}

static void reload(const char *why)
{
	if (sv.phase == RESTARTING) {
		/* A second file rendered moments after the first must not be lost. */
		sv.reload_pending = true;
		return;
	}
	if (sv.phase != RUNNING)
		return;
	usher_info("%s: reloading credentials", why);
	if (workload_prepare_next(&sv.next) != 0) {
		usher_err("reload failed; the workload keeps running with its current environment");
		return;
	}
	sv.phase = RESTARTING;
	sv.stop_requested = false;
	kill(forward_target(), SIGTERM);
	kill(forward_target(), SIGCONT);
	sv.deadline_ms = now_ms() + settings.grace_ms;
	sv.killed = false;
}

static void handle_signal(int sig)
{
	if (sig == SIGCHLD)
		reap_all();
	else if (sig == creds_reload_signal())
		reload(signal_name(sig));
	else
		forward(sig);
}

static void deadline_passed(void)
{
	if (sv.killed) {
		if (sv.phase == STOPPING) {
			usher_warn("processes survived SIGKILL for %d ms; exiting anyway", AFTER_KILL_MS);
			sv.children_left = false;
		}
		sv.deadline_ms = 0;
		return;
	}
	sv.killed = true;
	sv.deadline_ms = now_ms() + AFTER_KILL_MS;
	if (sv.phase == RESTARTING) {
		usher_warn("workload ignored SIGTERM for %ld ms; sending SIGKILL", settings.grace_ms);
		kill(-sv.workload, SIGKILL);
		kill(sv.workload, SIGKILL);
	} else {
		usher_warn("processes left after %ld ms; sending SIGKILL", settings.grace_ms);
		signal_everyone(SIGKILL, sv.is_pid1);
	}
}

static int open_signal_fd(const sigset_t *handled)
{
	int fd = signalfd(-1, handled, SFD_NONBLOCK | SFD_CLOEXEC);
	if (fd < 0)
		usher_err("signalfd: %s", strerror(errno));
	return fd;
}

static void drain_signals(int signal_fd)
{
	struct signalfd_siginfo batch[16];
	for (;;) {
		ssize_t got = read(signal_fd, batch, sizeof batch);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			return;
		for (size_t i = 0; i < (size_t)got / sizeof batch[0]; i++)
			if (signal_from_process((int)batch[i].ssi_signo, batch[i].ssi_code))
				handle_signal((int)batch[i].ssi_signo);
	}
}

/* Waits for the next signal(s) or the timeout: 1 after events, 0 on timeout, -1 on error. Without a watched file one
 * sigtimedwait per signal is all it takes (as tini does); with one, poll on a signalfd
 * and the watch fd. */
static int wait_for_events(struct pollfd watched[2], const sigset_t *handled, int timeout_ms)
{
	if (watched[1].fd < 0) {
		struct timespec timeout = { timeout_ms / 1000, (long)(timeout_ms % 1000) * 1000000 };
		siginfo_t info;
		int sig = sigtimedwait(handled, &info, timeout_ms < 0 ? NULL : &timeout);
		if (sig > 0) {
			if (signal_from_process(sig, info.si_code))
				handle_signal(sig);
			return 1;
		}
		if (errno == EAGAIN)
			return 0;
		if (errno != EINTR) {
			usher_err("sigtimedwait: %s", strerror(errno));
			return -1;
		}
		return 1;
	}
	int ready = poll(watched, 2, timeout_ms);
	if (ready < 0 && errno != EINTR) {
		usher_err("poll: %s", strerror(errno));
		return -1;
	}
	if (ready > 0 && watched[0].revents)
		drain_signals(watched[0].fd);
	if (ready > 0 && watched[1].revents && creds_watch_changed())
		reload("a watched file changed");
	return ready == 0 ? 0 : 1;
}

int supervise(struct workload *current, pid_t workload_pid, bool is_pid1)
{
	/* The loop's own code: trim_startup_pages() keeps these pages mapped. */
	static const void *const hot_code[] = {
		(const void *)supervise, (const void *)wait_for_events,
		(const void *)handle_signal, (const void *)reap_all,
		(const void *)forward, (const void *)signal_rewritten,
		(const void *)deadline_passed, (const void *)start_final_stop,
		(const void *)signal_everyone, (const void *)drain_signals,
		(const void *)creds_reload_signal, (const void *)usher_debug,
		(const void *)exit_code_of, (const void *)workload_exited,
		(const void *)workload_stopped, (const void *)signal_from_process,
	};

	sv.phase = RUNNING;
	sv.is_pid1 = is_pid1;
	sv.workload = workload_pid;
	sv.current = current;
	sv.children_left = true;
	sigset_t handled;
	signal_fill_handled(&handled);
	struct pollfd watched[2] = {
		{ .fd = -1, .events = POLLIN },
		{ .fd = creds_watch_fd(), .events = POLLIN },
	};
	if (watched[1].fd >= 0 && (watched[0].fd = open_signal_fd(&handled)) < 0) {
		/* Without signals PID 1 cannot reap: stop the workload rather than run blind. */
		kill(workload_pid, SIGKILL);
		return EXIT_USHER_FAILED;
	}
	reap_all(); /* the workload may be gone already */
	bool trimmed = false;
	for (;;) {
		if (sv.final_stop_due) {
			sv.final_stop_due = false;
			start_final_stop();
		}
		if (sv.phase == STOPPING && !sv.children_left)
			return sv.exit_code;
		/* Until trimmed, wake after a quiet second; no clock needed for that, and a
		 * workload that exits at once never reads one (the vDSO's first use faults). */
		int timeout = trimmed ? -1 : TRIM_AFTER_MS;
		if (sv.deadline_ms) {
			long long left = sv.deadline_ms - now_ms();
			timeout = left > 0 ? (int)left : 0;
		}
		int events = wait_for_events(watched, &handled, timeout);
		if (events < 0)
			return EXIT_USHER_FAILED;
		if (events == 0 && !trimmed && !sv.deadline_ms) {
			trimmed = true;
			trim_startup_pages(hot_code, sizeof hot_code / sizeof hot_code[0]);
		}
		if (sv.reload_pending && sv.phase == RUNNING) {
			sv.reload_pending = false;
			reload("a reload was asked for during the restart");
		}
		if (sv.deadline_ms && now_ms() >= sv.deadline_ms)
			deadline_passed();
	}
}
