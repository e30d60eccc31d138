/* tests/sandbox/syscall-probe.c — tries syscalls a seccomp profile decides on and prints
 * "<probe> ok" or "<probe> <ERRNO>" for each (all of them, or those named in argv);
 * `scan ARCH FIRST LAST` tries every syscall number in a range, each in a child. */
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef AF_ALG
#define AF_ALG 38
#endif
#ifndef AF_VSOCK
#define AF_VSOCK 40
#endif
#ifndef SYS_clone3
#define SYS_clone3 435
#endif
/* mseal (Linux 6.10) is newer than the syscalls libseccomp 2.5 names: the ENOSYS stub's case. */
#if !defined(SYS_mseal) && defined(__x86_64__)
#define SYS_mseal 462
#endif
#define KEYCTL_GET_KEYRING_ID 0
#define KEY_SPEC_SESSION_KEYRING -3

static const char *errno_name(int e)
{
	switch (e) {
	case EPERM: return "EPERM";
	case ENOENT: return "ENOENT";
	case EACCES: return "EACCES";
	case EINVAL: return "EINVAL";
	case ENOSYS: return "ENOSYS";
	case EAFNOSUPPORT: return "EAFNOSUPPORT";
	case EFAULT: return "EFAULT";
	case ENOKEY: return "ENOKEY";
	case EBADF: return "EBADF";
	default: return NULL;
	}
}

static void report(const char *probe, long rc)
{
	if (rc >= 0) {
		printf("%s ok\n", probe);
	} else {
		const char *name = errno_name(errno);
		if (name)
			printf("%s %s\n", probe, name);
		else
			printf("%s errno%d\n", probe, errno);
	}
}

static long close_if_fd(long fd)
{
	if (fd >= 0)
		close((int)fd);
	return fd;
}

/* clone with a namespace flag: the child (when the kernel lets one start) leaves at once. */
static long clone_newuts(void)
{
	long pid = syscall(SYS_clone, CLONE_NEWUTS | SIGCHLD, 0, 0, 0, 0);
	if (pid == 0)
		_exit(0);
	if (pid > 0)
		waitpid((pid_t)pid, NULL, 0);
	return pid;
}

static long plain_fork(void)
{
	pid_t pid = fork();
	if (pid == 0)
		_exit(0);
	if (pid > 0)
		waitpid(pid, NULL, 0);
	return pid;
}

static long personality_no_randomize(void)
{
	long rc = personality(PER_LINUX | ADDR_NO_RANDOMIZE);
	if (rc >= 0)
		personality(PER_LINUX);
	return rc;
}

#ifdef __x86_64__
/* A 32-bit (i386) syscall from this 64-bit process: the kernel sees AUDIT_ARCH_I386. */
static long int80(long nr, long a, long b, long c)
{
	long ret;
	__asm__ volatile("int $0x80" : "=a"(ret) : "a"(nr), "b"(a), "c"(b), "d"(c) : "memory");
	if (ret < 0 && ret > -4096) {
		errno = (int)-ret;
		return -1;
	}
	return ret;
}
#endif

static void seccomp_field(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	while (f && fgets(line, sizeof line, f))
		if (strncmp(line, "Seccomp:", 8) == 0)
			printf("seccomp_mode %ld\n", strtol(line + 8, NULL, 10));
	if (f)
		fclose(f);
}

static void run(const char *probe)
{
	errno = 0;
	if (strcmp(probe, "getpid") == 0)
		report(probe, getpid());
	else if (strcmp(probe, "unshare") == 0)
		report(probe, unshare(0)); /* no flags: a no-op the kernel always allows */
	else if (strcmp(probe, "mount") == 0)
		report(probe, mount("none", "/nonexistent-usher-probe", "tmpfs", 0, NULL));
	else if (strcmp(probe, "keyctl") == 0)
		report(probe, syscall(SYS_keyctl, KEYCTL_GET_KEYRING_ID, KEY_SPEC_SESSION_KEYRING, 0));
	else if (strcmp(probe, "clone3") == 0)
		report(probe, syscall(SYS_clone3, NULL, 0)); /* size 0: EINVAL when it gets to the kernel */
	else if (strcmp(probe, "clone_newuts") == 0)
		report(probe, clone_newuts());
	else if (strcmp(probe, "fork") == 0)
		report(probe, plain_fork());
	else if (strcmp(probe, "socket_unix") == 0)
		report(probe, close_if_fd(socket(AF_UNIX, SOCK_STREAM, 0)));
	else if (strcmp(probe, "socket_inet") == 0)
		report(probe, close_if_fd(socket(AF_INET, SOCK_STREAM, 0)));
	else if (strcmp(probe, "socket_alg") == 0)
		report(probe, close_if_fd(socket(AF_ALG, SOCK_SEQPACKET, 0)));
	else if (strcmp(probe, "socket_vsock") == 0)
		report(probe, close_if_fd(socket(AF_VSOCK, SOCK_STREAM, 0)));
	else if (strcmp(probe, "personality_query") == 0)
		report(probe, personality(0xffffffff));
	else if (strcmp(probe, "personality_norandom") == 0)
		report(probe, personality_no_randomize());
	else if (strcmp(probe, "syslog") == 0)
		report(probe, syscall(SYS_syslog, 10 /* SYSLOG_ACTION_SIZE_BUFFER */, NULL, 0));
	else if (strcmp(probe, "chmod") == 0)
		report(probe, chmod("/nonexistent-usher-probe", 0644));
	else if (strcmp(probe, "ptrace") == 0)
		report(probe, syscall(SYS_ptrace, -1L /* no such request */, 0, 0, 0));
#ifdef SYS_mseal
	else if (strcmp(probe, "mseal") == 0)
		report(probe, syscall(SYS_mseal, 0, 0, 0));
#endif
	else if (strncmp(probe, "getpriority:", 12) == 0)
		/* getpriority(N, 0): a syscall whose first argument profiles can compare freely */
		report(probe, syscall(SYS_getpriority, strtoul(probe + 12, NULL, 0), 0));
#ifdef __x86_64__
	else if (strcmp(probe, "i386_getpid") == 0)
		report(probe, int80(20, 0, 0, 0));
	else if (strcmp(probe, "i386_mseal") == 0)
		report(probe, int80(462, 0, 0, 0));
#endif
	else if (strcmp(probe, "seccomp_mode") == 0)
		seccomp_field();
	else
		printf("%s unknown-probe\n", probe);
}


#ifdef __x86_64__
/* int 0x80 with all six i386 argument registers set (ebp saved around it, below the red zone). */
static long int80_6(long nr, long v)
{
	long ret;
	__asm__ volatile("sub $128, %%rsp\n\tpush %%rbp\n\tmov %%rdi, %%rbp\n\tint $0x80\n\tpop %%rbp\n\tadd $128, %%rsp"
	                 : "=a"(ret)
	                 : "a"(nr), "b"(v), "c"(v), "d"(v), "S"(v), "D"(v)
	                 : "memory", "cc");
	if (ret < 0 && ret > -4096) {
		errno = (int)-ret;
		return -1;
	}
	return ret;
}
#endif

/* Calls no scan makes: they block whatever the filter says (pause, sigsuspend), jump into
 * garbage (sigreturn), take long under load (sync) or change the machine (with zeros:
 * acct(NULL) stops accounting, sethostname(NULL, 0) empties the name; kexec). */
static bool scan_skips(const char *arch, long nr, bool zeros)
{
	static const long native_always[] = { 15 /* rt_sigreturn */, 34 /* pause */, 162 /* sync */,
	                                      246 /* kexec_load */, 320 /* kexec_file_load */ };
	static const long native_zeros[] = { 23 /* select */, 70 /* msgrcv */, 163 /* acct */, 170 /* sethostname */,
	                                     171 /* setdomainname */, 270 /* pselect6 */, 271 /* ppoll */ };
	static const long i386_always[] = { 29 /* pause */, 36 /* sync */, 72 /* sigsuspend */,
	                                    119 /* sigreturn */, 173 /* rt_sigreturn */, 283 /* kexec_load */ };
	const long *list = NULL;
	size_t n = 0;
	if (strcmp(arch, "i386") == 0) {
		list = i386_always;
		n = sizeof i386_always / sizeof *i386_always;
	} else {
		if (strcmp(arch, "x32") == 0 && nr == 513) /* x32 rt_sigreturn */
			return true;
		for (size_t k = 0; zeros && k < sizeof native_zeros / sizeof *native_zeros; k++)
			if (native_zeros[k] == nr)
				return true;
		list = native_always;
		n = sizeof native_always / sizeof *native_always;
	}
	for (size_t k = 0; k < n; k++)
		if (list[k] == nr)
			return true;
	return false;
}

static void on_alarm(int sig)
{
	(void)sig;
}

/* One syscall in a child: "ARCH NR PATTERN ok|errnoN|exitN|signalN|timeout". The result is
 * the filter's decision and the kernel's answer to nonsense arguments, the same every run. */
static void scan_one(const char *arch, long nr, bool zeros)
{
	long v = zeros ? 0 : -1;
	pid_t child = fork();
	if (child < 0) {
		printf("%s %ld %s fork-failed\n", arch, nr, zeros ? "zeros" : "ones");
		return;
	}
	if (child == 0) {
		setsid(); /* no terminal for vhangup and friends */
		pid_t me = (pid_t)syscall(SYS_getpid);
		long r;
#ifdef __x86_64__
		if (strcmp(arch, "i386") == 0)
			r = int80_6(nr, v);
		else
#endif
			r = syscall(strcmp(arch, "x32") == 0 ? nr | 0x40000000L : nr, v, v, v, v, v, v);
		int e = errno;
		if (syscall(SYS_getpid) != me) /* fork, vfork, clone: the new one leaves at once */
			syscall(SYS_exit, 0);
		_exit(r == -1 ? e & 0xff : 0);
	}
	alarm(5);
	int st;
	pid_t got = waitpid(child, &st, 0);
	alarm(0);
	if (got != child) {
		kill(child, SIGKILL);
		waitpid(child, &st, 0);
		printf("%s %ld %s timeout\n", arch, nr, zeros ? "zeros" : "ones");
		return;
	}
	printf("%s %ld %s ", arch, nr, zeros ? "zeros" : "ones");
	if (WIFSIGNALED(st))
		printf("signal%d\n", WTERMSIG(st));
	else if (WEXITSTATUS(st) == 0)
		printf("ok\n");
	else
		printf("errno%d\n", WEXITSTATUS(st));
}

/* scan native|x32|i386 FIRST LAST: all args -1, and for native also all args 0. */
static int scan(const char *arch, long first, long last)
{
	struct sigaction sa = { .sa_handler = on_alarm }; /* no SA_RESTART: waitpid says EINTR */
	sigaction(SIGALRM, &sa, NULL);
	/* stdin at end of file (a pipe nobody writes to; /dev/null may not be open to all users) */
	int empty[2];
	if (pipe(empty) != 0 || close(empty[1]) != 0 || dup2(empty[0], 0) < 0)
		return 1;
	for (long nr = first; nr <= last; nr++) {
		for (int zeros = 0; zeros <= (strcmp(arch, "native") == 0); zeros++) {
			if (!scan_skips(arch, nr, zeros))
				scan_one(arch, nr, zeros);
			fflush(stdout);
		}
	}
	return fflush(stdout) == 0 ? 0 : 1;
}

int main(int argc, char **argv)
{
	static const char *const all[] = {
		"getpid", "unshare", "mount", "keyctl", "clone3", "clone_newuts", "fork",
		"socket_unix", "socket_inet", "socket_alg", "socket_vsock", "personality_query",
		"personality_norandom", "syslog", "chmod", "ptrace", "mseal", "seccomp_mode",
	};
	if (argc == 5 && strcmp(argv[1], "scan") == 0)
		return scan(argv[2], strtol(argv[3], NULL, 0), strtol(argv[4], NULL, 0));
	if (argc > 1) {
		for (int i = 1; i < argc; i++)
			run(argv[i]);
	} else {
		for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
			run(all[i]);
	}
	return fflush(stdout) == 0 ? 0 : 1;
}
