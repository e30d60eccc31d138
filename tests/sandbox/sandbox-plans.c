/* tests/sandbox/sandbox-plans.c — TAP unit test of per-process plans (sandbox.h): two
 * service plans with other users, capabilities, limits and seccomp, applied to two children. */
#include "opt.h"
#include "sandbox.h"
#include "util.h"
#include "../lib/unit-tap.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

/* Plans live as long as usher does: held here, as init/'s tables hold them. */
static struct sandbox_plan *web, *worker;

/* Sets an option through sandbox_options[], as the command line (long name) or the config
 * file (key) would. */
static int set(const char *name, const char *value)
{
	for (const struct usher_opt *o = sandbox_options; o->set; o++)
		if ((o->long_name && strcmp(o->long_name, name) == 0) ||
		    (o->conf_key && strcmp(o->conf_key, name) == 0))
			return o->set(value, name);
	fprintf(stderr, "no option %s\n", name);
	return -1;
}

/* What the child reports after sandbox_apply(p): selected /proc/self/status lines and its
 * NOFILE limit, into report (empty when the apply failed). */
static void run_child(const struct sandbox_plan *p, char *report, size_t size)
{
	int fds[2];
	report[0] = '\0';
	if (pipe(fds) != 0)
		return;
	pid_t pid = fork();
	if (pid == 0) {
		close(fds[0]);
		if (sandbox_apply(p) != 0)
			_exit(125);
		FILE *status = fopen("/proc/self/status", "r");
		FILE *out = fdopen(fds[1], "w");
		char line[512];
		static const char *const keep[] = { "Uid:", "Gid:", "CapEff:", "CapAmb:", "Umask:",
						    "NoNewPrivs:", "Seccomp:" };
		while (status && out && fgets(line, sizeof line, status))
			for (size_t i = 0; i < sizeof keep / sizeof keep[0]; i++)
				if (strncmp(line, keep[i], strlen(keep[i])) == 0)
					fputs(line, out);
		struct rlimit nofile;
		getrlimit(RLIMIT_NOFILE, &nofile);
		if (out)
			fprintf(out, "NOFILE:\t%llu\n", (unsigned long long)nofile.rlim_cur);
		_exit(out && fclose(out) == 0 ? 0 : 1);
	}
	close(fds[1]);
	size_t used = 0;
	ssize_t got;
	while (pid > 0 && used + 1 < size && (got = read(fds[0], report + used, size - used - 1)) > 0)
		used += (size_t)got;
	report[used] = '\0';
	close(fds[0]);
	int wstatus;
	if (pid > 0)
		waitpid(pid, &wstatus, 0);
}

/* The value of "NAME:" in report, tabs made single spaces. */
static const char *field(const char *report, const char *name)
{
	static char value[256];
	char key[64];
	snprintf(key, sizeof key, "\n%s:", name);
	char text[4096];
	snprintf(text, sizeof text, "\n%s", report);
	const char *at = strstr(text, key);
	value[0] = '\0';
	if (!at)
		return value;
	at += strlen(key);
	size_t n = 0;
	for (at += strspn(at, "\t "); *at && *at != '\n' && n + 1 < sizeof value; at++)
		value[n++] = *at == '\t' ? ' ' : *at;
	value[n] = '\0';
	return value;
}

int main(void)
{
	if (geteuid() != 0) {
		printf("1..0 # SKIP plans switch users and keep capabilities: needs root\n");
		return 0;
	}
	struct sandbox_plan *main_plan = sandbox_plan_main();
	web = sandbox_plan_new();
	worker = sandbox_plan_new();
	ok(web && worker && web != worker && web != main_plan, "sandbox_plan_new gives new plans");
	ok(!sandbox_active(web) && !sandbox_active(NULL), "a new plan asks for nothing");

	sandbox_plan_select(web);
	ok(set("user", "4100") == 0 && set("KeepCapabilities", "NET_BIND_SERVICE") == 0 &&
	   set("umask", "0027") == 0 && set("LimitNOFILE", "100") == 0, "web: options set");
	sandbox_plan_select(worker);
	ok(set("User", "4200:4300") == 0 && set("cap-drop", "ALL") == 0 &&
	   set("seccomp", "default") == 0 && set("rlimit", "nofile=200") == 0, "worker: options set");
	sandbox_plan_select(NULL);
	ok(!sandbox_active(main_plan), "the main plan is untouched by the services' options");
	ok(sandbox_active(web) && sandbox_active(worker), "both service plans are active");

	ok(sandbox_prepare(main_plan) == 0 && sandbox_home(main_plan) == NULL, "main plan: nothing to prepare");
	ok(sandbox_prepare(web) == 0 && sandbox_prepare(worker) == 0, "both plans prepared");
	const char *home = sandbox_home(web);
	ok(home != NULL, "web: a HOME for its user (%s)", home ? home : "NULL");

	char report[4096];
	run_child(web, report, sizeof report);
	ok(strcmp(field(report, "Uid"), "4100 4100 4100 4100") == 0, "web child: uid 4100 (%s)", field(report, "Uid"));
	ok(strcmp(field(report, "Gid"), "4100 4100 4100 4100") == 0, "web child: gid 4100");
	ok(strcmp(field(report, "CapEff"), "0000000000000400") == 0, "web child: NET_BIND_SERVICE effective");
	ok(strcmp(field(report, "CapAmb"), "0000000000000400") == 0, "web child: and ambient");
	ok(strcmp(field(report, "Umask"), "0027") == 0, "web child: umask 0027");
	ok(strcmp(field(report, "Seccomp"), "0") == 0, "web child: no seccomp filter");
	ok(strcmp(field(report, "NOFILE"), "100") == 0, "web child: NOFILE 100");

	run_child(worker, report, sizeof report);
	ok(strcmp(field(report, "Uid"), "4200 4200 4200 4200") == 0, "worker child: uid 4200 (%s)", field(report, "Uid"));
	ok(strcmp(field(report, "Gid"), "4300 4300 4300 4300") == 0, "worker child: gid 4300");
	ok(strcmp(field(report, "CapEff"), "0000000000000000") == 0, "worker child: no capabilities");
	ok(strcmp(field(report, "Seccomp"), "2") == 0, "worker child: the default seccomp filter");
	ok(strcmp(field(report, "NoNewPrivs"), "1") == 0, "worker child: no_new_privs");
	ok(strcmp(field(report, "NOFILE"), "200") == 0, "worker child: NOFILE 200");

	/* The same plans again: preparing and applying leave them reusable (restarts). */
	ok(sandbox_prepare(worker) == 0, "worker: prepared again");
	run_child(worker, report, sizeof report);
	ok(strcmp(field(report, "Seccomp"), "2") == 0, "worker child, second start: filter again");

	run_child(main_plan, report, sizeof report);
	ok(strcmp(field(report, "Uid"), "0 0 0 0") == 0, "main child: still root");
	ok(strcmp(field(report, "Seccomp"), "0") == 0 && strcmp(field(report, "NoNewPrivs"), "0") == 0,
	   "main child: no filter, no no_new_privs");

	return done_testing();
}
