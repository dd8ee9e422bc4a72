/*
 * The fleet's items as JSON (lib/boot/fleet.h), in the one shape that
 * machines.json stores and the control commands send and reply with:
 *
 *   labels   {"role": "cp", ...}
 *   match    {"mac", "uuid", "arch", "interface": string|null, "labels": {...}}
 *   profile  {"name", "image", "config", "cmdline", "cmdline_mode", "loader",
 *             "action"}
 *   group    {"name", "profile", "priority", "match"}
 *   machine  {"mac", "image", "config", "cmdline", "cmdline_mode", "labels",
 *             "profile"}
 *
 * Strings are null when unset; "cmdline_mode" is "append" or "replace",
 * "action" "netboot", "local" or "ignore".  The parsers check every value
 * (names, label keys and values, MAC globs, UUIDs, arch names, interfaces,
 * the priority range) and ignore unknown keys (machines.json stays readable
 * by older versions; the control protocol refuses unknown keys before).
 * They return 0, -EINVAL with a malloc'd message in *ret_error naming the
 * key ("match.arch: \"x86\" is not an architecture ..."), or -ENOMEM; *ret
 * is untouched on failure.
 */
#ifndef NETBOOTD_FLEET_JSON_H
#define NETBOOTD_FLEET_JSON_H

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#include "fleet.h"

/* NULL when out of memory. */
cJSON *fleet_json_labels(const struct fleet_labels *l);
cJSON *fleet_json_match(const struct fleet_match *m);
cJSON *fleet_json_profile(const struct fleet_profile *p);
cJSON *fleet_json_group(const struct fleet_group *g);
cJSON *fleet_json_machine(const struct fleet_machine *m);

int fleet_json_to_labels(const cJSON *o, struct fleet_labels *ret, char **ret_error);
int fleet_json_to_match(const cJSON *o, struct fleet_match *ret, char **ret_error);
int fleet_json_to_profile(const cJSON *o, struct fleet_profile *ret, char **ret_error);
int fleet_json_to_group(const cJSON *o, struct fleet_group *ret, char **ret_error);
int fleet_json_to_machine(const cJSON *o, struct fleet_machine *ret, char **ret_error);

/*
 * A string|null|missing member 'key' of 'o' that must be a valid name
 * (is_name) or a valid string of at most 'max' bytes: a copy or NULL in
 * *ret.  NULL if fine, else what is wrong with it ("is not valid").
 */
const char *fleet_json_string(
    const cJSON *o, const char *key, bool is_name, size_t max, char **ret);
/* Add member 'key' to 'o': the string 'value', or null for NULL.  NULL if out of memory. */
cJSON *fleet_json_add_string(cJSON *o, const char *key, const char *value);

#endif
