/* sandbox/seccomp-profile.c — reads a seccomp profile in Docker's JSON format or OCI's
 * linux.seccomp (jsmn) into struct sbx_profile; anything it does not understand is fatal. */
#include "seccomp-internal.h"
#include "util.h"

#define JSMN_STATIC
#define JSMN_STRICT
#include <jsmn.h>

#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

/* A profile is a few tens of KiB; anything much larger is not one. */
#define PROFILE_MAX_BYTES SBX_PROFILE_MAX_BYTES

struct json {
	const char *text;
	const jsmntok_t *tokens;
	const char *origin;
};

/* "usher: <origin>: line N: <path>: <why>" — path is the JSON location, e.g. syscalls[3].op */
__attribute__((format(printf, 4, 5)))
static int fail(const struct json *js, int token, const char *path, const char *fmt, ...)
{
	int line = 1;
	for (int i = 0; i < js->tokens[token].start; i++)
		line += js->text[i] == '\n';
	char why[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(why, sizeof why, fmt, ap);
	va_end(ap);
	usher_err("%s: line %d: %s: %s", js->origin, line, path, why);
	return -1;
}

/* Index of the token after token i and everything inside it. */
static int skip(const struct json *js, int i)
{
	int pending = 1;
	while (pending > 0) {
		pending += js->tokens[i].size - 1;
		i++;
	}
	return i;
}

static bool is_key(const struct json *js, int i, const char *key)
{
	const jsmntok_t *t = &js->tokens[i];
	size_t len = (size_t)(t->end - t->start);
	return t->type == JSMN_STRING && strlen(key) == len && memcmp(js->text + t->start, key, len) == 0;
}

static bool is_null(const struct json *js, int i)
{
	const jsmntok_t *t = &js->tokens[i];
	return t->type == JSMN_PRIMITIVE && js->text[t->start] == 'n';
}

static int expect(const struct json *js, int i, jsmntype_t type, const char *path)
{
	static const char *const type_names[] = { "?", "an object", "an array", "a string", "a number" };
	if (js->tokens[i].type == type)
		return 0;
	return fail(js, i, path, "expected %s", type_names[type]);
}

/* The decoded string (JSON escapes resolved; \u only for ASCII), malloc'd; NULL after printing. */
static char *string_at(const struct json *js, int i, const char *path)
{
	if (expect(js, i, JSMN_STRING, path) < 0)
		return NULL;
	const char *src = js->text + js->tokens[i].start;
	size_t len = (size_t)(js->tokens[i].end - js->tokens[i].start);
	char *out = malloc(len + 1);
	if (!out) {
		fail(js, i, path, "out of memory");
		return NULL;
	}
	size_t n = 0;
	for (size_t k = 0; k < len; k++) {
		char c = src[k];
		if (c == '\\') {
			c = src[++k];
			static const char escapes[] = "\"\"\\\\//b\bf\fn\nr\rt\t";
			const char *e = strchr(escapes, c);
			if (c == 'u') {
				unsigned code = 0;
				bool four_hex = k + 4 < len;
				for (size_t h = 1; four_hex && h <= 4; h++) {
					char digit = src[k + h];
					int value = digit >= '0' && digit <= '9'   ? digit - '0'
						    : digit >= 'a' && digit <= 'f' ? digit - 'a' + 10
						    : digit >= 'A' && digit <= 'F' ? digit - 'A' + 10
										   : -1;
					four_hex = value >= 0;
					code = code << 4 | (unsigned)(value & 0xf);
				}
				if (!four_hex || code == 0 || code > 0x7f) {
					free(out);
					fail(js, i, path, "only ASCII \\u escapes are supported");
					return NULL;
				}
				c = (char)code;
				k += 4;
			} else if (e && (e - escapes) % 2 == 0) {
				c = e[1];
			}
		}
		out[n++] = c;
	}
	out[n] = '\0';
	return out;
}

/* A non-negative integer as Go's json decodes into uint64: digits only. */
static int u64_at(const struct json *js, int i, const char *path, uint64_t *value)
{
	const jsmntok_t *t = &js->tokens[i];
	const char *src = js->text + t->start;
	size_t len = (size_t)(t->end - t->start);
	if (t->type != JSMN_PRIMITIVE || len == 0 || len > 20 || strspn(src, "0123456789") < len)
		return fail(js, i, path, "expected a non-negative integer");
	char digits[21];
	memcpy(digits, src, len);
	digits[len] = '\0';
	errno = 0;
	unsigned long long parsed = strtoull(digits, NULL, 10);
	if (errno == ERANGE)
		return fail(js, i, path, "%s is out of range", digits);
	*value = parsed;
	return 0;
}

static int errno_at(const struct json *js, int i, const char *path, unsigned *value)
{
	uint64_t parsed;
	if (u64_at(js, i, path, &parsed) < 0)
		return -1;
	/* libseccomp (as under runc) refuses what the kernel could not return as an errno. */
	if (parsed > 4095)
		return fail(js, i, path, "%llu is not an errno (0 to 4095)", (unsigned long long)parsed);
	*value = (unsigned)parsed;
	return 0;
}

static int u32_at(const struct json *js, int i, const char *path, unsigned *out)
{
	uint64_t value;
	if (u64_at(js, i, path, &value) < 0)
		return -1;
	if (value > 0xffffffffu)
		return fail(js, i, path, "%llu is out of range", (unsigned long long)value);
	*out = (unsigned)value;
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
	char *name = string_at(js, i, path);
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
		fail(js, i, path, "SCMP_ACT_NOTIFY needs a seccomp agent, which usher does not support");
	else
		fail(js, i, path, "unknown action \"%s\"", name);
	free(name);
	return -1;
}

/* The errno that goes with an action: errnoRet when given, else EPERM (as runc does). */
static int combine_action(const struct json *js, int i, const char *path, uint32_t *action,
                          bool has_errno, unsigned errno_value)
{
	if (has_errno && !action_takes_errno(*action))
		return fail(js, i, path, "errnoRet is only valid with SCMP_ACT_ERRNO or SCMP_ACT_TRACE");
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

static const struct {
	const char *name;
	int value;
} capabilities[] = {
	{ "CHOWN", CAP_CHOWN }, { "DAC_OVERRIDE", CAP_DAC_OVERRIDE },
	{ "DAC_READ_SEARCH", CAP_DAC_READ_SEARCH }, { "FOWNER", CAP_FOWNER },
	{ "FSETID", CAP_FSETID }, { "KILL", CAP_KILL }, { "SETGID", CAP_SETGID },
	{ "SETUID", CAP_SETUID }, { "SETPCAP", CAP_SETPCAP },
	{ "LINUX_IMMUTABLE", CAP_LINUX_IMMUTABLE }, { "NET_BIND_SERVICE", CAP_NET_BIND_SERVICE },
	{ "NET_BROADCAST", CAP_NET_BROADCAST }, { "NET_ADMIN", CAP_NET_ADMIN },
	{ "NET_RAW", CAP_NET_RAW }, { "IPC_LOCK", CAP_IPC_LOCK }, { "IPC_OWNER", CAP_IPC_OWNER },
	{ "SYS_MODULE", CAP_SYS_MODULE }, { "SYS_RAWIO", CAP_SYS_RAWIO },
	{ "SYS_CHROOT", CAP_SYS_CHROOT }, { "SYS_PTRACE", CAP_SYS_PTRACE },
	{ "SYS_PACCT", CAP_SYS_PACCT }, { "SYS_ADMIN", CAP_SYS_ADMIN }, { "SYS_BOOT", CAP_SYS_BOOT },
	{ "SYS_NICE", CAP_SYS_NICE }, { "SYS_RESOURCE", CAP_SYS_RESOURCE },
	{ "SYS_TIME", CAP_SYS_TIME }, { "SYS_TTY_CONFIG", CAP_SYS_TTY_CONFIG },
	{ "MKNOD", CAP_MKNOD }, { "LEASE", CAP_LEASE }, { "AUDIT_WRITE", CAP_AUDIT_WRITE },
	{ "AUDIT_CONTROL", CAP_AUDIT_CONTROL }, { "SETFCAP", CAP_SETFCAP },
	{ "MAC_OVERRIDE", CAP_MAC_OVERRIDE }, { "MAC_ADMIN", CAP_MAC_ADMIN },
	{ "SYSLOG", CAP_SYSLOG }, { "WAKE_ALARM", CAP_WAKE_ALARM },
	{ "BLOCK_SUSPEND", CAP_BLOCK_SUSPEND }, { "AUDIT_READ", CAP_AUDIT_READ },
	{ "PERFMON", 38 }, { "BPF", 39 }, { "CHECKPOINT_RESTORE", 40 },
};

int sbx_cap_from_name(const char *name)
{
	if (strncasecmp(name, "CAP_", 4) != 0)
		return -1;
	for (size_t k = 0; k < sizeof capabilities / sizeof capabilities[0]; k++)
		if (strcasecmp(name + 4, capabilities[k].name) == 0)
			return capabilities[k].value;
	return -1;
}

const char *sbx_cap_name(int cap)
{
	for (size_t k = 0; k < sizeof capabilities / sizeof capabilities[0]; k++)
		if (capabilities[k].value == cap)
			return capabilities[k].name;
	return NULL;
}

/* "6.18.44-foo" -> major 6, minor 18, *rest at ".44-foo". No sscanf: it would pull
 * musl's whole scanf and float parser into a binary that counts its kilobytes. */
static bool parse_kernel_version(const char *text, unsigned *major, unsigned *minor,
				 const char **rest)
{
	unsigned parts[2] = { 0, 0 };
	const char *p = text;
	for (int part = 0; part < 2; part++) {
		if (part == 1 && *p++ != '.')
			return false;
		if (*p < '0' || *p > '9')
			return false;
		for (; *p >= '0' && *p <= '9'; p++) {
			parts[part] = parts[part] * 10 + (unsigned)(*p - '0');
			if (parts[part] >= 0x10000)
				return false;
		}
	}
	*major = parts[0];
	*minor = parts[1];
	*rest = p;
	return true;
}

unsigned sbx_running_kernel(void)
{
	struct utsname uts;
	unsigned major, minor;
	const char *rest;
	if (uname(&uts) < 0 || !parse_kernel_version(uts.release, &major, &minor, &rest))
		return 0;
	return major << 16 | minor;
}

/* "SCMP_ARCH_X86_64" or "x86_64" → libseccomp's token; 0 if unknown. */
uint32_t sbx_arch_from_name(const char *name)
{
	char lower[64];
	if (strncmp(name, "SCMP_ARCH_", 10) == 0)
		name += 10;
	size_t len = strlen(name);
	if (len >= sizeof lower)
		return 0;
	for (size_t k = 0; k <= len; k++)
		lower[k] = (char)(name[k] >= 'A' && name[k] <= 'Z' ? name[k] - 'A' + 'a' : name[k]);
	return seccomp_arch_resolve_name(lower);
}

/* Appends the strings of the array at token i to *list. Returns the next token or -1. */
static int string_array_at(const struct json *js, int i, const char *path, char ***list, size_t *count)
{
	if (is_null(js, i))
		return i + 1;
	if (expect(js, i, JSMN_ARRAY, path) < 0)
		return -1;
	int n = js->tokens[i].size;
	char **grown = realloc(*list, (*count + (size_t)n + 1) * sizeof *grown);
	if (!grown)
		return fail(js, i, path, "out of memory");
	*list = grown;
	i++;
	for (int k = 0; k < n; k++) {
		char *s = string_at(js, i, path);
		if (!s)
			return -1;
		(*list)[(*count)++] = s;
		i++;
	}
	return i;
}

static void free_strings(char **list, size_t count)
{
	for (size_t k = 0; k < count; k++)
		free(list[k]);
	free(list);
}

static int condition_at(const struct json *js, int i, const char *path, struct sbx_condition *cond)
{
	if (is_null(js, i))
		return i + 1;
	if (expect(js, i, JSMN_OBJECT, path) < 0)
		return -1;
	int keys = js->tokens[i].size;
	char where[192];
	i++;
	for (int k = 0; k < keys; k++, i = skip(js, i + 1)) {
		int value = i + 1;
		if (is_key(js, i, "caps")) {
			snprintf(where, sizeof where, "%s.caps", path);
			char **names = NULL;
			size_t count = 0;
			if (string_array_at(js, value, where, &names, &count) < 0) {
				free_strings(names, count);
				return -1;
			}
			for (size_t c = 0; c < count; c++) {
				int cap = sbx_cap_from_name(names[c]);
				if (cap < 0) {
					fail(js, value, where, "unknown capability \"%s\"", names[c]);
					free_strings(names, count);
					return -1;
				}
				cond->caps |= 1ULL << cap;
			}
			free_strings(names, count);
		} else if (is_key(js, i, "arches")) {
			snprintf(where, sizeof where, "%s.arches", path);
			if (string_array_at(js, value, where, &cond->arches, &cond->arch_count) < 0)
				return -1;
		} else if (is_key(js, i, "minKernel")) {
			snprintf(where, sizeof where, "%s.minKernel", path);
			if (is_null(js, value))
				continue;
			char *text = string_at(js, value, where);
			if (!text)
				return -1;
			unsigned major, minor;
			const char *rest;
			/* Docker reads "major.minor"; a patch level is ignored as there. */
			bool good = parse_kernel_version(text, &major, &minor, &rest) &&
				    (*rest == '\0' || *rest == '.');
			free(text);
			if (!good)
				return fail(js, value, where, "expected a kernel version like \"4.8\"");
			cond->min_kernel = major << 16 | minor;
			cond->has_min_kernel = true;
		} else if (!is_key(js, i, "comment")) {
			return fail(js, i, path, "unknown key \"%.*s\"", js->tokens[i].end - js->tokens[i].start,
			            js->text + js->tokens[i].start);
		}
	}
	return i;
}

static int args_at(const struct json *js, int i, const char *path, struct sbx_rule *rule)
{
	if (is_null(js, i))
		return i + 1;
	if (expect(js, i, JSMN_ARRAY, path) < 0)
		return -1;
	int n = js->tokens[i].size;
	rule->args = calloc((size_t)n + 1, sizeof *rule->args);
	if (!rule->args)
		return fail(js, i, path, "out of memory");
	i++;
	char where[192];
	for (int a = 0; a < n; a++) {
		snprintf(where, sizeof where, "%s[%d]", path, a);
		if (expect(js, i, JSMN_OBJECT, where) < 0)
			return -1;
		struct sbx_arg *arg = &rule->args[rule->arg_count++];
		bool has_index = false, has_op = false;
		int keys = js->tokens[i].size, object = i;
		i++;
		for (int k = 0; k < keys; k++, i = skip(js, i + 1)) {
			int value = i + 1;
			if (is_key(js, i, "index")) {
				if (u32_at(js, value, where, &arg->index) < 0)
					return -1;
				if (arg->index > 5)
					return fail(js, value, where, "index %u: syscalls have 6 arguments, 0 to 5", arg->index);
				has_index = true;
			} else if (is_key(js, i, "value")) {
				if (u64_at(js, value, where, &arg->value) < 0)
					return -1;
			} else if (is_key(js, i, "valueTwo")) {
				if (u64_at(js, value, where, &arg->value_two) < 0)
					return -1;
			} else if (is_key(js, i, "op")) {
				char *op = string_at(js, value, where);
				if (!op)
					return -1;
				size_t o = 0;
				while (o < sizeof operators / sizeof operators[0] && strcmp(op, operators[o].name) != 0)
					o++;
				if (o == sizeof operators / sizeof operators[0]) {
					fail(js, value, where, "unknown operator \"%s\"", op);
					free(op);
					return -1;
				}
				free(op);
				arg->op = operators[o].op;
				has_op = true;
			} else {
				return fail(js, i, where, "unknown key \"%.*s\"", js->tokens[i].end - js->tokens[i].start,
				            js->text + js->tokens[i].start);
			}
		}
		if (!has_index || !has_op)
			return fail(js, object, where, "needs \"index\" and \"op\"");
	}
	return i;
}

static int rule_at(const struct json *js, int i, const char *path, struct sbx_rule *rule)
{
	if (expect(js, i, JSMN_OBJECT, path) < 0)
		return -1;
	int keys = js->tokens[i].size, object = i;
	bool has_name = false, has_names = false, has_action = false, has_errno = false;
	unsigned errno_value = 0;
	char where[128];
	i++;
	for (int k = 0; k < keys; k++, i = skip(js, i + 1)) {
		int value = i + 1;
		if (is_key(js, i, "names")) {
			snprintf(where, sizeof where, "%s.names", path);
			if (string_array_at(js, value, where, &rule->names, &rule->name_count) < 0)
				return -1;
			has_names = true;
		} else if (is_key(js, i, "name")) {
			/* Docker's older format: one name per rule. */
			snprintf(where, sizeof where, "%s.name", path);
			char *name = string_at(js, value, where);
			char **grown = name ? realloc(rule->names, (rule->name_count + 1) * sizeof *grown) : NULL;
			if (!grown) {
				free(name);
				return name ? fail(js, value, where, "out of memory") : -1;
			}
			rule->names = grown;
			rule->names[rule->name_count++] = name;
			has_name = true;
		} else if (is_key(js, i, "action")) {
			snprintf(where, sizeof where, "%s.action", path);
			if (action_at(js, value, where, &rule->action) < 0)
				return -1;
			has_action = true;
		} else if (is_key(js, i, "errnoRet")) {
			snprintf(where, sizeof where, "%s.errnoRet", path);
			if (is_null(js, value))
				continue;
			if (errno_at(js, value, where, &errno_value) < 0)
				return -1;
			has_errno = true;
		} else if (is_key(js, i, "args")) {
			snprintf(where, sizeof where, "%s.args", path);
			if (args_at(js, value, where, rule) < 0)
				return -1;
		} else if (is_key(js, i, "includes")) {
			snprintf(where, sizeof where, "%s.includes", path);
			if (condition_at(js, value, where, &rule->includes) < 0)
				return -1;
		} else if (is_key(js, i, "excludes")) {
			snprintf(where, sizeof where, "%s.excludes", path);
			if (condition_at(js, value, where, &rule->excludes) < 0)
				return -1;
		} else if (!is_key(js, i, "comment")) {
			return fail(js, i, path, "unknown key \"%.*s\"", js->tokens[i].end - js->tokens[i].start,
			            js->text + js->tokens[i].start);
		}
	}
	if (has_name && has_names)
		return fail(js, object, path, "has both \"name\" and \"names\"; use one");
	if (rule->name_count == 0)
		return fail(js, object, path, "names no syscall");
	if (!has_action)
		return fail(js, object, path, "has no \"action\"");
	if (combine_action(js, object, path, &rule->action, has_errno, errno_value) < 0)
		return -1;
	return i;
}

static int rules_at(const struct json *js, int i, struct sbx_profile *profile)
{
	if (is_null(js, i))
		return i + 1;
	if (expect(js, i, JSMN_ARRAY, "syscalls") < 0)
		return -1;
	int n = js->tokens[i].size;
	profile->rules = calloc((size_t)n + 1, sizeof *profile->rules);
	if (!profile->rules)
		return fail(js, i, "syscalls", "out of memory");
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
		return fail(js, i, path, "unknown architecture \"%s\"", name);
	uint32_t *grown = realloc(profile->arches, (profile->arch_count + 1) * sizeof *grown);
	if (!grown)
		return fail(js, i, path, "out of memory");
	profile->arches = grown;
	profile->arches[profile->arch_count++] = arch;
	return 0;
}

static int architectures_at(const struct json *js, int i, struct sbx_profile *profile)
{
	char **names = NULL;
	size_t count = 0;
	int next = string_array_at(js, i, "architectures", &names, &count);
	for (size_t k = 0; next >= 0 && k < count; k++)
		if (add_arch(js, i, "architectures", profile, names[k]) < 0)
			next = -1;
	free_strings(names, count);
	return next;
}

/* archMap: like Docker, only the entry for the running architecture counts. */
static int arch_map_at(const struct json *js, int i, struct sbx_profile *profile)
{
	if (is_null(js, i))
		return i + 1;
	if (expect(js, i, JSMN_ARRAY, "archMap") < 0)
		return -1;
	int n = js->tokens[i].size;
	i++;
	char where[64];
	for (int e = 0; e < n; e++) {
		snprintf(where, sizeof where, "archMap[%d]", e);
		if (expect(js, i, JSMN_OBJECT, where) < 0)
			return -1;
		int keys = js->tokens[i].size, object = i;
		char *main_arch = NULL, **sub_arches = NULL;
		size_t sub_count = 0;
		int rc = 0;
		i++;
		for (int k = 0; k < keys && rc == 0; k++, i = skip(js, i + 1)) {
			if (is_key(js, i, "architecture") && !main_arch)
				rc = (main_arch = string_at(js, i + 1, where)) ? 0 : -1;
			else if (is_key(js, i, "subArchitectures"))
				rc = string_array_at(js, i + 1, where, &sub_arches, &sub_count) < 0 ? -1 : 0;
			else
				rc = fail(js, i, where, "unknown key \"%.*s\"", js->tokens[i].end - js->tokens[i].start,
				          js->text + js->tokens[i].start);
		}
		if (rc == 0 && !main_arch)
			rc = fail(js, object, where, "has no \"architecture\"");
		if (rc == 0 && sbx_arch_from_name(main_arch) == sbx_native_arch())
			for (size_t s = 0; s < sub_count && rc == 0; s++)
				rc = add_arch(js, object, where, profile, sub_arches[s]);
		free(main_arch);
		free_strings(sub_arches, sub_count);
		if (rc < 0)
			return -1;
	}
	return i;
}

static int flags_at(const struct json *js, int i, struct sbx_profile *profile)
{
	char **names = NULL;
	size_t count = 0;
	int next = string_array_at(js, i, "flags", &names, &count);
	for (size_t k = 0; next >= 0 && k < count; k++) {
		if (strcmp(names[k], "SECCOMP_FILTER_FLAG_LOG") == 0)
			profile->load_flags |= SECCOMP_FILTER_FLAG_LOG;
		else if (strcmp(names[k], "SECCOMP_FILTER_FLAG_SPEC_ALLOW") == 0)
			profile->load_flags |= SECCOMP_FILTER_FLAG_SPEC_ALLOW;
		else if (strcmp(names[k], "SECCOMP_FILTER_FLAG_TSYNC") != 0 &&
		         strcmp(names[k], "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV") != 0)
			/* TSYNC: the workload is single-threaded when the filter loads; WAIT_KILLABLE_RECV
			 * only concerns SCMP_ACT_NOTIFY, which is refused anyway. */
			next = fail(js, i, "flags", "unknown flag \"%s\"", names[k]);
	}
	free_strings(names, count);
	return next;
}

static int profile_at(const struct json *js, struct sbx_profile *profile)
{
	if (expect(js, 0, JSMN_OBJECT, "top level") < 0)
		return -1;
	int keys = js->tokens[0].size, i = 1;
	bool has_default = false, has_default_errno = false, has_architectures = false, has_arch_map = false;
	unsigned default_errno = 0;
	int default_token = 0;
	for (int k = 0; k < keys; k++) {
		int value = i + 1, next;
		if (is_key(js, i, "defaultAction")) {
			next = action_at(js, value, "defaultAction", &profile->default_action) < 0 ? -1 : skip(js, value);
			has_default = true;
			default_token = value;
		} else if (is_key(js, i, "defaultErrnoRet")) {
			has_default_errno = !is_null(js, value);
			next = has_default_errno && errno_at(js, value, "defaultErrnoRet", &default_errno) < 0
			       ? -1 : skip(js, value);
		} else if (is_key(js, i, "architectures")) {
			has_architectures = !is_null(js, value);
			next = architectures_at(js, value, profile);
		} else if (is_key(js, i, "archMap")) {
			has_arch_map = !is_null(js, value);
			next = arch_map_at(js, value, profile);
		} else if (is_key(js, i, "flags")) {
			next = flags_at(js, value, profile);
		} else if (is_key(js, i, "syscalls")) {
			next = rules_at(js, value, profile);
		} else if (is_key(js, i, "listenerPath")) {
			next = js->tokens[value].type == JSMN_STRING && js->tokens[value].end > js->tokens[value].start
			       ? fail(js, value, "listenerPath", "seccomp agents are not supported") : skip(js, value);
		} else if (is_key(js, i, "comment") || is_key(js, i, "listenerMetadata")) {
			next = skip(js, value);
		} else {
			next = fail(js, i, "top level", "unknown key \"%.*s\"", js->tokens[i].end - js->tokens[i].start,
			            js->text + js->tokens[i].start);
		}
		if (next < 0)
			return -1;
		i = next;
	}
	if (!has_default)
		return fail(js, 0, "top level", "has no \"defaultAction\"");
	if (has_architectures && has_arch_map)
		return fail(js, 0, "top level", "has both \"architectures\" and \"archMap\"; use one");
	return combine_action(js, default_token, "defaultErrnoRet", &profile->default_action,
	                      has_default_errno, default_errno);
}

/* jsmn does not check that every object member is a string key with one value ({"a", "b": 1}
 * passes); the walkers below rely on it, so check it first. Profiles nest 5 deep at most. */
static int check_shape(const struct json *js, int i, int count, int depth)
{
	enum { MAX_DEPTH = 16 };
	if (i >= count)
		return fail(js, count - 1, "structure", "the JSON ends inside a value");
	if (depth > MAX_DEPTH)
		return fail(js, i, "structure", "nested deeper than %d", MAX_DEPTH);
	const jsmntok_t *t = &js->tokens[i];
	int next = i + 1;
	if (t->type == JSMN_OBJECT) {
		for (int k = 0; k < t->size && next >= 0; k++) {
			if (next >= count || js->tokens[next].type != JSMN_STRING || js->tokens[next].size != 1)
				return fail(js, next < count ? next : i, "structure", "expected \"key\": value");
			next = check_shape(js, next + 1, count, depth + 1);
		}
	} else if (t->type == JSMN_ARRAY) {
		for (int k = 0; k < t->size && next >= 0; k++)
			next = check_shape(js, next, count, depth + 1);
	} else if (t->size != 0) {
		return fail(js, i, "structure", "a value where a key was expected");
	}
	return next;
}

static bool same_text(const struct json *js, int a, int b)
{
	const jsmntok_t *x = &js->tokens[a], *y = &js->tokens[b];
	return x->end - x->start == y->end - y->start &&
	       memcmp(js->text + x->start, js->text + y->start, (size_t)(x->end - x->start)) == 0;
}

/* Go's decoder keeps the last of repeated keys; a second "syscalls" or "action" is far more
 * likely a mistake that would silently drop rules, so it is refused. A profile's objects have
 * a handful of keys: more than MAX_KEYS is refused too. */
static int refuse_repeated_keys(const struct json *js, int count)
{
	enum { MAX_KEYS = 32 };
	for (int i = 0; i < count; i++) {
		if (js->tokens[i].type != JSMN_OBJECT)
			continue;
		int keys[MAX_KEYS], n = js->tokens[i].size;
		if (n > MAX_KEYS)
			return fail(js, i, "object", "%d keys; a profile's objects have a few", n);
		for (int k = 0, key = i + 1; k < n; k++, key = skip(js, key + 1))
			keys[k] = key;
		for (int a = 0; a < n; a++)
			for (int b = a + 1; b < n; b++)
				if (same_text(js, keys[a], keys[b]))
					return fail(js, keys[b], "repeated key", "\"%.*s\" appears twice in one object",
					            js->tokens[keys[b]].end - js->tokens[keys[b]].start,
					            js->text + js->tokens[keys[b]].start);
	}
	return 0;
}

/* One well-formed value and nothing after it, no repeated keys: then profile_at may walk it. */
static int check_document(const struct json *js, int count)
{
	int end = check_shape(js, 0, count, 0);
	if (end < 0)
		return -1;
	if (end != count)
		return fail(js, end, "end", "text after the profile's closing brace");
	return refuse_repeated_keys(js, count);
}

/* jsmn's position at an error → a line number for the message. */
static int line_of(const char *text, unsigned pos)
{
	int line = 1;
	for (unsigned k = 0; k < pos && text[k]; k++)
		line += text[k] == '\n';
	return line;
}

static int jsmn_failure(int rc, const jsmn_parser *parser, const char *text, const char *origin)
{
	if (rc == JSMN_ERROR_PART)
		usher_err("%s: not valid JSON: it ends too early", origin);
	else if (rc == JSMN_ERROR_NOMEM)
		usher_err("%s: out of memory", origin);
	else
		usher_err("%s: line %d: not valid JSON", origin, line_of(text, parser->pos));
	return -1;
}

int sbx_profile_parse(const char *text, size_t len, const char *origin, struct sbx_profile *profile)
{
	memset(profile, 0, sizeof *profile);
	/* First count the tokens, then parse into exactly that many. */
	jsmn_parser parser;
	jsmn_init(&parser);
	int count = jsmn_parse(&parser, text, len, NULL, 0);
	if (count < 0)
		return jsmn_failure(count, &parser, text, origin);
	if (count == 0) {
		usher_err("%s: empty file, not a seccomp profile", origin);
		return -1;
	}
	jsmntok_t *tokens = calloc((size_t)count, sizeof *tokens);
	if (!tokens) {
		usher_err("%s: out of memory", origin);
		return -1;
	}
	jsmn_init(&parser);
	int parsed = jsmn_parse(&parser, text, len, tokens, (unsigned)count);
	struct json js = { .text = text, .tokens = tokens, .origin = origin };
	int rc;
	if (parsed < 0)
		rc = jsmn_failure(parsed, &parser, text, origin);
	else if (parsed != count)
		rc = jsmn_failure(JSMN_ERROR_INVAL, &parser, text, origin);
	else
		rc = check_document(&js, count);
	if (rc == 0)
		rc = profile_at(&js, profile);
	free(tokens);
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
	free_strings(cond->arches, cond->arch_count);
}

void sbx_profile_free(struct sbx_profile *profile)
{
	for (size_t r = 0; r < profile->rule_count; r++) {
		struct sbx_rule *rule = &profile->rules[r];
		free_strings(rule->names, rule->name_count);
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
