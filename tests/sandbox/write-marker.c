/* tests/sandbox/write-marker.c — the workload's side effect: creates PATH and exits 0.
 * A failed sandbox set-up must leave PATH absent. */
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: write-marker PATH\n");
		return 2;
	}
	int fd = open(argv[1], O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0 || write(fd, "ran\n", 4) != 4 || close(fd) != 0) {
		perror(argv[1]);
		return 1;
	}
	return 0;
}
