/* tests/containers/ct-probe.c — the workload the container tests run under usher in podman:
 * reports what it was given (ids, caps, seccomp, stdio, env) or which signal reached it. */

/* Usage (static: the images have no libc):
 *   ct-probe DIR status NAME [VAR...]  writes DIR/NAME: pid, ppid, PID 1's comm, the Uid/Gid/
 *       Groups, Cap..., NoNewPrivs and Seccomp lines of /proc/self/status, "reopen PATH=ok|ERRNO" for
 *       /dev/stdout, /dev/stderr and /proc/self/fd/1 and /proc/self/fd/2 opened for writing
 *       (as nginx's access_log /dev/stdout does), and "env VAR=VALUE" (or "env VAR unset")
 *       for each VAR; exits 0.
 *       An argument with a "=" is not a variable: it is reported as "arg ARG" (to see argv).
 *   ct-probe DIR signal NAME  writes DIR/NAME.ready, waits for any catchable signal, writes
 *       DIR/NAME "signal=N from=PID" and exits 100+N.
 *   ct-probe DIR orphans NAME  makes 3 orphans that exit at once (no exec: it also runs under
 *       qemu-user, which cannot exec a foreign binary), then watches their /proc entries for
 *       up to 20 s and writes DIR/NAME "orphans=3 gone=G zombie=Z"; exits 0.
 *   ct-probe DIR serve NAME [VAR...]  status, then signal with NAME-signal: a long-running
 *       workload (a pod) that reports what it got and how it was stopped.
 * Files are written to NAME.tmp and renamed, so the host never reads half a report. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *dir;

static void fail(const char *what)
{
	fprintf(stderr, "ct-probe: %s: %s\n", what, strerror(errno));
	exit(99);
}

static FILE *start_report(const char *name, char *tmp, size_t size)
{
	snprintf(tmp, size, "%s/.%s.tmp", dir, name);
	FILE *f = fopen(tmp, "w");
	if (!f)
		fail(tmp);
	return f;
}

static void finish_report(FILE *f, const char *tmp, const char *name)
{
	char path[PATH_MAX];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	if (fflush(f) != 0 || fsync(fileno(f)) != 0 || fclose(f) != 0)
		fail(tmp);
	if (rename(tmp, path) != 0)
		fail(path);
}

static void copy_file_line(FILE *out, const char *path, const char *label)
{
	char line[256] = "unknown";
	FILE *f = fopen(path, "r");
	if (f) {
		if (!fgets(line, sizeof line, f))
			snprintf(line, sizeof line, "unknown");
		fclose(f);
	}
	line[strcspn(line, "\n")] = '\0';
	fprintf(out, "%s=%s\n", label, line);
}

static int status(const char *name, char **vars)
{
	char tmp[PATH_MAX];
	FILE *out = start_report(name, tmp, sizeof tmp);
	fprintf(out, "pid=%d\nppid=%d\n", (int)getpid(), (int)getppid());
	copy_file_line(out, "/proc/1/comm", "pid1");
	static const char *keys[] = { "Uid:", "Gid:", "Groups:", "CapInh:", "CapPrm:", "CapEff:",
	                              "CapBnd:", "CapAmb:", "NoNewPrivs:", "Seccomp:", "Seccomp_filters:" };
	FILE *st = fopen("/proc/self/status", "r");
	if (!st)
		fail("/proc/self/status");
	char line[512];
	while (fgets(line, sizeof line, st))
		for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++)
			if (strncmp(line, keys[k], strlen(keys[k])) == 0)
				fputs(line, out);
	fclose(st);
	static const char *paths[] = { "/dev/stdout", "/dev/stderr", "/proc/self/fd/1", "/proc/self/fd/2" };
	for (size_t k = 0; k < sizeof paths / sizeof paths[0]; k++) {
		int fd = open(paths[k], O_WRONLY | O_CLOEXEC);
		if (fd < 0) {
			if (errno == EACCES)
				fprintf(out, "reopen %s=EACCES\n", paths[k]);
			else
				fprintf(out, "reopen %s=errno%d\n", paths[k], errno);
			continue;
		}
		dprintf(fd, "ct-probe: wrote to %s\n", paths[k]);
		close(fd);
		fprintf(out, "reopen %s=ok\n", paths[k]);
	}
	for (; *vars; vars++) {
		if (strchr(*vars, '=')) {
			fprintf(out, "arg %s\n", *vars);
			continue;
		}
		const char *value = getenv(*vars);
		if (value)
			fprintf(out, "env %s=%s\n", *vars, value);
		else
			fprintf(out, "env %s unset\n", *vars);
	}
	finish_report(out, tmp, name);
	return 0;
}

static int wait_signal(const char *name)
{
	sigset_t all;
	sigfillset(&all);
	if (sigprocmask(SIG_BLOCK, &all, NULL) != 0)
		fail("sigprocmask");
	char tmp[PATH_MAX], ready[NAME_MAX];
	snprintf(ready, sizeof ready, "%s.ready", name);
	FILE *out = start_report(ready, tmp, sizeof tmp);
	fprintf(out, "pid=%d\n", (int)getpid());
	finish_report(out, tmp, ready);
	siginfo_t si;
	int sig = sigwaitinfo(&all, &si);
	if (sig < 0)
		fail("sigwaitinfo");
	out = start_report(name, tmp, sizeof tmp);
	fprintf(out, "signal=%d from=%d\n", sig, (int)si.si_pid);
	finish_report(out, tmp, name);
	return 100 + sig;
}

/* "Z" for a zombie, "" when gone, else the state letter. */
static char proc_state(pid_t pid)
{
	char path[64], buf[512];
	snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
	FILE *f = fopen(path, "r");
	if (!f)
		return 0;
	size_t n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[n] = '\0';
	const char *paren = strrchr(buf, ')');
	return paren && paren[1] == ' ' ? paren[2] : '?';
}

static int orphans(const char *name)
{
	pid_t kids[3];
	for (int k = 0; k < 3; k++) {
		int fds[2];
		if (pipe(fds) != 0)
			fail("pipe");
		pid_t child = fork();
		if (child < 0)
			fail("fork");
		if (child == 0) {
			pid_t me = getpid(), g = fork();
			if (g == 0) {
				while (getppid() == me)
					usleep(1000);
				_exit(0);
			}
			if (write(fds[1], &g, sizeof g) != (ssize_t)sizeof g)
				_exit(1);
			_exit(0);
		}
		close(fds[1]);
		if (read(fds[0], &kids[k], sizeof kids[k]) != (ssize_t)sizeof kids[k])
			fail("read");
		close(fds[0]);
		waitpid(child, NULL, 0);
	}
	int gone = 0, zombie = 0;
	for (int tick = 0; tick < 2000; tick++) {
		gone = zombie = 0;
		for (int k = 0; k < 3; k++) {
			char st = proc_state(kids[k]);
			gone += st == 0;
			zombie += st == 'Z';
		}
		if (gone == 3)
			break;
		usleep(10000);
	}
	char tmp[PATH_MAX];
	FILE *out = start_report(name, tmp, sizeof tmp);
	fprintf(out, "orphans=3 gone=%d zombie=%d\n", gone, zombie);
	finish_report(out, tmp, name);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 4 && strcmp(argv[2], "orphans") == 0) {
		dir = argv[1];
		return orphans(argv[3]);
	}
	if (argc >= 4 && strcmp(argv[2], "status") == 0) {
		dir = argv[1];
		return status(argv[3], argv + 4);
	}
	if (argc == 4 && strcmp(argv[2], "signal") == 0) {
		dir = argv[1];
		return wait_signal(argv[3]);
	}
	if (argc >= 4 && strcmp(argv[2], "serve") == 0) {
		dir = argv[1];
		char name[NAME_MAX];
		snprintf(name, sizeof name, "%s-signal", argv[3]);
		status(argv[3], argv + 4);
		return wait_signal(name);
	}
	fprintf(stderr, "usage: ct-probe DIR status|serve NAME [VAR...] | ct-probe DIR signal NAME\n");
	return 2;
}
