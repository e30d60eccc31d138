/* init/notify.c — Type=notify: one datagram socket usher owns (NOTIFY_SOCKET, abstract and
 * autobound, so two ushers in one network namespace never clash), read without allocating. */
#include "service-run.h"
#include "util.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static int fd = -1;
static char env_entry[64];

int notify_open(void)
{
	if (fd >= 0)
		return 0;
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	socklen_t len = sizeof addr.sun_family; /* autobind: the kernel picks an abstract name */
	int on = 1;
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&addr, len) != 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_PASSCRED, &on, sizeof on) != 0 ||
	    (len = sizeof addr, getsockname(fd, (struct sockaddr *)&addr, &len)) != 0 ||
	    len <= sizeof addr.sun_family + 1) {
		usher_err("NOTIFY_SOCKET: %s", strerror(errno));
		return -1;
	}
	size_t name_len = len - sizeof addr.sun_family - 1; /* after the leading NUL */
	snprintf(env_entry, sizeof env_entry, "NOTIFY_SOCKET=@%.*s", (int)name_len, addr.sun_path + 1);
	return 0;
}

const char *notify_env(void)
{
	return env_entry;
}

int notify_fd(void)
{
	return fd;
}

/* "READY=1" as a whole line of the message (sd_notify's assignments, one a line; systemd
 * splits at "\n" and "\r", and ignores a message holding a NUL byte, as usher does).
 * Pure: the fuzzer (tests/fuzz/notify-fuzz.c) calls it with any bytes. */
bool notify_says_ready(const char *text, size_t len)
{
	if (memchr(text, '\0', len))
		return false;
	bool ready = false;
	for (size_t at = 0, line = 0; at <= len; at++) {
		if (at == len || text[at] == '\n' || text[at] == '\r') {
			ready |= at - line == 7 && memcmp(text + line, "READY=1", 7) == 0;
			line = at + 1;
		}
	}
	return ready;
}

void notify_read(void (*ready)(pid_t sender))
{
	static char text[4096]; /* systemd's limit too: a longer message is ignored, not cut */
	static bool said_too_long;
	union {
		struct cmsghdr align;
		char room[CMSG_SPACE(sizeof(struct ucred)) + CMSG_SPACE(16 * sizeof(int))];
	} control;
	/* A bounded number per wake-up: a flooding service cannot hold the loop. */
	for (int round = 0; round < 64; round++) {
		struct iovec iov = { text, sizeof text };
		struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1,
				      .msg_control = &control, .msg_controllen = sizeof control };
		ssize_t got = recvmsg(fd, &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			if (errno != EAGAIN)
				usher_warn("NOTIFY_SOCKET: %s", strerror(errno));
			return;
		}
		pid_t sender = 0;
		for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
			if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_CREDENTIALS) {
				struct ucred cred;
				memcpy(&cred, CMSG_DATA(c), sizeof cred);
				sender = cred.pid;
			} else if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
				/* fd stores are not kept: close what was passed. */
				int *fds = (int *)CMSG_DATA(c);
				for (size_t i = 0; i < (c->cmsg_len - CMSG_LEN(0)) / sizeof(int); i++)
					close(fds[i]);
			}
		}
		if (msg.msg_flags & MSG_TRUNC) {
			if (!said_too_long)
				usher_warn("NOTIFY_SOCKET: pid %d: a message over 4096 bytes is "
					   "ignored (said once)", (int)sender);
			said_too_long = true;
		} else if (sender > 0 && notify_says_ready(text, (size_t)got)) {
			ready(sender);
		}
	}
}
