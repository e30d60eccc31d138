/* tests/sandbox/status-report.c — the workload of the sandbox tests: prints what it was given,
 * the privilege lines of /proc/self/status, a few resource limits and HOME, one per line. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

static const char *const fields[] = {
	"Umask:", "Uid:", "Gid:", "Groups:", "CapInh:", "CapPrm:", "CapEff:", "CapBnd:", "CapAmb:",
	"NoNewPrivs:", "Seccomp:",
};

static int print_limit(const char *name, int resource)
{
	struct rlimit limit;
	if (getrlimit(resource, &limit) != 0) {
		perror("getrlimit");
		return -1;
	}
	printf("Limit%s:", name);
	if (limit.rlim_cur == RLIM_INFINITY)
		printf("\tinfinity");
	else
		printf("\t%llu", (unsigned long long)limit.rlim_cur);
	if (limit.rlim_max == RLIM_INFINITY)
		printf("\tinfinity\n");
	else
		printf("\t%llu\n", (unsigned long long)limit.rlim_max);
	return 0;
}

int main(void)
{
	FILE *status = fopen("/proc/self/status", "r");
	if (!status) {
		perror("/proc/self/status");
		return 1;
	}
	char line[4096];
	while (fgets(line, sizeof line, status))
		for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
			if (strncmp(line, fields[i], strlen(fields[i])) == 0)
				fputs(line, stdout);
	fclose(status);
	if (print_limit("NOFILE", RLIMIT_NOFILE) != 0 || print_limit("FSIZE", RLIMIT_FSIZE) != 0 ||
	    print_limit("NPROC", RLIMIT_NPROC) != 0)
		return 1;
	const char *home = getenv("HOME");
	printf("HOME:\t%s\n", home ? home : "(unset)");
	return fflush(stdout) == 0 ? 0 : 1;
}
