/*
 * /ui/events (ui.h): Server-Sent Events on a chunked reply kept open.
 *
 * The streams share one progress subscription and one syslog subscription,
 * held while there is a stream: each event is rendered once and appended
 * to every stream's connection.  A stream ends when its connection closes
 * (ui_streams_closed(), from the HTTP server's close callback; evhttp then
 * hands us the request to free), when its client stops reading (dropped:
 * its connection freed), or when the server stops (ui_streams_free(), then
 * evhttp frees the connections and their requests).
 *
 * Messages:
 *   event: boot    data: {"event": <as netbootctl watch>, "machine": <as in /ui/state>|null}
 *   event: log     data: {"mac", "time", "severity", "hostname", "app", "msg"}
 *   : heartbeat    (a comment, every UI_HEARTBEAT seconds)
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <sys/socket.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "cmd.h"
#include "http-internal.h"
#include "log.h"
#include "progress.h"
#include "syslog-recv.h"
#include "ui.h"

struct ui_stream {
	LIST_ENTRY(ui_stream) link;
	struct evhttp_request *req;
	struct evhttp_connection *evcon;
	struct in_addr addr; /* the client, for http.ui_allow */
	char client[INET6_ADDRSTRLEN];
};

struct ui_streams {
	struct http_server *s;
	LIST_HEAD(, ui_stream) list;
	unsigned n;
	struct progress_sub *boot;
	struct syslog_sub *logs;
	struct event *beat;
};

static void
stream_free(struct ui_streams *u, struct ui_stream *st)
{
	LIST_REMOVE(st, link);
	u->n--;
	free(st);
	if (u->n == 0) { /* nobody listens: stop rendering */
		progress_unsubscribe(u->boot);
		syslog_unsubscribe(u->logs);
		u->boot = NULL, u->logs = NULL;
		event_del(u->beat);
	}
}

/* End a stream at once: its client is too slow, or no longer allowed. */
static void
stream_drop(struct ui_streams *u, struct ui_stream *st, const char *why)
{
	struct evhttp_connection *evcon = st->evcon;

	log_info(NULL, "Dropping the status page's event stream of %s: %s", st->client, why);
	stream_free(u, st); /* first: the close callback then finds nothing */
	evhttp_connection_free(evcon);
}

/* Append 'msg' to every stream that may still have it; drop those that cannot take it. */
static void
broadcast(struct ui_streams *u, const char *msg, size_t len)
{
	const struct config *cfg = u->s->srv->cfg;
	struct ui_stream *st, *next;

	for (st = LIST_FIRST(&u->list); st != NULL; st = next) {
		struct bufferevent *bev = evhttp_connection_get_bufferevent(st->evcon);
		size_t queued = bev ? evbuffer_get_length(bufferevent_get_output(bev)) : 0;
		struct evbuffer *chunk;

		next = LIST_NEXT(st, link);
		if (!cfg->http.ui || !config_ui_allowed(cfg, st->addr)) {
			stream_drop(u, st, "not allowed by http.ui and http.ui_allow any more");
			continue;
		}
		if (queued + len > UI_STREAM_BUF_MAX) {
			stream_drop(u, st, "it does not read (its output buffer is full)");
			continue;
		}
		if ((chunk = evbuffer_new()) == NULL)
			continue; /* this message is lost for it */
		if (evbuffer_add(chunk, msg, len) < 0) {
			evbuffer_free(chunk);
			continue;
		}
		evhttp_send_reply_chunk(st->req, chunk);
		evbuffer_free(chunk);
	}
}

/* "event: NAME\ndata: JSON\n\n" to every stream (cJSON's unformatted JSON has no newline). */
static void
broadcast_json(struct ui_streams *u, const char *name, cJSON *data)
{
	char *json = data != NULL ? cJSON_PrintUnformatted(data) : NULL;
	char *msg = NULL;
	int n;

	if (json != NULL && (n = asprintf(&msg, "event: %s\ndata: %s\n\n", name, json)) > 0)
		broadcast(u, msg, (size_t)n);
	free(msg);
	free(json);
	cJSON_Delete(data);
}

static void
on_boot(const struct progress_event *ev, void *userdata)
{
	struct ui_streams *u = userdata;
	struct server *srv = u->s->srv;
	cJSON *o = cJSON_CreateObject();

	if (o == NULL || !cJSON_AddItemToObject(o, "event", cmd_event_to_json(ev)) ||
	    !cJSON_AddItemToObject(
	        o, "machine", ev->has_mac ? ui_machine_json(srv, ev->mac) : cJSON_CreateNull())) {
		cJSON_Delete(o);
		return;
	}
	broadcast_json(u, "boot", o);
}

static void
on_log(const struct syslog_line *l, void *userdata)
{
	char mac[MAC_STRLEN];
	cJSON *o = cJSON_CreateObject();
	bool ok;

	mac_format(l->mac, ':', mac);
	ok = o != NULL && cJSON_AddStringToObject(o, "mac", mac) &&
	     cJSON_AddNumberToObject(o, "time", (double)l->time_ms) &&
	     cJSON_AddStringToObject(o, "severity", syslog_severity_name(l->m.severity)) &&
	     cJSON_AddItemToObject(
	         o, "hostname", cmd_json_str_or_null(l->m.hostname[0] ? l->m.hostname : NULL)) &&
	     cJSON_AddItemToObject(o, "app", cmd_json_str_or_null(l->m.app[0] ? l->m.app : NULL)) &&
	     cJSON_AddStringToObject(o, "msg", l->m.msg);
	if (!ok) {
		cJSON_Delete(o);
		return;
	}
	broadcast_json(userdata, "log", o);
}

static void
on_beat(evutil_socket_t fd, short what, void *arg)
{
	static const char beat[] = ": heartbeat\n\n";

	(void)fd;
	(void)what;
	broadcast(arg, beat, sizeof(beat) - 1);
}

static struct ui_streams *
streams_get(struct http_server *s)
{
	struct ui_streams *u = s->ui;

	if (u != NULL)
		return u;
	if ((u = calloc(1, sizeof(*u))) == NULL)
		return NULL;
	u->s = s;
	LIST_INIT(&u->list);
	u->beat = event_new(s->srv->base, -1, EV_PERSIST, on_beat, u);
	if (u->beat == NULL) {
		free(u);
		return NULL;
	}
	return s->ui = u;
}

/* The first stream: subscribe, start the heartbeat. */
static int
streams_listen(struct ui_streams *u)
{
	struct server *srv = u->s->srv;
	struct timeval tv = {UI_HEARTBEAT, 0};

	if (u->boot == NULL && progress_subscribe(srv->progress, NULL, on_boot, u, &u->boot) < 0)
		return -ENOMEM;
	if (u->logs == NULL && srv->syslog != NULL &&
	    syslog_subscribe(srv->syslog, NULL, on_log, u, &u->logs) < 0)
		return -ENOMEM;
	if (!evtimer_pending(u->beat, NULL))
		evtimer_add(u->beat, &tv);
	return 0;
}

/* Headers of the stream; no read timeout (the client never sends), the write timeout stays. */
static void
stream_begin(struct http_req *c, struct ui_stream *st)
{
	static const char hello[] = "retry: 3000\n: netbootd status events\n\n";
	struct evkeyvalq *h = evhttp_request_get_output_headers(c->req);
	unsigned t = c->s->srv->cfg->http.timeout ? c->s->srv->cfg->http.timeout : 60;
	struct timeval wtv = {(time_t)t, 0};
	struct bufferevent *bev = evhttp_connection_get_bufferevent(st->evcon);
	struct evbuffer *chunk = evbuffer_new();

	evhttp_add_header(h, "Content-Type", "text/event-stream; charset=utf-8");
	evhttp_add_header(h, "X-Accel-Buffering", "no");
	c->s->stats->responses[1]++;
	evhttp_send_reply_start(c->req, 200, "OK");
	if (bev != NULL) {
		int fd = bufferevent_getfd(bev), sndbuf = UI_STREAM_SNDBUF;

		bufferevent_set_timeouts(bev, NULL, &wtv);
		/* The kernel's share of a stuck client stays small too. */
		if (fd >= 0)
			(void)setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
	}
	if (chunk == NULL)
		return;
	if (evbuffer_add(chunk, hello, sizeof(hello) - 1) == 0)
		evhttp_send_reply_chunk(c->req, chunk);
	evbuffer_free(chunk);
}

void
ui_stream_start(struct http_req *c)
{
	struct evhttp_connection *evcon;
	struct ui_streams *u = streams_get(c->s);
	struct ui_stream *st;

	if (c->req == NULL) { /* the fast path gives the status page's requests to evhttp */
		http_reply_error(c, 500, "Internal Server Error");
		return;
	}
	evcon = evhttp_request_get_connection(c->req);
	evhttp_add_header(evhttp_request_get_output_headers(c->req), "Cache-Control", "no-store");
	if (c->head) {
		evhttp_add_header(evhttp_request_get_output_headers(c->req), "Content-Type",
		    "text/event-stream; charset=utf-8");
		http_reply_send(c, 200, "OK", NULL, 0);
		return;
	}
	if (u != NULL && u->n >= UI_MAX_STREAMS) {
		log_debug(NULL, "Refusing an event stream to %s: %u streams already", c->client,
		    UI_MAX_STREAMS);
		evhttp_add_header(evhttp_request_get_output_headers(c->req), "Retry-After", "10");
		http_reply_error(c, 503, "Service Unavailable");
		return;
	}
	if (u == NULL || evcon == NULL || streams_listen(u) < 0 ||
	    (st = calloc(1, sizeof(*st))) == NULL) {
		http_reply_error(c, 500, "Internal Server Error");
		return;
	}
	*st = (struct ui_stream){.req = c->req, .evcon = evcon, .addr = c->addr};
	snprintf(st->client, sizeof(st->client), "%s", c->client);
	LIST_INSERT_HEAD(&u->list, st, link);
	u->n++;
	log_debug(NULL, "Event stream of the status page opened by %s (%u open)", c->client, u->n);
	stream_begin(c, st);
}

void
ui_streams_closed(struct http_server *s, struct evhttp_connection *evcon)
{
	struct ui_streams *u = s->ui;
	struct ui_stream *st;

	if (u == NULL)
		return;
	LIST_FOREACH(st, &u->list, link)
	if (st->evcon == evcon)
		break;
	if (st == NULL)
		return;
	struct evhttp_request *req = st->req;

	log_debug(NULL, "Event stream of the status page closed by %s", st->client);
	stream_free(u, st);
	/* A failed connection (EOF, timeout) gives the unfinished request back to us. */
	if (evhttp_request_get_connection(req) == NULL)
		evhttp_send_reply_end(req); /* frees it */
}

void
ui_streams_free(struct ui_streams *u)
{
	if (u == NULL)
		return;
	while (!LIST_EMPTY(&u->list))
		stream_free(u, LIST_FIRST(&u->list));
	progress_unsubscribe(u->boot);
	syslog_unsubscribe(u->logs);
	if (u->beat != NULL)
		event_free(u->beat);
	free(u);
}
