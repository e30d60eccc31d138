/* creds/secret-file.c — reading a secret or env file safely: a size cap, symlinks only inside
 * their directory (openat2 RESOLVE_BENEATH), no FIFOs, a warning for world-readable files. */
#include "envfile.h"

#include "internal.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

/* struct open_how and its flags from <linux/openat2.h>, which musl's headers lack. */
struct usher_open_how {
	uint64_t flags;
	uint64_t mode;
	uint64_t resolve;
};
#define USHER_RESOLVE_NO_MAGICLINKS 0x02
#define USHER_RESOLVE_BENEATH 0x08
#ifndef SYS_openat2
#define SYS_openat2 437
#endif

/* Open name inside dir_fd; a symlink may be followed only if it stays inside dir_fd's
 * directory (Kubernetes: name -> ..data/name, ..data -> ..2024_01_01...). O_NONBLOCK so
 * a FIFO planted in place of a secret cannot hang PID 1. */
static int open_beneath(int dir_fd, const char *name)
{
	const int flags = O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK;
	struct usher_open_how how = {
		.flags = flags,
		.resolve = USHER_RESOLVE_BENEATH | USHER_RESOLVE_NO_MAGICLINKS,
	};
	long fd = syscall(SYS_openat2, dir_fd, name, &how, sizeof how);
	if (fd >= 0 || (errno != ENOSYS && errno != EPERM))
		return (int)fd;

	/* Kernel < 5.6, or a seccomp profile without openat2: follow, but stay on the
	 * directory's filesystem (a secret volume is one tmpfs). */
	int file_fd = openat(dir_fd, name, flags);
	if (file_fd < 0)
		return -1;
	struct stat dir_st, file_st;
	if (fstat(dir_fd, &dir_st) != 0 || fstat(file_fd, &file_st) != 0) {
		int saved = errno;
		close(file_fd);
		errno = saved;
		return -1;
	}
	if (dir_st.st_dev != file_st.st_dev) {
		close(file_fd);
		errno = EXDEV;
		return -1;
	}
	return file_fd;
}

static const char *open_error(int err)
{
	if (err == EXDEV)
		return "symlink leads outside its directory";
	if (err == ELOOP)
		return "too many symlinks, or a /proc magic link";
	return strerror(err);
}

/* Copy into a bigger buffer, wiping the old one (realloc would leave a copy behind). */
static char *grow(char *data, size_t used, size_t new_size)
{
	char *bigger = malloc(new_size);
	if (!bigger)
		return NULL;
	if (data) {
		memcpy(bigger, data, used);
		wipe_free(data, used);
	}
	return bigger;
}

static int too_large(const char *shown, char *buf, size_t size)
{
	usher_err("%s: larger than %d KiB", shown, SECRET_FILE_MAX / 1024);
	wipe_free(buf, size);
	return -1;
}

static int read_open_file(int fd, const char *shown, char **data, size_t *len)
{
	struct stat st;
	const char *why = user_file_check(fd, SECRET_FILE_MAX, &st);
	if (why) {
		usher_err("%s: %s", shown, why);
		return -1;
	}
	if (st.st_mode & S_IROTH)
		usher_warn("%s: readable by every user (mode %04o)", shown,
			   (unsigned)(st.st_mode & 07777));

	/* One byte more than the file to see its end, one for the NUL: a file of exactly
	 * SECRET_FILE_MAX bytes fits; one that grew past it since fstat does not. */
	size_t size = (size_t)st.st_size + 2, used = 0;
	char *buf = grow(NULL, 0, size);
	if (!buf) {
		usher_err("%s: out of memory", shown);
		return -1;
	}
	for (;;) {
		if (used + 1 == size) { /* the file grew since fstat */
			if (used > SECRET_FILE_MAX)
				return too_large(shown, buf, size);
			size_t bigger_size = size * 2 > SECRET_FILE_MAX + 2 ? SECRET_FILE_MAX + 2 : size * 2;
			char *bigger = grow(buf, used, bigger_size);
			if (!bigger) {
				usher_err("%s: out of memory", shown);
				wipe_free(buf, size);
				return -1;
			}
			buf = bigger;
			size = bigger_size;
		}
		ssize_t got = read(fd, buf + used, size - 1 - used);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			usher_err("%s: %s", shown, strerror(errno));
			wipe_free(buf, size);
			return -1;
		}
		if (got == 0)
			break;
		used += (size_t)got;
	}
	if (used > SECRET_FILE_MAX)
		return too_large(shown, buf, size);
	buf[used] = '\0';
	*data = buf;
	*len = used;
	return 0;
}

int secret_file_read_at(int dir_fd, const char *dir, const char *name, char **data,
			size_t *len)
{
	char shown[4096];
	snprintf(shown, sizeof shown, "%s/%s", dir, name);
	int fd = open_beneath(dir_fd, name);
	if (fd < 0) {
		usher_err("%s: %s", shown, open_error(errno));
		return -1;
	}
	int rc = read_open_file(fd, shown, data, len);
	close(fd);
	return rc;
}

int secret_file_read(const char *path, bool missing_ok, char **data, size_t *len)
{
	const char *slash = strrchr(path, '/');
	const char *name = slash ? slash + 1 : path;
	char dir[4096];
	if (!slash)
		snprintf(dir, sizeof dir, ".");
	else if (slash == path)
		snprintf(dir, sizeof dir, "/");
	else if ((size_t)(slash - path) < sizeof dir)
		snprintf(dir, sizeof dir, "%.*s", (int)(slash - path), path);
	else {
		usher_err("%s: path too long", path);
		return -1;
	}
	if (!*name) {
		usher_err("%s: not a regular file", path);
		return -1;
	}

	/* Symlinks in the directory part are the operator's choice; only the last component
	 * is held to the stay-inside rule. */
	int dir_fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	int fd = dir_fd < 0 ? -1 : open_beneath(dir_fd, name);
	int err = errno;
	if (dir_fd >= 0)
		close(dir_fd);
	if (fd < 0) {
		if (missing_ok && err == ENOENT)
			return 1;
		usher_err("%s: %s", path, open_error(err));
		return -1;
	}
	int rc = read_open_file(fd, path, data, len);
	close(fd);
	return rc;
}
