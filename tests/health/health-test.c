/* tests/health/health-test.c — init/health.c's schedule on a made-up clock (TAP): interval,
 * retries in a row, the start period, recovery, one run at a time, exec: and disarm. Real
 * checks: a file that comes and goes, and a local socket that accepts and never answers. */
#include "health.h"
#include "util.h"
#include "../lib/unit-tap.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

static char marker[64];
static void marker_set(bool present)
{
	if (present)
		close(open(marker, O_WRONLY | O_CREAT, 0600));
	else
		unlink(marker);
}

int main(void)
{
	static struct check_spec file, http, exec; /* static: they live as long as usher's do */
	struct health h;
	snprintf(marker, sizeof marker, "/tmp/usher-health-test.%d", (int)getpid());
	char text[96];
	snprintf(text, sizeof text, "file:%s", marker);
	if (check_parse(text, "test", &file) != 0 || check_parse("exec:true", "test", &exec) != 0)
		return 1;

	/* Docker's way: the first run one interval after the start. */
	marker_set(true);
	health_init(&h, &file, 1000, 500, 3, 0);
	health_arm(&h, 0);
	is(health_next_deadline(&h), 1000, "armed at 0: the first run is due at the interval, 1000");
	is(health_tick(&h, 0, 999), HEALTH_NOTHING, "at 999: nothing");
	ok(h.result_ms == 0, "at 999: no run yet");
	is(health_tick(&h, 0, 1000), HEALTH_NOTHING, "at 1000: a run, passing");
	ok(h.passed && h.result_ms == 1000, "at 1000: passed");
	is(health_next_deadline(&h), 2000, "the next run one interval after the last ended");

	/* HealthRetries=3: the third failure in a row makes it unhealthy, once. */
	marker_set(false);
	is(health_tick(&h, 0, 2000), HEALTH_NOTHING, "failure 1 of 3: nothing yet");
	is(health_tick(&h, 0, 3000), HEALTH_NOTHING, "failure 2 of 3: nothing yet");
	is(health_tick(&h, 0, 4000), HEALTH_BECAME_UNHEALTHY, "failure 3 of 3: unhealthy");
	ok(strstr(h.run.detail, "No such file") != NULL, "the detail says what was seen");
	is(health_tick(&h, 0, 5000), HEALTH_NOTHING, "failure 4: still unhealthy, not told twice");
	ok(h.unhealthy, "unhealthy");
	marker_set(true);
	is(health_tick(&h, 0, 6000), HEALTH_BECAME_HEALTHY, "a pass: healthy again");
	marker_set(false);
	is(health_tick(&h, 0, 7000), HEALTH_NOTHING, "after recovering, failures count from 0 (1)");
	is(health_tick(&h, 0, 8000), HEALTH_NOTHING, "(2)");
	marker_set(true);
	is(health_tick(&h, 0, 9000), HEALTH_NOTHING, "a pass in between resets the count");
	marker_set(false);
	health_tick(&h, 0, 10000);
	health_tick(&h, 0, 11000);
	ok(!h.unhealthy, "two failures after a pass: not unhealthy");

	/* HealthStartPeriodSec=2500: failures in it do not count; after it they do. */
	health_init(&h, &file, 1000, 500, 2, 2500);
	health_arm(&h, 100000);
	is(health_tick(&h, 0, 101000), HEALTH_NOTHING, "start period: failure not counted");
	is(health_tick(&h, 0, 102000), HEALTH_NOTHING, "start period: failure not counted");
	is(h.failures, 0, "start period: no failures counted");
	is(health_tick(&h, 0, 103000), HEALTH_NOTHING, "after the start period: failure 1 of 2");
	is(health_tick(&h, 0, 104000), HEALTH_BECAME_UNHEALTHY, "after the start period: failure 2 of 2");
	/* A pass inside the start period ends it: failures count at once. */
	health_arm(&h, 200000);
	marker_set(true);
	health_tick(&h, 0, 201000);
	marker_set(false);
	health_tick(&h, 0, 202000);
	is(health_tick(&h, 0, 203000), HEALTH_BECAME_UNHEALTHY,
	   "a pass in the start period ends it: 2 failures at 202000, 203000 count");
	health_arm(&h, 300000);
	ok(!h.unhealthy && h.failures == 0, "re-armed (the service restarted): healthy slate");
	health_tick(&h, 0, 301000);
	is(h.failures, 0, "re-armed: the start period applies again");

	/* One run at a time: an HTTP check against a socket that accepts and never answers. */
	int server = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in addr = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof addr;
	if (server < 0 || bind(server, (struct sockaddr *)&addr, len) != 0 || listen(server, 8) != 0 ||
	    getsockname(server, (struct sockaddr *)&addr, &len) != 0)
		return 1;
	snprintf(text, sizeof text, "http://127.0.0.1:%d/health", ntohs(addr.sin_port));
	if (check_parse(text, "test", &http) != 0)
		return 1;
	health_init(&h, &http, 1000, 3000, 1, 0);
	health_arm(&h, 0);
	health_tick(&h, 0, 1000);
	ok(h.running, "http: a run is under way at 1000");
	int fd = h.run.fd;
	struct pollfd p;
	is(health_poll_fill(&h, &p), 1, "http: one fd to poll");
	ok(p.fd == fd, "http: it is the run's socket");
	for (int i = 0; i < 50 && h.run.phase != 3; i++) { /* connect, send: real events */
		poll(&p, 1, 100);
		health_tick(&h, p.revents, 1000);
		health_poll_fill(&h, &p);
	}
	is(h.run.phase, 3, "http: sent, waiting for the status line");
	is(health_tick(&h, 0, 2000), HEALTH_NOTHING, "at 2000 (an interval on): still the same run");
	ok(h.running && h.run.fd == fd, "never two runs at once: the same socket");
	is(health_next_deadline(&h), 4000, "the run's deadline: 1000 + HealthTimeoutSec 3000");
	is(health_tick(&h, 0, 4000), HEALTH_BECAME_UNHEALTHY, "at 4000 the run times out: unhealthy (retries 1)");
	ok(strstr(h.run.detail, "timed out after 3s") != NULL, "detail: timed out after 3s");
	ok(fcntl(fd, F_GETFD) < 0, "the timed-out run's socket is closed");
	is(health_next_deadline(&h), 5000, "the next run one interval after the timeout");
	health_tick(&h, 0, 5000);
	fd = h.run.fd;
	health_disarm(&h);
	ok(fcntl(fd, F_GETFD) < 0 && !h.running, "disarm (service stopped) closes a pending run");
	is(health_next_deadline(&h), -1, "disarmed: no deadline");
	is(health_tick(&h, 0, 99999), HEALTH_NOTHING, "disarmed: no runs");

	/* exec: the engine runs the command; no second run meanwhile. */
	health_init(&h, &exec, 1000, 500, 1, 0);
	health_arm(&h, 0);
	is(health_tick(&h, 0, 1000), HEALTH_NEEDS_EXEC, "exec: at 1000 the engine is asked to run it");
	is(health_tick(&h, 0, 5000), HEALTH_NOTHING, "exec: while it runs, no second run");
	is(health_exec_done(&h, 1 << 8, false, 5000), HEALTH_BECAME_UNHEALTHY, "exec: exit 1, unhealthy");
	is(health_next_deadline(&h), 6000, "exec: next run one interval after it ended");
	is(health_tick(&h, 0, 6000), HEALTH_NEEDS_EXEC, "exec: next run");
	is(health_exec_done(&h, 0, true, 6500), HEALTH_NOTHING, "exec: timed out, still unhealthy");
	ok(strstr(h.run.detail, "timed out") != NULL, "exec: detail says timed out");
	is(health_tick(&h, 0, 7500), HEALTH_NEEDS_EXEC, "exec: next run");
	is(health_exec_done(&h, 0, false, 7600), HEALTH_BECAME_HEALTHY, "exec: exit 0, healthy");

	unlink(marker);
	return done_testing();
}
