/*
 * Bounds-checked cursors over untrusted bytes.
 *
 * Every parser in lib/ reads through a struct reader and every packet
 * builder writes through a struct writer.  Readers never read past 'left';
 * writers never write past their capacity.  Both fail with -ENOBUFS.
 */
#ifndef NETBOOTD_BUF_H
#define NETBOOTD_BUF_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct reader {
	const uint8_t *p;
	size_t left;
};

struct writer {
	uint8_t *p;
	size_t len;
	size_t cap;
};

static inline struct reader
reader_init(const void *p, size_t len)
{
	return (struct reader){.p = p, .left = len};
}

static inline int
read_bytes(struct reader *r, void *dst, size_t n)
{
	if (r->left < n)
		return -ENOBUFS;
	if (dst != NULL && n > 0)
		memcpy(dst, r->p, n);
	r->p += n;
	r->left -= n;
	return 0;
}

static inline int
read_skip(struct reader *r, size_t n)
{
	return read_bytes(r, NULL, n);
}

static inline int
read_u8(struct reader *r, uint8_t *ret)
{
	if (r->left < 1)
		return -ENOBUFS;
	*ret = r->p[0];
	r->p++;
	r->left--;
	return 0;
}

static inline int
read_be16(struct reader *r, uint16_t *ret)
{
	if (r->left < 2)
		return -ENOBUFS;
	*ret = (uint16_t)((r->p[0] << 8) | r->p[1]);
	r->p += 2;
	r->left -= 2;
	return 0;
}

static inline int
read_be32(struct reader *r, uint32_t *ret)
{
	if (r->left < 4)
		return -ENOBUFS;
	*ret = ((uint32_t)r->p[0] << 24) | ((uint32_t)r->p[1] << 16) | ((uint32_t)r->p[2] << 8) |
	       r->p[3];
	r->p += 4;
	r->left -= 4;
	return 0;
}

/* Split off the next n bytes as a sub-reader (a TLV body). */
static inline int
read_sub(struct reader *r, size_t n, struct reader *ret)
{
	if (r->left < n)
		return -ENOBUFS;
	*ret = reader_init(r->p, n);
	r->p += n;
	r->left -= n;
	return 0;
}

static inline struct writer
writer_init(void *p, size_t cap)
{
	return (struct writer){.p = p, .len = 0, .cap = cap};
}

static inline int
write_bytes(struct writer *w, const void *src, size_t n)
{
	if (w->cap - w->len < n)
		return -ENOBUFS;
	if (n > 0)
		memcpy(w->p + w->len, src, n);
	w->len += n;
	return 0;
}

static inline int
write_zero(struct writer *w, size_t n)
{
	if (w->cap - w->len < n)
		return -ENOBUFS;
	memset(w->p + w->len, 0, n);
	w->len += n;
	return 0;
}

static inline int
write_u8(struct writer *w, uint8_t v)
{
	return write_bytes(w, &v, 1);
}

static inline int
write_be16(struct writer *w, uint16_t v)
{
	uint8_t b[2] = {(uint8_t)(v >> 8), (uint8_t)v};

	return write_bytes(w, b, sizeof(b));
}

static inline int
write_be32(struct writer *w, uint32_t v)
{
	uint8_t b[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};

	return write_bytes(w, b, sizeof(b));
}

#endif
