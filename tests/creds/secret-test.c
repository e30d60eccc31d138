/* tests/creds/secret-test.c — TAP unit test of creds/secret.c: what is masked, overlapping
 * and multi-line secrets, where a long line may be cut, and wiping. */
#include "creds.h"
#include "internal.h"
#include "login.h"
#include "../lib/unit-tap.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* What secret_print_masked writes to stderr for line, without the trailing newline. */
static const char *masked(const char *prefix, const char *line)
{
	static char out[8192];
	char path[] = "/tmp/usher-secret-test-XXXXXX";
	int fd = mkstemp(path);
	int saved = dup(2);
	if (fd < 0 || saved < 0 || dup2(fd, 2) < 0) {
		printf("Bail out! cannot redirect stderr\n");
		exit(1);
	}
	secret_print_masked(prefix, line, strlen(line));
	dup2(saved, 2);
	close(saved);
	ssize_t got = pread(fd, out, sizeof out - 1, 0);
	close(fd);
	unlink(path);
	out[got > 0 ? got : 0] = '\0';
	out[strcspn(out, "\n")] = '\0';
	return out;
}

static char cut_text[64];
static const char *cut(const char *text)
{
	size_t at = secret_safe_cut(text, strlen(text));
	snprintf(cut_text, sizeof cut_text, "%.*s|%s", (int)at, text, text + at);
	return cut_text;
}

int main(void)
{
	is(masked("acr", "nothing to hide"), "usher: acr: nothing to hide", "no secrets: line as is, prefixed");
	secret_register("hunter22");
	is(masked("acr", "password is hunter22."), "usher: acr: password is ***.", "a secret in the middle");
	is(masked("acr", "hunter22hunter22"), "usher: acr: ***", "adjacent occurrences become one ***");
	is(masked("acr", "hunter2"), "usher: acr: hunter2", "a shorter string is not the secret");
	secret_register("22xyz9");
	is(masked("acr", "hunter22xyz9!"), "usher: acr: ***!", "overlapping secrets are masked together");
	secret_register("abc");
	is(masked("acr", "abc"), "usher: acr: abc", "values under 4 bytes are not secrets");
	ok(!secret_is_registered("abc", 3), "... and not registered");
	secret_register("line-one-secret\nline-two-secret\n");
	is(masked("x", "got line-two-secret"), "usher: x: got ***", "each line of a multi-line secret is masked");
	ok(secret_is_registered("line-one-secret\nline-two-secret", 31), "the whole value is registered, trailing newline dropped");
	secret_register("");
	secret_register(NULL);
	is(masked("x", "plain"), "usher: x: plain", "empty and NULL values are ignored");

	is(cut("no secret here"), "no secret here|", "nothing pending: cut at the end");
	is(cut("text then hunt"), "text then |hunt", "a secret's beginning at the end waits");
	is(cut("text hunter22 then hunt"), "text hunter22 then |hunt", "a complete secret before it may go");
	is(cut("hunter22xyz"), "|hunter22xyz", "never cut inside a complete secret that overlaps a pending one");
	is(cut("hunt"), "|hunt", "all pending: nothing may be printed");

	/* The relay's filter: in place, never longer, the same rules. */
	char line[64] = "a hunter22xyz9 b hunter22hunter22 c";
	size_t len = creds_mask(NULL, line, strlen(line));
	line[len] = '\0';
	is(line, "a *** b *** c", "creds_mask: in place, overlapping and adjacent secrets as one ***");
	char cut_line[] = "text then hunt";
	ok(creds_mask_cut(NULL, cut_line, strlen(cut_line)) == 10, "creds_mask_cut: a secret's beginning waits");

	secret_wipe_all();
	is(masked("x", "hunter22"), "usher: x: hunter22", "after secret_wipe_all nothing is masked");
	ok(!secret_is_registered("hunter22", 8), "... and nothing is registered");
	return done_testing();
}
