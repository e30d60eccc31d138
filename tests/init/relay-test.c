/* tests/init/relay-test.c — TAP test of init/relay.c: a relay loop in a subprocess (its stdout and
 * stderr are pipes or files this test reads) over real pipes from forked writer children. */
#include "creds.h"
#include "internal.h"
#include "relay.h"
#include "util.h"
#include "../lib/unit-tap.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void sleep_ms(long ms)
{
	struct timespec t = { ms / 1000, (ms % 1000) * 1000000L };
	nanosleep(&t, NULL);
}

static void write_all(int fd, const char *bytes, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, bytes, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			_exit(3);
		bytes += w;
		n -= (size_t)w;
	}
}

static void say(const char *fmt, ...)
{
	char line[256];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	write_all(STDERR_FILENO, line, (size_t)n);
}

/* ------------------------------------------------------------ inside the relay subprocess */

typedef void writer_fn(int arg);

struct writer {
	pid_t pid;
	int status;
	bool reaped;
};

enum { WRITERS_MAX = 4 };
static struct writer writers[WRITERS_MAX];
static unsigned writer_count;
static long long longest_handle_ms;

/* Opens stream id and starts a writer child on it, as the engine will. */
static pid_t start_writer(unsigned id, const struct relay_opts *o, writer_fn *fn, int arg)
{
	int child_fd;
	if (relay_open(id, o, &child_fd) != 0)
		_exit(4);
	pid_t pid = fork();
	if (pid < 0)
		_exit(4);
	if (pid == 0) {
		setpgid(0, 0);
		dup2(child_fd, STDOUT_FILENO);
		dup2(child_fd, STDERR_FILENO);
		syscall(SYS_close_range, 3U, ~0U, 0U); /* the relay's fds are not the writer's */
		sigset_t none;
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		fn(arg);
		_exit(0);
	}
	relay_child_started(id);
	writers[id] = (struct writer){ .pid = pid };
	writer_count = id + 1;
	return pid;
}

static bool all_reaped(void)
{
	for (unsigned i = 0; i < writer_count; i++)
		if (!writers[i].reaped)
			return false;
	return true;
}

static void reap(void)
{
	for (unsigned i = 0; i < writer_count; i++) {
		if (writers[i].reaped || waitpid(writers[i].pid, &writers[i].status, WNOHANG) <= 0)
			continue;
		writers[i].reaped = true;
		relay_child_exited(i);
	}
}

/* The supervising loop's share of the relay, until every writer is reaped and every stream
 * has reached its end and been written out. */
static void run_loop(long long timeout_ms)
{
	long long until = now_ms() + timeout_ms;
	for (;;) {
		struct pollfd fds[16];
		unsigned n = relay_poll_fill(fds, 16);
		if (all_reaped() && n == 0)
			break;
		if (now_ms() > until)
			_exit(5);
		if (poll(fds, n, 20) < 0 && errno != EINTR)
			_exit(6);
		long long start = now_ms();
		relay_poll_handle(fds, n);
		if (now_ms() - start > longest_handle_ms)
			longest_handle_ms = now_ms() - start;
		reap();
	}
	for (unsigned i = 0; i < writer_count; i++)
		relay_close(i);
	relay_flush_all(now_ms() + 5000);
}

/* The scenarios' writers. */
static size_t line_text(int writer, int k, char *out)
{
	size_t pad = (size_t)(k * 7919 % 300) + (k % 97 == 0 ? 6000 : 0);
	int n = sprintf(out, "w%d line %d ", writer, k);
	for (size_t i = 0; i < pad; i++)
		out[n + (int)i] = (char)('a' + (k + (int)i) % 26);
	return (size_t)n + pad;
}

static void many_lines(int writer)
{
	static char line[8192];
	for (int k = 0; k < 10000; k++) {
		size_t len = line_text(writer, k, line);
		line[len++] = '\n';
		/* In two writes, cut anywhere: the relay must join them. */
		size_t cut = (size_t)(k * 31) % len;
		write_all(1, line, cut);
		write_all(1, line + cut, len - cut);
	}
}

static void long_lines(int arg)
{
	(void)arg;
	static char line[40001];
	memset(line, 'a', 40000);
	line[40000] = '\n';
	write_all(1, line, sizeof line);
	memset(line, 'b', RELAY_LINE_MAX);
	line[RELAY_LINE_MAX] = '\n';
	write_all(1, line, RELAY_LINE_MAX + 1);
}

static void numbered(int lines)
{
	char text[128];
	for (int k = 0; k < lines; k++) {
		int n = snprintf(text, sizeof text, "n %d %090d\n", k, k);
		write_all(1, text, (size_t)n);
	}
}

static void fifty(int lines)
{
	char text[51];
	memset(text, 'c', 49);
	text[49] = '\n';
	for (int k = 0; k < lines; k++)
		write_all(1, text, 50);
}

static void bytes_out(int count)
{
	for (int k = 0; k < count; k++)
		write_all(1, "z", 1);
}

static void secrets_out(int arg)
{
	(void)arg;
	write_all(1, "pass=hunt", 9);
	sleep_ms(100); /* separate reads: the secret arrives in two pieces */
	write_all(1, "er22-secret-value ok\n", 21);
	static char line[40000];
	memset(line, 'x', sizeof line);
	memcpy(line + RELAY_LINE_MAX - 5, "hunter22-secret-value", 21);
	line[sizeof line - 1] = '\n';
	write_all(1, line, sizeof line);
	write_all(1, "tail hunter22-sec", 17); /* never finished: hidden */
}

static void leaves_grandchild(int arg)
{
	(void)arg;
	if (fork() == 0) {
		sleep(30); /* holds the pipe: no EOF for a long while */
		_exit(0);
	}
	write_all(1, "last words", 10);
}

/* ------------------------------------------------------------ the scenarios */

static const struct relay_opts plain = { .to_fd = 1, .name = "w" };

static void scenario_mixed(void)
{
	if (relay_init(3, 0) != 0)
		_exit(4);
	static const char *prefix[] = { "w0 | ", "w1 | ", "w2 | " };
	for (int i = 0; i < 3; i++) {
		struct relay_opts o = { .to_fd = i == 2 ? 2 : 1, .prefix = prefix[i], .name = "w" };
		start_writer((unsigned)i, &o, many_lines, i);
	}
	run_loop(120000);
}

static void scenario_split(void)
{
	if (relay_init(1, 0) != 0)
		_exit(4);
	struct relay_opts o = { .to_fd = 1, .prefix = "> ", .name = "w" };
	start_writer(0, &o, long_lines, 0);
	run_loop(60000);
}

static void scenario_stall(void)
{
	if (relay_init(2, 0) != 0)
		_exit(4);
	struct relay_opts a = { .to_fd = 1, .prefix = "A ", .name = "a" };
	struct relay_opts b = { .to_fd = 2, .prefix = "B ", .name = "b" };
	pid_t pid = start_writer(0, &a, numbered, 20000);
	say("apid %d\n", (int)pid);
	start_writer(1, &b, numbered, 2000);
	run_loop(120000);
	say("longest %lld\n", longest_handle_ms);
}

static void scenario_cap(void)
{
	if (relay_init(1, 0) != 0)
		_exit(4);
	struct relay_opts o = { .to_fd = 1, .name = "login \"w\"", .forward_cap = 1000 };
	start_writer(0, &o, fifty, 100);
	run_loop(60000);
}

static void scenario_capture(void)
{
	if (relay_init(2, 200) != 0)
		_exit(4);
	struct relay_opts o = { .to_fd = 1, .name = "c", .capture = true, .capture_max = 100 };
	start_writer(0, &o, bytes_out, 100);
	start_writer(1, &o, bytes_out, 101);
	run_loop(60000);
	for (unsigned i = 0; i < 2; i++) {
		size_t len;
		const char *got = relay_captured(i, &len);
		size_t z = 0;
		while (z < len && got[z] == 'z')
			z++;
		say("capture %u: %zu bytes, %zu z, overflowed %d\n", i, len, z, relay_overflowed(i));
	}
	relay_wipe();
	size_t len;
	const char *got = relay_captured(1, &len);
	say("wiped: %zu bytes, first byte %d\n", len, got ? got[0] : -1);
}

static void scenario_mask(void)
{
	secret_register("hunter22-secret-value");
	if (relay_init(1, 0) != 0)
		_exit(4);
	struct relay_opts o = { .to_fd = 2, .prefix = "usher: login \"acr\": ", .name = "login",
				.filter = creds_mask, .safe_cut = creds_mask_cut };
	start_writer(0, &o, secrets_out, 0);
	run_loop(60000);
}

static void scenario_epipe(void)
{
	if (relay_init(1, 0) != 0) /* blocks SIGPIPE itself: nothing here did */
		_exit(4);
	start_writer(0, &plain, numbered, 5000);
	run_loop(60000);
	sigset_t pending;
	sigpending(&pending);
	say("sigpipe pending %d, writer status %d\n", sigismember(&pending, SIGPIPE),
	    writers[0].status);
}

static void scenario_exited(void)
{
	if (relay_init(1, 0) != 0)
		_exit(4);
	start_writer(0, &plain, leaves_grandchild, 0);
	while (!all_reaped()) { /* as the engine: reaped, then stopped relaying */
		struct pollfd fds[4];
		unsigned n = relay_poll_fill(fds, 4);
		poll(fds, n, 20);
		relay_poll_handle(fds, n);
		reap();
	}
	relay_close(0);
	relay_flush_all(now_ms() + 5000);
	kill(-writers[0].pid, SIGKILL); /* the grandchild */
}

/* ------------------------------------------------------------ the test side */

/* Runs fn in a subprocess with these as its stdout and stderr. */
static pid_t spawn(void (*fn)(void), int out_fd, int err_fd, int close_fd)
{
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		if (close_fd >= 0)
			close(close_fd);
		dup2(out_fd, 1);
		dup2(err_fd, 2);
		fn();
		_exit(0);
	}
	return pid;
}

struct text {
	char *bytes;
	size_t len, size;
};

/* Reads what is there (or until EOF when wait_ms < 0... bounded by wait_ms). True at EOF. */
static bool read_into(int fd, struct text *t, long wait_ms)
{
	long long until = now_ms() + wait_ms;
	for (;;) {
		if (t->size - t->len < 65536) {
			t->size = t->size * 2 + 65536;
			t->bytes = realloc(t->bytes, t->size + 1);
		}
		struct pollfd p = { fd, POLLIN, 0 };
		long long left = until - now_ms();
		if (left <= 0 || poll(&p, 1, (int)left) <= 0)
			return false;
		ssize_t got = read(fd, t->bytes + t->len, 4096);
		if (got <= 0)
			return true;
		t->len += (size_t)got;
		t->bytes[t->len] = '\0';
	}
}

static int finish(pid_t pid)
{
	int status;
	waitpid(pid, &status, 0);
	return status;
}

static char *file_text(FILE *f)
{
	static char *text;
	free(text);
	long size = ftell(f);
	text = calloc(1, (size_t)size + 1);
	rewind(f);
	if (fread(text, 1, (size_t)size, f) != (size_t)size)
		text[0] = '\0';
	return text;
}

static void test_mixed(void)
{
	int p[2];
	if (pipe(p) != 0)
		exit(2);
	pid_t pid = spawn(scenario_mixed, p[1], p[1], p[0]); /* stdout and stderr: one pipe */
	close(p[1]);
	struct text t = { 0 };
	bool eof = read_into(p[0], &t, 120000);
	close(p[0]);
	int status = finish(pid);
	ok(eof && status == 0, "3 writers x 10,000 lines: the relay loop ended (status %d)", status);
	int next[3] = { 0, 0, 0 }, bad = 0;
	static char expect[8192];
	for (char *line = t.bytes, *end; line && line < t.bytes + t.len; line = end + 1) {
		end = strchr(line, '\n');
		if (!end)
			break;
		int w = line[1] - '0';
		if (line[0] != 'w' || w < 0 || w > 2 || strncmp(line + 2, " | ", 3) != 0) {
			if (bad++ < 3)
				printf("# bad line: %.60s\n", line);
			continue;
		}
		size_t len = line_text(w, next[w], expect);
		if ((size_t)(end - line - 5) != len || memcmp(line + 5, expect, len) != 0) {
			if (bad++ < 3)
				printf("# line %d of w%d wrong: %.60s\n", next[w], w, line);
		}
		next[w]++;
	}
	ok(bad == 0, "every line whole, prefixed, in its writer's order (%d bad)", bad);
	ok(next[0] == 10000 && next[1] == 10000 && next[2] == 10000,
	   "all lines arrived: %d %d %d (w2 through stderr, the same pipe)", next[0], next[1], next[2]);
	free(t.bytes);
}

static void test_split(void)
{
	FILE *out = tmpfile();
	pid_t pid = spawn(scenario_split, fileno(out), 2, -1);
	int status = finish(pid);
	fseek(out, 0, SEEK_END);
	const char *text = file_text(out);
	static char expect[70000];
	size_t n = 0;
	for (int piece = 0; piece < 3; piece++) {
		size_t len = piece < 2 ? RELAY_LINE_MAX : 40000 - 2 * RELAY_LINE_MAX;
		n += (size_t)sprintf(expect + n, "> ");
		memset(expect + n, 'a', len);
		n += len;
		n += (size_t)sprintf(expect + n, "%s\n", piece < 2 ? " [...]" : "");
	}
	n += (size_t)sprintf(expect + n, "> ");
	memset(expect + n, 'b', RELAY_LINE_MAX);
	n += RELAY_LINE_MAX;
	expect[n++] = '\n';
	expect[n] = '\0';
	if (getenv("RELAY_TEST_DUMP")) {
		FILE *d = fopen(getenv("RELAY_TEST_DUMP"), "w");
		fputs(text, d);
		fclose(d);
	}
	ok(status == 0 && strcmp(text, expect) == 0,
	   "a 40,000-byte line: 16 KiB pieces ending \" [...]\"; exactly 16 KiB: one line "
	   "(a regular file as stdout)");
	fclose(out);
}

static char proc_state(int pid)
{
	char path[64], buf[512];
	snprintf(path, sizeof path, "/proc/%d/stat", pid);
	FILE *f = fopen(path, "r");
	if (!f)
		return '?';
	size_t got = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[got] = '\0';
	char *paren = strrchr(buf, ')');
	return paren && paren[1] ? paren[2] : '?';
}

static int count_lines(const char *text, const char *start)
{
	int n = 0;
	size_t len = strlen(start);
	for (const char *line = text; line && *line; line = strchr(line, '\n'), line = line ? line + 1 : NULL)
		if (strncmp(line, start, len) == 0)
			n++;
	return n;
}

static void test_stall(void)
{
	int out[2], err[2];
	if (pipe(out) != 0 || pipe(err) != 0)
		exit(2);
	pid_t pid = spawn(scenario_stall, out[1], err[1], -1);
	close(out[1]);
	close(err[1]);
	struct text e = { 0 }, o = { 0 };
	long long until = now_ms() + 60000;
	while (!strstr(e.bytes ? e.bytes : "", "B n 1999 ") && now_ms() < until)
		read_into(err[0], &e, 200);
	int apid = 0;
	const char *at = e.bytes ? strstr(e.bytes, "apid ") : NULL;
	if (at)
		apid = atoi(at + 5);
	ok(count_lines(e.bytes, "B n ") == 2000,
	   "nobody reads stdout: the stream to stderr still flowed, all 2000 lines");
	char state = apid ? proc_state(apid) : '?';
	ok(state == 'S', "... while the writer to stdout is blocked in its write (state %c)", state);
	/* Now read stdout: everything written there arrives, nothing dropped. */
	bool eof_out = false, eof_err = false;
	until = now_ms() + 120000;
	while ((!eof_out || !eof_err) && now_ms() < until) {
		if (!eof_out)
			eof_out = read_into(out[0], &o, 50);
		if (!eof_err)
			eof_err = read_into(err[0], &e, 10);
	}
	int status = finish(pid);
	int in_order = 0;
	char expect[128];
	const char *line = o.bytes;
	for (; line && in_order < 20000; in_order++) {
		int n = snprintf(expect, sizeof expect, "A n %d %090d\n", in_order, in_order);
		if (strncmp(line, expect, (size_t)n) != 0)
			break;
		line += n;
	}
	ok(eof_out && status == 0 && in_order == 20000 && line == o.bytes + o.len,
	   "once stdout is read: all 20,000 lines of the stalled writer, in order, nothing dropped "
	   "(%d, status %d)", in_order, status);
	at = strstr(e.bytes, "longest ");
	long longest = at ? atol(at + 8) : -1;
	ok(at && longest < 2000, "no relay call took long (longest %ld ms)", longest);
	ok(!strstr(e.bytes, "dropped") && !strstr(o.bytes, "dropped"), "no drop notes");
	close(out[0]);
	close(err[0]);
	free(e.bytes);
	free(o.bytes);
}

static void test_cap(void)
{
	FILE *out = tmpfile();
	pid_t pid = spawn(scenario_cap, fileno(out), 2, -1);
	int status = finish(pid);
	fseek(out, 0, SEEK_END);
	const char *text = file_text(out);
	static char expect[4096];
	size_t n = 0;
	for (int k = 0; k < 20; k++) { /* 20 x 50 = 1000; the 21st would pass it */
		memset(expect + n, 'c', 49);
		n += 49;
		expect[n++] = '\n';
	}
	sprintf(expect + n, "usher: login \"w\": output over 1000 bytes; the rest is dropped\n"
		"usher: login \"w\": 4000 bytes of output dropped\n");
	ok(status == 0 && strcmp(text, expect) == 0,
	   "forward cap: lines up to the cap, one note when dropping starts, the count at close");
	if (strcmp(text, expect) != 0)
		printf("# got %zu bytes, tail: %s\n", strlen(text), text + (strlen(text) > 120 ? strlen(text) - 120 : 0));
	fclose(out);
}

static void test_capture(void)
{
	FILE *out = tmpfile(), *err = tmpfile();
	pid_t pid = spawn(scenario_capture, fileno(out), fileno(err), -1);
	int status = finish(pid);
	fseek(err, 0, SEEK_END);
	const char *text = file_text(err);
	ok(status == 0 && strstr(text, "capture 0: 100 bytes, 100 z, overflowed 0\n"),
	   "capture: 100 bytes of 100 kept, not overflowed");
	ok(strstr(text, "capture 1: 100 bytes, 100 z, overflowed 1\n") != NULL,
	   "capture: 101 bytes: 100 kept, overflowed");
	ok(strstr(text, "wiped: 0 bytes, first byte 0\n") != NULL, "relay_wipe zeroes the captures");
	ok(ftell(out) == 0, "captured output is not forwarded");
	fclose(out);
	fclose(err);
}

static void test_mask(void)
{
	FILE *err = tmpfile();
	pid_t pid = spawn(scenario_mask, 1, fileno(err), -1);
	int status = finish(pid);
	fseek(err, 0, SEEK_END);
	const char *text = file_text(err);
	const char *lead = "usher: login \"acr\": ";
	char first[128];
	snprintf(first, sizeof first, "%spass=*** ok\n", lead);
	ok(status == 0 && strncmp(text, first, strlen(first)) == 0,
	   "a secret split across two reads is masked");
	ok(!strstr(text, "hunter") && !strstr(text, "secret-value") && !strstr(text, "-sec"),
	   "no part of the secret is printed");
	const char *piece = text + strlen(first);
	size_t xs = strspn(piece + strlen(lead), "x");
	ok(strncmp(piece, lead, strlen(lead)) == 0 && xs == RELAY_LINE_MAX - 5 &&
	   strncmp(piece + strlen(lead) + xs, " [...]\n", 7) == 0,
	   "a long line is cut before a secret that straddles 16 KiB (%zu x)", xs);
	const char *rest = strchr(piece, '\n') + 1;
	ok(strncmp(rest, lead, strlen(lead)) == 0 && strncmp(rest + strlen(lead), "***xxx", 6) == 0,
	   "... and the secret is masked in the next piece");
	char last[64];
	snprintf(last, sizeof last, "%stail ***\n", lead);
	size_t len = strlen(text);
	ok(len > strlen(last) && strcmp(text + len - strlen(last), last) == 0,
	   "an unfinished line at exit: what could start a secret is hidden");
	fclose(err);
}

static void test_epipe(bool reader_at_start)
{
	int out[2];
	FILE *err = tmpfile();
	if (pipe(out) != 0)
		exit(2);
	if (reader_at_start)
		close(out[0]);
	pid_t pid = spawn(scenario_epipe, out[1], fileno(err), reader_at_start ? -1 : out[0]);
	close(out[1]);
	if (!reader_at_start) {
		char some[512];
		struct pollfd p = { out[0], POLLIN, 0 };
		if (poll(&p, 1, 20000) != 1 || read(out[0], some, sizeof some) <= 0)
			printf("# nothing came on stdout\n");
		close(out[0]); /* the reader goes away while the writer is still writing */
	}
	int status = finish(pid);
	fseek(err, 0, SEEK_END);
	const char *text = file_text(err);
	const char *how = reader_at_start ? "no reader from the start" : "the reader leaves";
	ok(WIFEXITED(status) && WEXITSTATUS(status) == 0, "EPIPE (%s): the loop goes on, exit 0 (status %d)",
	   how, status);
	ok(strstr(text, "usher: relay: stdout: Broken pipe; output relayed to it is dropped\n") != NULL,
	   "... one note on stderr says stdout output is dropped");
	ok(strstr(text, "sigpipe pending 0, writer status 0\n") != NULL,
	   "... no SIGPIPE left pending for the loop; the writer was not blocked or killed");
	if (!strstr(text, "sigpipe pending 0") || !strstr(text, "Broken pipe"))
		printf("# stderr: %s\n", text);
	fclose(err);
}

static void test_exited(void)
{
	FILE *out = tmpfile();
	long long start = now_ms();
	pid_t pid = spawn(scenario_exited, fileno(out), 2, -1);
	int status = finish(pid);
	long long took = now_ms() - start;
	fseek(out, 0, SEEK_END);
	ok(status == 0 && strcmp(file_text(out), "last words\n") == 0 && took < 20000,
	   "a grandchild holds the pipe: the exited child's unfinished line is printed at once "
	   "(%lld ms)", took);
	fclose(out);
}

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "split") == 0) { /* for debugging one case */
		test_split();
		return 0;
	}
	if (argc > 1 && strcmp(argv[1], "epipe") == 0) {
		test_epipe(false);
		return 0;
	}
	test_mixed();
	test_split();
	test_stall();
	test_cap();
	test_capture();
	test_mask();
	test_epipe(false);
	test_epipe(true);
	test_exited();
	return done_testing();
}
