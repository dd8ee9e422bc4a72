/*
 * The GRUB side of the boot decision, for TFTP and HTTP alike: the
 * configuration every GRUB reads first ($prefix/grub.cfg, the same for all)
 * and each machine's own ($prefix/netbootd/<arch>/<mac>), rendered from the
 * boot decision as the iPXE script is (lib/boot/grub-cfg.h).  A machine's
 * configuration is its boot: like /ipxe/<mac>, serving one that boots an
 * image starts a lifecycle boot and records a "script" event.
 */
#ifndef NETBOOTD_GRUB_H
#define NETBOOTD_GRUB_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>

#include "fleet.h"
#include "mac.h"

struct server;

struct grub_request {
	const char *path;      /* below the root: "grub/grub.cfg", "grub/netbootd/..." */
	struct in_addr client; /* the client's address */
	struct in_addr local;  /* ours, where the request came to (0.0.0.0: unknown) */
	int ifindex;           /* its interface, 0 if unknown */
	bool http;             /* over HTTP: files from (http,...), else (tftp,...) */
	bool head;             /* an HTTP HEAD: no boot, no event */
	const char *peer;      /* "10.0.0.5:1234", for log lines */
};

/* Whether the path (a leading "/" skipped) is one of GRUB's: "grub/grub.cfg", "grub/netbootd/...". */
bool grub_path(const char *path);

/*
 * The text for the request, malloc'd, in *ret and its length.  -ENOENT for
 * a path that names nothing or a machine that gets no configuration (its
 * profile says ignore, default boot is off: logged as the iPXE script's
 * refusals are); -ENOMEM; -EINVAL for a template that cannot be rendered
 * (logged).
 */
int grub_serve(struct server *srv, const struct grub_request *rq, char **ret, size_t *ret_len);

#endif
