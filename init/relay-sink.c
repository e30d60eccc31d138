/* init/relay-sink.c — usher's stdout and stderr as the relay writes them: a non-blocking way
 * for each kind of file, EPIPE without SIGPIPE, and usher's own notes between lines. */
#include "relay-sink.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

struct sink sinks[2];
bool sinks_shared;

struct sink *sink_of(int fd)
{
	return fd == STDERR_FILENO && !sinks_shared ? &sinks[1] : &sinks[0];
}

static void sink_prepare(struct sink *k, int fd, const struct stat *st, bool stat_ok)
{
	*k = (struct sink){ .fd = fd, .owner = OWNER_NONE, .label = fd == 1 ? "stdout" : "stderr" };
	if (!stat_ok) {
		k->kind = SINK_BROKEN;
		k->error = errno;
	} else if (S_ISREG(st->st_mode)) {
		k->kind = SINK_FILE;
	} else if (S_ISSOCK(st->st_mode)) {
		k->kind = SINK_SOCKET;
	} else {
		/* Never O_NONBLOCK on the inherited description: the services share it. */
		char path[32];
		snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
		int own = open(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
		if (own >= 0) {
			k->kind = SINK_OWN;
			k->fd = own;
		} else {
			usher_debug("relay: %s: cannot reopen %s (%s); writes wait for poll()",
				    k->label, path, strerror(errno));
			k->kind = SINK_GATED;
		}
	}
}

/* A note of usher's own, written on k between two lines. */
void sink_note(struct sink *k, const char *fmt, ...)
{
	size_t room = sizeof k->note - k->note_len;
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(k->note + k->note_len, room, fmt, ap);
	va_end(ap);
	if (n > 0 && (size_t)n < room)
		k->note_len += (size_t)n;
}

static void sink_break(struct sink *k, int error)
{
	k->kind = SINK_BROKEN;
	k->error = error;
	struct sink *other = k == &sinks[0] ? &sinks[1] : &sinks[0];
	if (!sinks_shared && other->kind != SINK_BROKEN)
		sink_note(other, "usher: relay: %s: %s; output relayed to it is dropped\n", k->label,
			  strerror(error));
}

/* usher blocks SIGPIPE; the one an EPIPE raised must not reach the loop as a signal to
 * forward. */
static void take_sigpipe(void)
{
	sigset_t pipe_only;
	sigemptyset(&pipe_only);
	sigaddset(&pipe_only, SIGPIPE);
	struct timespec zero = { 0, 0 };
	while (sigtimedwait(&pipe_only, NULL, &zero) < 0 && errno == EINTR)
		;
}

/* One write that cannot block. Returns bytes written, 0 when it would block or is broken. */
size_t sink_write(struct sink *k, const char *bytes, size_t n)
{
	if (k->kind == SINK_BROKEN || k->blocked || n == 0)
		return 0;
	if (k->kind == SINK_GATED) {
		struct pollfd p = { k->fd, POLLOUT, 0 };
		if (poll(&p, 1, 0) <= 0) {
			k->blocked = true;
			return 0;
		}
		if (n > PIPE_BUF)
			n = PIPE_BUF; /* POLLOUT promises room for this much */
	}
	ssize_t wrote;
	do
		wrote = k->kind == SINK_SOCKET ? send(k->fd, bytes, n, MSG_DONTWAIT | MSG_NOSIGNAL)
					       : write(k->fd, bytes, n);
	while (wrote < 0 && errno == EINTR);
	if (wrote > 0)
		return (size_t)wrote;
	if (wrote == 0 || errno == EAGAIN) {
		k->blocked = true;
		return 0;
	}
	if (errno == EPIPE)
		take_sigpipe();
	sink_break(k, errno);
	return 0;
}

/* Writes the sink's note when no line is half written. True when no note is pending. */
bool sink_flush_note(struct sink *k)
{
	if (k->owner != OWNER_NONE && k->owner != OWNER_NOTE)
		return false;
	if (k->note_len == 0 && k->dropped) {
		sink_note(k, "usher: relay: %llu bytes of output dropped: %s was not writable when "
			  "their streams closed\n", k->dropped, k->label);
		k->dropped = 0;
	}
	if (k->kind == SINK_BROKEN)
		k->note_pos = k->note_len;
	k->note_pos += sink_write(k, k->note + k->note_pos, k->note_len - k->note_pos);
	if (k->note_pos < k->note_len) {
		if (k->note_pos > 0)
			k->owner = OWNER_NOTE;
		return false;
	}
	k->note_pos = k->note_len = 0;
	k->owner = OWNER_NONE;
	return true;
}

void sinks_prepare(void)
{
	struct stat st[2];
	bool stat_ok[2];
	for (int i = 0; i < 2; i++)
		stat_ok[i] = fstat(i + 1, &st[i]) == 0;
	sinks_shared = stat_ok[0] && stat_ok[1] && st[0].st_dev == st[1].st_dev &&
		       st[0].st_ino == st[1].st_ino;
	sink_prepare(&sinks[0], STDOUT_FILENO, &st[0], stat_ok[0]);
	if (sinks_shared)
		sinks[1] = (struct sink){ .fd = -1, .kind = SINK_BROKEN, .owner = OWNER_NONE };
	else
		sink_prepare(&sinks[1], STDERR_FILENO, &st[1], stat_ok[1]);
	/* Already blocked in usher; this keeps an EPIPE harmless for any caller. */
	sigset_t pipe_only;
	sigemptyset(&pipe_only);
	sigaddset(&pipe_only, SIGPIPE);
	sigprocmask(SIG_BLOCK, &pipe_only, NULL);
}
