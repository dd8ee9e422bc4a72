/*
 * The machines' lifecycles (lib/boot/lifecycle.h), kept for the server:
 * one record per MAC, persisted in <state_dir>/lifecycle.json (written
 * atomically at every change of state, read at start), and the per-boot
 * tokens of the report URLs.
 *
 *   {"version": 1, "machines": {"52:54:00:12:34:56": {"state": "installed",
 *     "since": MS, "installed_at": MS|null, "token": HEX|null,
 *     "error": STR|null, "boots": N, "installs": N}}}
 *
 * A corrupt file makes lifecycle_open() fail with -EBADMSG and a message
 * naming it: starting without it would send installed machines back to
 * their installer.
 *
 * Every change of state is a boot event of kind "state" (progress.h), so
 * watch, the status page and the other instances of a cluster see it; an
 * instance applies the state events of the others (without their tokens:
 * a machine reports to the instance that served its cloud-config).
 *
 * At most STORE_MAX_MACHINES records; machines only seen at DHCP (state
 * new) are kept in memory only and dropped first.  Loop thread only.
 */
#ifndef NETBOOTD_LIFECYCLE_TABLE_H
#define NETBOOTD_LIFECYCLE_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lifecycle.h"
#include "mac.h"

struct server;
struct lifecycle_table;

int lifecycle_open(
    struct server *srv, const char *state_dir, struct lifecycle_table **ret, char **ret_error);
void lifecycle_close(struct lifecycle_table *t);

/* The record of a MAC, NULL when it has none (state new). */
const struct lifecycle_record *lifecycle_get(
    const struct lifecycle_table *t, const uint8_t mac[MAC_LEN]);
/* Whether the machine reported installed (the boot decision's view). */
bool lifecycle_installed(void *table, const uint8_t mac[MAC_LEN]);

/* It was served a script that boots an image (through 'group', may be NULL): a new token. */
void lifecycle_booted(struct lifecycle_table *t, const uint8_t mac[MAC_LEN], const char *group);
/*
 * Its cloud-config is being served (with reporting on): the boot's token
 * in 'token' (a boot begins here when none was served a script).  0 or
 * -ENOMEM, -E2BIG (too many machines).
 */
int lifecycle_config(struct lifecycle_table *t, const uint8_t mac[MAC_LEN], const char *group,
    char token[LIFECYCLE_TOKEN_LEN + 1]);
/* A report (lib lifecycle_report()): 0 or 1 accepted, -EACCES, -EPERM, -EINVAL. */
int lifecycle_reported(struct lifecycle_table *t, const uint8_t mac[MAC_LEN], const char *token,
    enum lifecycle_state to, const char *error);
/* Back to new (netbootctl reinstall), announced: true if it was not new. */
bool lifecycle_reinstall(struct lifecycle_table *t, const uint8_t mac[MAC_LEN]);
/* Every machine with a record (not new), in MAC order. */
typedef void (*lifecycle_fn)(
    const uint8_t mac[MAC_LEN], const struct lifecycle_record *r, void *userdata);
void lifecycle_foreach(const struct lifecycle_table *t, lifecycle_fn fn, void *userdata);
/* Machines by state (new: only those seen at DHCP or reinstalled). */
void lifecycle_counts(const struct lifecycle_table *t, size_t ret[_LIFECYCLE_MAX]);

#endif
