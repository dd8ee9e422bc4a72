/*
 * cloud_config_validate() and cloud_config_render() on arbitrary bytes: no
 * crash or leak, a message with every -EINVAL, and rendering never exceeds
 * its cap and leaves text without placeholders unchanged.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cloud-config.h"
#include "fuzz.h"

static void
check_render(const uint8_t *data, size_t size)
{
	const struct cloud_config_vars vars = {.mac = {0x52, 0x54, 0, 1, 2, 3}, .image = "img"};
	char *out = NULL;
	size_t len = 0;
	size_t cap = size * 2 + 8;
	int r = cloud_config_render((const char *)data, size, &vars, cap, &out, &len);

	if (r == 0) {
		if (out == NULL || len > cap || out[len] != '\0')
			abort();
		if (memmem(data, size, "{{", 2) == NULL &&
		    (len != size || memcmp(out, data, size) != 0))
			abort();
		free(out);
	} else if (r != -ENOBUFS && r != -ENOMEM) {
		abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *err = NULL;
	int r = cloud_config_validate((const char *)data, size, &err);

	if (r == 0) {
		if (err != NULL || size < 13 || memcmp(data, "#cloud-config", 13) != 0 ||
		    memchr(data, '\0', size) != NULL)
			abort();
	} else if (r == -EINVAL) {
		if (err == NULL)
			abort();
	} else if (r != -ENOMEM) {
		abort();
	}
	free(err);
	check_render(data, size);
	return 0;
}
