#include "progress.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <time.h>

#include "clock.h"
#include "util.h"

#define PROGRESS_MAX_ADDRS 4096
/* Addresses the neighbour table had no MAC for, not asked again for a while. */
#define PROGRESS_MISSES  64
#define PROGRESS_MISS_MS 1000

struct progress_machine {
	uint8_t mac[MAC_LEN];
	int64_t last_ms;
	unsigned n, head; /* ring of the last events */
	struct progress_event ev[PROGRESS_EVENTS_PER_MACHINE];
};

struct progress_addr {
	struct in_addr addr;
	uint8_t mac[MAC_LEN];
	int64_t time_ms;
};

struct progress_sub {
	LIST_ENTRY(progress_sub) link;
	struct progress *p;
	bool all;
	uint8_t mac[MAC_LEN];
	progress_watch_fn fn;
	void *userdata;
};

struct progress {
	struct progress_machine *machines; /* allocated on demand, at most PROGRESS_MAX_MACHINES */
	size_t n_machines, cap_machines;
	struct progress_addr addrs[PROGRESS_MAX_ADDRS];
	size_t n_addrs;
	struct {
		struct in_addr addr;
		int64_t at_ms; /* CLOCK_MONOTONIC */
	} misses[PROGRESS_MISSES];
	unsigned next_miss;
	LIST_HEAD(, progress_sub) subs;
	char self[NAME_MAX_LEN + 1]; /* this instance's name in a shared store, or "" */
};

int
progress_new(struct progress **ret)
{
	struct progress *p = calloc(1, sizeof(*p));

	if (p == NULL)
		return -ENOMEM;
	LIST_INIT(&p->subs);
	*ret = p;
	return 0;
}

void
progress_free(struct progress *p)
{
	struct progress_sub *sub;

	if (p == NULL)
		return;
	while ((sub = LIST_FIRST(&p->subs)) != NULL)
		progress_unsubscribe(sub);
	free(p->machines);
	free(p);
}

int
progress_kind_parse(const char *s, enum progress_kind *ret)
{
	for (enum progress_kind k = PROGRESS_OFFER; k <= PROGRESS_STATE; k++)
		if (strcmp(progress_kind_name(k), s) == 0) {
			*ret = k;
			return 0;
		}
	return -EINVAL;
}

const char *
progress_kind_name(enum progress_kind k)
{
	static const char *const names[] = {
	    [PROGRESS_OFFER] = "offer",
	    [PROGRESS_LOADER] = "loader",
	    [PROGRESS_SCRIPT] = "script",
	    [PROGRESS_KERNEL] = "kernel",
	    [PROGRESS_INITRD] = "initrd",
	    [PROGRESS_ROOTFS] = "rootfs",
	    [PROGRESS_CONFIG] = "config",
	    [PROGRESS_FILE] = "file",
	    [PROGRESS_STATE] = "state",
	};

	if ((size_t)k < ELEMENTSOF(names) && names[k] != NULL)
		return names[k];
	return "unknown";
}

void
progress_learn(struct progress *p, struct in_addr addr, const uint8_t mac[MAC_LEN])
{
	size_t i, oldest = 0;

	for (i = 0; i < p->n_addrs; i++) {
		if (p->addrs[i].addr.s_addr == addr.s_addr)
			break;
		if (p->addrs[i].time_ms < p->addrs[oldest].time_ms)
			oldest = i;
	}
	if (i == p->n_addrs) {
		if (p->n_addrs < PROGRESS_MAX_ADDRS)
			p->n_addrs++;
		else
			i = oldest;
	}
	p->addrs[i].addr = addr;
	memcpy(p->addrs[i].mac, mac, MAC_LEN);
	p->addrs[i].time_ms = clock_ms(CLOCK_REALTIME);
}

/* The kernel's neighbour table: "IP HWtype Flags HWaddress Mask Device". */
static int
neighbour_mac(struct in_addr addr, uint8_t ret[MAC_LEN])
{
	_cleanup_fclose_ FILE *f = fopen("/proc/net/arp", "re");
	char line[256], ip[64], hw[64];
	struct in_addr a;
	unsigned flags;

	if (f == NULL)
		return -ENOENT;
	while (fgets(line, sizeof(line), f) != NULL) {
		if (sscanf(line, "%63s %*s %x %63s", ip, &flags, hw) != 3)
			continue;
		if (inet_pton(AF_INET, ip, &a) != 1 || a.s_addr != addr.s_addr)
			continue;
		if ((flags & 0x2) == 0) /* ATF_COM: entry complete */
			continue;
		return mac_parse(hw, ret) == 0 ? 0 : -ENOENT;
	}
	return -ENOENT;
}

/*
 * neighbour_mac(), which reads all of /proc/net/arp, not asked again for
 * PROGRESS_MISS_MS about an address it had no entry for (a routed client, a
 * local tool: each of its requests and log lines would read it), nor ever
 * about loopback addresses, which have none.
 */
static int
neighbour_mac_cached(struct progress *p, struct in_addr addr, uint8_t ret[MAC_LEN])
{
	int64_t now = clock_ms(CLOCK_MONOTONIC);
	int r;

	if ((ntohl(addr.s_addr) >> 24) == 127)
		return -ENOENT;
	for (size_t i = 0; i < PROGRESS_MISSES; i++)
		if (p->misses[i].addr.s_addr == addr.s_addr && p->misses[i].at_ms != 0 &&
		    now - p->misses[i].at_ms < PROGRESS_MISS_MS)
			return -ENOENT;
	r = neighbour_mac(addr, ret);
	if (r < 0) {
		p->misses[p->next_miss].addr = addr;
		p->misses[p->next_miss].at_ms = now;
		p->next_miss = (p->next_miss + 1) % PROGRESS_MISSES;
	}
	return r;
}

int
progress_mac_of(struct progress *p, struct in_addr addr, uint8_t ret[MAC_LEN])
{
	if (addr.s_addr == htonl(INADDR_ANY))
		return -ENOENT;
	for (size_t i = 0; i < p->n_addrs; i++)
		if (p->addrs[i].addr.s_addr == addr.s_addr) {
			memcpy(ret, p->addrs[i].mac, MAC_LEN);
			return 0;
		}
	return neighbour_mac_cached(p, addr, ret);
}

static struct progress_machine *
machine_find(const struct progress *p, const uint8_t mac[MAC_LEN])
{
	for (size_t i = 0; i < p->n_machines; i++)
		if (memcmp(p->machines[i].mac, mac, MAC_LEN) == 0)
			return &p->machines[i];
	return NULL;
}

/* The machine's slot, new or recycled from the least recently active one. */
static struct progress_machine *
machine_slot(struct progress *p, const uint8_t mac[MAC_LEN])
{
	struct progress_machine *m = machine_find(p, mac);
	size_t oldest = 0;

	if (m != NULL)
		return m;
	if (p->n_machines == p->cap_machines && p->cap_machines < PROGRESS_MAX_MACHINES) {
		size_t cap = p->cap_machines == 0 ? 16 : p->cap_machines * 2;
		struct progress_machine *n;

		if (cap > PROGRESS_MAX_MACHINES)
			cap = PROGRESS_MAX_MACHINES;
		n = realloc(p->machines, cap * sizeof(*n));
		if (n != NULL) {
			p->machines = n;
			p->cap_machines = cap;
		}
	}
	if (p->n_machines < p->cap_machines) {
		m = &p->machines[p->n_machines++];
	} else {
		if (p->n_machines == 0)
			return NULL;
		for (size_t i = 1; i < p->n_machines; i++)
			if (p->machines[i].last_ms < p->machines[oldest].last_ms)
				oldest = i;
		m = &p->machines[oldest];
	}
	memset(m, 0, sizeof(*m));
	memcpy(m->mac, mac, MAC_LEN);
	return m;
}

void
progress_record(struct progress *p, struct progress_event *ev)
{
	struct progress_machine *m;
	struct progress_sub *sub, *next;

	if (ev->time_ms == 0)
		ev->time_ms = clock_ms(CLOCK_REALTIME);
	if (ev->instance[0] == '\0')
		memcpy(ev->instance, p->self, sizeof(ev->instance));
	if (!ev->has_mac && progress_mac_of(p, ev->client, ev->mac) == 0)
		ev->has_mac = true;
	if (ev->has_mac && (m = machine_slot(p, ev->mac)) != NULL) {
		m->ev[m->head] = *ev;
		m->head = (m->head + 1) % PROGRESS_EVENTS_PER_MACHINE;
		if (m->n < PROGRESS_EVENTS_PER_MACHINE)
			m->n++;
		m->last_ms = ev->time_ms;
	}
	for (sub = LIST_FIRST(&p->subs); sub != NULL; sub = next) {
		next = LIST_NEXT(sub, link);
		if (sub->all || (ev->has_mac && memcmp(sub->mac, ev->mac, MAC_LEN) == 0))
			sub->fn(ev, sub->userdata);
	}
}

void
progress_set_instance(struct progress *p, const char *name)
{
	snprintf(p->self, sizeof(p->self), "%s", name != NULL ? name : "");
}

const char *
progress_instance(const struct progress *p)
{
	return p->self;
}

const struct progress_event *
progress_last(const struct progress *p, const uint8_t mac[MAC_LEN])
{
	const struct progress_machine *m = machine_find(p, mac);

	if (m == NULL || m->n == 0)
		return NULL;
	return &m->ev[(m->head + PROGRESS_EVENTS_PER_MACHINE - 1) % PROGRESS_EVENTS_PER_MACHINE];
}

void
progress_foreach(const struct progress *p, progress_watch_fn fn, void *userdata)
{
	for (size_t i = 0; i < p->n_machines; i++) {
		const struct progress_machine *m = &p->machines[i];
		unsigned first =
		    (m->head + PROGRESS_EVENTS_PER_MACHINE - m->n) % PROGRESS_EVENTS_PER_MACHINE;

		for (unsigned k = 0; k < m->n; k++)
			fn(&m->ev[(first + k) % PROGRESS_EVENTS_PER_MACHINE], userdata);
	}
}

size_t
progress_machines(const struct progress *p)
{
	return p->n_machines;
}

int
progress_subscribe(struct progress *p, const uint8_t *mac, progress_watch_fn fn, void *userdata,
    struct progress_sub **ret)
{
	struct progress_sub *sub = calloc(1, sizeof(*sub));

	if (sub == NULL)
		return -ENOMEM;
	sub->p = p;
	sub->all = mac == NULL;
	if (mac != NULL)
		memcpy(sub->mac, mac, MAC_LEN);
	sub->fn = fn;
	sub->userdata = userdata;
	LIST_INSERT_HEAD(&p->subs, sub, link);
	*ret = sub;
	return 0;
}

void
progress_unsubscribe(struct progress_sub *sub)
{
	if (sub == NULL)
		return;
	LIST_REMOVE(sub, link);
	free(sub);
}
