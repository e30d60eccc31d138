/* tests/sandbox/bind-port.c — binds TCP PORT on all IPv4 addresses: prints "bound PORT" and
 * exits 0, or prints "bind: <why>" and exits 1. Used to prove CAP_NET_BIND_SERVICE works. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: bind-port PORT\n");
		return 2;
	}
	int port = atoi(argv[1]);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0) {
		printf("socket: %s\n", strerror(errno));
		return 1;
	}
	struct sockaddr_in address = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port),
				       .sin_addr.s_addr = htonl(INADDR_ANY) };
	if (bind(fd, (struct sockaddr *)&address, sizeof address) != 0) {
		printf("bind: %s\n", strerror(errno));
		return 1;
	}
	printf("bound %d\n", port);
	close(fd);
	return 0;
}
