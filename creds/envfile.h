/* creds/envfile.h — the loaders of the workload's environment: reading secret files safely,
 * the nomad and docker env-file formats, secret directories, VAR_FILE and --wait-for. */
#ifndef USHER_CREDS_ENVFILE_H
#define USHER_CREDS_ENVFILE_H

#include "env.h"

#include <stdbool.h>
#include <stddef.h>

/* Largest file usher reads as a secret or env file (Nomad's secrets tmpfs is 1 MB). */
#define SECRET_FILE_MAX (1024 * 1024)
/* Longest env-file line: Go's bufio.MaxScanTokenSize, as Nomad and Docker enforce it. */
#define ENVFILE_LINE_MAX (64 * 1024 - 1)

/* --- secret-file.c --- */
/* Read the regular file at path into a malloc'd, NUL-terminated buffer (free it with
 * wipe_free(*data, *len)). A symlink in the last component is followed only when it stays
 * inside the directory that holds it (the Kubernetes ..data layout); FIFOs, devices and
 * files over SECRET_FILE_MAX are refused; a file every user may read earns a warning.
 * Returns 0; 1 when missing_ok and the file does not exist; -1 after printing. */
int secret_file_read(const char *path, bool missing_ok, char **data, size_t *len);
/* Same, for the entry name inside the open directory dir_fd (shown as dir/name). */
int secret_file_read_at(int dir_fd, const char *dir, const char *name, char **data,
			size_t *len);

/* --- envfile.c: parsing --- */
enum envfile_format {
	ENVFILE_NOMAD,  /* hashicorp/go-envparse v0.1.0, as Nomad's template { env = true } */
	ENVFILE_DOCKER, /* docker run --env-file: literal values, bare KEY inherits */
};

struct envfile_error {
	size_t line;    /* 1-based line of the error */
	char why[96];   /* never holds any part of a value */
};

/* service-env.c: "[-][FORMAT:]PATH" of --env-file and EnvironmentFile=. 0, or -1 after
 * printing "usher: <where>: ...". */
int envfile_spec_parse(const char *value, const char *where, enum envfile_format *format,
		       bool *missing_ok, const char **path);
/* "nomad" / "docker" → format; -1 if unknown. */
int envfile_format_parse(const char *name, enum envfile_format *format);
/* Parse text (len bytes) and set every variable in into (marked from_file). A bare KEY in
 * the docker format takes its value from inherit (NULL-terminated KEY=VALUE) or is skipped.
 * Returns 0; -1 with *error filled (into may hold part of the file's variables then). */
int envfile_parse(enum envfile_format format, const char *text, size_t len, char **inherit,
		  struct env *into, struct envfile_error *error);

/* --- envdir.c --- */
/* Set one variable per file of dir (Docker /run/secrets, Kubernetes secret volumes,
 * s6 envdir): value = whole file minus one trailing newline; names starting with "." are
 * skipped. If loaded_path is not NULL, each file read is passed to it.
 * Returns 0, 1 when missing_ok and dir does not exist, -1 after printing. */
int envdir_load(const char *dir, bool missing_ok, struct env *into,
		int (*loaded_path)(const char *path));

/* --- varfile.c --- */
/* Which NAME_FILE variables are resolved (--var-files; none by default). */
struct varfile_policy {
	bool all;            /* every NAME_FILE except USHER_* */
	char **names;        /* else only these NAMEs (NULL-terminated; NULL = none) */
};
/* For every NAME_FILE in env that the policy allows and that is non-empty: error if NAME
 * is non-empty too; else set NAME from the file (one trailing newline stripped) and remove
 * NAME_FILE. loaded_path as in envdir_load. 0, or -1 after printing. */
int varfile_resolve(struct env *env, const struct varfile_policy *policy,
		    int (*loaded_path)(const char *path));

/* Strip one trailing "\n" or "\r\n" from a file's content. */
size_t strip_one_newline(const char *data, size_t len);

/* --- waitfor.c --- */
/* Wait until every path exists, at most timeout_ms in all. SIGTERM/SIGINT end the wait.
 * Returns 0; EXIT_USHER_FAILED after printing the first path that never came; or 128+N
 * when signal N arrived. */
int waitfor_paths(char *const *paths, long timeout_ms);

#endif
