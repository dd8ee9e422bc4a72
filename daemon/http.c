/*
 * HTTP server: evhttp on http.port, one listening socket on 0.0.0.0 or one
 * per configured interface (SO_BINDTODEVICE).
 *
 * Connection cap.  libevent 2.1 has no evhttp_set_max_connections() and no
 * hook when evhttp creates or frees a server connection.  We supply the
 * bufferevent of each new connection (evhttp_set_bevcb), count it, and pin
 * it with a reference until an immediately activated event runs right after
 * the accept callback: by then evhttp has set the bufferevent's callbacks
 * with the evhttp_connection as argument, and we attach a close callback to
 * that connection, which uncounts it.  At the cap the listeners are disabled
 * (as nginx does), so further clients wait in the kernel's backlog.  At
 * that event too each connection is admitted or refused (per-address cap,
 * slots kept for new addresses) and its header deadline starts
 * (http-conn.c).
 *
 * Responses are in http-reply.c, what each path answers in http-route.c.
 */
#include "http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <fcntl.h>
#include <inttypes.h>
#include <net/if.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <event2/listener.h>

#include "http-internal.h"
#include "iface.h"
#include "log.h"
#include "ui.h"
#include "util.h"
#define HTTP_LISTEN_BACKLOG 128
#define HTTP_ACCEPT_RETRY   1 /* seconds to pause accepting after EMFILE and the like */

/* ---- connection accounting ---- */

static void
http_accept_set(struct http_server *s, bool on)
{
	for (size_t i = 0; i < s->n_socks; i++) {
		struct evconnlistener *l = evhttp_bound_socket_get_listener(s->socks[i]);

		if (on)
			evconnlistener_enable(l);
		else
			evconnlistener_disable(l);
	}
}

static void
http_conn_gone(struct http_server *s)
{
	if (s->freeing || s->stats->active == 0)
		return;
	s->stats->active--;
	if (s->accept_paused && s->stats->active < s->max_connections) {
		s->accept_paused = false;
		s->stats->paused = 0;
		if (!evtimer_pending(s->resume_ev, NULL))
			http_accept_set(s, true);
		log_debug(NULL, "HTTP connections below the cap of %u again, accepting",
		    s->max_connections);
	}
}

static void
http_conn_closed(struct evhttp_connection *evcon, void *arg)
{
	http_conn_forget(arg, evcon);
	http_linger_forget(arg, evcon);
	http_reply_xfers_closed(arg, evcon);
	ui_streams_closed(arg, evcon);
	http_conn_gone(arg);
}

/*
 * No Nagle: the headers go out with one write and the body with sendfile,
 * and a keep-alive client's delayed ACK would hold the body's first segment
 * back ~40 ms behind the unacknowledged headers.  Each response is written
 * whole at once, so nothing is gained by coalescing.
 */
static void
http_set_nodelay(int fd)
{
	int one = 1;

	if (fd >= 0 && setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) < 0)
		log_debug(
		    NULL, "Cannot set TCP_NODELAY on an HTTP connection: %s", strerror(errno));
}

/* Runs right after the accept callback: find the evhttp_connection of each new bev. */
static void
http_resolve_pending(evutil_socket_t fd, short what, void *arg)
{
	struct http_server *s = arg;

	(void)fd;
	(void)what;
	for (size_t i = 0; i < s->n_pending; i++) {
		struct bufferevent *bev = s->pending[i];
		bufferevent_event_cb eventcb = NULL;
		void *cbarg = NULL;

		bufferevent_getcb(bev, NULL, NULL, &eventcb, &cbarg);
		if (eventcb == NULL || cbarg == NULL || s->freeing)
			http_conn_gone(s); /* evhttp already dropped it */
		else if (http_conn_admit(s, cbarg) < 0)
			http_conn_gone(s); /* refused, and freed */
		else {
			evhttp_connection_set_closecb(cbarg, http_conn_closed, s);
			http_set_nodelay(bufferevent_getfd(bev));
		}
		bufferevent_decref(bev);
	}
	s->n_pending = 0;
}

static int
http_pending_push(struct http_server *s, struct bufferevent *bev)
{
	if (s->n_pending == s->cap_pending) {
		size_t cap = s->cap_pending == 0 ? 16 : s->cap_pending * 2;
		struct bufferevent **p = reallocarray(s->pending, cap, sizeof(*p));

		if (p == NULL)
			return -ENOMEM;
		s->pending = p;
		s->cap_pending = cap;
	}
	s->pending[s->n_pending++] = bev;
	return 0;
}

/* http.timeout may change on reload: evhttp applies it to connections from now on. */
static void
http_apply_timeout(struct http_server *s)
{
	unsigned t = s->srv->cfg->http.timeout ? s->srv->cfg->http.timeout : HTTP_DEFAULT_TIMEOUT;

	if (t != s->timeout) {
		s->timeout = t;
		evhttp_set_timeout(s->http, (int)t);
	}
}

/* evhttp asks us for the bufferevent of each accepted connection. */
static struct bufferevent *
http_new_bev(struct event_base *base, void *arg)
{
	struct http_server *s = arg;
	struct bufferevent *bev = bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE);

	if (bev == NULL)
		return NULL;
	http_apply_timeout(s);
	if (http_pending_push(s, bev) < 0) {
		bufferevent_free(bev);
		return NULL; /* evhttp makes its own, uncounted */
	}
	bufferevent_incref(bev);
	event_active(s->resolve_ev, EV_TIMEOUT, 0);
	s->stats->active++;
	s->stats->connections++;
	if (s->stats->active >= s->max_connections && !s->accept_paused) {
		s->accept_paused = true;
		s->stats->paused = 1;
		http_accept_set(s, false);
		/* a burst the admission then refuses may pause and resume many times */
		log_msg(http_summary_once(s, (struct in_addr){htonl(INADDR_ANY)}, "cap")
		            ? LOG_WARNING
		            : LOG_DEBUG,
		    NULL, "HTTP connection cap of %u reached, pausing accept", s->max_connections);
	}
	return bev;
}

static void
http_resume_accept(evutil_socket_t fd, short what, void *arg)
{
	struct http_server *s = arg;

	(void)fd;
	(void)what;
	if (!s->accept_paused)
		http_accept_set(s, true);
}

/* accept() failed (EMFILE, ENFILE, ENOBUFS): stop the busy loop for a second. */
static void
http_accept_error(struct evconnlistener *l, void *arg)
{
	struct http_server *s = arg;
	struct timeval tv = {HTTP_ACCEPT_RETRY, 0};
	int err = EVUTIL_SOCKET_ERROR();

	(void)l;
	log_warn(NULL, "Cannot accept HTTP connections: %s, pausing for %d s", strerror(err),
	    HTTP_ACCEPT_RETRY);
	http_accept_set(s, false);
	evtimer_add(s->resume_ev, &tv);
}

/* ---- listening sockets ---- */

static int
http_listen_fd(const char *ifname, uint16_t port)
{
	struct sockaddr_in sin = {
	    .sin_family = AF_INET,
	    .sin_port = htons(port),
	    .sin_addr.s_addr = htonl(INADDR_ANY),
	};
	_cleanup_close_ int fd = -1;
	int one = 1;

	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0)
		return -errno;
	if (ifname != NULL &&
	    setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, ifname, (socklen_t)strlen(ifname)) < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0)
		return -errno;
	if (listen(fd, HTTP_LISTEN_BACKLOG) < 0)
		return -errno;
	return TAKE_FD(fd);
}

static int
http_listen_one(struct http_server *s, const char *ifname)
{
	uint16_t port = s->srv->cfg->http.port;
	struct evhttp_bound_socket *b;
	int fd = http_listen_fd(ifname, port);

	if (fd < 0) {
		log_err(NULL, "Cannot listen on HTTP port %u%s%s%s: %s", port,
		    ifname ? " on \"" : "", ifname ? ifname : "", ifname ? "\"" : "",
		    strerror(-fd));
		return fd;
	}
	b = evhttp_accept_socket_with_handle(s->http, fd);
	if (b == NULL) {
		close(fd);
		return -ENOMEM;
	}
	evconnlistener_set_error_cb(evhttp_bound_socket_get_listener(b), http_accept_error);
	s->socks[s->n_socks++] = b;
	return 0;
}

static int
http_listen_all(struct http_server *s)
{
	const struct config *c = s->srv->cfg;
	size_t n = c->n_interfaces > 0 ? c->n_interfaces + 1 : 1;
	int r;

	s->socks = calloc(n, sizeof(*s->socks));
	if (s->socks == NULL)
		return -ENOMEM;
	if (c->n_interfaces == 0)
		return http_listen_one(s, NULL);
	for (size_t i = 0; i < c->n_interfaces; i++)
		if ((r = http_listen_one(s, c->interfaces[i])) < 0)
			return r;
	/* Loopback too, as TFTP (iface_served()): health checks, /metrics, local tools. */
	return iface_lists_loopback(c) ? 0 : http_listen_one(s, IFACE_LOOPBACK);
}

static const struct http_handler *
http_find_handler(const struct http_server *s, const char *path)
{
	for (size_t i = 0; i < s->n_handlers; i++) {
		size_t n = strlen(s->handlers[i].path);

		if (strncmp(path, s->handlers[i].path, n) == 0 &&
		    (path[n] == '\0' || path[n] == '?'))
			return &s->handlers[i];
	}
	return NULL;
}

static void
http_reply_handler(struct http_req *c, const struct http_handler *h)
{
	struct evbuffer *body = evbuffer_new();
	const char *ctype = CTYPE_TEXT;

	if (body == NULL || h->fn(body, &ctype, h->userdata) < 0) {
		if (body != NULL)
			evbuffer_free(body);
		http_reply_error(c, 500, "Internal Server Error");
		return;
	}
	http_req_add_header(c, "Content-Type", ctype);
	http_reply_send(c, 200, "OK", body, evbuffer_get_length(body));
	evbuffer_free(body);
}

/* What the request asks for: each branch queues one response. */
void
http_answer(struct http_req *c, enum evhttp_cmd_type cmd)
{
	const struct http_handler *h;
	struct http_route rt;
	int r;

	if (cmd != EVHTTP_REQ_GET && cmd != EVHTTP_REQ_HEAD && cmd != EVHTTP_REQ_POST) {
		http_reply_not_allowed(c, "GET, HEAD");
		return;
	}
	c->post = cmd == EVHTTP_REQ_POST;
	if ((h = http_find_handler(c->s, c->path)) != NULL) {
		if (c->post)
			http_reply_not_allowed(c, "GET, HEAD");
		else
			http_reply_handler(c, h);
		return;
	}
	if (c->route != NULL) {
		rt = *c->route; /* parsed by the fast path already */
		r = 0;
	} else
		r = http_route_parse(c->path, strlen(c->path), &rt);
	if (r == -ENOENT) {
		http_reply_error(c, 404, "Not Found");
		return;
	}
	if (r < 0) {
		http_reply_error(c, 400, "Bad Request");
		return;
	}
	if (c->post != (rt.kind == HTTP_ROUTE_REPORT)) {
		http_reply_not_allowed(c, c->post ? "GET, HEAD" : "POST");
		return;
	}
	http_route_dispatch(c, &rt);
	if (c->xfer != NULL && !c->xfer->linked)
		http_reply_xfer_free(c->xfer); /* not sent (HEAD, an error, an empty body) */
}

static const char *
http_method_name(enum evhttp_cmd_type cmd)
{
	switch (cmd) {
	case EVHTTP_REQ_GET:
		return "GET";
	case EVHTTP_REQ_HEAD:
		return "HEAD";
	case EVHTTP_REQ_POST:
		return "POST";
	case EVHTTP_REQ_PUT:
		return "PUT";
	case EVHTTP_REQ_DELETE:
		return "DELETE";
	default:
		return "other";
	}
}

static void
http_handle(struct evhttp_request *req, void *arg)
{
	struct http_req c = {.s = arg, .req = req, .path = evhttp_request_get_uri(req)};
	enum evhttp_cmd_type cmd = evhttp_request_get_command(req);
	struct evhttp_connection *evcon = evhttp_request_get_connection(req);
	char *host = NULL;
	ev_uint16_t port = 0;

	if (evcon != NULL) {
		http_conn_request(c.s, evcon);
		evhttp_connection_get_peer(evcon, &host, &port);
	}
	snprintf(c.client, sizeof(c.client), "%s", host ? host : "?");
	if (host == NULL || inet_pton(AF_INET, host, &c.addr) != 1)
		c.addr.s_addr = htonl(INADDR_ANY);
	c.head = cmd == EVHTTP_REQ_HEAD;
	c.method = http_method_name(cmd);
	if (evcon != NULL && http_linger_wanted(req))
		http_linger_add(c.s, evcon); /* every route answers before the timer runs */
	else if (evcon != NULL)
		http_linger_forget(c.s, evcon);
	if (c.path == NULL)
		c.path = "";
	http_answer(&c, cmd);
	if (c.sent && evcon != NULL)
		http_conn_flush(evcon); /* last: the request may be freed */
}

/* ---- setup ---- */

static int
http_setup(struct http_server *s)
{
	const struct config *c = s->srv->cfg;

	s->max_connections =
	    c->http.max_connections ? c->http.max_connections : HTTP_DEFAULT_MAX_CONNECTIONS;
	s->http = evhttp_new(s->srv->base);
	s->resolve_ev = event_new(s->srv->base, -1, 0, http_resolve_pending, s);
	s->resume_ev = evtimer_new(s->srv->base, http_resume_accept, s);
	if (s->http == NULL || s->resolve_ev == NULL || s->resume_ev == NULL)
		return -ENOMEM;
	http_apply_timeout(s);
	evhttp_set_max_headers_size(s->http, HTTP_MAX_HEADERS_SIZE);
	evhttp_set_max_body_size(s->http, HTTP_MAX_BODY_SIZE);
	/* Accept every method evhttp knows so that we answer 405, not 501. */
	evhttp_set_allowed_methods(s->http, EVHTTP_REQ_GET | EVHTTP_REQ_HEAD | EVHTTP_REQ_POST |
	                                        EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE |
	                                        EVHTTP_REQ_OPTIONS | EVHTTP_REQ_TRACE |
	                                        EVHTTP_REQ_CONNECT | EVHTTP_REQ_PATCH);
	evhttp_set_default_content_type(s->http, CTYPE_TEXT);
	evhttp_set_bevcb(s->http, http_new_bev, s);
	evhttp_set_gencb(s->http, http_handle, s);
	return http_listen_all(s);
}

int
http_server_new(struct server *srv, struct http_server **ret)
{
	struct http_server *s = calloc(1, sizeof(*s));
	int r;

	if (s == NULL)
		return -ENOMEM;
	s->srv = srv;
	s->stats = &srv->stats.http;
	LIST_INIT(&s->xfers);
	r = http_setup(s);
	if (r < 0) {
		if (r == -ENOMEM)
			log_err(NULL, "Cannot set up the HTTP server: %s", strerror(-r));
		http_server_free(s);
		return r;
	}
	log_info(NULL,
	    "HTTP server listening on port %u (%zu socket%s, at most %u connections, %u per "
	    "address)",
	    srv->cfg->http.port, s->n_socks, s->n_socks == 1 ? "" : "s", s->max_connections,
	    srv->cfg->http.max_connections_per_address ? srv->cfg->http.max_connections_per_address
	                                               : HTTP_DEFAULT_MAX_PER_ADDRESS);
	*ret = s;
	return 0;
}

void
http_server_free(struct http_server *s)
{
	if (s == NULL)
		return;
	s->freeing = true;
	if (s->resolve_ev != NULL)
		http_resolve_pending(-1, 0, s); /* drop our references */
	ui_streams_free(s->ui);
	s->ui = NULL;
	http_linger_free(s);
	if (s->http != NULL)
		evhttp_free(s->http); /* frees the bound sockets and connections */
	http_conn_free_all(s);
	http_summary_free(s);
	while (!LIST_EMPTY(&s->xfers))
		http_reply_xfer_free(LIST_FIRST(&s->xfers));
	s->stats->active = s->stats->paused = 0;
	if (s->resolve_ev != NULL)
		event_free(s->resolve_ev);
	if (s->resume_ev != NULL)
		event_free(s->resume_ev);
	free(s->pending);
	free(s->socks);
	free(s);
}

int
http_server_add_handler(struct http_server *s, const char *path, http_handler_fn fn, void *userdata)
{
	if (s->n_handlers == HTTP_MAX_HANDLERS)
		return -E2BIG;
	s->handlers[s->n_handlers++] = (struct http_handler){path, fn, userdata};
	return 0;
}
