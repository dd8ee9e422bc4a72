/*
 * The files many TFTP sessions send at once (the loader in a boot storm:
 * every machine fetches the same ipxe.efi or grubx64.efi), read into memory
 * once and shared, so that a DATA block costs no pread(2).
 *
 * A file is known by its device, inode, size and modification time: a
 * session keeps the bytes it started with, a changed file is another entry.
 * Only files of at most TFTP_CACHE_FILE_MAX bytes (read whole when the
 * first session opens them; from the page cache, a loader costs well under
 * a millisecond), TFTP_CACHE_MAX in all; an entry is freed with its last
 * session, so an idle daemon holds none.  NULL from tftp_cache_get() (too
 * large, full, a read error) means "read the file as before".
 */
#ifndef NETBOOTD_TFTP_CACHE_H
#define NETBOOTD_TFTP_CACHE_H

#include <stddef.h>
#include <stdint.h>

#define TFTP_CACHE_FILE_MAX (4u << 20)
#define TFTP_CACHE_MAX      (32u << 20)

struct tftp_cache;
struct tftp_cached; /* const uint8_t *tftp_cached_data(), the file's bytes */

struct tftp_cache *tftp_cache_new(void);
void tftp_cache_free(struct tftp_cache *c); /* after every entry was put back */

/* The entry for the open file fd (a reference), or NULL. */
const struct tftp_cached *tftp_cache_get(struct tftp_cache *c, int fd);
void tftp_cache_put(struct tftp_cache *c, const struct tftp_cached *e);
const uint8_t *tftp_cached_data(const struct tftp_cached *e);

#endif
