/* bench/workload.c — the workload the benchmarks run under each init (static musl, so it also
 * runs inside a bare runc rootfs). It reports to the driver through a FIFO named on its command line.
 *
 *   workload ready FIFO          report "ready", then sleep until killed        (RSS of PID 1)
 *   workload sig FIFO            report "ready"; on each SIGUSR1 the handler    (signal latency)
 *                                writes CLOCK_MONOTONIC to the FIFO
 *   workload orphans N BATCH FIFO [PIDS_CURRENT]                                    (reaping)
 *                                make N double-forked orphans, BATCH at a time held on a
 *                                pipe, release each batch at once and wait until no task but
 *                                PID 1 and itself is left (counted from the pids cgroup
 *                                file, else from /proc); reports the summed reaping time
 *   workload syscalls N REPS     per-call cost of getppid() and personality(0xffffffff),
 *                                min and median of REPS loops of N calls; prints to stdout
 *
 * Records on the FIFO are struct rec (32 bytes, one write each: atomic). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "rec.h"

static int fifo = -1;

static int64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void die(const char *what)
{
	fprintf(stderr, "workload: %s: %s\n", what, strerror(errno));
	exit(125);
}

static void send_rec(int64_t kind, int64_t a, int64_t b, int64_t c)
{
	struct rec r = { kind, a, b, c };
	if (write(fifo, &r, sizeof r) != (ssize_t)sizeof r)
		_exit(125);
}

static void open_fifo(const char *path)
{
	fifo = open(path, O_WRONLY | O_CLOEXEC);
	if (fifo < 0) {
		fprintf(stderr, "workload: open %s: %s\n", path, strerror(errno));
		exit(125);
	}
}

static long parse_count(const char *s)
{
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno || *end || v <= 0) {
		fprintf(stderr, "workload: not a positive count: %s\n", s);
		exit(125);
	}
	return v;
}

static void on_usr1(int sig)
{
	(void)sig;
	int saved = errno;
	send_rec(REC_SIGNAL, now_ns(), 0, 0);
	errno = saved;
}

/* Processes visible in our /proc other than PID 1 and ourselves. */
static long others_in_proc(void)
{
	DIR *d = opendir("/proc");
	if (!d)
		die("opendir /proc");
	long self = getpid(), n = 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		char *end;
		long pid = strtol(e->d_name, &end, 10);
		if (*end || pid <= 0)
			continue;
		if (pid != 1 && pid != self)
			n++;
	}
	closedir(d);
	return n;
}

/* Tasks other than PID 1 and ourselves, zombies included: from the pids cgroup the driver
 * put the namespace in (one small read), or from a /proc scan when there is none. */
static long others(const char *pids_current)
{
	if (!pids_current)
		return others_in_proc();
	char buf[32];
	int fd = open(pids_current, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		die(pids_current);
	ssize_t n = read(fd, buf, sizeof buf - 1);
	if (n <= 0)
		die(pids_current);
	close(fd);
	buf[n] = '\0';
	return strtol(buf, NULL, 10) - 2;
}

/* Makes `batch` double-forked orphans that block on a pipe until all exist. Returns the
 * pipe's write end: closing it releases them. */
static int make_orphans(long batch)
{
	int gate[2];
	if (pipe2(gate, O_CLOEXEC) < 0)
		die("pipe");
	long retries = 0;
	for (long i = 0; i < batch; i++) {
		/* The intermediate child is vforked (cheap: no page tables to copy) and makes the
		 * orphan with the raw fork syscall, which touches no libc state it shares with us. */
		pid_t c = vfork();
		if (c < 0) {
			if (errno != EAGAIN || ++retries > 1000)
				die("vfork");
			usleep(1000); /* pids limit: let the init catch up */
			i--;
			continue;
		}
		if (c == 0) {
			long g = syscall(SYS_fork);
			if (g == 0) { /* the orphan-to-be: wait for the release, then exit */
				char b;
				syscall(SYS_close, gate[1]);
				while (syscall(SYS_read, gate[0], &b, 1) < 0 && errno == EINTR)
					;
				syscall(SYS_exit, 0);
			}
			_exit(g < 0 ? 1 : 0);
		}
		int st;
		if (waitpid(c, &st, 0) != c)
			die("waitpid");
		if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
			fprintf(stderr, "workload: an intermediate child could not fork\n");
			exit(1);
		}
	}
	close(gate[0]);
	return gate[1];
}

/* N orphans in batches: each batch is created, then released at once; the time from the
 * release until no task but PID 1 and us is left measures how fast PID 1 reaps a burst.
 * Batches keep the pids in use at once well below pid_max on a shared machine. */
static int run_orphans(long n, long batch, const char *pids_current)
{
	int64_t create = 0, reap = 0;
	long max_left = 0;
	for (long done = 0; done < n; done += batch) {
		long this = n - done < batch ? n - done : batch;
		int64_t t0 = now_ns();
		int gate = make_orphans(this);
		int64_t t1 = now_ns();
		close(gate); /* release: every orphan reads EOF and exits */
		long left;
		while ((left = others(pids_current)) > 0) {
			if (left > max_left)
				max_left = left;
			if (now_ns() - t1 > 120 * (int64_t)1000000000) {
				fprintf(stderr, "workload: %ld processes still not reaped after 120 s\n", left);
				send_rec(REC_ORPHANS, create, -1, left);
				return 1;
			}
			usleep(pids_current ? 100 : 1000);
		}
		create += t1 - t0;
		reap += now_ns() - t1;
	}
	send_rec(REC_ORPHANS, create, reap, max_left);
	return 0;
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

static void loop_cost(const char *name, long nr, long arg, long n, long reps)
{
	int64_t *per = calloc((size_t)reps, sizeof *per);
	if (!per)
		die("calloc");
	long rc = syscall(nr, arg);
	int err = rc < 0 ? errno : 0;
	for (long r = 0; r < reps; r++) {
		int64_t t0 = now_ns();
		for (long i = 0; i < n; i++)
			syscall(nr, arg);
		per[r] = (now_ns() - t0) * 1000 / n; /* picoseconds per call */
	}
	qsort(per, (size_t)reps, sizeof *per, cmp_i64);
	printf("%s\t%.1f\t%.1f\t%s\n", name, per[0] / 1000.0, per[reps / 2] / 1000.0,
	       err ? strerror(err) : "ok");
	free(per);
}

/* "seccomp MODE FILTERS" from /proc/self/status: shows which filter the loops ran under. */
static void print_seccomp_status(void)
{
	FILE *f = fopen("/proc/self/status", "re");
	char line[128], mode[32] = "?", filters[32] = "?";
	if (!f)
		die("open /proc/self/status");
	while (fgets(line, sizeof line, f)) {
		if (sscanf(line, "Seccomp: %31s", mode) == 1)
			continue;
		sscanf(line, "Seccomp_filters: %31s", filters);
	}
	fclose(f);
	printf("seccomp\t%s\t%s\n", mode, filters);
}

int main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "ready") == 0) {
		open_fifo(argv[2]);
		send_rec(REC_READY, now_ns(), getpid(), 0);
		for (;;)
			pause();
	}
	if (argc == 3 && strcmp(argv[1], "sig") == 0) {
		open_fifo(argv[2]);
		struct sigaction sa = { .sa_handler = on_usr1 };
		sigemptyset(&sa.sa_mask);
		if (sigaction(SIGUSR1, &sa, NULL) < 0)
			die("sigaction");
		send_rec(REC_READY, now_ns(), getpid(), 0);
		for (;;)
			pause();
	}
	if ((argc == 5 || argc == 6) && strcmp(argv[1], "orphans") == 0) {
		long n = parse_count(argv[2]), batch = parse_count(argv[3]);
		open_fifo(argv[4]);
		return run_orphans(n, batch, argc == 6 ? argv[5] : NULL);
	}
	if (argc == 4 && strcmp(argv[1], "syscalls") == 0) {
		long n = parse_count(argv[2]), reps = parse_count(argv[3]);
		print_seccomp_status();
		loop_cost("getppid", SYS_getppid, 0, n, reps);
		loop_cost("personality", SYS_personality, 0xffffffffL, n, reps);
		return fflush(stdout) == 0 ? 0 : 125;
	}
	fputs("workload: usage: workload ready FIFO | sig FIFO | orphans N BATCH FIFO [PIDS_CURRENT] | syscalls N REPS\n", stderr);
	return 125;
}
