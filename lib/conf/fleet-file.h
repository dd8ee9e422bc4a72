/*
 * The fleet file (netbootd-fleet(5)): `netbootctl apply -f`'s input and
 * `netbootctl export`'s output.  Pure code: the configs a file names with
 * `file:` are read through a callback (netbootctl reads them with the
 * user's permissions; the daemon gets their text in the request).
 *
 *   configs:  { NAME: { file: PATH } | { inline: TEXT } }
 *   profiles: { NAME: { image, config, cmdline | cmdline_append, loader, action } }
 *   groups:   { NAME: { match: { mac, uuid, arch, interface, labels: {K: V} },
 *                       profile, priority } }
 *   machines: { MAC: { labels: {K: V}, profile | image, config,
 *                      cmdline | cmdline_append } }
 *
 * The parser is as strict as netbootd.yaml's (lib/conf/yaml-reader.h):
 * unknown keys, a key twice, wrong types, bad values, aliases, anchors,
 * tags, a second document, nesting deeper than FLEET_FILE_MAX_DEPTH, more
 * than the FLEET_MAX_* of fleet.h are errors "NAME:LINE: what".  It checks
 * what one file can say on its own; what the file names outside itself (a
 * profile of the running fleet, an image, a stored config) and the tie rule
 * are fleet_validate()'s, on the fleet it makes with the running one
 * (fleet_merge()).
 */
#ifndef NETBOOTD_FLEET_FILE_H
#define NETBOOTD_FLEET_FILE_H

#include <stddef.h>

#include "fleet.h"

#define FLEET_FILE_MAX_SIZE    (1024 * 1024) /* bytes of the file: one control frame */
#define FLEET_FILE_MAX_READ    (1024 * 1024) /* bytes of all its `file:` configs together */
#define FLEET_FILE_MAX_CONFIGS 1024
#define FLEET_FILE_MAX_DEPTH   8 /* nesting; groups.NAME.match.labels needs 5 */

/*
 * Load the file a config's `file:` names (the path as written: the caller
 * resolves it relative to the fleet file).  0 with a malloc'd buffer of
 * *ret_len bytes in *ret; or -errno, with a malloc'd message in *ret_error
 * when it has one ("worker.yaml: No such file or directory").
 */
typedef int (*fleet_file_read_fn)(
    void *userdata, const char *path, char **ret, size_t *ret_len, char **ret_error);

/*
 * Parse fleet-file text into *ret (sorted, with the line of every item);
 * 'name' is used in messages ("fleet.yaml:12: ...").  'read' may be NULL:
 * then a `file:` config is an error.  0; -EINVAL with a malloc'd message in
 * *ret_error; -ENOMEM.
 */
int fleet_file_parse(const char *text, size_t len, const char *name, fleet_file_read_fn read,
    void *userdata, struct fleet *ret, char **ret_error);

/*
 * The fleet as a fleet file, malloc'd in *ret: the keys above, configs
 * inline, only values that are not the default.  For a fleet that
 * fleet_validate() accepts, parsing the text gives an equal fleet
 * (fleet_equal()).  -EINVAL for a string that is not UTF-8 (libyaml cannot
 * tell that from running out of memory there); -ENOMEM.
 */
int fleet_file_format(const struct fleet *f, char **ret);

/*
 * What replacing 'cur' by 'next' changes, malloc'd in *ret: one line per
 * item, each ending in "\n", configs, profiles, groups, machines, each
 * sorted by name:
 *   + profile kairos-cp
 *   - machine 52:54:00:aa:bb:09
 *   ~ group lab: priority 0 -> 10, match.mac "52:54:00:*" -> (none)
 *   ~ machine 52:54:00:aa:bb:01: labels role=cp -> role=worker
 *   ~ config worker (content)
 * "" when nothing changes.  Lines are ignored.  -ENOMEM.
 */
int fleet_file_diff(const struct fleet *cur, const struct fleet *next, char **ret);

#endif
