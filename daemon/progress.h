/*
 * Boot progress: what each machine (by MAC) did lately — offered a boot
 * file, fetched a loader over TFTP, fetched its iPXE script, downloaded its
 * kernel/initrd/squashfs, fetched its cloud-config.  Memory is bounded: at
 * most PROGRESS_MAX_MACHINES machines (least recently active dropped) with
 * their last PROGRESS_EVENTS_PER_MACHINE events each.
 *
 * TFTP and HTTP downloads carry no MAC: the recorder learns which IPv4
 * address belongs to which MAC (from /ipxe/<mac> requests and from DHCP
 * packets that carry ciaddr), and falls back to the kernel's neighbour table
 * (/proc/net/arp) for addresses it has not learned.  Events whose MAC stays
 * unknown are recorded with has_mac false (sent to watchers, not stored).
 *
 * Subscribers (netbootctl watch) get every recorded event synchronously,
 * from the loop thread.  Everything here is loop-thread only.
 */
#ifndef NETBOOTD_PROGRESS_H
#define NETBOOTD_PROGRESS_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mac.h"
#include "name.h"

#define PROGRESS_MAX_MACHINES       4096
#define PROGRESS_EVENTS_PER_MACHINE 16
#define PROGRESS_DETAIL_MAX         96

enum progress_kind {
	PROGRESS_OFFER,  /* ProxyDHCP offer or ACK sent; detail = boot file */
	PROGRESS_LOADER, /* loader sent (TFTP or HTTP); detail = file name */
	PROGRESS_SCRIPT, /* iPXE script served; detail = image name */
	PROGRESS_KERNEL, /* image file downloads; detail = image name */
	PROGRESS_INITRD,
	PROGRESS_ROOTFS,
	PROGRESS_CONFIG, /* cloud-config served; detail = config name or "default" */
	PROGRESS_FILE,   /* any other TFTP file; detail = file name */
	PROGRESS_STATE,  /* its lifecycle changed (daemon/lifecycle.h); detail = the new state */
};

struct progress_event {
	int64_t time_ms; /* CLOCK_REALTIME, milliseconds */
	enum progress_kind kind;
	bool has_mac;
	uint8_t mac[MAC_LEN];
	struct in_addr client; /* 0.0.0.0 when unknown */
	char detail[PROGRESS_DETAIL_MAX];
	uint64_t bytes; /* bytes sent in this transfer */
	uint64_t total; /* size of the file (0 if not a download) */
	bool complete;  /* the whole file was sent */
	/* The instance that served it (a shared store, store.h); "" for this one. */
	char instance[NAME_MAX_LEN + 1];
};

struct progress;
struct progress_sub;

typedef void (*progress_watch_fn)(const struct progress_event *ev, void *userdata);

int progress_new(struct progress **ret);
void progress_free(struct progress *p); /* also frees remaining subscriptions */

/* "offer", "loader", "script", "kernel", "initrd", "rootfs", "config", "file", "state". */
const char *progress_kind_name(enum progress_kind k);
/* The kind of a name; -EINVAL. */
int progress_kind_parse(const char *s, enum progress_kind *ret);

/* Learn that 'addr' belongs to 'mac' (bounded table, oldest entries dropped). */
void progress_learn(struct progress *p, struct in_addr addr, const uint8_t mac[MAC_LEN]);
/*
 * The MAC of 'addr': learned, else the neighbour table (where a miss is
 * remembered for a second, and loopback addresses are never looked up).
 * 0 or -ENOENT.
 */
int progress_mac_of(struct progress *p, struct in_addr addr, uint8_t ret[MAC_LEN]);

/*
 * Record an event; time_ms is filled in if 0; if !has_mac and client is set,
 * the MAC is looked up with progress_mac_of().  Watchers are notified.
 */
void progress_record(struct progress *p, struct progress_event *ev);
/* With a shared store: this instance's name, given to the events it records without one. */
void progress_set_instance(struct progress *p, const char *name);
const char *progress_instance(const struct progress *p); /* "" when not shared */

/* The most recent event of a machine, or NULL. */
const struct progress_event *progress_last(const struct progress *p, const uint8_t mac[MAC_LEN]);
/* Call fn for every stored event of every machine, oldest first per machine. */
void progress_foreach(const struct progress *p, progress_watch_fn fn, void *userdata);
size_t progress_machines(const struct progress *p);

/* Watch events: of one MAC, or of all when mac is NULL. */
int progress_subscribe(struct progress *p, const uint8_t *mac, progress_watch_fn fn, void *userdata,
    struct progress_sub **ret);
void progress_unsubscribe(struct progress_sub *sub); /* accepts NULL */

#endif
