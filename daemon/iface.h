/*
 * Interfaces: which ones we serve, and their IPv4 addresses.
 */
#ifndef NETBOOTD_IFACE_H
#define NETBOOTD_IFACE_H

#include <net/if.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>

#include "config.h"

struct event_base;

/*
 * Keep the table of interfaces and addresses in memory, dropped when the
 * kernel announces a change (rtnetlink, on 'base').  0 or -errno; without
 * it every lookup asks the kernel.  _stop() frees it.
 */
int iface_watch_start(struct event_base *base);
void iface_watch_stop(void);

/* A UDP socket bound to 0.0.0.0:port with IP_PKTINFO (and the IFACE_UDP_* options). */
#define IFACE_UDP_BROADCAST 1u /* SO_REUSEADDR and SO_BROADCAST: ProxyDHCP beside a DHCP server */
int iface_udp_open(uint16_t port, unsigned flags, int rcvbuf, int *ret_fd);

/* True if the config serves interface 'ifindex' (all, when none listed). */
bool iface_allowed(const struct config *c, int ifindex);
/* The loopback interface's name, which TFTP and HTTP serve whatever 'interfaces' says. */
#define IFACE_LOOPBACK "lo"
/* What TFTP and HTTP serve: iface_allowed(), and the loopback interface always. */
bool iface_served(const struct config *c, int ifindex);
/* Whether 'interfaces' lists the loopback interface itself. */
bool iface_lists_loopback(const struct config *c);

/*
 * The address to advertise to a client that reached us on 'ifindex' at local
 * address 'local' (may be INADDR_ANY): advertise: from the config if set, else
 * 'local' if set, else the first IPv4 address of the interface.
 * Returns 0 or -EADDRNOTAVAIL.
 */
int iface_advertise(const struct config *c, int ifindex, struct in_addr local, struct in_addr *ret);

/*
 * An address to show in URLs when no request says which: advertise: from the
 * config if set, else the first IPv4 address of a served, non-loopback
 * interface.  0 or -EADDRNOTAVAIL.
 */
int iface_any_address(const struct config *c, struct in_addr *ret);

/* The interface that has local address 'local': its name; -EADDRNOTAVAIL. */
int iface_name_of(struct in_addr local, char ret[IF_NAMESIZE]);

#endif
