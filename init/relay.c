/* init/relay.c — the output relay: children's pipes copied to usher's stdout/stderr in whole
 * lines (prefix, split mark, masking filter, forward cap, capture), never blocking PID 1. */
#include "relay.h"
#include "relay-sink.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

/* Limits (docs/logs.md). */
enum {
	IN_SIZE = RELAY_LINE_MAX + 1, /* a line of exactly RELAY_LINE_MAX bytes and its \n fit */
	PREFIX_MAX = 256,
	RECORD_MAX = PREFIX_MAX + RELAY_LINE_MAX + 16,
	OUT_SIZE = RECORD_MAX + NOTE_ROOM,
	DRAIN_READS = 64,             /* reads at a child's exit: 1 MiB, the largest pipe */
};

/* Ends every piece of a line cut at RELAY_LINE_MAX but the last. */
static const char CUT_MARK[] = " [...]";

struct stream {
	bool open, exited, eof, drained, dropping;
	int fd, child_fd;
	struct relay_opts o;
	size_t prefix_len;
	struct sink *sink;
	char *in;                /* [in_start, in_len): bytes read, not yet made records */
	size_t in_start, in_len, in_dirty;
	char *out;               /* [out_pos, out_len): records not yet written */
	size_t out_pos, out_len, out_dirty;
	unsigned long long forwarded, dropped;
	char *cap;               /* capture: cap_room bytes of the pool */
	size_t cap_room, cap_len;
	bool overflowed;
};

static struct stream *streams;  /* all zero until opened: a stream never used costs nothing */
static char *buffers;           /* each stream's in[] and out[], by id */
static unsigned stream_count, turn;
static char *pool;        /* capture buffers */
static size_t pool_size, pool_used;
static int *slots;        /* what relay_poll_fill() put in each entry: stream, or -1-sink */
static bool ready;

int relay_init(unsigned count, size_t capture_total)
{
	if (ready) {
		usher_err("relay: set up twice");
		return -1;
	}
	sinks_prepare();

	/* One mapping for everything: pages a stream never uses are never resident. */
	size_t per_stream = sizeof(struct stream) + IN_SIZE + OUT_SIZE + sizeof(int);
	size_t size = (size_t)count * per_stream + 2 * sizeof(int) + capture_total;
	char *memory = size ? mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
				   -1, 0) : NULL;
	if (memory == MAP_FAILED) {
		usher_err("relay: cannot reserve %zu bytes: %s", size, strerror(errno));
		return -1;
	}
	streams = (struct stream *)memory;
	slots = (int *)(memory + count * sizeof(struct stream));
	buffers = (char *)(slots + count + 2);
	pool = buffers + (size_t)count * (IN_SIZE + OUT_SIZE);
	pool_size = capture_total;
	stream_count = count;
	ready = true;
	return 0;
}

int relay_open(unsigned id, const struct relay_opts *opts, int *child_fd)
{
	const char *name = opts->name ? opts->name : "output";
	struct stream *s = id < stream_count ? &streams[id] : NULL;
	size_t prefix_len = opts->prefix ? strlen(opts->prefix) : 0;
	if (!s || s->open || (opts->to_fd != STDOUT_FILENO && opts->to_fd != STDERR_FILENO) ||
	    prefix_len > PREFIX_MAX || (opts->filter && !opts->safe_cut)) {
		usher_err("relay: %s: bad stream %u (in use, out of range, or bad options)", name, id);
		return -1;
	}
	if (opts->capture && opts->capture_max > s->cap_room) {
		if (opts->capture_max > pool_size - pool_used) {
			usher_err("relay: %s: no room left to capture %zu bytes", name, opts->capture_max);
			return -1;
		}
		s->cap = pool + pool_used;
		s->cap_room = opts->capture_max;
		pool_used += opts->capture_max;
	}
	int fds[2];
	if (pipe2(fds, O_CLOEXEC) != 0 || fcntl(fds[0], F_SETFL, O_NONBLOCK) != 0) {
		usher_err("relay: %s: pipe: %s", name, strerror(errno));
		return -1;
	}
	char *in = buffers + (size_t)id * (IN_SIZE + OUT_SIZE), *out = in + IN_SIZE, *cap = s->cap;
	size_t cap_room = s->cap_room;
	*s = (struct stream){
		.open = true, .fd = fds[0], .child_fd = fds[1], .o = *opts, .prefix_len = prefix_len,
		.sink = sink_of(opts->to_fd), .in = in, .out = out, .cap = cap, .cap_room = cap_room,
	};
	s->o.name = name;
	*child_fd = fds[1];
	return 0;
}

void relay_child_started(unsigned id)
{
	if (id < stream_count && streams[id].open && streams[id].child_fd >= 0) {
		close(streams[id].child_fd);
		streams[id].child_fd = -1;
	}
}

/* One line of usher's own about stream s, in its own order (the reserve keeps room). */
static void stream_note(struct stream *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void stream_note(struct stream *s, const char *fmt, ...)
{
	if (s->out_pos > 0) {
		memmove(s->out, s->out + s->out_pos, s->out_len - s->out_pos);
		s->out_len -= s->out_pos;
		s->out_pos = 0;
	}
	size_t room = OUT_SIZE - s->out_len;
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(s->out + s->out_len, room, fmt, ap);
	va_end(ap);
	if (n > 0 && (size_t)n < room)
		s->out_len += (size_t)n;
}

/* Room in out[] for a record of len bytes (compacting when that makes it). */
static bool out_room(struct stream *s, size_t len)
{
	if (s->out_len + len <= RECORD_MAX)
		return true;
	if (s->out_pos == 0 || s->out_len - s->out_pos + len > RECORD_MAX)
		return false;
	memmove(s->out, s->out + s->out_pos, s->out_len - s->out_pos);
	s->out_len -= s->out_pos;
	s->out_pos = 0;
	return true;
}

static void put(struct stream *s, const char *bytes, size_t len)
{
	memcpy(s->out + s->out_len, bytes, len);
	s->out_len += len;
}

/* Turns what was read into records: "prefix text tail\n". A line not ended when the buffer is
 * full becomes a piece with CUT_MARK; at the end (final) the unfinished line goes as it is.
 * A filtered piece is cut where no secret is split; what could start a secret is hidden. */
static void take_lines(struct stream *s, bool final)
{
	while (s->in_start < s->in_len) {
		char *text = s->in + s->in_start;
		size_t left = s->in_len - s->in_start;
		char *newline = memchr(text, '\n', left);
		bool piece = !newline && left == IN_SIZE;
		if (!newline && !piece && !final)
			return;
		size_t len = newline ? (size_t)(newline - text) : piece ? RELAY_LINE_MAX : left;
		size_t used = newline ? len + 1 : len;
		if (s->dropping || s->sink->kind == SINK_BROKEN) {
			s->dropped += used;
			s->in_start += used;
			continue;
		}
		if (!out_room(s, s->prefix_len + len + sizeof CUT_MARK + 4))
			return;
		if (s->o.forward_cap && s->forwarded + used > s->o.forward_cap) {
			s->dropping = true;
			stream_note(s, "usher: %.128s: output over %zu bytes; the rest is dropped\n",
				    s->o.name, s->o.forward_cap);
			continue;
		}
		bool hide = false;
		if (newline) {
			while (len > 0 && text[len - 1] == '\r')
				len--;
		} else if (s->o.filter) {
			size_t cut = s->o.safe_cut(s->o.filter_ctx, text, len);
			hide = cut < len && (cut == 0 || !piece);
			if (piece && cut > 0)
				used = len = cut; /* the rest waits for the text that completes it */
			else
				len = cut;
		}
		if (s->o.filter)
			len = s->o.filter(s->o.filter_ctx, text, len);
		/* No string literal on the way of a plain line: its page would be faulted back in
		 * (and its neighbours) after trim_startup_pages(). */
		if (s->prefix_len)
			put(s, s->o.prefix, s->prefix_len);
		put(s, text, len);
		if (hide)
			put(s, "***", 3);
		if (piece)
			put(s, CUT_MARK, sizeof CUT_MARK - 1);
		s->out[s->out_len++] = '\n';
		s->forwarded += used;
		s->in_start += used;
	}
	if (s->out_len > s->out_dirty)
		s->out_dirty = s->out_len;
}

enum read_result { READ_MORE, READ_DRAINED, READ_FULL, READ_EOF };

static void stream_eof(struct stream *s)
{
	close(s->fd);
	s->fd = -1;
	s->eof = true;
}

/* One read, bounded by the room there is: capture buffer, line buffer, or (dropping) scratch. */
static enum read_result read_some(struct stream *s)
{
	bool discard = s->o.capture ? s->cap_len == s->cap_room
				    : s->dropping || s->sink->kind == SINK_BROKEN;
	if (discard && !s->o.capture) {
		take_lines(s, true); /* counts what was left as dropped */
		s->in_start = s->in_len = 0;
	} else if (s->in_start > 0) {
		memmove(s->in, s->in + s->in_start, s->in_len - s->in_start);
		s->in_len -= s->in_start;
		s->in_start = 0;
	}
	char *to = discard ? s->in : s->o.capture ? s->cap + s->cap_len : s->in + s->in_len;
	size_t room = discard ? IN_SIZE : s->o.capture ? s->cap_room - s->cap_len
						  : IN_SIZE - s->in_len;
	if (room == 0)
		return READ_FULL;
	ssize_t got;
	do
		got = read(s->fd, to, room);
	while (got < 0 && errno == EINTR);
	if (got < 0 && errno == EAGAIN)
		return READ_DRAINED;
	if (got <= 0) {
		stream_eof(s);
		return READ_EOF;
	}
	size_t n = (size_t)got;
	if (discard) {
		s->dropped += n;
		if (s->o.capture)
			s->overflowed = true;
		if (s->in_dirty < n)
			s->in_dirty = n;
	} else if (s->o.capture) {
		s->cap_len += n;
	} else {
		s->in_len += n;
		if (s->in_len > s->in_dirty)
			s->in_dirty = s->in_len;
	}
	return n == room ? READ_MORE : READ_DRAINED;
}

/* One write of s's records, unless another stream's line is half written there. */
static void write_out(struct stream *s, unsigned id)
{
	struct sink *k = s->sink;
	if (s->out_pos == s->out_len)
		return;
	if (k->kind == SINK_BROKEN) {
		s->dropped += s->out_len - s->out_pos;
		s->out_pos = s->out_len = 0;
		return;
	}
	char *from = s->out + s->out_pos;
	size_t n = s->out_len - s->out_pos;
	if (k->owner == (int)id) {
		/* Only the rest of the line cut short: then the next stream gets its turn. */
		char *end = memchr(from, '\n', n);
		n = end ? (size_t)(end - from) + 1 : n;
	} else if (!sink_flush_note(k)) {
		return;
	}
	size_t wrote = sink_write(k, from, n);
	if (wrote == 0)
		return;
	turn = id + 1; /* the next round starts after the last writer */
	s->out_pos += wrote;
	k->owner = s->out[s->out_pos - 1] != '\n' ? (int)id : OWNER_NONE;
	if (s->out_pos == s->out_len)
		s->out_pos = s->out_len = 0;
}

static void pump(struct stream *s, unsigned id, bool final)
{
	if (s->o.capture)
		return;
	final = final || s->eof || (s->exited && s->drained);
	take_lines(s, final);
	write_out(s, id);
	take_lines(s, final);
}

static void stream_read(struct stream *s)
{
	enum read_result r = read_some(s);
	s->drained = r == READ_DRAINED || r == READ_EOF;
}

unsigned relay_poll_fill(struct pollfd *fds, unsigned room)
{
	unsigned n = 0;
	bool want[2] = { false, false };
	for (unsigned i = 0; i < stream_count; i++) {
		struct stream *s = &streams[i];
		if (!s->open)
			continue;
		bool discard = s->dropping || s->sink->kind == SINK_BROKEN;
		if (s->fd >= 0 && (s->o.capture || discard || s->in_len - s->in_start < IN_SIZE) &&
		    n < room) {
			slots[n] = (int)i;
			fds[n++] = (struct pollfd){ s->fd, POLLIN, 0 };
		}
		if (s->out_pos < s->out_len)
			want[s->sink - sinks] = true;
	}
	for (int j = 0; j < 2; j++) {
		struct sink *k = &sinks[j];
		if ((want[j] || k->note_len || k->dropped) && k->kind != SINK_BROKEN && n < room) {
			slots[n] = -1 - j;
			fds[n++] = (struct pollfd){ k->fd, POLLOUT, 0 };
		}
	}
	return n;
}

void relay_poll_handle(const struct pollfd *fds, unsigned count)
{
	for (unsigned i = 0; i < count; i++) {
		if (!fds[i].revents)
			continue;
		if (slots[i] < 0)
			sinks[-1 - slots[i]].blocked = false;
		else if (streams[slots[i]].open && streams[slots[i]].fd == fds[i].fd)
			stream_read(&streams[slots[i]]);
	}
	for (int j = 0; j < 2; j++)
		sink_flush_note(&sinks[j]);
	/* Whoever goes first gets a freed sink: take turns, from the one after the last writer. */
	unsigned first = stream_count ? turn % stream_count : 0;
	for (unsigned i = 0; i < stream_count; i++) {
		unsigned id = (first + i) % stream_count;
		if (streams[id].open)
			pump(&streams[id], id, false);
	}
}

long long relay_next_deadline(void)
{
	return 0; /* driven by its fds alone */
}

void relay_child_exited(unsigned id)
{
	if (id >= stream_count || !streams[id].open)
		return;
	struct stream *s = &streams[id];
	s->exited = true;
	for (int i = 0; i < DRAIN_READS && s->fd >= 0; i++) {
		enum read_result r = read_some(s);
		s->drained = r == READ_DRAINED || r == READ_EOF;
		pump(s, id, false);
		if (r != READ_MORE && (r != READ_FULL || s->in_start == 0))
			break; /* drained, or no room freed (the sink is slow): the loop goes on */
	}
}

bool relay_idle(unsigned id)
{
	if (id >= stream_count || !streams[id].open)
		return true;
	const struct stream *s = &streams[id];
	int unread = 0;
	if (s->fd >= 0 && (ioctl(s->fd, FIONREAD, &unread) != 0 || unread > 0))
		return false;
	return s->in_start == s->in_len && s->out_pos == s->out_len;
}

static void wipe_stream(struct stream *s)
{
	if (!s->in)
		return; /* never opened */
	explicit_bzero(s->in, s->in_dirty);
	explicit_bzero(s->out, s->out_dirty);
	s->in_dirty = s->out_dirty = 0;
}

void relay_close(unsigned id)
{
	if (id >= stream_count || !streams[id].open)
		return;
	struct stream *s = &streams[id];
	struct sink *k = s->sink;
	if (!s->o.capture) {
		k->blocked = false; /* one more try, in case it was freed since the last poll */
		for (int i = 0; i < DRAIN_READS && s->fd >= 0 && !k->blocked; i++) {
			enum read_result r = read_some(s);
			pump(s, id, r != READ_MORE && r != READ_FULL);
			if (r != READ_MORE && (r != READ_FULL || s->in_start == 0))
				break;
		}
		pump(s, id, true);
		int unread = 0;
		if (s->fd >= 0 && ioctl(s->fd, FIONREAD, &unread) == 0 && unread > 0)
			s->dropped += (unsigned)unread;
		if (s->dropped)
			stream_note(s, "usher: %.128s: %llu bytes of output dropped\n", s->o.name,
				    s->dropped);
		write_out(s, id);
		/* What cannot be written now is counted on the sink, which says so later. */
		k->dropped += s->out_len - s->out_pos + s->in_len - s->in_start;
		if (k->owner == (int)id && k->note_len < sizeof k->note) {
			/* End the line cut short, before anything else is written. */
			memmove(k->note + 1, k->note, k->note_len++);
			k->note[0] = '\n';
			k->owner = OWNER_NONE;
		}
		s->out_pos = s->out_len = s->in_start = s->in_len = 0;
	}
	if (s->fd >= 0)
		close(s->fd);
	relay_child_started(id);
	s->fd = -1;
	wipe_stream(s);
	s->open = false;
}

const char *relay_captured(unsigned id, size_t *len)
{
	bool some = id < stream_count && streams[id].cap;
	*len = some ? streams[id].cap_len : 0;
	return some ? streams[id].cap : NULL;
}

bool relay_overflowed(unsigned id)
{
	return id < stream_count && streams[id].overflowed;
}

void relay_wipe(void)
{
	if (pool)
		explicit_bzero(pool, pool_used);
	for (unsigned i = 0; i < stream_count; i++) {
		streams[i].cap_len = 0;
		wipe_stream(&streams[i]);
	}
}

void relay_flush_all(long long deadline_ms)
{
	for (;;) {
		struct pollfd fds[2];
		unsigned n = 0;
		for (unsigned id = 0; id < stream_count; id++)
			if (streams[id].open)
				pump(&streams[id], id, true);
		for (int j = 0; j < 2; j++)
			sink_flush_note(&sinks[j]);
		bool want[2] = { sinks[0].note_len > 0, sinks[1].note_len > 0 };
		for (unsigned id = 0; id < stream_count; id++)
			if (streams[id].open && streams[id].out_pos < streams[id].out_len)
				want[streams[id].sink - sinks] = true;
		for (int j = 0; j < 2; j++)
			if (want[j] && sinks[j].kind != SINK_BROKEN)
				fds[n++] = (struct pollfd){ sinks[j].fd, POLLOUT, 0 };
		long long left = deadline_ms - now_ms();
		if (n == 0 || left <= 0 ||
		    (poll(fds, n, left > INT_MAX ? INT_MAX : (int)left) < 0 && errno != EINTR))
			break;
		sinks[0].blocked = sinks[1].blocked = false;
	}
	/* Whatever is still unwritten is dropped and counted; a stuck stdout's count goes to
	 * stderr, which may still be read (nothing is dropped silently). */
	for (unsigned id = 0; id < stream_count; id++)
		relay_close(id);
	if (sinks[0].dropped && !sinks_shared) {
		sink_note(&sinks[1], "usher: relay: %llu bytes of output dropped at exit: stdout was "
			  "not writable\n", sinks[0].dropped);
		sinks[0].dropped = 0;
	}
	for (int j = 0; j < 2; j++)
		sink_flush_note(&sinks[j]);
}
