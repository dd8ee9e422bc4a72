/*
 * TFTP packets (RFC 1350) with option negotiation (RFC 2347): blksize
 * (RFC 2348), timeout and tsize (RFC 2349), windowsize (RFC 7440).
 *
 * Pure code: parsers read untrusted bytes through struct reader, writers
 * build packets through struct writer.  Nothing here does I/O.
 *
 * Option rules (what tftp_request_parse() keeps):
 *  - names are case-insensitive; unknown options are ignored;
 *  - numeric values go through one bounds table (tftp_option_bounds); a
 *    value that is not plain decimal digits or lies outside [min, max] is
 *    ignored, i.e. the option is not acknowledged (RFC 2347);
 *  - tsize in an RRQ must be "0" (RFC 2349), any other value is ignored;
 *  - a duplicate option: the first occurrence counts, later ones are ignored;
 *  - an incomplete trailing option (name without value) is ignored.
 */
#ifndef NETBOOTD_TFTP_PACKET_H
#define NETBOOTD_TFTP_PACKET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

#define TFTP_BLKSIZE_DEFAULT    512
#define TFTP_BLKSIZE_MIN        8
#define TFTP_BLKSIZE_MAX        65464
#define TFTP_WINDOWSIZE_DEFAULT 1
#define TFTP_FILENAME_MAX       255 /* bytes of a requested file name */
#define TFTP_ERRMSG_MAX         255 /* bytes of an ERROR message we keep or send */
#define TFTP_HEADER_LEN         4   /* opcode + block number */
#define TFTP_PACKET_MAX         (TFTP_HEADER_LEN + TFTP_BLKSIZE_MAX)

enum tftp_opcode {
	TFTP_RRQ = 1,
	TFTP_WRQ = 2,
	TFTP_DATA = 3,
	TFTP_ACK = 4,
	TFTP_ERROR = 5,
	TFTP_OACK = 6,
};

enum tftp_error_code {
	TFTP_EUNDEF = 0,    /* not defined, see message */
	TFTP_ENOTFOUND = 1, /* file not found */
	TFTP_EACCESS = 2,   /* access violation */
	TFTP_ENOSPACE = 3,  /* disk full or allocation exceeded */
	TFTP_EBADOP = 4,    /* illegal TFTP operation */
	TFTP_EBADID = 5,    /* unknown transfer ID */
	TFTP_EEXISTS = 6,   /* file already exists */
	TFTP_ENOUSER = 7,   /* no such user */
	TFTP_EOPTNEG = 8,   /* option negotiation refused (RFC 2347) */
};

enum tftp_mode {
	TFTP_MODE_NETASCII,
	TFTP_MODE_OCTET,
	TFTP_MODE_MAIL,
};

enum tftp_option {
	TFTP_OPT_BLKSIZE,
	TFTP_OPT_TIMEOUT,
	TFTP_OPT_TSIZE,
	TFTP_OPT_WINDOWSIZE,
	_TFTP_OPT_MAX,
};

struct tftp_option_bounds {
	const char *name;
	uint64_t min;
	uint64_t max;
};

/* The one bounds table, indexed by enum tftp_option. */
extern const struct tftp_option_bounds tftp_option_bounds[_TFTP_OPT_MAX];

/* A parsed RRQ or WRQ. */
struct tftp_request {
	enum tftp_opcode opcode; /* TFTP_RRQ or TFTP_WRQ */
	char filename[TFTP_FILENAME_MAX + 1];
	enum tftp_mode mode;
	uint32_t options;              /* bit (1 << enum tftp_option) per valid option */
	uint64_t value[_TFTP_OPT_MAX]; /* its value, when the bit is set */
};

/* The parameters of a transfer after negotiation. */
struct tftp_params {
	uint16_t blksize;
	uint16_t windowsize;
	uint8_t timeout;  /* seconds; 0 = the server's own */
	uint32_t options; /* options to put in the OACK; 0 = no OACK */
};

/* Server-side limits for negotiation (config tftp.max_blksize/max_windowsize). */
struct tftp_limits {
	unsigned max_blksize;    /* 0 = 1468 */
	unsigned max_windowsize; /* 0 = 64 */
};

#define TFTP_DEFAULT_MAX_BLKSIZE    1468
#define TFTP_DEFAULT_MAX_WINDOWSIZE 64

/* The opcode of any packet: 0 or -ENOBUFS (shorter than 2 bytes). */
int tftp_packet_opcode(const void *buf, size_t len, uint16_t *ret);

/*
 * Parse an RRQ or WRQ.  0, -EBADMSG (wrong opcode, missing or unterminated
 * file name or mode, empty or over-long file name, unknown mode), -ENOBUFS
 * (shorter than an opcode).
 */
int tftp_request_parse(const void *buf, size_t len, struct tftp_request *ret);

/* Parse an ACK: its block number.  0, -EBADMSG, -ENOBUFS. */
int tftp_ack_parse(const void *buf, size_t len, uint16_t *ret_block);

/*
 * Parse an ERROR: code and message (NUL-terminated, truncated to
 * TFTP_ERRMSG_MAX; a missing terminator is tolerated).  0, -EBADMSG, -ENOBUFS.
 */
int tftp_error_parse(
    const void *buf, size_t len, uint16_t *ret_code, char ret_msg[TFTP_ERRMSG_MAX + 1]);

/*
 * Negotiate: clamp blksize and windowsize to the limits and decide which
 * options go in the OACK.  Always succeeds.
 */
void tftp_negotiate(
    const struct tftp_request *req, const struct tftp_limits *lim, struct tftp_params *ret);

/* Write an OACK for 'p' (tsize answered with 'tsize').  0 or -ENOBUFS. */
int tftp_oack_write(struct writer *w, const struct tftp_params *p, uint64_t tsize);

/* Write an ERROR (message truncated to TFTP_ERRMSG_MAX).  0 or -ENOBUFS. */
int tftp_error_write(struct writer *w, uint16_t code, const char *msg);

/* Write a DATA header (opcode and block number); the payload follows.  0 or -ENOBUFS. */
int tftp_data_header_write(struct writer *w, uint16_t block);

/* Write an ACK (for tests and clients).  0 or -ENOBUFS. */
int tftp_ack_write(struct writer *w, uint16_t block);

/*
 * The path to open for a requested file name: one leading '/' stripped.
 * -EACCES for an empty result, a ".." component, a second leading '/', or a
 * control character.  Returns a pointer into 'name' via *ret.
 */
int tftp_filename_path(const char *name, const char **ret);

#endif
