/*
 * The GRUB configurations netbootd serves, for the loaders "grub" and
 * "shim-grub" (lib/boot/boot-policy.h).  Pure code.
 *
 * Every GRUB netbootd hands out reads $prefix/grub.cfg first: Debian's
 * signed network GRUB because its built-in configuration says so (its
 * $prefix is (tftp,<siaddr of the site's DHCPACK>)/grub), netbootd's own
 * GRUB (tools/fetch-loaders.sh) because its embedded configuration sets
 * $prefix to (http,<netbootd>:<port>)/grub.  That file is the same for every
 * machine, GRUB_CFG_DISPATCHER: it names the machine's own configuration by
 * its platform (a boot_arch name: $netbootd_arch, which netbootd's GRUB
 * carries, else efi-<$grub_cpu>) and its MAC ($net_default_mac):
 *
 *   <prefix>/netbootd/<arch>/<mac>     e.g. /grub/netbootd/efi-arm64/52:54:00:12:34:56
 *
 * and that one is rendered per request from the boot decision, like the
 * iPXE script (lib/boot/ipxe-script.h: the same variables and command line
 * template), with the kernel and initrd read from 'device', the server the
 * request came to: "(http,10.0.0.2:8090)" or "(tftp,10.0.0.2)".  Each word
 * of the command line is single-quoted for GRUB's shell-like parser.  A
 * machine that boots from its disk gets "exit" (the firmware goes on to its
 * next boot device); one without an image waits and reboots; a boot that
 * fails (a kernel shim refuses: "bad shim signature") says so, waits and
 * exits: never a GRUB prompt.
 */
#ifndef NETBOOTD_GRUB_CFG_H
#define NETBOOTD_GRUB_CFG_H

#include <stdint.h>

#include "fleet.h"
#include "ipxe-script.h"
#include "mac.h"

#define GRUB_CFG_FAIL_DELAY    30 /* seconds shown before "exit" after a failed boot */
#define GRUB_CFG_NOIMAGE_DELAY 60 /* seconds before a machine without an image reboots */
#define GRUB_DEVICE_MAX        64 /* "(http,255.255.255.255:65535)" fits */

/* $prefix/grub.cfg: the same for every machine. */
extern const char GRUB_CFG_DISPATCHER[];

struct grub_vars {
	struct ipxe_vars ipxe; /* as for the iPXE script; .query goes into {config_url} */
	const char *device;    /* where the kernel and initrd are: "(http,A:P)" or "(tftp,A)" */
};

/*
 * The machine's configuration, malloc'd, in *ret: as ipxe_script_render()
 * (v->ipxe.local, no image, or the image with the expanded template).
 * -EINVAL for a bad template or value (a quote or control character in a
 * name, a bad device), -ENOMEM.
 */
int grub_cfg_render(const char *tmpl, const struct grub_vars *v, char **ret);

/*
 * The machine's path below the prefix, "netbootd/<arch>/<mac>" (a leading
 * "/" and "grub/" are skipped; the MAC with ':' or '-'): 0 with its platform
 * and MAC; -ENOENT for any other path.
 */
int grub_cfg_path_parse(const char *path, enum boot_arch *ret_arch, uint8_t ret_mac[MAC_LEN]);

#endif
