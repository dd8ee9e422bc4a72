/*
 * The boot decision's view of this server (lib/boot-policy.h): the settings
 * and assignments of the store, the defaults and loaders of the
 * configuration.  Loop thread only; valid until the store or srv->cfg
 * changes, so build one per request.
 */
#ifndef NETBOOTD_BOOT_VIEW_H
#define NETBOOTD_BOOT_VIEW_H

#include "boot-policy.h"
#include "server.h"

void boot_view_init(struct server *srv, struct boot_view *ret);

#endif
