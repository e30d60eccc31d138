/* tests/init/probe.c — the workload the init tests run: records signals, makes orphans,
 * reports its terminal and process group. One program, one subcommand per job. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int record_fd = -1;
static volatile sig_atomic_t exit_now;
static int exit_signal = SIGTERM;

static void record(int sig)
{
	char line[16];
	int length = snprintf(line, sizeof line, "%d\n", sig);
	if (write(record_fd, line, (size_t)length) < 0)
		_exit(90);
	if (sig == exit_signal)
		exit_now = 1;
}

/* record FILE [EXIT_SIG]: log every catchable signal's number to FILE, one per line;
 * "ready" first. Exits 0 when EXIT_SIG (default 15) arrives. */
static int do_record(int argc, char **argv)
{
	if (argc < 3)
		return 2;
	record_fd = open(argv[2], O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (record_fd < 0)
		return 3;
	if (argc > 3)
		exit_signal = atoi(argv[3]);
	struct sigaction action = { .sa_handler = record };
	sigfillset(&action.sa_mask);
	for (int sig = 1; sig <= SIGRTMAX; sig++) {
		if (sig == SIGKILL || sig == SIGSTOP || sig == SIGCHLD || (sig > 31 && sig < SIGRTMIN))
			continue;
		if (sigaction(sig, &action, NULL) != 0)
			return 4;
	}
	if (write(record_fd, "ready\n", 6) != 6)
		return 5;
	while (!exit_now)
		pause();
	return 0;
}

static int count_zombies(void)
{
	DIR *proc = opendir("/proc");
	if (!proc)
		return -1;
	int zombies = 0;
	struct dirent *entry;
	while ((entry = readdir(proc))) {
		if (entry->d_name[0] < '0' || entry->d_name[0] > '9')
			continue;
		char path[300], stat[512];
		snprintf(path, sizeof path, "/proc/%s/stat", entry->d_name);
		int fd = open(path, O_RDONLY);
		if (fd < 0)
			continue;
		ssize_t got = read(fd, stat, sizeof stat - 1);
		close(fd);
		if (got <= 0)
			continue;
		stat[got] = '\0';
		char *after_name = strrchr(stat, ')');
		if (after_name && after_name[1] == ' ' && after_name[2] == 'Z')
			zombies++;
	}
	closedir(proc);
	return zombies;
}

/* orphans N [WAIT_S]: make N double-forked orphans that exit at once, then wait (60 s)
 * until no zombie is left in this PID namespace; print "zombies=K"; exit 0 if K is 0. */
static int do_orphans(int argc, char **argv)
{
	int wanted = argc > 2 ? atoi(argv[2]) : 1000;
	for (int i = 0; i < wanted; i++) {
		pid_t middle = fork();
		if (middle < 0) {
			perror("fork");
			return 3;
		}
		if (middle == 0) {
			if (fork() < 0)
				_exit(1);
			_exit(0); /* the grandchild (if any) is orphaned to PID 1 / the subreaper */
		}
		if (waitpid(middle, NULL, 0) != middle)
			return 4;
	}
	int wait_s = argc > 3 ? atoi(argv[3]) : 60;
	int zombies = -1;
	for (int tries = 0; tries < wait_s * 100; tries++) {
		zombies = count_zombies();
		if (zombies == 0)
			break;
		struct timespec ten_ms = { 0, 10 * 1000 * 1000 };
		nanosleep(&ten_ms, NULL);
	}
	printf("zombies=%d\n", zombies);
	return zombies == 0 ? 0 : 1;
}

/* foreground: print "pgrp=P fg=F" for stdin's terminal. */
static int do_foreground(void)
{
	printf("pgrp=%d fg=%d\n", (int)getpgrp(), (int)tcgetpgrp(STDIN_FILENO));
	return 0;
}

/* sigmask: print the blocked and ignored masks this process started with. */
static int do_sigmask(void)
{
	sigset_t blocked;
	sigprocmask(SIG_BLOCK, NULL, &blocked);
	int count = 0;
	for (int sig = 1; sig <= SIGRTMAX; sig++)
		if (sigismember(&blocked, sig) == 1)
			count++;
	printf("blocked=%d\n", count);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 2)
		return 2;
	if (strcmp(argv[1], "record") == 0)
		return do_record(argc, argv);
	if (strcmp(argv[1], "orphans") == 0)
		return do_orphans(argc, argv);
	if (strcmp(argv[1], "foreground") == 0)
		return do_foreground();
	if (strcmp(argv[1], "sigmask") == 0)
		return do_sigmask();
	if (strcmp(argv[1], "true") == 0)
		return 0; /* a static /bin/true: fault-count's workload */
	return 2;
}
