/*
 * The control command handlers: one file per family (cmd-status.c,
 * cmd-image.c, cmd-machine.c, cmd-config.c, cmd-fleet.c, cmd-settings.c,
 * cmd-watch.c, cmd-logs.c),
 * each exporting a table of { wire name, handler }, and the helpers they
 * share (cmd.c).  Argument shapes are already checked by
 * control_request_parse() against the command's entry
 * (lib/control-commands.c).  Loop thread only.
 */
#ifndef NETBOOTD_CMD_H
#define NETBOOTD_CMD_H

#include <stdbool.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "control-internal.h"
#include "mac.h"

struct progress_event;
struct syslog_sub;
struct fleet_machine;

struct cmd_handler {
	const char *name; /* the wire name of a lib entry; NULL ends a table */
	control_handler_fn fn;
};

/* The families' tables. */
extern const struct cmd_handler cmd_status_handlers[];
extern const struct cmd_handler cmd_image_handlers[];
extern const struct cmd_handler cmd_machine_handlers[];
extern const struct cmd_handler cmd_config_handlers[];
extern const struct cmd_handler cmd_fleet_handlers[];
extern const struct cmd_handler cmd_settings_handlers[];
extern const struct cmd_handler cmd_watch_handlers[];
extern const struct cmd_handler cmd_explain_handlers[];
extern const struct cmd_handler cmd_logs_handlers[];

/* The handler of a command; NULL if none (cmd_handlers_check() says so at start-up). */
control_handler_fn cmd_handler(const struct control_command *cmd);
/*
 * Every entry of control_commands[] has exactly one handler, and every
 * handler an entry: 0, or -EINVAL after logging each one that breaks this.
 */
int cmd_handlers_check(void);
/* Called when a client goes away: drop its watch, cancel its import. */
void cmd_client_gone(struct control_client *c);

/* What a client has going: at most one of the two. */
struct cmd_state {
	struct progress_sub *watch;
	struct syslog_sub *logs; /* logs -f */
	struct import *import;
	char image[CONTROL_NAME_MAX + 1];
};

/* The client's state, created on first use; NULL when out of memory. */
struct cmd_state *cmd_state(struct control_client *c);

/* Map a store error to a wire code, naming the object ("image", "kairos"). */
int cmd_store_fail(struct control_status *err, int r, const char *what, const char *name);
int cmd_oom(struct control_status *err);
bool cmd_arg_true(const cJSON *args, const char *key);
cJSON *cmd_json_str_or_null(const char *s);
/* Log a state change with NETBOOT_EVENT=, UID= and the MAC and image if given. */
void cmd_log_change(const struct control_client *c, const char *event, const char *mac,
    const char *image, const char *sentence);
cJSON *cmd_event_to_json(const struct progress_event *ev);
/* The other way, for events of another instance (from etcd): -EBADMSG. */
int cmd_event_from_json(const cJSON *o, struct progress_event *ret);
/*
 * {"mac","image","config","cmdline","cmdline_mode","labels","profile",
 * "last_event","lifecycle"}; m may be NULL (a machine seen booting, or with a
 * lifecycle, without an entry).
 */
struct lifecycle_record;
/*
 * The machines `machines` lists: the store's entries (*ret_fleet) and those
 * seen booting or with a lifecycle without one (*ret_seen).  0 or -ENOMEM.
 */
int cmd_machines_count(struct server *srv, size_t *ret_fleet, size_t *ret_seen);
/* {"state","since","error","installed_at","group","boots","installs"}; r NULL: new. */
cJSON *cmd_lifecycle_to_json(const struct lifecycle_record *r);
cJSON *cmd_machine_to_json(
    struct server *srv, const uint8_t mac[MAC_LEN], const struct fleet_machine *m);
/* Add "boot" to a machine's object o: what its script does now (as `machines --json`). */
bool cmd_machine_add_boot(struct server *srv, const uint8_t mac[MAC_LEN], cJSON *o);

#endif
