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
 * counts its kilobytes. Accepts up to three decimals ("1.5s", "0.25m"). */
int parse_duration_ms(const char *text, long *ms)
{
	static const struct {
		const char *suffix;
		long ms;
	} units[] = {
		{ "ms", 1 }, { "s", 1000 }, { "sec", 1000 }, { "m", 60000 }, { "min", 60000 },
		{ "h", 3600000 }, { "", 1000 },
	};
	const long long limit = 366LL * 24 * 3600 * 1000 * 1000; /* in thousandths of a unit */
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
			long long total = thousandths * units[i].ms / 1000;
			if (total > limit / 1000)
				return -1;
			*ms = (long)total;
			return 0;
		}
	}
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

const char *keep_string(const char *text)
{
	static char pool[4096];
	static size_t used;
	size_t size = strlen(text) + 1;
	if (size > sizeof pool - used) { /* a hundred origins fit; a file of services needs more */
		char *copy = strdup(text);
		return copy ? copy : "(option)";
	}
	char *copy = memcpy(pool + used, text, size);
	used += size;
	return copy;
}

char *read_small_file(const char *path, size_t max_bytes, size_t *length)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		usher_err("%s: %s", path, strerror(errno));
		return NULL;
	}
	struct stat st;
	const char *problem = NULL;
	if (fstat(fd, &st) != 0)
		problem = strerror(errno);
	else if (!S_ISREG(st.st_mode))
		problem = "not a regular file";
	else if ((size_t)st.st_size > max_bytes)
		problem = "too large";
	char *text = problem ? NULL : malloc((size_t)st.st_size + 1);
	if (!problem && !text)
		problem = "out of memory";
	size_t filled = 0;
	while (!problem && filled < (size_t)st.st_size) {
		ssize_t got = read(fd, text + filled, (size_t)st.st_size - filled);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			problem = got < 0 ? strerror(errno) : "file shrank while read";
		else
			filled += (size_t)got;
	}
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
