/* sandbox/user.c — --user/--group/--groups: parsed here, resolved from the image's own
 * /etc/passwd and /etc/group (static musl has no NSS), before the fork (user-apply.c: the child). */
#include "user.h"

#include "util.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

int user_set_user(struct sbx_user *u, const char *value, const char *where)
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
	if (replace(&u->name, name, where) != 0 || replace(&u->where, where, where) != 0)
		return -1;
	return colon ? user_set_group(u, colon + 1, where) : 0;
}

int user_set_group(struct sbx_user *u, const char *value, const char *where)
{
	if (check_name_or_id(value, "group", where) != 0)
		return -1;
	return replace(&u->group_name, value, where) != 0 || replace(&u->group_where, where, where) != 0
		       ? -1 : 0;
}

/* Comma- or space-separated; repeatable; an empty value resets the list (systemd style) to
 * the empty set, which is still set: without --user, setgroups(0). */
int user_add_groups(struct sbx_user *u, const char *value, const char *where)
{
	u->groups_given = true;
	if (!value[strspn(value, ", \t")]) {
		for (size_t i = 0; i < u->extra_count; i++) {
			free(u->extra[i].name);
			free(u->extra[i].where);
		}
		u->extra_count = 0;
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
		struct sbx_extra_group *grown = realloc(u->extra, (u->extra_count + 1) * sizeof *grown);
		if (grown)
			u->extra = grown;
		struct sbx_extra_group kept = { strdup(word), strdup(where) };
		if (!grown || !kept.name || !kept.where) {
			free(kept.name);
			free(kept.where);
			usher_err("%s: out of memory", where);
			rc = -1;
			break;
		}
		u->extra[u->extra_count++] = kept;
	}
	free(copy);
	return rc;
}

int user_set_init_groups(struct sbx_user *u, const char *value, const char *where)
{
	bool init_groups;
	if (parse_bool(value, &init_groups) != 0) {
		usher_err("%s: expected yes or no, got '%s'", where, value);
		return -1;
	}
	u->no_init_groups = !init_groups;
	return 0;
}

bool user_requested(const struct sbx_user *u)
{
	return u->name || u->group_name || u->groups_given;
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
static int resolve_user(const struct sbx_user *u, const char *passwd_path, struct sandbox_ids *ids,
			char **member_name)
{
	struct passwd_entry entry = { 0 };
	const char *user_name = u->name, *user_where = u->where;
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

int user_resolve(const struct sbx_user *u, const char *passwd_path, const char *group_path,
		 struct sandbox_ids *ids)
{
	user_free_ids(ids);
	if (!user_requested(u))
		return 0;
	char *member_name = NULL;
	if (u->name && resolve_user(u, passwd_path, ids, &member_name) != 0) {
		free(member_name);
		user_free_ids(ids);
		return -1;
	}
	int rc = 0;
	if (u->group_name) {
		ids->switch_gid = true;
		rc = resolve_group(u->group_name, u->group_where, group_path, &ids->gid);
	}
	ids->set_groups = true;
	bool out_of_memory = false;
	if (rc == 0 && u->name && !u->no_init_groups) {
		out_of_memory = add_group(ids, ids->gid) != 0;
		if (member_name && !out_of_memory) {
			struct membership walk = { .member = member_name, .ids = ids };
			rc = scan_db(group_path, 4, visit_membership, &walk, MAY_BE_MISSING, NULL, NULL) < 0
				     ? -1 : 0;
			out_of_memory = walk.out_of_memory;
		}
	}
	for (size_t i = 0; rc == 0 && !out_of_memory && i < u->extra_count; i++) {
		gid_t gid;
		rc = resolve_group(u->extra[i].name, u->extra[i].where, group_path, &gid);
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
