/*
 * netbootd: ProxyDHCP, TFTP and HTTP for network boot on one libevent loop.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <event2/event.h>
#include <systemd/sd-daemon.h>

#include "config.h"
#include "control.h"
#include "http.h"
#include "log.h"
#include "metrics.h"
#include "progress.h"
#include "proxydhcp.h"
#include "server.h"
#include "store.h"
#include "tftp.h"
#include "util.h"

#ifndef NETBOOTD_VERSION
#define NETBOOTD_VERSION "0"
#endif

static const char usage_text[] =
    "usage: netbootd [-fd] [-c file] [--check-config]\n"
    "\n"
    "  -c, --config FILE   configuration file (default " CONFIG_DEFAULT_PATH ")\n"
    "  -f, --foreground    stay in the foreground\n"
    "  -d, --debug         log debug messages\n"
    "      --check-config  parse the configuration, report, and exit\n"
    "  -h, --help          show this help\n"
    "  -V, --version       show the version\n";

struct options {
	const char *config_path;
	bool explicit_config;
	bool foreground;
	bool debug;
	bool check_config;
};

static int
parse_args(int argc, char **argv, struct options *o)
{
	enum { OPT_CHECK = 0x100 };
	static const struct option longopts[] = {
	    {"config", required_argument, NULL, 'c'},
	    {"foreground", no_argument, NULL, 'f'},
	    {"debug", no_argument, NULL, 'd'},
	    {"check-config", no_argument, NULL, OPT_CHECK},
	    {"help", no_argument, NULL, 'h'},
	    {"version", no_argument, NULL, 'V'},
	    {NULL, 0, NULL, 0},
	};
	int ch;

	*o = (struct options){.config_path = CONFIG_DEFAULT_PATH};
	while ((ch = getopt_long(argc, argv, "c:fdhV", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			o->config_path = optarg;
			o->explicit_config = true;
			break;
		case 'f':
			o->foreground = true;
			break;
		case 'd':
			o->debug = true;
			break;
		case OPT_CHECK:
			o->check_config = true;
			break;
		case 'h':
			fputs(usage_text, stdout);
			exit(EXIT_SUCCESS);
		case 'V':
			puts("netbootd " NETBOOTD_VERSION);
			exit(EXIT_SUCCESS);
		default:
			fputs(usage_text, stderr);
			return -EINVAL;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "netbootd: unexpected argument \"%s\"\n", argv[optind]);
		fputs(usage_text, stderr);
		return -EINVAL;
	}
	return 0;
}

/*
 * Load the configuration.  With no -c, a missing default file means built-in
 * defaults; everything else that goes wrong is an error with a message.
 */
static int
load_config(const struct options *o, struct config **ret)
{
	_cleanup_free_ char *error = NULL;
	struct config *c = NULL;
	int r;

	r = config_load(o->config_path, &c, &error);
	if (r == -ENOENT && !o->explicit_config) {
		c = config_new();
		if (c == NULL)
			return -ENOMEM;
		log_info(NULL, "No %s, using built-in defaults", o->config_path);
		*ret = c;
		return 0;
	}
	if (r < 0) {
		log_err(NULL, "%s", error != NULL ? error : strerror(-r));
		return r;
	}
	*ret = c;
	return 0;
}

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

/* Start (or restart) each enabled module whose listening parameters differ. */
static int
server_apply(struct server *srv, const struct config *old)
{
	const struct config *c = srv->cfg;
	bool ifs = old == NULL ||
	           !same_strv(old->interfaces, old->n_interfaces, c->interfaces, c->n_interfaces);
	int r = 0;

	if (ifs || old->dhcp.enabled != c->dhcp.enabled || old->dhcp.port != c->dhcp.port ||
	    old->dhcp.pxe_port != c->dhcp.pxe_port) {
		proxydhcp_free(srv->dhcp);
		srv->dhcp = NULL;
		if (c->dhcp.enabled && (r = proxydhcp_new(srv, &srv->dhcp)) < 0)
			return r;
	}
	if (ifs || old->tftp.enabled != c->tftp.enabled || old->tftp.port != c->tftp.port) {
		tftp_server_free(srv->tftp);
		srv->tftp = NULL;
		if (c->tftp.enabled && (r = tftp_server_new(srv, &srv->tftp)) < 0)
			return r;
	}
	if (ifs || old->http.enabled != c->http.enabled || old->http.port != c->http.port ||
	    old->http.max_connections != c->http.max_connections) {
		http_server_free(srv->http);
		srv->http = NULL;
		if (c->http.enabled && (r = http_server_new(srv, &srv->http)) < 0)
			return r;
		if (srv->http != NULL &&
		    (r = http_server_add_handler(srv->http, "/metrics", metrics_http, srv)) < 0)
			return r;
	}
	if (control_server_activated(srv->control)) {
		if (strcmp(old->control.socket, c->control.socket) != 0)
			log_notice(NULL,
			    "control.socket changed to \"%s\", but the control socket comes from "
			    "systemd and cannot move, ignoring",
			    c->control.socket);
	} else if (old == NULL || strcmp(old->control.socket, c->control.socket) != 0 ||
	           strcmp(old->control.group, c->control.group) != 0) {
		control_server_free(srv->control);
		srv->control = NULL;
		if ((r = control_server_new(srv, &srv->control)) < 0)
			return r;
	}
	return 0;
}

/* The store (state directory) and the progress recorder. */
static int
server_open_state(struct server *srv)
{
	_cleanup_free_ char *error = NULL;
	int r;

	srv->started = (int64_t)time(NULL);
	/* Once, before any import thread can pull (not thread-safe). */
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		log_err(NULL, "Cannot initialise libcurl");
		return -ENOMEM;
	}
	r = store_open(srv->cfg->state_dir, &srv->store, &error);
	if (r < 0) {
		log_err(NULL, "Cannot open the state directory \"%s\": %s", srv->cfg->state_dir,
		    error != NULL ? error : strerror(-r));
		return r;
	}
	r = progress_new(&srv->progress);
	if (r < 0)
		log_err(NULL, "Cannot set up boot progress: %s", strerror(-r));
	return r;
}

/* ---- systemd notification: READY, STATUS, WATCHDOG ---- */

#define STATUS_INTERVAL_S 5

struct notifier {
	struct server *srv;
	struct event *watchdog; /* WATCHDOG=1 at half of WATCHDOG_USEC */
	struct event *status;   /* STATUS= refreshed every STATUS_INTERVAL_S when changed */
	char last[256];
};

/* Send 'state' (may be NULL) with STATUS=; with no state only when the summary changed. */
static void
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
static int
notifier_start(struct notifier *n)
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

static void
notifier_stop(struct notifier *n)
{
	if (n->watchdog != NULL)
		event_free(n->watchdog);
	if (n->status != NULL)
		event_free(n->status);
	n->watchdog = n->status = NULL;
}

struct signal_ctx {
	struct server *srv;
	const struct options *opts;
	struct notifier *notify;
};

static void
notify_reloading(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	sd_notifyf(0, "RELOADING=1\nMONOTONIC_USEC=%" PRIu64,
	    (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000);
}

static void
on_reload(struct server *srv, const struct options *o)
{
	struct config *c = NULL, *old;

	log_info(NULL, "Reloading configuration from %s", o->config_path);
	if (load_config(o, &c) < 0) {
		log_warn(NULL, "Keeping the running configuration, ignoring the new one");
		return;
	}
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
	old = srv->cfg;
	srv->cfg = c;
	if (server_apply(srv, old) < 0)
		log_err(NULL, "Some services failed to restart after reload, see above");
	config_free(old);
}

static void
on_signal(evutil_socket_t sig, short what, void *arg)
{
	struct signal_ctx *ctx = arg;

	(void)what;
	if (sig == SIGHUP) {
		notify_reloading();
		on_reload(ctx->srv, ctx->opts);
		notify_with_status(ctx->notify, "READY=1");
		return;
	}
	log_info(NULL, "Received %s, shutting down", sig == SIGTERM ? "SIGTERM" : "SIGINT");
	sd_notify(0, "STOPPING=1");
	event_base_loopbreak(ctx->srv->base);
}

/*
 * Without -f, fork into the background.  The parent exits only once the child
 * reports through a pipe that its sockets are bound, with the child's status.
 */
static int
daemonize(int *ret_notify_fd)
{
	int pfd[2];
	pid_t pid;
	char status = 1;

	if (pipe2(pfd, O_CLOEXEC) < 0)
		return -errno;
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid > 0) {
		close(pfd[1]);
		if (read(pfd[0], &status, 1) != 1)
			status = 1;
		_exit(status);
	}
	close(pfd[0]);
	if (setsid() < 0)
		return -errno;
	*ret_notify_fd = pfd[1];
	return 0;
}

static void
daemonize_done(int fd, bool ok)
{
	char status = ok ? 0 : 1;
	int devnull;

	if (fd < 0)
		return;
	if (ok && (devnull = open("/dev/null", O_RDWR | O_CLOEXEC)) >= 0) {
		log_use_syslog();
		dup2(devnull, STDIN_FILENO);
		dup2(devnull, STDOUT_FILENO);
		dup2(devnull, STDERR_FILENO);
		close(devnull);
	}
	(void)!write(fd, &status, 1);
	close(fd);
}

static void
server_free(struct server *srv)
{
	control_server_free(srv->control);
	http_server_free(srv->http);
	tftp_server_free(srv->tftp);
	proxydhcp_free(srv->dhcp);
	progress_free(srv->progress);
	store_free(srv->store);
	config_free(srv->cfg);
	if (srv->base != NULL)
		event_base_free(srv->base);
	curl_global_cleanup();
}

int
main(int argc, char **argv)
{
	struct server srv = {0};
	struct options opts;
	struct notifier notifier = {.srv = &srv};
	struct signal_ctx sctx = {.srv = &srv, .opts = &opts, .notify = &notifier};
	struct event *sigs[3] = {NULL};
	const int signums[3] = {SIGTERM, SIGINT, SIGHUP};
	int notify_fd = -1, r;

	if (parse_args(argc, argv, &opts) < 0)
		return 2;
	log_init(opts.debug);
	if (load_config(&opts, &srv.cfg) < 0)
		return 1;
	if (opts.check_config) {
		printf("%s: configuration OK\n",
		    srv.cfg->path != NULL ? srv.cfg->path : "built-in defaults");
		config_free(srv.cfg);
		return 0;
	}
	signal(SIGPIPE, SIG_IGN);
	if (!opts.foreground && (r = daemonize(&notify_fd)) < 0) {
		log_err(NULL, "Cannot go into the background: %s", strerror(-r));
		return 1;
	}
	srv.base = event_base_new();
	if (srv.base == NULL) {
		log_err(NULL, "Cannot create the event loop");
		return 1;
	}
	for (size_t i = 0; i < ELEMENTSOF(sigs); i++) {
		sigs[i] = evsignal_new(srv.base, signums[i], on_signal, &sctx);
		if (sigs[i] == NULL || event_add(sigs[i], NULL) < 0) {
			log_err(NULL, "Cannot install signal handlers");
			return 1;
		}
	}
	if (server_open_state(&srv) < 0 || server_apply(&srv, NULL) < 0) {
		log_err(NULL, "Startup failed");
		daemonize_done(notify_fd, false);
		return 1;
	}
	if ((r = notifier_start(&notifier)) < 0) {
		log_err(NULL, "Cannot set up the systemd watchdog: %s", strerror(-r));
		daemonize_done(notify_fd, false);
		return 1;
	}
	daemonize_done(notify_fd, true);
	log_info(NULL, "netbootd %s ready (dhcp %s, tftp %s, http %s, control %s)",
	    NETBOOTD_VERSION, srv.dhcp ? "on" : "off", srv.tftp ? "on" : "off",
	    srv.http ? "on" : "off", srv.cfg->control.socket);
	notify_with_status(&notifier, "READY=1");

	event_base_dispatch(srv.base);

	notifier_stop(&notifier);
	for (size_t i = 0; i < ELEMENTSOF(sigs); i++)
		event_free(sigs[i]);
	server_free(&srv);
	log_info(NULL, "Stopped");
	return 0;
}
