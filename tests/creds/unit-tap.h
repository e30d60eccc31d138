/* tests/creds/unit-tap.h — TAP output for the creds unit tests, and capturing what the code
 * under test prints on stderr (to check messages name the right thing and never a value). */
#ifndef USHER_TESTS_CREDS_UNIT_TAP_H
#define USHER_TESTS_CREDS_UNIT_TAP_H

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

static inline bool ok(bool passed, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	printf("%s %d - ", passed ? "ok" : "not ok", ++tap_count);
	vprintf(fmt, ap);
	printf("\n");
	va_end(ap);
	if (!passed)
		tap_failed++;
	fflush(stdout);
	return passed;
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
static int capture_saved_fd = -1;
static FILE *capture_file;
static char captured[16384];

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
