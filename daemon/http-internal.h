/*
 * Between the parts of the HTTP server: http.c (connections, listening
 * sockets, the request entry point), http-reply.c (responses: text, errors,
 * files with ranges, their progress events) and http-route.c (what each
 * path of lib/http-path.h answers).  Loop thread only.
 */
#ifndef NETBOOTD_HTTP_INTERNAL_H
#define NETBOOTD_HTTP_INTERNAL_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/queue.h>
#include <sys/socket.h>

#include <event2/bufferevent.h>
#include <event2/event_struct.h>
#include <event2/http.h>

#include "http-path.h"
#include "http-request.h"
#include "http.h"
#include "progress.h"

#define HTTP_LOG_PATH_MAX 200
/*
 * libevent 2.1 sends a file chain with one sendfile(2) of the whole chain,
 * whatever its size: on a fast link one big file would hold the loop (and
 * TFTP) for its whole transfer.  Chains of this size bound each call.
 */
#define HTTP_FILE_CHUNK (1024 * 1024)
/* A file body of at most this many bytes is read into memory (http-reply.c). */
#define HTTP_SMALL_BODY (16 * 1024)
#define CTYPE_BINARY    "application/octet-stream"
#define CTYPE_EFI       "application/efi"         /* an EFI image's boot.efi (UEFI HTTP Boot) */
#define CTYPE_EFI_ISO   "application/vnd.efi-iso" /* an ISO image's boot.iso (UEFI HTTP Boot) */
#define CTYPE_TEXT      "text/plain; charset=utf-8"

#define HTTP_SUMMARY_SECS  10 /* the aggregated log lines (http-summary.c) cover this */
#define HTTP_SUMMARY_CODES 8  /* status codes told apart in one summary, "other" beyond */
#define HTTP_ONCE_SLOTS    256

/* A path another module answers (http_server_add_handler). */
struct http_handler {
	const char *path;
	http_handler_fn fn;
	void *userdata;
};

struct http_fast;

/* One connection evhttp made, once admitted (http-conn.c), and its fast path (http-fast.c). */
struct http_conn {
	struct http_server *s;
	struct evhttp_connection *evcon;
	struct http_fast *fast;
	struct evbuffer *input;
	struct evbuffer_cb_entry *input_cb; /* sees the first byte of each request */
	struct event deadline;              /* http.header_timeout */
	struct in_addr addr;
	int fd;
	bool waiting; /* for the rest of a request: the deadline runs */
};

/* What the summary lines of the current window count (http-summary.c). */
struct http_window {
	int64_t start_ms; /* CLOCK_MONOTONIC */
	uint64_t requests;
	struct {
		int code;
		uint64_t n;
	} codes[HTTP_SUMMARY_CODES];
	uint64_t other_codes;
	uint64_t quiet;              /* log lines said at debug only, repeats of an info line */
	uint64_t refused[2];         /* per address, reserved */
	struct in_addr refused_addr; /* the last one */
	uint64_t timeouts;
};

struct http_server {
	struct server *srv;
	struct evhttp *http;
	struct evhttp_bound_socket **socks;
	size_t n_socks;
	/* evhttp's callbacks of a connection's bufferevent (http-fast.c puts its own first) */
	bufferevent_data_cb ev_readcb, ev_writecb;
	bufferevent_event_cb ev_eventcb;
	struct event *resolve_ev; /* attaches close callbacks to new connections */
	struct event *resume_ev;  /* re-enables accepting after an accept error */
	struct bufferevent **pending;
	size_t n_pending, cap_pending;
	unsigned max_connections;
	unsigned timeout; /* seconds, as last given to evhttp */
	bool accept_paused, freeing;
	struct http_stats *stats; /* srv->stats.http */
	struct http_handler handlers[HTTP_MAX_HANDLERS];
	size_t n_handlers;
	LIST_HEAD(, http_xfer) xfers; /* file bodies being sent, for progress events */
	unsigned n_xfers;
	struct ui_streams *ui; /* the status page's event streams (ui.h); NULL until one */
	/* GRUB's connections, reset once their response is acknowledged (http-linger.c) */
	struct http_linger_entry *linger;
	size_t n_linger, cap_linger;
	struct event *linger_ev;
	/* admitted connections by descriptor (http-conn.c) */
	struct http_conn **conns;
	size_t cap_conns;
	unsigned n_conns;
	unsigned deadline_secs;            /* as in deadline_tv */
	const struct timeval *deadline_tv; /* a common timeout of the base, or deadline_plain */
	struct timeval deadline_plain;
	/* the aggregated log lines (http-summary.c) */
	struct event *summary_ev;
	struct http_window win;
	struct {
		uint64_t key;
		int64_t at_ms;
	} once[HTTP_ONCE_SLOTS];
};

/*
 * A file body on its way out: its progress event is recorded when evhttp
 * reports the response complete, or with the bytes that left when the
 * connection closes first.  The body is the last 'body' bytes of the
 * connection's output buffer when the reply is queued.
 */
struct http_xfer {
	LIST_ENTRY(http_xfer) link;
	struct http_server *s;
	struct evhttp_connection *evcon;
	bool linked; /* in s->xfers, following a response */
	struct progress_event ev;
	char image[HTTP_NAME_MAX + 1];
	uint64_t body;
};

/* One request being answered: by evhttp (req) or by the fast path (fast). */
struct http_req {
	struct http_server *s;
	struct evhttp_request *req;
	struct http_fast *fast;
	const struct http_request_head *in; /* the fast path's request head */
	const char *method;                 /* for the log */
	const struct http_route *route;     /* the path's route, when known already */
	const char *path;
	bool head;
	bool post; /* only for reports */
	const uint8_t *mac;
	char client[INET6_ADDRSTRLEN];
	struct in_addr addr;    /* the client's IPv4 address, 0.0.0.0 if unknown */
	struct http_xfer *xfer; /* set by a route that wants a progress event for its file */
	bool sent;              /* a whole response is queued (http_reply_send) */
	bool has_local;         /* 'local' is known (http-route.c asks once) */
	struct in_addr local;   /* our address on the connection, 0.0.0.0 if unknown */
};

/* ---- http.c ---- */

/* Answer a request: each branch queues one response. */
void http_answer(struct http_req *c, enum evhttp_cmd_type cmd);

/* ---- http-fast.c ---- */

/*
 * The fast path: on an admitted connection, GET and HEAD requests that
 * lib/wire/http-request.c fully understands are answered without an evhttp
 * request object; the first other request gives the connection to evhttp.
 */
int http_fast_attach(struct http_conn *k);
void http_fast_detach(struct http_conn *k);
/* Queue the response of c (c->fast), as http_reply_send. */
void http_fast_send(
    struct http_req *c, int code, const char *reason, struct evbuffer *body, uint64_t len);
/* Add a response header; a header block that does not fit makes the response a 500. */
void http_fast_add_header(struct http_fast *f, const char *name, const char *value);
/* The value of request header Range, If-Range or User-Agent; NULL otherwise. */
const char *http_fast_header(const struct http_req *c, const char *name);
int http_fast_fd(const struct http_fast *f);
struct evhttp_connection *http_fast_evcon(const struct http_fast *f);
/* Follow a file body to its end (its progress event). */
void http_fast_xfer(struct http_fast *f, struct http_xfer *x);

/* ---- http-conn.c ---- */

/* A request of the connection is whole: the header deadline stops. */
void http_conn_request_done(struct http_conn *k);
/* A part of the next request is there: its header deadline runs (if it does not already). */
void http_conn_request_begun(struct http_conn *k);

/* Admit a connection evhttp made, or refuse it (a 503, then freed): 0 or -EBUSY. */
int http_conn_admit(struct http_server *s, struct evhttp_connection *evcon);
/* Its request arrived whole: the header deadline stops. */
void http_conn_request(struct http_server *s, struct evhttp_connection *evcon);
/*
 * A whole response was queued on it: write it now instead of a loop turn
 * later, and when it is all out let evhttp finish the request (which frees
 * it) and read the next.  Call last: nothing of the request may be used after.
 */
void http_conn_flush(struct evhttp_connection *evcon);
/* It closes (evhttp's close callback). */
void http_conn_forget(struct http_server *s, struct evhttp_connection *evcon);
void http_conn_free_all(struct http_server *s);

/* ---- http-summary.c ---- */

/* A response of status 'code' was queued. */
void http_summary_response(struct http_server *s, int code);
/* A connection was refused (0: per address, 1: reserved slots) or timed out. */
void http_summary_refused(struct http_server *s, int reason, struct in_addr addr);
void http_summary_timeout(struct http_server *s);
/*
 * Whether a log line of this key (a client, what happened to it) is to be said at
 * info: not when the same was said in the last HTTP_SUMMARY_SECS.  The others are
 * at debug, and counted in the summary.
 */
bool http_summary_once(struct http_server *s, struct in_addr client, const char *what);
void http_summary_free(struct http_server *s);

/* ---- http-linger.c ---- */

/* Whether a User-Agent value is GRUB's. */
bool http_linger_agent(const char *ua);
/* Whether the request comes from GRUB (its User-Agent). */
bool http_linger_wanted(struct evhttp_request *req);
/* Free the connection with a reset once its output is acknowledged (at most 10 s). */
void http_linger_add(struct http_server *s, struct evhttp_connection *evcon);
/* The connection closed, or asks again: not to be reset. */
void http_linger_forget(struct http_server *s, struct evhttp_connection *evcon);
void http_linger_free(struct http_server *s);

/* ---- http-reply.c ---- */

/* Add a response header (evhttp's or the fast path's). */
void http_req_add_header(struct http_req *c, const char *name, const char *value);
/* The value of a request header: Range, If-Range, User-Agent; NULL if absent. */
const char *http_req_header(struct http_req *c, const char *name);
/* A progress event ends: all of the body left, or 'left' bytes of it did not. */
void http_reply_xfer_end(struct http_xfer *x, uint64_t left, bool complete);

void http_reply_event_init(const struct http_req *c, enum progress_kind kind, const char *detail,
    struct progress_event *ev);
/* Record a progress event (the recorder finds the MAC of an address) and log it. */
void http_reply_progress(struct http_server *s, struct progress_event *ev, const char *image);
/* Ask for a progress event for the file about to be sent; NULL when out of memory. */
struct http_xfer *http_reply_xfer_new(
    struct http_req *c, enum progress_kind kind, const char *detail, const char *image);
void http_reply_xfer_free(struct http_xfer *x);
/* The connection closed before its responses went out: record what left. */
void http_reply_xfers_closed(struct http_server *s, struct evhttp_connection *evcon);
/* Send with a Content-Length of 'len' (the body, or what GET would get for HEAD). */
void http_reply_send(
    struct http_req *c, int code, const char *reason, struct evbuffer *body, uint64_t len);
void http_reply_text(struct http_req *c, int code, const char *reason, const char *ctype,
    const char *text, size_t len);
void http_reply_error(struct http_req *c, int code, const char *reason);
/* 405 with "Allow: <allow>". */
void http_reply_not_allowed(struct http_req *c, const char *allow);
/* Serve the open regular file 'fd' (taken over), with Range. */
void http_reply_file(struct http_req *c, int fd, const char *ctype);

/* ---- http-route.c ---- */

void http_route_dispatch(struct http_req *c, const struct http_route *rt);

#endif
