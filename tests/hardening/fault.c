/* tests/hardening/fault.c — checks the claim init/signals.c rests on: a real fault in a
 * process that blocks the fault signals (as usher does) still ends it by that signal. */
#include "signals.h"

#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/* fault segv|ill|fpe|bus|trap|abrt: block what usher blocks, then fault that way. */
int main(int argc, char **argv)
{
	sigset_t handled;
	signal_fill_handled(&handled);
	if (argc != 2 || sigprocmask(SIG_BLOCK, &handled, NULL) != 0)
		return 2;
	const char *how = argv[1];
	if (strcmp(how, "segv") == 0) {
		static volatile uintptr_t address = 16; /* opaque to the compiler */
		*(volatile int *)address = 1;
	} else if (strcmp(how, "ill") == 0) {
#if defined(__aarch64__)
		__asm__ volatile("udf #0");
#else
		__asm__ volatile("ud2");
#endif
	} else if (strcmp(how, "fpe") == 0) {
#if defined(__x86_64__)
		/* In asm: UBSan (the ASan build) would report a C division by zero and exit 1
		 * before the CPU traps. arm64 divides by zero without a trap, hence raise(). */
		__asm__ volatile("xorl %%ecx, %%ecx\n\tmovl $1, %%eax\n\tcltd\n\tidivl %%ecx"
				 ::: "eax", "ecx", "edx");
#else
		raise(SIGFPE);
#endif
	} else if (strcmp(how, "bus") == 0) {
		char name[] = "/tmp/usher-fault-XXXXXX";
		int fd = mkstemp(name);
		if (fd < 0)
			return 3;
		unlink(name);
		volatile char *page = mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0);
		if (page == MAP_FAILED)
			return 4;
		return page[0]; /* past the end of an empty file: SIGBUS */
	} else if (strcmp(how, "trap") == 0) {
#if defined(__x86_64__)
		__asm__ volatile("int3");
#elif defined(__aarch64__)
		__asm__ volatile("brk #0");
#endif
	} else if (strcmp(how, "abrt") == 0) {
		abort();
	}
	return 1; /* the fault did not end the process */
}
