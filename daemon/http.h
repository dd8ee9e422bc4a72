/*
 * HTTP server (evhttp) on http.port (8090): iPXE loaders, generated iPXE
 * scripts, image files and cloud-configs.  The URL space is in
 * lib/http-path.h; GET and HEAD only.
 *
 * Caps: http.max_connections open connections (beyond it the listening
 * sockets stop accepting until one closes, so extra clients wait in the
 * kernel's backlog), http.timeout seconds of inactivity per connection,
 * HTTP_MAX_HEADERS_SIZE bytes of request headers, HTTP_MAX_BODY_SIZE bytes
 * of request body.
 */
#ifndef NETBOOTD_HTTP_H
#define NETBOOTD_HTTP_H

#include <stdint.h>

#include "server.h"

#define HTTP_DEFAULT_MAX_CONNECTIONS 1024
#define HTTP_DEFAULT_TIMEOUT         60
#define HTTP_MAX_HEADERS_SIZE        8192
#define HTTP_MAX_BODY_SIZE           4096

struct http_server;

struct http_stats {
	uint64_t responses[5]; /* by status class: [0] 1xx ... [4] 5xx */
	uint64_t bytes_sent;   /* body bytes of responses written completely */
	uint64_t connections;  /* accepted since start */
	unsigned active;       /* open connections now */
	unsigned paused;       /* 1 while accepting is paused at the cap */
};

/* Open the sockets and register events on srv->base.  0 or -errno (logged). */
int http_server_new(struct server *srv, struct http_server **ret);
/* Close sockets, drop in-flight sessions.  Accepts NULL. */
void http_server_free(struct http_server *s);
/* Counters for /metrics.  's' may be NULL (all zero). */
void http_server_get_stats(const struct http_server *s, struct http_stats *ret);

#endif
