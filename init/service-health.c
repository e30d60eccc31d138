/* init/service-health.c — services' HealthCheck= runs (health.c's schedule, HealthAction=) and
 * the status socket, as two of the loop's modules; the rows `usher status` shows. */
#include "control.h"
#include "health.h"
#include "options.h"
#include "service-run.h"
#include "supervise.h"
#include "util.h"

#include <string.h>
#include <sys/wait.h>

static struct health healths[SERVICE_MAX];
static struct proc health_procs[SERVICE_MAX]; /* exec: health checks */
static unsigned restarts[SERVICE_MAX];
static bool ever_started[SERVICE_MAX];

static unsigned index_of(const struct svc *s)
{
	return (unsigned)(s - svcs);
}

/* ------------------------------------------------------------------ health */

static void act(unsigned i, enum health_event event)
{
	struct svc *s = &svcs[i];
	const struct service_def *d = s->def;
	struct health *h = &healths[i];
	if (event == HEALTH_NEEDS_EXEC) {
		health_procs[i].run_timeout_ms = h->timeout_ms;
		health_procs[i].stop_timeout_ms = 0;
		if (proc_start(&health_procs[i]) != 0)
			act(i, health_exec_done(h, EXIT_USHER_FAILED << 8, false, now_ms()));
	} else if (event == HEALTH_BECAME_HEALTHY) {
		usher_info("service \"%s\": healthy again (%s)", d->name, check_detail(&h->run));
	} else if (event == HEALTH_BECAME_UNHEALTHY) {
		static const char *const doing[] = { "restarting it", "stopping it", "marked unhealthy" };
		usher_warn("service \"%s\": unhealthy after %ld failed checks (%s); %s", d->name,
			   h->failures, check_detail(&h->run), doing[d->health_action]);
		if (d->health_action == HEALTH_RESTART) {
			health_disarm(h);
			proc_stop(&s->proc); /* its exit brings Restart= and its backoff */
		} else if (d->health_action == HEALTH_STOP) {
			svc_gave_up(s, 128 + d->kill_signal, true); /* FailureAction= */
		} /* none: checks go on; it may recover */
	}
}

static void health_exited(struct proc *p)
{
	unsigned i = (unsigned)(p - health_procs);
	act(i, health_exec_done(&healths[i], p->exec_error ? 0x7f00 : p->status, p->timed_out,
				 now_ms()));
}

void service_health_started(struct svc *s)
{
	unsigned i = index_of(s);
	restarts[i] += ever_started[i];
	ever_started[i] = true;
}

void service_health_ready(struct svc *s)
{
	if (s->def->has_health_check)
		health_arm(&healths[index_of(s)], now_ms());
}

void service_health_ended(struct svc *s)
{
	unsigned i = index_of(s);
	health_disarm(&healths[i]);
	proc_stop(&health_procs[i]);
}

static unsigned health_fill(struct pollfd *fds, unsigned room)
{
	unsigned n = 0;
	for (unsigned i = 0; i < service_count && n < room; i++, n++)
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
	for (unsigned i = 0; i < service_count; i++) {
		long long at = health_next_deadline(&healths[i]);
		if (at > 0 && (!next || at < next))
			next = at;
	}
	return next;
}

static void health_tick_all(long long now)
{
	for (unsigned i = 0; i < service_count; i++)
		act(i, health_tick(&healths[i], 0, now));
}

static const struct loop_module health_module = { health_fill, health_handle, health_deadline,
						  health_tick_all };

/* ------------------------------------------------------------------ the status socket */

static bool service_row(unsigned i, struct control_row *row)
{
	static const char *const states[] = {
		[SVC_WAITING] = "starting", [SVC_STARTING] = "starting", [SVC_READY] = "ready",
		[SVC_DONE] = "done", [SVC_BACKOFF] = "restarting", [SVC_STOPPING] = "stopped",
		[SVC_STOPPED] = "stopped", [SVC_FAILED] = "failed",
	};
	if (i >= service_count)
		return false;
	const struct svc *s = &svcs[i];
	const struct health *h = &healths[i];
	bool reaped = ever_started[i] && s->proc.state == PROC_IDLE;
	*row = (struct control_row){
		.name = s->def->name,
		.state = s->state == SVC_READY && h->unhealthy ? "unhealthy" : states[s->state],
		.pid = s->proc.state != PROC_IDLE ? (int)s->proc.pid : 0,
		.restarts = restarts[i],
		.last_exit = reaped || restarts[i] ? supervise_exit_code(s->proc.status) : -1,
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

int service_health_prepare(void)
{
	for (unsigned i = 0; i < service_count; i++) {
		const struct service_def *d = &service_defs[i];
		struct proc *p = &health_procs[i];
		if (!d->has_health_check)
			continue;
		health_init(&healths[i], &d->health_check, d->health_interval_ms,
			    d->health_timeout_ms, d->health_retries, d->health_start_period_ms);
		if (d->health_check.kind != CHECK_EXEC)
			continue;
		static char path[PATH_MAX];
		*p = (struct proc){ .name = d->name, .kind = PROC_CHECK, .input = INPUT_NULL,
				    .out_fd = -1, .err_fd = -1, .signal_group = true,
				    .kill_signal = SIGKILL, .exited = health_exited,
				    .argv = d->health_check.exec_argv, .envp = svcs[i].proc.envp };
		if (proc_resolve(p, path) != 0 || !(p->path = strdup(path))) {
			usher_err("%s: service \"%s\": HealthCheck= cannot be run", d->where, d->name);
			return EXIT_USHER_FAILED;
		}
		proc_register(p);
	}
	for (unsigned i = 0; i < service_count; i++)
		healths[i].run.fd = -1;
	loop_add(&health_module);
	const char *path = settings.control_socket;
	if (service_count && !(path && strcmp(path, "none") == 0) &&
	    control_init(path, service_row) == 0)
		loop_add(&control_module);
	return 0;
}
