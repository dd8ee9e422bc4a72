/*
 * HTTP server (evhttp) on http.port (8090): iPXE loaders, generated iPXE
 * scripts, image files and cloud-configs.  The URL space is in
 * lib/http-path.h; GET and HEAD only.
 *
 * Caps: http.max_connections open connections (beyond it the listening
 * sockets stop accepting until one closes, so extra clients wait in the
 * kernel's backlog), http.max_connections_per_address from one address and
 * the last eighth of the slots for addresses that hold none (refused with a
 * 503 beyond), http.header_timeout seconds to send a whole request,
 * http.timeout seconds of inactivity per connection,
 * HTTP_MAX_HEADERS_SIZE bytes of request headers, HTTP_MAX_BODY_SIZE bytes
 * of request body.
 */
#ifndef NETBOOTD_HTTP_H
#define NETBOOTD_HTTP_H

#include <stdint.h>

#include <event2/buffer.h>

#include "server.h"

#define HTTP_DEFAULT_MAX_CONNECTIONS 1024
#define HTTP_DEFAULT_TIMEOUT         60
#define HTTP_DEFAULT_HEADER_TIMEOUT  60
#define HTTP_DEFAULT_MAX_PER_ADDRESS 64
#define HTTP_MAX_HEADERS_SIZE        8192
#define HTTP_MAX_BODY_SIZE           4096
#define HTTP_MAX_HANDLERS            4

struct http_server;

/* Open the sockets and register events on srv->base.  0 or -errno (logged). */
int http_server_new(struct server *srv, struct http_server **ret);
/* Close sockets, drop in-flight sessions.  Accepts NULL. */
void http_server_free(struct http_server *s);
/*
 * Answer GET/HEAD of 'path' (with any query string) with what 'fn' appends
 * to 'body' (0, or <0 for a 500) and the content type it sets (text/plain by
 * default).  For pages other modules own, such as /metrics.  At most
 * HTTP_MAX_HANDLERS; -E2BIG beyond.
 */
typedef int (*http_handler_fn)(struct evbuffer *body, const char **ret_ctype, void *userdata);
int http_server_add_handler(
    struct http_server *s, const char *path, http_handler_fn fn, void *userdata);

#endif
