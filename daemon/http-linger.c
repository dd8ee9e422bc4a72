/*
 * GRUB's HTTP connections, closed with a reset as soon as their response is
 * acknowledged.  GRUB opens one connection per file, never closes it, and
 * uses the same TCP source ports (21550, 21551, ...) and initial sequence
 * numbers on every boot.  A machine that netboots again within a minute
 * would meet the last boot's sockets, still ESTABLISHED here (or in
 * TIME-WAIT after the idle timeout): its SYN gets a bare ACK, which GRUB
 * ignores, and after 40 SYNs (16 s) it gives up ("connection timeout"),
 * measured to fail a second boot outright.  So once the output buffer is
 * empty and the kernel says every byte was acknowledged (SIOCOUTQ 0), the
 * connection is freed with SO_LINGER 0: a reset, nothing left behind.
 */
#include <errno.h>
#include <linux/sockios.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "clock.h"
#include "http-internal.h"

#define LINGER_POLL_MS 20
#define LINGER_MAX_MS  10000 /* then it is left to the idle timeout */

struct http_linger_entry {
	struct evhttp_connection *evcon;
	int64_t deadline_ms;
};

bool
http_linger_agent(const char *ua)
{
	return ua != NULL && strncmp(ua, "GRUB", 4) == 0;
}

bool
http_linger_wanted(struct evhttp_request *req)
{
	return http_linger_agent(
	    evhttp_find_header(evhttp_request_get_input_headers(req), "User-Agent"));
}

/* Everything sent and acknowledged. */
static bool
drained(struct evhttp_connection *evcon, int *ret_fd)
{
	struct bufferevent *bev = evhttp_connection_get_bufferevent(evcon);
	int fd = bev != NULL ? bufferevent_getfd(bev) : -1, unacked = -1;

	*ret_fd = fd;
	return fd >= 0 && evbuffer_get_length(bufferevent_get_output(bev)) == 0 &&
	       ioctl(fd, SIOCOUTQ, &unacked) == 0 && unacked == 0;
}

static void
arm(struct http_server *s)
{
	struct timeval tv = {0, LINGER_POLL_MS * 1000};

	if (s->n_linger > 0 && s->linger_ev != NULL && !evtimer_pending(s->linger_ev, NULL))
		evtimer_add(s->linger_ev, &tv);
}

static void
linger_cb(evutil_socket_t fd, short what, void *arg)
{
	struct http_server *s = arg;
	int64_t now = clock_ms(CLOCK_MONOTONIC);
	size_t i = s->n_linger;

	(void)fd;
	(void)what;
	while (i-- > 0) {
		struct evhttp_connection *evcon = s->linger[i].evcon;
		struct linger lg = {.l_onoff = 1, .l_linger = 0};
		bool done = drained(evcon, &fd);

		if (!done && now < s->linger[i].deadline_ms)
			continue;
		s->linger[i] = s->linger[--s->n_linger];
		if (!done)
			continue;
		(void)setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
		s->stats->grub_resets++;
		evhttp_connection_free(evcon); /* its close callback forgets nothing more */
	}
	arm(s);
}

void
http_linger_add(struct http_server *s, struct evhttp_connection *evcon)
{
	struct http_linger_entry *p;

	if (s->freeing || evcon == NULL)
		return;
	http_linger_forget(s, evcon);
	if (s->linger_ev == NULL &&
	    (s->linger_ev = evtimer_new(s->srv->base, linger_cb, s)) == NULL)
		return;
	if (s->n_linger == s->cap_linger) {
		size_t cap = s->cap_linger ? s->cap_linger * 2 : 16;

		if ((p = reallocarray(s->linger, cap, sizeof(*p))) == NULL)
			return; /* left to the idle timeout */
		s->linger = p, s->cap_linger = cap;
	}
	s->linger[s->n_linger++] =
	    (struct http_linger_entry){evcon, clock_ms(CLOCK_MONOTONIC) + LINGER_MAX_MS};
	arm(s);
}

void
http_linger_forget(struct http_server *s, struct evhttp_connection *evcon)
{
	for (size_t i = 0; i < s->n_linger; i++)
		if (s->linger[i].evcon == evcon) {
			s->linger[i] = s->linger[--s->n_linger];
			return;
		}
}

void
http_linger_free(struct http_server *s)
{
	if (s->linger_ev != NULL)
		event_free(s->linger_ev);
	s->linger_ev = NULL;
	free(s->linger);
	s->linger = NULL;
	s->n_linger = s->cap_linger = 0;
}
