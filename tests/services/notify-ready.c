/* tests/services/notify-ready.c — a Type=notify service: after DELAY_MS sends "READY=1" to
 * $NOTIFY_SOCKET (abstract "@..." or a path) as sd_notify does, writes MARKER, then sleeps. */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: notify-ready DELAY_MS MARKER [no]\n");
		return 2;
	}
	long delay = atol(argv[1]);
	struct timespec pause = { delay / 1000, delay % 1000 * 1000000L };
	nanosleep(&pause, NULL);
	const char *path = getenv("NOTIFY_SOCKET");
	if (!path || !*path) {
		fprintf(stderr, "notify-ready: no NOTIFY_SOCKET\n");
		return 3;
	}
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	size_t len = strlen(path);
	memcpy(addr.sun_path, path, len);
	if (path[0] == '@')
		addr.sun_path[0] = '\0';
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	const char *message = argc > 3 ? "STATUS=starting\n" : "STATUS=up\nREADY=1\n";
	if (fd < 0 || sendto(fd, message, strlen(message), 0, (struct sockaddr *)&addr,
			     (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len)) < 0) {
		perror("notify-ready: sendto");
		return 4;
	}
	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	FILE *marker = fopen(argv[2], "a");
	if (marker) {
		fprintf(marker, "ready %lld\n", (long long)now.tv_sec * 1000000000LL + now.tv_nsec);
		fclose(marker);
	}
	for (;;)
		sleep(1000);
}
