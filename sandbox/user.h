/* sandbox/user.h — who the workload runs as: --user/--group/--groups, resolved against the
 * image's own /etc/passwd and /etc/group before the fork, applied in the child. */
#ifndef USHER_SANDBOX_USER_H
#define USHER_SANDBOX_USER_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* --user/--group/--groups as given, for one plan; all zero means nothing asked. */
struct sbx_user {
	char *name;                /* name or decimal uid */
	char *where;               /* "--user" or "usher.conf:3", for messages after parsing */
	char *group_name;          /* name or decimal gid */
	char *group_where;
	struct sbx_extra_group {
		char *name;        /* name or decimal gid, from --groups */
		char *where;
	} *extra;
	size_t extra_count;
	bool groups_given;         /* --groups seen, even empty: the empty set is still a set */
	bool no_init_groups;       /* --init-groups no */
};

/* The resolved identity: filled by user_resolve(), read by caps.c and sandbox.c. */
struct sandbox_ids {
	bool switch_uid;   /* --user given: setresuid(uid) */
	bool switch_gid;   /* --user or --group given: setresgid(gid) */
	bool set_groups;   /* any of the above or --groups: setgroups(groups) */
	uid_t uid;
	gid_t gid;
	gid_t *groups;     /* supplementary groups, no duplicates */
	size_t ngroups;
	char *home;        /* HOME for the workload; NULL without --user */
};

/* Option setters: each writes into u (sandbox.c passes the selected plan's). */
int user_set_user(struct sbx_user *u, const char *value, const char *where);
int user_set_group(struct sbx_user *u, const char *value, const char *where);
int user_add_groups(struct sbx_user *u, const char *value, const char *where);
int user_set_init_groups(struct sbx_user *u, const char *value, const char *where);

/* True when any of --user, --group, --groups was given. */
bool user_requested(const struct sbx_user *u);

/* Resolves u against passwd_path and group_path ("/etc/passwd", "/etc/group"; tests pass
 * their own) into ids, which is zeroed or from an earlier call (freed first).
 * Returns 0, or -1 after printing why (ids then empty). */
int user_resolve(const struct sbx_user *u, const char *passwd_path, const char *group_path,
		 struct sandbox_ids *ids);

/* Frees what user_resolve() allocated in ids and empties it. */
void user_free_ids(struct sandbox_ids *ids);

/* In the child: stdio given to the new uid, setgroups, setresgid, setresuid, each checked. */
int user_apply(const struct sandbox_ids *ids);

/* In the child, after every step: reads the ids back; -1 after printing on a mismatch. */
int user_verify(const struct sandbox_ids *ids);

/* "uid=1000 gid=1000 groups=1000,27" into buf, for -v. */
void user_describe(char *buf, size_t size);

#endif
