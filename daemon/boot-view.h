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

#define BOOT_VIEW_QUERY_MAX 80

/*
 * "?arch=A&uuid=U" for what is known of the client ("" when nothing): the
 * query the script's own URL and its config_url carry, as ProxyDHCP's
 * (lib/wire/pxe.h), so that the HTTP side decides as it did.
 */
void boot_view_query(const struct boot_client *c, char *buf, size_t len);

#endif
