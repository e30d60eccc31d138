/* tests/fuzz/services-fuzz.c — libFuzzer harness: config files of [Service NAME] sections, through
 * init/config.c's parser, service-config.c's keys and service_defs_finish() (names, cycles). */
#include "config.h"
#include "creds.h"
#include "opt.h"
#include "options.h"
#include "sandbox.h"
#include "service.h"
#include "util.h"
#include "fuzz-text.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* options.c, creds/ and sandbox/ are not linked: [Service] and [Login NAME] keys, and the
 * sandbox setters, are the config fuzzer's (tests/fuzz/config-fuzz.c); here they are accepted
 * and dropped (a plan would outlive the run), so that each run starts afresh. */
struct init_settings settings = { .grace_ms = 10000 };
int options_set_conf_key(const char *key, const char *value, const char *where)
{
	(void)key, (void)value, (void)where;
	return 0;
}
int creds_check_env_file(const char *value, const char *where)
{
	(void)where;
	return *value ? 0 : -1;
}
int creds_login_set(const char *login_name, const char *key, const char *value, const char *where)
{
	(void)login_name, (void)key, (void)value, (void)where;
	return 0;
}

static char plan;
struct sandbox_plan *sandbox_plan_new(void)
{
	return (struct sandbox_plan *)&plan;
}
void sandbox_plan_select(struct sandbox_plan *p)
{
	(void)p;
}
int sandbox_prepare(struct sandbox_plan *p)
{
	(void)p;
	return 0;
}
static int sandbox_key(const char *value, const char *where)
{
	(void)value, (void)where;
	return 0;
}
const struct usher_opt sandbox_options[] = {
	{ "user", 0, "User", "USER", "", sandbox_key },
	{ "cap-drop", 0, "DropCapabilities", "CAP", "", sandbox_key },
	{ "seccomp", 0, "Seccomp", "PROFILE", "", sandbox_key },
	{ 0 },
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_text(data, size);
	if (!text)
		return 0;
	/* service_set() copies all it keeps: text may go when the run is over. */
	if (strlen(text) == size && config_parse(text, "fuzz.conf") == 0)
		service_defs_finish();
	service_defs_reset();
	free(text);
	return 0;
}
