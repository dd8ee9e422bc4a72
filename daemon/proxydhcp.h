/*
 * ProxyDHCP on UDP dhcp.port (67) and dhcp.pxe_port (4011).
 *
 * Answers PXE and UEFI HTTP Boot clients beside the site's DHCP server (the
 * port-67 socket sets SO_REUSEADDR so both can bind) and never hands out
 * addresses.  Whether and with which loader to answer is the boot decision's
 * (lib/boot-policy.h, BOOT_SERVICE_DHCP): machines the store would not boot
 * get no answer (an unknown MAC while settings.default_boot is off, a MAC
 * assigned to an image that does not exist), nor do architectures without a
 * loader.  How to answer is lib/pxe.h's.  Keeps no per-client state: a peer
 * can make it allocate nothing.
 */
#ifndef NETBOOTD_PROXYDHCP_H
#define NETBOOTD_PROXYDHCP_H

#include <stddef.h>
#include <stdint.h>

#include "server.h"
#include "stats.h"

struct proxydhcp;

/* Open the sockets and register events on srv->base.  0 or -errno (logged). */
int proxydhcp_new(struct server *srv, struct proxydhcp **ret);
/* Close sockets, drop in-flight sessions.  Accepts NULL. */
void proxydhcp_free(struct proxydhcp *s);

/* The label of an architecture slot of struct proxydhcp_stats ("bios", "efi-x64", ..., "other"); NULL past the end. */
const char *proxydhcp_arch_name(size_t slot);

#endif
