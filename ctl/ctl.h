/*
 * netbootctl internals: the commands (ctl-commands.c and one file per
 * family, cmd-*.c), the connection (ctl-conn.c) and the local extract
 * commands (ctl-extract.c).
 */
#ifndef NETBOOTD_CTL_H
#define NETBOOTD_CTL_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "control-proto.h"

enum {
	CTL_EXIT_OK = 0,
	CTL_EXIT_DAEMON = 1,      /* netbootd answered with an error (or garbage) */
	CTL_EXIT_USAGE = 2,       /* bad command line or local input */
	CTL_EXIT_UNREACHABLE = 3, /* no daemon at the socket */
	CTL_EXIT_PERMISSION = 4,  /* permission denied */
	CTL_EXIT_UNAVAILABLE = 5, /* the shared store (etcd) is unreachable: nothing changed */
	CTL_EXIT_CONFLICT = 6,    /* changed concurrently by someone else: nothing changed */
};

#define CTL_INTERRUPTED_EXIT 130 /* Ctrl-C during add-image */

extern volatile sig_atomic_t ctl_interrupted;

struct ctl_options {
	const char *socket;
	bool json;
};

/*
 * A command netbootctl sends to netbootd: the client side of an entry of
 * lib/control-commands.c, which gives its words, usage line and help.
 */
struct ctl_command {
	const char *wire; /* the entry's wire name: "add-image", "config-set" */
	/* Fill the request args from argv (argv[0] is the command's words); -EINVAL on usage errors. */
	int (*parse)(int argc, char **argv, cJSON *args);
	/* Human rendering of the data of an ok reply; NULL: nothing. */
	void (*render)(const cJSON *args, const cJSON *data);
};

/* A command netbootctl runs itself, without netbootd (ctl-extract.c). */
struct ctl_local_command {
	const char *words; /* "extract iso" */
	const char *usage; /* synopsis after "netbootctl " */
	const char *help;  /* description and options, each line ending in \n */
};

/* The families' tables (ctl/cmd-*.c), each ending with {NULL}. */
extern const struct ctl_command cmd_status_commands[];
extern const struct ctl_command cmd_image_commands[];
extern const struct ctl_command cmd_machine_commands[];
extern const struct ctl_command cmd_config_commands[];
extern const struct ctl_command cmd_fleet_commands[];
extern const struct ctl_command cmd_settings_commands[];
extern const struct ctl_command cmd_watch_commands[];
extern const struct ctl_command cmd_explain_commands[];
extern const struct ctl_command cmd_logs_commands[];

/* cmd-watch.c: one boot event as a line. */
void cmd_watch_render_event(const cJSON *data);
/* cmd-logs.c: a machine's syslog line as a line; the note on lines left out (stderr). */
void cmd_logs_render_line(const cJSON *data);
void cmd_logs_render_skipped(const cJSON *data);

/* ctl-commands.c: the client side of a wire command, NULL if none. */
const struct ctl_command *ctl_commands_find(const char *wire);
/* ctl-commands.c: listed by --help after the wire commands. */
extern const struct ctl_local_command ctl_local_commands[];
extern const size_t ctl_n_local_commands;

/* netbootctl.c: print "netbootctl: ..." to stderr. */
void ctl_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* netbootctl.c: print a JSON value as one line on stdout (--json). */
void ctl_print_json(const cJSON *v);

/* ctl-extract.c */
int ctl_extract_iso(const struct ctl_options *o, int argc, char **argv);

/* ctl-conn.c */
int ctl_conn_open(const char *path, int *ret_fd);
int ctl_conn_send(int fd, const uint8_t *buf, size_t len);
/* Send a frame with n open files attached (SCM_RIGHTS). */
int ctl_conn_send_fds(int fd, const uint8_t *buf, size_t len, const int *fds, size_t n);
/*
 * For an add-image source from a directory or ISO: open its files here, with
 * the user's own permissions (the daemon never opens a client's paths).
 * 0 and *ret_n descriptors (0 for other sources), or -errno after printing why.
 */
int ctl_source_open(const cJSON *source, int fds[CONTROL_MAX_FDS], size_t *ret_n);
/* 0 and *ret; -EPIPE: the daemon closed; -EBADMSG: garbage; -EINTR; -errno. */
int ctl_conn_recv(int fd, struct control_message *ret);

#endif
