/* tests/fuzz/notify-fuzz.c — libFuzzer harness for the sd_notify messages of init/notify.c: each
 * input goes to the pure parser and, as a real datagram, through usher's NOTIFY_SOCKET reader.
 *
 * Input: byte 0 is how many file descriptors ride along (mod 24: more than the reader's room
 * for 16 truncates the control data), the rest is the message. What must hold, against an
 * independent reading of systemd's rule (a message of at most 4096 bytes without NUL bytes,
 * split at "\n" and "\r", holding the word READY=1): ready() is called once exactly when the
 * rule says ready, with the sender's pid, and every passed descriptor is closed again. */
#include "service-run.h"
#include "util.h"

#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define MESSAGE_MAX 4096 /* systemd's NOTIFY_BUFFER_MAX; longer messages are ignored */
#define FDS_MAX 24

static bool rule_says_ready(const uint8_t *msg, size_t len)
{
	if (len > MESSAGE_MAX || memchr(msg, 0, len))
		return false;
	char text[MESSAGE_MAX + 1];
	memcpy(text, msg, len);
	text[len] = '\0';
	for (const char *word = text; *word;) {
		size_t n = strcspn(word, "\n\r");
		if (n == 7 && strncmp(word, "READY=1", 7) == 0)
			return true;
		word += n + (word[n] != '\0');
	}
	return false;
}

static int ready_calls;
static pid_t ready_sender;

static void ready(pid_t sender)
{
	ready_calls++;
	ready_sender = sender;
}

static int lowest_free_fd(void)
{
	int fd = dup(0);
	if (fd < 0)
		abort();
	close(fd);
	return fd;
}

static int sender = -1, null_fd = -1;
static struct sockaddr_un to = { .sun_family = AF_UNIX };
static socklen_t to_len;

static void setup(void)
{
	usher_verbosity = -1;
	if (notify_open() != 0)
		abort();
	const char *name = strchr(notify_env(), '@') + 1; /* NOTIFY_SOCKET=@NAME: abstract */
	to.sun_path[0] = '\0';
	memcpy(to.sun_path + 1, name, strlen(name));
	to_len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + strlen(name));
	sender = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (sender < 0 || null_fd < 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (sender < 0)
		setup();
	if (size == 0)
		return 0;
	size_t fd_count = data[0] % FDS_MAX;
	const uint8_t *msg = data + 1;
	size_t len = size - 1;
	bool expected = rule_says_ready(msg, len);

	/* The parser alone, on any bytes: it may only look at the len bytes it is given. */
	uint8_t *exact = malloc(len ? len : 1);
	if (!exact)
		return 0;
	memcpy(exact, msg, len);
	bool parsed = notify_says_ready((const char *)exact, len);
	free(exact);
	if (len <= MESSAGE_MAX && parsed != expected)
		abort();

	/* The whole path: a datagram with fd_count descriptors, read by notify_read(). */
	int free_before = lowest_free_fd();
	union {
		struct cmsghdr align;
		char room[CMSG_SPACE(FDS_MAX * sizeof(int))];
	} control;
	struct iovec iov = { (void *)msg, len };
	struct msghdr out = { .msg_name = &to, .msg_namelen = to_len, .msg_iov = &iov, .msg_iovlen = 1 };
	if (fd_count) {
		out.msg_control = &control;
		out.msg_controllen = CMSG_SPACE(fd_count * sizeof(int));
		struct cmsghdr *c = CMSG_FIRSTHDR(&out);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(fd_count * sizeof(int));
		for (size_t i = 0; i < fd_count; i++)
			memcpy(CMSG_DATA(c) + i * sizeof(int), &null_fd, sizeof(int));
	}
	if (sendmsg(sender, &out, MSG_DONTWAIT) != (ssize_t)len)
		return 0; /* too large for a datagram: nothing reached usher */
	ready_calls = 0;
	ready_sender = 0;
	notify_read(ready);
	if (ready_calls != (expected ? 1 : 0) || (expected && ready_sender != getpid()))
		abort();
	if (lowest_free_fd() != free_before) /* a passed descriptor was kept */
		abort();
	return 0;
}
