/*
 * Talking to the service manager (sd_notify(3)): READY=1 with a STATUS= line
 * (metrics_status_line()), STATUS= refreshed every few seconds when it
 * changed, WATCHDOG=1 at half of WATCHDOG_USEC, RELOADING=1 on SIGHUP.  All
 * of it does nothing without NOTIFY_SOCKET.
 */
#ifndef NETBOOTD_NOTIFY_H
#define NETBOOTD_NOTIFY_H

#include <event2/event.h>

#include "server.h"

struct notifier {
	struct server *srv;
	struct event *watchdog; /* WATCHDOG=1 at half of WATCHDOG_USEC */
	struct event *status;   /* STATUS= refreshed every STATUS_INTERVAL_S when changed */
	char last[256];
};

/* Timers for WATCHDOG= and STATUS= on n->srv->base.  0 or -ENOMEM. */
int notify_start(struct notifier *n);
void notify_stop(struct notifier *n);
/* Send 'state' (may be NULL) with STATUS=; with no state only when the summary changed. */
void notify_with_status(struct notifier *n, const char *state);
/* RELOADING=1 with the MONOTONIC_USEC= the protocol asks for. */
void notify_reloading(void);

#endif
