/* init/service.c — the services runtime: starts each [Service NAME] once its After= services are
 * ready, tells when it is ready (exec'd, exited 0, READY=1, ReadyCheck=), restarts it with backoff. */
#include "service-run.h"
#include "creds.h"
#include "options.h"
#include "sandbox.h"
#include "supervise.h"
#include "util.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* Ready this long: the next failure starts again from RestartSec=. */
#define READY_RESETS_BACKOFF_MS 10000
/* ReadyCheck= attempts: 10 ms apart at first, growing to 250 ms; each at most 1 s. */
#define CHECK_FIRST_MS 10
#define CHECK_MAX_MS 250
#define CHECK_TIMEOUT_MS 1000

struct svc svcs[SERVICE_MAX];

static void svc_exited(struct proc *p);
static void check_exited(struct proc *p);

static void duration_text(long ms, char *out, size_t size)
{
	if (ms % 1000 == 0)
		snprintf(out, size, "%lds", ms / 1000);
	else
		snprintf(out, size, "%ldms", ms);
}

/* ------------------------------------------------------------------ before the loop */

static int prepare_one(struct svc *s, const struct service_def *d, char **env)
{
	char where[320], path[PATH_MAX];
	snprintf(where, sizeof where, "%s: service \"%s\"", d->where, d->name);
	char **envp = creds_service_env(env, sandbox_home(d->sandbox), d->environment,
					d->environment_files,
					d->type == SERVICE_NOTIFY ? notify_env() : NULL, where);
	char **argv = envp ? creds_expand_words(d->exec_argv, envp, d->exec_where) : NULL;
	if (!argv)
		return EXIT_USHER_FAILED;
	/* Until service-config.c parses the spec itself (SVCCONFIG). */
	struct check_spec *spec = (struct check_spec *)&d->ready_check;
	if (d->has_ready_check && !spec->addr_len && !spec->file_path && !spec->exec_argv) {
		char *text = (char *)spec->text;
		int rc = check_parse(text, d->where, spec);
		free(text); /* check_parse keeps its own copy */
		if (rc != 0)
			return EXIT_USHER_FAILED;
	}
	s->def = d;
	s->proc = (struct proc){
		.name = d->name, .kind = PROC_SERVICE, .argv = argv, .envp = envp,
		.input = INPUT_NULL, .out_fd = -1, .err_fd = -1, .cwd = d->working_directory,
		.signal_group = true, .reap_group = true, .kill_signal = d->kill_signal,
		.plan = d->sandbox,
		.stop_timeout_ms = d->stop_timeout_ms, .exited = svc_exited, .owner = s,
	};
	if (proc_resolve(&s->proc, path) != 0) {
		usher_err("%s: cannot be started", where);
		return EXIT_USHER_FAILED;
	}
	if (!(s->proc.path = strdup(path))) {
		usher_err("out of memory");
		return EXIT_USHER_FAILED;
	}
	s->delay_ms = d->restart_ms;
	s->check.fd = -1;
	s->check_proc = (struct proc){ .name = d->name, .kind = PROC_CHECK, .input = INPUT_NULL,
				       .out_fd = -1, .err_fd = -1, .signal_group = true,
				       .plan = d->sandbox, .cwd = d->working_directory, /* as its service */
				       .kill_signal = SIGKILL, .exited = check_exited, .owner = s };
	if (d->has_ready_check && d->ready_check.kind == CHECK_EXEC) {
		s->check_proc.argv = d->ready_check.exec_argv;
		s->check_proc.envp = envp;
		if (proc_resolve(&s->check_proc, path) != 0 || !(s->check_proc.path = strdup(path))) {
			usher_err("%s: ReadyCheck= cannot be run", where);
			return EXIT_USHER_FAILED;
		}
		if ((settings.log_prefix && proc_log_prefix(&s->check_proc, d->name) != 0) ||
		    proc_register(&s->check_proc) != 0)
			return EXIT_USHER_FAILED;
	}
	if ((settings.log_prefix && proc_log_prefix(&s->proc, d->name) != 0) ||
	    proc_register(&s->proc) != 0)
		return EXIT_USHER_FAILED;
	return 0;
}

int services_prepare(char **env)
{
	for (unsigned i = 0; i < service_count; i++)
		if (service_defs[i].type == SERVICE_NOTIFY && notify_open() != 0)
			return EXIT_USHER_FAILED;
	for (unsigned i = 0; i < service_count; i++) {
		int rc = prepare_one(&svcs[i], &service_defs[i], env);
		if (rc != 0)
			return rc;
	}
	return 0;
}

/* ------------------------------------------------------------------ readiness */

static void became_ready(struct svc *s)
{
	if (s->state != SVC_STARTING)
		return;
	if (s->checking)
		check_cancel(&s->check);
	s->checking = false;
	s->check_at_ms = 0;
	s->state = SVC_READY;
	s->ready_ms = now_ms();
	service_health_ready(s);
	usher_info("service \"%s\": ready", s->def->name);
}

static void begin_check(struct svc *s, long long now)
{
	s->check_at_ms = 0;
	long left = s->deadline_ms ? (long)(s->deadline_ms - now) : CHECK_TIMEOUT_MS;
	long timeout = left < CHECK_TIMEOUT_MS ? (left > 1 ? left : 1) : CHECK_TIMEOUT_MS;
	check_begin(&s->check, &s->def->ready_check, now, timeout);
	s->checking = true;
	if (s->check.state == CHECK_NEEDS_EXEC) {
		s->check_proc.run_timeout_ms = timeout;
		s->check_proc.stop_timeout_ms = 0;
		if (proc_start(&s->check_proc) != 0)
			check_exec_done(&s->check, 0x7f00, false);
	}
}

/* After a finished attempt: ready, or the next attempt a little later. */
static void check_settled(struct svc *s, long long now)
{
	if (s->check.state == CHECK_PENDING || s->check.state == CHECK_NEEDS_EXEC)
		return;
	s->checking = false;
	if (s->check.state == CHECK_PASSED) {
		became_ready(s);
		return;
	}
	s->check_at_ms = now + s->check_delay_ms;
	s->check_delay_ms = s->check_delay_ms * 2 > CHECK_MAX_MS ? CHECK_MAX_MS : s->check_delay_ms * 2;
}

static void check_exited(struct proc *p)
{
	struct svc *s = p->owner;
	if (!s->checking)
		return;
	check_exec_done(&s->check, p->exec_error ? 0x7f00 : p->status, p->timed_out);
	check_settled(s, now_ms());
	svc_advance();
}

static void notified(pid_t sender)
{
	for (unsigned i = 0; i < service_count; i++) {
		struct svc *s = &svcs[i];
		/* The service's main process or one of its process group (a wrapper's helper). */
		if (s->def->type == SERVICE_NOTIFY && s->proc.state != PROC_IDLE &&
		    (sender == s->proc.pid || getpgid(sender) == s->proc.pid))
			became_ready(s);
	}
	svc_advance();
}

/* ------------------------------------------------------------------ starting */

static bool dependencies_ready(const struct svc *s)
{
	for (unsigned j = 0; j < service_count; j++) {
		unsigned char dep = s->def->deps[j];
		enum svc_state st = svcs[j].state;
		if (!dep)
			continue;
		/* Requires=/BindsTo= on a service that gave up: this one cannot run either. */
		if ((dep & (DEP_REQUIRES | DEP_BINDS_TO)) && (st == SVC_FAILED || st == SVC_STOPPED))
			return false;
		if ((dep & DEP_AFTER) && st != SVC_READY && st != SVC_DONE && st != SVC_FAILED &&
		    st != SVC_STOPPED)
			return false;
	}
	return true;
}

static void start_one(struct svc *s, long long now)
{
	const struct service_def *d = s->def;
	if (!s->limit_from_ms || now - s->limit_from_ms > d->start_limit_interval_ms) {
		s->limit_from_ms = now;
		s->limit_count = 0;
	}
	if (++s->limit_count > d->start_limit_burst) {
		char within[32];
		duration_text(d->start_limit_interval_ms, within, sizeof within);
		usher_err("service \"%s\": started %ld times within %s; giving up", d->name,
			  d->start_limit_burst, within);
		svc_gave_up(s, WIFSIGNALED(s->proc.status) ? 128 + WTERMSIG(s->proc.status)
							 : WEXITSTATUS(s->proc.status), true);
		return;
	}
	if (proc_start(&s->proc) != 0) {
		svc_gave_up(s, EXIT_USHER_FAILED, true);
		return;
	}
	usher_info("service \"%s\": started as pid %d", d->name, (int)s->proc.pid);
	service_health_started(s);
	s->state = SVC_STARTING;
	s->deadline_ms = d->start_timeout_ms > 0 ? now + d->start_timeout_ms : 0; /* 0: none */
	s->check_delay_ms = CHECK_FIRST_MS;
	if (s->proc.exec_error)
		return; /* reported when it is reaped */
	if (d->has_ready_check) {
		begin_check(s, now);
		check_settled(s, now);
	} else if (d->type == SERVICE_SIMPLE)
		became_ready(s); /* exec'd */
}

void svc_advance(void)
{
	if (svc_stopping_all()) {
		svc_stop_step();
		return;
	}
	long long now = now_ms();
	for (bool again = true; again;) {
		again = false;
		for (unsigned i = 0; i < service_count; i++) {
			struct svc *s = &svcs[i];
			if (s->state == SVC_WAITING && dependencies_ready(s)) {
				start_one(s, now);
				again = s->state == SVC_READY || s->state == SVC_FAILED;
			}
		}
	}
}

/* ------------------------------------------------------------------ exits */

static bool exit_is_success(const struct service_def *d, int status)
{
	if (WIFEXITED(status))
		return d->success_exit[WEXITSTATUS(status)] || WEXITSTATUS(status) == 0;
	return WIFSIGNALED(status) && WTERMSIG(status) < 65 && d->success_signal[WTERMSIG(status)];
}

void svc_gave_up(struct svc *s, int code, bool action)
{
	s->state = SVC_FAILED;
	service_health_ended(s);
	if (s->checking)
		check_cancel(&s->check);
	s->checking = false;
	s->check_at_ms = 0;
	proc_stop(&s->check_proc);
	proc_stop(&s->proc);
	svc_propagate(s, true);
	if (action && s->def->failure_action == ACTION_EXIT)
		supervise_exit(code);
}

static void svc_exited(struct proc *p)
{
	struct svc *s = p->owner;
	const struct service_def *d = s->def;
	long long now = now_ms();
	int code = supervise_exit_code(p->status);
	bool success = !service_health_ended(s) && !p->exec_error && exit_is_success(d, p->status);
	if (s->checking)
		check_cancel(&s->check);
	s->checking = false;
	s->check_at_ms = 0;
	proc_stop(&s->check_proc);
	if (s->state == SVC_FAILED)
		return;
	if (s->state == SVC_STOPPING) {
		if (WIFSIGNALED(p->status) && WTERMSIG(p->status) == SIGKILL)
			svc_killed = true;
		s->state = s->again_when_ready ? SVC_WAITING : SVC_STOPPED;
		s->again_when_ready = false;
		svc_propagate(s, s->state == SVC_STOPPED);
		svc_advance();
		return;
	}
	if (p->exec_error) {
		usher_err("service \"%s\": cannot %s %s: %s", d->name,
			  p->exec_step == 3 ? "execute" : "start", p->path, strerror(p->exec_error));
		svc_gave_up(s, EXIT_USHER_FAILED, true);
		return;
	}
	bool was_starting = s->state == SVC_STARTING;
	if (was_starting && d->type == SERVICE_ONESHOT && success && !d->has_ready_check) {
		s->state = SVC_DONE;
		usher_info("service \"%s\": done", d->name);
		svc_propagate(s, false);
		if (d->success_action == ACTION_EXIT)
			supervise_exit(code);
		svc_advance();
		return;
	}
	svc_propagate(s, false); /* BindsTo=: whenever it stops */
	bool restart = d->restart == RESTART_ALWAYS || (d->restart == RESTART_ON_FAILURE && !success);
	if (!restart) {
		if (success) {
			usher_info("service \"%s\": exited with status %d", d->name, code);
			s->state = SVC_DONE;
			if (d->success_action == ACTION_EXIT)
				supervise_exit(code);
		} else {
			usher_err("service \"%s\": exited with status %d", d->name, code);
			svc_gave_up(s, code, true);
		}
		svc_advance();
		return;
	}
	if (s->ready_ms && s->state == SVC_READY && now - s->ready_ms >= READY_RESETS_BACKOFF_MS)
		s->delay_ms = d->restart_ms;
	char delay[32];
	duration_text(s->delay_ms, delay, sizeof delay);
	usher_warn("service \"%s\": exited with status %d; restarting in %s", d->name, code, delay);
	s->state = SVC_BACKOFF;
	s->deadline_ms = now + s->delay_ms;
	s->delay_ms = s->delay_ms * 2 > d->restart_max_ms ? d->restart_max_ms : s->delay_ms * 2;
	svc_advance();
}

/* ------------------------------------------------------------------ the loop's module */

static unsigned fill(struct pollfd *fds, unsigned room)
{
	unsigned n = 0;
	if (notify_fd() >= 0 && n < room)
		fds[n++] = (struct pollfd){ .fd = notify_fd(), .events = POLLIN };
	for (unsigned i = 0; i < service_count && n < room; i++) {
		short events = svcs[i].checking ? check_events(&svcs[i].check) : 0;
		fds[n++] = (struct pollfd){ .fd = events ? svcs[i].check.fd : -1, .events = events };
	}
	return n;
}

static void handle(const struct pollfd *fds, unsigned count)
{
	unsigned at = 0;
	long long now = now_ms();
	if (notify_fd() >= 0 && count > 0 && fds[at++].revents)
		notify_read(notified);
	for (unsigned i = 0; i < service_count && at < count; i++, at++) {
		struct svc *s = &svcs[i];
		if (fds[at].fd >= 0 && fds[at].revents && s->checking && s->check.fd == fds[at].fd) {
			check_step(&s->check, fds[at].revents, now);
			check_settled(s, now);
		}
	}
	svc_advance();
}

static long long earliest(long long a, long long b)
{
	return !a || (b && b < a) ? b : a;
}

static long long deadline(void)
{
	long long next = 0;
	for (unsigned i = 0; i < service_count; i++) {
		const struct svc *s = &svcs[i];
		if (s->state == SVC_STARTING || s->state == SVC_BACKOFF)
			next = earliest(next, s->deadline_ms);
		next = earliest(next, s->check_at_ms);
		if (s->checking && s->check.state == CHECK_PENDING)
			next = earliest(next, s->check.deadline_ms);
	}
	return next;
}

static void tick(long long now)
{
	for (unsigned i = 0; i < service_count; i++) {
		struct svc *s = &svcs[i];
		if (s->checking && s->check.state == CHECK_PENDING && now >= s->check.deadline_ms) {
			check_expire(&s->check, now);
			check_settled(s, now);
		}
		if (s->state == SVC_STARTING && s->deadline_ms && now >= s->deadline_ms) {
			char after[32];
			duration_text(s->def->start_timeout_ms, after, sizeof after);
			if (s->def->has_ready_check)
				usher_err("service \"%s\": not ready after %s (%s)", s->def->name, after,
					  check_detail(&s->check));
			else
				usher_err("service \"%s\": not ready after %s", s->def->name, after);
			svc_gave_up(s, EXIT_USHER_FAILED, true);
		} else if (s->state == SVC_STARTING && s->check_at_ms && now >= s->check_at_ms) {
			begin_check(s, now);
			check_settled(s, now);
		} else if (s->state == SVC_BACKOFF && now >= s->deadline_ms) {
			s->state = SVC_WAITING;
		}
	}
	svc_advance();
}

static const struct loop_module module = { fill, handle, deadline, tick };

void services_start(void)
{
	loop_add(&module);
	svc_advance();
}

bool services_settled(void)
{
	for (unsigned i = 0; i < service_count; i++) {
		enum svc_state st = svcs[i].state;
		if (st != SVC_READY && st != SVC_DONE && st != SVC_FAILED && st != SVC_STOPPED)
			return false;
	}
	return true;
}
