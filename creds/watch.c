/* creds/watch.c — noticing that a secret file changed: inotify on the directory that holds it,
 * by name, so consul-template's temp-file rename and Kubernetes' ..data swap are both seen. */
#include "internal.h"
#include "util.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

/* What changes a file's content by name: written and closed, renamed onto, removed. A new
 * symlink (ln -sf, kubelet) makes no close-write, so IN_CREATE is looked at too. */
static const unsigned WATCH_EVENTS = IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE |
				     IN_CREATE | IN_DELETE_SELF | IN_MOVE_SELF;

/* Kubernetes updates a secret volume by renaming ..data_tmp onto this name; every visible
 * file is a symlink through it (kubernetes pkg/volume/util/atomic_writer.go). */
static const char KUBERNETES_DATA[] = "..data";

struct watched_dir {
	char *dir;
	int wd;        /* -1 while the directory is gone; re-added on the next drain */
	char **names;  /* basenames watched in it; "" means any name (a watched directory) */
	size_t count;
};

static int inotify_fd = -1;
static struct watched_dir *dirs;
static size_t dir_count;

static int add_name(struct watched_dir *d, const char *name)
{
	for (size_t i = 0; i < d->count; i++)
		if (strcmp(d->names[i], name) == 0)
			return 0;
	char **grown = realloc(d->names, (d->count + 1) * sizeof *grown);
	char *copy = strdup(name);
	if (!grown || !copy) {
		free(copy);
		if (grown)
			d->names = grown;
		usher_err("watch: out of memory");
		return -1;
	}
	d->names = grown;
	d->names[d->count++] = copy;
	return 0;
}

static struct watched_dir *find_or_add_dir(const char *dir, const char *path)
{
	for (size_t i = 0; i < dir_count; i++)
		if (strcmp(dirs[i].dir, dir) == 0)
			return &dirs[i];
	int wd = inotify_add_watch(inotify_fd, dir, WATCH_EVENTS | IN_ONLYDIR);
	if (wd < 0) {
		usher_err("%s: cannot watch its directory %s: %s", path, dir, strerror(errno));
		return NULL;
	}
	struct watched_dir *grown = realloc(dirs, (dir_count + 1) * sizeof *grown);
	char *copy = strdup(dir);
	if (!grown || !copy) {
		free(copy);
		if (grown)
			dirs = grown;
		usher_err("watch: out of memory");
		return NULL;
	}
	dirs = grown;
	dirs[dir_count] = (struct watched_dir){ .dir = copy, .wd = wd };
	return &dirs[dir_count++];
}

int watch_add(const char *path)
{
	if (!path || !*path) {
		usher_err("watch: empty path");
		return -1;
	}
	if (inotify_fd < 0) {
		inotify_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
		if (inotify_fd < 0) {
			usher_err("%s: inotify: %s", path, strerror(errno));
			return -1;
		}
	}
	char dir[PATH_MAX];
	const char *name;
	struct stat st;
	if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
		/* A directory of secrets: any entry in it. */
		if (strlen(path) >= sizeof dir) {
			usher_err("%s: path too long", path);
			return -1;
		}
		strcpy(dir, path);
		name = "";
	} else {
		const char *slash = strrchr(path, '/');
		size_t dir_len = slash ? (size_t)(slash - path) : 1;
		if (dir_len >= sizeof dir) {
			usher_err("%s: path too long", path);
			return -1;
		}
		if (!slash)
			strcpy(dir, ".");
		else if (dir_len == 0)
			strcpy(dir, "/");
		else {
			memcpy(dir, path, dir_len);
			dir[dir_len] = '\0';
		}
		name = slash ? slash + 1 : path;
		if (!*name) {
			usher_err("%s: not a directory", path);
			return -1;
		}
	}
	struct watched_dir *d = find_or_add_dir(dir, path);
	if (!d || add_name(d, name) != 0)
		return -1;
	usher_debug("watching %s in %s", *name ? name : "every entry", dir);
	return 0;
}

int watch_fd(void)
{
	return dir_count > 0 ? inotify_fd : -1;
}

static bool name_is_watched(const struct watched_dir *d, const char *name, unsigned mask)
{
	for (size_t i = 0; i < d->count; i++) {
		if (!*d->names[i] || strcmp(d->names[i], name) == 0)
			goto watched;
	}
	if (strcmp(name, KUBERNETES_DATA) == 0 && (mask & (IN_MOVED_TO | IN_CREATE)))
		return true;
	return false;
watched:
	if (!(mask & IN_CREATE))
		return true;
	/* A created regular file is followed by its close-write; a created symlink is not. */
	char path[PATH_MAX];
	struct stat st;
	if (snprintf(path, sizeof path, "%s/%s", d->dir, name) >= (int)sizeof path)
		return true;
	return lstat(path, &st) == 0 && !S_ISREG(st.st_mode);
}

static struct watched_dir *dir_of(int wd)
{
	for (size_t i = 0; i < dir_count; i++)
		if (dirs[i].wd == wd)
			return &dirs[i];
	return NULL;
}

/* A watched directory that was removed or moved comes back under its name: watch it again
 * and count that as a change. */
static bool rewatch_lost_dirs(void)
{
	bool changed = false;
	for (size_t i = 0; i < dir_count; i++) {
		if (dirs[i].wd >= 0)
			continue;
		dirs[i].wd = inotify_add_watch(inotify_fd, dirs[i].dir, WATCH_EVENTS | IN_ONLYDIR);
		changed |= dirs[i].wd >= 0;
	}
	return changed;
}

bool watch_changed(void)
{
	if (inotify_fd < 0 || dir_count == 0)
		return false;
	bool changed = false;
	char buffer[16 * 1024] __attribute__((aligned(__alignof__(struct inotify_event))));
	for (;;) {
		ssize_t got = read(inotify_fd, buffer, sizeof buffer);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0) {
			if (got < 0 && errno != EAGAIN)
				usher_warn("watch: read: %s", strerror(errno));
			break;
		}
		for (char *p = buffer; p < buffer + got;) {
			const struct inotify_event *event = (const struct inotify_event *)p;
			p += sizeof *event + event->len;
			if (event->mask & IN_Q_OVERFLOW) {
				changed = true; /* events were lost: assume the worst */
				continue;
			}
			struct watched_dir *d = dir_of(event->wd);
			if (!d)
				continue;
			if (event->mask & (IN_IGNORED | IN_DELETE_SELF | IN_MOVE_SELF)) {
				/* The watch is gone with the directory (or now follows it elsewhere). */
				if (!(event->mask & IN_IGNORED))
					inotify_rm_watch(inotify_fd, d->wd);
				d->wd = -1;
				changed = true;
				continue;
			}
			if (event->len && name_is_watched(d, event->name, event->mask)) {
				usher_debug("watch: %s/%s changed", d->dir, event->name);
				changed = true;
			}
		}
	}
	return rewatch_lost_dirs() || changed;
}
