/*
 * /metrics: the counters of every module in the Prometheus text exposition
 * format 0.0.4, and the one-line summary sent to systemd as STATUS=.
 *
 * Counters live in the modules (proxydhcp_get_stats, tftp_server_get_stats,
 * http_server_get_stats, log_get_counts); this file only renders them.  A
 * module restarted by a reload (new port, interfaces) starts its counters
 * from zero again, which Prometheus treats as a counter reset.
 */
#ifndef NETBOOTD_METRICS_H
#define NETBOOTD_METRICS_H

#include <stddef.h>

#include <event2/buffer.h>

#include "server.h"

#define METRICS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

/* Append the exposition to 'out'.  0 or -ENOMEM. */
int metrics_render(struct server *srv, struct evbuffer *out);

/* "2 images, 5 machines, 0 TFTP sessions, 1 HTTP connection" into buf. */
void metrics_status_line(struct server *srv, char *buf, size_t len);

#endif
