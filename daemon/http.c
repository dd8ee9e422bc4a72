/* Placeholder: being written. */
#include "http.h"

#include <errno.h>
#include <stdlib.h>

struct http_server {
	int unused;
};

int
http_server_new(struct server *srv, struct http_server **ret)
{
	(void)srv;
	*ret = calloc(1, sizeof(struct http_server));
	return *ret ? 0 : -ENOMEM;
}

void
http_server_free(struct http_server *s)
{
	free(s);
}
