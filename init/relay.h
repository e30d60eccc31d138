/* init/relay.h — the output relay: children's stdout/stderr pipes copied to usher's own
 * stdout/stderr in whole lines, optionally prefixed, masked or captured; it never blocks PID 1. */
#ifndef USHER_RELAY_H
#define USHER_RELAY_H

#include <poll.h>
#include <stdbool.h>
#include <stddef.h>

enum {
	RELAY_LINE_MAX = 16384, /* a longer line is cut here; the pieces are marked (docs/logs.md) */
};

/* Rewrites one line (or piece) in place, never making it longer (masking: secret -> "***");
 * returns the new length. ctx is the stream's filter_ctx. Must not allocate. */
typedef size_t (*relay_filter_fn)(void *ctx, char *line, size_t len);
/* For a piece that must be printed before its end of line came: how many bytes of text may be
 * filtered and printed now without cutting a secret in two (creds' secret_safe_cut). */
typedef size_t (*relay_cut_fn)(void *ctx, const char *text, size_t len);

struct relay_opts {
	int to_fd;                /* STDOUT_FILENO or STDERR_FILENO of usher */
	const char *prefix;       /* put before every line, e.g. "nginx | " or "usher: login \"acr\": "; NULL: none */
	relay_filter_fn filter;   /* NULL: lines as they are */
	relay_cut_fn safe_cut;    /* with filter: where a long line may be cut */
	void *filter_ctx;
	size_t forward_cap;       /* at most this many bytes forwarded per open; the rest dropped,
				     counted, and noted in one line; 0: no cap */
	bool capture;             /* keep the bytes (for StandardInput=output-of:) instead of forwarding */
	size_t capture_max;       /* capture more than this: relay_overflowed() becomes true */
	const char *name;         /* for messages ("login \"acr\"", "service \"nginx\"") */
};

/* Before the loop: room for `streams` streams with all their buffers (and capture buffers of
 * up to capture_total bytes in all). Also prepares usher's stdout/stderr for writes that cannot
 * block (see relay.c). 0, or -1 after printing. */
int relay_init(unsigned streams, size_t capture_total);

/* Makes a pipe for stream `id` (< streams) with these options; *child_fd is the write end to dup2
 * into the child (close it in the parent after the spawn with relay_child_started()).
 * 0, or -1 after printing. May be called again for the same id once relay_close(id) was done. */
int relay_open(unsigned id, const struct relay_opts *opts, int *child_fd);
/* The parent's copy of the write end can be closed now. */
void relay_child_started(unsigned id);

/* The loop: add the fds the relay wants polled (stream read ends with buffer room; usher's
 * stdout/stderr for POLLOUT while output is pending). Returns how many were written to fds. */
unsigned relay_poll_fill(struct pollfd *fds, unsigned room);
/* After poll(): handle the revents of the entries relay_poll_fill() wrote last (same order).
 * Does a bounded amount of work per call (fair between streams). */
void relay_poll_handle(const struct pollfd *fds, unsigned count);
/* The earliest time (now_ms() clock) the relay needs the loop to wake up, or 0 for none. */
long long relay_next_deadline(void);

/* The child has exited: read what is in its pipe now (without waiting for EOF, which a
 * leftover grandchild could hold forever), flush its partial line, and keep relaying whatever
 * still arrives until relay_close(). */
void relay_child_exited(unsigned id);
/* True when stream id holds nothing more to relay: its pipe empty (or at EOF), every byte
 * read written out. Not open: true. */
bool relay_idle(unsigned id);
/* Stop relaying stream id: flush what is buffered (as far as it can without blocking), close. */
void relay_close(unsigned id);

/* Capture streams: the bytes kept so far (not NUL-terminated; valid until relay_open(id) again)
 * and whether more than capture_max came. */
const char *relay_captured(unsigned id, size_t *len);
bool relay_overflowed(unsigned id);
/* Wipe the capture buffers (they may hold secrets). */
void relay_wipe(void);

/* At exit: write out what is pending, waiting at most until deadline_ms. */
void relay_flush_all(long long deadline_ms);

#endif
