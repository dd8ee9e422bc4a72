/*
 * HTTP server (evhttp) on http.port (8090).
 */
#ifndef NETBOOTD_HTTP_H
#define NETBOOTD_HTTP_H

#include "server.h"

struct http_server;

/* Open the sockets and register events on srv->base.  0 or -errno (logged). */
int http_server_new(struct server *srv, struct http_server **ret);
/* Close sockets, drop in-flight sessions.  Accepts NULL. */
void http_server_free(struct http_server *s);

#endif
