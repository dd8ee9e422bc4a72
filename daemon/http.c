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
 * (as nginx does), so further clients wait in the kernel's backlog.
 *
 * Files go out as evbuffer file segments with EVBUFFER_FLAG_DRAINS_TO_FD:
 * sendfile(2) from the page cache, never read into our memory.
 */
#include "http.h"

#include <arpa/inet.h>
#include <errno.h>
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

#include "boot-view.h"
#include "cloud-config.h"
#include "http-path.h"
#include "http-range.h"
#include "iface.h"
#include "loader.h"
#include "ipxe-script.h"
#include "log.h"
#include "progress.h"
#include "store.h"
#include "util.h"

#define HTTP_LISTEN_BACKLOG 128
#define HTTP_ACCEPT_RETRY   1 /* seconds to pause accepting after EMFILE and the like */
#define HTTP_LOG_PATH_MAX   200
/*
 * libevent 2.1 sends a file chain with one sendfile(2) of the whole chain,
 * whatever its size: on a fast link one big file would hold the loop (and
 * TFTP) for its whole transfer.  Chains of this size bound each call.
 */
#define HTTP_FILE_CHUNK (1024 * 1024)
#define CTYPE_BINARY    "application/octet-stream"
#define CTYPE_TEXT      "text/plain; charset=utf-8"

/* A path another module answers (http_server_add_handler). */
struct http_handler {
	const char *path;
	http_handler_fn fn;
	void *userdata;
};

struct http_server {
	struct server *srv;
	struct evhttp *http;
	struct evhttp_bound_socket **socks;
	size_t n_socks;
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
	struct progress_event ev;
	char image[HTTP_NAME_MAX + 1];
	uint64_t body;
};

/* One request being answered. */
struct http_req {
	struct http_server *s;
	struct evhttp_request *req;
	const char *path;
	bool head;
	bool artifact; /* a boot artifact: logged at info */
	const uint8_t *mac;
	char client[INET6_ADDRSTRLEN];
	struct in_addr addr;    /* the client's IPv4 address, 0.0.0.0 if unknown */
	struct http_xfer *xfer; /* set by a route that wants a progress event for its file */
};

/* ---- boot progress ---- */

static void
http_event_init(const struct http_req *c, enum progress_kind kind, const char *detail,
    struct progress_event *ev)
{
	*ev = (struct progress_event){.kind = kind, .client = c->addr};
	if (c->mac != NULL) {
		ev->has_mac = true;
		memcpy(ev->mac, c->mac, MAC_LEN);
	}
	snprintf(ev->detail, sizeof(ev->detail), "%s", detail);
}

/* Record an event (the recorder finds the MAC of an address) and log it. */
static void
http_progress(struct http_server *s, struct progress_event *ev, const char *image)
{
	char fields[256], mac[MAC_STRLEN] = "-", client[INET_ADDRSTRLEN];
	const char *kind = progress_kind_name(ev->kind);

	if (s->srv->progress != NULL)
		progress_record(s->srv->progress, ev);
	if (ev->has_mac)
		mac_format(ev->mac, ':', mac);
	inet_ntop(AF_INET, &ev->client, client, sizeof(client));
	snprintf(fields, sizeof(fields),
	    "NETBOOT_MAC=%s\nNETBOOT_EVENT=%s\nNETBOOT_IMAGE=%s\nCLIENT=%s\nBYTES=%" PRIu64
	    "\nCOMPLETE=%d",
	    mac, kind, image ? image : "", client, ev->bytes, ev->complete);
	log_info(fields, "Boot progress of %s at %s: %s \"%s\", %" PRIu64 " of %" PRIu64 " bytes%s",
	    mac, client, kind, ev->detail, ev->bytes, ev->total,
	    ev->complete ? "" : ", incomplete");
}

static void
http_xfer_free(struct http_xfer *x)
{
	if (x == NULL)
		return;
	if (x->evcon != NULL) {
		LIST_REMOVE(x, link);
		x->s->n_xfers--;
	}
	free(x);
}

/* evhttp sent the whole response. */
static void
http_xfer_done(struct evhttp_request *req, void *arg)
{
	struct http_xfer *x = arg;
	struct http_server *s = x->s;

	s->stats->bytes_sent += x->body;
	(void)req;
	x->ev.bytes = x->body;
	x->ev.complete = x->body == x->ev.total;
	http_progress(s, &x->ev, x->image[0] ? x->image : NULL);
	http_xfer_free(x);
}

/* The connection closed before its response went out: record what left. */
static void
http_xfers_closed(struct http_server *s, struct evhttp_connection *evcon)
{
	struct http_xfer *x, *next;

	for (x = LIST_FIRST(&s->xfers); x != NULL; x = next) {
		struct bufferevent *bev = evhttp_connection_get_bufferevent(evcon);
		uint64_t left = bev ? evbuffer_get_length(bufferevent_get_output(bev)) : x->body;

		next = LIST_NEXT(x, link);
		if (x->evcon != evcon)
			continue;
		if (!s->freeing) {
			x->ev.bytes = left < x->body ? x->body - left : 0;
			x->ev.complete = false;
			http_progress(s, &x->ev, x->image[0] ? x->image : NULL);
		}
		http_xfer_free(x);
	}
}

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
	http_xfers_closed(arg, evcon);
	http_conn_gone(arg);
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
		if (eventcb != NULL && cbarg != NULL)
			evhttp_connection_set_closecb(cbarg, http_conn_closed, s);
		else
			http_conn_gone(s); /* evhttp already dropped it */
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
		log_warn(
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
	size_t n = c->n_interfaces > 0 ? c->n_interfaces : 1;
	int r;

	s->socks = calloc(n, sizeof(*s->socks));
	if (s->socks == NULL)
		return -ENOMEM;
	if (c->n_interfaces == 0)
		return http_listen_one(s, NULL);
	for (size_t i = 0; i < c->n_interfaces; i++)
		if ((r = http_listen_one(s, c->interfaces[i])) < 0)
			return r;
	return 0;
}

/* ---- responses ---- */

static void
http_count_sent(struct evhttp_request *req, void *arg)
{
	struct http_server *s = arg;
	const char *cl =
	    evhttp_find_header(evhttp_request_get_output_headers(req), "Content-Length");

	if (evhttp_request_get_command(req) != EVHTTP_REQ_HEAD && cl != NULL)
		s->stats->bytes_sent += strtoull(cl, NULL, 10);
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

/* The request target for a log line: printable ASCII, at most HTTP_LOG_PATH_MAX bytes. */
static void
http_log_path(const char *path, char buf[HTTP_LOG_PATH_MAX + 4])
{
	size_t i;

	for (i = 0; path[i] != '\0' && i < HTTP_LOG_PATH_MAX; i++)
		buf[i] = path[i] > ' ' && path[i] < 0x7f ? path[i] : '?';
	strcpy(buf + i, path[i] != '\0' ? "..." : "");
}

static void
http_log(const struct http_req *c, int code, uint64_t bytes)
{
	char fields[512], mac[MAC_STRLEN] = "", path[HTTP_LOG_PATH_MAX + 4];
	int prio = c->artifact && code < 400 ? LOG_INFO : LOG_DEBUG;

	if (prio == LOG_DEBUG && !log_debug_enabled())
		return;
	if (c->mac != NULL)
		mac_format(c->mac, ':', mac);
	http_log_path(c->path, path);
	snprintf(fields, sizeof(fields), "CLIENT=%s\nPATH=%s\nSTATUS=%d\nBYTES=%" PRIu64 "%s%s",
	    c->client, path, code, bytes, c->mac ? "\nNETBOOT_MAC=" : "", mac);
	log_msg(prio, fields, "HTTP %s \"%s\" from %s: %d, %" PRIu64 " bytes",
	    http_method_name(evhttp_request_get_command(c->req)), path, c->client, code, bytes);
}

/* Send with a Content-Length of 'len' (the body, or what GET would get for HEAD). */
static void
http_send(struct http_req *c, int code, const char *reason, struct evbuffer *body, uint64_t len)
{
	struct evkeyvalq *h = evhttp_request_get_output_headers(c->req);
	char n[24];

	snprintf(n, sizeof(n), "%" PRIu64, len);
	evhttp_remove_header(h, "Content-Length");
	evhttp_add_header(h, "Content-Length", n);
	if (code >= 100 && code < 600)
		c->s->stats->responses[code / 100 - 1]++;
	http_log(c, code, c->head ? 0 : len);
	if (c->xfer != NULL && c->xfer->evcon != NULL)
		evhttp_request_set_on_complete_cb(c->req, http_xfer_done, TAKE_PTR(c->xfer));
	else
		evhttp_request_set_on_complete_cb(c->req, http_count_sent, c->s);
	evhttp_send_reply(c->req, code, reason, c->head ? NULL : body);
}

static void
http_reply_text(struct http_req *c, int code, const char *reason, const char *ctype,
    const char *text, size_t len)
{
	struct evbuffer *body = evbuffer_new();

	if (body == NULL || evbuffer_add(body, text, len) < 0) {
		if (body != NULL)
			evbuffer_free(body);
		evhttp_send_error(c->req, 500, "Internal Server Error");
		return;
	}
	evhttp_add_header(evhttp_request_get_output_headers(c->req), "Content-Type", ctype);
	http_send(c, code, reason, body, len);
	evbuffer_free(body);
}

static void
http_reply_error(struct http_req *c, int code, const char *reason)
{
	char text[64];
	int n = snprintf(text, sizeof(text), "%d %s\n", code, reason);

	http_reply_text(c, code, reason, CTYPE_TEXT, text, (size_t)n);
}

static void
http_add_date(struct evkeyvalq *h, const char *name, time_t t)
{
	char buf[64];
	struct tm tm;

	if (gmtime_r(&t, &tm) != NULL &&
	    strftime(buf, sizeof(buf), "%a, %d %b %Y %H:%M:%S GMT", &tm) > 0)
		evhttp_add_header(h, name, buf);
}

/*
 * The byte range to send: 200 for all of it, 206 for one range, 416.
 * Multiple ranges and malformed headers get the whole file (RFC 9110 14.2
 * lets a server ignore Range); so does a request with If-Range, which we
 * cannot evaluate without validators.
 */
static int
http_pick_range(struct http_req *c, uint64_t size, struct http_range *ret)
{
	struct evkeyvalq *in = evhttp_request_get_input_headers(c->req);
	const char *v = evhttp_find_header(in, "Range");
	int r;

	*ret = (struct http_range){.start = 0, .length = size};
	if (v == NULL || evhttp_find_header(in, "If-Range") != NULL)
		return 200;
	r = http_range_parse(v, strlen(v), size, ret);
	if (r == -ERANGE)
		return 416;
	if (r < 0) {
		log_debug(NULL, "Ignoring Range header \"%s\" from %s (%s)", v, c->client,
		    r == -EOPNOTSUPP ? "several ranges or another unit" : "malformed");
		*ret = (struct http_range){.start = 0, .length = size};
		return 200;
	}
	return 206;
}

static int
http_add_chunks(struct evbuffer *body, struct evbuffer_file_segment *seg, uint64_t length)
{
	for (uint64_t off = 0; off < length; off += HTTP_FILE_CHUNK) {
		uint64_t n = length - off < HTTP_FILE_CHUNK ? length - off : HTTP_FILE_CHUNK;

		if (evbuffer_add_file_segment(body, seg, (ev_off_t)off, (ev_off_t)n) < 0)
			return -ENOMEM;
	}
	return 0;
}

/* The route asked for a progress event: follow the body on its connection. */
static void
http_xfer_attach(struct http_req *c, uint64_t body, uint64_t total)
{
	struct http_xfer *x = c->xfer;
	struct evhttp_connection *evcon = evhttp_request_get_connection(c->req);

	if (x == NULL || evcon == NULL)
		return;
	x->evcon = evcon;
	x->body = body;
	x->ev.total = total;
	LIST_INSERT_HEAD(&c->s->xfers, x, link);
	c->s->n_xfers++;
}

/* Serve the open regular file 'fd' (taken over). */
static void
http_reply_file(struct http_req *c, int fd, const char *ctype)
{
	struct evkeyvalq *h = evhttp_request_get_output_headers(c->req);
	struct evbuffer_file_segment *seg = NULL;
	struct evbuffer *body = NULL;
	struct http_range rg;
	char cr[96];
	struct stat st;
	int code;

	if (fstat(fd, &st) < 0) {
		close(fd);
		http_reply_error(c, 500, "Internal Server Error");
		return;
	}
	evhttp_add_header(h, "Accept-Ranges", "bytes");
	http_add_date(h, "Last-Modified", st.st_mtime);
	code = http_pick_range(c, (uint64_t)st.st_size, &rg);
	if (code == 416) {
		close(fd);
		snprintf(cr, sizeof(cr), "bytes */%" PRIu64, (uint64_t)st.st_size);
		evhttp_add_header(h, "Content-Range", cr);
		http_reply_text(c, 416, "Range Not Satisfiable", CTYPE_TEXT, "", 0);
		return;
	}
	if (code == 206) {
		snprintf(cr, sizeof(cr), "bytes %" PRIu64 "-%" PRIu64 "/%" PRIu64, rg.start,
		    rg.start + rg.length - 1, (uint64_t)st.st_size);
		evhttp_add_header(h, "Content-Range", cr);
	}
	evhttp_add_header(h, "Content-Type", ctype);
	if (c->head || rg.length == 0) {
		close(fd);
		http_send(c, code, code == 206 ? "Partial Content" : "OK", NULL, rg.length);
		return;
	}
	body = evbuffer_new();
	if (body != NULL)
		evbuffer_set_flags(body, EVBUFFER_FLAG_DRAINS_TO_FD);
	seg = body ? evbuffer_file_segment_new(
	                 fd, (ev_off_t)rg.start, (ev_off_t)rg.length, EVBUF_FS_CLOSE_ON_FREE)
	           : NULL;
	if (seg == NULL || http_add_chunks(body, seg, rg.length) < 0) {
		if (seg == NULL)
			close(fd);
		else
			evbuffer_file_segment_free(seg);
		if (body != NULL)
			evbuffer_free(body);
		evhttp_send_error(c->req, 500, "Internal Server Error");
		return;
	}
	evbuffer_file_segment_free(seg); /* the buffer's chain keeps its reference */
	http_xfer_attach(c, rg.length, (uint64_t)st.st_size);
	http_send(c, code, code == 206 ? "Partial Content" : "OK", body, rg.length);
	evbuffer_free(body);
}

/* ---- routes ---- */

static struct http_xfer *
http_xfer_new(struct http_req *c, enum progress_kind kind, const char *detail, const char *image)
{
	struct http_xfer *x = calloc(1, sizeof(*x));

	if (x == NULL)
		return NULL; /* no progress event for this one */
	x->s = c->s;
	http_event_init(c, kind, detail, &x->ev);
	snprintf(x->image, sizeof(x->image), "%s", image ? image : "");
	c->xfer = x;
	return x;
}

static void
http_route_boot(struct http_req *c, const struct http_route *rt)
{
	const struct config *cfg = c->s->srv->cfg;
	off_t size;
	int fd;

	if (!loader_known(c->s->srv, rt->name)) {
		http_reply_error(c, 404, "Not Found");
		return;
	}
	c->artifact = true;
	fd = loader_open(c->s->srv, rt->name, &size);
	if (fd < 0) {
		log_warn(NULL, "Cannot open the loader \"%s\" in \"%s\": %s, answering 404",
		    rt->name, cfg->ipxe.dir ? cfg->ipxe.dir : CONFIG_DEFAULT_IPXEDIR,
		    strerror(-fd));
		http_reply_error(c, 404, "Not Found");
		return;
	}
	http_xfer_new(c, PROGRESS_LOADER, rt->name, NULL);
	http_reply_file(c, fd, CTYPE_BINARY);
}

static int
http_image_file(const char *file, enum manifest_file *ret_f, enum progress_kind *ret_kind)
{
	static const enum progress_kind kinds[MANIFEST_N_FILES] = {
	    [MANIFEST_KERNEL] = PROGRESS_KERNEL,
	    [MANIFEST_INITRD] = PROGRESS_INITRD,
	    [MANIFEST_ROOTFS] = PROGRESS_ROOTFS,
	};

	for (int f = 0; f < MANIFEST_N_FILES; f++)
		if (strcmp(file, manifest_file_names[f]) == 0) {
			*ret_f = (enum manifest_file)f;
			*ret_kind = kinds[f];
			return 0;
		}
	return -ENOENT;
}

/* Through the store: the fd stays valid if the image is removed or replaced meanwhile. */
static void
http_route_image(struct http_req *c, const struct http_route *rt)
{
	enum manifest_file f;
	enum progress_kind kind;
	off_t size;
	int fd;

	c->artifact = true;
	if (http_image_file(rt->file, &f, &kind) < 0) {
		http_reply_error(c, 404, "Not Found");
		return;
	}
	fd = store_image_open(c->s->srv->store, rt->name, f, &size);
	if (fd < 0) {
		if (fd != -ENOENT)
			log_debug(NULL, "Cannot open \"%s/%s\" of the images: %s", rt->name,
			    rt->file, strerror(-fd));
		http_reply_error(c, 404, "Not Found");
		return;
	}
	http_xfer_new(c, kind, rt->name, rt->name);
	http_reply_file(c, fd, CTYPE_BINARY);
}

static int
http_server_url(struct http_req *c, char *buf, size_t len)
{
	struct evhttp_connection *evcon = evhttp_request_get_connection(c->req);
	struct sockaddr_in sin = {0};
	socklen_t sl = sizeof(sin);
	struct in_addr local = {htonl(INADDR_ANY)}, addr;
	char a[INET_ADDRSTRLEN];
	int fd, r;

	fd = evcon ? bufferevent_getfd(evhttp_connection_get_bufferevent(evcon)) : -1;
	if (fd >= 0 && getsockname(fd, (struct sockaddr *)&sin, &sl) == 0 &&
	    sin.sin_family == AF_INET)
		local = sin.sin_addr;
	r = iface_advertise(c->s->srv->cfg, 0, local, &addr);
	if (r < 0)
		return r;
	inet_ntop(AF_INET, &addr, a, sizeof(a));
	snprintf(buf, len, "http://%s:%u", a, c->s->srv->cfg->http.port);
	return 0;
}

/* Ask the boot decision about the machine with 'mac'. */
static int
http_decide(struct http_req *c, const uint8_t mac[MAC_LEN], enum boot_service service,
    struct boot_plan *ret)
{
	struct boot_client client = {.firmware = BOOT_FIRMWARE_IPXE, .has_mac = true};
	struct boot_view view;

	memcpy(client.mac, mac, MAC_LEN);
	boot_view_init(c->s->srv, &view);
	return boot_decide(&view, &client, service, ret);
}

static void
http_warn_noimage(const struct http_req *c, const uint8_t mac[MAC_LEN], const char *missing)
{
	char fields[256], m[MAC_STRLEN];

	mac_format(mac, ':', m);
	snprintf(fields, sizeof(fields), "NETBOOT_MAC=%s\nCLIENT=%s\nNETBOOT_IMAGE=%s", m,
	    c->client, missing ? missing : "");
	if (missing != NULL)
		log_warn(fields,
		    "No image to boot for %s: its image \"%s\" does not exist, serving a "
		    "script that waits",
		    m, missing);
	else
		log_warn(fields,
		    "No image to boot for %s: set default.image or keep exactly one image in "
		    "\"%s/images\", serving a script that waits",
		    m, c->s->srv->cfg->state_dir);
}

static void
http_refuse_unknown(struct http_req *c, const uint8_t mac[MAC_LEN])
{
	char fields[128], m[MAC_STRLEN];

	mac_format(mac, ':', m);
	snprintf(fields, sizeof(fields), "NETBOOT_MAC=%s\nCLIENT=%s\nNETBOOT_EVENT=refused", m,
	    c->client);
	log_info(fields, "Not serving a script to unknown machine %s: default boot disabled", m);
	http_reply_error(c, 404, "Not Found");
}

/* Render the script of the plan: its image, or one that waits. */
static int
http_render_script(struct http_req *c, const struct boot_plan *p, char **ret)
{
	char server[64];
	struct ipxe_vars v = {.server = server,
	    .image = p->action == BOOT_NETBOOT ? p->image : NULL,
	    .missing = p->reason == BOOT_REASON_IMAGE_MISSING ? p->missing : NULL};
	int r;

	memcpy(v.mac, c->mac, MAC_LEN);
	r = http_server_url(c, server, sizeof(server));
	if (r >= 0)
		r = ipxe_script_render(p->cmdline, &v, ret);
	return r;
}

static void
http_route_ipxe(struct http_req *c, const struct http_route *rt)
{
	_cleanup_free_ char *script = NULL;
	struct progress_event ev;
	_cleanup_(boot_plan_done) struct boot_plan plan = {.cmdline = NULL};
	const char *image;
	int r;

	c->artifact = true;
	if (c->s->srv->progress != NULL && c->addr.s_addr != htonl(INADDR_ANY))
		progress_learn(c->s->srv->progress, c->addr, rt->mac);
	r = http_decide(c, rt->mac, BOOT_SERVICE_SCRIPT, &plan);
	if (r >= 0 && plan.action == BOOT_IGNORE) {
		http_refuse_unknown(c, rt->mac);
		return;
	}
	if (r >= 0 && plan.action == BOOT_WAIT)
		http_warn_noimage(
		    c, rt->mac, plan.reason == BOOT_REASON_IMAGE_MISSING ? plan.missing : NULL);
	if (r >= 0)
		r = http_render_script(c, &plan, &script);
	if (r < 0) {
		log_err(NULL, "Cannot generate the iPXE script for %s: %s", c->path,
		    r == -EINVAL ? "bad kernel command line or image name" : strerror(-r));
		http_reply_error(c, 500, "Internal Server Error");
		return;
	}
	http_reply_text(c, 200, "OK", CTYPE_TEXT, script, strlen(script));
	image = plan.action == BOOT_NETBOOT ? plan.image : NULL;
	http_event_init(c, PROGRESS_SCRIPT, image != NULL ? image : "none", &ev);
	http_progress(c->s, &ev, image);
}

/* The built-in cloud-config, when none is configured anywhere. */
static const char http_config_none[] =
    "#cloud-config\n"
    "# netbootd: no cloud-config is configured (default.cloud_config)\n";

/* Read the YAML default.cloud_config file (at most CLOUD_CONFIG_MAX bytes). */
static int
http_read_config_file(const char *file, char **ret, size_t *ret_len)
{
	_cleanup_close_ int fd = open(file, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	_cleanup_free_ char *buf = NULL;
	size_t len = 0;
	ssize_t n;

	if (fd < 0)
		return -errno;
	if ((buf = malloc(CLOUD_CONFIG_MAX + 1)) == NULL)
		return -ENOMEM;
	while (
	    len <= CLOUD_CONFIG_MAX && (n = read(fd, buf + len, CLOUD_CONFIG_MAX + 1 - len)) != 0) {
		if (n < 0 && errno != EINTR)
			return -errno;
		if (n > 0)
			len += (size_t)n;
	}
	if (len > CLOUD_CONFIG_MAX)
		return -EFBIG;
	*ret = TAKE_PTR(buf);
	*ret_len = len;
	return 0;
}

/* The cloud-config the plan names ("default" for the file and the built-in one). */
static int
http_config_template(struct http_req *c, const struct boot_plan *p, char **ret, size_t *ret_len,
    const char **ret_name)
{
	*ret_name = "default";
	switch (p->config_source) {
	case BOOT_CONFIG_STORED:
		*ret_name = p->config;
		return store_config_get(c->s->srv->store, p->config, ret, ret_len);
	case BOOT_CONFIG_FILE:
		return http_read_config_file(c->s->srv->cfg->def.cloud_config, ret, ret_len);
	default:
		if ((*ret = strdup(http_config_none)) == NULL)
			return -ENOMEM;
		*ret_len = sizeof(http_config_none) - 1;
		return 0;
	}
}

static void
http_route_config(struct http_req *c, const struct http_route *rt)
{
	_cleanup_free_ char *tmpl = NULL, *out = NULL;
	struct cloud_config_vars vars = {.image = NULL};
	_cleanup_(boot_plan_done) struct boot_plan plan = {.cmdline = NULL};
	struct progress_event ev;
	const char *name = "default";
	size_t tlen = 0, olen = 0;
	int r;

	c->artifact = true;
	r = http_decide(c, rt->mac, BOOT_SERVICE_CONFIG, &plan);
	if (r >= 0)
		r = http_config_template(c, &plan, &tmpl, &tlen, &name);
	if (r < 0) {
		const char *file = c->s->srv->cfg->def.cloud_config;

		log_warn(NULL, "Cannot read the cloud-config \"%s\" for %s: %s, answering 404",
		    strcmp(name, "default") != 0 || file == NULL ? name : file, c->client,
		    strerror(-r));
		http_reply_error(c, 404, "Not Found");
		return;
	}
	memcpy(vars.mac, rt->mac, MAC_LEN);
	vars.image = plan.image[0] != '\0' ? plan.image : NULL;
	r = cloud_config_render(tmpl, tlen, &vars, CLOUD_CONFIG_RENDER_MAX, &out, &olen);
	if (r < 0) {
		log_err(NULL, "Cannot render the cloud-config \"%s\": %s", name, strerror(-r));
		http_reply_error(c, 500, "Internal Server Error");
		return;
	}
	http_reply_text(c, 200, "OK", CTYPE_TEXT, out, olen);
	http_event_init(c, PROGRESS_CONFIG, name, &ev);
	ev.bytes = ev.total = olen;
	ev.complete = true;
	http_progress(c->s, &ev, vars.image);
}

static void
http_dispatch(struct http_req *c, const struct http_route *rt)
{
	switch (rt->kind) {
	case HTTP_ROUTE_HEALTHZ:
		http_reply_text(c, 200, "OK", CTYPE_TEXT, "ok\n", 3);
		break;
	case HTTP_ROUTE_BOOT:
		http_route_boot(c, rt);
		break;
	case HTTP_ROUTE_IPXE:
		c->mac = rt->mac;
		http_route_ipxe(c, rt);
		break;
	case HTTP_ROUTE_IMAGE:
		http_route_image(c, rt);
		break;
	case HTTP_ROUTE_CONFIG:
		c->mac = rt->mac;
		http_route_config(c, rt);
		break;
	}
}

/* A handler's path, with or without a query string. */
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
	evhttp_add_header(evhttp_request_get_output_headers(c->req), "Content-Type", ctype);
	http_send(c, 200, "OK", body, evbuffer_get_length(body));
	evbuffer_free(body);
}

static void
http_handle(struct evhttp_request *req, void *arg)
{
	struct http_req c = {.s = arg, .req = req, .path = evhttp_request_get_uri(req)};
	enum evhttp_cmd_type cmd = evhttp_request_get_command(req);
	struct evhttp_connection *evcon = evhttp_request_get_connection(req);
	const struct http_handler *h;
	struct http_route rt;
	char *host = NULL;
	ev_uint16_t port = 0;
	int r;

	if (evcon != NULL)
		evhttp_connection_get_peer(evcon, &host, &port);
	snprintf(c.client, sizeof(c.client), "%s", host ? host : "?");
	if (host == NULL || inet_pton(AF_INET, host, &c.addr) != 1)
		c.addr.s_addr = htonl(INADDR_ANY);
	c.head = cmd == EVHTTP_REQ_HEAD;
	if (c.path == NULL)
		c.path = "";
	if (cmd != EVHTTP_REQ_GET && cmd != EVHTTP_REQ_HEAD) {
		evhttp_add_header(evhttp_request_get_output_headers(req), "Allow", "GET, HEAD");
		http_reply_error(&c, 405, "Method Not Allowed");
		return;
	}
	if ((h = http_find_handler(c.s, c.path)) != NULL) {
		http_reply_handler(&c, h);
		return;
	}
	r = http_route_parse(c.path, strlen(c.path), &rt);
	if (r == -ENOENT) {
		http_reply_error(&c, 404, "Not Found");
		return;
	}
	if (r < 0) {
		http_reply_error(&c, 400, "Bad Request");
		return;
	}
	http_dispatch(&c, &rt);
	if (c.xfer != NULL && c.xfer->evcon == NULL)
		http_xfer_free(c.xfer); /* not sent (HEAD, an error, an empty body) */
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
	log_info(NULL, "HTTP server listening on port %u (%zu socket%s, at most %u connections)",
	    srv->cfg->http.port, s->n_socks, s->n_socks == 1 ? "" : "s", s->max_connections);
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
	if (s->http != NULL)
		evhttp_free(s->http); /* frees the bound sockets and connections */
	while (!LIST_EMPTY(&s->xfers))
		http_xfer_free(LIST_FIRST(&s->xfers));
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
