/*
 * The syslog receiver (syslog.c) on UDP syslog.port (514), off unless
 * syslog.enabled.  This header is not "syslog.h": that would hide <syslog.h>.
 *
 * Datagrams (RFC 3164, RFC 5424, or bare text: lib/wire/syslog-msg.h) come
 * in on one socket bound to every address, IP_PKTINFO telling the interface
 * (those not in interfaces: are dropped and counted).  Each sender address
 * is mapped to a MAC by the progress recorder (progress_mac_of()); the
 * machine keeps its last syslog.ring_lines lines, and every line is logged
 * with NETBOOT_MAC= at info level.  Lines from addresses that map to no
 * machine are counted and logged at debug level, not kept.
 *
 * Caps, whatever the peers send: SYSLOG_MAX_MACHINES machines keep lines
 * (the least recently heard from is dropped), SYSLOG_MAX_BYTES for all
 * kept lines (the oldest lines of the least recently heard-from machine go
 * first), a token bucket per sender address (SYSLOG_RATE lines a second,
 * bursts of SYSLOG_BURST, for the last SYSLOG_MAX_SENDERS addresses), text
 * cut at syslog.max_line.  Everything dropped is counted in
 * srv->stats.syslog.
 *
 * The module lives from start-up to shutdown, so that `netbootctl logs -f`
 * subscriptions survive reloads; only its socket comes and goes.
 * Loop thread only.
 */
#ifndef NETBOOTD_SYSLOG_RECV_H
#define NETBOOTD_SYSLOG_RECV_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>

#include "mac.h"
#include "server.h"
#include "syslog-msg.h"

#define SYSLOG_MAX_MACHINES 512
#define SYSLOG_MAX_BYTES    (64u * 1024 * 1024)
#define SYSLOG_MAX_SENDERS  1024
#define SYSLOG_RATE         100 /* lines a second per sender address */
#define SYSLOG_BURST        200

/* One kept line. */
struct syslog_line {
	int64_t time_ms; /* when it arrived, CLOCK_REALTIME milliseconds */
	uint8_t mac[MAC_LEN];
	struct in_addr client;
	struct syslog_msg m; /* m.msg points to text[] */
	char text[];
};

struct syslog;
struct syslog_sub;

typedef void (*syslog_watch_fn)(const struct syslog_line *line, void *userdata);

/* The module, without a socket yet.  0 or -ENOMEM. */
int syslog_new(struct server *srv, struct syslog **ret);
/* Close the socket, free the lines and the remaining subscriptions.  Accepts NULL. */
void syslog_free(struct syslog *s);

/*
 * Follow srv->cfg: open the socket when enabled (again when 'reopen', the
 * port or the interfaces changed), close it when not; a new ring_lines or
 * max_line clears the kept lines.  0 or -errno (logged).
 */
int syslog_apply(struct syslog *s, bool reopen);
bool syslog_listening(const struct syslog *s);

/* Call fn for each kept line of 'mac' that arrived at or after since_ms, oldest first. */
void syslog_foreach(const struct syslog *s, const uint8_t mac[MAC_LEN], int64_t since_ms,
    syslog_watch_fn fn, void *userdata);

/* Every new line of 'mac' (of all machines when NULL), as it is kept. */
int syslog_subscribe(struct syslog *s, const uint8_t *mac, syslog_watch_fn fn, void *userdata,
    struct syslog_sub **ret);
void syslog_unsubscribe(struct syslog_sub *sub); /* accepts NULL */

#endif
