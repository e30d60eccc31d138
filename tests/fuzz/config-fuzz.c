/* tests/fuzz/config-fuzz.c — libFuzzer harness: the config file (init/config.c) with every
 * module's real option table behind it ([Service] keys, [Login NAME] keys). */
#include "config.h"
#include "supervise.h"
#include "util.h"
#include "fuzz-text.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* main.c is not linked (its main() would clash): the one thing supervise.c wants from it. */
int workload_prepare_next(struct proc *next)
{
	(void)next;
	return -1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_text(data, size);
	if (!text)
		return 0;
	/* Values the setters keep (paths) point into text; nothing reads them after this run. */
	if (strlen(text) == size)
		config_parse(text, "fuzz.conf");
	free(text);
	return 0;
}
