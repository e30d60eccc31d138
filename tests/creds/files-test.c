/* tests/creds/files-test.c — TAP test of the file loaders on real temporary trees: secret
 * directories (plain and Kubernetes ..data layout), VAR_FILE, safe reading, --wait-for. */
#include "envfile.h"
#include "../lib/unit-tap.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>

static char root[256];

static void write_file(const char *rel, const char *data, size_t len, mode_t mode)
{
	char path[512];
	snprintf(path, sizeof path, "%s/%s", root, rel);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
	if (fd < 0 || write(fd, data, len) != (ssize_t)len || fchmod(fd, mode) != 0) {
		perror(path);
		exit(2);
	}
	close(fd);
}

static void make_dir(const char *rel)
{
	char path[512];
	snprintf(path, sizeof path, "%s/%s", root, rel);
	if (mkdir(path, 0700) != 0) {
		perror(path);
		exit(2);
	}
}

static void make_link(const char *target, const char *rel)
{
	char path[512];
	snprintf(path, sizeof path, "%s/%s", root, rel);
	if (symlink(target, path) != 0) {
		perror(path);
		exit(2);
	}
}

static const char *path_of(const char *rel)
{
	static char path[4][512];
	static int next;
	next = (next + 1) % 4;
	snprintf(path[next], sizeof path[next], "%s/%s", root, rel);
	return path[next];
}

static bool value_is(const struct env *env, const char *key, const char *expect)
{
	const char *got = env_get(env, key);
	if (got && strcmp(got, expect) == 0)
		return true;
	diag("%s: got %s%s%s, expected '%s'", key, got ? "'" : "", got ? got : "(unset)",
	     got ? "'" : "", expect);
	return false;
}

static void test_plain_dir(void)
{
	make_dir("plain");
	write_file("plain/DB_PASSWORD", "s3cret\n", 7, 0600);
	write_file("plain/API_KEY", "k\r\n", 3, 0600);
	write_file("plain/MULTI", "a\nb\n\n", 5, 0600);
	write_file("plain/NO_NEWLINE", "x", 1, 0600);
	write_file("plain/EMPTY", "", 0, 0600);
	write_file("plain/tls.crt", "CERT\n", 5, 0600);
	write_file("plain/.hidden", "no\n", 3, 0600);

	struct env env = ENV_EMPTY;
	capture_begin();
	int rc = envdir_load(path_of("plain"), false, &env, NULL);
	const char *message = capture_end();
	ok(rc == 0 && !*message, "plain secret dir loads without a message");
	if (*message)
		diag("stderr: %s", message);
	ok(value_is(&env, "DB_PASSWORD", "s3cret"), "one trailing newline stripped");
	ok(value_is(&env, "API_KEY", "k"), "a trailing CRLF stripped");
	ok(value_is(&env, "MULTI", "a\nb\n"), "only one trailing newline stripped");
	ok(value_is(&env, "NO_NEWLINE", "x"), "a file without newline kept whole");
	ok(value_is(&env, "EMPTY", ""), "an empty file is the empty string (not unset)");
	ok(value_is(&env, "tls.crt", "CERT"), "dotted names (Kubernetes keys) load");
	ok(env_get(&env, ".hidden") == NULL, "names starting with . are skipped");
	ok(env.len == 6 && env.from_file[0], "six variables, marked as read from files");
	ok(env.len == 6 && strncmp(env.vars[0], "API_KEY=", 8) == 0,
	   "variables come in name order");
	env_wipe(&env);
}

/* What kubelet's atomic writer leaves in a secret volume. */
static void test_kubernetes_dir(void)
{
	make_dir("k8s");
	make_dir("k8s/..2026_11_26_10_00_00.123456789");
	write_file("k8s/..2026_11_26_10_00_00.123456789/TOKEN", "tok-1", 5, 0644);
	write_file("k8s/..2026_11_26_10_00_00.123456789/DB_URL", "postgres://x\n", 13, 0600);
	make_link("..2026_11_26_10_00_00.123456789", "k8s/..data");
	make_link("..data/TOKEN", "k8s/TOKEN");
	make_link("..data/DB_URL", "k8s/DB_URL");

	struct env env = ENV_EMPTY;
	capture_begin();
	int rc = envdir_load(path_of("k8s"), false, &env, NULL);
	const char *message = capture_end();
	ok(rc == 0, "Kubernetes volume: symlinks through ..data are followed");
	ok(value_is(&env, "TOKEN", "tok-1") && value_is(&env, "DB_URL", "postgres://x"),
	   "Kubernetes volume: values read through ..data");
	ok(env.len == 2, "Kubernetes volume: ..data and the timestamped dir are not variables");
	ok(strstr(message, "TOKEN: readable by every user (mode 0644)") &&
		   !strstr(message, "DB_URL"),
	   "a world-readable secret earns a warning, a private one does not");
	ok(!strstr(message, "tok-1"), "the warning holds no value");
	env_wipe(&env);

	/* The update: new dir, ..data swapped by rename. */
	make_dir("k8s/..2026_11_26_11_00_00.1");
	write_file("k8s/..2026_11_26_11_00_00.1/TOKEN", "tok-2", 5, 0600);
	write_file("k8s/..2026_11_26_11_00_00.1/DB_URL", "postgres://y", 12, 0600);
	make_link("..2026_11_26_11_00_00.1", "k8s/..data_tmp");
	if (rename(path_of("k8s/..data_tmp"), path_of("k8s/..data")) != 0)
		perror("rename");
	rc = envdir_load(path_of("k8s"), false, &env, NULL);
	ok(rc == 0 && value_is(&env, "TOKEN", "tok-2"), "after the ..data swap: the new value");
	env_wipe(&env);
}

static void expect_dir_error(const char *dir, const char *part, const char *what)
{
	struct env env = ENV_EMPTY;
	capture_begin();
	int rc = envdir_load(path_of(dir), false, &env, NULL);
	const char *message = capture_end();
	if (!ok(rc < 0 && strstr(message, part) && !strstr(message, "TOPSECRET"), "%s", what))
		diag("rc %d, stderr: %s", rc, message);
	env_wipe(&env);
}

static void test_dir_errors(void)
{
	make_dir("outside");
	write_file("outside/PASSWD", "TOPSECRET\n", 10, 0600);

	make_dir("escape-abs");
	make_link(path_of("outside/PASSWD"), "escape-abs/PASSWD");
	expect_dir_error("escape-abs", "escape-abs/PASSWD: symlink leads outside its directory",
			 "an absolute symlink out of the dir is refused");

	make_dir("escape-rel");
	make_link("../outside/PASSWD", "escape-rel/PASSWD");
	expect_dir_error("escape-rel", "symlink leads outside its directory",
			 "a ../ symlink out of the dir is refused");

	make_dir("fifo");
	if (mkfifo(path_of("fifo/PIPE"), 0600) != 0)
		perror("mkfifo");
	expect_dir_error("fifo", "fifo/PIPE: not a regular file",
			 "a FIFO is refused, without hanging");

	make_dir("subdir");
	make_dir("subdir/NESTED");
	expect_dir_error("subdir", "subdir/NESTED: not a regular file", "a subdirectory is refused");

	make_dir("badname");
	write_file("badname/db-password", "TOPSECRET", 9, 0600);
	expect_dir_error("badname", "badname/db-password: not a valid variable name",
			 "a file name that is no variable name is an error");

	make_dir("nul");
	write_file("nul/KEY", "TOP\0SECRET", 10, 0600);
	expect_dir_error("nul", "nul/KEY: contains a NUL byte", "a NUL byte is an error");

	make_dir("big");
	size_t big = SECRET_FILE_MAX + 1;
	char *data = calloc(1, big);
	write_file("big/BIG", data, big, 0600);
	free(data);
	expect_dir_error("big", "big/BIG: larger than 1024 KiB", "a file over 1 MiB is refused");

	struct env env = ENV_EMPTY;
	capture_begin();
	int missing_ok = envdir_load(path_of("no-such-dir"), true, &env, NULL);
	int missing = envdir_load(path_of("no-such-dir"), false, &env, NULL);
	const char *message = capture_end();
	ok(missing_ok == 1 && missing == -1 && strstr(message, "no-such-dir: No such file"),
	   "a missing dir: 1 when allowed, else an error naming it");
	env_wipe(&env);
}

static int loaded_count;
static int count_loaded(const char *path)
{
	(void)path;
	loaded_count++;
	return 0;
}

static void test_varfile(void)
{
	make_dir("vf");
	write_file("vf/pw", "hunter2\n", 8, 0600);
	write_file("vf/user", "admin", 5, 0600);

	struct varfile_policy all = { .all = true };
	struct env env = ENV_EMPTY;
	char assign[600];
	snprintf(assign, sizeof assign, "%s", path_of("vf/pw"));
	env_set(&env, "DB_PASSWORD_FILE", 16, assign, strlen(assign), false);
	snprintf(assign, sizeof assign, "%s", path_of("vf/user"));
	env_set(&env, "DB_USER", 7, "", 0, false);
	env_set(&env, "DB_USER_FILE", 12, assign, strlen(assign), false);
	env_set(&env, "LOG_FILE", 8, "", 0, false);
	env_set(&env, "USHER_ENV_FILE", 14, "/nonexistent", 12, false);
	loaded_count = 0;
	int rc = varfile_resolve(&env, &all, count_loaded);
	ok(rc == 0 && value_is(&env, "DB_PASSWORD", "hunter2"), "NAME_FILE sets NAME");
	ok(env_get(&env, "DB_PASSWORD_FILE") == NULL, "NAME_FILE is removed, as file_env does");
	ok(value_is(&env, "DB_USER", "admin"), "NAME= (empty) with NAME_FILE: the file wins");
	ok(value_is(&env, "LOG_FILE", "") && env_get(&env, "LOG") == NULL,
	   "an empty NAME_FILE is left alone");
	ok(value_is(&env, "USHER_ENV_FILE", "/nonexistent"), "USHER_* are usher's own options");
	ok(loaded_count == 2, "each file read is reported (for watching)");
	env_wipe(&env);

	snprintf(assign, sizeof assign, "%s", path_of("vf/pw"));
	env_set(&env, "DB_PASSWORD", 11, "already", 7, false);
	env_set(&env, "DB_PASSWORD_FILE", 16, assign, strlen(assign), false);
	capture_begin();
	rc = varfile_resolve(&env, &all, NULL);
	const char *message = capture_end();
	ok(rc == -1 && strstr(message, "both DB_PASSWORD and DB_PASSWORD_FILE are set") &&
		   !strstr(message, "already") && !strstr(message, "hunter2"),
	   "NAME and NAME_FILE both set: an error naming both, holding no value");
	env_wipe(&env);

	char *only[] = { "DB_PASSWORD", NULL };
	struct varfile_policy listed = { .all = false, .names = only };
	env_set(&env, "DB_PASSWORD_FILE", 16, assign, strlen(assign), false);
	env_set(&env, "OTHER_FILE", 10, assign, strlen(assign), false);
	rc = varfile_resolve(&env, &listed, NULL);
	ok(rc == 0 && value_is(&env, "DB_PASSWORD", "hunter2") && env_get(&env, "OTHER") == NULL &&
		   env_get(&env, "OTHER_FILE"),
	   "a name list resolves only those names");
	env_wipe(&env);

	struct varfile_policy none = { .all = false, .names = NULL };
	env_set(&env, "DB_PASSWORD_FILE", 16, assign, strlen(assign), false);
	rc = varfile_resolve(&env, &none, NULL);
	ok(rc == 0 && env_get(&env, "DB_PASSWORD") == NULL, "none resolves nothing");
	env_wipe(&env);

	env_set(&env, "X_FILE", 6, path_of("vf/missing"), strlen(path_of("vf/missing")), false);
	capture_begin();
	rc = varfile_resolve(&env, &all, NULL);
	message = capture_end();
	ok(rc == -1 && strstr(message, "vf/missing: No such file"),
	   "a missing NAME_FILE file is an error naming the path");
	env_wipe(&env);

	make_link(path_of("outside/PASSWD"), "vf/evil");
	env_set(&env, "X_FILE", 6, path_of("vf/evil"), strlen(path_of("vf/evil")), false);
	capture_begin();
	rc = varfile_resolve(&env, &all, NULL);
	message = capture_end();
	ok(rc == -1 && strstr(message, "symlink leads outside its directory"),
	   "NAME_FILE through a symlink out of its directory is refused");
	env_wipe(&env);
}

static void test_secret_file_read(void)
{
	char *data = NULL;
	size_t len = 0;
	capture_begin();
	int rc = secret_file_read(path_of("no-such-file"), true, &data, &len);
	const char *message = capture_end();
	ok(rc == 1 && !*message, "a missing file allowed to be missing: 1, silently");

	make_dir("same");
	write_file("same/real.env", "A=1\n", 4, 0600);
	make_link("real.env", "same/app.env");
	rc = secret_file_read(path_of("same/app.env"), false, &data, &len);
	ok(rc == 0 && len == 4 && memcmp(data, "A=1\n", 4) == 0,
	   "a symlink to a file in the same directory is followed");
	wipe_free(data, len);

	capture_begin();
	rc = secret_file_read(path_of("same"), false, &data, &len);
	message = capture_end();
	ok(rc == -1 && strstr(message, "not a regular file"), "a directory is refused");
}

static void test_waitfor(void)
{
	char *present[] = { (char *)path_of("vf/pw"), NULL };
	ok(waitfor_paths(present, 0) == 0, "--wait-for: an existing path passes at once");
	ok(waitfor_paths(NULL, 0) == 0, "--wait-for: nothing to wait for");

	char *absent[] = { (char *)path_of("vf/pw"), (char *)path_of("never"), NULL };
	capture_begin();
	long long start = now_ms();
	int rc = waitfor_paths(absent, 200);
	long long took = now_ms() - start;
	const char *message = capture_end();
	ok(rc == EXIT_USHER_FAILED, "--wait-for: timeout is exit code 125");
	ok(strstr(message, "never: still missing after 200ms") != NULL,
	   "--wait-for: the message names the file that never came");
	ok(took >= 200, "--wait-for: waited at least the timeout (took %lld ms)", took);
}

int main(void)
{
	snprintf(root, sizeof root, "%s/usher-files-test.XXXXXX",
		 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(root)) {
		perror("mkdtemp");
		return 2;
	}
	umask(077);
	test_plain_dir();
	test_kubernetes_dir();
	test_dir_errors();
	test_varfile();
	test_secret_file_read();
	test_waitfor();

	char command[400];
	snprintf(command, sizeof command, "rm -rf '%s'", root);
	if (system(command) != 0)
		diag("could not remove %s", root);
	return done_testing();
}
