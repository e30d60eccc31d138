/* tests/health/test-server.c — a small TCP/unix server for the health tests, one mode each:
 * up (HTTP 200), 500, slow (answers after 5 s), garbage, close (reads, closes), full (never accepts).
 *
 * usage: test-server MODE tcp:127.0.0.1:PORT|unix:PATH READY_FILE [REQUEST_LOG]
 * PORT 0 picks a free port. Once listening it writes the port (or "unix") into READY_FILE,
 * and each request's first line into REQUEST_LOG. Serves connections one by one until killed.
 * "full" listens with a backlog of 0 and fills it with its own connections, so that a new
 * connect hangs (its SYN is dropped): the "connect times out" case. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static void die(const char *what)
{
	fprintf(stderr, "test-server: %s: %s\n", what, strerror(errno));
	exit(2);
}

static int listen_on(const char *address, struct sockaddr_storage *bound, socklen_t *len)
{
	int fd;
	memset(bound, 0, sizeof *bound);
	if (strncmp(address, "unix:", 5) == 0) {
		struct sockaddr_un *un = (struct sockaddr_un *)bound;
		un->sun_family = AF_UNIX;
		snprintf(un->sun_path, sizeof un->sun_path, "%s", address + 5);
		unlink(un->sun_path);
		*len = sizeof *un;
		fd = socket(AF_UNIX, SOCK_STREAM, 0);
	} else if (strncmp(address, "tcp:", 4) == 0) {
		struct sockaddr_in *in = (struct sockaddr_in *)bound;
		char host[64];
		const char *colon = strrchr(address + 4, ':');
		if (!colon || (size_t)(colon - address - 4) >= sizeof host)
			exit(2);
		snprintf(host, sizeof host, "%.*s", (int)(colon - address - 4), address + 4);
		in->sin_family = AF_INET;
		in->sin_port = htons((unsigned short)atoi(colon + 1));
		if (inet_pton(AF_INET, host, &in->sin_addr) != 1)
			exit(2);
		*len = sizeof *in;
		fd = socket(AF_INET, SOCK_STREAM, 0);
		int on = 1;
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
	} else {
		fprintf(stderr, "test-server: address must be tcp:HOST:PORT or unix:PATH\n");
		exit(2);
	}
	if (fd < 0 || bind(fd, (struct sockaddr *)bound, *len) != 0)
		die("bind");
	if (getsockname(fd, (struct sockaddr *)bound, len) != 0)
		die("getsockname");
	return fd;
}

static void write_all(int fd, const char *text)
{
	size_t len = strlen(text);
	while (len > 0) {
		ssize_t n = write(fd, text, len);
		if (n <= 0)
			return;
		text += n;
		len -= (size_t)n;
	}
}

/* Reads the request head (up to a blank line, or 4 KiB) and logs its first line. */
static void read_request(int client, const char *log_path)
{
	char request[4096];
	size_t got = 0;
	while (got < sizeof request - 1) {
		ssize_t n = read(client, request + got, sizeof request - 1 - got);
		if (n <= 0)
			break;
		got += (size_t)n;
		request[got] = '\0';
		if (strstr(request, "\r\n\r\n"))
			break;
	}
	request[got] = '\0';
	if (!log_path)
		return;
	FILE *log = fopen(log_path, "a");
	if (!log)
		return;
	fprintf(log, "%.*s\n", (int)strcspn(request, "\r\n"), request);
	char *host = strstr(request, "\r\nHost: ");
	if (host)
		fprintf(log, "%.*s\n", (int)strcspn(host + 2, "\r\n"), host + 2);
	fclose(log);
}

int main(int argc, char **argv)
{
	if (argc < 4) {
		fprintf(stderr, "usage: test-server MODE tcp:HOST:PORT|unix:PATH READY_FILE [LOG]\n");
		return 2;
	}
	const char *mode = argv[1], *log_path = argc > 4 ? argv[4] : NULL;
	signal(SIGPIPE, SIG_IGN);
	struct sockaddr_storage bound;
	socklen_t len;
	int server = listen_on(argv[2], &bound, &len);
	bool full = strcmp(mode, "full") == 0;
	if (listen(server, full ? 0 : 16) != 0)
		die("listen");
	for (int i = 0; full && i < 4; i++) {
		int filler = socket(bound.ss_family, SOCK_STREAM | SOCK_NONBLOCK, 0);
		if (filler < 0)
			die("socket");
		connect(filler, (struct sockaddr *)&bound, len); /* EINPROGRESS when full: fine */
	}
	char ready[32];
	if (bound.ss_family == AF_INET)
		snprintf(ready, sizeof ready, "%u\n", ntohs(((struct sockaddr_in *)&bound)->sin_port));
	else
		snprintf(ready, sizeof ready, "unix\n");
	char tmp[4096];
	snprintf(tmp, sizeof tmp, "%s.tmp", argv[3]);
	int out = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (out < 0)
		die(tmp);
	write_all(out, ready);
	close(out);
	if (rename(tmp, argv[3]) != 0)
		die("rename");
	for (;;) {
		if (full) {
			pause();
			continue;
		}
		int client = accept(server, NULL, NULL);
		if (client < 0) {
			if (errno == EINTR)
				continue;
			die("accept");
		}
		read_request(client, log_path);
		if (strcmp(mode, "close") == 0) {
			close(client); /* read first: closing with unread bytes would be a reset */
			continue;
		}
		if (strcmp(mode, "slow") == 0) {
			sleep(5);
			write_all(client, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
		} else if (strcmp(mode, "500") == 0) {
			write_all(client, "HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\n\r\n");
		} else if (strcmp(mode, "garbage") == 0) {
			write_all(client, "\x01\x02hello there, this is not HTTP\r\n\r\n");
		} else {
			write_all(client, "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nok\n");
		}
		close(client);
	}
}
