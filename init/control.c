/* init/control.c — the status socket: PID 1's side serves one request per connection from
 * fixed slots, never blocking; `usher status` and `usher health` are the client side. */
#include "control.h"
#include "util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

struct client {
	int fd;                /* -1: free */
	bool answering;        /* request read, reply being written */
	long long deadline_ms;
	size_t got, sent, len;
	char buf[CONTROL_REPLY_MAX];
};

static struct {
	int fd;
	control_row_fn *rows;
	struct sockaddr_un addr;
} server = { .fd = -1 };
/* In .bss (set up by control_init): 64 KiB of initialised .data would be in the binary. */
static struct client clients[CONTROL_SLOTS];

static int make_address(const char *path, struct sockaddr_un *addr)
{
	memset(addr, 0, sizeof *addr);
	addr->sun_family = AF_UNIX;
	if (strlen(path) >= sizeof addr->sun_path) {
		errno = ENAMETOOLONG;
		return -1;
	}
	strcpy(addr->sun_path, path);
	return 0;
}

/* The directory: made 0700, or, if it exists, a directory of ours (or root's) kept 0700. */
static int secure_directory(char *path)
{
	char *slash = strrchr(path, '/');
	if (!slash || slash == path)
		return 0;
	*slash = '\0';
	struct stat st;
	int rc = mkdir(path, 0700) == 0 || errno == EEXIST ? 0 : -1;
	if (rc == 0 && (lstat(path, &st) != 0 || !S_ISDIR(st.st_mode) ||
			(st.st_uid != geteuid() && st.st_uid != 0) ||
			((st.st_mode & 077) && chmod(path, 0700) != 0)))
		rc = -1;
	if (rc != 0)
		usher_warn("control socket: directory %s: %s", path,
			   errno ? strerror(errno) : "not a directory of usher's user");
	*slash = '/';
	return rc;
}

int control_init(const char *path, control_row_fn *rows)
{
	for (int i = 0; i < CONTROL_SLOTS; i++)
		clients[i].fd = -1;
	server.rows = rows;
	path = path ? path : CONTROL_DEFAULT_PATH;
	if (make_address(path, &server.addr) != 0) {
		usher_warn("control socket %s: %s", path, strerror(errno));
		return -1;
	}
	errno = 0;
	if (secure_directory(server.addr.sun_path) != 0)
		return -1;
	struct stat st;
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd >= 0 && lstat(server.addr.sun_path, &st) == 0 && S_ISSOCK(st.st_mode)) {
		/* A previous usher's is replaced; a live one (another usher in the same /run, e.g.
		 * one run by hand in the container) is left alone, and quietly: run without ours. */
		if (connect(fd, (struct sockaddr *)&server.addr, sizeof server.addr) == 0 ||
		    errno == EAGAIN) {
			usher_info("control socket %s: another usher answers there; running without one",
				   path);
			close(fd);
			return -1;
		}
		close(fd);
		unlink(server.addr.sun_path);
		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	}
	mode_t saved = umask(077);
	int rc = fd < 0 || bind(fd, (struct sockaddr *)&server.addr, sizeof server.addr) != 0 ||
		 chmod(server.addr.sun_path, 0600) != 0 || listen(fd, 16) != 0 ? -1 : 0;
	umask(saved);
	if (rc != 0) {
		usher_warn("control socket %s: %s", server.addr.sun_path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	server.fd = fd;
	usher_debug("control socket at %s", server.addr.sun_path);
	return 0;
}

static void drop(struct client *c)
{
	close(c->fd);
	c->fd = -1;
}

/* Only root and usher's own user: the directory's mode says so too, this is the lock. */
static void accept_clients(long long now_ms)
{
	for (int i = 0; i < CONTROL_SLOTS; i++) {
		struct client *c = &clients[i];
		if (c->fd >= 0)
			continue;
		c->fd = accept4(server.fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (c->fd < 0)
			return; /* EAGAIN: nobody else waiting */
		struct ucred peer;
		socklen_t len = sizeof peer;
		if (getsockopt(c->fd, SOL_SOCKET, SO_PEERCRED, &peer, &len) != 0 ||
		    (peer.uid != 0 && peer.uid != geteuid())) {
			usher_warn("control socket: refused a client of uid %d", (int)peer.uid);
			drop(c);
			continue;
		}
		c->answering = false;
		c->got = c->sent = 0;
		c->deadline_ms = now_ms + CONTROL_CLIENT_MS;
	}
}

/* The table, one tab-separated line per service (docs/health.md). */
static void render(struct client *c, const char *request, long long now_ms)
{
	size_t used = 0;
	struct control_row row;
	if (strcmp(request, "status") != 0) {
		used = (size_t)snprintf(c->buf, sizeof c->buf, "error\tunknown request\n");
	} else {
		for (unsigned i = 0; server.rows && server.rows(i, &row); i++) {
			char text[160], health[200] = "-\t-\t-";
			if (row.health) {
				snprintf(text, sizeof text, "%s", row.health);
				for (char *p = text; *p; p++)
					if (*p == '\t' || *p == '\n')
						*p = ' ';
				snprintf(health, sizeof health, "%s\t%lld\t%s", row.health_ok ? "ok" : "failed",
					 (now_ms - row.health_ms) / 1000, text);
			}
			int n = snprintf(c->buf + used, sizeof c->buf - used, "%s\t%s\t%d\t%u\t%d\t%s\n",
					 row.name, row.state, row.pid, row.restarts, row.last_exit, health);
			if (n < 0 || (size_t)n >= sizeof c->buf - used)
				break; /* cut: whole rows only */
			used += (size_t)n;
		}
	}
	c->answering = true;
	c->len = used;
}

static void serve(struct client *c, long long now_ms)
{
	if (!c->answering) {
		ssize_t n = recv(c->fd, c->buf + c->got, CONTROL_REQUEST_MAX - c->got, 0);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		if (n <= 0 && c->got == 0)
			return drop(c);
		c->got += n > 0 ? (size_t)n : 0;
		char *end = memchr(c->buf, '\n', c->got);
		if (!end && n > 0 && c->got < CONTROL_REQUEST_MAX)
			return; /* more to come */
		if (!end && c->got >= CONTROL_REQUEST_MAX)
			return drop(c); /* too long: not a client of ours */
		c->buf[end ? (size_t)(end - c->buf) : c->got] = '\0';
		c->buf[strcspn(c->buf, "\r")] = '\0'; /* socat and nc may send CRLF */
		char request[CONTROL_REQUEST_MAX + 1];
		strcpy(request, c->buf);
		render(c, request, now_ms);
	}
	ssize_t n = send(c->fd, c->buf + c->sent, c->len - c->sent, MSG_NOSIGNAL | MSG_DONTWAIT);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n < 0 || (c->sent += (size_t)n) == c->len)
		drop(c);
}

int control_poll_fill(struct pollfd *fds, int room)
{
	int n = 0, busy = 0;
	if (server.fd < 0)
		return 0;
	for (int i = 0; i < CONTROL_SLOTS && n < room; i++) {
		struct client *c = &clients[i];
		if (c->fd < 0)
			continue;
		busy++;
		fds[n++] = (struct pollfd){ .fd = c->fd, .events = c->answering ? POLLOUT : POLLIN };
	}
	/* All slots taken: new clients wait in the backlog until one is free. */
	if (server.fd >= 0 && busy < CONTROL_SLOTS && n < room)
		fds[n++] = (struct pollfd){ .fd = server.fd, .events = POLLIN };
	return n;
}

void control_poll_handle(const struct pollfd *fds, int n, long long now_ms)
{
	for (int k = 0; k < n; k++) {
		if (!fds[k].revents)
			continue;
		if (fds[k].fd == server.fd) {
			accept_clients(now_ms);
			continue;
		}
		for (int i = 0; i < CONTROL_SLOTS; i++)
			if (clients[i].fd == fds[k].fd)
				serve(&clients[i], now_ms);
	}
	for (int i = 0; i < CONTROL_SLOTS; i++)
		if (clients[i].fd >= 0 && now_ms >= clients[i].deadline_ms)
			drop(&clients[i]);
}

long long control_next_deadline(void)
{
	long long next = -1;
	for (int i = 0; i < CONTROL_SLOTS; i++) {
		const struct client *c = &clients[i];
		if (c->fd >= 0 && (next < 0 || c->deadline_ms < next))
			next = c->deadline_ms;
	}
	return next;
}

void control_close(void)
{
	if (server.fd < 0)
		return; /* never opened: the slots were never set up */
	for (int i = 0; i < CONTROL_SLOTS; i++)
		if (clients[i].fd >= 0)
			drop(&clients[i]);
	close(server.fd);
	unlink(server.addr.sun_path);
	server.fd = -1;
}

/* --- the client: `usher status`, `usher health [NAME...]` -------------------------------- */

enum { FIELD_NAME, FIELD_STATE, FIELD_PID, FIELD_RESTARTS, FIELD_EXIT, FIELD_HEALTH,
       FIELD_AGE, FIELD_DETAIL, FIELDS };

/* Asks the running usher for its table, into reply (NUL-terminated). Returns the number of
 * rows, or -1 after printing. argv's leading --control-socket PATH is taken off. */
static int ask(int *argc, char ***argv, char *reply, size_t size)
{
	const char *path = getenv("USHER_CONTROL_SOCKET");
	if (*argc > 2 && strcmp((*argv)[1], "--control-socket") == 0) {
		path = (*argv)[2];
		*argc -= 2;
		*argv += 2;
	}
	path = path && *path ? path : CONTROL_DEFAULT_PATH;
	struct sockaddr_un addr;
	struct timeval limit = { 5, 0 };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	size_t got = 0;
	ssize_t n = 1;
	if (fd < 0 || make_address(path, &addr) != 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof limit) != 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &limit, sizeof limit) != 0 ||
	    connect(fd, (struct sockaddr *)&addr, sizeof addr) != 0 ||
	    send(fd, "status\n", 7, MSG_NOSIGNAL) != 7)
		n = -1;
	while (n > 0 && got < size - 1 && (n = recv(fd, reply + got, size - 1 - got, 0)) > 0)
		got += (size_t)n;
	if (n < 0) {
		usher_err("control socket %s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	close(fd);
	reply[got] = '\0';
	if (got == 0) { /* closed unanswered: another user's client, or no table yet */
		usher_err("control socket %s: closed without an answer (only root and usher's user "
			  "may ask)", path);
		return -1;
	}
	int rows = 0;
	for (char *p = reply; (p = strchr(p, '\n')); p++)
		rows++;
	return rows;
}

/* Splits one line of the reply into its fields; returns the start of the next line. */
static char *fields_of(char *line, char *field[FIELDS])
{
	char *end = strchr(line, '\n');
	*end = '\0';
	for (int i = 0; i < FIELDS; i++) {
		field[i] = line;
		line = strchrnul(line, '\t');
		if (*line)
			*line++ = '\0';
	}
	return end + 1;
}

int control_status_main(int argc, char **argv)
{
	static char reply[CONTROL_REPLY_MAX + 1];
	char *field[FIELDS];
	int rows = ask(&argc, &argv, reply, sizeof reply);
	if (rows < 0)
		return EXIT_USHER_FAILED;
	printf("%-20s %-10s %7s %8s %4s  %s\n", "NAME", "STATE", "PID", "RESTARTS", "EXIT", "HEALTH");
	for (char *line = reply; rows-- > 0;) {
		line = fields_of(line, field);
		bool health = strcmp(field[FIELD_HEALTH], "-") != 0;
		printf("%-20s %-10s %7s %8s %4s  %s%s%s%s%s\n", field[FIELD_NAME], field[FIELD_STATE],
		       strcmp(field[FIELD_PID], "0") ? field[FIELD_PID] : "-", field[FIELD_RESTARTS],
		       strcmp(field[FIELD_EXIT], "-1") ? field[FIELD_EXIT] : "-", field[FIELD_HEALTH],
		       health ? " " : "", health ? field[FIELD_AGE] : "", health ? "s ago: " : "",
		       health ? field[FIELD_DETAIL] : "");
	}
	return 0;
}

/* 0 when every named service (every one, when none is named) is ready and its last health
 * check passed; 1 otherwise. One line on stdout, as `usher probe`. */
int control_health_main(int argc, char **argv)
{
	static char reply[CONTROL_REPLY_MAX + 1];
	static char line_out[4000];
	char *field[FIELDS];
	int rows = ask(&argc, &argv, reply, sizeof reply), used = 0, rc = 0;
	if (rows < 0)
		return 1;
	bool seen[64] = { false };
	for (char *line = reply; rows-- > 0;) {
		line = fields_of(line, field);
		int named = argc <= 1 ? 0 : -1;
		for (int i = 1; i < argc && i < 64; i++)
			if (strcmp(argv[i], field[FIELD_NAME]) == 0)
				seen[named = i] = true;
		if (named < 0)
			continue;
		bool healthy = (strcmp(field[FIELD_STATE], "ready") == 0 ||
				strcmp(field[FIELD_STATE], "done") == 0) && /* a oneshot that succeeded */
			       strcmp(field[FIELD_HEALTH], "failed") != 0;
		rc |= !healthy;
		used += snprintf(line_out + used, sizeof line_out - (size_t)used, "%s%s %s%s%s",
				 used ? "; " : "", field[FIELD_NAME], field[FIELD_STATE],
				 strcmp(field[FIELD_HEALTH], "-") ? ": " : "",
				 strcmp(field[FIELD_HEALTH], "-") ? field[FIELD_DETAIL] : "");
		if (used >= (int)sizeof line_out)
			used = (int)sizeof line_out - 1;
	}
	for (int i = 1; i < argc && i < 64; i++)
		if (!seen[i]) {
			rc = 1;
			used += snprintf(line_out + used, sizeof line_out - (size_t)used, "%s%s: no such service",
					 used ? "; " : "", argv[i]);
			if (used >= (int)sizeof line_out)
				used = (int)sizeof line_out - 1;
		}
	printf("%s: %s\n", rc ? "unhealthy" : "ok", used ? line_out : "no services");
	return rc;
}
