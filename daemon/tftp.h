/*
 * Read-only TFTP server on tftp.port (69).
 *
 * Each transfer runs on its own UDP socket (an ephemeral port bound to the
 * local address the request arrived on) with one event for both "packet
 * arrived" and "retransmit timeout".  Files are read with pread() block by
 * block; a session holds one packet buffer, never a whole file.
 */
#ifndef NETBOOTD_TFTP_H
#define NETBOOTD_TFTP_H

#include <stdint.h>

#include "server.h"

struct tftp_server;

/* Open the sockets and register events on srv->base.  0 or -errno (logged). */
int tftp_server_new(struct server *srv, struct tftp_server **ret);
/* Close sockets, drop in-flight sessions.  Accepts NULL. */
void tftp_server_free(struct tftp_server *s);

#endif
