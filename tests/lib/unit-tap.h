/* tests/lib/unit-tap.h — TAP output for every C unit test (ok, is, skip, diag, done_testing),
 * and capturing what the code under test prints on stderr (messages name the right thing). */
#ifndef USHER_TESTS_LIB_UNIT_TAP_H
#define USHER_TESTS_LIB_UNIT_TAP_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int tap_count, tap_failed;

static inline void diag(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("# ", stdout);
	vprintf(fmt, ap);
	fputs("\n", stdout);
	va_end(ap);
}

/* One TAP line; every check below is one. */
static inline bool tap_line(bool passed, const char *fmt, va_list ap)
{
	printf("%s %d - ", passed ? "ok" : "not ok", ++tap_count);
	vprintf(fmt, ap);
	printf("\n");
	if (!passed)
		tap_failed++;
	fflush(stdout);
	return passed;
}

static inline bool ok(bool passed, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	tap_line(passed, fmt, ap);
	va_end(ap);
	return passed;
}

/* is(got, want, what...): strings compared with strcmp, numbers as long; a failure shows both. */
static inline bool is_str(const char *got, const char *want, const char *fmt, ...)
{
	bool passed = got && strcmp(got, want) == 0;
	va_list ap;
	va_start(ap, fmt);
	if (!tap_line(passed, fmt, ap))
		printf("# got:      '%s'\n# expected: '%s'\n", got ? got : "(null)", want);
	va_end(ap);
	return passed;
}

static inline bool is_long(long got, long want, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	if (!tap_line(got == want, fmt, ap))
		printf("# got:      %ld\n# expected: %ld\n", got, want);
	va_end(ap);
	return got == want;
}

#define is(got, want, ...) \
	_Generic((got), char *: is_str, const char *: is_str, default: is_long)(got, want, __VA_ARGS__)

static inline void skip(const char *why)
{
	printf("ok %d # SKIP %s\n", ++tap_count, why);
	fflush(stdout);
}

/* Print bytes with C escapes, for diagnostics. */
static inline void diag_bytes(const char *label, const char *data, size_t len)
{
	printf("# %s: \"", label);
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)data[i];
		if (c == '\\' || c == '"')
			printf("\\%c", c);
		else if (c >= 32 && c < 127)
			putchar(c);
		else
			printf("\\x%02x", c);
	}
	printf("\"\n");
}

static inline int done_testing(void)
{
	printf("1..%d\n", tap_count);
	return tap_failed ? 1 : 0;
}

/* stderr of the code under test goes to a temporary file between these two calls. */
__attribute__((unused)) static int capture_saved_fd = -1;
__attribute__((unused)) static FILE *capture_file;
__attribute__((unused)) static char captured[16384];

static inline void capture_begin(void)
{
	fflush(stderr);
	capture_file = tmpfile();
	if (!capture_file) {
		perror("tmpfile");
		exit(2);
	}
	capture_saved_fd = dup(STDERR_FILENO);
	if (capture_saved_fd < 0 || dup2(fileno(capture_file), STDERR_FILENO) < 0) {
		perror("dup");
		exit(2);
	}
}

static inline const char *capture_end(void)
{
	fflush(stderr);
	dup2(capture_saved_fd, STDERR_FILENO);
	close(capture_saved_fd);
	rewind(capture_file);
	size_t got = fread(captured, 1, sizeof captured - 1, capture_file);
	captured[got] = '\0';
	fclose(capture_file);
	return captured;
}

#endif
