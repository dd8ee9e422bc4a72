/* Request targets through the URL router. */
#include <string.h>

#include "fuzz.h"
#include "http-path.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct http_route r;

	if (http_route_parse((const char *)data, size, &r) < 0)
		return 0;
	if (r.kind == HTTP_ROUTE_BOOT || r.kind == HTTP_ROUTE_IMAGE ||
	    r.kind == HTTP_ROUTE_UI_FILE) {
		FUZZ_CHECK(name_valid(r.name));
		FUZZ_CHECK(r.name[0] != '.');
		FUZZ_CHECK(strchr(r.name, '/') == NULL);
	}
	if (r.kind == HTTP_ROUTE_BLOB) {
		FUZZ_CHECK(strlen(r.sha256) == HTTP_SHA256_HEX);
		FUZZ_CHECK(strspn(r.sha256, "0123456789abcdef") == HTTP_SHA256_HEX);
	}
	return 0;
}
