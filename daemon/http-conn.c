/*
 * HTTP connections one by one (see http-internal.h): who holds them, and
 * how long each may take to send its request.
 *
 * Admission.  Right after the accept, once evhttp has made the connection
 * (http.c's resolve event), it is refused, with a 503 and a close, when its
 * address holds http.max_connections_per_address connections already, or
 * when the address holds any and no more than an eighth of
 * http.max_connections is left: those slots are kept for addresses that hold
 * none.  So one address, or a few, cannot lock the others out.  At the cap
 * itself accepting pauses (http.c).
 *
 * Header deadline.  From the accept, and from the first byte of each later
 * request on a kept-alive connection, a client has http.header_timeout
 * seconds to send the whole request (headers and the small body of a
 * report), as nginx's client_header_timeout; then the connection is closed.
 * A client sending a byte a second no longer holds a slot for minutes.  The
 * first byte is seen by a callback on the connection's input buffer, the
 * whole request when evhttp hands it to http_handle().  An idle kept-alive
 * connection is closed by evhttp's own inactivity timeout, http.timeout.
 *
 * The connections are found by their descriptor: evhttp keeps no pointer of
 * ours, and the close callback runs before the descriptor is closed.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>

#include "http-internal.h"
#include "log.h"

#define HTTP_RESERVED_SHARE 8 /* 1/8 of the slots are kept for addresses that hold none */

static const char refusal[] = "HTTP/1.1 503 Service Unavailable\r\n"
                              "Content-Type: text/plain; charset=utf-8\r\n"
                              "Content-Length: 24\r\n"
                              "Retry-After: 5\r\n"
                              "Connection: close\r\n\r\n"
                              "503 Too many connections";

static struct http_conn *
conn_find(const struct http_server *s, struct evhttp_connection *evcon)
{
	struct bufferevent *bev = evcon ? evhttp_connection_get_bufferevent(evcon) : NULL;
	int fd = bev ? bufferevent_getfd(bev) : -1;

	if (fd < 0 || (size_t)fd >= s->cap_conns || s->conns[fd] == NULL ||
	    s->conns[fd]->evcon != evcon)
		return NULL;
	return s->conns[fd];
}

static unsigned
conn_count(const struct http_server *s, struct in_addr a)
{
	unsigned n = 0;

	for (size_t i = 0; i < s->cap_conns; i++)
		if (s->conns[i] != NULL && s->conns[i]->addr.s_addr == a.s_addr)
			n++;
	return n;
}

/* http.header_timeout may change on reload: a common timeout of that length. */
static const struct timeval *
conn_deadline(struct http_server *s)
{
	unsigned t = s->srv->cfg->http.header_timeout ? s->srv->cfg->http.header_timeout
	                                              : HTTP_DEFAULT_HEADER_TIMEOUT;

	if (t != s->deadline_secs || s->deadline_tv == NULL) {
		s->deadline_plain = (struct timeval){(time_t)t, 0};
		s->deadline_tv = event_base_init_common_timeout(s->srv->base, &s->deadline_plain);
		if (s->deadline_tv == NULL)
			s->deadline_tv = &s->deadline_plain;
		s->deadline_secs = t;
	}
	return s->deadline_tv;
}

static void
conn_deadline_cb(evutil_socket_t fd, short what, void *arg)
{
	struct http_conn *k = arg;
	struct http_server *s = k->s;
	struct bufferevent *bev = evhttp_connection_get_bufferevent(k->evcon);

	(void)fd;
	(void)what;
	if (bev != NULL && evbuffer_get_length(bufferevent_get_output(bev)) > 0) {
		/* a response is on its way: the next request waits behind it */
		evtimer_add(&k->deadline, conn_deadline(s));
		return;
	}
	s->stats->header_timeouts++;
	http_summary_timeout(s);
	evhttp_connection_free(k->evcon); /* its close callback frees k */
}

/* Bytes came in: when they begin a request, its deadline starts. */
static void
conn_input_cb(struct evbuffer *buf, const struct evbuffer_cb_info *info, void *arg)
{
	struct http_conn *k = arg;

	(void)buf;
	if (info->n_added > 0)
		http_conn_request_begun(k);
}

static int
conn_slot(struct http_server *s, int fd)
{
	if ((size_t)fd >= s->cap_conns) {
		size_t cap = s->cap_conns ? s->cap_conns : 64;
		struct http_conn **p;

		while (cap <= (size_t)fd)
			cap *= 2;
		p = reallocarray(s->conns, cap, sizeof(*p));
		if (p == NULL)
			return -ENOMEM;
		memset(p + s->cap_conns, 0, (cap - s->cap_conns) * sizeof(*p));
		s->conns = p;
		s->cap_conns = cap;
	}
	return 0;
}

static struct in_addr
conn_peer(struct evhttp_connection *evcon)
{
	const struct sockaddr *sa = evhttp_connection_get_addr(evcon);
	struct in_addr a = {htonl(INADDR_ANY)};

	if (sa != NULL && sa->sa_family == AF_INET)
		a = ((const struct sockaddr_in *)sa)->sin_addr;
	return a;
}

/* -1 when admitted, else the reason to refuse (0: per address, 1: reserved). */
static int
conn_verdict(const struct http_server *s, struct in_addr a)
{
	const struct config *c = s->srv->cfg;
	unsigned per = c->http.max_connections_per_address ? c->http.max_connections_per_address
	                                                   : HTTP_DEFAULT_MAX_PER_ADDRESS;
	unsigned reserved = s->max_connections / HTTP_RESERVED_SHARE;
	unsigned held = conn_count(s, a);

	if (held >= per)
		return 0;
	if (held > 0 && s->n_conns + reserved >= s->max_connections)
		return 1;
	return -1;
}

static void
conn_refuse(
    struct http_server *s, struct evhttp_connection *evcon, int fd, int reason, struct in_addr a)
{
	ssize_t n = send(fd, refusal, sizeof(refusal) - 1, MSG_DONTWAIT | MSG_NOSIGNAL);

	(void)n; /* a refusal is told if it can be */
	if (reason == 0)
		s->stats->refused_per_address++;
	else
		s->stats->refused_reserved++;
	http_summary_refused(s, reason, a);
	evhttp_connection_free(evcon);
}

int
http_conn_admit(struct http_server *s, struct evhttp_connection *evcon)
{
	struct bufferevent *bev = evhttp_connection_get_bufferevent(evcon);
	int fd = bev ? bufferevent_getfd(bev) : -1, reason;
	struct in_addr a = conn_peer(evcon);
	struct http_conn *k;

	if ((reason = conn_verdict(s, a)) >= 0) {
		conn_refuse(s, evcon, fd, reason, a);
		return -EBUSY;
	}
	if (fd < 0 || conn_slot(s, fd) < 0 || (k = calloc(1, sizeof(*k))) == NULL)
		return 0; /* served, without a deadline */
	*k = (struct http_conn){.s = s, .evcon = evcon, .addr = a, .fd = fd, .waiting = true};
	k->input = bufferevent_get_input(bev);
	k->input_cb = evbuffer_add_cb(k->input, conn_input_cb, k);
	evtimer_assign(&k->deadline, s->srv->base, conn_deadline_cb, k);
	evtimer_add(&k->deadline, conn_deadline(s));
	s->conns[fd] = k;
	s->n_conns++;
	(void)http_fast_attach(k); /* without it, evhttp answers everything */
	return 0;
}

void
http_conn_request_done(struct http_conn *k)
{
	k->waiting = false;
	evtimer_del(&k->deadline);
}

void
http_conn_request_begun(struct http_conn *k)
{
	if (!k->waiting) {
		k->waiting = true;
		evtimer_add(&k->deadline, conn_deadline(k->s));
	}
}

void
http_conn_request(struct http_server *s, struct evhttp_connection *evcon)
{
	struct http_conn *k = conn_find(s, evcon);

	if (k != NULL)
		http_conn_request_done(k);
}

/*
 * evhttp queues a response and writes it when the loop next reports the
 * socket writable: one more epoll_wait per request, and the response leaves
 * later.  The socket is nearly always writable, so write what we can at
 * once: one write, bounded (a file body's sendfile chains are left to the
 * loop), with the output buffer unfrozen as bufferevent_sock.c does around
 * its own writes.  When nothing is left, run the write callback as the loop
 * would (evhttp then completes the request and starts reading the next);
 * on EAGAIN or an error the loop's write event, still pending, takes over.
 */
void
http_conn_flush(struct evhttp_connection *evcon)
{
	struct bufferevent *bev = evhttp_connection_get_bufferevent(evcon);
	struct evbuffer *out = bev ? bufferevent_get_output(bev) : NULL;
	int fd = bev ? bufferevent_getfd(bev) : -1;
	int n;

	if (out == NULL || fd < 0 || evbuffer_get_length(out) == 0 ||
	    !(bufferevent_get_enabled(bev) & EV_WRITE))
		return;
	evbuffer_unfreeze(out, 1);
	n = evbuffer_write_atmost(out, fd, -1);
	evbuffer_freeze(out, 1);
	if (n > 0 && evbuffer_get_length(out) == 0)
		bufferevent_trigger(bev, EV_WRITE, 0);
}

static void
conn_free(struct http_server *s, struct http_conn *k)
{
	evtimer_del(&k->deadline);
	http_fast_detach(k);
	if (k->input_cb != NULL)
		evbuffer_remove_cb_entry(k->input, k->input_cb);
	s->conns[k->fd] = NULL;
	s->n_conns--;
	free(k);
}

void
http_conn_forget(struct http_server *s, struct evhttp_connection *evcon)
{
	struct http_conn *k = conn_find(s, evcon);

	if (k != NULL)
		conn_free(s, k);
}

/* After evhttp_free(): its close callbacks forgot every connection already. */
void
http_conn_free_all(struct http_server *s)
{
	for (size_t i = 0; i < s->cap_conns; i++)
		if (s->conns[i] != NULL) {
			evtimer_del(&s->conns[i]->deadline);
			http_fast_detach(s->conns[i]);
			free(s->conns[i]);
		}
	free(s->conns);
	s->conns = NULL;
	s->cap_conns = 0;
	s->n_conns = 0;
}
