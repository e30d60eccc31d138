/* tests/init/fault-count.c — page faults of a command run as PID 1 of a new PID namespace
 * (as a container starts it): `fault-count ROUNDS CMD...` prints the fewest seen, after one run
 * to warm the page cache. The count is wait4()'s: the command's own and its waited children's. */
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static long faults_of_one_run(char **cmd)
{
	/* clone() without a stack argument: a fork into a new PID namespace. */
	pid_t pid = (pid_t)syscall(SYS_clone, CLONE_NEWPID | SIGCHLD, NULL, NULL, NULL, NULL);
	if (pid < 0) {
		fprintf(stderr, "fault-count: clone(CLONE_NEWPID): %s\n", strerror(errno));
		return -1;
	}
	if (pid == 0) {
		execv(cmd[0], cmd);
		fprintf(stderr, "fault-count: %s: %s\n", cmd[0], strerror(errno));
		_exit(127);
	}
	int status;
	struct rusage usage;
	if (wait4(pid, &status, 0, &usage) != pid) {
		fprintf(stderr, "fault-count: wait4: %s\n", strerror(errno));
		return -1;
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		fprintf(stderr, "fault-count: %s did not exit 0 (status 0x%x)\n", cmd[0], status);
		return -1;
	}
	return usage.ru_minflt + usage.ru_majflt;
}

int main(int argc, char **argv)
{
	int rounds = argc > 2 ? atoi(argv[1]) : 0;
	if (rounds < 1) {
		fputs("usage: fault-count ROUNDS CMD [ARG]...\n", stderr);
		return 2;
	}
	long fewest = faults_of_one_run(argv + 2);
	for (int i = 0; fewest >= 0 && i < rounds; i++) {
		long faults = faults_of_one_run(argv + 2);
		if (faults < 0)
			return 1;
		if (faults < fewest)
			fewest = faults;
	}
	if (fewest < 0)
		return 1;
	printf("%ld\n", fewest);
	return 0;
}
