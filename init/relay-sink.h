/* init/relay-sink.h — the relay's two sinks, usher's stdout and stderr, written without ever
 * blocking; shared only by relay.c and relay-sink.c. */
#ifndef USHER_RELAY_SINK_H
#define USHER_RELAY_SINK_H

#include <stdbool.h>
#include <stddef.h>

enum {
	NOTE_ROOM = 512,              /* a sink's notes; also kept free in a stream's out[] */
	OWNER_NONE = -1, OWNER_NOTE = -2,
};

/* How a write to usher's stdout or stderr is made so that it cannot block. */
enum sink_kind {
	SINK_OWN,    /* pipe, FIFO, tty: our own O_NONBLOCK open file description */
	SINK_SOCKET, /* send(MSG_DONTWAIT) */
	SINK_FILE,   /* regular file: written directly */
	SINK_GATED,  /* no /proc: poll() first, at most PIPE_BUF at a time */
	SINK_BROKEN, /* closed or failed: what goes there is counted and dropped */
};

struct sink {
	int fd;
	enum sink_kind kind;
	int owner;              /* stream whose line is half written (or OWNER_*): it goes first */
	bool blocked;           /* a write got EAGAIN: wait for POLLOUT */
	int error;              /* SINK_BROKEN: why */
	const char *label;
	unsigned long long dropped; /* output of closed streams that could not be written */
	char note[NOTE_ROOM];   /* usher's own lines about this sink or the other one */
	size_t note_pos, note_len;
};

extern struct sink sinks[2];   /* [0] stdout, [1] stderr (unused when shared) */
extern bool sinks_shared;      /* stdout and stderr are the same file: one sink for both */

/* In relay_init: how each is written, and SIGPIPE blocked. */
void sinks_prepare(void);
struct sink *sink_of(int fd);
/* A line of usher's own, written on k between two lines. */
void sink_note(struct sink *k, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* One write that cannot block: bytes written; 0 when it would block (k->blocked) or broke. */
size_t sink_write(struct sink *k, const char *bytes, size_t n);
/* Writes k's note when no line is half written there. True when no note is pending. */
bool sink_flush_note(struct sink *k);

#endif
