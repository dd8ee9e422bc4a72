/*
 * One-line text as netbootd stores it (command lines, sources, ...): no
 * control characters, a length cap; and sorted lists of names.
 */
#ifndef NETBOOTD_TEXT_H
#define NETBOOTD_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* No control characters (< 0x20, 0x7f) and at most 'max' bytes. */
bool text_valid(const char *s, size_t max);

/*
 * Binary search of 'key' among n items sorted by the string name_of(v, i):
 * the index of the item (*ret_found true), or where it would go.
 */
size_t text_bsearch(const void *v, size_t n, const char *(*name_of)(const void *v, size_t i),
    const char *key, bool *ret_found);

/*
 * A size "1048576", "512M", "16GiB", "2g" (binary units K M G T P E, an
 * optional "i" and "B") of 'len' bytes into *ret.  -EBADMSG, -ERANGE.
 */
int text_parse_size(const char *s, size_t len, uint64_t *ret);

#endif
