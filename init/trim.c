/* init/trim.c — once start-up is over (trim_due), drops usher's read-only program pages from
 * its page tables. A static binary's RSS is otherwise its whole size: the kernel maps neighbouring
 * pages on every fault, so option parsing, credentials and the sandbox code stay resident. */
#include "trim.h"
#include "util.h"

#include <elf.h>
#include <errno.h>
#include <link.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/wait.h>
#include <time.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <unistd.h>

/* Code the supervising loop runs. These pages stay mapped: a fault on any page would map
 * its neighbours back too (fault-around), so the loop must not fault at all. The loop's
 * own functions come from supervise.c; the rest are the C library's. */
static const void *const loop_code[] = {
	(const void *)trim_startup_pages, (const void *)sigtimedwait, (const void *)waitpid,
	(const void *)kill, (const void *)poll, (const void *)read, (const void *)clock_gettime,
	(const void *)__errno_location, (const void *)now_ms,
	(const void *)madvise, /* trim's own, between the runs it drops */
};

/* The loop's functions are short: one starting this close to a page's end may go on
 * into the next page; one starting earlier is taken to end within its own. A guess that
 * is wrong costs memory (a fault maps neighbours back), never correctness. */
#define STRADDLE_BYTES 1024

static bool is_loop_page(uintptr_t page_start, uintptr_t page, const void *const *extra,
			 size_t extra_count)
{
	for (size_t i = 0; i < sizeof loop_code / sizeof loop_code[0] + extra_count; i++) {
		uintptr_t code = (uintptr_t)(i < sizeof loop_code / sizeof loop_code[0]
						     ? loop_code[i]
						     : extra[i - sizeof loop_code / sizeof loop_code[0]]);
		if (code >= page_start && code < page_start + page)
			return true;
		/* A function starting near the end of a page runs on into the next one. */
		if (code >= page_start - STRADDLE_BYTES && code < page_start)
			return true;
	}
	return false;
}

bool trim_due(bool quiet, bool started, long long *busy_since_ms)
{
	if (quiet)
		return true;
	if (!started)
		return false;
	long long now = now_ms();
	if (!*busy_since_ms)
		*busy_since_ms = now;
	return now - *busy_since_ms >= TRIM_AFTER_MS;
}

void trim_startup_pages(const void *const *hot, size_t hot_count)
{
	const ElfW(Phdr) *headers = (const ElfW(Phdr) *)getauxval(AT_PHDR);
	size_t count = getauxval(AT_PHNUM);
	uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
	if (!headers || !count || page == 0 || page == (uintptr_t)-1)
		return;
	/* Load bias: zero for a static executable, the base address for a PIE. */
	uintptr_t bias = 0;
	for (size_t i = 0; i < count; i++)
		if (headers[i].p_type == PT_PHDR)
			bias = (uintptr_t)headers - headers[i].p_vaddr;
	for (size_t i = 0; i < count; i++) {
		const ElfW(Phdr) *segment = &headers[i];
		/* Only segments that are never written: dropping a written private page
		 * would lose the write. */
		if (segment->p_type != PT_LOAD || (segment->p_flags & PF_W))
			continue;
		uintptr_t start = (bias + segment->p_vaddr) & ~(page - 1);
		uintptr_t end = (bias + segment->p_vaddr + segment->p_memsz + page - 1) & ~(page - 1);
		/* Drop runs of pages between the ones the loop needs. */
		uintptr_t run = start;
		for (uintptr_t at = start; at <= end; at += page) {
			/* The program headers too: read for the next segment, and with code and
			 * read-only data in one segment they lie on its first page. */
			bool keep = at == end || is_loop_page(at, page, hot, hot_count) ||
				    (uintptr_t)headers - at < page;
			if (!keep)
				continue;
			if (at > run && madvise((void *)run, at - run, MADV_DONTNEED) != 0)
				usher_debug("madvise: cannot trim %#lx-%#lx", (unsigned long)run,
					    (unsigned long)at);
			run = at + page;
		}
	}
}
