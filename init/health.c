/* init/health.c — the schedule of one service's health check, with Docker's meanings: a run
 * every interval after the last ended, a timeout per run, retries in a row, a start period. */
#include "health.h"

#include <string.h>

void health_init(struct health *h, const struct check_spec *spec, long interval_ms,
		 long timeout_ms, long retries, long start_period_ms)
{
	memset(h, 0, sizeof *h);
	h->spec = spec;
	h->interval_ms = interval_ms;
	h->timeout_ms = timeout_ms;
	h->retries = retries;
	h->start_period_ms = start_period_ms;
	h->run.fd = -1;
}

void health_arm(struct health *h, long long now_ms)
{
	health_disarm(h);
	h->armed = true;
	h->unhealthy = h->passed = h->past_start = false;
	h->failures = 0;
	h->result_ms = 0;
	h->started_ms = now_ms;
	h->next_ms = now_ms + h->interval_ms;
}

void health_disarm(struct health *h)
{
	if (h->running)
		check_cancel(&h->run);
	h->running = h->armed = false;
}

int health_poll_fill(const struct health *h, struct pollfd *fd)
{
	short events = h->running ? check_events(&h->run) : 0;
	if (!events)
		return 0;
	*fd = (struct pollfd){ .fd = h->run.fd, .events = events };
	return 1;
}

/* A run ended: count it. Failures in the start period do not count; a pass ends it. */
static enum health_event finished(struct health *h, long long now_ms)
{
	bool was_unhealthy = h->unhealthy;
	h->running = false;
	h->result_ms = now_ms;
	h->next_ms = now_ms + h->interval_ms;
	h->passed = h->run.state == CHECK_PASSED;
	memcpy(h->result, h->run.detail, sizeof h->result); /* the next run reuses run.detail */
	if (h->passed) {
		h->failures = 0;
		h->unhealthy = false;
		h->past_start = true;
		return was_unhealthy ? HEALTH_BECAME_HEALTHY : HEALTH_NOTHING;
	}
	if (!h->past_start && now_ms - h->started_ms < h->start_period_ms)
		return HEALTH_NOTHING;
	if (++h->failures >= h->retries)
		h->unhealthy = true;
	return h->unhealthy && !was_unhealthy ? HEALTH_BECAME_UNHEALTHY : HEALTH_NOTHING;
}

enum health_event health_tick(struct health *h, short revents, long long now_ms)
{
	if (!h->armed)
		return HEALTH_NOTHING;
	if (!h->running) {
		if (now_ms < h->next_ms)
			return HEALTH_NOTHING;
		h->running = true;
		check_begin(&h->run, h->spec, now_ms, h->timeout_ms);
		if (h->run.state == CHECK_NEEDS_EXEC)
			return HEALTH_NEEDS_EXEC;
	} else if (h->run.state == CHECK_NEEDS_EXEC) {
		return HEALTH_NOTHING; /* the engine's: health_exec_done() ends it */
	} else if (revents) {
		check_step(&h->run, revents, now_ms);
	}
	if (h->run.state == CHECK_PENDING)
		check_expire(&h->run, now_ms);
	return h->run.state == CHECK_PENDING ? HEALTH_NOTHING : finished(h, now_ms);
}

enum health_event health_exec_done(struct health *h, int wait_status, bool timed_out,
				   long long now_ms)
{
	if (!h->running || h->run.state != CHECK_NEEDS_EXEC)
		return HEALTH_NOTHING;
	check_exec_done(&h->run, wait_status, timed_out);
	return h->armed ? finished(h, now_ms) : HEALTH_NOTHING;
}

long long health_next_deadline(const struct health *h)
{
	if (!h->armed)
		return -1;
	if (!h->running)
		return h->next_ms;
	return h->run.state == CHECK_PENDING ? h->run.deadline_ms : -1;
}
