/* The head of an HTTP request, as the fast path of the HTTP server reads it. */

#include <string.h>

#include "fuzz.h"
#include "http-request.h"

static void
check_slice(struct http_slice s, const uint8_t *data, int end)
{
	if (s.len > 0)
		FUZZ_CHECK(
		    (const uint8_t *)s.p >= data && (const uint8_t *)s.p + s.len <= data + end);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct http_request_head h;
	int end = http_request_head_parse((const char *)data, size, &h);

	FUZZ_CHECK(end <= (int)size && end <= HTTP_REQUEST_MAX_HEAD);
	if (end <= 0)
		return 0;
	FUZZ_CHECK(end >= 4 && memcmp(data + end - 4, "\r\n\r\n", 4) == 0);
	FUZZ_CHECK(h.minor <= 1 && h.target.len > 0 && h.target.p[0] == '/');
	FUZZ_CHECK(h.n_fields <= HTTP_REQUEST_MAX_FIELDS);
	check_slice(h.target, data, end);
	check_slice(h.range, data, end);
	check_slice(h.user_agent, data, end);
	/* a head is also a head when more bytes follow it */
	{
		struct http_request_head h2;

		FUZZ_CHECK(http_request_head_parse((const char *)data, (size_t)end, &h2) == end);
	}
	return 0;
}
