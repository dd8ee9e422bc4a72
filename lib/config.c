/* Placeholder: being written. */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct config *
config_new(void)
{
	struct config *c = calloc(1, sizeof(*c));

	if (c == NULL)
		return NULL;
	c->state_dir = strdup(CONFIG_DEFAULT_STATEDIR);
	c->dhcp.enabled = c->tftp.enabled = c->http.enabled = true;
	c->dhcp.port = 67;
	c->dhcp.pxe_port = 4011;
	c->tftp.port = 69;
	c->http.port = 8090;
	return c;
}

void
config_free(struct config *c)
{
	if (c == NULL)
		return;
	free(c->state_dir);
	free(c);
}

int
config_load(const char *path, struct config **ret, char **ret_error)
{
	(void)path;
	(void)ret;
	*ret_error = strdup("not yet");
	return -ENOENT;
}
