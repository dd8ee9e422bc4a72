/*
 * ProxyDHCP on UDP dhcp.port (67) and dhcp.pxe_port (4011).
 */
#ifndef NETBOOTD_PROXYDHCP_H
#define NETBOOTD_PROXYDHCP_H

#include "server.h"

struct proxydhcp;

/* Open the sockets and register events on srv->base.  0 or -errno (logged). */
int proxydhcp_new(struct server *srv, struct proxydhcp **ret);
/* Close sockets, drop in-flight sessions.  Accepts NULL. */
void proxydhcp_free(struct proxydhcp *s);

#endif
