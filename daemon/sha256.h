/*
 * SHA-256 for the daemon's own digests (the files of an image as they are
 * committed, replicated files as they arrive), with libcrypto's one-shot
 * SHA256_* functions rather than EVP: the first EVP digest initialises
 * OpenSSL 3's provider machinery, which keeps about 2 MiB of libcrypto
 * resident for the daemon's life (measured: an idle daemon 6.1 MiB before
 * its first import, 9.3 MiB after it with EVP, 7.3 MiB with these).  The
 * code that hashes is the same.  Only here: should OpenSSL drop these
 * deprecated functions, this file goes back to EVP.
 */
#ifndef NETBOOTD_SHA256_H
#define NETBOOTD_SHA256_H

#ifndef OPENSSL_SUPPRESS_DEPRECATED
#define OPENSSL_SUPPRESS_DEPRECATED
#endif
#include <openssl/sha.h>

#include <stddef.h>

struct sha256 {
	SHA256_CTX ctx;
};

void sha256_init(struct sha256 *s);
void sha256_update(struct sha256 *s, const void *data, size_t len);
/* The digest as 64 lowercase hex digits and a NUL; s must be initialised again to reuse. */
void sha256_final_hex(struct sha256 *s, char hex[65]);

#endif
