#include "iface.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "util.h"

bool
iface_allowed(const struct config *c, int ifindex)
{
	char name[IF_NAMESIZE];

	if (c->n_interfaces == 0)
		return true;
	if (ifindex <= 0 || if_indextoname((unsigned)ifindex, name) == NULL)
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
	return ifindex > 0 && if_indextoname((unsigned)ifindex, name) != NULL &&
	       strcmp(name, IFACE_LOOPBACK) == 0;
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
	struct ifaddrs *ifa, *i;
	char name[IF_NAMESIZE];
	int r = -EADDRNOTAVAIL;

	if (ifindex <= 0 || if_indextoname((unsigned)ifindex, name) == NULL)
		return -EADDRNOTAVAIL;
	if (getifaddrs(&ifa) < 0)
		return -errno;
	for (i = ifa; i != NULL; i = i->ifa_next) {
		if (i->ifa_addr == NULL || i->ifa_addr->sa_family != AF_INET)
			continue;
		if (strcmp(i->ifa_name, name) != 0)
			continue;
		*ret = ((struct sockaddr_in *)i->ifa_addr)->sin_addr;
		r = 0;
		break;
	}
	freeifaddrs(ifa);
	return r;
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
	struct ifaddrs *ifa, *i;
	int r = -EADDRNOTAVAIL;

	if (local.s_addr == htonl(INADDR_ANY) || getifaddrs(&ifa) < 0)
		return -EADDRNOTAVAIL;
	for (i = ifa; i != NULL; i = i->ifa_next) {
		if (i->ifa_addr == NULL || i->ifa_addr->sa_family != AF_INET ||
		    ((struct sockaddr_in *)i->ifa_addr)->sin_addr.s_addr != local.s_addr)
			continue;
		snprintf(ret, IF_NAMESIZE, "%s", i->ifa_name);
		r = 0;
		break;
	}
	freeifaddrs(ifa);
	return r;
}

int
iface_any_address(const struct config *c, struct in_addr *ret)
{
	struct ifaddrs *ifa, *i;
	int r = -EADDRNOTAVAIL;

	if (c->has_advertise) {
		*ret = c->advertise;
		return 0;
	}
	if (getifaddrs(&ifa) < 0)
		return -EADDRNOTAVAIL;
	for (i = ifa; i != NULL && r < 0; i = i->ifa_next) {
		if (i->ifa_addr == NULL || i->ifa_addr->sa_family != AF_INET ||
		    (i->ifa_flags & IFF_LOOPBACK) ||
		    !iface_allowed(c, (int)if_nametoindex(i->ifa_name)))
			continue;
		*ret = ((struct sockaddr_in *)i->ifa_addr)->sin_addr;
		r = 0;
	}
	freeifaddrs(ifa);
	return r;
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
