/* sandbox/seccomp-profile.c — reads a seccomp profile in Docker's JSON format or OCI's
 * linux.seccomp into struct sbx_profile; anything it does not understand is fatal. */
#include "seccomp-internal.h"
#include "seccomp-json.h"
#include "util.h"

#include <errno.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A profile is a few tens of KiB; anything much larger is not one. */
#define PROFILE_MAX_BYTES SBX_PROFILE_MAX_BYTES

static int u32_at(const struct json *js, int i, const char *path, unsigned *out)
{
	uint64_t value;
	if (json_u64(js, i, path, &value) < 0)
		return -1;
	if (value > 0xffffffffu)
		return json_fail(js, i, path, "%llu is out of range", (unsigned long long)value);
	*out = (unsigned)value;
	return 0;
}

static int errno_at(const struct json *js, int i, const char *path, unsigned *value)
{
	uint64_t parsed;
	if (json_u64(js, i, path, &parsed) < 0)
		return -1;
	/* libseccomp (as under runc) refuses what the kernel could not return as an errno. */
	if (parsed > 4095)
		return json_fail(js, i, path, "%llu is not an errno (0 to 4095)", (unsigned long long)parsed);
	*value = (unsigned)parsed;
	return 0;
}

static const struct {
	const char *name;
	uint32_t action; /* SCMP_ACT_ERRNO(0)/SCMP_ACT_TRACE(0): the data is filled in later */
} actions[] = {
	{ "SCMP_ACT_KILL", SCMP_ACT_KILL },
	{ "SCMP_ACT_KILL_THREAD", SCMP_ACT_KILL },
	{ "SCMP_ACT_KILL_PROCESS", SCMP_ACT_KILL_PROCESS },
	{ "SCMP_ACT_TRAP", SCMP_ACT_TRAP },
	{ "SCMP_ACT_ERRNO", SCMP_ACT_ERRNO(0) },
	{ "SCMP_ACT_TRACE", SCMP_ACT_TRACE(0) },
	{ "SCMP_ACT_ALLOW", SCMP_ACT_ALLOW },
	{ "SCMP_ACT_LOG", SCMP_ACT_LOG },
};

static bool action_takes_errno(uint32_t action)
{
	return action == SCMP_ACT_ERRNO(0) || action == SCMP_ACT_TRACE(0);
}

static int action_at(const struct json *js, int i, const char *path, uint32_t *action)
{
	char *name = json_string(js, i, path);
	if (!name)
		return -1;
	for (size_t k = 0; k < sizeof actions / sizeof actions[0]; k++) {
		if (strcmp(name, actions[k].name) == 0) {
			*action = actions[k].action;
			free(name);
			return 0;
		}
	}
	if (strcmp(name, "SCMP_ACT_NOTIFY") == 0)
		json_fail(js, i, path, "SCMP_ACT_NOTIFY needs a seccomp agent, which usher does not support");
	else
		json_fail(js, i, path, "unknown action \"%s\"", name);
	free(name);
	return -1;
}

/* The errno that goes with an action: errnoRet when given, else EPERM (as runc does). */
static int combine_action(const struct json *js, int i, const char *path, uint32_t *action,
                          bool has_errno, unsigned errno_value)
{
	if (has_errno && !action_takes_errno(*action))
		return json_fail(js, i, path, "errnoRet is only valid with SCMP_ACT_ERRNO or SCMP_ACT_TRACE");
	if (action_takes_errno(*action))
		*action |= has_errno ? errno_value : (unsigned)EPERM;
	return 0;
}

static const struct {
	const char *name;
	int op;
} operators[] = {
	{ "SCMP_CMP_NE", SCMP_CMP_NE }, { "SCMP_CMP_LT", SCMP_CMP_LT },
	{ "SCMP_CMP_LE", SCMP_CMP_LE }, { "SCMP_CMP_EQ", SCMP_CMP_EQ },
	{ "SCMP_CMP_GE", SCMP_CMP_GE }, { "SCMP_CMP_GT", SCMP_CMP_GT },
	{ "SCMP_CMP_MASKED_EQ", SCMP_CMP_MASKED_EQ },
};

static int condition_at(const struct json *js, int i, const char *path, struct sbx_condition *cond)
{
	if (json_is_null(js, i))
		return i + 1;
	if (json_expect(js, i, JSMN_OBJECT, path) < 0)
		return -1;
	int keys = js->tokens[i].size;
	char where[192];
	i++;
	for (int k = 0; k < keys; k++, i = json_skip(js, i + 1)) {
		int value = i + 1;
		if (json_is_key(js, i, "caps")) {
			snprintf(where, sizeof where, "%s.caps", path);
			char **names = NULL;
			size_t count = 0;
			if (json_strings(js, value, where, &names, &count) < 0) {
				json_free_strings(names, count);
				return -1;
			}
			for (size_t c = 0; c < count; c++) {
				int cap = sbx_cap_from_name(names[c]);
				if (cap < 0) {
					json_fail(js, value, where, "unknown capability \"%s\"", names[c]);
					json_free_strings(names, count);
					return -1;
				}
				cond->caps |= 1ULL << cap;
			}
			json_free_strings(names, count);
		} else if (json_is_key(js, i, "arches")) {
			snprintf(where, sizeof where, "%s.arches", path);
			if (json_strings(js, value, where, &cond->arches, &cond->arch_count) < 0)
				return -1;
		} else if (json_is_key(js, i, "minKernel")) {
			snprintf(where, sizeof where, "%s.minKernel", path);
			if (json_is_null(js, value))
				continue;
			char *text = json_string(js, value, where);
			if (!text)
				return -1;
			unsigned major, minor;
			const char *rest;
			/* Docker reads "major.minor"; a patch level is ignored as there. */
			bool good = sbx_kernel_version(text, &major, &minor, &rest) &&
				    (*rest == '\0' || *rest == '.');
			free(text);
			if (!good)
				return json_fail(js, value, where, "expected a kernel version like \"4.8\"");
			cond->min_kernel = major << 16 | minor;
			cond->has_min_kernel = true;
		} else if (!json_is_key(js, i, "comment")) {
			return json_fail(js, i, path, "unknown key \"%.*s\"", js->tokens[i].end - js->tokens[i].start,
			            js->text + js->tokens[i].start);
		}
	}
	return i;
}

static int args_at(const struct json *js, int i, const char *path, struct sbx_rule *rule)
{
	if (json_is_null(js, i))
		return i + 1;
	if (json_expect(js, i, JSMN_ARRAY, path) < 0)
		return -1;
	int n = js->tokens[i].size;
	rule->args = calloc((size_t)n + 1, sizeof *rule->args);
	if (!rule->args)
		return json_fail(js, i, path, "out of memory");
	i++;
	char where[192];
	for (int a = 0; a < n; a++) {
		snprintf(where, sizeof where, "%s[%d]", path, a);
		if (json_expect(js, i, JSMN_OBJECT, where) < 0)
			return -1;
		struct sbx_arg *arg = &rule->args[rule->arg_count++];
		bool has_index = false, has_op = false;
		int keys = js->tokens[i].size, object = i;
		i++;
		for (int k = 0; k < keys; k++, i = json_skip(js, i + 1)) {
			int value = i + 1;
			if (json_is_key(js, i, "index")) {
				if (u32_at(js, value, where, &arg->index) < 0)
					return -1;
				if (arg->index > 5)
					return json_fail(js, value, where, "index %u: syscalls have 6 arguments, 0 to 5", arg->index);
				has_index = true;
			} else if (json_is_key(js, i, "value")) {
				if (json_u64(js, value, where, &arg->value) < 0)
					return -1;
			} else if (json_is_key(js, i, "valueTwo")) {
				if (json_u64(js, value, where, &arg->value_two) < 0)
					return -1;
			} else if (json_is_key(js, i, "op")) {
				char *op = json_string(js, value, where);
				if (!op)
					return -1;
				size_t o = 0;
				while (o < sizeof operators / sizeof operators[0] && strcmp(op, operators[o].name) != 0)
					o++;
				if (o == sizeof operators / sizeof operators[0]) {
					json_fail(js, value, where, "unknown operator \"%s\"", op);
					free(op);
					return -1;
				}
				free(op);
				arg->op = operators[o].op;
				has_op = true;
			} else {
				return json_fail(js, i, where, "unknown key \"%.*s\"", js->tokens[i].end - js->tokens[i].start,
				            js->text + js->tokens[i].start);
			}
		}
		if (!has_index || !has_op)
			return json_fail(js, object, where, "needs \"index\" and \"op\"");
	}
	return i;
}

static int rule_at(const struct json *js, int i, const char *path, struct sbx_rule *rule)
{
	if (json_expect(js, i, JSMN_OBJECT, path) < 0)
		return -1;
	int keys = js->tokens[i].size, object = i;
	bool has_name = false, has_names = false, has_action = false, has_errno = false;
	unsigned errno_value = 0;
	char where[128];
	i++;
	for (int k = 0; k < keys; k++, i = json_skip(js, i + 1)) {
		int value = i + 1;
		if (json_is_key(js, i, "names")) {
			snprintf(where, sizeof where, "%s.names", path);
			if (json_strings(js, value, where, &rule->names, &rule->name_count) < 0)
				return -1;
			has_names = true;
		} else if (json_is_key(js, i, "name")) {
			/* Docker's older format: one name per rule. */
			snprintf(where, sizeof where, "%s.name", path);
			char *name = json_string(js, value, where);
			char **grown = name ? realloc(rule->names, (rule->name_count + 1) * sizeof *grown) : NULL;
			if (!grown) {
				free(name);
				return name ? json_fail(js, value, where, "out of memory") : -1;
			}
			rule->names = grown;
			rule->names[rule->name_count++] = name;
			has_name = true;
		} else if (json_is_key(js, i, "action")) {
			snprintf(where, sizeof where, "%s.action", path);
			if (action_at(js, value, where, &rule->action) < 0)
				return -1;
			has_action = true;
		} else if (json_is_key(js, i, "errnoRet")) {
			snprintf(where, sizeof where, "%s.errnoRet", path);
			if (json_is_null(js, value))
				continue;
			if (errno_at(js, value, where, &errno_value) < 0)
				return -1;
			has_errno = true;
		} else if (json_is_key(js, i, "args")) {
			snprintf(where, sizeof where, "%s.args", path);
			if (args_at(js, value, where, rule) < 0)
				return -1;
		} else if (json_is_key(js, i, "includes")) {
			snprintf(where, sizeof where, "%s.includes", path);
			if (condition_at(js, value, where, &rule->includes) < 0)
				return -1;
		} else if (json_is_key(js, i, "excludes")) {
			snprintf(where, sizeof where, "%s.excludes", path);
			if (condition_at(js, value, where, &rule->excludes) < 0)
				return -1;
		} else if (!json_is_key(js, i, "comment")) {
			return json_fail(js, i, path, "unknown key \"%.*s\"", js->tokens[i].end - js->tokens[i].start,
			            js->text + js->tokens[i].start);
		}
	}
	if (has_name && has_names)
		return json_fail(js, object, path, "has both \"name\" and \"names\"; use one");
	if (rule->name_count == 0)
		return json_fail(js, object, path, "names no syscall");
	if (!has_action)
		return json_fail(js, object, path, "has no \"action\"");
	if (combine_action(js, object, path, &rule->action, has_errno, errno_value) < 0)
		return -1;
	return i;
}

static int rules_at(const struct json *js, int i, struct sbx_profile *profile)
{
	if (json_is_null(js, i))
		return i + 1;
	if (json_expect(js, i, JSMN_ARRAY, "syscalls") < 0)
		return -1;
	int n = js->tokens[i].size;
	profile->rules = calloc((size_t)n + 1, sizeof *profile->rules);
	if (!profile->rules)
		return json_fail(js, i, "syscalls", "out of memory");
	i++;
	char where[64];
	for (int r = 0; r < n; r++) {
		snprintf(where, sizeof where, "syscalls[%d]", r);
		i = rule_at(js, i, where, &profile->rules[profile->rule_count++]);
		if (i < 0)
			return -1;
	}
	return i;
}

static int add_arch(const struct json *js, int i, const char *path, struct sbx_profile *profile,
                    const char *name)
{
	uint32_t arch = sbx_arch_from_name(name);
	if (arch == 0)
		return json_fail(js, i, path, "unknown architecture \"%s\"", name);
	uint32_t *grown = realloc(profile->arches, (profile->arch_count + 1) * sizeof *grown);
	if (!grown)
		return json_fail(js, i, path, "out of memory");
	profile->arches = grown;
	profile->arches[profile->arch_count++] = arch;
	return 0;
}

static int architectures_at(const struct json *js, int i, struct sbx_profile *profile)
{
	char **names = NULL;
	size_t count = 0;
	int next = json_strings(js, i, "architectures", &names, &count);
	for (size_t k = 0; next >= 0 && k < count; k++)
		if (add_arch(js, i, "architectures", profile, names[k]) < 0)
			next = -1;
	json_free_strings(names, count);
	return next;
}

/* archMap: like Docker, only the entry for the running architecture counts. */
static int arch_map_at(const struct json *js, int i, struct sbx_profile *profile)
{
	if (json_is_null(js, i))
		return i + 1;
	if (json_expect(js, i, JSMN_ARRAY, "archMap") < 0)
		return -1;
	int n = js->tokens[i].size;
	i++;
	char where[64];
	for (int e = 0; e < n; e++) {
		snprintf(where, sizeof where, "archMap[%d]", e);
		if (json_expect(js, i, JSMN_OBJECT, where) < 0)
			return -1;
		int keys = js->tokens[i].size, object = i;
		char *main_arch = NULL, **sub_arches = NULL;
		size_t sub_count = 0;
		int rc = 0;
		i++;
		for (int k = 0; k < keys && rc == 0; k++, i = json_skip(js, i + 1)) {
			if (json_is_key(js, i, "architecture") && !main_arch)
				rc = (main_arch = json_string(js, i + 1, where)) ? 0 : -1;
			else if (json_is_key(js, i, "subArchitectures"))
				rc = json_strings(js, i + 1, where, &sub_arches, &sub_count) < 0 ? -1 : 0;
			else
				rc = json_fail(js, i, where, "unknown key \"%.*s\"", js->tokens[i].end - js->tokens[i].start,
				          js->text + js->tokens[i].start);
		}
		if (rc == 0 && !main_arch)
			rc = json_fail(js, object, where, "has no \"architecture\"");
		if (rc == 0 && sbx_arch_from_name(main_arch) == sbx_native_arch())
			for (size_t s = 0; s < sub_count && rc == 0; s++)
				rc = add_arch(js, object, where, profile, sub_arches[s]);
		free(main_arch);
		json_free_strings(sub_arches, sub_count);
		if (rc < 0)
			return -1;
	}
	return i;
}

static int flags_at(const struct json *js, int i, struct sbx_profile *profile)
{
	char **names = NULL;
	size_t count = 0;
	int next = json_strings(js, i, "flags", &names, &count);
	for (size_t k = 0; next >= 0 && k < count; k++) {
		if (strcmp(names[k], "SECCOMP_FILTER_FLAG_LOG") == 0)
			profile->load_flags |= SECCOMP_FILTER_FLAG_LOG;
		else if (strcmp(names[k], "SECCOMP_FILTER_FLAG_SPEC_ALLOW") == 0)
			profile->load_flags |= SECCOMP_FILTER_FLAG_SPEC_ALLOW;
		else if (strcmp(names[k], "SECCOMP_FILTER_FLAG_TSYNC") != 0 &&
		         strcmp(names[k], "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV") != 0)
			/* TSYNC: the workload is single-threaded when the filter loads; WAIT_KILLABLE_RECV
			 * only concerns SCMP_ACT_NOTIFY, which is refused anyway. */
			next = json_fail(js, i, "flags", "unknown flag \"%s\"", names[k]);
	}
	json_free_strings(names, count);
	return next;
}

static int profile_at(const struct json *js, struct sbx_profile *profile)
{
	if (json_expect(js, 0, JSMN_OBJECT, "top level") < 0)
		return -1;
	int keys = js->tokens[0].size, i = 1;
	bool has_default = false, has_default_errno = false, has_architectures = false, has_arch_map = false;
	unsigned default_errno = 0;
	int default_token = 0;
	for (int k = 0; k < keys; k++) {
		int value = i + 1, next;
		if (json_is_key(js, i, "defaultAction")) {
			next = action_at(js, value, "defaultAction", &profile->default_action) < 0 ? -1 : json_skip(js, value);
			has_default = true;
			default_token = value;
		} else if (json_is_key(js, i, "defaultErrnoRet")) {
			has_default_errno = !json_is_null(js, value);
			next = has_default_errno && errno_at(js, value, "defaultErrnoRet", &default_errno) < 0
			       ? -1 : json_skip(js, value);
		} else if (json_is_key(js, i, "architectures")) {
			has_architectures = !json_is_null(js, value);
			next = architectures_at(js, value, profile);
		} else if (json_is_key(js, i, "archMap")) {
			has_arch_map = !json_is_null(js, value);
			next = arch_map_at(js, value, profile);
		} else if (json_is_key(js, i, "flags")) {
			next = flags_at(js, value, profile);
		} else if (json_is_key(js, i, "syscalls")) {
			next = rules_at(js, value, profile);
		} else if (json_is_key(js, i, "listenerPath")) {
			next = js->tokens[value].type == JSMN_STRING && js->tokens[value].end > js->tokens[value].start
			       ? json_fail(js, value, "listenerPath", "seccomp agents are not supported") : json_skip(js, value);
		} else if (json_is_key(js, i, "comment") || json_is_key(js, i, "listenerMetadata")) {
			next = json_skip(js, value);
		} else {
			next = json_fail(js, i, "top level", "unknown key \"%.*s\"", js->tokens[i].end - js->tokens[i].start,
			            js->text + js->tokens[i].start);
		}
		if (next < 0)
			return -1;
		i = next;
	}
	if (!has_default)
		return json_fail(js, 0, "top level", "has no \"defaultAction\"");
	if (has_architectures && has_arch_map)
		return json_fail(js, 0, "top level", "has both \"architectures\" and \"archMap\"; use one");
	return combine_action(js, default_token, "defaultErrnoRet", &profile->default_action,
	                      has_default_errno, default_errno);
}

int sbx_profile_parse(const char *text, size_t len, const char *origin, struct sbx_profile *profile)
{
	memset(profile, 0, sizeof *profile);
	struct json js;
	if (json_open(&js, text, len, origin) < 0)
		return -1;
	int rc = profile_at(&js, profile);
	json_close(&js);
	if (rc < 0)
		sbx_profile_free(profile);
	return rc;
}

int sbx_profile_load_file(const char *path, struct sbx_profile *profile)
{
	size_t length;
	char *text = read_small_file(path, PROFILE_MAX_BYTES, &length);
	if (!text)
		return -1;
	int rc = sbx_profile_parse(text, length, path, profile);
	free(text);
	return rc;
}

static void free_condition(struct sbx_condition *cond)
{
	json_free_strings(cond->arches, cond->arch_count);
}

void sbx_profile_free(struct sbx_profile *profile)
{
	for (size_t r = 0; r < profile->rule_count; r++) {
		struct sbx_rule *rule = &profile->rules[r];
		json_free_strings(rule->names, rule->name_count);
		free(rule->args);
		free_condition(&rule->includes);
		free_condition(&rule->excludes);
	}
	free(profile->rules);
	free(profile->arches);
	memset(profile, 0, sizeof *profile);
}

uint64_t sbx_profile_caps_mentioned(const struct sbx_profile *profile)
{
	uint64_t caps = 0;
	for (size_t r = 0; r < profile->rule_count; r++)
		caps |= profile->rules[r].includes.caps | profile->rules[r].excludes.caps;
	return caps;
}

unsigned sbx_profile_max_min_kernel(const struct sbx_profile *profile)
{
	unsigned highest = 0;
	for (size_t r = 0; r < profile->rule_count; r++) {
		const struct sbx_rule *rule = &profile->rules[r];
		if (rule->includes.min_kernel > highest)
			highest = rule->includes.min_kernel;
		if (rule->excludes.min_kernel > highest)
			highest = rule->excludes.min_kernel;
	}
	return highest;
}
