/* init/service-run.h — the services runtime (service.c, service-stop.c, notify.c): the table of
 * running services the loop drives, and what supervise.c and main.c ask of it. */
#ifndef USHER_SERVICE_RUN_H
#define USHER_SERVICE_RUN_H

#include "check.h"
#include "proc.h"
#include "service.h"
#include <stdbool.h>

enum svc_state {
	SVC_WAITING,  /* for its After= services to be ready */
	SVC_STARTING, /* runs, not ready yet */
	SVC_READY,
	SVC_DONE,     /* a oneshot that succeeded, or a service that ended well and stays ended */
	SVC_BACKOFF,  /* exited; starts again at wake_ms */
	SVC_STOPPING, /* asked to stop (usher's stop, or BindsTo=) */
	SVC_STOPPED,
	SVC_FAILED,   /* gave up */
};

struct svc {
	struct proc proc;
	const struct service_def *def;
	enum svc_state state;
	long long deadline_ms;     /* STARTING: TimeoutStartSec=; BACKOFF: the restart */
	long long check_at_ms;     /* STARTING with ReadyCheck=: the next attempt; 0: running */
	long check_delay_ms, delay_ms;
	long long ready_ms, limit_from_ms;
	long limit_count;
	bool checking, again_when_ready; /* again: stopped by BindsTo=, waits to start again */
	struct check_run check;
	struct proc check_proc;     /* exec: checks */
};

extern struct svc svcs[SERVICE_MAX];

/* main.c, before the loop: argv, environment, programs, notify socket. 0, or 125 printed. */
int services_prepare(char **env);
/* supervise.c */
void services_start(void);          /* registers with the loop and starts what it can */
bool services_settled(void);        /* every service ready, done, or given up on without
				       FailureAction=exit: the main command may start */
void services_stop(long long until); /* reverse dependency order, all done by until */
bool services_stopped(void);        /* nothing of theirs runs any more */
void services_signal(int sig);      /* a forwarded signal when there is no main command */
bool services_killed_any(void);     /* one had to be SIGKILLed during the stop */
extern bool svc_killed;              /* set by service.c when a stop took SIGKILL */

/* service.c for service-stop.c */
void svc_advance(void);
void svc_gave_up(struct svc *s, int code, bool action);
void svc_stop_one(struct svc *s, long long until);
/* service-stop.c for service.c: the stop order, and BindsTo=/Requires= propagation */
void svc_stop_step(void);
void svc_propagate(const struct svc *s, bool failed);
bool svc_stopping_all(void);

/* service-health.c: HealthCheck= runs and the status socket, after services_prepare(), when
 * there are services or the main command has a HealthCheck= (main: NULL when there is none). */
int service_health_prepare(struct proc *main); /* 0, or 125 printed */
void service_health_started(struct svc *s);
void service_health_ready(struct svc *s);
/* Exited or given up; true once after HealthAction=restart stopped it: a failure, whatever
 * its exit status. */
bool service_health_ended(struct svc *s);

/* notify.c: the NOTIFY_SOCKET datagram socket (abstract, autobound). */
int notify_open(void);               /* 0, or -1 after printing */
const char *notify_env(void);        /* "NOTIFY_SOCKET=@..." */
int notify_fd(void);                 /* -1 if not open */
/* Reads what is queued; calls ready(pid) for each READY=1 (pid: the sender, kernel-checked). */
void notify_read(void (*ready)(pid_t sender));
/* The message parser notify_read() uses: does text hold a line "READY=1"? */
bool notify_says_ready(const char *text, size_t len);

#endif
