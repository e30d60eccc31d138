/* tests/fuzz/check-spec-fuzz.c — libFuzzer harness for check_parse (init/check.c): any text
 * as a ReadyCheck=/HealthCheck=/probe SPEC must parse or be refused, never crash or leak. */
#include "check.h"
#include "util.h"
#include "fuzz-text.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_text(data, size);
	if (!text)
		return 0;
	struct check_spec spec;
	check_parse(text, "fuzz", &spec);
	if (spec.exec_argv)
		for (char **word = spec.exec_argv; *word; word++)
			free(*word);
	free(spec.exec_argv);
	free((char *)spec.text);
	free((char *)spec.http_host);
	free((char *)spec.http_path);
	free(text);
	return 0;
}
