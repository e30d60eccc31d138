/* bench/floor.c — the floor a PID 1 is measured against: vfork, exec, wait, nothing else.
 * No signal forwarding, no options; built with `musl-gcc -static -Os`. Usage: floor [--] PROG [ARG]... */
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	char **const cmd = argv + 1 + (argc > 1 && strcmp(argv[1], "--") == 0);
	if (!*cmd) {
		fputs("floor: usage: floor [--] PROG [ARG]...\n", stderr);
		return 125;
	}
	pid_t child = vfork();
	if (child < 0) {
		perror("floor: vfork");
		return 125;
	}
	if (child == 0) {
		execvp(cmd[0], cmd);
		_exit(127);
	}
	/* wait() reaps whatever comes, orphans included, until our child is among them. */
	for (;;) {
		int st;
		pid_t p = wait(&st);
		if (p < 0) {
			perror("floor: wait");
			return 125;
		}
		if (p == child)
			return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	}
}
