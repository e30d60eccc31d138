/* tests/fuzz/expand-fuzz.c — libFuzzer harness: ${VAR} expansion (creds/expand.c) against a
 * small fixed environment. */
#include "internal.h"
#include "util.h"
#include "fuzz-text.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char *env[] = { "A=1", "EMPTY=", "PATH=/usr/bin:/bin", "B=x y $A ${A}", "LONG_NAME_9=z",
			       NULL };
	char *text = fuzz_text(data, size);
	if (!text)
		return 0;
	char *expanded = expand_string(text, env, "fuzz");
	free(expanded);
	free(text);
	return 0;
}
