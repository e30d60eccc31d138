/* tests/creds/login-echo.c — a login helper that reports what it was given: its stdin,
 * arguments, environment, signal mask, open fds and session, one fact per line. */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Prints the /proc/self/status line that starts with key (SigBlk:, SigIgn:). */
static void status_line(const char *key)
{
	FILE *status = fopen("/proc/self/status", "r");
	char line[256];
	while (status && fgets(line, sizeof line, status))
		if (strncmp(line, key, strlen(key)) == 0)
			printf("%s", line);
	if (status)
		fclose(status);
}

static void describe(void)
{
	struct stat st;
	if (fstat(0, &st) == 0)
		printf("stdin: %s\n", isatty(0) ? "tty" : S_ISFIFO(st.st_mode) ? "pipe" :
			S_ISCHR(st.st_mode) ? "chardev" : "other");
	printf("session leader: %s\n", getsid(0) == getpid() ? "yes" : "no");
	int tty = open("/dev/tty", O_RDWR | O_NOCTTY);
	printf("/dev/tty: %s\n", tty >= 0 ? "opened" : "cannot open");
	if (tty >= 0)
		close(tty);
	printf("group leader: %s\n", getpgid(0) == getpid() ? "yes" : "no");
	status_line("SigBlk:");
	status_line("SigIgn:");
	int extra = 0;
	DIR *fds = opendir("/proc/self/fd");
	struct dirent *entry;
	while (fds && (entry = readdir(fds)))
		if (atoi(entry->d_name) > 2 && atoi(entry->d_name) != dirfd(fds))
			extra++;
	if (fds)
		closedir(fds);
	printf("extra fds: %d\n", extra);
}

/* Every other process this one can see: "PID STATE COMM", for counting what is left. */
static void list_processes(void)
{
	DIR *proc = opendir("/proc");
	struct dirent *entry;
	while (proc && (entry = readdir(proc))) {
		int pid = atoi(entry->d_name);
		if (pid <= 0 || pid == getpid())
			continue;
		char path[64], stat[512] = "";
		snprintf(path, sizeof path, "/proc/%d/stat", pid);
		FILE *file = fopen(path, "r");
		if (!file)
			continue;
		if (!fgets(stat, sizeof stat, file))
			stat[0] = '\0';
		fclose(file);
		/* "pid (comm) S ..." */
		char *open = strchr(stat, '('), *close = strrchr(stat, ')');
		if (open && close && close > open)
			printf("process: %d %c %.*s\n", pid, close[2], (int)(close - open - 1), open + 1);
	}
	if (proc)
		closedir(proc);
}

int main(int argc, char **argv)
{
	int status = 0;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--lines") == 0) {
			/* stdin, line by line, to stdout and stderr */
			char line[1 << 16];
			while (fgets(line, sizeof line, stdin)) {
				line[strcspn(line, "\n")] = '\0';
				printf("stdin: %s\n", line);
				fprintf(stderr, "stdin to stderr: %s\n", line);
			}
		} else if (strcmp(argv[i], "--cat") == 0) {
			int c;
			while ((c = getchar()) != EOF)
				putchar(c);
		} else if (strcmp(argv[i], "--env") == 0 && i + 1 < argc) {
			const char *value = getenv(argv[++i]);
			printf("env %s: %s\n", argv[i], value ? value : "(unset)");
		} else if (strcmp(argv[i], "--long") == 0 && i + 1 < argc) {
			/* one line: N x's, then the first line of stdin, then "end" — a secret that
			 * straddles usher's line buffer */
			long count = atol(argv[++i]);
			char line[1 << 16];
			if (!fgets(line, sizeof line, stdin))
				line[0] = '\0';
			line[strcspn(line, "\n")] = '\0';
			for (long n = 0; n < count; n++)
				putchar('x');
			printf("%send\n", line);
		} else if (strcmp(argv[i], "--no-newline") == 0 && i + 1 < argc) {
			fputs(argv[++i], stderr);
		} else if (strcmp(argv[i], "--processes") == 0) {
			list_processes();
		} else if (strcmp(argv[i], "--describe") == 0) {
			describe();
		} else if (strcmp(argv[i], "--exit") == 0 && i + 1 < argc) {
			status = atoi(argv[++i]);
		} else {
			printf("arg: %s\n", argv[i]);
		}
	}
	fflush(stdout);
	return status;
}
