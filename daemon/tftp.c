/* Placeholder: being written. */
#include "tftp.h"

#include <errno.h>
#include <stdlib.h>

struct tftp_server {
	int unused;
};

int
tftp_server_new(struct server *srv, struct tftp_server **ret)
{
	(void)srv;
	*ret = calloc(1, sizeof(struct tftp_server));
	return *ret ? 0 : -ENOMEM;
}

void
tftp_server_free(struct tftp_server *s)
{
	free(s);
}
