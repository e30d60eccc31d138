/* tests/creds/watch-test.c — TAP unit test of creds/watch.c against real files: in-place
 * writes, consul-template's temp-file rename, the Kubernetes ..data swap, unrelated files. */
#include "internal.h"
#include "util.h"
#include "../lib/unit-tap.h"

#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void die(const char *what)
{
	perror(what);
	printf("Bail out! %s\n", what);
	exit(1);
}

/* Kept for the whole test, reachable so leak checkers stay quiet. */
static char *paths[64];
static size_t path_count;

static char *path_in(const char *dir, const char *name)
{
	char *path = malloc(strlen(dir) + strlen(name) + 2);
	if (!path || path_count == sizeof paths / sizeof paths[0])
		die("malloc");
	paths[path_count++] = path;
	sprintf(path, "%s/%s", dir, name);
	return path;
}

static void write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text) || close(fd) != 0)
		die(path);
}

/* inotify queues events inside the syscall that causes them: no waiting is needed. */
static bool readable_now(void)
{
	struct pollfd fd = { watch_fd(), POLLIN, 0 };
	return poll(&fd, 1, 0) == 1;
}

int main(void)
{
	char template[] = "/tmp/usher-watch-XXXXXX";
	char *root = mkdtemp(template);
	if (!root)
		die("mkdtemp");
	ok(watch_fd() == -1, "no fd while nothing is watched");
	ok(!watch_changed(), "nothing changed while nothing is watched");

	/* Nomad / consul-template style: a file in a directory. */
	char *nomad = path_in(root, "secrets");
	if (mkdir(nomad, 0700) != 0)
		die("mkdir");
	char *env_file = path_in(nomad, "acr.env");
	write_file(env_file, "password=one\n");
	ok(watch_add(env_file) == 0, "watch_add on a file");
	ok(watch_fd() >= 0, "an fd to poll once something is watched");
	ok(!watch_changed(), "no change right after watch_add");

	write_file(env_file, "password=two\n");
	ok(readable_now() && watch_changed(), "in-place write seen");
	ok(!watch_changed(), "drained: no change reported twice");

	char *temp = path_in(nomad, ".acr.env.tmp123");
	write_file(temp, "password=three\n");
	ok(readable_now(), "the temp file's events arrive");
	ok(!watch_changed(), "the temp file alone is not a change");
	if (rename(temp, env_file) != 0)
		die("rename");
	ok(watch_changed(), "consul-template's write-temp-then-rename seen");

	write_file(path_in(nomad, "other.env"), "x=1\n");
	ok(readable_now() && !watch_changed(), "an unwatched file in the same directory is ignored");

	if (unlink(env_file) != 0)
		die("unlink");
	ok(watch_changed(), "removal seen");
	write_file(env_file, "password=four\n");
	ok(watch_changed(), "re-creation seen");

	/* Kubernetes secret volume: name -> ..data/name, ..data -> ..TIMESTAMP */
	char *volume = path_in(root, "volume");
	char *first = path_in(volume, "..2026_11_26_10_00_00.1");
	if (mkdir(volume, 0700) != 0 || mkdir(first, 0700) != 0)
		die("mkdir");
	write_file(path_in(first, "token"), "token-one");
	if (symlink("..2026_11_26_10_00_00.1", path_in(volume, "..data")) != 0 ||
	    symlink("..data/token", path_in(volume, "token")) != 0)
		die("symlink");
	ok(watch_add(path_in(volume, "token")) == 0, "watch_add on a Kubernetes-style symlink");
	ok(!watch_changed(), "no change right after watch_add");
	char *second = path_in(volume, "..2026_11_26_10_05_00.2");
	if (mkdir(second, 0700) != 0)
		die("mkdir");
	write_file(path_in(second, "token"), "token-two");
	if (symlink("..2026_11_26_10_05_00.2", path_in(volume, "..data_tmp")) != 0)
		die("symlink");
	ok(readable_now() && !watch_changed(), "a new timestamped dir and ..data_tmp are not yet a change");
	if (rename(path_in(volume, "..data_tmp"), path_in(volume, "..data")) != 0)
		die("rename");
	ok(watch_changed(), "the ..data swap is seen");

	/* A directory of secrets (envdir): any entry. */
	char *envdir = path_in(root, "envdir");
	if (mkdir(envdir, 0700) != 0)
		die("mkdir");
	ok(watch_add(envdir) == 0, "watch_add on a directory");
	write_file(path_in(envdir, "PASSWORD"), "five");
	ok(watch_changed(), "a new file in a watched directory is seen");

	/* The watched directory removed and re-created. */
	char *lost = path_in(root, "lost");
	if (mkdir(lost, 0700) != 0)
		die("mkdir");
	ok(watch_add(path_in(lost, "f")) == 0, "watch_add on a file that does not exist yet");
	if (rmdir(lost) != 0)
		die("rmdir");
	ok(watch_changed(), "its directory's removal is a change");
	if (mkdir(lost, 0700) != 0)
		die("mkdir");
	ok(watch_changed(), "its directory's return is a change");
	write_file(path_in(lost, "f"), "six");
	ok(watch_changed(), "the file in the returned directory is watched again");

	ok(watch_add(path_in(root, "nowhere/f")) == -1, "a missing directory is an error");
	ok(watch_add("") == -1, "an empty path is an error");

	return done_testing();
}
