/* Range header values against a few representation sizes. */

#include "fuzz.h"
#include "http-range.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint64_t sizes[] = {0, 1, 100, UINT64_MAX};

	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		struct http_range r;

		if (http_range_parse((const char *)data, size, sizes[i], &r) == 0) {
			FUZZ_CHECK(r.length > 0);
			FUZZ_CHECK(r.start < sizes[i]);
			FUZZ_CHECK(r.length <= sizes[i] - r.start);
		}
	}
	return 0;
}
