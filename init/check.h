/* init/check.h — readiness and health checks (ReadyCheck=, HealthCheck=, `usher probe`):
 * their specs, parsed before the loop, and their runs, which never block. */
#ifndef USHER_CHECK_H
#define USHER_CHECK_H

#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

enum check_kind { CHECK_TCP, CHECK_UNIX, CHECK_HTTP, CHECK_FILE, CHECK_EXEC };

struct check_spec {
	enum check_kind kind;
	const char *text;              /* as written, for messages */
	struct sockaddr_storage addr;  /* tcp:, unix:, http: (resolved before the loop) */
	socklen_t addr_len;
	const char *http_host;         /* Host: header */
	const char *http_path;         /* "/health" */
	int expect_status;             /* 0: any 2xx/3xx passes */
	const char *file_path;         /* file: */
	char **exec_argv;              /* exec: split like ExecStart=, no shell */
};

/* Parses text ("tcp:127.0.0.1:9000", "unix:/run/x.sock", "http://127.0.0.1:8080/health",
 * "http+unix:/var/run/docker.sock:/_ping" or similar (CHECKS decides and documents), "file:/p",
 * "exec:cmd args"). Allocates (only here). 0, or -1 after printing "usher: <where>: <why>";
 * -2 (also printed) when the text is well-formed but its host does not resolve: hosts are
 * numeric, from /etc/hosts or localhost, looked up here once (no DNS; docs/health.md). */
int check_parse(const char *text, const char *where, struct check_spec *spec);

enum check_state { CHECK_PENDING, CHECK_PASSED, CHECK_FAILED, CHECK_NEEDS_EXEC };

struct check_run {
	const struct check_spec *spec;
	enum check_state state;
	int fd;                        /* socket while pending, else -1 */
	long long deadline_ms;
	/* private to check.c: */
	int phase;
	size_t sent, got;
	long long started_ms;          /* for "timed out after 1s" */
	char buf[512];
	char detail[160];              /* what was seen: "HTTP 200", "connect: Connection refused", ... */
};

/* Starts a run (non-blocking connect etc.). For exec: the state is CHECK_NEEDS_EXEC: the caller
 * runs spec->exec_argv through the process engine and reports with check_exec_done(). */
void check_begin(struct check_run *run, const struct check_spec *spec, long long now_ms, long timeout_ms);
/* Events to poll for while pending (POLLOUT while connecting, POLLIN while reading), else 0. */
short check_events(const struct check_run *run);
/* After poll() said something about run->fd. */
void check_step(struct check_run *run, short revents, long long now_ms);
/* Call when now_ms >= run->deadline_ms and still pending: fails it ("timed out after 1s"). */
void check_expire(struct check_run *run, long long now_ms);
/* For exec: the engine's report of how the command ended (wait status), or timed out. */
void check_exec_done(struct check_run *run, int wait_status, bool timed_out);
/* Closes the socket of a pending run (service stopped). */
void check_cancel(struct check_run *run);
/* The status of an HTTP response that starts with buf[0..len): 100-599; 0 while more bytes
 * are needed (fewer than 13: "HTTP/1.1 200 "); -1 when it is not an HTTP/1.x status line. */
int check_http_status(const char *buf, size_t len);
/* One short line about the last result, e.g. "tcp:127.0.0.1:9000 refused" (run->detail). */
const char *check_detail(const struct check_run *run);

#endif
