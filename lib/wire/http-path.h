/*
 * The URL space of netbootd's HTTP server, parsed from the request target.
 * Pure code.
 *
 *   /healthz
 *   /boot/<loader>
 *   /ipxe/<mac>
 *   /images/<name>/{kernel,initrd,rootfs.squashfs}
 *   /config/<mac>
 *
 * Each path segment is percent-decoded on its own, so an encoded "/" (%2F)
 * never splits a segment: it is refused.  The query string and fragment are
 * ignored.
 */
#ifndef NETBOOTD_HTTP_PATH_H
#define NETBOOTD_HTTP_PATH_H

#include "name.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mac.h"

#define HTTP_PATH_MAX     1024         /* request targets longer than this are refused */
#define HTTP_NAME_MAX     NAME_MAX_LEN /* image and loader names */
#define HTTP_SEGMENTS_MAX 4

enum http_route_kind {
	HTTP_ROUTE_HEALTHZ,
	HTTP_ROUTE_BOOT,
	HTTP_ROUTE_IPXE,
	HTTP_ROUTE_IMAGE,
	HTTP_ROUTE_CONFIG,
};

struct http_route {
	enum http_route_kind kind;
	char name[HTTP_NAME_MAX + 1]; /* BOOT: loader name; IMAGE: image name */
	const char *file;             /* IMAGE: "kernel", "initrd" or "rootfs.squashfs" */
	uint8_t mac[MAC_LEN];         /* IPXE, CONFIG */
};

/*
 * Parse a request target ("/images/x/kernel?foo").  0 and *ret on success;
 * -EBADMSG for a malformed or dangerous path (400: bad percent escape, NUL,
 * "/" inside a segment, "." or "..", empty segment, bad name or MAC,
 * overlong); -ENOENT for a well-formed path that names nothing (404).
 */
int http_route_parse(const char *target, size_t len, struct http_route *ret);

#endif
