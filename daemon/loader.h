/*
 * The loaders: the iPXE files named by ipxe.bios, ipxe.efi32, ipxe.efi64 and
 * ipxe.arm64 in ipxe.dir, and the GRUB and shim files of loaders.dir
 * (tools/fetch-loaders.sh), served over TFTP and (for UEFI HTTP Boot) HTTP.
 * Which loader a client gets is the boot decision's (lib/boot/boot-policy.h).
 *
 * loaders.dir holds one directory per architecture, x86_64-efi/ and
 * arm64-efi/, each with netbootd-grub.efi (netbootd's GRUB, for the loader
 * "grub") and the signed shimx64.efi + grubx64.efi (shimaa64.efi +
 * grubaa64.efi; for "shim-grub").  They are served as
 * loaders/<arch>/<file> (TFTP) and /loaders/<arch>/<file> (HTTP), with every
 * other file of the directory (shim asks for revocations_sku.efi, ... next
 * to itself).  netbootd-grub.efi carries a placeholder for netbootd's
 * address, LOADER_SERVER_TOKEN followed by spaces (LOADER_SERVER_FIELD bytes
 * in all), and optionally LOADER_ARCH_TOKEN (LOADER_ARCH_FIELD bytes): each
 * copy sent is patched with "<address>:<http.port>" and the client's
 * platform ("efi-arm64" over TFTP, "http-arm64" over HTTP).
 */
#ifndef NETBOOTD_LOADER_H
#define NETBOOTD_LOADER_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <sys/types.h>

#include "boot-policy.h"
#include "config.h"

struct server;

#define LOADER_SERVER_TOKEN "@@NETBOOTD_SERVER@@"
#define LOADER_SERVER_FIELD 48
#define LOADER_ARCH_TOKEN   "@@NETBOOTD_ARCH@@"
#define LOADER_ARCH_FIELD   24
#define LOADER_GRUB_MAX     (64 * 1024 * 1024) /* a netbootd-grub.efi larger than this is refused */

/* What the loader files of a configuration are: found and usable. */
struct loader_set {
	bool ipxe[_BOOT_LOADER_MAX]; /* the configured iPXE file is a readable file */
	bool grub[_BOOT_EFI_MAX];    /* netbootd-grub.efi, with its placeholder */
	bool shim[_BOOT_EFI_MAX];    /* the shim and the signed GRUB */
};

/*
 * Check every loader file of 'c' (start, reload, --check-config): *ret says
 * what can be served; each problem (a missing file, named with its key) is
 * passed to report() as one sentence.  Returns the number of problems.
 */
unsigned loader_scan(const struct config *c, struct loader_set *ret,
    void (*report)(void *userdata, const char *msg), void *userdata);

/* True if 'name' is one of the configured iPXE loader names. */
bool loader_known(struct server *srv, const char *name);

/*
 * Open the configured iPXE loader 'name' read-only.  Symlinks are followed, unlike
 * for peer-chosen paths: Debian's /usr/lib/ipxe/ipxe.efi links to
 * /boot/ipxe.efi, and the name is the administrator's, not the peer's.
 * Returns an fd (O_CLOEXEC, blocking) and its size in *ret_size, or
 * -ENOENT (not a configured loader, or no such file), -EISDIR, -EACCES.
 */
int loader_open(struct server *srv, const char *name, off_t *ret_size);

/*
 * Open "<arch>/<file>" of loaders.dir (the path after "loaders/"), beneath
 * it; netbootd-grub.efi patched for 'server' ("10.0.0.2:8090") and, over
 * HTTP ('http'), the HTTP Boot platform.  The patched copies are kept
 * (srv->loader_cache: LOADER_CACHE_SLOTS sealed memfds, by architecture,
 * platform and server, made again when the file's inode, size or mtime
 * changes), so a boot storm reads the file once, not once per client.  An fd and its size, or -ENOENT
 * (no loaders.dir, no such file), -EACCES, -EISDIR, -EINVAL (a
 * netbootd-grub.efi without its placeholder), -ENOMEM.
 */
int loader_open_dir(
    struct server *srv, const char *path, const char *server, bool http, off_t *ret_size);

#define LOADER_CACHE_SLOTS 8
struct loader_cache;
/* Close the cached copies; NULL is fine. */
void loader_cache_free(struct loader_cache *lc);

#endif
