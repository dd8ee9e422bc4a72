/*
 * netbootctl: the control client of netbootd.  Thin, in the manner of the
 * tmux client: parse argv, send one request over the control socket, render
 * the events and the reply.  See netbootctl(1).
 */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "ctl-progress.h"
#include "ctl.h"
#include "util.h"

volatile sig_atomic_t ctl_interrupted;

void
ctl_error(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fputs("netbootctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

void
ctl_print_json(const cJSON *v)
{
	char *s = cJSON_PrintUnformatted(v);

	if (s == NULL) {
		ctl_error("out of memory");
		return;
	}
	puts(s);
	fflush(stdout);
	cJSON_free(s);
}

static void
usage(FILE *f)
{
	fputs("usage: netbootctl [-s SOCKET] [--json] COMMAND [ARGS...]\n"
	      "\n"
	      "Control a running netbootd through its control socket.\n"
	      "\n"
	      "  -s, --socket SOCKET  the control socket (default: $NETBOOTD_SOCKET,\n"
	      "                       else " CONFIG_DEFAULT_SOCKET ")\n"
	      "  -j, --json           print replies and events as JSON\n"
	      "  -h, --help           this help; \"netbootctl COMMAND --help\" for a command\n"
	      "  -V, --version        print the version\n"
	      "\n"
	      "Commands:\n",
	    f);
	for (size_t i = 0; i < control_commands_n; i++)
		fprintf(f, "  netbootctl %s\n", control_commands[i].usage);
	for (size_t i = 0; i < ctl_n_local_commands; i++)
		fprintf(f, "  netbootctl %s\n", ctl_local_commands[i].usage);
}

/* What the command words name: a wire command (its entry and client side) or a local one. */
struct command {
	const char *words, *usage, *help;
	const struct control_command *entry; /* NULL: a local command */
	const struct ctl_command *ctl;       /* the client side of entry */
};

static void
command_help(const struct command *c)
{
	printf("usage: netbootctl %s\n\n%s", c->usage, c->help);
}

/* The command named by argv[0] (and argv[1] for two-word ones): its number of words, or 0. */
static int
command_find(int argc, char **argv, struct command *ret)
{
	const struct control_command *e;
	int n;

	e = control_commands_by_words(argc, argv, &n);
	if (e != NULL) {
		*ret = (struct command){e->words, e->usage, e->help, e, ctl_commands_find(e->name)};
		return n;
	}
	for (size_t i = 0; i < ctl_n_local_commands; i++) {
		const struct ctl_local_command *l = &ctl_local_commands[i];

		n = control_commands_words_match(l->words, argc, argv);
		if (n > 0) {
			*ret = (struct command){l->words, l->usage, l->help, NULL, NULL};
			return n;
		}
	}
	return 0;
}

static bool
wants_help(int argc, char **argv)
{
	for (int i = 1; i < argc && strcmp(argv[i], "--") != 0; i++)
		if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0)
			return true;
	return false;
}

/* Global options; returns the index of the command word, or -exit code - 1 to stop. */
static int
parse_global(int argc, char **argv, struct ctl_options *o)
{
	int i = 1;

	for (; i < argc && argv[i][0] == '-'; i++) {
		const char *a = argv[i];

		if (strcmp(a, "--") == 0)
			return i + 1;
		if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			usage(stdout);
			return -CTL_EXIT_OK - 1;
		}
		if (strcmp(a, "-V") == 0 || strcmp(a, "--version") == 0) {
			puts("netbootctl " NETBOOTD_VERSION);
			return -CTL_EXIT_OK - 1;
		}
		if (strcmp(a, "-j") == 0 || strcmp(a, "--json") == 0)
			o->json = true;
		else if ((strcmp(a, "-s") == 0 || strcmp(a, "--socket") == 0) && i + 1 < argc)
			o->socket = argv[++i];
		else if (strncmp(a, "--socket=", 9) == 0)
			o->socket = a + 9;
		else if (strncmp(a, "-s", 2) == 0 && a[2] != '\0')
			o->socket = a + 2;
		else if (strcmp(a, "-s") == 0 || strcmp(a, "--socket") == 0) {
			ctl_error("option \"%s\" needs a value", a);
			return -CTL_EXIT_USAGE - 1;
		} else {
			ctl_error("unknown option \"%s\" (try --help)", a);
			return -CTL_EXIT_USAGE - 1;
		}
	}
	return i;
}

static int
exit_for_error(const struct control_message *m)
{
	if (strcmp(m->code, "unavailable") == 0)
		return CTL_EXIT_UNAVAILABLE;
	if (strcmp(m->code, "conflict") == 0)
		return CTL_EXIT_CONFLICT;
	return strcmp(m->code, "permission-denied") == 0 ? CTL_EXIT_PERMISSION : CTL_EXIT_DAEMON;
}

static int
handle_final(const struct ctl_options *o, const struct command *c, const cJSON *args,
    const struct control_message *m)
{
	if (m->kind == CONTROL_MSG_ERROR) {
		if (o->json)
			ctl_print_json(m->error);
		ctl_error("%s", m->text);
		return exit_for_error(m);
	}
	if (o->json && strcmp(c->entry->name, "logs") != 0) /* logs: its lines were the output */
		ctl_print_json(m->data);
	else if (!o->json && c->ctl->render != NULL)
		c->ctl->render(args, m->data);
	fflush(stdout);
	return CTL_EXIT_OK;
}

static void
handle_event(
    const struct ctl_options *o, struct ctl_progress *progress, const struct control_message *m)
{
	bool log = strcmp(m->event, "log") == 0;

	if (strcmp(m->event, "logs") == 0)
		cmd_logs_render_skipped(m->data); /* older lines left out: on stderr */
	else if (log && o->json)
		ctl_print_json(m->data); /* logs --json: one object per line */
	else if (log)
		cmd_logs_render_line(m->data);
	else if (o->json)
		ctl_print_json(m->root);
	else if (strcmp(m->event, "progress") == 0 && progress != NULL)
		ctl_progress_update(progress, m->data);
	else if (strcmp(m->event, "boot") == 0)
		cmd_watch_render_event(m->data);
	/* other events are for newer clients */
}

/* Commands that stream until Ctrl-C: watch, logs -f. */
static bool
follows(const struct command *c)
{
	return strcmp(c->entry->name, "watch") == 0 || strcmp(c->entry->name, "logs") == 0;
}

static int
recv_error(const struct ctl_options *o, const struct command *c, int k)
{
	if (k == -EINTR) {
		/* Ctrl-C: closing the connection cancels add-image; ends watch. */
		if (follows(c))
			return CTL_EXIT_OK;
		ctl_error("interrupted");
		return CTL_INTERRUPTED_EXIT;
	}
	if (k == -EPIPE && follows(c))
		ctl_error("netbootd at %s closed the connection", o->socket);
	else if (k == -EPIPE)
		ctl_error("netbootd at %s closed the connection without a reply", o->socket);
	else if (k == -EBADMSG)
		ctl_error("netbootd at %s sent a malformed reply", o->socket);
	else
		ctl_error("reading from netbootd at %s: %s", o->socket, strerror(-k));
	return CTL_EXIT_DAEMON;
}

/* Read events until the final reply. */
static int
converse(const struct ctl_options *o, const struct command *c, const cJSON *args, int fd)
{
	struct ctl_progress *progress = NULL;
	int r;

	if (strcmp(c->entry->name, "add-image") == 0 && !o->json)
		progress = ctl_progress_new(isatty(STDERR_FILENO));
	for (;;) {
		struct control_message m;
		int k = ctl_conn_recv(fd, &m);

		if (k < 0) {
			ctl_progress_finish(progress);
			r = recv_error(o, c, k);
			break;
		}
		if (m.kind == CONTROL_MSG_EVENT) {
			handle_event(o, progress, &m);
			control_message_done(&m);
			continue;
		}
		ctl_progress_finish(progress);
		r = handle_final(o, c, args, &m);
		control_message_done(&m);
		break;
	}
	ctl_progress_free(progress);
	return r;
}

static int
send_request(const struct ctl_options *o, const struct command *c, const cJSON *args)
{
	_cleanup_free_ uint8_t *frame = NULL;
	_cleanup_close_ int fd = -1;
	int fds[CONTROL_MAX_FDS];
	size_t len, nfds = 0;
	int k;

	k = control_request_build(c->entry->name, args, &frame, &len);
	if (k < 0) {
		ctl_error("%s: cannot build the request: %s", c->words, strerror(-k));
		return k == -EMSGSIZE ? CTL_EXIT_USAGE : CTL_EXIT_DAEMON;
	}
	k = ctl_conn_open(o->socket, &fd);
	if (k < 0) {
		ctl_error("cannot reach netbootd at %s: %s", o->socket, strerror(-k));
		return k == -EACCES || k == -EPERM ? CTL_EXIT_PERMISSION : CTL_EXIT_UNREACHABLE;
	}
	k = ctl_source_open(cJSON_GetObjectItemCaseSensitive(args, "source"), fds, &nfds);
	if (k < 0)
		return k == -EACCES || k == -EPERM ? CTL_EXIT_PERMISSION : CTL_EXIT_DAEMON;
	k = ctl_conn_send_fds(fd, frame, len, fds, nfds);
	for (size_t i = 0; i < nfds; i++)
		close(fds[i]);
	if (k == -EINTR)
		return recv_error(o, c, k);
	if (k < 0) {
		ctl_error("cannot send to netbootd at %s: %s", o->socket, strerror(-k));
		return CTL_EXIT_DAEMON;
	}
	return converse(o, c, args, fd);
}

static int
run_command(const struct ctl_options *o, const struct command *c, int argc, char **argv)
{
	struct ctl_options opts = *o;
	cJSON *args;
	struct control_status st;
	int k, r;

	/* The local commands: extract iso, extract oci. */
	if (c->entry == NULL) {
		argv[0] = (char *)c->words; /* error messages name the whole command */
		optind = 0;
		opterr = 0;
		return ctl_extract_iso(o, argc, argv);
	}
	if (c->ctl == NULL) { /* an entry no ctl/cmd-*.c table holds: a bug */
		ctl_error("%s: this netbootctl cannot send it", c->words);
		return CTL_EXIT_USAGE;
	}
	args = cJSON_CreateObject();
	if (args == NULL)
		return CTL_EXIT_DAEMON;
	_cleanup_free_ char **av = calloc((size_t)argc + 1, sizeof(char *));

	if (av == NULL) {
		cJSON_Delete(args);
		return CTL_EXIT_DAEMON;
	}
	memcpy(av, argv, (size_t)argc * sizeof(char *));
	av[0] = (char *)c->words; /* error messages name the whole command */
	optind = 0;               /* reset getopt for the command's own options */
	opterr = 0;
	k = c->ctl->parse(argc, av, args);
	if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(args, "json"))) {
		opts.json = true; /* a command's own --json (logs): the global option */
		cJSON_DeleteItemFromObjectCaseSensitive(args, "json");
	}
	if (k == 0 && control_args_validate(c->entry, args, &st) < 0) {
		ctl_error("%s: %s", c->words, st.message);
		k = -EINVAL;
	}
	if (k < 0) {
		if (k == -ENOMEM)
			ctl_error("out of memory");
		cJSON_Delete(args);
		return k == -ENOMEM ? CTL_EXIT_DAEMON : CTL_EXIT_USAGE;
	}
	r = send_request(&opts, c, args);
	cJSON_Delete(args);
	return r;
}

static void
on_signal(int sig)
{
	ctl_interrupted = 1;
}

static void
setup_signals(void)
{
	struct sigaction sa = {.sa_handler = on_signal}; /* no SA_RESTART: reads return EINTR */

	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

int
main(int argc, char **argv)
{
	struct ctl_options o = {.socket = getenv("NETBOOTD_SOCKET")};
	struct command c;
	int i, words;

	if (o.socket == NULL || o.socket[0] == '\0')
		o.socket = CONFIG_DEFAULT_SOCKET;
	i = parse_global(argc, argv, &o);
	if (i < 0)
		return -i - 1;
	if (i >= argc) {
		usage(stderr);
		return CTL_EXIT_USAGE;
	}
	words = command_find(argc - i, argv + i, &c);
	if (words == 0) {
		ctl_error("unknown command \"%s\" (try --help)", argv[i]);
		return CTL_EXIT_USAGE;
	}
	if (wants_help(argc - i - words + 1, argv + i + words - 1)) {
		command_help(&c);
		return CTL_EXIT_OK;
	}
	setup_signals();
	return run_command(&o, &c, argc - i - words + 1, argv + i + words - 1);
}
