/* init/service-stop.c — stopping services: all of them in reverse After= order within the
 * grace period, a BindsTo=/Requires= dependent with what it needs, and signals to all of them. */
#include "service-run.h"
#include "options.h"
#include "util.h"

#include <errno.h>
#include <signal.h>
#include <string.h>

static bool stopping_all;
static long long stop_until;
bool svc_killed;

bool svc_stopping_all(void)
{
	return stopping_all;
}

static bool runs(const struct svc *s)
{
	return s->proc.state != PROC_IDLE || s->check_proc.state != PROC_IDLE;
}

void svc_stop_one(struct svc *s, long long until)
{
	if (s->checking)
		check_cancel(&s->check);
	s->checking = false;
	s->check_at_ms = 0;
	proc_stop(&s->check_proc);
	if (s->proc.state != PROC_RUNNING) {
		if (s->state != SVC_FAILED && s->state != SVC_DONE)
			s->state = s->proc.state == PROC_IDLE ? SVC_STOPPED : SVC_STOPPING;
		return;
	}
	long left = (long)(until - now_ms());
	long timeout = s->def->stop_timeout_ms;
	s->proc.stop_timeout_ms = timeout < left ? timeout : left > 0 ? left : 0;
	if (s->state != SVC_FAILED)
		s->state = SVC_STOPPING;
	proc_stop(&s->proc);
}

/* A service stops once no running service comes After= it. */
void svc_stop_step(void)
{
	for (unsigned i = 0; i < service_count; i++) {
		struct svc *s = &svcs[i];
		if (s->state == SVC_STOPPED || (s->state == SVC_STOPPING && s->proc.state != PROC_RUNNING))
			continue;
		bool needed = false;
		for (unsigned j = 0; j < service_count && !needed; j++)
			needed = j != i && (service_defs[j].deps[i] & DEP_AFTER) && runs(&svcs[j]);
		if (!needed)
			svc_stop_one(s, stop_until);
	}
}

void services_stop(long long until)
{
	if (stopping_all)
		return;
	stopping_all = true;
	stop_until = until;
	svc_stop_step();
}

bool services_stopped(void)
{
	for (unsigned i = 0; i < service_count; i++)
		if (runs(&svcs[i]))
			return false;
	return true;
}

bool services_killed_any(void)
{
	return svc_killed;
}

void svc_propagate(const struct svc *s, bool failed)
{
	if (stopping_all)
		return;
	unsigned index = (unsigned)(s - svcs);
	for (unsigned j = 0; j < service_count; j++) {
		struct svc *t = &svcs[j];
		unsigned char dep = service_defs[j].deps[index];
		bool binds = dep & DEP_BINDS_TO, requires = failed && (dep & DEP_REQUIRES);
		if (j == index || !(binds || requires) || t->state == SVC_STOPPED ||
		    t->state == SVC_FAILED || t->state == SVC_DONE)
			continue;
		usher_warn("service \"%s\": stopped, as \"%s\" %s", t->def->name, s->def->name,
			   failed ? "failed" : "stopped");
		t->again_when_ready = !failed;
		if (t->proc.state == PROC_RUNNING) {
			svc_stop_one(t, now_ms() + t->def->stop_timeout_ms);
		} else if (t->state == SVC_WAITING || t->state == SVC_BACKOFF) {
			t->state = failed ? SVC_STOPPED : SVC_WAITING;
		}
	}
}

void services_signal(int sig)
{
	for (unsigned i = 0; i < service_count; i++) {
		const struct proc *p = &svcs[i].proc;
		if (p->state != PROC_IDLE && kill(settings.kill_group ? -p->pid : p->pid, sig) != 0 &&
		    errno != ESRCH)
			usher_warn("service \"%s\": kill: %s", p->name, strerror(errno));
	}
}
