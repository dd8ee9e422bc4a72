/* Placeholder: being written. */
#include "proxydhcp.h"

#include <errno.h>
#include <stdlib.h>

struct proxydhcp {
	int unused;
};

int
proxydhcp_new(struct server *srv, struct proxydhcp **ret)
{
	(void)srv;
	*ret = calloc(1, sizeof(struct proxydhcp));
	return *ret ? 0 : -ENOMEM;
}

void
proxydhcp_free(struct proxydhcp *s)
{
	free(s);
}
