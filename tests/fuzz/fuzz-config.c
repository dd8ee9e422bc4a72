/*
 * config_parse() on arbitrary bytes: it must not crash or leak, must give a
 * message on every -EINVAL, and what it accepts must satisfy the invariants
 * the daemon relies on.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "fuzz.h"

static void
check_config(const struct config *c)
{
	char *root = config_tftp_root(c);

	if (root == NULL || root[0] != '/' || c->state_dir[0] != '/' || c->ipxe.dir[0] != '/' ||
	    c->def.cmdline == NULL || c->control.socket == NULL ||
	    c->interfaces[c->n_interfaces] != NULL || c->n_interfaces > CONFIG_MAX_INTERFACES ||
	    c->tftp.max_blksize < 8 || c->tftp.max_blksize > 65464 || c->tftp.timeout < 1 ||
	    c->dhcp.port == 0 || c->tftp.port == 0 || c->http.port == 0 ||
	    strlen(c->def.cmdline) > CONFIG_MAX_CMDLINE ||
	    (c->def.image != NULL && !name_valid(c->def.image)))
		abort();
	free(root);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config *c = NULL;
	char *error = NULL;
	int r = config_parse((const char *)data, size, "fuzz.yaml", &c, &error);

	if (r == 0) {
		if (c == NULL || error != NULL)
			abort();
		check_config(c);
	} else if (r == -EINVAL) {
		if (c != NULL || error == NULL || strncmp(error, "fuzz.yaml:", 10) != 0)
			abort();
	} else if (r != -ENOMEM) {
		abort();
	}
	config_free(c);
	free(error);
	return 0;
}
