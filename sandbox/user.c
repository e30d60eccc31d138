/* sandbox/user.c — --user/--group/--groups: parsed here, resolved from the image's own
 * /etc/passwd and /etc/group (static musl has no NSS), applied and read back in the child. */
#include "user.h"

#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Options as given; resolved by user_resolve(). */
static char *user_name;      /* name or decimal uid */
static char *user_where;     /* "--user" or "usher.conf:3", for messages after parsing */
static char *group_name;     /* name or decimal gid */
static char *group_where;
static struct extra_group {
	char *name;                 /* name or decimal gid, from --groups */
	char *where;
} *extra_groups;
static size_t extra_count;
static bool groups_given;    /* --groups seen, even empty: the empty set is still a set */
static bool init_groups = true;

/* --- option setters ------------------------------------------------------------------- */

static bool is_number(const char *text)
{
	if (!*text)
		return false;
	for (const char *p = text; *p; p++)
		if (*p < '0' || *p > '9')
			return false;
	return true;
}

/* Decimal id; (uid_t)-1 is refused because set*id() read it as "leave unchanged". */
static int parse_id(const char *text, unsigned *id)
{
	long value;
	if (!is_number(text) || parse_long(text, 0, UINT32_MAX - 1L, &value) != 0)
		return -1;
	*id = (unsigned)value;
	return 0;
}

/* Names as useradd(8) and busybox adduser accept them, plus the odd '$' of machine accounts. */
static bool is_valid_name(const char *text)
{
	if (!*text || strlen(text) > 256 || *text == '-')
		return false;
	for (const char *p = text; *p; p++)
		if (*p == ':' || *p == ',' || *p == '\n' || *p == ' ' || *p == '\t')
			return false;
	return true;
}

static int check_name_or_id(const char *text, const char *what, const char *where)
{
	unsigned id;
	if (is_number(text) ? parse_id(text, &id) == 0 : is_valid_name(text))
		return 0;
	usher_err("%s: '%s' is not a %s name or number", where, text, what);
	return -1;
}

static int replace(char **slot, const char *text, const char *where)
{
	char *copy = strdup(text);
	if (!copy) {
		usher_err("%s: out of memory", where);
		return -1;
	}
	free(*slot);
	*slot = copy;
	return 0;
}

int user_set_user(const char *value, const char *where)
{
	const char *colon = strchr(value, ':');
	size_t name_len = colon ? (size_t)(colon - value) : strlen(value);
	char name[300];
	if (name_len == 0 || name_len >= sizeof name || (colon && !colon[1])) {
		usher_err("%s: expected USER or USER:GROUP (names or numbers), got '%s'", where, value);
		return -1;
	}
	memcpy(name, value, name_len);
	name[name_len] = '\0';
	if (check_name_or_id(name, "user", where) != 0)
		return -1;
	if (colon && check_name_or_id(colon + 1, "group", where) != 0)
		return -1;
	if (replace(&user_name, name, where) != 0 || replace(&user_where, where, where) != 0)
		return -1;
	if (!colon)
		return 0;
	return replace(&group_name, colon + 1, where) != 0 || replace(&group_where, where, where) != 0
		       ? -1 : 0;
}

int user_set_group(const char *value, const char *where)
{
	if (check_name_or_id(value, "group", where) != 0)
		return -1;
	return replace(&group_name, value, where) != 0 || replace(&group_where, where, where) != 0
		       ? -1 : 0;
}

/* Comma- or space-separated; repeatable; an empty value resets the list (systemd style) to
 * the empty set, which is still set: without --user, setgroups(0). */
int user_add_groups(const char *value, const char *where)
{
	groups_given = true;
	if (!value[strspn(value, ", \t")]) {
		for (size_t i = 0; i < extra_count; i++) {
			free(extra_groups[i].name);
			free(extra_groups[i].where);
		}
		extra_count = 0;
		return 0;
	}
	char *copy = strdup(value);
	if (!copy) {
		usher_err("%s: out of memory", where);
		return -1;
	}
	int rc = 0;
	char *save = NULL;
	for (char *word = strtok_r(copy, ", \t", &save); word && rc == 0;
	     word = strtok_r(NULL, ", \t", &save)) {
		if (check_name_or_id(word, "group", where) != 0) {
			rc = -1;
			break;
		}
		struct extra_group *grown = realloc(extra_groups, (extra_count + 1) * sizeof *grown);
		if (grown)
			extra_groups = grown;
		struct extra_group kept = { strdup(word), strdup(where) };
		if (!grown || !kept.name || !kept.where) {
			free(kept.name);
			free(kept.where);
			usher_err("%s: out of memory", where);
			rc = -1;
			break;
		}
		extra_groups[extra_count++] = kept;
	}
	free(copy);
	return rc;
}

int user_set_init_groups(const char *value, const char *where)
{
	if (parse_bool(value, &init_groups) != 0) {
		usher_err("%s: expected yes or no, got '%s'", where, value);
		return -1;
	}
	return 0;
}

bool user_requested(void)
{
	return user_name || group_name || groups_given;
}

/* --- /etc/passwd and /etc/group ------------------------------------------------------- */

/* Called for each well-formed line's fields; returns true to stop the scan. */
typedef bool visit_fn(char **fields, void *ctx);

/* How much a missing or unreadable file matters to a lookup. */
enum tolerance {
	MUST_READ,         /* a name is looked up: the file is needed */
	MAY_BE_MISSING,    /* memberships: no file, no groups */
	MAY_BE_UNREADABLE, /* a number: the entry only adds a HOME (podman's root-only passwd) */
};

/* Reads path line by line, splitting on ':'. Lines with another field count, comments and
 * NIS "+"/"-" lines are skipped. Returns 1 if visit stopped the scan, 0 if not, -1 after
 * printing; an unopenable file counts as empty when tolerated. A failed lookup of name
 * (for where) says so, and that numbers need no file. */
static int scan_db(const char *path, size_t nfields, visit_fn *visit, void *ctx,
		   enum tolerance tolerate, const char *where, const char *name)
{
	FILE *file = fopen(path, "re");
	if (!file) {
		int problem = errno;
		bool unreadable = problem == EACCES || problem == EPERM;
		if ((problem == ENOENT && tolerate != MUST_READ) ||
		    (unreadable && tolerate == MAY_BE_UNREADABLE)) {
			usher_debug("%s: %s: no entries from it", path, strerror(problem));
			return 0;
		}
		if (name)
			usher_err("%s: cannot look up '%s': %s: %s (a numeric %s needs no %s file)", where,
				  name, path, strerror(problem), nfields == 7 ? "UID[:GID]" : "GID",
				  nfields == 7 ? "passwd" : "group");
		else
			usher_err("%s: %s", path, strerror(problem));
		return -1;
	}
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	int found = 0;
	errno = 0;
	while (!found && (len = getline(&line, &cap, file)) >= 0) {
		if (len > 0 && line[len - 1] == '\n')
			line[--len] = '\0';
		if (line[0] == '#' || line[0] == '+' || line[0] == '-' || line[0] == '\0')
			continue;
		char *fields[8];
		size_t count = 0;
		char *rest = line;
		while (count < 8) {
			fields[count++] = rest;
			char *colon = strchr(rest, ':');
			if (!colon)
				break;
			*colon = '\0';
			rest = colon + 1;
		}
		if (count == nfields && visit(fields, ctx))
			found = 1;
		errno = 0;
	}
	int read_error = ferror(file) ? errno : 0;
	free(line);
	fclose(file);
	if (read_error) {
		usher_err("%s: %s", path, strerror(read_error));
		return -1;
	}
	return found;
}

/* A passwd line: name:password:uid:gid:gecos:home:shell */
struct passwd_entry {
	const char *want_name; /* lookup key: a name, or NULL to look up want_uid */
	unsigned want_uid;
	char *name;
	unsigned uid, gid;
	char *home;
};

static bool visit_passwd(char **fields, void *ctx)
{
	struct passwd_entry *entry = ctx;
	unsigned uid, gid;
	if (parse_id(fields[2], &uid) != 0 || parse_id(fields[3], &gid) != 0)
		return false;
	if (entry->want_name ? strcmp(fields[0], entry->want_name) != 0 : uid != entry->want_uid)
		return false;
	entry->name = strdup(fields[0]);
	entry->home = strdup(fields[5]);
	entry->uid = uid;
	entry->gid = gid;
	return true;
}

/* A group line: name:password:gid:member,member */
struct group_lookup {
	const char *want_name;
	unsigned gid;
};

static bool visit_group_by_name(char **fields, void *ctx)
{
	struct group_lookup *lookup = ctx;
	return strcmp(fields[0], lookup->want_name) == 0 && parse_id(fields[2], &lookup->gid) == 0;
}

/* Collects every group that lists member among its members (initgroups semantics). */
struct membership {
	const char *member;
	struct sandbox_ids *ids;
	bool out_of_memory;
};

static int add_group(struct sandbox_ids *ids, gid_t gid)
{
	for (size_t i = 0; i < ids->ngroups; i++)
		if (ids->groups[i] == gid)
			return 0;
	gid_t *grown = realloc(ids->groups, (ids->ngroups + 1) * sizeof *grown);
	if (!grown)
		return -1;
	ids->groups = grown;
	ids->groups[ids->ngroups++] = gid;
	return 0;
}

static bool visit_membership(char **fields, void *ctx)
{
	struct membership *walk = ctx;
	unsigned gid;
	if (parse_id(fields[2], &gid) != 0)
		return false;
	char *save = NULL;
	for (char *member = strtok_r(fields[3], ",", &save); member;
	     member = strtok_r(NULL, ",", &save)) {
		if (strcmp(member, walk->member) == 0) {
			if (add_group(walk->ids, gid) != 0) {
				walk->out_of_memory = true;
				return true;
			}
			break;
		}
	}
	return false;
}

/* --- resolution, before the fork ------------------------------------------------------ */

static int resolve_group(const char *spec, const char *where, const char *group_path, gid_t *gid)
{
	unsigned id;
	if (is_number(spec)) {
		if (parse_id(spec, &id) != 0)
			return -1; /* the setter already refused it */
		*gid = id;
		return 0;
	}
	struct group_lookup lookup = { .want_name = spec };
	int found = scan_db(group_path, 4, visit_group_by_name, &lookup, MUST_READ, where, spec);
	if (found < 0)
		return -1;
	if (found == 0) {
		usher_err("%s: no group '%s' in %s", where, spec, group_path);
		return -1;
	}
	*gid = lookup.gid;
	return 0;
}

/* The target user: its uid, primary gid, HOME and, when it has a passwd entry, its name
 * (for group memberships). A number without an entry is allowed (distroless images), also
 * when the file is missing or unreadable: its primary group is then the same number, never
 * root's, and HOME is "/" (as runc gives a uid it cannot find). */
static int resolve_user(const char *passwd_path, struct sandbox_ids *ids, char **member_name)
{
	struct passwd_entry entry = { 0 };
	bool numeric = is_number(user_name);
	if (numeric && parse_id(user_name, &entry.want_uid) != 0)
		return -1;
	if (!numeric)
		entry.want_name = user_name;
	int found = scan_db(passwd_path, 7, visit_passwd, &entry,
			    numeric ? MAY_BE_UNREADABLE : MUST_READ, user_where, user_name);
	if (found < 0)
		return -1;
	if (found == 0 && !numeric) {
		usher_err("%s: no user '%s' in %s", user_where, user_name, passwd_path);
		return -1;
	}
	if (found && (!entry.name || !entry.home)) {
		free(entry.name);
		free(entry.home);
		usher_err("%s: out of memory", user_where);
		return -1;
	}
	ids->switch_uid = true;
	ids->switch_gid = true;
	ids->uid = found ? entry.uid : entry.want_uid;
	ids->gid = found ? entry.gid : entry.want_uid;
	if (found && entry.home[0]) {
		ids->home = entry.home;
	} else {
		free(entry.home);
		ids->home = strdup("/");
	}
	*member_name = entry.name;
	if (!ids->home) {
		usher_err("%s: out of memory", user_where);
		return -1;
	}
	if (!found)
		usher_debug("uid %u has no entry in %s: gid %u, HOME=/", ids->uid, passwd_path, ids->gid);
	return 0;
}

int user_resolve(const char *passwd_path, const char *group_path, struct sandbox_ids *ids)
{
	user_free_ids(ids);
	if (!user_requested())
		return 0;
	char *member_name = NULL;
	if (user_name && resolve_user(passwd_path, ids, &member_name) != 0) {
		free(member_name);
		user_free_ids(ids);
		return -1;
	}
	int rc = 0;
	if (group_name) {
		ids->switch_gid = true;
		rc = resolve_group(group_name, group_where, group_path, &ids->gid);
	}
	ids->set_groups = true;
	bool out_of_memory = false;
	if (rc == 0 && user_name && init_groups) {
		out_of_memory = add_group(ids, ids->gid) != 0;
		if (member_name && !out_of_memory) {
			struct membership walk = { .member = member_name, .ids = ids };
			rc = scan_db(group_path, 4, visit_membership, &walk, MAY_BE_MISSING, NULL, NULL) < 0
				     ? -1 : 0;
			out_of_memory = walk.out_of_memory;
		}
	}
	for (size_t i = 0; rc == 0 && !out_of_memory && i < extra_count; i++) {
		gid_t gid;
		rc = resolve_group(extra_groups[i].name, extra_groups[i].where, group_path, &gid);
		if (rc == 0)
			out_of_memory = add_group(ids, gid) != 0;
	}
	free(member_name);
	if (rc == 0 && out_of_memory) {
		usher_err("supplementary groups: out of memory");
		rc = -1;
	}
	if (rc != 0)
		user_free_ids(ids);
	return rc;
}

void user_free_ids(struct sandbox_ids *ids)
{
	free(ids->groups);
	free(ids->home);
	*ids = (struct sandbox_ids){ 0 };
}

/* --- in the child --------------------------------------------------------------------- */

static gid_t *current_groups(int *count);
static void list_groups(char *buf, size_t size, const gid_t *groups, size_t count);
static bool same_group_set(const gid_t *have, size_t nhave, const gid_t *want, size_t nwant);

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
	if (have && same_group_set(have, (size_t)count, ids->groups, ids->ngroups)) {
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

static bool same_group_set(const gid_t *have, size_t nhave, const gid_t *want, size_t nwant)
{
	if (nhave != nwant)
		return false; /* both lists are free of duplicates */
	for (size_t i = 0; i < nwant; i++) {
		bool found = false;
		for (size_t j = 0; j < nhave && !found; j++)
			found = have[j] == want[i];
		if (!found)
			return false;
	}
	return true;
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
	bool same = same_group_set(have, (size_t)count, ids->groups, ids->ngroups);
	free(have);
	if (!same) {
		usher_err("supplementary groups differ from the ones set");
		return -1;
	}
	return 0;
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

void user_describe(char *buf, size_t size)
{
	int used = snprintf(buf, size, "uid=%u gid=%u groups=", (unsigned)getuid(), (unsigned)getgid());
	int count;
	gid_t *groups = current_groups(&count);
	if (groups && used >= 0 && (size_t)used < size)
		list_groups(buf + used, size - (size_t)used, groups, (size_t)count);
	free(groups);
}
