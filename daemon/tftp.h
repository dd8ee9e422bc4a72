/*
 * Read-only TFTP server on tftp.port (69).
 */
#ifndef NETBOOTD_TFTP_H
#define NETBOOTD_TFTP_H

#include "server.h"

struct tftp_server;

/* Open the sockets and register events on srv->base.  0 or -errno (logged). */
int tftp_server_new(struct server *srv, struct tftp_server **ret);
/* Close sockets, drop in-flight sessions.  Accepts NULL. */
void tftp_server_free(struct tftp_server *s);

#endif
