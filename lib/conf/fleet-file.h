/*
 * The fleet file (netbootd-fleet(5)): parse with lines, format for export,
 * diff for --dry-run.  The declarations of fleet-design.md; the fleet-lib
 * helper owns this file (placed here by the store-commands helper so that
 * its code builds against it).
 */
#ifndef NETBOOTD_FLEET_FILE_H
#define NETBOOTD_FLEET_FILE_H

#include <stddef.h>

#include "fleet.h"

/* Load the file a config's `file:` names (the path as written, relative to the fleet file). */
typedef int (*fleet_file_read_fn)(
    void *userdata, const char *path, char **ret, size_t *ret_len, char **ret_error);
/* Parse fleet-file text; 'name' for messages ("fleet.yaml:12: ..."); read may be NULL (then a
   `file:` config is an error).  Fills lines (struct fleet_* .line).  0 or -EINVAL + message. */
int fleet_file_parse(const char *text, size_t len, const char *name, fleet_file_read_fn read,
    void *userdata, struct fleet *ret, char **ret_error);
/* The fleet as a fleet file (configs inline, keys as in the example); parse(format(f)) == f. */
int fleet_file_format(const struct fleet *f, char **ret);
/* What applying 'next' over 'cur' changes, one line per item: "+ profile kairos-cp",
   "~ group lab: priority 0 -> 10", "- machine 52:54:00:aa:bb:09", "~ config worker (content)";
   "" when nothing changes. */
int fleet_file_diff(const struct fleet *cur, const struct fleet *next, char **ret);

#endif
