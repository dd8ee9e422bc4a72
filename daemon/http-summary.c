/*
 * The HTTP server's info log in aggregate (see http-internal.h).  Each
 * request has one line at debug (http-reply.c); at info, a window of
 * HTTP_SUMMARY_SECS opens with the first event after a quiet spell, and
 * when it ends one line tells how many requests it saw by status code, one
 * warning how many connections were refused, one how many were closed at
 * the header deadline.  A flood is then a few lines every ten seconds, not
 * two per request, and an idle server logs nothing.
 *
 * The lines about one client (boot progress, a refused script) stay at
 * info, once per client and event in a window: a repeat is said at debug
 * and counted in the summary.  The events themselves all go to the progress
 * recorder and `netbootctl watch` whatever the log says.
 */
#include <arpa/inet.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>

#include "clock.h"
#include "http-internal.h"
#include "log.h"
#include "util.h"

/* "1200 200, 34 404": the status codes of the window. */
static void
summary_codes(const struct http_window *w, char *buf, size_t size)
{
	size_t n = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < HTTP_SUMMARY_CODES && w->codes[i].n > 0 && n < size; i++)
		n += (size_t)snprintf(buf + n, size - n, "%s%" PRIu64 " %d", i ? ", " : "",
		    w->codes[i].n, w->codes[i].code);
	if (w->other_codes > 0 && n < size)
		snprintf(buf + n, size - n, ", %" PRIu64 " other", w->other_codes);
}

static void
summary_log(const struct http_server *s, const struct http_window *w)
{
	char codes[256], addr[INET_ADDRSTRLEN], quiet[64];
	int64_t secs = (clock_ms(CLOCK_MONOTONIC) - w->start_ms + 500) / 1000;

	if (w->requests > 0) {
		summary_codes(w, codes, sizeof(codes));
		snprintf(quiet, sizeof(quiet), ", %" PRIu64 " repeated client line%s at debug",
		    w->quiet, w->quiet == 1 ? "" : "s");
		log_info(NULL, "HTTP: %" PRIu64 " request%s in the last %d s (%s)%s", w->requests,
		    w->requests == 1 ? "" : "s", (int)secs, codes, w->quiet ? quiet : "");
	}
	if (w->refused[0] + w->refused[1] > 0) {
		inet_ntop(AF_INET, &w->refused_addr, addr, sizeof(addr));
		log_warn(NULL,
		    "HTTP: refused %" PRIu64 " connection%s in the last %d s: %" PRIu64
		    " from addresses holding http.max_connections_per_address (%u), %" PRIu64
		    " kept for addresses holding none; the last from %s",
		    w->refused[0] + w->refused[1], w->refused[0] + w->refused[1] == 1 ? "" : "s",
		    (int)secs, w->refused[0], s->srv->cfg->http.max_connections_per_address,
		    w->refused[1], addr);
	}
	if (w->timeouts > 0)
		log_info(NULL,
		    "HTTP: closed %" PRIu64 " connection%s in the last %d s that sent no whole "
		    "request within http.header_timeout (%u s)",
		    w->timeouts, w->timeouts == 1 ? "" : "s", (int)secs, s->deadline_secs);
}

static void
summary_cb(evutil_socket_t fd, short what, void *arg)
{
	struct http_server *s = arg;
	struct http_window w = s->win;

	(void)fd;
	(void)what;
	s->win = (struct http_window){0};
	summary_log(s, &w);
}

/* Something to tell: open a window unless one is open. */
static void
summary_open(struct http_server *s)
{
	struct timeval tv = {HTTP_SUMMARY_SECS, 0};

	if (s->summary_ev == NULL) {
		s->summary_ev = evtimer_new(s->srv->base, summary_cb, s);
		if (s->summary_ev == NULL)
			return;
	}
	if (!evtimer_pending(s->summary_ev, NULL)) {
		evtimer_add(s->summary_ev, &tv);
		s->win.start_ms = clock_ms(CLOCK_MONOTONIC);
	}
}

void
http_summary_response(struct http_server *s, int code)
{
	struct http_window *w = &s->win;
	size_t i;

	summary_open(s);
	w->requests++;
	for (i = 0; i < HTTP_SUMMARY_CODES && w->codes[i].n > 0; i++)
		if (w->codes[i].code == code)
			break;
	if (i == HTTP_SUMMARY_CODES) {
		w->other_codes++;
		return;
	}
	w->codes[i].code = code;
	w->codes[i].n++;
}

void
http_summary_refused(struct http_server *s, int reason, struct in_addr addr)
{
	summary_open(s);
	s->win.refused[reason ? 1 : 0]++;
	s->win.refused_addr = addr;
}

void
http_summary_timeout(struct http_server *s)
{
	summary_open(s);
	s->win.timeouts++;
}

/* FNV-1a over the address and the text. */
static uint64_t
once_key(struct in_addr client, const char *what)
{
	const uint8_t *a = (const uint8_t *)&client.s_addr;
	uint64_t h = 14695981039346656037ULL;

	for (size_t i = 0; i < sizeof(client.s_addr); i++)
		h = (h ^ a[i]) * 1099511628211ULL;
	for (const char *p = what; *p != '\0'; p++)
		h = (h ^ (uint8_t)*p) * 1099511628211ULL;
	return h | 1; /* 0 is an empty slot */
}

bool
http_summary_once(struct http_server *s, struct in_addr client, const char *what)
{
	uint64_t key = once_key(client, what);
	size_t i = key % HTTP_ONCE_SLOTS;
	int64_t now = clock_ms(CLOCK_MONOTONIC);

	if (s->once[i].key == key && now - s->once[i].at_ms < HTTP_SUMMARY_SECS * 1000) {
		summary_open(s);
		s->win.quiet++;
		return false;
	}
	s->once[i].key = key;
	s->once[i].at_ms = now;
	return true;
}

void
http_summary_free(struct http_server *s)
{
	if (s->summary_ev == NULL)
		return;
	if (evtimer_pending(s->summary_ev, NULL))
		summary_cb(-1, 0, s); /* say what the window saw */
	event_free(s->summary_ev);
	s->summary_ev = NULL;
}
