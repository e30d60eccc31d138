/* tests/fuzz/fuzz-text.h — what the text parsers' harnesses share: the input as a NUL-terminated
 * copy (libFuzzer's bytes are not), with usher's messages silenced. */
#ifndef USHER_FUZZ_TEXT_H
#define USHER_FUZZ_TEXT_H

#include "util.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* malloc'd (free it), or NULL when out of memory. */
static inline char *fuzz_text(const uint8_t *data, size_t size)
{
	usher_verbosity = -1;
	char *text = malloc(size + 1);
	if (text) {
		memcpy(text, data, size);
		text[size] = '\0';
	}
	return text;
}

#endif
