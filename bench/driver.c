/* bench/driver.c — starts each init as PID 1 of a fresh PID + mount namespace (what
 * `unshare --pid --fork --mount-proc` does, without unshare's own exec) and measures it.
 *
 *   driver startup ROUNDS CMD VARIANT...   wall time clone→waitpid of `<init> CMD`; variants
 *                                          interleaved in a shuffled order each round
 *   driver startup-pinned ROUNDS CMD VARIANT...  the same with everything on one CPU: no
 *                                          hop wakes the other (idle) vCPU
 *   driver rss WORKLOAD VARIANT...         VmRSS of PID 1 while `workload ready` sleeps
 *                                          (at 0.1 s and at 2.5 s)
 *   driver signal COUNT WORKLOAD VARIANT...  kill(PID 1, SIGUSR1) → workload handler ran
 *   driver signal-pinned ...               the same, all on one CPU under SCHED_FIFO
 *   driver reap N BATCH REPS WORKLOAD VARIANT...  time for PID 1 to reap N orphans released
 *                                          BATCH at a time (see workload.c)
 *
 * --session first: each PID 1 leads a new session without a terminal, as runc starts a
 * container's; the metric names get "-session" (startup-session, signal-session...).
 *
 * VARIANT is "name=/path/to/init arg..." (split on spaces; the workload's argv is appended);
 * "name=" runs the workload itself as PID 1. Results go to stdout as tab-separated lines
 * "metric name value..."; progress and errors go to stderr. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "rec.h"

#define MAX_VARIANTS 16
#define MAX_ARGS 32

struct variant {
	const char *name;
	char *argv[MAX_ARGS];
	int argc;
};

static struct variant variants[MAX_VARIANTS];
static int nvariants;
static char fifo_dir[] = "/tmp/usher-bench.XXXXXX";
static char fifo_path[sizeof fifo_dir + 8];
static int fifo = -1;
static char cg_dir[96];          /* a pids cgroup of our own for the reaping run, or "" */
static char cg_current[128];     /* its pids.current */

static void cleanup(void)
{
	if (fifo_path[0])
		unlink(fifo_path);
	if (strchr(fifo_dir, 'X') == NULL)
		rmdir(fifo_dir);
	/* Emptied when the last task is reaped; that can trail waitpid() by a moment. */
	for (int i = 0; cg_dir[0] && i < 100; i++) {
		if (rmdir(cg_dir) == 0 || errno == ENOENT)
			break;
		usleep(10 * 1000);
	}
}

static _Noreturn void die(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("driver: ", stderr);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	cleanup();
	exit(1);
}

static int64_t now_ns(void)
{
	struct timespec ts;
	if (clock_gettime(CLOCK_MONOTONIC, &ts) < 0)
		die("clock_gettime: %s", strerror(errno));
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static long parse_count(const char *s)
{
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno || *end || v <= 0)
		die("not a positive count: '%s'", s);
	return v;
}

static void parse_variant(char *spec)
{
	if (nvariants == MAX_VARIANTS)
		die("too many variants (max %d)", MAX_VARIANTS);
	struct variant *v = &variants[nvariants++];
	char *eq = strchr(spec, '=');
	if (!eq || eq == spec)
		die("variant '%s' is not name=command", spec);
	*eq = '\0';
	v->name = spec;
	for (char *save = NULL, *w = strtok_r(eq + 1, " ", &save); w; w = strtok_r(NULL, " ", &save)) {
		if (v->argc == MAX_ARGS - 8)
			die("variant %s: too many words", v->name);
		v->argv[v->argc++] = w;
	}
}

/* argv of the variant followed by the workload's words; the array lives in buf. */
static char **full_argv(const struct variant *v, char **buf, char *const work[])
{
	int n = 0;
	for (int i = 0; i < v->argc; i++)
		buf[n++] = v->argv[i];
	for (int i = 0; work[i]; i++) {
		if (n == MAX_ARGS - 1)
			die("variant %s: too many words", v->name);
		buf[n++] = work[i];
	}
	buf[n] = NULL;
	return buf;
}

/* --session: PID 1 leads a session of its own without a terminal, as runc makes it (a
 * container's /proc/1/stat says session 1); the metrics are then named NAME-session. */
static bool own_session;

static const char *metric_name(const char *base)
{
	static char name[64];
	snprintf(name, sizeof name, "%s%s", base, own_session ? "-session" : "");
	return name;
}

/* clone(CLONE_NEWPID|CLONE_NEWNS): the child is PID 1 of the new namespace; like
 * unshare --mount-proc it makes / private and mounts a fresh /proc, then execs argv. */
static pid_t spawn(char **argv)
{
	fflush(NULL);
	pid_t pid = (pid_t)syscall(SYS_clone, CLONE_NEWPID | CLONE_NEWNS | SIGCHLD, NULL, NULL, NULL, NULL);
	if (pid < 0)
		die("clone(CLONE_NEWPID|CLONE_NEWNS): %s (root needed)", strerror(errno));
	if (pid == 0) {
		if (mount("none", "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) {
			fprintf(stderr, "driver: make / private: %s\n", strerror(errno));
			_exit(126);
		}
		if (mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0) {
			fprintf(stderr, "driver: mount /proc: %s\n", strerror(errno));
			_exit(126);
		}
		if (cg_dir[0]) { /* join the bench's pids cgroup: "0" is the writer itself */
			char procs[128];
			snprintf(procs, sizeof procs, "%s/cgroup.procs", cg_dir);
			int fd = open(procs, O_WRONLY | O_CLOEXEC);
			if (fd < 0 || write(fd, "0", 1) != 1) {
				fprintf(stderr, "driver: join %s: %s\n", procs, strerror(errno));
				_exit(126);
			}
			close(fd);
		}
		if (own_session && setsid() < 0) {
			fprintf(stderr, "driver: setsid: %s\n", strerror(errno));
			_exit(126);
		}
		if (dup2(2, 1) < 0) /* keep the driver's stdout for results */
			_exit(126);
		if (fifo >= 0)
			close(fifo);
		execv(argv[0], argv);
		fprintf(stderr, "driver: exec %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	return pid;
}

static int wait_exit(pid_t pid, const char *name)
{
	int st;
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			die("%s: waitpid: %s", name, strerror(errno));
	if (WIFEXITED(st))
		return WEXITSTATUS(st);
	return 128 + WTERMSIG(st);
}

static void open_fifo(void)
{
	if (!mkdtemp(fifo_dir))
		die("mkdtemp %s: %s", fifo_dir, strerror(errno));
	snprintf(fifo_path, sizeof fifo_path, "%s/fifo", fifo_dir);
	if (mkfifo(fifo_path, 0600) < 0)
		die("mkfifo %s: %s", fifo_path, strerror(errno));
	/* O_RDWR: never blocks on open, never sees EOF between workloads. */
	fifo = open(fifo_path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (fifo < 0)
		die("open %s: %s", fifo_path, strerror(errno));
}

static void drain_fifo(void)
{
	struct rec r;
	while (read(fifo, &r, sizeof r) > 0)
		;
}

/* Waits up to timeout_ms for a record of the given kind; dies if PID 1 exits first. */
static struct rec wait_rec(int64_t kind, pid_t pid, const char *name, int timeout_ms)
{
	int64_t deadline = now_ns() + (int64_t)timeout_ms * 1000000;
	for (;;) {
		struct pollfd p = { .fd = fifo, .events = POLLIN };
		int rc = poll(&p, 1, 100);
		if (rc < 0 && errno != EINTR)
			die("poll: %s", strerror(errno));
		if (rc > 0) {
			struct rec r;
			ssize_t n = read(fifo, &r, sizeof r);
			if (n == (ssize_t)sizeof r) {
				if (r.kind == kind)
					return r;
				continue;
			}
			if (n < 0 && errno != EAGAIN && errno != EINTR)
				die("read fifo: %s", strerror(errno));
			if (n >= 0)
				die("short record (%zd bytes) on the fifo", n);
			continue;
		}
		int st;
		pid_t w = waitpid(pid, &st, WNOHANG);
		if (w == pid)
			die("%s: PID 1 exited (status 0x%x) before the workload reported", name, st);
		if (now_ns() > deadline) {
			kill(pid, SIGKILL);
			waitpid(pid, &st, 0);
			die("%s: no report from the workload within %d ms", name, timeout_ms);
		}
	}
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

/* Quantile q (0..1) of a sorted array, nearest rank. */
static int64_t quant(const int64_t *s, long n, double q)
{
	long i = (long)(q * (double)(n - 1) + 0.5);
	return s[i < 0 ? 0 : i >= n ? n - 1 : i];
}

static void shuffle(int *order, int n, unsigned *seed)
{
	for (int i = n - 1; i > 0; i--) {
		int j = rand_r(seed) % (i + 1), t = order[i];
		order[i] = order[j];
		order[j] = t;
	}
}

static void pin_to_last_cpu(void)
{
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	cpu_set_t set;
	CPU_ZERO(&set);
	CPU_SET(ncpu > 1 ? (int)ncpu - 1 : 0, &set);
	if (sched_setaffinity(0, sizeof set, &set) != 0)
		die("sched_setaffinity: %s", strerror(errno));
}

static int cmd_startup(long rounds, char *cmd, bool pinned)
{
	if (pinned)
		pin_to_last_cpu();
	char *work[] = { cmd, NULL };
	long warm = rounds / 10 < 5 ? 5 : rounds / 10;
	int64_t *t[MAX_VARIANTS];
	int order[MAX_VARIANTS], base = -1;
	unsigned seed = 12345;
	for (int v = 0; v < nvariants; v++) {
		t[v] = calloc((size_t)rounds, sizeof(int64_t));
		if (!t[v])
			die("calloc: %s", strerror(errno));
		order[v] = v;
		if (variants[v].argc == 0)
			base = v;
	}
	for (long r = -warm; r < rounds; r++) {
		shuffle(order, nvariants, &seed);
		for (int k = 0; k < nvariants; k++) {
			int v = order[k];
			char *buf[MAX_ARGS];
			char **argv = full_argv(&variants[v], buf, work);
			int64_t t0 = now_ns();
			pid_t pid = spawn(argv);
			int rc = wait_exit(pid, variants[v].name);
			int64_t t1 = now_ns();
			if (rc != 0)
				die("%s: `%s ...` exited %d, expected 0", variants[v].name, argv[0], rc);
			if (r >= 0)
				t[v][r] = t1 - t0;
		}
	}
	/* Per variant: median and spread of the wall time, and the median of the per-round
	 * difference to the no-init baseline (paired: drift and load hit both alike). */
	int64_t *d = calloc((size_t)rounds, sizeof(int64_t));
	if (!d)
		die("calloc: %s", strerror(errno));
	for (int v = 0; v < nvariants; v++) {
		double over = 0;
		if (base >= 0) {
			for (long r = 0; r < rounds; r++)
				d[r] = t[v][r] - t[base][r];
			qsort(d, (size_t)rounds, sizeof *d, cmp_i64);
			over = (double)quant(d, rounds, 0.5) / 1000.0;
		}
		qsort(t[v], (size_t)rounds, sizeof(int64_t), cmp_i64);
		printf("%s\t%s\t%.1f\t%.1f\t%.1f\t%.1f\t%ld\n", metric_name(pinned ? "startup1cpu" : "startup"),
		       variants[v].name,
		       (double)quant(t[v], rounds, 0.5) / 1000.0, (double)quant(t[v], rounds, 0.1) / 1000.0,
		       (double)quant(t[v], rounds, 0.9) / 1000.0, over, rounds);
	}
	return 0;
}

static long vm_kb(pid_t pid, const char *field)
{
	char path[64], line[256];
	snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
	FILE *f = fopen(path, "re");
	if (!f)
		die("open %s: %s", path, strerror(errno));
	size_t len = strlen(field);
	long kb = -1;
	while (fgets(line, sizeof line, f))
		if (strncmp(line, field, len) == 0 && line[len] == ':')
			kb = strtol(line + len + 1, NULL, 10);
	fclose(f);
	if (kb < 0)
		die("no %s in %s", field, path);
	return kb;
}

/* All inits at once, 3 times: VmRSS 0.1 s after the workload reported ready, and again at
 * 2.5 s (the steady state: an init may hand pages back after start-up). Medians of 3. */
static int cmd_rss(char *workload)
{
	char *work[] = { workload, "ready", fifo_path, NULL };
	long early[MAX_VARIANTS][3], steady[MAX_VARIANTS][3], hwm[MAX_VARIANTS] = { 0 };
	pid_t pid[MAX_VARIANTS];
	for (int rep = 0; rep < 3; rep++) {
		for (int v = 0; v < nvariants; v++) {
			char *buf[MAX_ARGS];
			drain_fifo();
			pid[v] = spawn(full_argv(&variants[v], buf, work));
			wait_rec(REC_READY, pid[v], variants[v].name, 10000);
		}
		int64_t t0 = now_ns();
		usleep(100 * 1000);
		for (int v = 0; v < nvariants; v++)
			early[v][rep] = vm_kb(pid[v], "VmRSS");
		int64_t left = 2500 * (int64_t)1000000 - (now_ns() - t0);
		if (left > 0)
			usleep((useconds_t)(left / 1000));
		for (int v = 0; v < nvariants; v++) {
			steady[v][rep] = vm_kb(pid[v], "VmRSS");
			long h = vm_kb(pid[v], "VmHWM");
			hwm[v] = h > hwm[v] ? h : hwm[v];
			if (kill(pid[v], SIGKILL) < 0)
				die("kill: %s", strerror(errno));
			wait_exit(pid[v], variants[v].name);
		}
	}
	for (int v = 0; v < nvariants; v++) {
		int64_t e[3], st[3];
		for (int i = 0; i < 3; i++) {
			e[i] = early[v][i];
			st[i] = steady[v][i];
		}
		qsort(e, 3, sizeof e[0], cmp_i64);
		qsort(st, 3, sizeof st[0], cmp_i64);
		printf("rss\t%s\t%" PRId64 "\t%" PRId64 "\t%ld\n", variants[v].name, st[1], e[1], hwm[v]);
	}
	return 0;
}

/* All inits run at once, each in its own namespace; every round signals each once, in a
 * shuffled order, so load from elsewhere on the machine hits them all alike.
 * pinned: the driver, the inits and the workloads all on the last CPU and SCHED_FIFO
 * priority 1 (inherited). Every hop is then a same-CPU switch that others' work cannot
 * delay much, which isolates the init's own path; unpinned, a hop may wake the other,
 * idle vCPU (tens of µs on this VM) and others' load decides a lot. */
static int cmd_signal(long count, char *workload, bool pinned)
{
	const char *metric = metric_name(pinned ? "signal1cpu" : "signal");
	if (pinned) {
		pin_to_last_cpu();
		struct sched_param sp = { .sched_priority = 1 };
		/* musl's sched_setscheduler() is a stub: make the system call. */
		if (syscall(SYS_sched_setscheduler, 0, SCHED_FIFO, &sp) != 0)
			die("SCHED_FIFO: %s", strerror(errno));
	}
	char *work[] = { workload, "sig", fifo_path, NULL };
	long warm = 20;
	int64_t *lat[MAX_VARIANTS];
	pid_t pid[MAX_VARIANTS];
	int order[MAX_VARIANTS];
	unsigned seed = 4242;
	for (int v = 0; v < nvariants; v++) {
		char *buf[MAX_ARGS];
		lat[v] = calloc((size_t)count, sizeof(int64_t));
		if (!lat[v])
			die("calloc: %s", strerror(errno));
		order[v] = v;
		drain_fifo();
		pid[v] = spawn(full_argv(&variants[v], buf, work));
		wait_rec(REC_READY, pid[v], variants[v].name, 10000);
	}
	usleep(50 * 1000);
	for (long i = -warm; i < count; i++) {
		shuffle(order, nvariants, &seed);
		for (int k = 0; k < nvariants; k++) {
			int v = order[k];
			int64_t t0 = now_ns();
			if (kill(pid[v], SIGUSR1) < 0)
				die("kill: %s", strerror(errno));
			struct rec r = wait_rec(REC_SIGNAL, pid[v], variants[v].name, 5000);
			if (i >= 0)
				lat[v][i] = r.a - t0;
			usleep(300); /* independent samples: everyone back in their wait */
		}
	}
	for (int v = 0; v < nvariants; v++) {
		if (kill(pid[v], SIGKILL) < 0)
			die("kill: %s", strerror(errno));
		wait_exit(pid[v], variants[v].name);
		qsort(lat[v], (size_t)count, sizeof(int64_t), cmp_i64);
		printf("%s\t%s\t%.1f\t%.1f\t%.1f\t%ld\n", metric, variants[v].name,
		       (double)quant(lat[v], count, 0.5) / 1000.0, (double)quant(lat[v], count, 0.99) / 1000.0,
		       (double)lat[v][0] / 1000.0, count);
	}
	return 0;
}

/* A pids cgroup (v1 hierarchy or v2 with the controller) for the namespace: its pids.current
 * counts zombies too, so the workload can tell "all reaped" with one small read. */
static void setup_pids_cgroup(void)
{
	static const char *const roots[] = { "/sys/fs/cgroup/pids", "/sys/fs/cgroup" };
	for (size_t i = 0; i < sizeof roots / sizeof *roots; i++) {
		snprintf(cg_dir, sizeof cg_dir, "%s/usher-bench.%d", roots[i], (int)getpid());
		if (access(roots[i], W_OK) == 0 && mkdir(cg_dir, 0755) == 0) {
			snprintf(cg_current, sizeof cg_current, "%s/pids.current", cg_dir);
			if (access(cg_current, R_OK) == 0)
				return;
			rmdir(cg_dir);
		}
	}
	cg_dir[0] = cg_current[0] = '\0';
	fprintf(stderr, "driver: no pids cgroup to count zombies with; the workload scans /proc instead\n");
}

static int cmd_reap(char *n, char *batch, long reps, char *workload)
{
	setup_pids_cgroup();
	char *work[] = { workload, "orphans", n, batch, fifo_path, cg_current[0] ? cg_current : NULL, NULL };
	int64_t total[MAX_VARIANTS][16], create[MAX_VARIANTS][16], left[MAX_VARIANTS];
	if (reps > 16)
		die("at most 16 repetitions");
	int order[MAX_VARIANTS];
	unsigned seed = 777;
	for (int v = 0; v < nvariants; v++) {
		order[v] = v;
		left[v] = 0;
	}
	for (long rep = 0; rep < reps; rep++) {
		shuffle(order, nvariants, &seed);
		for (int k = 0; k < nvariants; k++) {
			int v = order[k];
			char *buf[MAX_ARGS];
			drain_fifo();
			fprintf(stderr, "driver: reap %s %s/%ld\n", variants[v].name, n, rep + 1);
			pid_t pid = spawn(full_argv(&variants[v], buf, work));
			struct rec r = wait_rec(REC_ORPHANS, pid, variants[v].name, 300000);
			fprintf(stderr, "driver: reap %s: created in %.0f ms, reaped %.1f ms after the release\n",
			        variants[v].name, (double)r.a / 1e6, (double)r.b / 1e6);
			int rc = wait_exit(pid, variants[v].name);
			if (r.b < 0)
				die("%s: orphans were not all reaped (%" PRId64 " left)", variants[v].name, r.c);
			if (rc != 0)
				die("%s: exited %d after the reaping run", variants[v].name, rc);
			create[v][rep] = r.a;
			total[v][rep] = r.b;
			left[v] = r.c > left[v] ? r.c : left[v];
		}
	}
	for (int v = 0; v < nvariants; v++) {
		qsort(total[v], (size_t)reps, sizeof(int64_t), cmp_i64);
		qsort(create[v], (size_t)reps, sizeof(int64_t), cmp_i64);
		printf("reap\t%s\t%.1f\t%.1f\t%" PRId64 "\t%ld\t%.1f\t%.1f\n", variants[v].name,
		       (double)quant(total[v], reps, 0.5) / 1e6, (double)quant(create[v], reps, 0.5) / 1e6,
		       left[v], reps, (double)total[v][0] / 1e6, (double)total[v][reps - 1] / 1e6);
	}
	return 0;
}

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "--session") == 0) {
		own_session = true;
		argv++;
		argc--;
	}
	if (argc < 2)
		goto usage;
	const char *mode = argv[1];
	int first;
	bool startup = strcmp(mode, "startup") == 0 || strcmp(mode, "startup-pinned") == 0;
	if (startup && argc >= 5)
		first = 4;
	else if (strcmp(mode, "rss") == 0 && argc >= 4)
		first = 3;
	else if ((strcmp(mode, "signal") == 0 || strcmp(mode, "signal-pinned") == 0) && argc >= 5)
		first = 4;
	else if (strcmp(mode, "reap") == 0 && argc >= 7)
		first = 6;
	else
		goto usage;
	for (int i = first; i < argc; i++)
		parse_variant(argv[i]);
	if (startup)
		return cmd_startup(parse_count(argv[2]), argv[3], strcmp(mode, "startup-pinned") == 0);
	open_fifo();
	int rc;
	if (strcmp(mode, "rss") == 0)
		rc = cmd_rss(argv[2]);
	else if (strcmp(mode, "signal") == 0 || strcmp(mode, "signal-pinned") == 0)
		rc = cmd_signal(parse_count(argv[2]), argv[3], strcmp(mode, "signal-pinned") == 0);
	else {
		parse_count(argv[2]);
		parse_count(argv[3]);
		rc = cmd_reap(argv[2], argv[3], parse_count(argv[4]), argv[5]);
	}
	cleanup();
	if (fflush(stdout) != 0)
		die("write results: %s", strerror(errno));
	return rc;
usage:
	fputs("usage: driver [--session] startup|startup-pinned ROUNDS CMD VARIANT...\n"
	      "       driver rss WORKLOAD VARIANT...\n"
	      "       driver signal|signal-pinned COUNT WORKLOAD VARIANT...\n"
	      "       driver reap N BATCH REPS WORKLOAD VARIANT...\n"
	      "VARIANT is name=/path/to/init [arg...]; 'name=' runs the workload as PID 1\n"
	      "--session: PID 1 leads its own session, as under runc (metrics NAME-session)\n",
	      stderr);
	return 2;
}
