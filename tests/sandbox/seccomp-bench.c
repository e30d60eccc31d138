/* tests/sandbox/seccomp-bench.c — what the seccomp phase costs at start-up: loading the
 * precompiled built-in filter vs parsing and building it with libseccomp, each in fresh children. */
#include "seccomp-internal.h"
#include "util.h"

#include <errno.h>
#include <linux/seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

enum { RUNS_DEFAULT = 50 };

struct scenario {
	const char *name;
	const char *profile_path; /* NULL: the built-in profile */
	const char *arches;       /* compat arches, or NULL */
	bool precompiled;
	bool parse_only;          /* stop after the JSON: what parsing alone costs */
};

static long long now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int load(const struct sock_filter *insns, unsigned short len)
{
	struct sock_fprog prog = { .len = len, .filter = (struct sock_filter *)insns };
	return (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog);
}

/* The docker-caps variant (seccomp-gen writes it first): what a root workload in a
 * container gets. Packed: its caps only (no insns) until sbx_builtin_variants() unpacks it. */
static const struct sbx_precompiled *docker_variant(void)
{
	return &sbx_builtin_shapes[0];
}

/* In the child: the timed work, from nothing to a loaded filter. Returns ns, or -1. */
static long long run_once(const struct scenario *s, unsigned *insns)
{
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return -1;
	const struct sbx_precompiled *variant = docker_variant();
	long long start = now_ns();
	if (s->precompiled) {
		const struct sbx_precompiled *unpacked = sbx_builtin_variants(); /* timed: usher does it too */
		if (!unpacked || load(unpacked[0].insns, unpacked[0].len) < 0)
			return -1;
		*insns = variant->len;
		return now_ns() - start;
	}
	struct sbx_profile profile;
	size_t json_len;
	const char *json = s->profile_path ? NULL : sbx_builtin_json(&json_len); /* unpacked: timed too */
	int rc = s->profile_path ? sbx_profile_load_file(s->profile_path, &profile)
	                         : json ? sbx_profile_parse(json, json_len, "built-in", &profile) : -1;
	if (rc < 0)
		return -1;
	if (s->parse_only) {
		long long elapsed = now_ns() - start;
		*insns = 0;
		sbx_profile_free(&profile);
		return elapsed;
	}
	uint32_t arches[4];
	size_t arch_count = 0;
	for (const char *p = s->arches; p && *p && arch_count < 4; p += strcspn(p, ",") + (p[strcspn(p, ",")] == ',')) {
		char name[16];
		snprintf(name, sizeof name, "%.*s", (int)strcspn(p, ","), p);
		arches[arch_count++] = sbx_arch_from_name(name);
	}
	struct sbx_build_options options = { .caps = variant->caps, .kernel = sbx_running_kernel(),
	                                     .arches_override = s->arches != NULL, .arches = arches,
	                                     .arch_count = arch_count };
	struct sbx_bpf bpf;
	rc = sbx_profile_compile(&profile, &options, "bench", &bpf);
	if (rc == 0)
		rc = load(bpf.insns, bpf.len);
	long long elapsed = now_ns() - start;
	*insns = bpf.len;
	return rc < 0 ? -1 : elapsed;
}

static int compare(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;
	return (x > y) - (x < y);
}

static int measure(const struct scenario *s, int runs)
{
	long long *samples = calloc((size_t)runs, sizeof *samples);
	unsigned insns = 0;
	if (!samples)
		return -1;
	for (int r = 0; r < runs; r++) {
		int fds[2];
		if (pipe(fds) < 0)
			return -1;
		pid_t pid = fork();
		if (pid == 0) {
			close(fds[0]);
			unsigned child_insns = 0;
			long long ns = run_once(s, &child_insns);
			long long result[2] = { ns, child_insns };
			_exit(write(fds[1], result, sizeof result) == sizeof result ? 0 : 1);
		}
		close(fds[1]);
		long long result[2] = { -1, 0 };
		ssize_t got = pid > 0 ? read(fds[0], result, sizeof result) : -1;
		close(fds[0]);
		if (pid > 0)
			waitpid(pid, NULL, 0);
		if (got != sizeof result || result[0] < 0) {
			fprintf(stderr, "seccomp-bench: %s: run %d failed\n", s->name, r);
			free(samples);
			return -1;
		}
		samples[r] = result[0];
		insns = (unsigned)result[1];
	}
	qsort(samples, (size_t)runs, sizeof *samples, compare);
	long long sum = 0;
	for (int r = 0; r < runs; r++)
		sum += samples[r];
	printf("%-44s %5u insns  mean %8.1f us  median %8.1f us  min %8.1f us\n", s->name, insns,
	       (double)sum / runs / 1000, (double)samples[runs / 2] / 1000, (double)samples[0] / 1000);
	free(samples);
	return 0;
}

int main(int argc, char **argv)
{
	int runs = argc > 1 ? atoi(argv[1]) : RUNS_DEFAULT;
	const char *moby = argc > 2 ? argv[2] : NULL;
	if (runs <= 0) {
		fprintf(stderr, "usage: seccomp-bench [RUNS] [DOCKER-PROFILE.json]\n");
		return 2;
	}
	const struct scenario scenarios[] = {
		{ "built-in, precompiled BPF, seccomp(2)", NULL, NULL, true, false },
		{ "built-in, JSON parse only (jsmn)", NULL, NULL, false, true },
		{ "built-in, parse + libseccomp + load", NULL, NULL, false, false },
		{ "built-in + x86,x32, parse + libseccomp + load", NULL, "x86,x32", false, false },
		{ "Docker file (archMap: +x86,x32), same", moby, NULL, false, false },
		{ "Docker file, native only, same", moby, "", false, false },
	};
	printf("%d runs each, in fresh children; time from nothing to a loaded filter\n", runs);
	for (size_t k = 0; k < sizeof scenarios / sizeof scenarios[0]; k++) {
		if (k >= 4 && !moby)
			break;
		if (measure(&scenarios[k], runs) < 0)
			return 1;
	}
	return 0;
}
