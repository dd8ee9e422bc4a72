/*
 * The URL space of netbootd's HTTP server, parsed from the request target.
 * Pure code.
 *
 *   /                the status page's address: a redirect to /ui/ (as is /ui)
 *   /ui/             the status page (daemon/ui.h); /ui/<name> its files
 *                    (index.html, ui.css, ui.js), /ui/state its JSON snapshot,
 *                    /ui/events its event stream
 *   /healthz
 *   /boot/<loader>
 *   /loaders/<arch>/<file>  a file of loaders.dir/<arch>/ (arch x86_64-efi or
 *                    arm64-efi; daemon/loader.h)
 *   /grub/grub.cfg, /grub/netbootd/<arch>/<mac>   GRUB's configurations
 *                    (daemon/grub.h); other /grub/ paths name nothing
 *   /ipxe/<mac>
 *   /images/<name>/{kernel,initrd,rootfs.squashfs,boot.efi,boot.iso}
 *                    (boot.efi: an EFI image's, boot.iso: an ISO image's)
 *   /config/<mac>
 *   /blobs/sha256:<64 hex digits>   an image file by its digest (daemon/store.h,
 *                                   store_blob_open()); upper-case hex is accepted
 *                                   and given lower-case; anything else after
 *                                   "/blobs/" (another algorithm, a short digest)
 *                                   is malformed
 *   /report/<mac>/<token>/<state>   a machine's lifecycle report (POST): the
 *                                   token is 32 lower-case hex digits (else
 *                                   malformed), the state "installing",
 *                                   "installed" or "failed" (else nothing)
 *
 * Each path segment is percent-decoded on its own, so an encoded "/" (%2F)
 * never splits a segment: it is refused.  A trailing "/" is refused but for
 * "/ui/".  The fragment is ignored; so is the
 * query string, but for /ipxe/ and /config/, where these parameters say what
 * ProxyDHCP saw of the client (lib/wire/pxe.h puts them into the script URL)
 * or what iPXE says of itself:
 *   arch=A        the boot decision's name of the platform ("efi-x86_64")
 *   uuid=U        the SMBIOS UUID (option 97, iPXE's ${uuid})
 *   buildarch=B, platform=P   iPXE's ${buildarch} and ${platform}
 * Values are percent-decoded, printable ASCII, at most HTTP_QUERY_VALUE_MAX
 * bytes (else the request is malformed); unknown parameters are ignored.
 */
#ifndef NETBOOTD_HTTP_PATH_H
#define NETBOOTD_HTTP_PATH_H

#include "name.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mac.h"

#define HTTP_PATH_MAX        1024         /* request targets longer than this are refused */
#define HTTP_NAME_MAX        NAME_MAX_LEN /* image and loader names */
#define HTTP_SEGMENTS_MAX    4
#define HTTP_SEGMENT_MAX     80 /* decoded bytes of one segment ("sha256:" and 64 hex fit) */
#define HTTP_SHA256_HEX      64
#define HTTP_QUERY_VALUE_MAX 40
#define HTTP_TOKEN_LEN       32 /* a report's token: lower-case hex (LIFECYCLE_TOKEN_LEN) */

enum http_route_kind {
	HTTP_ROUTE_HEALTHZ,
	HTTP_ROUTE_BOOT,
	HTTP_ROUTE_IPXE,
	HTTP_ROUTE_IMAGE,
	HTTP_ROUTE_CONFIG,
	HTTP_ROUTE_BLOB,
	HTTP_ROUTE_REPORT,
	HTTP_ROUTE_UI_REDIRECT, /* "/" and "/ui" */
	HTTP_ROUTE_UI_FILE,     /* name: "index.html" for "/ui/", else the file asked for */
	HTTP_ROUTE_UI_STATE,
	HTTP_ROUTE_UI_EVENTS,
	HTTP_ROUTE_LOADER, /* path: "<arch>/<file>" */
	HTTP_ROUTE_GRUB,   /* path: "grub/grub.cfg", "grub/netbootd/<arch>/<mac>" */
};

struct http_route {
	enum http_route_kind kind;
	char name[HTTP_NAME_MAX + 1];     /* BOOT: loader name; IMAGE: image name; UI_FILE: file */
	const char *file;                 /* IMAGE: the file, one of manifest_file_names[] */
	uint8_t mac[MAC_LEN];             /* IPXE, CONFIG, REPORT */
	char token[HTTP_TOKEN_LEN + 1];   /* REPORT */
	char state[16];                   /* REPORT: "installing", "installed", "failed" */
	char sha256[HTTP_SHA256_HEX + 1]; /* BLOB: lower-case hex */
	char path[2 * HTTP_SEGMENT_MAX + 24]; /* LOADER, GRUB */
	/* IPXE, CONFIG: the query parameters, "" when absent */
	char arch[HTTP_QUERY_VALUE_MAX + 1];
	char uuid[HTTP_QUERY_VALUE_MAX + 1];
	char buildarch[HTTP_QUERY_VALUE_MAX + 1];
	char platform[HTTP_QUERY_VALUE_MAX + 1];
};

/*
 * Parse a request target ("/images/x/kernel?foo").  0 and *ret on success;
 * -EBADMSG for a malformed or dangerous path (400: bad percent escape, NUL,
 * "/" inside a segment, "." or "..", empty segment, bad name or MAC,
 * overlong); -ENOENT for a well-formed path that names nothing (404).
 */
int http_route_parse(const char *target, size_t len, struct http_route *ret);

#endif
