/* tests/creds/login-hang.c — a login helper that hangs (with a grandchild) until killed or
 * released; records pids and its stdin, and can echo its stdin, for the login tests. */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *term_marker;

/* A SIGTERM handler can only run in a process that is not stopped: the marker proves usher
 * sent SIGCONT along with SIGTERM. */
static void on_term(int signo)
{
	(void)signo;
	int fd = open(term_marker, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd >= 0)
		close(fd);
	_exit(0);
}

static void usage(void)
{
	fprintf(stderr, "usage: login-hang [--pidfile F] [--ignore-term] [--grandchild] "
			"[--stdin-to F] [--echo-stdin] [--release F] [--ignored WORD] "
			"[--term-marker F] [--stop-self]\n");
	exit(2);
}

/* Written to F.tmp then renamed, so a reader never sees half of it. */
static void write_file(const char *path, const char *bytes, size_t len)
{
	char tmp[4096];
	snprintf(tmp, sizeof tmp, "%s.tmp", path);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || write(fd, bytes, len) != (ssize_t)len || close(fd) != 0 || rename(tmp, path) != 0) {
		perror(path);
		exit(1);
	}
}

int main(int argc, char **argv)
{
	const char *pidfile = NULL, *stdin_to = NULL, *release = NULL;
	int ignore_term = 0, grandchild = 0, echo_stdin = 0, stop_self = 0;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--pidfile") == 0 && i + 1 < argc)
			pidfile = argv[++i];
		else if (strcmp(argv[i], "--stdin-to") == 0 && i + 1 < argc)
			stdin_to = argv[++i];
		else if (strcmp(argv[i], "--release") == 0 && i + 1 < argc)
			release = argv[++i];
		else if (strcmp(argv[i], "--ignore-term") == 0)
			ignore_term = 1;
		else if (strcmp(argv[i], "--grandchild") == 0)
			grandchild = 1;
		else if (strcmp(argv[i], "--echo-stdin") == 0)
			echo_stdin = 1;
		else if (strcmp(argv[i], "--term-marker") == 0 && i + 1 < argc)
			term_marker = argv[++i];
		else if (strcmp(argv[i], "--stop-self") == 0)
			stop_self = 1;
		else if (strcmp(argv[i], "--ignored") == 0 && i + 1 < argc)
			i++; /* a word only for /proc/PID/cmdline to show */
		else
			usage();
	}
	if (ignore_term)
		signal(SIGTERM, SIG_IGN);
	else if (term_marker)
		signal(SIGTERM, on_term);
	static char input[1 << 16];
	size_t input_len = 0;
	if (stdin_to || echo_stdin) {
		ssize_t got;
		while ((got = read(0, input + input_len, sizeof input - input_len)) > 0)
			input_len += (size_t)got;
	}
	if (stdin_to)
		write_file(stdin_to, input, input_len);
	if (echo_stdin && write(1, input, input_len) != (ssize_t)input_len)
		return 1;
	pid_t child = 0;
	if (grandchild) {
		child = fork();
		if (child < 0)
			return 1;
		if (child == 0) { /* inherits SIG_IGN for SIGTERM: only SIGKILL ends it */
			for (;;)
				pause();
		}
	}
	if (pidfile) {
		char line[64];
		int len = snprintf(line, sizeof line, "%d %d\n", (int)getpid(), (int)child);
		write_file(pidfile, line, (size_t)len);
	}
	fprintf(stderr, "login-hang: waiting\n");
	if (stop_self)
		raise(SIGSTOP);
	struct stat st;
	for (;;) {
		if (release && stat(release, &st) == 0)
			return 0;
		usleep(20000);
	}
}
