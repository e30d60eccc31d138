/* init/service-health.c — HealthCheck= runs of the services and of the main command (health.c's
 * schedule, HealthAction=) and the status socket, as two of the loop's modules. */
#include "control.h"
#include "health.h"
#include "options.h"
#include "sandbox.h"
#include "service-run.h"
#include "supervise.h"
#include "util.h"

#include <string.h>
#include <sys/wait.h>

/* Slot i < service_count is svcs[i]; slot service_count, when there is a main command, is it. */
static unsigned slots;
static struct proc *main_proc;
static pid_t main_pid;                        /* the run of it the schedule is armed for */
static struct health healths[SERVICE_MAX + 1];
static struct proc health_procs[SERVICE_MAX + 1]; /* exec: health checks */
static unsigned restarts[SERVICE_MAX + 1];
static bool ever_started[SERVICE_MAX + 1];
static bool stopped_unhealthy[SERVICE_MAX + 1]; /* HealthAction=restart stopped it */

static const struct service_def *def_of(unsigned i)
{
	return i < service_count ? svcs[i].def : &service_defs[SERVICE_MAIN];
}

static struct proc *proc_of(unsigned i)
{
	return i < service_count ? &svcs[i].proc : main_proc;
}

/* ------------------------------------------------------------------ health */

static void act(unsigned i, enum health_event event)
{
	const struct service_def *d = def_of(i);
	struct health *h = &healths[i];
	bool is_main = i == service_count;
	/* 'service "web"' or 'main command', in every message */
	const char *q = is_main ? "" : "\"", *who = is_main ? "main command" : d->name;
	if (event == HEALTH_NEEDS_EXEC) {
		health_procs[i].run_timeout_ms = h->timeout_ms;
		health_procs[i].stop_timeout_ms = 0;
		/* Never two at once: a run killed at its timeout may not be reaped yet. */
		if (health_procs[i].state != PROC_IDLE || proc_start(&health_procs[i]) != 0)
			act(i, health_exec_done(h, EXIT_USHER_FAILED << 8, false, now_ms()));
	} else if (event == HEALTH_BECAME_HEALTHY) {
		usher_info("%s%s%s%s: healthy again (%s)", is_main ? "" : "service ", q, who, q,
			   check_detail(&h->run));
	} else if (event == HEALTH_BECAME_UNHEALTHY && proc_of(i)->state == PROC_RUNNING) {
		static const char *const doing[] = { "restarting it", "stopping it", "marked unhealthy" };
		usher_warn("%s%s%s%s: unhealthy after %ld failed checks (%s); %s",
			   is_main ? "" : "service ", q, who, q, h->failures, check_detail(&h->run),
			   doing[d->health_action]);
		if (is_main && d->health_action == HEALTH_STOP) {
			supervise_exit(128 + main_proc->kill_signal); /* stops the services too */
		} else if (d->health_action == HEALTH_RESTART) {
			health_disarm(h);
			stopped_unhealthy[i] = true; /* its exit counts as a failure, for Restart= */
			proc_stop(&svcs[i].proc);    /* its exit brings Restart= and its backoff */
		} else if (d->health_action == HEALTH_STOP) {
			svc_gave_up(&svcs[i], 128 + d->kill_signal, true); /* FailureAction= */
		} /* none: checks go on; it may recover */
	}
}

static void health_exited(struct proc *p)
{
	unsigned i = (unsigned)(p - health_procs);
	act(i, health_exec_done(&healths[i], p->exec_error ? 0x7f00 : p->status, p->timed_out,
				 now_ms()));
}

static void started(unsigned i)
{
	restarts[i] += ever_started[i];
	ever_started[i] = true;
}

static void ended(unsigned i)
{
	health_disarm(&healths[i]);
	proc_stop(&health_procs[i]);
}

void service_health_started(struct svc *s)
{
	started((unsigned)(s - svcs));
}

void service_health_ready(struct svc *s)
{
	if (s->def->has_health_check)
		health_arm(&healths[s - svcs], now_ms());
}

bool service_health_ended(struct svc *s)
{
	unsigned i = (unsigned)(s - svcs);
	bool unhealthy = stopped_unhealthy[i];
	stopped_unhealthy[i] = false;
	ended(i);
	return unhealthy;
}

/* The main command is the loop's (supervise.c): its starts (again, on reload) and its exit are
 * seen here, before each wait and each round of deadlines. It counts as ready once it runs. */
static void follow_main(void)
{
	unsigned i = service_count;
	if (!main_proc)
		return;
	if (main_proc->state == PROC_RUNNING && main_proc->pid != main_pid) {
		main_pid = main_proc->pid;
		health_procs[i].envp = main_proc->envp; /* a reload builds a new one */
		started(i);
		if (def_of(i)->has_health_check)
			health_arm(&healths[i], now_ms());
	} else if (main_proc->state != PROC_RUNNING && main_pid) {
		main_pid = 0;
		ended(i);
	}
}

static unsigned health_fill(struct pollfd *fds, unsigned room)
{
	unsigned n = 0;
	for (unsigned i = 0; i < slots && n < room; i++, n++)
		if (!health_poll_fill(&healths[i], &fds[n]))
			fds[n] = (struct pollfd){ .fd = -1 };
	return n;
}

static void health_handle(const struct pollfd *fds, unsigned count)
{
	long long now = now_ms();
	for (unsigned i = 0; i < count; i++)
		if (fds[i].fd >= 0 && fds[i].revents && fds[i].fd == healths[i].run.fd)
			act(i, health_tick(&healths[i], fds[i].revents, now));
}

static long long health_deadline(void)
{
	long long next = 0;
	follow_main();
	for (unsigned i = 0; i < slots; i++) {
		long long at = health_next_deadline(&healths[i]);
		if (at > 0 && (!next || at < next))
			next = at;
	}
	return next;
}

static void health_tick_all(long long now)
{
	follow_main();
	for (unsigned i = 0; i < slots; i++)
		act(i, health_tick(&healths[i], 0, now));
}

static const struct loop_module health_module = { health_fill, health_handle, health_deadline,
						  health_tick_all };

/* ------------------------------------------------------------------ the status socket */

static bool status_row(unsigned i, struct control_row *row)
{
	static const char *const states[] = {
		[SVC_WAITING] = "starting", [SVC_STARTING] = "starting", [SVC_READY] = "ready",
		[SVC_DONE] = "done", [SVC_BACKOFF] = "restarting", [SVC_STOPPING] = "stopped",
		[SVC_STOPPED] = "stopped", [SVC_FAILED] = "failed",
	};
	if (i >= slots)
		return false;
	const struct proc *p = proc_of(i);
	const struct health *h = &healths[i];
	const char *state = !ever_started[i] ? "starting" : p->state == PROC_RUNNING ? "ready"
										   : "stopped";
	if (i < service_count)
		state = states[svcs[i].state];
	*row = (struct control_row){
		.name = def_of(i)->name ? def_of(i)->name : "main",
		.state = !strcmp(state, "ready") && h->unhealthy ? "unhealthy" : state,
		.pid = p->state != PROC_IDLE ? (int)p->pid : 0,
		.restarts = restarts[i],
		.last_exit = (ever_started[i] && p->state == PROC_IDLE) || restarts[i]
				     ? supervise_exit_code(p->status) : -1,
		.health = h->result_ms ? h->result : NULL,
		.health_ok = h->passed,
		.health_ms = h->result_ms,
	};
	return true;
}

static unsigned control_fill(struct pollfd *fds, unsigned room)
{
	return (unsigned)control_poll_fill(fds, (int)room);
}

static void control_handle(const struct pollfd *fds, unsigned count)
{
	control_poll_handle(fds, (int)count, now_ms());
}

static long long control_deadline(void)
{
	long long at = control_next_deadline();
	return at < 0 ? 0 : at;
}

static void control_tick(long long now)
{
	control_poll_handle(NULL, 0, now); /* drops clients past their deadline */
}

static const struct loop_module control_module = { control_fill, control_handle,
						   control_deadline, control_tick };

/* The exec: check runs as its service does (environment, sandbox plan: User=..., working
 * directory), in its own group, SIGKILLed at HealthTimeoutSec=. */
static int prepare_exec(unsigned i, char **envp, const struct sandbox_plan *plan)
{
	const struct service_def *d = def_of(i);
	struct proc *p = &health_procs[i];
	static char path[PATH_MAX];
	*p = (struct proc){ .name = d->name, .kind = PROC_CHECK, .input = INPUT_NULL,
			    .out_fd = -1, .err_fd = -1, .signal_group = true, .plan = plan,
			    .cwd = d->working_directory, .kill_signal = SIGKILL,
			    .exited = health_exited, .argv = d->health_check.exec_argv, .envp = envp };
	if (proc_resolve(p, path) != 0 || !(p->path = strdup(path))) {
		usher_err("%s: HealthCheck= cannot be run", d->where);
		return EXIT_USHER_FAILED;
	}
	proc_register(p);
	return 0;
}

int service_health_prepare(struct proc *main)
{
	const struct service_def *m = &service_defs[SERVICE_MAIN];
	if (m->has_health_check && !main) {
		usher_err("%s: HealthCheck= in [Service] checks the main command, and there is none "
			  "(a service's goes in its [Service NAME])", m->where);
		return EXIT_USHER_FAILED;
	}
	main_proc = main;
	slots = service_count + (main != NULL);
	for (unsigned i = 0; i < slots; i++) {
		const struct service_def *d = def_of(i);
		healths[i].run.fd = -1;
		if (!d->has_health_check)
			continue;
		health_init(&healths[i], &d->health_check, d->health_interval_ms,
			    d->health_timeout_ms, d->health_retries, d->health_start_period_ms);
		if (d->health_check.kind == CHECK_EXEC &&
		    prepare_exec(i, proc_of(i)->envp, i < service_count ? d->sandbox
									: sandbox_plan_main()) != 0)
			return EXIT_USHER_FAILED;
	}
	loop_add(&health_module);
	const char *path = settings.control_socket;
	if (!(path && strcmp(path, "none") == 0) && control_init(path, status_row) == 0)
		loop_add(&control_module);
	return 0;
}
