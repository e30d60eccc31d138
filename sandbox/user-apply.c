/* sandbox/user-apply.c — the user switch in the child: stdio handed to the new uid, then
 * setgroups, setresgid, setresuid, each checked and read back; -v's description. */
#include "user.h"

#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The kernel's list of supplementary groups; NULL after printing. */
static gid_t *current_groups(int *count)
{
	*count = getgroups(0, NULL);
	if (*count < 0) {
		usher_err("getgroups: %s", strerror(errno));
		return NULL;
	}
	gid_t *list = calloc((size_t)*count + 1, sizeof *list);
	if (!list) {
		usher_err("getgroups: out of memory");
		return NULL;
	}
	*count = getgroups(*count, list);
	if (*count < 0) {
		usher_err("getgroups: %s", strerror(errno));
		free(list);
		return NULL;
	}
	return list;
}

static bool has_gid(const gid_t *list, size_t n, gid_t gid)
{
	for (size_t i = 0; i < n; i++)
		if (list[i] == gid)
			return true;
	return false;
}

/* The same access either way: the primary gid counts whether or not it is also in the
 * supplementary list (podman --user 65532:65532 leaves [65532] there; --init-groups no asks
 * for none). */
static bool same_group_set(const gid_t *have, size_t nhave, const gid_t *want, size_t nwant,
			   gid_t primary)
{
	for (size_t i = 0; i < nwant; i++)
		if (want[i] != primary && !has_gid(have, nhave, want[i]))
			return false;
	for (size_t i = 0; i < nhave; i++)
		if (have[i] != primary && !has_gid(want, nwant, have[i]))
			return false;
	return true;
}

/* "1000,27" or "none" into buf. */
static void list_groups(char *buf, size_t size, const gid_t *groups, size_t count)
{
	size_t used = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < count && used < size; i++) {
		int len = snprintf(buf + used, size - used, "%s%u", i ? "," : "", (unsigned)groups[i]);
		if (len < 0)
			return;
		used += (size_t)len;
	}
	if (!count)
		snprintf(buf, size, "none");
}

/* setgroups needs CAP_SETGID even to set the groups the process has already: an engine that
 * switched user itself (podman --user, runAsUser) leaves usher without it, and asking for
 * the same user must still work. Only a real change is refused. */
static int set_groups(const struct sandbox_ids *ids)
{
	if (setgroups(ids->ngroups, ids->groups) == 0)
		return 0;
	int problem = errno;
	int count;
	gid_t *have = problem == EPERM ? current_groups(&count) : NULL;
	if (have && same_group_set(have, (size_t)count, ids->groups, ids->ngroups, ids->gid)) {
		free(have);
		return 0;
	}
	char had[256] = "", want[256] = "";
	if (have) {
		list_groups(had, sizeof had, have, (size_t)count);
		list_groups(want, sizeof want, ids->groups, ids->ngroups);
	}
	usher_err("setgroups (%zu groups): %s%s%s%s%s%s", ids->ngroups, strerror(problem),
		  have ? " (usher lacks CAP_SETGID to change groups " : "", had, have ? " to " : "",
		  want, have ? ")" : "");
	free(have);
	return -1;
}

/* setres[ug]id to the ids usher already has needs no privilege; another one does. */
static int refused_id(const char *call, unsigned want, unsigned have, const char *kind, const char *cap)
{
	int problem = errno;
	if (problem == EPERM)
		usher_err("%s(%u): %s (usher runs as %s %u without %s)", call, want, strerror(problem),
			  kind, have, cap);
	else
		usher_err("%s(%u): %s", call, want, strerror(problem));
	return -1;
}

/* Could the workload open this inode with the access it was handed (group or other bits)? */
static bool workload_may_open(const struct stat *st, int flags, const struct sandbox_ids *ids)
{
	int mode = flags & O_ACCMODE;
	unsigned want = mode == O_RDONLY ? 4 : mode == O_WRONLY ? 2 : 6;
	bool in_group = ids->gid == st->st_gid;
	for (size_t i = 0; i < ids->ngroups && !in_group; i++)
		in_group = ids->groups[i] == st->st_gid;
	return (st->st_mode & want) == want || (in_group && (st->st_mode >> 3 & want) == want);
}

/* runc hands the stdio pipes over as root's, mode 0600: a workload reopening /dev/stdout or
 * /proc/self/fd/1 after the switch (nginx's access_log /dev/stdout) would get EACCES. As runc
 * does when it switches user, pipes and sockets on 0-2 the new uid could not open are given
 * to it (the group is left alone); terminals, devices and files are never touched. */
static int give_stdio(const struct sandbox_ids *ids)
{
	if (!ids->switch_uid || ids->uid == getuid())
		return 0;
	for (int fd = 0; fd <= 2; fd++) {
		struct stat st;
		int flags = fcntl(fd, F_GETFL);
		if (flags < 0 || fstat(fd, &st) != 0)
			continue; /* closed: nothing handed on */
		if ((!S_ISFIFO(st.st_mode) && !S_ISSOCK(st.st_mode)) || st.st_uid == ids->uid ||
		    workload_may_open(&st, flags, ids))
			continue;
		if (fchown(fd, ids->uid, (gid_t)-1) == 0)
			continue;
		/* As runc: an owner outside the user namespace, no CAP_CHOWN or a read-only mount
		 * leaves the fd as it was; the workload can still use the fd itself. */
		if (errno != EPERM && errno != EINVAL && errno != EROFS) {
			usher_err("giving fd %d to uid %u: %s", fd, (unsigned)ids->uid, strerror(errno));
			return -1;
		}
		usher_debug("fd %d left to uid %u: %s", fd, (unsigned)st.st_uid, strerror(errno));
	}
	return 0;
}

int user_apply(const struct sandbox_ids *ids)
{
	if (give_stdio(ids) != 0)
		return -1;
	if (ids->set_groups && set_groups(ids) != 0)
		return -1;
	if (ids->switch_gid && setresgid(ids->gid, ids->gid, ids->gid) != 0)
		return refused_id("setresgid", ids->gid, getgid(), "gid", "CAP_SETGID");
	if (ids->switch_uid && setresuid(ids->uid, ids->uid, ids->uid) != 0)
		return refused_id("setresuid", ids->uid, getuid(), "uid", "CAP_SETUID");
	return 0;
}

int user_verify(const struct sandbox_ids *ids)
{
	uid_t ruid, euid, suid;
	gid_t rgid, egid, sgid;
	if (getresuid(&ruid, &euid, &suid) != 0 || getresgid(&rgid, &egid, &sgid) != 0) {
		usher_err("reading back uid/gid: %s", strerror(errno));
		return -1;
	}
	if (ids->switch_uid && (ruid != ids->uid || euid != ids->uid || suid != ids->uid)) {
		usher_err("uid is %u/%u/%u after the switch, not %u", (unsigned)ruid, (unsigned)euid,
			  (unsigned)suid, (unsigned)ids->uid);
		return -1;
	}
	if (ids->switch_gid && (rgid != ids->gid || egid != ids->gid || sgid != ids->gid)) {
		usher_err("gid is %u/%u/%u after the switch, not %u", (unsigned)rgid, (unsigned)egid,
			  (unsigned)sgid, (unsigned)ids->gid);
		return -1;
	}
	if (!ids->set_groups)
		return 0;
	int count;
	gid_t *have = current_groups(&count);
	if (!have)
		return -1;
	bool same = same_group_set(have, (size_t)count, ids->groups, ids->ngroups, ids->gid);
	free(have);
	if (!same) {
		usher_err("supplementary groups differ from the ones set");
		return -1;
	}
	return 0;
}

void user_describe(char *buf, size_t size)
{
	int used = snprintf(buf, size, "uid=%u gid=%u groups=", (unsigned)getuid(), (unsigned)getgid());
	int count;
	gid_t *groups = current_groups(&count);
	if (groups && used >= 0 && (size_t)used < size)
		list_groups(buf + used, size - (size_t)used, groups, (size_t)count);
	free(groups);
}
