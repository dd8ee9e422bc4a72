/*
 * The loaders: the files named by ipxe.bios, ipxe.efi32, ipxe.efi64 and
 * ipxe.arm64 in ipxe.dir, served over TFTP and (for UEFI HTTP Boot) HTTP.
 * Which names are loaders is the boot decision's (boot_loader_known(),
 * lib/boot-policy.h).
 */
#ifndef NETBOOTD_LOADER_H
#define NETBOOTD_LOADER_H

#include <stdbool.h>
#include <sys/types.h>

#include "server.h"

/* True if 'name' is one of the configured loader names. */
bool loader_known(struct server *srv, const char *name);

/*
 * Open the configured loader 'name' read-only.  Symlinks are followed, unlike
 * for peer-chosen paths: Debian's /usr/lib/ipxe/ipxe.efi links to
 * /boot/ipxe.efi, and the name is the administrator's, not the peer's.
 * Returns an fd (O_CLOEXEC, blocking) and its size in *ret_size, or
 * -ENOENT (not a configured loader, or no such file), -EISDIR, -EACCES.
 */
int loader_open(struct server *srv, const char *name, off_t *ret_size);

#endif
