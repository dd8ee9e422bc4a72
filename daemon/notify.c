/*
 * The systemd notification protocol (see notify.h).
 */
#include "notify.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <systemd/sd-daemon.h>

#include "log.h"
#include "metrics.h"

#define STATUS_INTERVAL_S 5

/* Send 'state' (may be NULL) with STATUS=; with no state only when the summary changed. */
void
notify_with_status(struct notifier *n, const char *state)
{
	char line[sizeof(n->last)];

	if (getenv("NOTIFY_SOCKET") == NULL)
		return;
	metrics_status_line(n->srv, line, sizeof(line));
	if (state == NULL && strcmp(line, n->last) == 0)
		return;
	memcpy(n->last, line, sizeof(line));
	sd_notifyf(0, "%s%sSTATUS=%s", state != NULL ? state : "", state != NULL ? "\n" : "", line);
}

static void
on_watchdog(evutil_socket_t fd, short what, void *arg)
{
	(void)fd, (void)what, (void)arg;
	sd_notify(0, "WATCHDOG=1");
}

static void
on_status(evutil_socket_t fd, short what, void *arg)
{
	(void)fd, (void)what;
	notify_with_status(arg, NULL);
}

static struct event *
periodic_new(struct event_base *base, event_callback_fn fn, void *arg, uint64_t usec)
{
	struct timeval tv = {.tv_sec = (time_t)(usec / 1000000), .tv_usec = (long)(usec % 1000000)};
	struct event *ev = event_new(base, -1, EV_PERSIST, fn, arg);

	if (ev != NULL && event_add(ev, &tv) < 0) {
		event_free(ev);
		return NULL;
	}
	return ev;
}

/* Only under a service manager (NOTIFY_SOCKET): timers for WATCHDOG= and STATUS=. */
int
notify_start(struct notifier *n)
{
	uint64_t usec = 0;
	int r;

	if (getenv("NOTIFY_SOCKET") == NULL)
		return 0;
	r = sd_watchdog_enabled(0, &usec);
	if (r < 0)
		log_warn(NULL, "Cannot read WATCHDOG_USEC: %s, ignoring", strerror(-r));
	if (r > 0) {
		n->watchdog = periodic_new(n->srv->base, on_watchdog, NULL, usec / 2);
		if (n->watchdog == NULL)
			return -ENOMEM;
		log_debug(NULL, "Watchdog: pinging systemd every %" PRIu64 " ms", usec / 2000);
	}
	n->status = periodic_new(n->srv->base, on_status, n, STATUS_INTERVAL_S * 1000000ULL);
	return n->status != NULL ? 0 : -ENOMEM;
}

void
notify_stop(struct notifier *n)
{
	if (n->watchdog != NULL)
		event_free(n->watchdog);
	if (n->status != NULL)
		event_free(n->status);
	n->watchdog = n->status = NULL;
}

void
notify_reloading(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	sd_notifyf(0, "RELOADING=1\nMONOTONIC_USEC=%" PRIu64,
	    (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000);
}
