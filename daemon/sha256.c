/*
 * SHA-256 for the daemon (see sha256.h).
 */
#include "sha256.h"

#include "io.h"

void
sha256_init(struct sha256 *s)
{
	SHA256_Init(&s->ctx);
}

void
sha256_update(struct sha256 *s, const void *data, size_t len)
{
	SHA256_Update(&s->ctx, data, len);
}

void
sha256_final_hex(struct sha256 *s, char hex[65])
{
	unsigned char md[SHA256_DIGEST_LENGTH];

	SHA256_Final(md, &s->ctx);
	io_hex_encode(md, sizeof(md), hex);
}
