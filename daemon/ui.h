/*
 * The status page on the HTTP port (http.ui, on by default): /ui/ and its
 * files (daemon/ui/, built into the binary), /ui/state (one JSON snapshot:
 * images, profiles, groups, machines with their lifecycle, last event and
 * recent syslog lines, the last boot events) and /ui/events (Server-Sent
 * Events: every boot event, as `netbootctl watch` gets it, with the
 * machine's new JSON, and every syslog line).  "/" and "/ui" redirect to
 * /ui/.  Read-only; GET and HEAD.
 *
 * Access: with http.ui false these paths are 404 (and "/" is not
 * redirected); a client outside every network of http.ui_allow gets 403.
 * Both are read afresh on every request and event, so a reload that turns
 * the page off or narrows the list also ends the streams it no longer
 * allows.
 *
 * Caps: UI_MAX_STREAMS event streams at once (503 beyond); a stream whose
 * client does not read, so that more than UI_STREAM_BUF_MAX bytes wait in
 * its output buffer, is dropped.  A comment line every UI_HEARTBEAT
 * seconds keeps idle streams (and proxies) alive.  Loop thread only.
 */
#ifndef NETBOOTD_UI_H
#define NETBOOTD_UI_H

#include <cjson/cJSON.h>
#include <event2/http.h>

#include "mac.h"
#include "server.h"

#define UI_MAX_STREAMS    64
#define UI_STREAM_BUF_MAX (256 * 1024)
#define UI_STREAM_SNDBUF  (64 * 1024) /* SO_SNDBUF of a stream's socket */
#define UI_HEARTBEAT      15          /* seconds */
#define UI_LOG_LINES      5           /* recent syslog lines per machine in /ui/state */
#define UI_LAST_EVENTS    50          /* boot events of all machines in /ui/state */

struct http_server;
struct http_req;
struct http_route;
struct ui_streams;

/* Answer one of the HTTP_ROUTE_UI_* routes. */
void ui_route(struct http_req *c, const struct http_route *rt);

/* ---- ui-state.c ---- */

/* The snapshot of /ui/state; NULL when out of memory. */
cJSON *ui_state_json(struct server *srv);
/* One machine as in the snapshot (cmd_machine_to_json() with "logs"); NULL on OOM. */
cJSON *ui_machine_json(struct server *srv, const uint8_t mac[MAC_LEN]);

/* ---- ui-stream.c ---- */

/* Start an event stream on the request (503 at the cap). */
void ui_stream_start(struct http_req *c);
/* The connection closed: forget its stream, if it has one. */
void ui_streams_closed(struct http_server *s, struct evhttp_connection *evcon);
/* The server stops: forget every stream (evhttp frees the connections).  Accepts NULL. */
void ui_streams_free(struct ui_streams *u);

#endif
