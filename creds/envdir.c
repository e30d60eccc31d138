/* creds/envdir.c — secret directories: one file per variable (Docker /run/secrets,
 * Kubernetes secret volumes with their ..data symlinks, s6 envdir). */
#include "envfile.h"

#include "util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static bool valid_name(const char *name)
{
	if (!((name[0] >= 'A' && name[0] <= 'Z') || (name[0] >= 'a' && name[0] <= 'z') ||
	      name[0] == '_'))
		return false;
	for (const char *c = name + 1; *c; c++)
		if (!((*c >= 'A' && *c <= 'Z') || (*c >= 'a' && *c <= 'z') ||
		      (*c >= '0' && *c <= '9') || *c == '_' || *c == '.'))
			return false;
	return true;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The visible entries of dir_fd, sorted (so the workload's env order is stable). Names
 * starting with "." are the volume's own (Kubernetes ..data, ..2024_...; s6 ignores them
 * too). Returns a NULL-terminated malloc'd list, or NULL after printing. */
static char **list_names(int dir_fd, const char *dir)
{
	int list_fd = dup(dir_fd);
	DIR *stream = list_fd < 0 ? NULL : fdopendir(list_fd);
	if (!stream) {
		usher_err("%s: %s", dir, strerror(errno));
		if (list_fd >= 0)
			close(list_fd);
		return NULL;
	}
	size_t count = 0, cap = 16;
	char **names = malloc(cap * sizeof *names);
	struct dirent *entry;
	errno = 0;
	while (names && (entry = readdir(stream)) != NULL) {
		if (entry->d_name[0] == '.')
			continue;
		if (count + 2 > cap) {
			char **bigger = realloc(names, (cap *= 2) * sizeof *names);
			if (!bigger)
				break;
			names = bigger;
		}
		if (!(names[count] = strdup(entry->d_name)))
			break;
		count++;
		errno = 0;
	}
	int err = errno;
	closedir(stream);
	if (!names || err) {
		usher_err("%s: %s", dir, names ? strerror(err) : "out of memory");
		for (size_t i = 0; names && i < count; i++)
			free(names[i]);
		free(names);
		return NULL;
	}
	names[count] = NULL;
	qsort(names, count, sizeof *names, by_name);
	return names;
}

static int load_one(int dir_fd, const char *dir, const char *name, struct env *into,
		    int (*loaded_path)(const char *path))
{
	if (!valid_name(name)) {
		usher_err("%s/%s: not a valid variable name ([A-Za-z_][A-Za-z0-9_.]*)", dir, name);
		return -1;
	}
	char *data;
	size_t len;
	if (secret_file_read_at(dir_fd, dir, name, &data, &len) != 0)
		return -1;
	size_t value_len = strip_one_newline(data, len);
	int rc = 0;
	if (memchr(data, '\0', value_len)) {
		usher_err("%s/%s: contains a NUL byte, which an environment variable cannot hold",
			  dir, name);
		rc = -1;
	} else if (env_set(into, name, strlen(name), data, value_len, true) != 0) {
		usher_err("%s/%s: out of memory", dir, name);
		rc = -1;
	}
	wipe_free(data, len);
	if (rc == 0 && loaded_path) {
		char path[4096];
		snprintf(path, sizeof path, "%s/%s", dir, name);
		rc = loaded_path(path);
	}
	return rc;
}

int envdir_load(const char *dir, bool missing_ok, struct env *into,
		int (*loaded_path)(const char *path))
{
	int dir_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dir_fd < 0) {
		if (missing_ok && errno == ENOENT)
			return 1;
		usher_err("%s: %s", dir, strerror(errno));
		return -1;
	}
	char **names = list_names(dir_fd, dir);
	int rc = names ? 0 : -1;
	for (size_t i = 0; names && names[i]; i++) {
		if (rc == 0)
			rc = load_one(dir_fd, dir, names[i], into, loaded_path);
		free(names[i]);
	}
	free(names);
	close(dir_fd);
	return rc;
}
