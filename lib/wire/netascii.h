/*
 * netascii (RFC 1350, NVT ASCII of RFC 764) for a TFTP server that sends
 * files: LF goes out as CR LF, CR as CR NUL, every other byte as it is.  A
 * client in netascii mode turns CR LF back into LF and CR NUL into CR, so
 * the file it stores equals the one served (a CR LF in the file travels as
 * CR NUL CR LF).
 *
 * The conversion is a function of a small state, so a transfer can cut the
 * converted stream anywhere (every DATA block) and go on, or start again at
 * a block, from the state saved there: the second byte of a pair may open
 * the next block.  Pure code: no I/O.
 */
#ifndef NETBOOTD_NETASCII_H
#define NETBOOTD_NETASCII_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Where the converted stream stands: the input consumed, the byte still owed. */
struct netascii_state {
	uint64_t offset; /* input bytes consumed */
	bool owed;       /* the second byte of a pair is still to be written */
	uint8_t owed_byte;
};

/*
 * Convert the input that follows st->offset ('len' bytes at 'in') into at
 * most 'cap' bytes at 'out', starting with the byte st owes.  Stops when
 * 'out' is full or the input is used up (then nothing is owed).  Returns
 * the bytes written and advances 'st' past what it consumed.
 */
size_t netascii_encode(
    struct netascii_state *st, const uint8_t *in, size_t len, uint8_t *out, size_t cap);

/* The converted size of 'len' bytes: one more per CR and per LF. */
uint64_t netascii_size(const uint8_t *in, size_t len);

#endif
