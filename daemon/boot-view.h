/*
 * The boot decision's view of this server (lib/boot-policy.h): the settings
 * and assignments of the store, the defaults and loaders of the
 * configuration.  Loop thread only; valid until the store or srv->cfg
 * changes, so build one per request.  The manifest of the image decided on
 * is read once per view (init drops the last one): the decision and
 * boot_view_file_urls() share it.
 */
#ifndef NETBOOTD_BOOT_VIEW_H
#define NETBOOTD_BOOT_VIEW_H

#include "boot-policy.h"
#include "manifest.h"
#include "server.h"

void boot_view_init(struct server *srv, struct boot_view *ret);

#define BOOT_VIEW_QUERY_MAX 80

/*
 * "?arch=A&uuid=U" for what is known of the client ("" when nothing): the
 * query the script's own URL and its config_url carry, as ProxyDHCP's
 * (lib/wire/pxe.h), so that the HTTP side decides as it did.
 */
void boot_view_query(const struct boot_client *c, char *buf, size_t len);

#define BOOT_VIEW_URL_MAX 1024 /* an origin URL in a script (iPXE's lines are short) */

/*
 * For an image booted from its origin (a cluster's manifest.origin with
 * origin_boot): the URLs of its kernel, initrd and rootfs.squashfs there, in
 * urls[], and ret[f] pointing at each (NULL where there is none, and for
 * every other image: netbootd serves them itself).  After boot_view_init()
 * and the decision of the same request.
 */
void boot_view_file_urls(struct server *srv, const char *image,
    char urls[MANIFEST_N_FILES][BOOT_VIEW_URL_MAX], const char *ret[MANIFEST_N_FILES]);

#endif
