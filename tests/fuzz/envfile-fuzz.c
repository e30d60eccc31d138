/* tests/fuzz/envfile-fuzz.c — libFuzzer harness: both env-file formats (creds/envfile.c).
 * The first byte picks nomad or docker; the rest is the file. */
#include "envfile.h"
#include "util.h"

#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char *inherit[] = { "INHERITED=from the caller", "EMPTY=", NULL };
	if (size == 0)
		return 0;
	usher_verbosity = -1;
	enum envfile_format format = data[0] & 1 ? ENVFILE_DOCKER : ENVFILE_NOMAD;
	struct env env = ENV_EMPTY;
	struct envfile_error error;
	if (envfile_parse(format, (const char *)data + 1, size - 1, inherit, &env, &error) != 0 &&
	    (error.line == 0 || strlen(error.why) == 0 || strlen(error.why) >= sizeof error.why))
		__builtin_trap(); /* an error must say where and why */
	/* What was set must be findable again (the hash index agrees with the vector). */
	for (size_t i = 0; i < env.len; i++) {
		char key[ENVFILE_LINE_MAX + 1];
		size_t key_len = (size_t)(strchr(env.vars[i], '=') - env.vars[i]);
		memcpy(key, env.vars[i], key_len);
		key[key_len] = '\0';
		if (env_get(&env, key) != env.vars[i] + key_len + 1)
			__builtin_trap();
	}
	if (env.len > 0) {
		env_unset(&env, "INHERITED");
		env_unset(&env, "A");
	}
	env_wipe(&env);
	return 0;
}
