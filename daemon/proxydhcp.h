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

struct proxydhcp;

/* Architecture slots of the answer counters: see proxydhcp_arch_name(). */
#define PROXYDHCP_ARCH_SLOTS 9
#define PROXYDHCP_KINDS      4 /* enum pxe_client */

/* Counters since proxydhcp_new(), for /metrics. */
struct proxydhcp_stats {
	uint64_t received;         /* datagrams read */
	uint64_t malformed;        /* failed to parse (truncated or bad) */
	uint64_t ignored_iface;    /* from an interface not served */
	uint64_t ignored_not_pxe;  /* not a PXE/HTTP boot client (or no MAC for iPXE) */
	uint64_t ignored_msg_type; /* message type not answered on that port */
	uint64_t unsupported_arch; /* unknown architecture, or no loader configured */
	uint64_t no_address;       /* no address to advertise on the interface */
	uint64_t refused;          /* unknown MAC with default boot off, or its image missing */
	uint64_t offers;           /* DHCPOFFERs sent */
	uint64_t acks;             /* DHCPACKs sent (PXE port) */
	uint64_t send_errors;      /* sendmsg() failures, replies that did not build */
	/* offers and acks again, by enum pxe_client and architecture slot */
	uint64_t offers_by[PROXYDHCP_KINDS][PROXYDHCP_ARCH_SLOTS];
	uint64_t acks_by[PROXYDHCP_KINDS][PROXYDHCP_ARCH_SLOTS];
};

/* Open the sockets and register events on srv->base.  0 or -errno (logged). */
int proxydhcp_new(struct server *srv, struct proxydhcp **ret);
/* Close sockets, drop in-flight sessions.  Accepts NULL. */
void proxydhcp_free(struct proxydhcp *s);

/* Copy the counters out.  A NULL 's' (ProxyDHCP disabled) gives zeros. */
void proxydhcp_get_stats(const struct proxydhcp *s, struct proxydhcp_stats *ret);
/* The label of an architecture slot ("bios", "efi-x64", ..., "other"); NULL past the end. */
const char *proxydhcp_arch_name(size_t slot);

#endif
