/* tests/oci/oci-workload.c — the program oci.t runs inside a runc container, under usher or as PID 1.
 * Reports what it sees (its pids, PID 1's name, an orphan's fate, SIGTERM) as files in a results dir. */

/* Usage: oci-workload DIR MODE TOKEN [polite|stubborn]
 *   DIR   results directory (a bind mount from the host); files are replaced atomically:
 *         ready   "pid=P ppid=Q pid1=COMM orphan=G sleeper=S" once set up (sleeper running)
 *         sleeper-ready  "pid=S" once the sleeper handles SIGTERM
 *         orphan  "zombie" or "gone": the exited orphan grandchild G as seen in /proc
 *         term    "sigterm from=SENDER orphan=STATE" when SIGTERM arrives
 *   MODE  exit:N  on SIGTERM, write term and exit with status N
 *         die    on SIGTERM, write term and die of SIGTERM (default action)
 *         stay   on SIGTERM, write term and keep running (to be killed after a grace period)
 *         sleeper-term  "sigterm from=SENDER exiting|staying" when the sleeper gets SIGTERM
 *   TOKEN unique text: the sleeping orphan runs as "oci-workload sleeper TOKEN-sleeper ..."
 *   polite (default): the sleeper exits on SIGTERM; stubborn: it stays until SIGKILL
 * The orphans: G exits as soon as its parent has gone, so only PID 1 can reap it; S is an
 * orphan that sleeps until signalled (its argv names it, so the host can look for it). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static const char *dir;
static volatile sig_atomic_t got_term;
static volatile sig_atomic_t term_from = -1;

static void die(const char *what)
{
	fprintf(stderr, "oci-workload: %s: %s\n", what, strerror(errno));
	exit(99);
}

/* Writes NAME in the results dir atomically: NAME.tmp, then rename. */
static void report(const char *name, const char *fmt, ...)
{
	char path[PATH_MAX], tmp[PATH_MAX], text[512];
	va_list ap;
	va_start(ap, fmt);
	int len = vsnprintf(text, sizeof text, fmt, ap);
	va_end(ap);
	if (len < 0 || (size_t)len >= sizeof text)
		die("report text too long");
	snprintf(path, sizeof path, "%s/%s", dir, name);
	snprintf(tmp, sizeof tmp, "%s/.%s.tmp", dir, name);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		die(tmp);
	if (write(fd, text, (size_t)len) != len)
		die("write");
	if (fsync(fd) != 0 || close(fd) != 0)
		die("close");
	if (rename(tmp, path) != 0)
		die("rename");
}

static void on_term(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)uc;
	got_term = 1;
	term_from = si ? si->si_pid : -1;
}

/* "zombie", "alive" or "gone", from /proc/PID/stat. */
static const char *proc_state(pid_t pid)
{
	char path[64], buf[512];
	snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return "gone";
	ssize_t n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n <= 0)
		return "gone";
	buf[n] = '\0';
	const char *paren = strrchr(buf, ')'); /* "pid (comm) S ..." */
	if (!paren || paren[1] != ' ')
		return "alive";
	return paren[2] == 'Z' ? "zombie" : "alive";
}

static void pid1_comm(char *out, size_t size)
{
	int fd = open("/proc/1/comm", O_RDONLY | O_CLOEXEC);
	ssize_t n = fd < 0 ? -1 : read(fd, out, size - 1);
	if (fd >= 0)
		close(fd);
	if (n <= 0) {
		snprintf(out, size, "unknown");
		return;
	}
	out[n] = '\0';
	out[strcspn(out, "\n")] = '\0';
}

/* Forks a child that forks the orphan and exits at once; returns the orphan's pid.
 * argv_sleeper non-NULL: the orphan execs it (and sleeps); else it exits once orphaned. */
static pid_t make_orphan(char *const *argv_sleeper)
{
	int fds[2];
	if (pipe2(fds, O_CLOEXEC) != 0)
		die("pipe2");
	pid_t child = fork();
	if (child < 0)
		die("fork");
	if (child == 0) {
		pid_t me = getpid();
		pid_t g = fork();
		if (g < 0)
			_exit(98);
		if (g == 0) {
			close(fds[0]);
			close(fds[1]);
			while (getppid() == me) /* wait to be orphaned */
				nanosleep(&(struct timespec){ .tv_nsec = 1000000 }, NULL);
			if (argv_sleeper) {
				execv(argv_sleeper[0], argv_sleeper);
				_exit(97);
			}
			_exit(0);
		}
		if (write(fds[1], &g, sizeof g) != (ssize_t)sizeof g)
			_exit(96);
		_exit(0);
	}
	close(fds[1]);
	pid_t g = -1;
	if (read(fds[0], &g, sizeof g) != (ssize_t)sizeof g)
		die("read orphan pid");
	close(fds[0]);
	int status;
	if (waitpid(child, &status, 0) != child)
		die("waitpid");
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		errno = 0;
		die("orphan maker failed");
	}
	return g;
}

/* Blocks SIGTERM and installs on_term; *old gets the mask to wait with in sigsuspend. */
static void catch_sigterm(sigset_t *old)
{
	sigset_t term;
	sigemptyset(&term);
	sigaddset(&term, SIGTERM);
	if (sigprocmask(SIG_BLOCK, &term, old) != 0)
		die("sigprocmask");
	struct sigaction sa = { .sa_sigaction = on_term, .sa_flags = SA_SIGINFO };
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGTERM, &sa, NULL) != 0)
		die("sigaction");
}

/* The sleeping orphan: argv "sleeper NAME DIR polite|stubborn". */
static int sleeper(char **argv)
{
	dir = argv[3];
	bool stubborn = strcmp(argv[4], "stubborn") == 0;
	sigset_t old;
	catch_sigterm(&old);
	sigdelset(&old, SIGTERM);
	report("sleeper-ready", "pid=%d\n", (int)getpid());
	for (;;) {
		sigsuspend(&old);
		if (got_term) {
			got_term = 0;
			report("sleeper-term", "sigterm from=%d %s\n", (int)term_from,
			       stubborn ? "staying" : "exiting");
			if (!stubborn)
				return 0;
		}
	}
}

int main(int argc, char **argv)
{
	if (argc == 5 && strcmp(argv[1], "sleeper") == 0)
		return sleeper(argv);
	if (argc != 4 && argc != 5) {
		fprintf(stderr, "usage: oci-workload DIR exit:N|die|stay TOKEN [polite|stubborn]\n");
		return 2;
	}
	dir = argv[1];
	const char *orphan_kind = argc == 5 ? argv[4] : "polite";
	if (strcmp(orphan_kind, "polite") != 0 && strcmp(orphan_kind, "stubborn") != 0) {
		fprintf(stderr, "oci-workload: bad orphan kind %s\n", orphan_kind);
		return 2;
	}
	const char *mode = argv[2];
	int code = -1;
	if (strncmp(mode, "exit:", 5) == 0) {
		char *end;
		long n = strtol(mode + 5, &end, 10);
		if (*end || end == mode + 5 || n < 0 || n > 255) {
			fprintf(stderr, "oci-workload: bad mode %s\n", mode);
			return 2;
		}
		code = (int)n;
	} else if (strcmp(mode, "die") != 0 && strcmp(mode, "stay") != 0) {
		fprintf(stderr, "oci-workload: bad mode %s\n", mode);
		return 2;
	}

	sigset_t old;
	catch_sigterm(&old);

	/* The sleeper's argv holds "TOKEN-sleeper" so the host can find it in /proc/PID/cmdline. */
	char name[256];
	snprintf(name, sizeof name, "%s-sleeper", argv[3]);
	char *sleeper_argv[] = { argv[0], "sleeper", name, (char *)dir, (char *)orphan_kind, NULL };
	pid_t sleeper = make_orphan(sleeper_argv);
	/* Ready only once the sleeper has exec'd and can take SIGTERM: no race with the host. */
	char flag[PATH_MAX];
	snprintf(flag, sizeof flag, "%s/sleeper-ready", dir);
	for (int ms = 0; access(flag, F_OK) != 0; ms++) {
		if (ms > 60000) {
			errno = ETIMEDOUT;
			die("the sleeper did not start within 60 s");
		}
		nanosleep(&(struct timespec){ .tv_nsec = 1000000 }, NULL);
	}
	pid_t orphan = make_orphan(NULL);

	char comm[64];
	pid1_comm(comm, sizeof comm);
	report("ready", "pid=%d ppid=%d pid1=%s orphan=%d sleeper=%d\n",
	       (int)getpid(), (int)getppid(), comm, (int)orphan, (int)sleeper);

	const char *last = "";
	sigset_t wait_mask = old;
	sigdelset(&wait_mask, SIGTERM);
	for (;;) {
		const char *now = proc_state(orphan);
		if (strcmp(now, last) != 0 && strcmp(now, "alive") != 0) {
			report("orphan", "%s\n", now);
			last = now;
		}
		if (got_term) {
			got_term = 0;
			report("term", "sigterm from=%d orphan=%s\n", (int)term_from, now);
			if (code >= 0)
				return code;
			if (strcmp(mode, "die") == 0) {
				signal(SIGTERM, SIG_DFL);
				sigprocmask(SIG_SETMASK, &old, NULL);
				raise(SIGTERM);
				errno = 0;
				die("still alive after raise(SIGTERM)");
			}
			/* stay: keep running until SIGKILL */
		}
		/* Sleep 20 ms with SIGTERM unblocked: a SIGTERM wakes us at once. */
		struct timespec tick = { .tv_nsec = 20 * 1000000 };
		if (pselect(0, NULL, NULL, NULL, &tick, &wait_mask) < 0 && errno != EINTR)
			die("pselect");
	}
}
