/* init/util.c — messages on stderr, duration/boolean/integer parsing, the monotonic clock.
 * Kept free of allocation so the supervising loop may use it. */
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

int usher_verbosity = 1;

/* One line, one write(2): lines from usher and the workload do not interleave mid-line. */
static void say(const char *level, const char *fmt, va_list ap)
{
	char line[1024];
	int len = snprintf(line, sizeof line, "usher: %s", level);
	if (len < 0)
		return;
	int more = vsnprintf(line + len, sizeof line - (size_t)len - 1, fmt, ap);
	if (more < 0)
		return;
	len += more;
	if (len > (int)sizeof line - 2)
		len = (int)sizeof line - 2;
	line[len++] = '\n';
	int saved = errno;
	ssize_t ignored = write(STDERR_FILENO, line, (size_t)len);
	(void)ignored; /* nowhere left to report a failed write to stderr */
	errno = saved;
}

void usher_err(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	say("", fmt, ap);
	va_end(ap);
}

void usher_warn(const char *fmt, ...)
{
	if (usher_verbosity < 1)
		return;
	va_list ap;
	va_start(ap, fmt);
	say("warning: ", fmt, ap);
	va_end(ap);
}

void usher_info(const char *fmt, ...)
{
	if (usher_verbosity < 2)
		return;
	va_list ap;
	va_start(ap, fmt);
	say("", fmt, ap);
	va_end(ap);
}

void usher_debug(const char *fmt, ...)
{
	if (usher_verbosity < 3)
		return;
	va_list ap;
	va_start(ap, fmt);
	say("debug: ", fmt, ap);
	va_end(ap);
}

/* Integer arithmetic only: strtod would pull musl's float scanner into a binary that
 * counts its kilobytes. Accepts up to three decimals ("1.5s", "0.25m"). Every step is
 * bounded so nothing can overflow: the number is at most DURATION_MAX_MS units. */
int parse_duration_ms(const char *text, long *ms)
{
	static const struct {
		char suffix[4];
		int ms;
	} units[] = {
		{ "ms", 1 }, { "s", 1000 }, { "sec", 1000 }, { "m", 60000 }, { "min", 60000 },
		{ "h", 3600000 }, { "", 1000 },
	};
	const long long limit = DURATION_MAX_MS * 1000LL; /* in thousandths of a unit */
	if (!text || *text < '0' || *text > '9')
		return -1;
	long long thousandths = 0; /* the number times 1000 */
	const char *p = text;
	for (; *p >= '0' && *p <= '9'; p++) {
		thousandths = thousandths * 10 + (*p - '0') * 1000;
		if (thousandths > limit)
			return -1;
	}
	if (*p == '.') {
		p++;
		long long place = 100;
		if (*p < '0' || *p > '9')
			return -1;
		for (; *p >= '0' && *p <= '9'; p++, place /= 10)
			if (place == 0)
				return -1; /* finer than a thousandth: surely a typo */
			else
				thousandths += (*p - '0') * place;
	}
	for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
		if (strcmp(p, units[i].suffix) == 0) {
			/* At most 2.1e12 * 3.6e6 = 7.5e18 < LLONG_MAX. */
			long long total = thousandths * units[i].ms / 1000;
			if (total > DURATION_MAX_MS)
				return -1;
			*ms = (long)total;
			return 0;
		}
	}
	return -1;
}

int duration_option(const char *text, const char *where, long *ms)
{
	if (parse_duration_ms(text, ms) == 0)
		return 0;
	usher_err("%s: '%s' is not a duration (e.g. 10s, 500ms, 2m; at most 576h)", where, text);
	return -1;
}

int parse_bool(const char *text, bool *value)
{
	static const char *yes[] = { "yes", "true", "on", "1" };
	static const char *no[] = { "no", "false", "off", "0" };
	for (size_t i = 0; i < 4; i++) {
		if (strcasecmp(text, yes[i]) == 0) {
			*value = true;
			return 0;
		}
		if (strcasecmp(text, no[i]) == 0) {
			*value = false;
			return 0;
		}
	}
	return -1;
}

int parse_long(const char *text, long min, long max, long *value)
{
	char *end;
	if (!text || !*text)
		return -1;
	errno = 0;
	long parsed = strtol(text, &end, 10);
	if (errno || *end || parsed < min || parsed > max)
		return -1;
	*value = parsed;
	return 0;
}

size_t hash_bytes(const char *bytes, size_t len)
{
	size_t hash = 2166136261u;
	for (size_t i = 0; i < len; i++)
		hash = (hash ^ (unsigned char)bytes[i]) * 16777619u;
	return hash;
}

long long now_ms(void)
{
	struct timespec ts;
	if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0)
		return 0; /* CLOCK_MONOTONIC cannot fail on Linux; 0 keeps callers sane */
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void words_append(char ***words, size_t *count, char *word)
{
	char **grown = realloc(*words, (*count + 2) * sizeof *grown);
	if (!grown) {
		usher_err("out of memory");
		exit(EXIT_USHER_FAILED);
	}
	*words = grown;
	grown[(*count)++] = word;
	grown[*count] = NULL;
}

int split_words(const char *text, char ***words, size_t *count, const char *where, const char *key)
{
	size_t len = strlen(text);
	const char *p = text;
	for (;;) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (!*p)
			return 0;
		char *word = malloc(len + 1), *out = word;
		char quote = 0;
		if (!word) {
			usher_err("out of memory");
			exit(EXIT_USHER_FAILED);
		}
		for (; *p && (quote || (*p != ' ' && *p != '\t')); p++) {
			if (*p == quote) {
				quote = 0;
			} else if (!quote && (*p == '"' || *p == '\'')) {
				quote = *p;
			} else if (*p == '\\') {
				static const char from[] = "\\\"' ntrs$", to[] = "\\\"' \n\t\r $";
				const char *escape = p[1] ? strchr(from, p[1]) : NULL;
				if (!escape) {
					usher_err("%s: %s: bad escape in word %zu (use \\\\ for a backslash)",
						  where, key, *count + 1);
					free(word);
					return -1;
				}
				if (p[1] == '$') /* \$ keeps a literal $ through expansion: $$ */
					*out++ = '$';
				*out++ = to[escape - from];
				p++;
			} else {
				*out++ = *p;
			}
		}
		if (quote) {
			usher_err("%s: %s: unterminated %c quote", where, key, quote);
			free(word);
			return -1;
		}
		*out = '\0';
		words_append(words, count, word);
	}
}

size_t words_bad_assignment(char **words, size_t from, size_t count)
{
	for (size_t i = from; i < count; i++) {
		const char *word = words[i], *equals = strchr(word, '=');
		bool key_ok = equals && equals != word;
		for (const char *p = word; key_ok && p < equals; p++)
			key_ok = *p == '_' || ('A' <= *p && *p <= 'Z') || ('a' <= *p && *p <= 'z') ||
				 (p > word && '0' <= *p && *p <= '9');
		if (!key_ok)
			return i - from + 1;
	}
	return 0;
}

bool section_name_valid(const char *name, size_t max)
{
	size_t len = strlen(name);
	if (len == 0 || len > max)
		return false;
	for (const char *p = name; *p; p++)
		if (!(('a' <= *p && *p <= 'z') || ('A' <= *p && *p <= 'Z') ||
		      ('0' <= *p && *p <= '9') || *p == '-' || *p == '_' || *p == '.'))
			return false;
	return true;
}

bool home_set_on_purpose(const char *value)
{
	const char *own = getenv("HOME");
	return value && !(own && strcmp(value, own) == 0);
}

const char *keep_string(const char *text)
{
	/* Chunks, each starting with a pointer to the one before: all stay reachable. */
	enum { CHUNK = 4096 - sizeof(void *) };
	static void *last_chunk;
	static char *room;
	static size_t left;
	size_t size = strlen(text) + 1;
	if (size > left) {
		size_t bytes = size > CHUNK ? size : CHUNK;
		void **chunk = malloc(sizeof *chunk + bytes);
		if (!chunk) {
			usher_err("out of memory");
			exit(EXIT_USHER_FAILED);
		}
		*chunk = last_chunk;
		last_chunk = chunk;
		room = (char *)(chunk + 1);
		left = bytes;
	}
	char *copy = memcpy(room, text, size);
	room += size;
	left -= size;
	return copy;
}

const char *user_file_check(int fd, size_t max_bytes, struct stat *st)
{
	static char too_large[40];
	if (fstat(fd, st) != 0)
		return strerror(errno);
	if (!S_ISREG(st->st_mode))
		return "not a regular file";
	if ((unsigned long long)st->st_size <= max_bytes)
		return NULL;
	snprintf(too_large, sizeof too_large, "larger than %zu KiB", max_bytes / 1024);
	return too_large;
}

int user_file_open(const char *path, size_t max_bytes, size_t *size, const char **why)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		*why = strerror(errno);
		return -1;
	}
	struct stat st;
	*why = user_file_check(fd, max_bytes, &st);
	/* A regular file's reads never block; a child given the fd must see it as opened. */
	if (!*why && fcntl(fd, F_SETFL, O_RDONLY) != 0)
		*why = strerror(errno);
	if (*why) {
		close(fd);
		return -1;
	}
	if (size)
		*size = (size_t)st.st_size;
	return fd;
}

char *read_small_file(const char *path, size_t max_bytes, size_t *length)
{
	size_t size = 0;
	const char *problem = NULL;
	int fd = user_file_open(path, max_bytes, &size, &problem);
	char *text = fd < 0 ? NULL : malloc(size + 1);
	if (fd >= 0 && !text)
		problem = "out of memory";
	size_t filled = 0;
	while (!problem && filled < size) {
		ssize_t got = read(fd, text + filled, size - filled);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			problem = got < 0 ? strerror(errno) : "file shrank while read";
		else
			filled += (size_t)got;
	}
	if (fd >= 0)
		close(fd);
	if (!problem) {
		text[filled] = '\0';
		if (strlen(text) != filled)
			problem = "contains a NUL byte";
	}
	if (problem) {
		usher_err("%s: %s", path, problem);
		free(text);
		return NULL;
	}
	if (length)
		*length = filled;
	return text;
}
