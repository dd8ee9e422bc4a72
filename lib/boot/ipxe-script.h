/*
 * The iPXE script netbootd serves at /ipxe/<mac>, and the kernel command line
 * template it carries.  Pure code.
 *
 * Template placeholders, expanded per request:
 *   {server}        http://<advertised address>:<http.port>
 *   {image}         the image name
 *   {mac}           the machine's MAC, "52:54:00:12:34:56"
 *   {kernel_url}    {server}/images/{image}/kernel
 *   {initrd_url}    {server}/images/{image}/initrd
 *   {squashfs_url}  {server}/images/{image}/rootfs.squashfs
 *                   (for an image booted from its origin: the origin's URLs)
 *   {config_url}    {server}/config/<mac with hyphens>[?arch=A&uuid=U]
 *   {netconsole}    "@/,<syslog.port>@<advertised address>/", the value of
 *                   the kernel's netconsole= that sends its console to
 *                   netbootd's syslog receiver (an error while it is off)
 * "{{" is a literal "{"; a lone "}" is literal.  Any other "{...}" is an
 * error, as are control characters (a newline would end the iPXE line).
 *
 * The script is written for the 2019 iPXE Debian ships (1.0.0+git-20190125):
 * it uses only kernel, initrd --name, boot, set, inc, iseq, goto, sleep,
 * echo, imgfree, dhcp and chain --replace.  Each download is tried
 * IPXE_SCRIPT_TRIES times, IPXE_SCRIPT_RETRY_DELAY seconds apart; after the
 * last failure the script waits IPXE_SCRIPT_FAIL_DELAY seconds, runs DHCP
 * again and chains its own URL afresh.
 */
#ifndef NETBOOTD_IPXE_SCRIPT_H
#define NETBOOTD_IPXE_SCRIPT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mac.h"

/*
 * The default kernel command line for Kairos images (AuroraBoot's), for
 * images and configurations without their own.
 */
#define IPXE_DEFAULT_CMDLINE                                                                       \
	"rd.neednet=1 ip=dhcp rd.cos.disable root=live:{squashfs_url} netboot install-mode "       \
	"config_url={config_url} console=tty1 console=ttyS0 rd.live.overlay.overlayfs"

#define IPXE_CMDLINE_MAX          4096 /* longest template, and longest expansion */
#define IPXE_SCRIPT_TRIES         3
#define IPXE_SCRIPT_RETRY_DELAY   5
#define IPXE_SCRIPT_FAIL_DELAY    30
#define IPXE_SCRIPT_NOIMAGE_DELAY 60

struct ipxe_vars {
	const char *server;  /* "http://10.0.0.2:8090", no trailing '/' */
	const char *image;   /* image name, NULL when there is none */
	const char *missing; /* with image NULL: the assigned image that does not exist */
	uint8_t mac[MAC_LEN];
	/* "?arch=A&uuid=U": what the script's own URL and {config_url} carry; NULL: none */
	const char *query;
	bool local; /* boot from the local disk: a script that runs "exit" */
	bool efi;   /* the image is an EFI application: the script chains its boot.efi */
	bool iso;   /* with efi: an ISO kept whole, which the script sanboots (boot.iso) */
	/* kernel, initrd, rootfs.squashfs elsewhere (an image's origin); NULL: {server}/images/... */
	const char *file_url[3];
	/* {netconsole}: the advertised IPv4 address, "10.0.0.2", and syslog.port; NULL, 0: off */
	const char *syslog_addr;
	uint16_t syslog_port;
};

/*
 * Check a template: 0, or -EINVAL for an unknown or unterminated
 * placeholder, a control character or an overlong template.  The config
 * parser calls this on default.cmdline.
 */
int ipxe_cmdline_validate(const char *tmpl);

/*
 * Expand a template (NULL: IPXE_DEFAULT_CMDLINE) into a malloc'd string in
 * *ret.  -EINVAL for a bad template, or when an expanded value would break
 * the iPXE line (whitespace, control characters) or v->image is NULL where
 * {image} or an image URL is used; -ENOMEM.
 */
int ipxe_cmdline_expand(const char *tmpl, const struct ipxe_vars *v, char **ret);

/*
 * The whole script, malloc'd, in *ret.  With v->local, a script that runs
 * "exit" (the firmware goes on to its next boot device, the disk).  With
 * v->image NULL, a script that
 * says no image is configured and asks again every
 * IPXE_SCRIPT_NOIMAGE_DELAY seconds (naming v->missing, the machine's
 * assigned image, when that is set).  With v->efi, a script that chains
 * {server}/images/{image}/boot.efi (iPXE on UEFI starts it; no command
 * line: the application carries its own), retried as the kernel download
 * is; with v->iso too, one that runs "sanboot --no-describe" on
 * {server}/images/{image}/boot.iso (iPXE reads the ISO with HTTP range
 * requests and boots its El Torito entry).  Errors as ipxe_cmdline_expand().
 */
int ipxe_script_render(const char *tmpl, const struct ipxe_vars *v, char **ret);

#endif
