/*
 * The daemon's shared context: one event_base, the current configuration,
 * the services and the state; its lifecycle in server.c.  One thread does
 * all network I/O.
 *
 * srv->cfg is replaced on SIGHUP.  Modules read it afresh in each callback and
 * never keep pointers into it across callbacks.  A module whose listening
 * parameters changed is freed and created again by server_reload()
 * (dropping its in-flight transfers); the others keep running with the new
 * config.
 */
#ifndef NETBOOTD_SERVER_H
#define NETBOOTD_SERVER_H

#include <stdint.h>

#include <event2/event.h>

#include "config.h"
#include "loader.h"
#include "stats.h"

struct proxydhcp;
struct tftp_server;
struct http_server;
struct syslog;
struct control_server;
struct progress;
struct store;
struct import;
struct replicate;
struct progress_sub;

/*
 * Event priorities (libevent: 0 runs first).  ProxyDHCP answers before any
 * other work: a DHCP reply costs microseconds, and a firmware waiting for one
 * must not wait behind TFTP and HTTP transfers.  Everything else, TFTP and
 * HTTP included, runs at SERVER_PRIO_BULK, which is libevent's default for an
 * event nobody sets (the middle one, n / 2).  So that a ready DHCP socket is
 * seen soon, the loop polls again after SERVER_BULK_USEC of bulk callbacks
 * (1-4 ms by libevent's coarse clock, server.c), and each bulk callback does a bounded amount of work (one TFTP window, one
 * sendfile of at most 1 MiB).
 */
enum {
	SERVER_PRIO_DHCP = 0,
	SERVER_PRIO_BULK = 1,
	SERVER_N_PRIOS = 2,
};
#define SERVER_BULK_USEC 1000

struct server {
	struct event_base *base;
	struct config *cfg;
	struct proxydhcp *dhcp;
	struct tftp_server *tftp;
	struct http_server *http;
	struct syslog *syslog; /* from start to shutdown; listening when enabled (syslog-recv.h) */
	struct control_server *control;
	struct store *store;               /* images, machines, cloud-configs (daemon/store.h) */
	struct progress *progress;         /* per-MAC boot progress (daemon/progress.h) */
	struct lifecycle_table *lifecycle; /* per-MAC install state (daemon/lifecycle-table.h) */
	struct import *imports;            /* add-image workers running (daemon/import.h) */
	struct replicate *replicates;      /* images being fetched by digest (daemon/replicate.h) */
	struct progress_sub *cluster_sub;  /* boot events shared with other instances (cluster.c) */
	int64_t started;                   /* CLOCK_REALTIME seconds at start-up */
	struct server_stats stats;         /* every service's counters (daemon/stats.h) */
	struct loader_set loaders; /* the loader files found (daemon/loader.h), per config */
	struct loader_cache *loader_cache; /* patched netbootd-grub.efi copies (loader.h) */
};

/* The event loop, with the priorities above.  NULL when out of memory. */
struct event_base *server_event_base_new(void);
/* Open the state directory and start the enabled services (logged).  0 or -errno. */
int server_start(struct server *srv);
/*
 * Make 'c' (taken over) the configuration: services whose listening
 * parameters changed restart, the others go on; state_dir keeps its value.
 */
void server_reload(struct server *srv, struct config *c);
/* Stop every service and free the state.  For a half-started server too. */
void server_free(struct server *srv);

#endif
