/*
 * Interfaces and their IPv4 addresses.  Every HTTP script and cloud-config
 * asks which interface and address a request came in on; getifaddrs(3) is
 * two netlink dumps.  So the table is kept: filled by one getifaddrs() when
 * needed, and dropped when the kernel says an address or a link changed
 * (an rtnetlink socket subscribed to RTMGRP_LINK and RTMGRP_IPV4_IFADDR on
 * the loop, at the first priority so that a change is read before the
 * requests of the same loop turn).  Without that socket (iface_watch_start()
 * not called, or it failed) every lookup asks the kernel, as before.
 * Loop thread only.
 */
#include "iface.h"

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <ifaddrs.h>
#include <linux/if_packet.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/event.h>

#include "log.h"
#include "server.h"
#include "util.h"

struct iface_entry {
	char name[IF_NAMESIZE];
	int ifindex;
	unsigned flags;
	bool is_addr;        /* an IPv4 address of the interface, else the link itself */
	struct in_addr addr; /* is_addr */
};

static struct {
	struct event *ev; /* on the rtnetlink socket; NULL: not watching */
	int fd;
	bool valid;
	struct iface_entry *v;
	size_t n;
	uint64_t fills; /* getifaddrs() calls, for the tests' debug log */
} table = {.fd = -1};

static void
table_add(const struct ifaddrs *i, struct iface_entry *v, size_t *n)
{
	struct iface_entry *e = &v[*n];

	if (i->ifa_addr == NULL)
		return;
	*e = (struct iface_entry){.flags = i->ifa_flags};
	snprintf(e->name, sizeof(e->name), "%s", i->ifa_name);
	if (i->ifa_addr->sa_family == AF_PACKET) {
		e->ifindex = ((const struct sockaddr_ll *)(const void *)i->ifa_addr)->sll_ifindex;
	} else if (i->ifa_addr->sa_family == AF_INET) {
		e->is_addr = true;
		e->addr = ((const struct sockaddr_in *)(const void *)i->ifa_addr)->sin_addr;
	} else {
		return;
	}
	(*n)++;
}

/* The addresses' ifindex: their link's (getifaddrs lists the links first). */
static void
table_link_indexes(struct iface_entry *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; v[i].is_addr && j < n; j++)
			if (!v[j].is_addr && strcmp(v[j].name, v[i].name) == 0) {
				v[i].ifindex = v[j].ifindex;
				break;
			}
}

/* The table, filled again if a change dropped it; NULL (and errno) if it cannot be. */
static const struct iface_entry *
table_get(size_t *ret_n)
{
	struct ifaddrs *ifa;
	struct iface_entry *v;
	size_t n = 0;

	if (table.valid) {
		*ret_n = table.n;
		return table.v;
	}
	if (getifaddrs(&ifa) < 0)
		return NULL;
	for (struct ifaddrs *i = ifa; i != NULL; i = i->ifa_next)
		n++;
	v = calloc(n > 0 ? n : 1, sizeof(*v));
	n = 0;
	if (v == NULL) {
		freeifaddrs(ifa);
		return NULL;
	}
	for (struct ifaddrs *i = ifa; i != NULL; i = i->ifa_next)
		table_add(i, v, &n);
	freeifaddrs(ifa);
	table_link_indexes(v, n);
	free(table.v);
	table.v = v, table.n = n;
	table.valid = table.ev != NULL; /* kept only while changes are heard of */
	table.fills++;
	log_debug(NULL, "Interface table read: %zu links and addresses (read %" PRIu64 " times)", n,
	    table.fills);
	*ret_n = n;
	return v;
}

/* The kernel tells of a change: drop the table (it is read again when next needed). */
static void
watch_cb(evutil_socket_t fd, short what, void *arg)
{
	char buf[8192];
	ssize_t n;

	(void)what;
	(void)arg;
	table.valid = false;
	/* ENOBUFS (messages lost) also means: something changed */
	while ((n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT)) > 0 || (n < 0 && errno == ENOBUFS))
		;
}

int
iface_watch_start(struct event_base *base)
{
	struct sockaddr_nl sa = {
	    .nl_family = AF_NETLINK, .nl_groups = RTMGRP_LINK | RTMGRP_IPV4_IFADDR};
	_cleanup_close_ int fd = -1;
	struct event *ev;

	if (table.ev != NULL)
		return 0;
	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return -errno;
	ev = event_new(base, fd, EV_READ | EV_PERSIST, watch_cb, NULL);
	if (ev == NULL || event_priority_set(ev, SERVER_PRIO_DHCP) < 0 || event_add(ev, NULL) < 0) {
		if (ev != NULL)
			event_free(ev);
		return -ENOMEM;
	}
	table.ev = ev;
	table.fd = TAKE_FD(fd);
	table.valid = false;
	return 0;
}

void
iface_watch_stop(void)
{
	if (table.ev != NULL)
		event_free(table.ev);
	if (table.fd >= 0)
		close(table.fd);
	free(table.v);
	table.ev = NULL, table.fd = -1, table.valid = false;
	table.v = NULL, table.n = 0;
}

/* The name of interface 'ifindex': from the table while it is kept. */
static bool
iface_index_name(int ifindex, char name[IF_NAMESIZE])
{
	const struct iface_entry *v;
	size_t n;

	if (ifindex <= 0)
		return false;
	if (table.ev == NULL || (v = table_get(&n)) == NULL)
		return if_indextoname((unsigned)ifindex, name) != NULL;
	for (size_t i = 0; i < n; i++)
		if (!v[i].is_addr && v[i].ifindex == ifindex) {
			memcpy(name, v[i].name, IF_NAMESIZE);
			return true;
		}
	return false;
}

bool
iface_allowed(const struct config *c, int ifindex)
{
	char name[IF_NAMESIZE];

	if (c->n_interfaces == 0)
		return true;
	if (!iface_index_name(ifindex, name))
		return false;
	for (size_t i = 0; i < c->n_interfaces; i++)
		if (strcmp(c->interfaces[i], name) == 0)
			return true;
	return false;
}

bool
iface_served(const struct config *c, int ifindex)
{
	char name[IF_NAMESIZE];

	if (iface_allowed(c, ifindex))
		return true;
	return iface_index_name(ifindex, name) && strcmp(name, IFACE_LOOPBACK) == 0;
}

bool
iface_lists_loopback(const struct config *c)
{
	for (size_t i = 0; i < c->n_interfaces; i++)
		if (strcmp(c->interfaces[i], IFACE_LOOPBACK) == 0)
			return true;
	return false;
}

static int
iface_first_addr(int ifindex, struct in_addr *ret)
{
	const struct iface_entry *v;
	size_t n;

	if (ifindex <= 0)
		return -EADDRNOTAVAIL;
	if ((v = table_get(&n)) == NULL)
		return -errno;
	for (size_t i = 0; i < n; i++)
		if (v[i].is_addr && v[i].ifindex == ifindex) {
			*ret = v[i].addr;
			return 0;
		}
	return -EADDRNOTAVAIL;
}

int
iface_advertise(const struct config *c, int ifindex, struct in_addr local, struct in_addr *ret)
{
	if (c->has_advertise) {
		*ret = c->advertise;
		return 0;
	}
	if (local.s_addr != htonl(INADDR_ANY) && local.s_addr != htonl(INADDR_BROADCAST)) {
		*ret = local;
		return 0;
	}
	return iface_first_addr(ifindex, ret);
}

int
iface_name_of(struct in_addr local, char ret[IF_NAMESIZE])
{
	const struct iface_entry *v;
	size_t n;

	if (local.s_addr == htonl(INADDR_ANY) || (v = table_get(&n)) == NULL)
		return -EADDRNOTAVAIL;
	for (size_t i = 0; i < n; i++)
		if (v[i].is_addr && v[i].addr.s_addr == local.s_addr) {
			memcpy(ret, v[i].name, IF_NAMESIZE);
			return 0;
		}
	return -EADDRNOTAVAIL;
}

int
iface_any_address(const struct config *c, struct in_addr *ret)
{
	const struct iface_entry *v;
	size_t n;

	if (c->has_advertise) {
		*ret = c->advertise;
		return 0;
	}
	if ((v = table_get(&n)) == NULL)
		return -EADDRNOTAVAIL;
	for (size_t i = 0; i < n; i++)
		if (v[i].is_addr && !(v[i].flags & IFF_LOOPBACK) &&
		    iface_allowed(c, v[i].ifindex)) {
			*ret = v[i].addr;
			return 0;
		}
	return -EADDRNOTAVAIL;
}

int
iface_udp_open(uint16_t port, unsigned flags, int rcvbuf, int *ret_fd)
{
	_cleanup_close_ int fd = -1;
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};
	int one = 1;

	fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (((flags & IFACE_UDP_BROADCAST) &&
	        (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	            setsockopt(fd, SOL_SOCKET, SO_BROADCAST, &one, sizeof(one)) < 0)) ||
	    setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &one, sizeof(one)) < 0)
		return -errno;
	if (rcvbuf > 0)
		(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	sa.sin_addr.s_addr = htonl(INADDR_ANY);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return -errno;
	*ret_fd = TAKE_FD(fd);
	return 0;
}
