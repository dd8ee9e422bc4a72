/*
 * HTTP Range requests (RFC 9110 section 14) for the files netbootd serves:
 * one "bytes=" range at a time.  Pure code.
 *
 * What the caller does with each result:
 *   0            206 Partial Content with *ret (Content-Range: bytes a-b/size)
 *   -ERANGE      416 Range Not Satisfiable ("Content-Range: bytes * /size")
 *   -EOPNOTSUPP  several ranges, or a unit other than bytes: serve 200, full
 *   -EBADMSG     malformed header: ignore it (RFC 9110 14.2) and serve 200
 */
#ifndef NETBOOTD_HTTP_RANGE_H
#define NETBOOTD_HTTP_RANGE_H

#include <stddef.h>
#include <stdint.h>

/* Longest Range header value looked at; longer ones are -EBADMSG. */
#define HTTP_RANGE_MAX_LEN 1024

struct http_range {
	uint64_t start;  /* first byte */
	uint64_t length; /* > 0 */
};

/*
 * Parse the value of a Range header ('len' bytes, no NUL needed) against a
 * representation of 'size' bytes.  *ret is set only when 0 is returned.
 * Any range on an empty file is -ERANGE.
 */
int http_range_parse(const char *value, size_t len, uint64_t size, struct http_range *ret);

#endif
