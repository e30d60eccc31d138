/* tests/fuzz/http-status-fuzz.c — libFuzzer harness for check_http_status (init/check.c), the
 * parser of what a health endpoint answers: every prefix of any input gives 0, -1 or 100-599. */
#include "check.h"

#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int last = 0;
	for (size_t len = 0; len <= size; len++) {
		int status = check_http_status((const char *)data, len);
		if (status != 0 && status != -1 && (status < 100 || status > 599))
			abort();
		if (last != 0 && status != last) /* once decided, more bytes change nothing */
			abort();
		last = status;
	}
	return 0;
}
