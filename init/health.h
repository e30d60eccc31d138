/* init/health.h — a service's periodic health check (HealthCheck=) as Docker runs one: when the
 * next run is due, one run at a time, failures in a row, the start period, healthy or not. */
#ifndef USHER_HEALTH_H
#define USHER_HEALTH_H

#include "check.h"

struct health {
	const struct check_spec *spec;
	long interval_ms, timeout_ms, retries, start_period_ms; /* HealthIntervalSec= ... */
	struct check_run run;   /* the current run, or the last one (its detail) */
	bool armed;             /* the service runs: checks are scheduled */
	bool running;           /* a run is under way (never two at once) */
	bool unhealthy;         /* retries failures in a row */
	bool passed;            /* the last finished run passed */
	bool past_start;        /* a run passed since the start: the start period is over */
	long long next_ms;      /* when the next run starts */
	long long started_ms;   /* the service's start, for the start period */
	long long result_ms;    /* when the last run finished; 0: none yet */
	long failures;          /* in a row, not counting those in the start period */
	char result[sizeof ((struct check_run *)0)->detail]; /* the last finished run's detail */
};

enum health_event {
	HEALTH_NOTHING,
	HEALTH_NEEDS_EXEC,        /* start spec->exec_argv (process engine), then health_exec_done() */
	HEALTH_BECAME_UNHEALTHY,  /* apply HealthAction= */
	HEALTH_BECAME_HEALTHY,
};

/* Before the loop: the spec and settings (all from service_def). */
void health_init(struct health *h, const struct check_spec *spec, long interval_ms,
		 long timeout_ms, long retries, long start_period_ms);
/* The service started (again): the first run comes one interval later, as with Docker. */
void health_arm(struct health *h, long long now_ms);
/* The service stopped: a pending run is cancelled (an exec: run is the caller's to stop). */
void health_disarm(struct health *h);
/* The fd to poll while a socket run is pending: fills *fd and returns 1, else 0. */
int health_poll_fill(const struct health *h, struct pollfd *fd);
/* Every loop turn, with the revents of the fd health_poll_fill gave (0 if none): starts a
 * due run, steps or expires the current one, and says what changed. */
enum health_event health_tick(struct health *h, short revents, long long now_ms);
/* For exec: how the command ended (wait status), or that its timeout killed it. */
enum health_event health_exec_done(struct health *h, int wait_status, bool timed_out,
				   long long now_ms);
/* When health_tick must be called next (a run's deadline or the next start); -1: never, or
 * an exec: run under way, whose deadline (run.deadline_ms) the engine keeps: it kills the
 * command's group then and calls health_exec_done(..., true, ...). */
long long health_next_deadline(const struct health *h);

#endif
