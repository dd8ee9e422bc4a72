/*
 * /metrics: the counters of every module in the Prometheus text exposition
 * format 0.0.4, and the one-line summary sent to systemd as STATUS=.
 *
 * The numbers come from srv->stats and stats_state() (daemon/stats.h), the
 * same ones the control socket's status shows, and log_get_counts(); this
 * file only renders them.  server.c registers metrics_http() with the HTTP
 * server for /metrics.
 */
#ifndef NETBOOTD_METRICS_H
#define NETBOOTD_METRICS_H

#include <stddef.h>

#include <event2/buffer.h>

#include "server.h"

#define METRICS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

/* Append the exposition to 'out'.  0 or -ENOMEM. */
int metrics_render(struct server *srv, struct evbuffer *out);
/* The same as an HTTP handler (http_server_add_handler()); userdata is the server. */
int metrics_http(struct evbuffer *body, const char **ret_ctype, void *userdata);

/* "2 images, 5 machines, 0 TFTP sessions, 1 HTTP connection" into buf. */
void metrics_status_line(struct server *srv, char *buf, size_t len);

#endif
