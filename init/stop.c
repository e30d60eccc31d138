/* init/stop.c — signals every process usher answers for when the workload is gone:
 * kill(-1) as PID 1, a walk of /proc's children lists as a subreaper. */
#include "stop.h"
#include "util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#define MAX_TRACKED 65536
#define FALLBACK_TRACKED 1024
#define SEEN_SLOTS (2 * MAX_TRACKED) /* a power of two, half full at most */
#define MAX_WALKS 16 /* a process that forks without end cannot hold the stop forever */

/* Descendants still to visit. The big list is mapped only when a subreaper's final stop
 * needs it: in .bss it would scatter usher's few hot variables over more pages (a page
 * fault each at start-up). If the mapping fails the small list still does the job, in
 * more rounds (the final stop repeats the walk for SIGTERM, SIGCONT and SIGKILL). */
static pid_t fallback[FALLBACK_TRACKED];
static pid_t *pending;
static size_t pending_capacity, pending_count;

/* The pids signalled by this call of signal_everyone(), so that a walk repeated until it
 * finds nobody new signals no one twice (a second SIGTERM means "hurry" to some programs).
 * Open addressing; a slot holding an older call's number is free. NULL without the map. */
static struct seen_slot {
	pid_t pid;
	unsigned call;
} *seen;
static unsigned call_number;
static size_t seen_count;

static void push(pid_t pid)
{
	if (pending_count < pending_capacity)
		pending[pending_count++] = pid;
}

static void ensure_pending_list(void)
{
	if (pending)
		return;
	size_t list_bytes = MAX_TRACKED * sizeof(pid_t);
	char *map = mmap(NULL, list_bytes + SEEN_SLOTS * sizeof *seen, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (map == MAP_FAILED) {
		pending = fallback;
		pending_capacity = FALLBACK_TRACKED;
	} else {
		pending = (pid_t *)map;
		pending_capacity = MAX_TRACKED;
		seen = (struct seen_slot *)(map + list_bytes);
	}
}

/* True the first time pid is met in this call (and when there is no room to remember). */
static bool first_time(pid_t pid)
{
	if (!seen || seen_count >= SEEN_SLOTS / 2)
		return true;
	for (size_t i = (size_t)pid * 2654435761u % SEEN_SLOTS;; i = (i + 1) % SEEN_SLOTS) {
		if (seen[i].call != call_number) {
			seen[i] = (struct seen_slot){ pid, call_number };
			seen_count++;
			return true;
		}
		if (seen[i].pid == pid)
			return false;
	}
}
/* Reads one children file in chunks, pushing each pid; a pid split across chunks is kept. */
static void push_children_listed_in(const char *file)
{
	int fd = open(file, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return; /* the process is already gone */
	char chunk[4096];
	long number = 0;
	bool in_number = false;
	for (;;) {
		ssize_t got = read(fd, chunk, sizeof chunk);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			break;
		for (ssize_t i = 0; i < got; i++) {
			if (chunk[i] >= '0' && chunk[i] <= '9') {
				number = number * 10 + (chunk[i] - '0');
				in_number = true;
			} else if (in_number) {
				push((pid_t)number);
				number = 0;
				in_number = false;
			}
		}
	}
	if (in_number)
		push((pid_t)number);
	close(fd);
}

/* Every thread of pid may have children of its own. */
static void push_children_of(pid_t pid)
{
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/task", (int)pid);
	int dir = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dir < 0)
		return;
	char entries[4096];
	for (;;) {
		long got = syscall(SYS_getdents64, dir, entries, sizeof entries);
		if (got <= 0)
			break;
		for (long offset = 0; offset < got;) {
			struct dirent64 *entry = (struct dirent64 *)(entries + offset);
			offset += entry->d_reclen;
			if (entry->d_name[0] < '0' || entry->d_name[0] > '9')
				continue;
			char children[320];
			snprintf(children, sizeof children, "/proc/%d/task/%s/children", (int)pid,
				 entry->d_name);
			push_children_listed_in(children);
		}
	}
	close(dir);
}

/* One walk over usher's descendants; signals each one not met before. How many it did. */
static size_t walk_and_signal(int sig)
{
	size_t signalled = 0;
	pending_count = 0;
	push_children_of(getpid());
	while (pending_count > 0) {
		pid_t pid = pending[--pending_count];
		/* Signal before descending so a parent cannot spawn past the walk unnoticed. */
		if (first_time(pid)) {
			signalled++;
			if (kill(pid, sig) != 0 && errno != ESRCH)
				usher_warn("kill(%d, %d): %s", (int)pid, sig, strerror(errno));
		}
		push_children_of(pid);
	}
	return signalled;
}

void signal_everyone(int sig, bool is_pid1)
{
	if (is_pid1) {
		if (kill(-1, sig) != 0 && errno != ESRCH)
			usher_warn("kill(-1, %d): %s", sig, strerror(errno));
		return;
	}
	ensure_pending_list();
	call_number++;
	seen_count = 0;
	/* A process signalled during the walk may die before its children list is read: they
	 * are then re-parented to usher, whose list was read first. So walk again until a walk
	 * finds nobody new (without the map to remember who was signalled, walk once). */
	for (int walk = 0; walk_and_signal(sig) > 0 && seen && walk < MAX_WALKS; walk++)
		;
}
