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

#include <event2/event.h>
#include <systemd/sd-daemon.h>

#include "config.h"
#include "iface.h"
#include "loader.h"
#include "log.h"
#include "notify.h"
#include "server.h"
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

static void
print_problem(void *userdata, const char *msg)
{
	(void)userdata;
	fprintf(stderr, "netbootd: %s\n", msg);
}

/* --check-config: the file parsed; now the files it names. */
static int
check_config(struct config *c)
{
	const char *name = c->path != NULL ? c->path : "built-in defaults";
	struct loader_set set;
	unsigned n = loader_scan(c, &set, print_problem, NULL);

	if (n == 0)
		printf("%s: configuration OK\n", name);
	else
		fprintf(stderr, "netbootd: %s: %u problem%s with the loader files\n", name, n,
		    n == 1 ? "" : "s");
	config_free(c);
	return n == 0 ? 0 : 1;
}

struct signal_ctx {
	struct server *srv;
	const struct options *opts;
	struct notifier *notify;
};

static void
on_reload(struct server *srv, const struct options *o)
{
	struct config *c = NULL;

	log_info(NULL, "Reloading configuration from %s", o->config_path);
	if (load_config(o, &c) < 0) {
		log_warn(NULL, "Keeping the running configuration, ignoring the new one");
		return;
	}
	server_reload(srv, c);
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

#define N_SIGNALS 3

/* SIGTERM and SIGINT stop the loop, SIGHUP reloads. */
static int
signals_install(struct signal_ctx *ctx, struct event *ret[N_SIGNALS])
{
	static const int signums[N_SIGNALS] = {SIGTERM, SIGINT, SIGHUP};

	for (size_t i = 0; i < N_SIGNALS; i++) {
		ret[i] = evsignal_new(ctx->srv->base, signums[i], on_signal, ctx);
		if (ret[i] == NULL || event_add(ret[i], NULL) < 0) {
			log_err(NULL, "Cannot install signal handlers");
			return -ENOMEM;
		}
	}
	return 0;
}

/* Everything up to the loop: the event base, signals, the server, the notifier. */
static int
startup(struct signal_ctx *ctx, struct event *sigs[N_SIGNALS], int notify_fd)
{
	struct server *srv = ctx->srv;
	int r;

	srv->base = server_event_base_new();
	if (srv->base == NULL) {
		log_err(NULL, "Cannot create the event loop");
		return -ENOMEM;
	}
	if ((r = signals_install(ctx, sigs)) < 0)
		return r;
	if ((r = iface_watch_start(srv->base)) < 0)
		log_warn(NULL,
		    "Cannot follow interface changes (rtnetlink): %s; each request will ask the "
		    "kernel for the interfaces",
		    strerror(-r));
	if ((r = server_start(srv)) < 0) {
		log_err(NULL, "Startup failed");
		daemonize_done(notify_fd, false);
		return r;
	}
	if ((r = notify_start(ctx->notify)) < 0) {
		log_err(NULL, "Cannot set up the systemd watchdog: %s", strerror(-r));
		daemonize_done(notify_fd, false);
		return r;
	}
	daemonize_done(notify_fd, true);
	log_info(NULL, "netbootd %s ready (dhcp %s, tftp %s, http %s, control %s)",
	    NETBOOTD_VERSION, srv->dhcp ? "on" : "off", srv->tftp ? "on" : "off",
	    srv->http ? "on" : "off", srv->cfg->control.socket);
	notify_with_status(ctx->notify, "READY=1");
	return 0;
}

int
main(int argc, char **argv)
{
	struct server srv = {0};
	struct options opts;
	struct notifier notifier = {.srv = &srv};
	struct signal_ctx sctx = {.srv = &srv, .opts = &opts, .notify = &notifier};
	struct event *sigs[N_SIGNALS] = {NULL};
	int notify_fd = -1, r;

	if (parse_args(argc, argv, &opts) < 0)
		return 2;
	log_init(opts.debug);
	if (load_config(&opts, &srv.cfg) < 0)
		return 1;
	if (opts.check_config)
		return check_config(srv.cfg);
	signal(SIGPIPE, SIG_IGN);
	if (!opts.foreground && (r = daemonize(&notify_fd)) < 0) {
		log_err(NULL, "Cannot go into the background: %s", strerror(-r));
		return 1;
	}
	if (startup(&sctx, sigs, notify_fd) < 0)
		return 1;
	event_base_dispatch(srv.base);
	notify_stop(&notifier);
	for (size_t i = 0; i < N_SIGNALS; i++)
		event_free(sigs[i]);
	iface_watch_stop();
	server_free(&srv);
	log_info(NULL, "Stopped");
	return 0;
}
