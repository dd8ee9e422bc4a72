/*
 * The server's lifecycle: the state (store, boot progress) opened once, the
 * services started, restarted on reload when their listening parameters
 * change, and torn down.
 */
#include "server.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "control.h"
#include "curl-dl.h"
#include "http.h"
#include "import.h"
#include "replicate.h"
#include "log.h"
#include "metrics.h"
#include "progress.h"
#include "proxydhcp.h"
#include "store.h"
#include "syslog-recv.h"
#include "tftp.h"
#include "cluster.h"
#include "lifecycle-table.h"
#include "util.h"

static bool
same_strv(char **a, size_t na, char **b, size_t nb)
{
	if (na != nb)
		return false;
	for (size_t i = 0; i < na; i++)
		if (strcmp(a[i], b[i]) != 0)
			return false;
	return true;
}

static int
apply_dhcp(struct server *srv, const struct config *old, bool ifs)
{
	const struct config *c = srv->cfg;

	if (!ifs && old->dhcp.enabled == c->dhcp.enabled && old->dhcp.port == c->dhcp.port &&
	    old->dhcp.pxe_port == c->dhcp.pxe_port)
		return 0;
	proxydhcp_free(srv->dhcp);
	srv->dhcp = NULL;
	return c->dhcp.enabled ? proxydhcp_new(srv, &srv->dhcp) : 0;
}

static int
apply_tftp(struct server *srv, const struct config *old, bool ifs)
{
	const struct config *c = srv->cfg;

	if (!ifs && old->tftp.enabled == c->tftp.enabled && old->tftp.port == c->tftp.port)
		return 0;
	tftp_server_free(srv->tftp);
	srv->tftp = NULL;
	return c->tftp.enabled ? tftp_server_new(srv, &srv->tftp) : 0;
}

/* The HTTP server, with the pages other modules own (/metrics). */
static int
apply_http(struct server *srv, const struct config *old, bool ifs)
{
	const struct config *c = srv->cfg;
	int r;

	if (!ifs && old->http.enabled == c->http.enabled && old->http.port == c->http.port &&
	    old->http.max_connections == c->http.max_connections)
		return 0;
	http_server_free(srv->http);
	srv->http = NULL;
	if (!c->http.enabled)
		return 0;
	if ((r = http_server_new(srv, &srv->http)) < 0)
		return r;
	return http_server_add_handler(srv->http, "/metrics", metrics_http, srv);
}

/* The syslog module stays for its subscribers; its socket follows the config. */
static int
apply_syslog(struct server *srv, const struct config *old, bool ifs)
{
	int r;

	if (srv->syslog == NULL && (r = syslog_new(srv, &srv->syslog)) < 0)
		return r;
	return syslog_apply(srv->syslog, ifs || old == NULL);
}

static int
apply_control(struct server *srv, const struct config *old)
{
	const struct config *c = srv->cfg;

	if (control_server_activated(srv->control)) {
		if (strcmp(old->control.socket, c->control.socket) != 0)
			log_notice(NULL,
			    "control.socket changed to \"%s\", but the control socket comes from "
			    "systemd and cannot move, ignoring",
			    c->control.socket);
		return 0;
	}
	if (srv->control == NULL)
		return control_server_new(srv, &srv->control);
	if (strcmp(old->control.socket, c->control.socket) == 0 &&
	    strcmp(old->control.group, c->control.group) == 0)
		return 0;
	return control_server_reopen(srv->control); /* clients and their imports stay */
}

/* Start (or restart) each enabled service whose listening parameters differ from 'old'. */
static void
warn_loader(void *userdata, const char *msg)
{
	(void)userdata;
	log_warn(NULL, "%s", msg);
}

static int
server_apply(struct server *srv, const struct config *old)
{
	const struct config *c = srv->cfg;
	bool ifs = old == NULL ||
	           !same_strv(old->interfaces, old->n_interfaces, c->interfaces, c->n_interfaces);
	int r;

	loader_scan(c, &srv->loaders, warn_loader, NULL);
	if ((r = apply_dhcp(srv, old, ifs)) < 0 || (r = apply_tftp(srv, old, ifs)) < 0 ||
	    (r = apply_http(srv, old, ifs)) < 0 || (r = apply_syslog(srv, old, ifs)) < 0)
		return r;
	return apply_control(srv, old);
}

/* The store (state directory) and the progress recorder. */
static int
server_open_state(struct server *srv)
{
	_cleanup_free_ char *error = NULL;
	int r;

	srv->started = (int64_t)time(NULL);
	/* libcurl is loaded when first needed (curl-dl.h): by the etcd backend, a replication. */
	r = store_open_config(srv->cfg, srv->base, &srv->store, &error);
	if (r < 0) {
		log_err(NULL, "Cannot open the state directory \"%s\": %s", srv->cfg->state_dir,
		    error != NULL ? error : strerror(-r));
		return r;
	}
	r = progress_new(&srv->progress);
	if (r == 0 && (r = cluster_start(srv)) < 0)
		progress_free(TAKE_PTR(srv->progress));
	if (r < 0) {
		log_err(NULL, "Cannot set up boot progress: %s", strerror(-r));
		return r;
	}
	r = lifecycle_open(srv, srv->cfg->state_dir, &srv->lifecycle, &error);
	if (r < 0)
		log_err(NULL, "Cannot read the machines' lifecycle: %s",
		    error != NULL ? error : strerror(-r));
	return r;
}

_Static_assert(SERVER_PRIO_BULK == SERVER_N_PRIOS / 2, "bulk is libevent's default priority");

/*
 * The loop polls again after SERVER_BULK_USEC of bulk callbacks, measured
 * with libevent's clock: CLOCK_MONOTONIC_COARSE (4 ms ticks at HZ=250), so a
 * bulk run lasts 1-4 ms.  EVENT_BASE_FLAG_PRECISE_TIMER would measure it
 * exactly, but on epoll it also arms a timerfd: one timerfd_settime(2) on
 * every loop turn, a tenth of the system calls of a keep-alive HTTP request
 * (bench/bench-http.sh: 4 KiB 0.45x -> 0.66x nginx without it, with the
 * changelist below; DHCP p99 of bench-boot-storm unchanged, 4.0/4.2 ms at
 * 500/2000 machines).  The epoll changelist folds evhttp's disable/enable
 * of each connection's events around a request into nothing (it made 4
 * epoll_ctl(2) calls per request, now 1).
 */
struct event_base *
server_event_base_new(void)
{
	const struct timeval bulk = {.tv_usec = SERVER_BULK_USEC};
	struct event_config *cfg = event_config_new();
	struct event_base *base = NULL;

	if (cfg == NULL)
		return NULL;
	if (event_config_set_flag(cfg, EVENT_BASE_FLAG_EPOLL_USE_CHANGELIST) == 0 &&
	    event_config_set_max_dispatch_interval(cfg, &bulk, -1, SERVER_PRIO_BULK) == 0)
		base = event_base_new_with_config(cfg);
	event_config_free(cfg);
	if (base != NULL && event_base_priority_init(base, SERVER_N_PRIOS) < 0) {
		event_base_free(base);
		base = NULL;
	}
	return base;
}

int
server_start(struct server *srv)
{
	int r = server_open_state(srv);

	return r < 0 ? r : server_apply(srv, NULL);
}

static bool
streq_null(const char *a, const char *b)
{
	return a == b || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

/* Whether two configurations name the same store (it is opened once, at start-up). */
static bool
same_store(const struct config *a, const struct config *b)
{
	return a->store.backend == b->store.backend &&
	       same_strv(a->store.endpoints, a->store.n_endpoints, b->store.endpoints,
	           b->store.n_endpoints) &&
	       streq_null(a->store.prefix, b->store.prefix) &&
	       streq_null(a->store.instance, b->store.instance) &&
	       streq_null(a->store.tls.ca, b->store.tls.ca) &&
	       streq_null(a->store.tls.cert, b->store.tls.cert) &&
	       streq_null(a->store.tls.key, b->store.tls.key) &&
	       streq_null(a->store.username, b->store.username) &&
	       streq_null(a->store.password, b->store.password);
}

void
server_reload(struct server *srv, struct config *c)
{
	struct config *old;

	if (strcmp(c->state_dir, srv->cfg->state_dir) != 0) {
		log_warn(NULL,
		    "state_dir cannot change on reload (restart netbootd for that), keeping \"%s\"",
		    srv->cfg->state_dir);
		free(c->state_dir);
		c->state_dir = strdup(srv->cfg->state_dir);
		if (c->state_dir == NULL) {
			config_free(c);
			return;
		}
	}
	if (!same_store(c, srv->cfg)) {
		__typeof__(c->store) keep = srv->cfg->store;

		log_warn(NULL, "store cannot change on reload (restart netbootd for that), keeping "
		               "the running one");
		srv->cfg->store = c->store; /* freed with the old configuration */
		c->store = keep;
	}
	old = srv->cfg;
	srv->cfg = c;
	if (server_apply(srv, old) < 0)
		log_err(NULL, "Some services failed to restart after reload, see above");
	config_free(old);
}

void
server_free(struct server *srv)
{
	control_server_free(srv->control); /* cancels its clients' imports */
	import_shutdown(srv);              /* waits for every worker */
	replicate_shutdown(srv);
	http_server_free(srv->http);
	tftp_server_free(srv->tftp);
	proxydhcp_free(srv->dhcp);
	syslog_free(srv->syslog); /* after the control clients, who may follow it */
	lifecycle_close(srv->lifecycle);
	cluster_stop(srv);
	progress_free(srv->progress);
	store_free(srv->store);
	loader_cache_free(srv->loader_cache);
	config_free(srv->cfg);
	if (srv->base != NULL)
		event_base_free(srv->base);
	curl_dl_close();
}
