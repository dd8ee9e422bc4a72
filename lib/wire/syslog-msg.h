/*
 * Syslog datagrams (RFC 3164 and RFC 5424) parsed into plain fields.  Pure
 * code: no allocation, no I/O.
 *
 * Every datagram that is not empty parses: a peer's bytes are shown, never
 * refused.  A datagram without a valid <PRI> is a message of facility user,
 * severity notice (RFC 3164 4.3.3), all of it text.  "<PRI>1 " starts an
 * RFC 5424 header (TIMESTAMP HOSTNAME APP-NAME PROCID MSGID SD, "-" for
 * none, structured data skipped, a BOM before MSG dropped); anything else
 * after <PRI> is RFC 3164: an optional "Mmm dd hh:mm:ss HOSTNAME " and an
 * optional "TAG[PID]: ".  Header fields are cut at their caps.
 *
 * Text comes out as UTF-8 that is safe to print and to put in JSON: bytes
 * that are not UTF-8, and control characters other than tab, are written
 * as the four characters \xNN (ret->escaped says so); trailing newlines and
 * NULs are dropped; the message is cut at a character boundary to fit the
 * caller's buffer (ret->truncated says so).
 */
#ifndef NETBOOTD_SYSLOG_MSG_H
#define NETBOOTD_SYSLOG_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SYSLOG_MSG_HOST_MAX   64 /* bytes kept of HOSTNAME (RFC 5424 allows 255) */
#define SYSLOG_MSG_APP_MAX    48 /* APP-NAME, or the RFC 3164 TAG */
#define SYSLOG_MSG_PROCID_MAX 32 /* PROCID, or the [PID] after a TAG (RFC 5424: 128) */
#define SYSLOG_MSG_MSGID_MAX  32
#define SYSLOG_MSG_TIME_MAX   40 /* the timestamp as sent */

#define SYSLOG_FACILITY_USER   1
#define SYSLOG_SEVERITY_NOTICE 5

enum syslog_msg_format {
	SYSLOG_MSG_RAW,     /* no <PRI>: all of it is text */
	SYSLOG_MSG_RFC3164, /* <PRI> then BSD syslog */
	SYSLOG_MSG_RFC5424, /* <PRI>1 then the structured header */
};

struct syslog_msg {
	enum syslog_msg_format format;
	uint8_t facility; /* 0-23 */
	uint8_t severity; /* 0 (emerg) - 7 (debug) */
	int64_t time_ms;  /* an RFC 5424 timestamp, milliseconds since the epoch; 0: none */
	char timestamp[SYSLOG_MSG_TIME_MAX + 1]; /* as sent, sanitized; "" when none */
	char hostname[SYSLOG_MSG_HOST_MAX + 1];
	char app[SYSLOG_MSG_APP_MAX + 1];
	char procid[SYSLOG_MSG_PROCID_MAX + 1];
	char msgid[SYSLOG_MSG_MSGID_MAX + 1];
	const char *msg; /* the caller's buffer, NUL-terminated */
	size_t msg_len;
	bool truncated; /* the message did not fit */
	bool escaped;   /* bytes were written as \xNN */
};

/*
 * Parse datagram 'buf' of 'len' bytes; the message text goes to 'msg', at
 * most msg_cap - 1 bytes and a NUL (msg_cap >= 1).  0, or -EBADMSG for an
 * empty datagram (nothing but newlines and NULs); *ret untouched then.
 */
int syslog_msg_parse(
    const uint8_t *buf, size_t len, char *msg, size_t msg_cap, struct syslog_msg *ret);

/*
 * An RFC 3339 timestamp, "2026-12-02T03:04:05Z", with optional fraction and
 * a "Z" or "+HH:MM"/"-HH:MM" offset, of exactly 'len' bytes: milliseconds
 * since the epoch (years 1970-9999).  0 or -EINVAL.
 */
int syslog_time_parse(const char *s, size_t len, int64_t *ret_ms);

/*
 * Copy 'len' bytes of 'in' to 'out' as safe UTF-8 (see above), at most
 * cap - 1 bytes and a NUL (cap >= 1), never cutting a character or an
 * escape.  The number of input bytes taken (less than len: truncated);
 * *ret_escaped is set true if any byte was escaped, else left alone.
 */
size_t syslog_text_sanitize(
    const uint8_t *in, size_t len, char *out, size_t cap, size_t *ret_out_len, bool *ret_escaped);

/* "kern", "user", ... "local7" for facility 0-23; "emerg" ... "debug" for severity 0-7. */
const char *syslog_facility_name(unsigned facility);
const char *syslog_severity_name(unsigned severity);

#endif
