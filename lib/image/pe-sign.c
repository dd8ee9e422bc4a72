/*
 * The Authenticode signature of a PE/COFF image (see pe-sign.h): the
 * headers read through a cursor, the certificate table walked entry by
 * entry, the first PKCS#7 SignedData decoded with libcrypto.
 */
#include "pe-sign.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/pkcs7.h>
#include <openssl/x509.h>

#include "buf.h"
#include "error.h"
#include "util.h"

#define DOS_HEADER_SIZE    64
#define DOS_LFANEW_AT      0x3c
#define PE_SIGNATURE       0x00004550 /* "PE\0\0" little-endian */
#define COFF_HEADER_SIZE   20
#define OPT_MAGIC_PE32     0x010b
#define OPT_MAGIC_PE32PLUS 0x020b
#define DIR_SECURITY       4
#define WIN_CERT_HEADER    8
#define WIN_CERT_REVISION  0x0200
#define WIN_CERT_PKCS7     0x0002

/* What the headers say: the machine and the certificate table's place in the file. */
struct pe_headers {
	uint16_t machine;
	uint32_t cert_off;
	uint32_t cert_size;
};

static int
read_le16(struct reader *r, uint16_t *ret)
{
	if (r->left < 2)
		return -ENOBUFS;
	*ret = (uint16_t)(r->p[0] | (r->p[1] << 8));
	r->p += 2;
	r->left -= 2;
	return 0;
}

static int
read_le32(struct reader *r, uint32_t *ret)
{
	if (r->left < 4)
		return -ENOBUFS;
	*ret = r->p[0] | ((uint32_t)r->p[1] << 8) | ((uint32_t)r->p[2] << 16) |
	       ((uint32_t)r->p[3] << 24);
	r->p += 4;
	r->left -= 4;
	return 0;
}

const char *
pe_machine_name(uint16_t machine)
{
	switch (machine) {
	case PE_MACHINE_AMD64:
		return "x86_64";
	case PE_MACHINE_ARM64:
		return "arm64";
	case PE_MACHINE_I386:
		return "ia32";
	case PE_MACHINE_ARMNT:
		return "arm";
	case PE_MACHINE_RISCV64:
		return "riscv64";
	case PE_MACHINE_LOONG64:
		return "loongarch64";
	default:
		return "unknown";
	}
}

/* The optional header (opt_size bytes from r): its magic and data directory 4. */
static int
optional_parse(struct reader *r, uint16_t opt_size, struct pe_headers *h, char **ret_error)
{
	struct reader o;
	uint16_t magic;
	uint32_t n_dirs;
	size_t n_dirs_at;

	if (read_sub(r, opt_size, &o) < 0)
		return error_set(
		    ret_error, -ENOBUFS, "the optional header (%u bytes) is truncated", opt_size);
	if (read_le16(&o, &magic) < 0)
		return error_set(
		    ret_error, -EBADMSG, "the optional header is %u bytes, too short", opt_size);
	if (magic == OPT_MAGIC_PE32)
		n_dirs_at = 0x5c;
	else if (magic == OPT_MAGIC_PE32PLUS)
		n_dirs_at = 0x6c;
	else
		return error_set(ret_error, -EBADMSG,
		    "optional header magic 0x%04x is neither PE32 (0x10b) nor PE32+ (0x20b)",
		    magic);
	if (read_skip(&o, n_dirs_at - 2) < 0 || read_le32(&o, &n_dirs) < 0)
		return error_set(ret_error, -EBADMSG,
		    "the optional header is %u bytes, too short for a PE32%s header", opt_size,
		    magic == OPT_MAGIC_PE32 ? "" : "+");
	h->cert_off = h->cert_size = 0;
	if (n_dirs <= DIR_SECURITY)
		return 0; /* no security directory: unsigned */
	if (read_skip(&o, DIR_SECURITY * 8) < 0 || read_le32(&o, &h->cert_off) < 0 ||
	    read_le32(&o, &h->cert_size) < 0)
		return error_set(ret_error, -EBADMSG,
		    "the optional header is %u bytes, too short for its %" PRIu32
		    " data directories",
		    opt_size, n_dirs);
	return 0;
}

/*
 * The headers in buf[0..len), the first bytes of a file of file_size bytes.
 * *ret_is_pe false: no "MZ", not a PE image (and not an error).
 */
static int
headers_parse(const uint8_t *buf, size_t len, uint64_t file_size, bool *ret_is_pe,
    struct pe_headers *ret, char **ret_error)
{
	struct reader r;
	uint32_t lfanew = 0, magic = 0;
	uint16_t opt_size = 0;
	int k;

	*ret_is_pe = false;
	if (len < 2 || buf[0] != 'M' || buf[1] != 'Z')
		return 0;
	if (len < DOS_HEADER_SIZE)
		return error_set(ret_error, -ENOBUFS,
		    "%zu bytes are too short for a DOS header (64 bytes)", len);
	r = reader_init(buf + DOS_LFANEW_AT, 4);
	(void)read_le32(&r, &lfanew);
	if ((uint64_t)lfanew + 4 + COFF_HEADER_SIZE > file_size)
		return error_set(ret_error, -ENOBUFS,
		    "e_lfanew 0x%" PRIx32 " points past the end of the file (%" PRIu64 " bytes)",
		    lfanew, file_size);
	if ((uint64_t)lfanew + 4 + COFF_HEADER_SIZE > len)
		return error_set(ret_error, -ENOBUFS,
		    "e_lfanew 0x%" PRIx32 " points past the %zu bytes read", lfanew, len);
	r = reader_init(buf + lfanew, len - lfanew);
	(void)read_le32(&r, &magic);
	if (magic != PE_SIGNATURE)
		return error_set(ret_error, -EBADMSG,
		    "no \"PE\\0\\0\" signature at e_lfanew 0x%" PRIx32, lfanew);
	(void)read_le16(&r, &ret->machine);
	(void)read_skip(&r, 14); /* sections, time stamp, symbol table */
	(void)read_le16(&r, &opt_size);
	(void)read_skip(&r, 2); /* characteristics */
	if ((k = optional_parse(&r, opt_size, ret, ret_error)) < 0)
		return k;
	if (ret->cert_size > 0 && (uint64_t)ret->cert_off + ret->cert_size > file_size)
		return error_set(ret_error, -ENOBUFS,
		    "the certificate table (%" PRIu32 " bytes at 0x%" PRIx32
		    ") reaches past the end of the file (%" PRIu64 " bytes)",
		    ret->cert_size, ret->cert_off, file_size);
	*ret_is_pe = true;
	return 0;
}

/* s[0..n) into ret (size bytes): control characters as '?', cut at a UTF-8 character. */
static void
name_copy(char *ret, size_t size, const unsigned char *s, size_t n)
{
	size_t k = n < size - 1 ? n : size - 1;

	if (k < n)
		while (k > 0 && (s[k] & 0xc0) == 0x80)
			k--;
	for (size_t i = 0; i < k; i++)
		ret[i] = s[i] < 0x20 || s[i] == 0x7f ? '?' : (char)s[i];
	ret[k] = '\0';
}

/* The name's (first) CN in UTF-8, or "". */
static void
name_cn(const X509_NAME *name, char *ret, size_t size)
{
	unsigned char *utf8 = NULL;
	int i, n;

	ret[0] = '\0';
	if (name == NULL || (i = X509_NAME_get_index_by_NID(name, NID_commonName, -1)) < 0)
		return;
	n = ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, i)));
	if (n < 0)
		return;
	name_copy(ret, size, utf8, (size_t)n);
	OPENSSL_free(utf8);
}

/* libcrypto's reason for the last failure, or a placeholder. */
static const char *
crypto_reason(char *buf, size_t size)
{
	unsigned long e = ERR_peek_last_error();

	if (e == 0)
		return "no reason given";
	ERR_error_string_n(e, buf, size);
	return buf;
}

/* The PKCS#7 SignedData in der[0..n): its first SignerInfo's issuer, that certificate's subject. */
static int
pkcs7_parse(const uint8_t *der, size_t n, struct pe_signature *sig, char **ret_error)
{
	const unsigned char *p = der;
	STACK_OF(PKCS7_SIGNER_INFO) * infos;
	PKCS7_SIGNER_INFO *si;
	X509 *cert;
	PKCS7 *p7;
	char reason[256];
	int r = 0;

	if (n > LONG_MAX)
		return error_set(ret_error, -EBADMSG, "the PKCS#7 signature is %zu bytes", n);
	p7 = d2i_PKCS7(NULL, &p, (long)n);
	if (p7 == NULL) {
		r = error_set(ret_error, -EBADMSG,
		    "the PKCS#7 signature (%zu bytes) does not decode: %s", n,
		    crypto_reason(reason, sizeof(reason)));
		goto out;
	}
	if (!PKCS7_type_is_signed(p7) || p7->d.sign == NULL) {
		r = error_set(ret_error, -EBADMSG, "the PKCS#7 signature is not SignedData");
		goto out;
	}
	infos = PKCS7_get_signer_info(p7);
	if (sk_PKCS7_SIGNER_INFO_num(infos) <= 0 ||
	    (si = sk_PKCS7_SIGNER_INFO_value(infos, 0)) == NULL || si->issuer_and_serial == NULL) {
		r = error_set(ret_error, -EBADMSG, "the PKCS#7 SignedData has no SignerInfo");
		goto out;
	}
	sig->signed_ = true;
	name_cn(si->issuer_and_serial->issuer, sig->issuer, sizeof(sig->issuer));
	cert = X509_find_by_issuer_and_serial(
	    p7->d.sign->cert, si->issuer_and_serial->issuer, si->issuer_and_serial->serial);
	if (cert != NULL)
		name_cn(X509_get_subject_name(cert), sig->subject, sizeof(sig->subject));
out:
	PKCS7_free(p7);
	ERR_clear_error();
	return r;
}

/* The certificate table p[0..n): WIN_CERTIFICATE entries, each padded to 8 bytes. */
static int
certs_parse(const uint8_t *p, size_t n, struct pe_signature *sig, char **ret_error)
{
	struct reader r = reader_init(p, n);

	if (n < WIN_CERT_HEADER)
		return error_set(ret_error, -EBADMSG,
		    "the certificate table is %zu bytes, too short for a WIN_CERTIFICATE", n);
	while (r.left >= WIN_CERT_HEADER) {
		size_t at = n - r.left, pad;
		uint16_t revision = 0, type = 0;
		struct reader body;
		uint32_t length = 0;

		(void)read_le32(&r, &length);
		(void)read_le16(&r, &revision);
		(void)read_le16(&r, &type);
		if (length < WIN_CERT_HEADER || length - WIN_CERT_HEADER > r.left)
			return error_set(ret_error, -EBADMSG,
			    "the WIN_CERTIFICATE at +%zu has dwLength %" PRIu32
			    ", beyond the %zu-byte certificate table",
			    at, length, n);
		(void)read_sub(&r, length - WIN_CERT_HEADER, &body);
		if (revision == WIN_CERT_REVISION && type == WIN_CERT_PKCS7)
			return pkcs7_parse(body.p, body.left, sig, ret_error);
		pad = (8 - length % 8) % 8;
		(void)read_skip(&r, pad < r.left ? pad : r.left);
	}
	return 0; /* no PKCS#7 entry: unsigned */
}

int
pe_signature_parse(const void *buf, size_t len, struct pe_signature *ret, char **ret_error)
{
	struct pe_signature sig = {0};
	struct pe_headers h;
	int r;

	if ((r = headers_parse(buf, len, len, &sig.is_pe, &h, ret_error)) < 0)
		return r;
	if (sig.is_pe) {
		sig.machine = h.machine;
		if (h.cert_size > 0 && (r = certs_parse((const uint8_t *)buf + h.cert_off,
		                            h.cert_size, &sig, ret_error)) < 0)
			return r;
	}
	*ret = sig;
	return 0;
}

/* All n bytes at off, or -errno; -ENOBUFS at a premature end of file. */
static int
pread_all(int fd, void *buf, size_t n, uint64_t off)
{
	size_t done = 0;

	while (done < n) {
		ssize_t k = pread(fd, (uint8_t *)buf + done, n - done, (off_t)(off + done));

		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return -errno;
		if (k == 0)
			return -ENOBUFS;
		done += (size_t)k;
	}
	return 0;
}

int
pe_signature_read_fd(int fd, struct pe_signature *ret, char **ret_error)
{
	_cleanup_free_ uint8_t *head = NULL, *table = NULL;
	struct pe_signature sig = {0};
	struct pe_headers h = {0};
	struct stat st;
	size_t n;
	int r;

	if (fstat(fd, &st) < 0)
		return error_set(ret_error, -errno, "cannot stat the image: %s", strerror(errno));
	if (!S_ISREG(st.st_mode))
		return error_set(ret_error, -EINVAL, "the image is not a regular file");
	n = st.st_size < PE_HEADERS_MAX ? (size_t)st.st_size : PE_HEADERS_MAX;
	if ((head = malloc(n > 0 ? n : 1)) == NULL)
		return error_set(ret_error, -ENOMEM, "out of memory");
	if ((r = pread_all(fd, head, n, 0)) < 0)
		return error_set(ret_error, r, "cannot read the image's headers: %s", strerror(-r));
	if ((r = headers_parse(head, n, (uint64_t)st.st_size, &sig.is_pe, &h, ret_error)) < 0)
		return r;
	if (sig.is_pe)
		sig.machine = h.machine;
	if (sig.is_pe && h.cert_size > 0) {
		if (h.cert_size > PE_CERT_TABLE_MAX)
			return error_set(ret_error, -E2BIG,
			    "the certificate table is %" PRIu32 " bytes, over the %d-byte cap",
			    h.cert_size, PE_CERT_TABLE_MAX);
		if ((table = malloc(h.cert_size)) == NULL)
			return error_set(ret_error, -ENOMEM, "out of memory");
		if ((r = pread_all(fd, table, h.cert_size, h.cert_off)) < 0)
			return error_set(
			    ret_error, r, "cannot read the certificate table: %s", strerror(-r));
		if ((r = certs_parse(table, h.cert_size, &sig, ret_error)) < 0)
			return r;
	}
	*ret = sig;
	return 0;
}
