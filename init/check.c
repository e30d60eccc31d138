/* init/check.c — check specs (tcp:, unix:, http://, http+unix:, file:, exec:) parsed and
 * resolved before the loop, and their runs: non-blocking connect, one GET, a bounded read. */
#include "check.h"
#include "util.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

enum { PHASE_CONNECT = 1, PHASE_SEND, PHASE_RECV };
enum { HOSTS_MAX = 16384, REQUEST_WORDS_MAX = 400 };

static char unknown_host[384]; /* the "why" of a host that does not resolve: check_parse's -2 */

static const char *after(const char *text, const char *prefix)
{
	size_t len = strlen(prefix);
	return strncmp(text, prefix, len) == 0 ? text + len : NULL;
}

/* Numeric IPv4 or IPv6 text to spec->addr; false if it is neither. */
static bool numeric_address(const char *ip, unsigned port, struct check_spec *spec)
{
	struct sockaddr_in *in4 = (struct sockaddr_in *)&spec->addr;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&spec->addr;
	if (inet_pton(AF_INET, ip, &in4->sin_addr) == 1) {
		in4->sin_family = AF_INET;
		in4->sin_port = htons(port);
		spec->addr_len = sizeof *in4;
	} else if (inet_pton(AF_INET6, ip, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons(port);
		spec->addr_len = sizeof *in6;
	}
	return spec->addr_len != 0;
}

/* A name from /etc/hosts, else "localhost" as 127.0.0.1. No DNS: musl's resolver would cost
 * a tenth of the binary, and a probe's target is local (docs/health.md). */
static void resolve_name(const char *name, unsigned port, struct check_spec *spec)
{
	static char hosts[HOSTS_MAX];
	int fd = open("/etc/hosts", O_RDONLY | O_CLOEXEC);
	ssize_t got = fd < 0 ? -1 : read(fd, hosts, sizeof hosts - 1);
	if (fd >= 0)
		close(fd);
	hosts[got > 0 ? got : 0] = '\0';
	for (char *line = hosts, *next; *line && !spec->addr_len; line = next) {
		next = line + strcspn(line, "\n");
		if (*next)
			*next++ = '\0';
		*strchrnul(line, '#') = '\0';
		char *save, *ip = strtok_r(line, " \t", &save);
		for (char *alias; ip && (alias = strtok_r(NULL, " \t", &save));)
			if (strcasecmp(alias, name) == 0 && numeric_address(ip, port, spec))
				break;
	}
	if (!spec->addr_len && strcasecmp(name, "localhost") == 0)
		numeric_address("127.0.0.1", port, spec);
}

/* "HOST:PORT", "[V6]:PORT", or without ":PORT" when default_port is set. A name that does not
 * resolve now never will (no DNS, /etc/hosts read once): an error, told apart as unknown_host. */
static const char *parse_host_port(const char *text, size_t len, unsigned default_port,
				   struct check_spec *spec)
{
	char host[256];
	const char *end = text + len, *host_end, *port_text = NULL;
	if (len && text[0] == '[') {
		host_end = memchr(++text, ']', len - 1);
		if (!host_end)
			return "unmatched [";
		if (host_end + 1 < end && host_end[1] != ':')
			return "junk after ]";
		port_text = host_end + 1 < end ? host_end + 2 : NULL;
	} else {
		host_end = memrchr(text, ':', len);
		port_text = host_end ? host_end + 1 : NULL;
		host_end = host_end ? host_end : end;
	}
	unsigned long port = default_port;
	if (port_text) {
		const char *p = port_text;
		for (port = 0; p < end && port <= 65535 && *p >= '0' && *p <= '9'; p++)
			port = port * 10 + (unsigned long)(*p - '0');
		if (p != end || p == port_text || port > 65535)
			port = 0;
	}
	if (!port)
		return "no port 1-65535 (HOST:PORT)";
	size_t host_len = (size_t)(host_end - text);
	if (!host_len || host_len >= sizeof host)
		return "no host (HOST:PORT)";
	memcpy(host, text, host_len);
	host[host_len] = '\0';
	if (!numeric_address(host, (unsigned)port, spec))
		resolve_name(host, (unsigned)port, spec);
	if (!spec->addr_len)
		snprintf(unknown_host, sizeof unknown_host, "unknown host '%s' (not numeric, in /etc/hosts "
			 "or localhost; usher has no DNS)", host);
	return spec->addr_len ? NULL : unknown_host;
}

static const char *parse_unix_path(const char *path, size_t len, struct check_spec *spec)
{
	struct sockaddr_un *un = (struct sockaddr_un *)&spec->addr;
	if (!len || len >= sizeof un->sun_path)
		return "socket path empty or too long";
	un->sun_family = AF_UNIX;
	memcpy(un->sun_path, path, len);
	if (path[0] == '@') /* abstract, as ss(8) and systemd write it */
		un->sun_path[0] = '\0';
	spec->addr_len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len + (path[0] != '@'));
	return NULL;
}

/* http:// and http+unix: — Host: header and path, kept short enough for one request. */
static const char *parse_http_target(const char *host, size_t host_len, const char *path,
				     struct check_spec *spec)
{
	if (!*path)
		path = "/";
	if (*path != '/')
		return "path must start with /";
	if (host_len + strlen(path) > REQUEST_WORDS_MAX)
		return "host and path too long";
	for (const char *p = path; *p; p++)
		if (*p <= ' ' || *p == 0x7f)
			return "space or control character in the path (write %20)";
	spec->http_host = strndup(host, host_len);
	spec->http_path = strdup(path);
	return NULL;
}

static const char *parse_kind(const char *text, const char *where, struct check_spec *spec)
{
	const char *rest;
	if ((rest = after(text, "tcp:"))) {
		spec->kind = CHECK_TCP;
		return parse_host_port(rest, strlen(rest), 0, spec);
	}
	if ((rest = after(text, "unix:"))) {
		spec->kind = CHECK_UNIX;
		return parse_unix_path(rest, strlen(rest), spec);
	}
	if ((rest = after(text, "http://"))) {
		spec->kind = CHECK_HTTP;
		size_t host_len = strcspn(rest, "/");
		for (size_t i = 0; i < host_len; i++)
			if (rest[i] <= ' ' || rest[i] == '@')
				return "space, control character or user@ in the host";
		return parse_http_target(rest, host_len, rest + host_len, spec) ?:
		       parse_host_port(rest, host_len, 80, spec); /* syntax first, then the name */
	}
	if ((rest = after(text, "http+unix:"))) {
		spec->kind = CHECK_HTTP;
		const char *path = strstr(rest, ":/");
		size_t len = path ? (size_t)(path - rest) : strlen(rest);
		return parse_unix_path(rest, len, spec) ?:
		       parse_http_target("localhost", 9, path ? path + 1 : "", spec);
	}
	if ((rest = after(text, "file:"))) {
		spec->kind = CHECK_FILE;
		spec->file_path = rest;
		return *rest ? NULL : "no path (file:PATH)";
	}
	if ((rest = after(text, "exec:"))) {
		size_t count = 0;
		spec->kind = CHECK_EXEC;
		if (split_words(rest, &spec->exec_argv, &count, where, text) != 0)
			return "";
		return count ? NULL : "no command (exec:COMMAND ARGS)";
	}
	if (after(text, "https:"))
		return "no TLS: a check is local, use http://";
	return "unknown kind (tcp:, unix:, http://, http+unix:, file:, exec:)";
}

int check_parse(const char *text, const char *where, struct check_spec *spec)
{
	memset(spec, 0, sizeof *spec);
	spec->text = strdup(text);
	if (!spec->text) {
		usher_err("%s: out of memory", where);
		return -1;
	}
	const char *why = parse_kind(spec->text, where, spec);
	if (why && *why)
		usher_err("%s: %s: %s", where, text, why);
	return !why ? 0 : why == unknown_host ? -2 : -1;
}

int check_http_status(const char *buf, size_t len)
{
	static const char pattern[] = "HTTP/1.d ddd ";
	for (size_t i = 0; i < sizeof pattern - 1; i++) {
		if (i >= len)
			return 0;
		char c = buf[i], want = pattern[i];
		bool ok = want == 'd' ? c >= '0' && c <= '9' : want == ' ' && i == 12 ?
			  c == ' ' || c == '\r' || c == '\n' : c == want;
		if (!ok)
			return -1;
	}
	int status = (buf[9] - '0') * 100 + (buf[10] - '0') * 10 + (buf[11] - '0');
	return status >= 100 && status <= 599 ? status : -1;
}

static void finish(struct check_run *run, enum check_state state, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void finish(struct check_run *run, enum check_state state, const char *fmt, ...)
{
	if (run->fd >= 0)
		close(run->fd);
	run->fd = -1;
	run->state = state;
	int len = snprintf(run->detail, sizeof run->detail, "%s: ", run->spec->text);
	if (len < 0 || (size_t)len >= sizeof run->detail)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(run->detail + len, sizeof run->detail - (size_t)len, fmt, ap);
	va_end(ap);
}

static void send_request(struct check_run *run)
{
	size_t len = strlen(run->buf);
	ssize_t n = send(run->fd, run->buf + run->sent, len - run->sent, MSG_NOSIGNAL);
	if (n < 0 && errno != EAGAIN && errno != EINTR)
		return finish(run, CHECK_FAILED, "send: %s", strerror(errno));
	run->sent += n > 0 ? (size_t)n : 0;
	if (run->sent == len) {
		run->phase = PHASE_RECV;
		run->got = 0;
	}
}

static void connected(struct check_run *run)
{
	const struct check_spec *spec = run->spec;
	if (spec->kind != CHECK_HTTP)
		return finish(run, CHECK_PASSED, "connected");
	snprintf(run->buf, sizeof run->buf,
		 "GET %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: usher/" USHER_VERSION
		 "\r\nConnection: close\r\n\r\n", spec->http_path, spec->http_host);
	run->phase = PHASE_SEND;
	send_request(run);
}

static void judge(struct check_run *run, int status)
{
	int want = run->spec->expect_status;
	bool ok = want ? status == want : status >= 200 && status < 400;
	if (ok)
		return finish(run, CHECK_PASSED, "HTTP %d", status);
	if (want)
		return finish(run, CHECK_FAILED, "HTTP %d, expected %d", status, want);
	finish(run, CHECK_FAILED, "HTTP %d, expected 2xx or 3xx", status);
}

static void receive_status(struct check_run *run)
{
	ssize_t n = recv(run->fd, run->buf + run->got, sizeof run->buf - 1 - run->got, 0);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n < 0)
		return finish(run, CHECK_FAILED, "recv: %s", strerror(errno));
	if (n == 0)
		return finish(run, CHECK_FAILED, run->got ? "closed within the status line"
							  : "closed without a response");
	run->got += (size_t)n;
	int status = check_http_status(run->buf, run->got);
	if (status > 0)
		return judge(run, status);
	if (status < 0) {
		size_t shown = run->got < 24 ? run->got : 24;
		for (size_t i = 0; i < shown; i++)
			if (run->buf[i] < ' ' || run->buf[i] > '~')
				run->buf[i] = '?';
		finish(run, CHECK_FAILED, "not an HTTP response: \"%.*s\"", (int)shown, run->buf);
	}
}

void check_begin(struct check_run *run, const struct check_spec *spec, long long now_ms,
		 long timeout_ms)
{
	run->spec = spec;
	run->state = CHECK_PENDING;
	run->fd = -1;
	run->deadline_ms = now_ms + timeout_ms;
	run->started_ms = now_ms;
	run->phase = PHASE_CONNECT;
	run->sent = run->got = 0;
	run->detail[0] = '\0';
	if (spec->kind == CHECK_EXEC) {
		run->state = CHECK_NEEDS_EXEC;
		return;
	}
	if (spec->kind == CHECK_FILE) {
		struct stat st;
		if (stat(spec->file_path, &st) != 0)
			return finish(run, CHECK_FAILED, "%s", strerror(errno));
		return finish(run, CHECK_PASSED, "exists");
	}
	if (!spec->addr_len)
		return finish(run, CHECK_FAILED, "unknown host");
	run->fd = socket(spec->addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (run->fd < 0)
		return finish(run, CHECK_FAILED, "socket: %s", strerror(errno));
	if (connect(run->fd, (const struct sockaddr *)&spec->addr, spec->addr_len) == 0)
		return connected(run);
	if (errno != EINPROGRESS)
		finish(run, CHECK_FAILED, "connect: %s", strerror(errno));
}

short check_events(const struct check_run *run)
{
	if (run->state != CHECK_PENDING || run->fd < 0)
		return 0;
	return run->phase == PHASE_RECV ? POLLIN : POLLOUT;
}

void check_step(struct check_run *run, short revents, long long now_ms)
{
	(void)now_ms;
	if (run->state != CHECK_PENDING || run->fd < 0 || !revents)
		return;
	if (run->phase == PHASE_CONNECT) {
		int problem = 0;
		socklen_t len = sizeof problem;
		if (getsockopt(run->fd, SOL_SOCKET, SO_ERROR, &problem, &len) != 0)
			problem = errno;
		if (problem)
			return finish(run, CHECK_FAILED, "connect: %s", strerror(problem));
		return connected(run);
	}
	if (run->phase == PHASE_SEND)
		return send_request(run);
	receive_status(run);
}

static void timed_out(struct check_run *run, const char *doing)
{
	long long ms = run->deadline_ms - run->started_ms;
	if (ms % 1000 == 0)
		finish(run, CHECK_FAILED, "timed out after %llds%s", ms / 1000, doing);
	else
		finish(run, CHECK_FAILED, "timed out after %lldms%s", ms, doing);
}

void check_expire(struct check_run *run, long long now_ms)
{
	if (run->state != CHECK_PENDING || now_ms < run->deadline_ms)
		return;
	timed_out(run, run->phase == PHASE_CONNECT ? " connecting" :
		       run->phase == PHASE_SEND ? " sending" : " waiting for the status line");
}

void check_exec_done(struct check_run *run, int wait_status, bool timed_out_now)
{
	if (timed_out_now)
		timed_out(run, "");
	else if (WIFEXITED(wait_status) && WEXITSTATUS(wait_status) == 0)
		finish(run, CHECK_PASSED, "exit 0");
	else if (WIFEXITED(wait_status))
		finish(run, CHECK_FAILED, "exit %d", WEXITSTATUS(wait_status));
	else
		finish(run, CHECK_FAILED, "killed by signal %d", WTERMSIG(wait_status));
}

void check_cancel(struct check_run *run)
{
	if (run->state == CHECK_PENDING || run->state == CHECK_NEEDS_EXEC)
		finish(run, CHECK_FAILED, "cancelled");
}

const char *check_detail(const struct check_run *run)
{
	return run->detail;
}
