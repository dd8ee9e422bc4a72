/*
 * Read-only TFTP server on tftp.port (69).
 *
 * Each transfer runs on its own UDP socket (an ephemeral port bound to the
 * local address the request arrived on) with one event for both "packet
 * arrived" and "retransmit timeout".  Files are read with pread() block by
 * block; a session holds one packet buffer, never a whole file.
 */
#ifndef NETBOOTD_TFTP_H
#define NETBOOTD_TFTP_H

#include <stdint.h>

#include "server.h"

struct tftp_server;

/* Counters since the server was created, for /metrics. */
struct tftp_stats {
	uint64_t requests;    /* RRQ and WRQ received on the listening socket */
	uint64_t transfers;   /* transfers completed (last block acknowledged) */
	uint64_t bytes_sent;  /* file bytes in DATA packets, retransmits included */
	uint64_t retransmits; /* DATA or OACK packets sent again */
	uint64_t timeouts;    /* sessions given up after the retry cap */
	uint64_t errors_sent; /* ERROR packets sent */
	unsigned active;      /* sessions in progress */
};

/* Open the sockets and register events on srv->base.  0 or -errno (logged). */
int tftp_server_new(struct server *srv, struct tftp_server **ret);
/* Close sockets, drop in-flight sessions.  Accepts NULL. */
void tftp_server_free(struct tftp_server *s);
/* Copy the counters.  'ret' is zeroed for a NULL server. */
void tftp_server_get_stats(const struct tftp_server *s, struct tftp_stats *ret);

#endif
