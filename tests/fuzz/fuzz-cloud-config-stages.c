/*
 * cloud_config_add_steps() on arbitrary bytes: no crash or leak, a message
 * with every -EBADMSG, output within its cap, and what it emits is YAML it
 * accepts again (adding the steps a second time succeeds).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cloud-config-stages.h"
#include "fuzz.h"

static const struct cloud_config_step steps[] = {
    {"before-install", "netbootd reports installing", {"sh -c 'u=http://x/report; curl'", NULL}},
    {"after-install", "netbootd reports installed", {"sh -c 'echo b'", NULL}},
};

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *out = NULL, *again = NULL, *err = NULL;
	size_t len = 0, len2 = 0, cap = size * 4 + 1024;
	int r = cloud_config_add_steps((const char *)data, size, steps, 2, cap, &out, &len, &err);

	if (r == 0) {
		if (out == NULL || len > cap || out[len] != '\0' ||
		    strncmp(out, "#cloud-config\n", 14) != 0)
			abort();
		r = cloud_config_add_steps(out, len, steps, 2, cap * 2, &again, &len2, &err);
		if (r != 0 && r != -E2BIG && r != -ENOMEM)
			abort();
		free(again);
		free(out);
	} else if (r == -EBADMSG) {
		if (err == NULL)
			abort();
	} else if (r != -E2BIG && r != -ENOMEM)
		abort();
	free(err);
	return 0;
}
