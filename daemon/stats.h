/*
 * The server's statistics, in one place.  Each service counts into its own
 * block of srv->stats (it is handed a pointer when it is created); /metrics
 * (metrics.c) and the control socket's status read the same blocks and the
 * same snapshot of the store (stats_state()), and nobody reaches into a
 * service for them.  Counters live as long as the daemon: a service
 * restarted by a reload (new port, interfaces) goes on counting where it
 * was; its gauges (sessions, connections) go to zero while it is stopped.
 * Loop thread only.
 */
#ifndef NETBOOTD_STATS_H
#define NETBOOTD_STATS_H

#include <stddef.h>
#include <stdint.h>

struct server;

/* Architecture slots of the answer counters: see proxydhcp_arch_name(). */
#define PROXYDHCP_ARCH_SLOTS 9
#define PROXYDHCP_KINDS      4 /* enum pxe_client */

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

struct tftp_stats {
	uint64_t requests;    /* RRQ and WRQ received on the listening socket */
	uint64_t transfers;   /* transfers completed (last block acknowledged) */
	uint64_t bytes_sent;  /* file bytes in DATA packets, retransmits included */
	uint64_t retransmits; /* DATA or OACK packets sent again */
	uint64_t timeouts;    /* sessions given up after the retry cap */
	uint64_t errors_sent; /* ERROR packets sent */
	unsigned active;      /* sessions in progress */
};

struct http_stats {
	uint64_t responses[5];        /* by status class: [0] 1xx ... [4] 5xx */
	uint64_t bytes_sent;          /* body bytes of responses written completely */
	uint64_t connections;         /* accepted since start */
	unsigned active;              /* open connections now */
	unsigned paused;              /* 1 while accepting is paused at the cap */
	uint64_t grub_resets;         /* GRUB connections reset once acknowledged (http-linger.c) */
	uint64_t header_timeouts;     /* closed: no whole request within http.header_timeout */
	uint64_t refused_per_address; /* refused: the address held max_connections_per_address */
	uint64_t refused_reserved;    /* refused: the slots left are kept for new addresses */
};

struct syslog_stats {
	uint64_t received;      /* datagrams read */
	uint64_t lines;         /* kept for a known machine */
	uint64_t unknown;       /* from addresses that map to no machine: counted, not kept */
	uint64_t rate_limited;  /* dropped: over the sender address's rate */
	uint64_t ignored_iface; /* dropped: from an interface not served */
	uint64_t empty;         /* dropped: nothing but newlines and NULs */
	uint64_t truncated;     /* text cut at syslog.max_line */
	uint64_t escaped;       /* with bytes that were not UTF-8, or control characters */
	uint64_t evicted;       /* kept lines dropped early, for the memory cap */
	size_t machines;        /* machines with kept lines now */
	size_t bytes;           /* memory of the kept lines now */
};

/* Upper bounds (seconds) of the duration histograms' buckets, +Inf after them. */
#define STATS_BOOT_BUCKETS    11
#define STATS_INSTALL_BUCKETS 10

struct histogram {
	uint64_t count;
	double sum;          /* seconds */
	uint64_t bucket[12]; /* cumulative by the bounds, not counting +Inf */
};

struct lifecycle_stats {
	uint64_t reports;         /* reports accepted */
	uint64_t reports_refused; /* wrong or spent token, wrong state, bad request */
	uint64_t failed_installs; /* reported failed, or netbooted again while installing */
	uint64_t persist_errors;  /* lifecycle.json could not be written */
	struct histogram boot;    /* first DHCP to cloud-config fetched */
	struct histogram install; /* installing (or cloud-config) to installed */
};

extern const double stats_boot_bounds[STATS_BOOT_BUCKETS];
extern const double stats_install_bounds[STATS_INSTALL_BUCKETS];
/* Count one observation of 'seconds'. */
void stats_observe(struct histogram *h, const double *bounds, size_t n, double seconds);

struct import_stats {
	unsigned running;
	uint64_t completed, failed, cancelled;
};

struct server_stats {
	struct proxydhcp_stats dhcp;
	struct tftp_stats tftp;
	struct http_stats http;
	struct syslog_stats syslog;
	struct import_stats imports;
	struct lifecycle_stats lifecycle;
};

/* What the store holds and who is connected, as status and /metrics show it. */
struct stats_state {
	size_t images, machines, configs; /* machines: in the fleet */
	size_t machines_seen;             /* seen booting, not in the fleet (as `machines`) */
	size_t progress_machines;         /* with recent boot progress */
	unsigned control_clients;
};

void stats_state(struct server *srv, struct stats_state *ret);

#endif
