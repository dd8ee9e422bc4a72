/*
 * The fast path of the HTTP server (see http-internal.h).  evhttp accepts
 * and admits connections as before (http-conn.c); then, while evhttp waits
 * for the first request, the connection's bufferevent calls us instead of
 * evhttp when bytes come in.  A GET or HEAD whose head
 * lib/wire/http-request.c fully understands, without a body, for anything
 * but the status page and reports, from anything but GRUB (http-linger.c),
 * is answered here through the same routes and replies as evhttp's
 * requests (http_answer): the head is parsed in the input buffer, the
 * response headers are printed once, and headers and a small body leave in
 * one write (a big body as sendfile(2) chains, by the bufferevent).  No
 * evhttp request object, no header lists, no request/response state
 * changes of the connection's events.
 *
 * The first request that is not ours (and a head that is malformed,
 * oversized or not understood) gives the connection to evhttp for good: its
 * callbacks are put back and it reads the request from the input buffer as
 * if it had seen it first, so whatever evhttp answered before, it still
 * answers the same way.
 *
 * One request at a time: the next is looked at when the response's last
 * byte left, which is when a file body's progress event is recorded.  The
 * header deadline is http-conn.c's; evhttp's own idle and write timeouts
 * (http.timeout) stay on the bufferevent.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/http.h>

#include "http-internal.h"
#include "log.h"
#include "strbuf.h"
#include "util.h"

#define FAST_HEADERS_MAX 2048 /* the response headers a route adds */

struct http_fast {
	struct http_conn *k;
	bool busy;                     /* a response is being written */
	bool detached;                 /* the connection is evhttp's */
	size_t scanned;                /* bytes of an unfinished head looked at */
	struct http_request_head head; /* of the request being answered */
	struct http_route rt;          /* its route, if it has one */
	bool has_rt;
	char *hdr; /* its response headers (fast_answer's buffer) */
	size_t hdr_len;
	bool hdr_full, has_ctype;
	bool close_after; /* the response ends the connection */
	bool corked;      /* TCP_CORK while a file body goes out */
	bool has_local;   /* local: our address on the connection, as a route asked it */
	struct in_addr local;
	uint64_t body; /* bytes of the response's body, for the byte counter */
	struct http_xfer *xfer;
	char date[40]; /* the Date header of the second date_at */
	time_t date_at;
	char client[INET_ADDRSTRLEN]; /* k->addr, printed once per connection */
};

static struct bufferevent *
fast_bev(const struct http_fast *f)
{
	return evhttp_connection_get_bufferevent(f->k->evcon);
}

/* The connection is evhttp's from now on: it reads what is in the input buffer. */
static void
fast_give_evhttp(struct http_fast *f)
{
	struct http_server *s = f->k->s;
	struct bufferevent *bev = fast_bev(f);

	f->detached = true;
	bufferevent_setcb(bev, s->ev_readcb, s->ev_writecb, s->ev_eventcb, f->k->evcon);
	s->ev_readcb(bev, f->k->evcon); /* may free the connection, and f */
}

static bool
slice_starts(struct http_slice v, const char *prefix)
{
	size_t n = strlen(prefix);

	return v.len >= n && memcmp(v.p, prefix, n) == 0;
}

/* Whether the request is one the fast path answers; f->rt is its route when f->has_rt. */
static bool
fast_ours(struct http_fast *f)
{
	const struct http_request_head *h = &f->head;
	struct http_route *rt = &f->rt;

	f->has_rt = false;
	if (h->method == HTTP_METHOD_OTHER || h->has_body || h->expect)
		return false;
	if (h->has_user_agent && slice_starts(h->user_agent, "GRUB"))
		return false; /* its connections linger (http-linger.c) */
	if (http_route_parse(h->target.p, h->target.len, rt) == 0) {
		f->has_rt = true;
		switch (rt->kind) {
		case HTTP_ROUTE_REPORT:
		case HTTP_ROUTE_UI_REDIRECT:
		case HTTP_ROUTE_UI_FILE:
		case HTTP_ROUTE_UI_STATE:
		case HTTP_ROUTE_UI_EVENTS:
			return false;
		default:
			break;
		}
	}
	return true;
}

/* Write what the socket takes now, as http_conn_flush does for evhttp. */
static void
fast_write_now(struct bufferevent *bev)
{
	struct evbuffer *out = bufferevent_get_output(bev);

	evbuffer_unfreeze(out, 1);
	(void)evbuffer_write_atmost(out, bufferevent_getfd(bev), -1);
	evbuffer_freeze(out, 1);
}

/* TCP_CORK on or off; f->corked says which it is. */
static void
fast_cork(struct http_fast *f, bool on)
{
	int v = on;

	if (setsockopt(f->k->fd, IPPROTO_TCP, TCP_CORK, &v, sizeof(v)) == 0)
		f->corked = on;
}

/*
 * The response left whole: count it; false when the connection was closed
 * (Connection: close), and f with it.
 */
static bool
fast_sent(struct http_fast *f)
{
	if (f->corked)
		fast_cork(f, false); /* the last partial segment leaves now */
	f->busy = false;
	if (f->xfer != NULL)
		http_reply_xfer_end(TAKE_PTR(f->xfer), 0, true);
	else
		f->k->s->stats->bytes_sent += f->body;
	f->body = 0;
	if (f->close_after) {
		evhttp_connection_free(f->k->evcon); /* its close callback frees f */
		return false;
	}
	return true;
}

/* Answer the request whose head is at p (in the input buffer). */
static void
fast_answer(struct http_fast *f, char *p)
{
	struct http_request_head *h = &f->head;
	struct http_conn *k = f->k;
	char hdr[FAST_HEADERS_MAX];
	struct http_req c = {
	    .s = k->s,
	    .fast = f,
	    .in = h,
	    .method = h->method == HTTP_METHOD_HEAD ? "HEAD" : "GET",
	    .head = h->method == HTTP_METHOD_HEAD,
	    .addr = k->addr,
	    .route = f->has_rt ? &f->rt : NULL,
	    .has_local = f->has_local,
	    .local = f->local,
	};

	/* NUL-terminated in place: the byte after each is a space, OWS or CR of the head */
	p[h->target.p - p + h->target.len] = '\0';
	if (h->has_range)
		p[h->range.p - p + h->range.len] = '\0';
	if (h->has_user_agent)
		p[h->user_agent.p - p + h->user_agent.len] = '\0';
	c.path = h->target.p;
	memcpy(c.client, f->client, sizeof(f->client));
	f->hdr = hdr;
	f->hdr_len = 0;
	f->hdr_full = f->has_ctype = false;
	f->close_after = !http_request_keep_alive(h);
	http_conn_request_done(k);
	http_linger_forget(k->s, k->evcon);
	http_answer(&c, c.head ? EVHTTP_REQ_HEAD : EVHTTP_REQ_GET);
	f->hdr = NULL;
	f->has_local = c.has_local; /* the next request of the connection asks no more */
	f->local = c.local;
	if (!c.sent) {
		f->close_after = true; /* nothing to answer with: cannot happen */
		f->busy = true;
	}
}

/*
 * Bytes came in while the connection is ours: answer each whole request
 * that is ours, until a response waits for the socket.
 */
static void
fast_read_cb(struct bufferevent *bev, void *arg)
{
	struct http_fast *f = arg;
	struct evbuffer *in = bufferevent_get_input(bev);

	while (!f->busy && !f->detached && evbuffer_get_length(in) > 0) {
		size_t len = evbuffer_get_length(in);
		ev_ssize_t n =
		    (ev_ssize_t)(len < HTTP_REQUEST_MAX_HEAD ? len : HTTP_REQUEST_MAX_HEAD);
		char *p = (char *)evbuffer_pullup(in, n);
		int r;

		if (p != NULL && f->scanned > 0 && n < HTTP_REQUEST_MAX_HEAD &&
		    memchr(p + f->scanned, '\n', (size_t)n - f->scanned) == NULL)
			r = 0; /* no line ended since the last look: the head cannot have */
		else
			r = p ? http_request_head_parse(p, (size_t)n, &f->head) : -ENOMEM;
		if (r == 0) {
			f->scanned = (size_t)n;
			http_conn_request_begun(f->k); /* the rest of the head has its deadline */
			return;
		}
		f->scanned = 0;
		if (r < 0 || !fast_ours(f)) {
			fast_give_evhttp(f);
			return;
		}
		f->busy = true;
		fast_answer(f, p);
		evbuffer_drain(in, (size_t)r);
		fast_write_now(bev);
		if (evbuffer_get_length(bufferevent_get_output(bev)) > 0) {
			bufferevent_enable(bev, EV_WRITE); /* the rest when the socket takes it */
			return;
		}
		if (!fast_sent(f))
			return;
	}
}

static void
fast_write_cb(struct bufferevent *bev, void *arg)
{
	struct http_fast *f = arg;

	if (!f->busy || evbuffer_get_length(bufferevent_get_output(bev)) > 0)
		return;
	bufferevent_disable(bev, EV_WRITE);
	if (fast_sent(f))
		fast_read_cb(bev, f); /* a request sent behind it */
}

static void
fast_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct http_fast *f = arg;

	f->k->s->ev_eventcb(
	    bev, what, f->k->evcon); /* evhttp closes it; its close callback frees f */
}

int
http_fast_attach(struct http_conn *k)
{
	struct http_server *s = k->s;
	struct bufferevent *bev = evhttp_connection_get_bufferevent(k->evcon);
	bufferevent_data_cb readcb = NULL, writecb = NULL;
	bufferevent_event_cb eventcb = NULL;
	struct http_fast *f;

	if (bev == NULL)
		return -EINVAL;
	bufferevent_getcb(bev, &readcb, &writecb, &eventcb, NULL);
	if (s->ev_readcb == NULL) {
		s->ev_readcb = readcb;
		s->ev_writecb = writecb;
		s->ev_eventcb = eventcb;
	}
	/* evhttp waits for a first request: its callbacks are the ones it always sets then */
	if (readcb == NULL || readcb != s->ev_readcb || writecb != s->ev_writecb ||
	    eventcb != s->ev_eventcb || evbuffer_get_length(bufferevent_get_input(bev)) > 0)
		return -EBUSY;
	if ((f = calloc(1, sizeof(*f))) == NULL)
		return -ENOMEM;
	f->k = k;
	inet_ntop(AF_INET, &k->addr, f->client, sizeof(f->client));
	k->fast = f;
	bufferevent_setcb(bev, fast_read_cb, fast_write_cb, fast_event_cb, f);
	return 0;
}

void
http_fast_detach(struct http_conn *k)
{
	free(TAKE_PTR(k->fast)); /* its xfer is in s->xfers, ended by the close callback */
}

int
http_fast_fd(const struct http_fast *f)
{
	return f->k->fd;
}

struct evhttp_connection *
http_fast_evcon(const struct http_fast *f)
{
	return f->k->evcon;
}

const char *
http_fast_header(const struct http_req *c, const char *name)
{
	const struct http_request_head *h = c->in;

	if (strcasecmp(name, "Range") == 0)
		return h->has_range ? h->range.p : NULL;
	if (strcasecmp(name, "User-Agent") == 0)
		return h->has_user_agent ? h->user_agent.p : NULL;
	if (strcasecmp(name, "If-Range") == 0)
		return h->if_range ? "" : NULL;
	return NULL;
}

void
http_fast_add_header(struct http_fast *f, const char *name, const char *value)
{
	struct strbuf sb;

	if (f->hdr == NULL || f->hdr_full || strpbrk(value, "\r\n") != NULL)
		return; /* as evhttp_add_header, no header that would split the block */
	sb = (struct strbuf)STRBUF_FIXED(f->hdr + f->hdr_len, FAST_HEADERS_MAX - f->hdr_len);
	sb_printf(&sb, "%s: %s\r\n", name, value);
	if (sb.error != 0) {
		f->hdr_full = true;
		return;
	}
	f->hdr_len += sb.len;
	if (strcasecmp(name, "Content-Type") == 0)
		f->has_ctype = true;
}

void
http_fast_xfer(struct http_fast *f, struct http_xfer *x)
{
	f->xfer = x;
}

static const char *
fast_date(struct http_fast *f)
{
	time_t now = time(NULL);
	struct tm tm;

	if (now != f->date_at && gmtime_r(&now, &tm) != NULL &&
	    strftime(f->date, sizeof(f->date), "%a, %d %b %Y %H:%M:%S GMT", &tm) > 0)
		f->date_at = now;
	return f->date;
}

void
http_fast_send(
    struct http_req *c, int code, const char *reason, struct evbuffer *body, uint64_t len)
{
	struct http_fast *f = c->fast;
	struct evbuffer *out = bufferevent_get_output(fast_bev(f));
	char buf[FAST_HEADERS_MAX + 256];
	struct strbuf head = STRBUF_FIXED(buf, sizeof(buf));
	bool keep = !f->close_after;

	if (f->hdr_full) { /* a route's headers that do not fit: nothing of them */
		code = 500;
		reason = "Internal Server Error";
		body = NULL;
		len = 0;
		f->hdr_len = 0;
		if (f->xfer != NULL)
			http_reply_xfer_free(TAKE_PTR(f->xfer));
	}
	sb_printf(
	    &head, "HTTP/1.%u %d %s\r\nDate: %s\r\n", f->head.minor, code, reason, fast_date(f));
	sb_add(&head, f->hdr != NULL ? f->hdr : "", f->hdr_len);
	if (code != 204) /* RFC 9110 8.6: none in a 204 */
		sb_printf(&head, "Content-Length: %" PRIu64 "\r\n", len);
	if (!f->has_ctype && code != 204)
		sb_printf(&head, "Content-Type: %s\r\n", CTYPE_TEXT);
	if (!keep)
		sb_str(&head, "Connection: close\r\n");
	else if (f->head.minor == 0)
		sb_str(&head, "Connection: keep-alive\r\n");
	sb_add(&head, "\r\n", 2);
	/* the route's headers are under FAST_HEADERS_MAX; ours, with a reason of http-reply.c, under 256 */
	evbuffer_add(out, head.p, head.len);
	f->body = 0;
	if (body != NULL && !c->head) {
		f->body = len;
		/*
		 * A file body goes out in sendfile(2) chains of HTTP_FILE_CHUNK:
		 * corked, each chain's last segment waits to be filled by the next
		 * instead of leaving short (TCP_NODELAY pushes it otherwise).
		 */
		if (len > HTTP_SMALL_BODY)
			fast_cork(f, true);
		evbuffer_add_buffer(out, body);
	}
}
