/* tests/sandbox/sandbox-unit.c — TAP unit test of the sandbox's parsers: passwd/group files
 * with odd lines, user/group specs, capability lists, limit values; no privileges needed. */
#include "caps.h"
#include "rlimits.h"
#include "user.h"
#include "util.h"
#include "../lib/unit-tap.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* One plan's parts, as sandbox.c holds them. */
static struct sbx_user U;
static struct sbx_caps C;
static struct sbx_limits L;

static char scratch[] = "/tmp/sandbox-unit.XXXXXX";

static const char *write_file(const char *name, const char *text)
{
	static char path[256];
	snprintf(path, sizeof path, "%s/%s", scratch, name);
	FILE *file = fopen(path, "w");
	if (!file || fputs(text, file) < 0 || fclose(file) != 0) {
		perror(path);
		exit(1);
	}
	return path;
}

/* "29,50,1000" from the resolved groups, in the order found. */
static const char *group_list(const struct sandbox_ids *ids)
{
	static char text[256];
	size_t used = 0;
	text[0] = '\0';
	for (size_t i = 0; i < ids->ngroups && used < sizeof text; i++)
		used += (size_t)snprintf(text + used, sizeof text - used, "%s%u", i ? "," : "",
					 (unsigned)ids->groups[i]);
	return text;
}

/* --user USER [--group GROUP], then resolution against the given files. */
static int resolve(const char *user, const char *group, const char *passwd, const char *group_file,
		   struct sandbox_ids *ids)
{
	if (user_set_user(&U, user, "--user") != 0)
		return -1;
	if (group && user_set_group(&U, group, "--group") != 0)
		return -1;
	return user_resolve(&U, passwd, group_file, ids);
}

static void test_passwd_and_group(void)
{
	char passwd[512], group[512], long_line[5000];
	memset(long_line, 'x', sizeof long_line - 1);
	long_line[sizeof long_line - 1] = '\0';
	FILE *file;
	snprintf(passwd, sizeof passwd, "%s/passwd", scratch);
	if (!(file = fopen(passwd, "w"))) {
		perror(passwd);
		exit(1);
	}
	fprintf(file, "# comment\n+nis::0:0:::\n-alice::0:0:::\nshort:x:5:5\n"
		      "toobig:x:4294967295:1::/:/bin/sh\n"
		      "long:x:7:7:%s:/home/long:/bin/sh\n"
		      "alice:x:1000:100:Alice:/home/alice:/bin/sh\n"
		      "alice:x:2000:2000:second alice ignored:/nowhere:/bin/sh\n"
		      "nohome:x:1002:1002:::/bin/sh\n"
		      "lastline:x:1003:1003::/last:/bin/sh", long_line);
	if (fclose(file) != 0)
		exit(1);
	snprintf(group, sizeof group, "%s", write_file("group",
		"users:x:100:alice\n"        /* her primary group, listed again */
		"audio:x:29:bob,alice,carol\n"
		"bad:x:nope:alice\n"          /* malformed gid: skipped */
		"long:x:7:\n"));

	struct sandbox_ids ids = { 0 };
	int rc = resolve("alice", NULL, passwd, group, &ids);
	ok(rc == 0 && ids.uid == 1000 && ids.gid == 100, "alice: first entry wins, comments and NIS lines skipped");
	ok(rc == 0 && strcmp(group_list(&ids), "100,29") == 0, "alice: groups without duplicates (%s)",
	   group_list(&ids));
	ok(rc == 0 && ids.home && strcmp(ids.home, "/home/alice") == 0, "alice: HOME");

	rc = resolve("long", NULL, passwd, group, &ids);
	ok(rc == 0 && ids.uid == 7 && strcmp(ids.home, "/home/long") == 0, "a 5000-character line is read whole");

	rc = resolve("lastline", NULL, passwd, group, &ids);
	ok(rc == 0 && ids.uid == 1003, "a last line without newline");

	ok(resolve("short", NULL, passwd, group, &ids) != 0,
	   "a line with too few fields is no user");
	ok(resolve("toobig", NULL, passwd, group, &ids) != 0,
	   "uid 4294967295 in passwd is no user");
	ok(user_set_user(&U, "4294967295", "--user") != 0, "--user 4294967295 refused (it means 'unchanged')");
	ok(user_set_user(&U, "alice:", "--user") != 0, "--user alice: refused");
	ok(user_set_user(&U, ":users", "--user") != 0, "--user :users refused");
	ok(user_set_user(&U, "a:b:c", "--user") != 0, "--user a:b:c refused");

	rc = resolve("nohome:audio", NULL, passwd, group, &ids);
	ok(rc == 0 && ids.gid == 29 && strcmp(ids.home, "/") == 0, "empty home field: HOME=/; group by name");

	rc = resolve("77", "long", passwd, "/nonexistent/group-file", &ids);
	ok(rc != 0, "a group name with no /etc/group is an error");

	rc = resolve("77", "8", "/nonexistent/passwd", "/nonexistent/group", &ids);
	ok(rc == 0 && ids.uid == 77 && ids.gid == 8 && strcmp(group_list(&ids), "8") == 0,
	   "numbers work without passwd and group files");

	rc = user_set_init_groups(&U, "no", "--init-groups");
	if (rc == 0)
		rc = user_add_groups(&U, "audio 29,100", "--groups");
	if (rc == 0)
		rc = resolve("alice", "users", passwd, group, &ids);
	ok(rc == 0 && strcmp(group_list(&ids), "29,100") == 0, "--init-groups no: only listed, deduplicated (%s)",
	   group_list(&ids));
	ok(user_add_groups(&U, "", "--groups") == 0 && user_resolve(&U, passwd, group, &ids) == 0 && ids.ngroups == 0,
	   "an empty --groups resets the list");
	ok(user_add_groups(&U, "bad-group,", "--groups") == 0 && user_resolve(&U, passwd, group, &ids) != 0,
	   "an unknown supplementary group is an error");
	ok(user_add_groups(&U, "", "--groups") == 0, "reset again");
	user_free_ids(&ids);
}

/* Planning checks the capabilities against the test's own: as root it has all it asks for. */
static void test_caps(void)
{
	uint64_t mask;
	if (geteuid() != 0) {
		skip("capability plans need root");
		return;
	}
	ok(caps_set_keep(&C, "NET_BIND_SERVICE, cap_chown\tKill", "--cap-keep") == 0, "names with and without CAP_, any case");
	int rc = caps_plan(&C, true, &mask);
	ok(rc == 0 && mask == ((1ULL << 10) | 1 | (1ULL << 5)), "planned mask 0x%llx",
	   (unsigned long long)mask);
	ok(caps_set_keep(&C, "CAP_", "--cap-keep") != 0, "CAP_ alone refused");
	ok(caps_set_keep(&C, "40", "--cap-keep") != 0, "numbers refused");
	ok(caps_set_keep(&C, "", "--cap-keep") == 0 && caps_plan(&C, true, &mask) == 0 && mask == 0,
	   "an empty value is the empty set: nothing kept");
	ok(caps_set_drop(&C, "ALL", "--cap-drop") == 0 && caps_set_keep(&C, "chown", "--cap-keep") == 0 &&
	   caps_plan(&C, false, &mask) == 0 && mask == 1, "--cap-drop ALL --cap-keep CHOWN keeps CHOWN");
	ok(caps_set_drop(&C, "CHOWN", "--cap-drop") == 0 && caps_plan(&C, false, &mask) != 0,
	   "CHOWN kept and dropped is an error");
}

static void test_limits(void)
{
	ok(rlimits_set(&L, "fsize=16E", "--rlimit") != 0 && rlimits_set(&L, "fsize=15E", "--rlimit") == 0,
	   "16E overflows, 15E does not");
	ok(rlimits_set(&L, "fsize=1.5G", "--rlimit") != 0, "fractions refused");
	ok(rlimits_set(&L, "fsize=-1", "--rlimit") != 0, "negative refused");
	ok(rlimits_set(&L, "nofile=", "--rlimit") != 0, "empty value refused");
	ok(rlimits_set(&L, "bogus=1", "--rlimit") != 0, "unknown name refused");
	ok(rlimits_set(&L, "nofile=10K", "--rlimit") != 0, "no suffix on a count");
	ok(rlimits_set(&L, "nofile=infinity:10", "--rlimit") != 0, "soft infinity above a finite hard");
	ok(umask_set(&L, "0778", "--umask") != 0 && umask_set(&L, "", "--umask") != 0 && umask_set(&L, "1777", "--umask") != 0,
	   "bad umasks refused");

	struct rlimit cpu, fsize;
	ok(rlimits_set_index(&L, 0, "5min", "LimitCPU=") == 0 && rlimits_set(&L, "FSIZE=2M:infinity", "--rlimit") == 0 &&
	   umask_set(&L, "027", "UMask=") == 0, "good values accepted");
	pid_t pid = fork();
	if (pid == 0) /* applied in a child, as usher does, so this process keeps its limits */
		_exit(rlimits_apply(&L) == 0 && getrlimit(RLIMIT_CPU, &cpu) == 0 && cpu.rlim_cur == 300 &&
		      cpu.rlim_max == 300 && getrlimit(RLIMIT_FSIZE, &fsize) == 0 &&
		      fsize.rlim_cur == 2 * 1024 * 1024 && fsize.rlim_max == RLIM_INFINITY &&
		      umask(0) == 027 ? 0 : 1);
	int status = -1;
	ok(pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0,
	   "5min → 300 s, 2M → 2097152 bytes, umask 027, read back in a child");
}

int main(void)
{
	if (!mkdtemp(scratch)) {
		perror("mkdtemp");
		return 1;
	}
	test_passwd_and_group();
	test_caps();
	test_limits();
	char command[300];
	snprintf(command, sizeof command, "rm -rf '%s'", scratch);
	if (system(command) != 0)
		ok(0, "cleaning up %s", scratch);
	return done_testing();
}
