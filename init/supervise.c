/* init/supervise.c — the one loop PID 1 lives in: reaps every child and hands each to its proc,
 * forwards signals, serves the modules' fds and deadlines, restarts the main command on reload,
 * and stops everything at the end. Nothing in here allocates; it only waits in poll() or,
 * with nothing but the main command to watch, in sigtimedwait() as tini does. */
#include "supervise.h"
#include "creds.h"
#include "helpers.h"
#include "options.h"
#include "service-run.h"
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

/* After SIGKILL, how long to collect the dead before exiting anyway: a process stuck in
 * the kernel (D state) must not hold usher past its grace period for long. */
#define AFTER_KILL_MS 1000

enum { MODULE_MAX = 8, POLL_MAX = 160 };

enum phase {
	RUNNING,    /* the workload runs (or waits for the services, or there is none) */
	RESTARTING, /* the old workload was asked to stop; the next one starts when it has */
	SERVICES,   /* the workload is gone; the services are being stopped */
	STOPPING,   /* the workload is gone; what is left gets SIGTERM, then SIGKILL */
};

static const struct loop_module *modules[MODULE_MAX];
static unsigned module_count;

static struct {
	enum phase phase;
	bool is_pid1;
	struct proc *main;     /* the main command */
	int exit_code;
	bool stop_requested;   /* a stop signal came while restarting: do not start again */
	bool main_stopped;     /* the workload was seen stopped: a stop signal gets a SIGCONT */
	bool children_left;    /* waitpid has not yet said ECHILD */
	long long deadline_ms; /* when the final stop's grace period ends; 0 if none */
	bool killed;           /* SIGKILL already sent for this deadline */
	bool final_stop_due;   /* the workload is gone: signal what is left */
	bool reload_pending;   /* a reload was asked for while restarting: do it after */
	int signal_fd;         /* opened the first time something else needs polling */
	bool exit_forced;      /* supervise_exit(): its code wins over the workload's */
	long long stop_from_ms; /* the services' stop began: the grace period counts from here */
	bool startup_helpers;  /* the login helpers run before services and the main command */
	bool helpers_over;     /* ... and have just ended, with helpers_rc */
	int helpers_rc;
	struct proc next;
} sv;

void loop_add(const struct loop_module *module)
{
	if (module_count < MODULE_MAX)
		modules[module_count++] = module;
}

int supervise_exit_code(int status)
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
	/* After the services' stop, what is left gets the rest of the same grace period. */
	sv.deadline_ms = (sv.stop_from_ms ? sv.stop_from_ms : now_ms()) + settings.grace_ms;
	sv.killed = false;
}

/* The workload is gone (or there is none): the services, then the final sweep. */
static void begin_shutdown(void)
{
	helpers_interrupt(SIGTERM); /* a reload's helpers: nothing will use what they do */
	if (service_count && sv.phase != SERVICES && sv.phase != STOPPING) {
		sv.phase = SERVICES;
		sv.stop_from_ms = now_ms();
		services_stop(sv.stop_from_ms + settings.grace_ms);
		return;
	}
	sv.phase = STOPPING;
	sv.final_stop_due = true; /* once this round of reaping is done */
}

void supervise_exit(int code)
{
	if (sv.exit_forced || sv.phase == SERVICES || sv.phase == STOPPING)
		return;
	sv.exit_forced = true;
	sv.exit_code = code;
	if (sv.main && sv.main->state != PROC_IDLE) {
		sv.main->stop_timeout_ms = settings.grace_ms;
		proc_stop(sv.main); /* its exit goes on with the services */
		return;
	}
	begin_shutdown();
}

static void start_next_workload(void)
{
	struct proc *main = sv.main;
	if (sv.next.argv) {
		main->argv = sv.next.argv;
		main->envp = sv.next.envp;
		main->path = sv.next.path;
	}
	if (proc_start(main) != 0) {
		sv.exit_code = EXIT_USHER_FAILED;
		begin_shutdown();
		return;
	}
	usher_info("workload %s as pid %d", sv.next.argv ? "restarted" : "started", (int)main->pid);
	sv.phase = RUNNING;
	sv.main_stopped = false;
}

static void workload_exited(struct proc *main)
{
	int code = supervise_exit_code(main->status);
	usher_info("workload exited: status %d", code);
	if (!sv.exit_forced)
		sv.exit_code = code;
	if (sv.phase == RESTARTING && !sv.stop_requested && !sv.exit_forced)
		start_next_workload();
	else
		begin_shutdown();
}

/* The workload stopped (Ctrl-Z on its terminal). As PID 1 nothing is above usher to take
 * the terminal back: it just stays stopped until a SIGCONT comes. Under an interactive
 * shell usher does what a shell's job does: stop too, so that shell gets its terminal
 * back, and on `fg` give the terminal back to the workload and continue it. */
static void workload_stopped(void)
{
	sv.main_stopped = true;
	if (sv.is_pid1 || !sv.main->take_terminal)
		return;
	if (tcsetpgrp(STDIN_FILENO, getpgrp()) != 0)
		return; /* not our terminal any more: leave job control to whoever has it */
	kill(getpid(), SIGSTOP);
	/* Continued: the shell made usher's group the foreground again. */
	if (tcsetpgrp(STDIN_FILENO, sv.main->pid) != 0)
		usher_warn("cannot give the terminal back to the workload: %s", strerror(errno));
	kill(-sv.main->pid, SIGCONT);
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
			if (sv.main && pid == sv.main->pid && sv.main->state != PROC_IDLE)
				workload_stopped();
			continue;
		}
		if (!proc_reaped(pid, status) && settings.warn_on_reap)
			usher_warn("Reaped zombie process with pid=%d", (int)pid); /* tini's words */
		/* After SIGKILL: a killed parent's children are ours now and were not yet in the
		 * /proc walk (not PID 1): kill them too. */
		if (sv.killed && sv.phase == STOPPING && !sv.is_pid1)
			signal_everyone(SIGKILL, false);
	}
}

static void forward(int sig)
{
	int to = signal_rewritten(sig);
	/* signal_name() only when debugging: formatting would touch pages trimmed away. */
	bool debugging = usher_verbosity >= 3;
	if ((sig == SIGTERM || sig == SIGINT) && helpers_running()) {
		helpers_interrupt(sig); /* at a reload the workload gets the signal too */
		if (sv.startup_helpers)
			return;
	}
	if (service_count && (!sv.main || sv.main->state == PROC_IDLE) && sv.phase == RUNNING) {
		/* No main command (yet): a stop signal stops everything, others go to every
		 * service. Exit 0 when there is no main command, else 128+N: it never ran. */
		if (sig == SIGTERM || sig == SIGINT)
			supervise_exit(sv.main ? 128 + sig : 0);
		else if (to)
			services_signal(to);
		return;
	}
	if (!sv.main || sv.main->state == PROC_IDLE || to == 0) {
		if (debugging)
			usher_debug("%s not forwarded", signal_name(sig));
		return;
	}
	if (sv.phase == RESTARTING && (sig == SIGTERM || sig == SIGINT || sig == SIGQUIT))
		sv.stop_requested = true;
	/* The workload leads its own process group (proc.c): -g signals that group. */
	proc_signal(sv.main, to);
	/* A stopped workload (SIGSTOP, or a SIGTSTP it does not handle) must run to see that it
	 * is asked to end, as in usher's own stops (proc_stop(), the final stop). */
	if (sv.main_stopped && (to == SIGTERM || to == SIGINT || to == SIGQUIT))
		proc_signal(sv.main, SIGCONT);
	if (debugging)
		usher_debug("forwarded %s to %d", signal_name(to), (int)sv.main->pid);
}

static const char reload_failed[] =
	"reload failed; the workload keeps running with its current environment";

/* The reload's helpers are over (they ran in this loop while the workload kept running). */
static void reload_helpers_done(int rc)
{
	creds_reload_finish(rc == 0);
	if (rc != 0 || workload_prepare_next(&sv.next) != 0) {
		usher_err("%s", reload_failed);
		return;
	}
	if (sv.phase != RUNNING || !sv.main || sv.main->state == PROC_IDLE)
		return; /* it ended meanwhile */
	sv.phase = RESTARTING;
	sv.stop_requested = false;
	sv.main->stop_timeout_ms = settings.grace_ms;
	proc_stop(sv.main);
}

static void reload(const char *why)
{
	if (sv.phase == RESTARTING || helpers_running()) {
		/* A second file rendered moments after the first must not be lost. */
		sv.reload_pending = true;
		return;
	}
	if (sv.phase != RUNNING || !sv.main || sv.main->state == PROC_IDLE)
		return;
	usher_info("%s: reloading credentials", why);
	if (creds_reload() != 0) {
		usher_err("%s", reload_failed);
		return;
	}
	if (!helpers_run(reload_helpers_done))
		reload_helpers_done(0);
}

static void startup_helpers_done(int rc)
{
	sv.startup_helpers = false;
	sv.helpers_over = true;
	sv.helpers_rc = rc;
}

/* The start-up helpers are over: on to the services and the main command, or stop. */
static void after_startup_helpers(void)
{
	sv.helpers_over = false;
	if (sv.helpers_rc == 0) {
		if (service_count)
			services_start();
		return;
	}
	sv.exit_code = sv.helpers_rc; /* the workload never ran */
	sv.exit_forced = true;
	sv.phase = STOPPING;
	sv.final_stop_due = true;
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
		usher_warn("processes survived SIGKILL for %d ms; exiting anyway", AFTER_KILL_MS);
		sv.children_left = false;
		sv.deadline_ms = 0;
		return;
	}
	sv.killed = true;
	sv.deadline_ms = now_ms() + AFTER_KILL_MS;
	usher_warn("processes left after %ld ms; sending SIGKILL", settings.grace_ms);
	signal_everyone(SIGKILL, sv.is_pid1);
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

/* One sigtimedwait per signal is all it takes when nothing but signals can wake usher. */
static int wait_for_signal(const sigset_t *handled, int timeout_ms)
{
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

/* Waits for the next events or the timeout: 1 after events, 0 on timeout, -1 on error.
 * Entry 0 is the signalfd, entry 1 the watched files' fd, then each module's. */
static int wait_for_events(const sigset_t *handled, int timeout_ms)
{
	struct pollfd fds[POLL_MAX];
	unsigned counts[MODULE_MAX], n = 2;
	fds[1] = (struct pollfd){ .fd = creds_watch_fd(), .events = POLLIN };
	for (unsigned m = 0; m < module_count; m++) {
		counts[m] = modules[m]->fill ? modules[m]->fill(fds + n, POLL_MAX - n) : 0;
		n += counts[m];
	}
	if (n == 2 && fds[1].fd < 0)
		return wait_for_signal(handled, timeout_ms);
	if (sv.signal_fd < 0 && (sv.signal_fd = signalfd(-1, handled, SFD_NONBLOCK | SFD_CLOEXEC)) < 0) {
		/* Without signals PID 1 cannot reap: stop the workload rather than run blind. */
		usher_err("signalfd: %s", strerror(errno));
		return -1;
	}
	fds[0] = (struct pollfd){ .fd = sv.signal_fd, .events = POLLIN };
	int ready = poll(fds, n, timeout_ms);
	if (ready < 0 && errno != EINTR) {
		usher_err("poll: %s", strerror(errno));
		return -1;
	}
	if (ready <= 0)
		return ready < 0 ? 1 : 0;
	if (fds[0].revents)
		drain_signals(sv.signal_fd);
	if (fds[1].revents && creds_watch_changed())
		reload("a watched file changed");
	for (unsigned m = 0, at = 2; m < module_count; at += counts[m++])
		if (counts[m] && modules[m]->handle)
			modules[m]->handle(fds + at, counts[m]);
	return 1;
}

static long long next_deadline(void)
{
	long long next = sv.deadline_ms, at = proc_next_deadline();
	if (at && (!next || at < next))
		next = at;
	for (unsigned m = 0; m < module_count; m++) {
		at = modules[m]->deadline ? modules[m]->deadline() : 0;
		if (at && (!next || at < next))
			next = at;
	}
	return next;
}

static void deadlines_passed(long long now)
{
	proc_tick(now);
	for (unsigned m = 0; m < module_count; m++)
		if (modules[m]->tick)
			modules[m]->tick(now);
	if (sv.deadline_ms && now >= sv.deadline_ms)
		deadline_passed();
}

int supervise(struct proc *main_proc, bool is_pid1)
{
	/* The loop's own code: trim_startup_pages() keeps these pages mapped. */
	static const void *const hot_code[] = {
		(const void *)supervise, (const void *)wait_for_events,
		(const void *)wait_for_signal, (const void *)handle_signal,
		(const void *)reap_all, (const void *)forward, (const void *)signal_rewritten,
		(const void *)deadline_passed, (const void *)start_final_stop,
		(const void *)signal_everyone, (const void *)drain_signals,
		(const void *)creds_reload_signal, (const void *)usher_debug,
		(const void *)supervise_exit_code, (const void *)workload_exited,
		(const void *)workload_stopped, (const void *)proc_reaped,
		(const void *)proc_signal, (const void *)proc_next_deadline,
		(const void *)proc_tick, (const void *)next_deadline,
		(const void *)deadlines_passed, (const void *)creds_watch_fd,
		(const void *)signal_from_process,
	};

	sv.phase = RUNNING;
	sv.is_pid1 = is_pid1;
	sv.main = main_proc;
	if (sv.main)
		sv.main->exited = workload_exited;
	sv.children_left = true;
	sv.signal_fd = -1;
	sigset_t handled;
	signal_fill_handled(&handled);
	/* The login helpers first; services and the main command once they succeeded. */
	sv.startup_helpers = true;
	if (!helpers_run(startup_helpers_done)) {
		sv.startup_helpers = false;
		if (service_count)
			services_start();
	}
	reap_all(); /* the workload may be gone already */
	bool trimmed = false, main_started = sv.main && sv.main->state != PROC_IDLE;
	long long busy_since_ms = 0;
	for (;;) {
		if (sv.helpers_over)
			after_startup_helpers();
		if (sv.phase == RUNNING && sv.main && !main_started && !sv.startup_helpers &&
		    services_settled()) {
			main_started = true;
			start_next_workload();
		}
		if (sv.phase == SERVICES && services_stopped()) {
			sv.phase = STOPPING;
			sv.final_stop_due = true;
			if (!sv.main && sv.exit_code == 0 && services_killed_any())
				sv.exit_code = 128 + SIGKILL; /* not every service stopped as asked */
		}
		if (sv.final_stop_due) {
			sv.final_stop_due = false;
			start_final_stop();
		}
		if (sv.phase == STOPPING && !sv.children_left)
			return sv.exit_code;
		/* Until trimmed, wake after a quiet second; no clock needed for that, and a
		 * workload that exits at once never reads one (the vDSO's first use faults). */
		int timeout = trimmed ? -1 : TRIM_AFTER_MS;
		long long deadline = next_deadline();
		if (deadline) {
			long long left = deadline - now_ms();
			timeout = left > 0 ? (left > 86400000 ? 86400000 : (int)left) : 0;
		}
		int events = wait_for_events(&handled, timeout);
		if (events < 0) {
			if (sv.main)
				proc_signal(sv.main, SIGKILL);
			return EXIT_USHER_FAILED;
		}
		bool started = sv.phase == RUNNING && !sv.startup_helpers && (!sv.main || main_started);
		if (!trimmed && trim_due(events == 0 && !deadline, started && services_settled(),
					 &busy_since_ms)) {
			trimmed = true;
			trim_startup_pages(hot_code, sizeof hot_code / sizeof hot_code[0]);
		}
		if (sv.reload_pending && sv.phase == RUNNING) {
			sv.reload_pending = false;
			reload("a reload was asked for during the restart");
		}
		if (deadline)
			deadlines_passed(now_ms());
	}
}
