/*
 * lib/pe-sign: Debian's signed kernel (tools/fetch-kernel.sh puts it in
 * tools/cache/kernel/vmlinuz) and its copy without the signature
 * (sbattach --remove), truncated copies, the crafted images of the fuzz
 * corpus, and a PKCS#7 made here whose signer has a long, odd name.
 */
#include <fcntl.h>
#include <openssl/evp.h>
#include <openssl/pkcs7.h>
#include <openssl/x509.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "pe-sign.h"
#include "test.h"
#include "util.h"

static const char *
srcdir(void)
{
	const char *s = getenv("SRCDIR");

	return s != NULL ? s : "..";
}

/* The whole file at path in *ret (malloc'd), or NULL. */
static uint8_t *
slurp(const char *path, size_t *ret)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	uint8_t *buf;

	if (fd < 0 || fstat(fd, &st) < 0 || (buf = malloc(st.st_size + 1)) == NULL)
		return NULL;
	if (read(fd, buf, st.st_size) != st.st_size) {
		free(buf);
		return NULL;
	}
	*ret = st.st_size;
	return buf;
}

static int
parse_fd(const char *path, struct pe_signature *sig, char **error)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	return pe_signature_read_fd(fd, sig, error);
}

static void
expect_error(int r, int expected, const char *error, const char *part)
{
	CHECK_EQ_INT(r, expected);
	CHECK(error != NULL && strstr(error, part) != NULL);
	if (error != NULL && strstr(error, part) == NULL)
		fprintf(stderr, "error \"%s\" lacks \"%s\"\n", error, part);
}

static void
check_debian(const struct pe_signature *sig)
{
	CHECK(sig->is_pe);
	CHECK(sig->signed_);
	CHECK_EQ_INT(sig->machine, PE_MACHINE_AMD64);
	CHECK_EQ_STR(pe_machine_name(sig->machine), "x86_64");
	CHECK(strstr(sig->issuer, "Debian Secure Boot CA") != NULL);
	CHECK(strstr(sig->subject, "Debian Secure Boot Signer") != NULL);
	printf("# vmlinuz: signed by \"%s\", issuer \"%s\"\n", sig->subject, sig->issuer);
}

static void
check_cut(const uint8_t *buf, size_t n, const char *part)
{
	struct pe_signature sig;
	char *error = NULL;
	int r = pe_signature_parse(buf, n, &sig, &error);

	expect_error(r, -ENOBUFS, error, part);
	free(error);
}

/* The kernel's bytes cut short: each a clear error. */
static void
check_truncated(const uint8_t *buf, size_t len)
{
	check_cut(buf, 32, "too short for a DOS header");
	check_cut(buf, 0x50, "e_lfanew 0x40 points past the end of the file (80 bytes)");
	check_cut(buf, 0xa0, "the optional header (160 bytes) is truncated");
	check_cut(buf, len - 1, "the certificate table (1472 bytes at 0x7dd200) reaches past");
	check_cut(buf, len / 2, "past the end of the file");
}

static void
test_debian_kernel(void)
{
	_cleanup_free_ uint8_t *buf = NULL;
	char path[4096], cut[] = "/tmp/test-pe-sign.XXXXXX", *error = NULL;
	struct pe_signature sig = {0};
	size_t len = 0;
	int fd, r;

	snprintf(path, sizeof(path), "%s/tools/cache/kernel/vmlinuz", srcdir());
	if (access(path, R_OK) < 0) {
		printf("# skipped: %s absent (run tools/fetch-kernel.sh)\n", path);
		return;
	}
	CHECK_EQ_INT(parse_fd(path, &sig, &error), 0);
	check_debian(&sig);
	buf = slurp(path, &len);
	CHECK(buf != NULL);
	if (buf == NULL)
		return;
	memset(&sig, 0, sizeof(sig));
	CHECK_EQ_INT(pe_signature_parse(buf, len, &sig, &error), 0);
	check_debian(&sig);
	check_truncated(buf, len);
	/* the same through read_fd: the table now reaches past the end */
	fd = mkstemp(cut);
	CHECK(fd >= 0 && write(fd, buf, len - 100) == (ssize_t)(len - 100));
	close(fd);
	r = parse_fd(cut, &sig, &error);
	expect_error(r, -ENOBUFS, error, "past the end of the file");
	unlink(cut);
	free(error);
}

static void
test_unsigned_kernel(void)
{
	_cleanup_free_ uint8_t *buf = NULL;
	char path[4096], copy[] = "/tmp/test-pe-sign.XXXXXX", cmd[4200], *error = NULL;
	struct pe_signature sig = {0};
	size_t len = 0;
	int fd;

	snprintf(path, sizeof(path), "%s/tools/cache/kernel/vmlinuz", srcdir());
	if (access(path, R_OK) < 0 || system("command -v sbattach >/dev/null") != 0) {
		printf("# skipped: %s or sbattach (sbsigntool) absent\n", path);
		return;
	}
	buf = slurp(path, &len);
	fd = mkstemp(copy);
	CHECK(buf != NULL && fd >= 0 && write(fd, buf, len) == (ssize_t)len);
	close(fd);
	snprintf(cmd, sizeof(cmd), "sbattach --remove %s", copy);
	CHECK_EQ_INT(system(cmd), 0);
	CHECK_EQ_INT(parse_fd(copy, &sig, &error), 0);
	CHECK(sig.is_pe);
	CHECK(!sig.signed_);
	CHECK_EQ_INT(sig.machine, PE_MACHINE_AMD64);
	CHECK_EQ_STR(sig.subject, "");
	CHECK_EQ_STR(sig.issuer, "");
	unlink(copy);
	free(error);
}

struct corpus_case {
	const char *file;
	int r;
	bool is_pe, signed_;
	uint16_t machine;
	const char *subject, *issuer; /* substrings; or the error's */
};

static const struct corpus_case corpus[] = {
    {"unsigned-x86_64.efi", 0, true, false, PE_MACHINE_AMD64, "", ""},
    {"unsigned-pe32-ia32.efi", 0, true, false, PE_MACHINE_I386, "", ""},
    {"unsigned-4-dirs.efi", 0, true, false, PE_MACHINE_AMD64, "", ""},
    {"x509-entry-only.efi", 0, true, false, PE_MACHINE_AMD64, "", ""},
    {"signed-debian-table.efi", 0, true, true, PE_MACHINE_AMD64,
        "Debian Secure Boot Signer 2022 - linux", "Debian Secure Boot CA"},
    {"signed-selfmade-arm64.efi", 0, true, true, PE_MACHINE_ARM64, "Netbootd Test Signer \xc3\xa9",
        "Netbootd Test CA"},
    {"signed-second-entry.efi", 0, true, true, PE_MACHINE_AMD64, "Netbootd Test Signer",
        "Netbootd Test CA"},
    {"not-pe.txt", 0, false, false, 0, "", ""},
    {"empty", 0, false, false, 0, "", ""},
    {"truncated-dos.efi", -ENOBUFS, .subject = "too short for a DOS header"},
    {"truncated-opt.efi", -ENOBUFS, .subject = "optional header (240 bytes) is truncated"},
    {"lfanew-past-end.efi", -ENOBUFS, .subject = "e_lfanew 0xfffffff0 points past the end"},
    {"bad-pe-magic.efi", -EBADMSG, .subject = "no \"PE\\0\\0\" signature"},
    {"bad-opt-magic.efi", -EBADMSG, .subject = "optional header magic 0x030b"},
    {"cert-past-eof.efi", -ENOBUFS, .subject = "certificate table (1248 bytes at 0x188)"},
    {"cert-offset-huge.efi", -ENOBUFS, .subject = "past the end of the file"},
    {"bad-dwlength.efi", -EBADMSG, .subject = "dwLength 65536"},
    {"short-dwlength.efi", -EBADMSG, .subject = "dwLength 4"},
    {"bogus-pkcs7.efi", -EBADMSG, .subject = "PKCS#7 signature (19 bytes) does not decode"},
    {"pkcs7-not-signed.efi", -EBADMSG, .subject = "not SignedData"},
};

static void
check_corpus_case(
    const struct corpus_case *c, int r, const struct pe_signature *sig, const char *error)
{
	if (c->r < 0) {
		expect_error(r, c->r, error, c->subject);
		return;
	}
	CHECK_EQ_INT(r, 0);
	if (r < 0)
		fprintf(stderr, "%s: %s\n", c->file, error);
	CHECK_EQ_INT(sig->is_pe, c->is_pe);
	CHECK_EQ_INT(sig->signed_, c->signed_);
	CHECK_EQ_INT(sig->machine, c->machine);
	CHECK(strstr(sig->subject, c->subject) != NULL && strstr(sig->issuer, c->issuer) != NULL);
	if (!c->signed_)
		CHECK(sig->subject[0] == '\0' && sig->issuer[0] == '\0');
}

static void
test_corpus(void)
{
	for (size_t i = 0; i < ELEMENTSOF(corpus); i++) {
		struct pe_signature sig = {0}, sig2 = {0};
		char path[4096], *error = NULL;
		_cleanup_free_ uint8_t *buf = NULL;
		size_t len = 0;
		int r;

		snprintf(path, sizeof(path), "%s/tests/fuzz/corpus/pe-sign/%s", srcdir(),
		    corpus[i].file);
		buf = slurp(path, &len);
		CHECK(buf != NULL);
		if (buf == NULL) {
			fprintf(stderr, "%s: cannot read (set SRCDIR)\n", path);
			continue;
		}
		r = pe_signature_parse(buf, len, &sig, &error);
		check_corpus_case(&corpus[i], r, &sig, error);
		r = parse_fd(path, &sig2, &error);
		check_corpus_case(&corpus[i], r, &sig2, error);
		free(error);
	}
}

static void
put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void
put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)v);
	put16(p + 2, (uint16_t)(v >> 16));
}

/* A PE32+ x86_64 image, 16 data directories, a WIN_CERTIFICATE of der[0..n) at its end. */
static size_t
make_pe(uint8_t *buf, size_t cap, const uint8_t *der, size_t n)
{
	size_t opt = 0x58, off = opt + 0xf0, wlen = n + 8, padded = (wlen + 7) & ~(size_t)7;

	if (off + padded > cap)
		return 0;
	memset(buf, 0, cap);
	memcpy(buf, "MZ", 2);
	put32(buf + 0x3c, 0x40);
	memcpy(buf + 0x40, "PE\0\0", 4);
	put16(buf + 0x44, PE_MACHINE_AMD64);
	put16(buf + 0x54, 0xf0);
	put16(buf + opt, 0x20b);
	put32(buf + opt + 0x6c, 16);
	put32(buf + opt + 0x70 + 32, (uint32_t)off);
	put32(buf + opt + 0x70 + 36, (uint32_t)padded);
	put32(buf + off, (uint32_t)wlen);
	put16(buf + off + 4, 0x0200);
	put16(buf + off + 6, 0x0002);
	memcpy(buf + off + 8, der, n);
	return off + padded;
}

/* A PKCS#7 SignedData (DER, in buf) by a self-signed certificate named CN=cn; its length or 0. */
static size_t
make_pkcs7(const char *cn, uint8_t *buf, size_t cap)
{
	EVP_PKEY *key = EVP_EC_gen("P-256");
	X509_NAME *name = X509_NAME_new();
	BIO *in = BIO_new_mem_buf("hello", 5);
	X509 *x = X509_new();
	PKCS7 *p7 = NULL;
	int n = 0;

	if (key == NULL || name == NULL || in == NULL || x == NULL ||
	    !X509_NAME_add_entry_by_NID(
	        name, NID_commonName, MBSTRING_UTF8, (const unsigned char *)cn, -1, -1, 0) ||
	    !ASN1_INTEGER_set(X509_get_serialNumber(x), 7) || !X509_set_subject_name(x, name) ||
	    !X509_set_issuer_name(x, name) || !X509_gmtime_adj(X509_getm_notBefore(x), 0) ||
	    !X509_gmtime_adj(X509_getm_notAfter(x), 3600) || !X509_set_pubkey(x, key) ||
	    !X509_sign(x, key, EVP_sha256()) ||
	    (p7 = PKCS7_sign(x, key, NULL, in, PKCS7_BINARY)) == NULL)
		goto out;
	n = i2d_PKCS7(p7, NULL);
	if (n <= 0 || (size_t)n > cap) {
		n = 0;
		goto out;
	}
	n = i2d_PKCS7(p7, &(unsigned char *){buf});
out:
	PKCS7_free(p7);
	X509_free(x);
	BIO_free(in);
	X509_NAME_free(name);
	EVP_PKEY_free(key);
	return n > 0 ? (size_t)n : 0;
}

static void
check_name(const char *cn, const char *expected)
{
	static uint8_t der[8192], pe[9000];
	struct pe_signature sig = {0};
	char *error = NULL;
	size_t n = make_pkcs7(cn, der, sizeof(der)), len = 0;

	CHECK(n > 0);
	if (n > 0)
		len = make_pe(pe, sizeof(pe), der, n);
	CHECK(len > 0);
	CHECK_EQ_INT(pe_signature_parse(pe, len, &sig, &error), 0);
	CHECK(sig.signed_);
	CHECK_EQ_STR(sig.subject, expected);
	CHECK_EQ_STR(sig.issuer, expected);
	free(error);
}

/* Names cut to PE_NAME_MAX - 1 bytes at a UTF-8 character, control characters as '?'. */
static void
test_names(void)
{
	char cn[256] = "", expected[256] = "";

	for (int i = 0; i < 64; i++)
		strcat(cn, "\xe2\x82\xac"); /* the euro sign, 3 bytes */
	for (int i = 0; i < 42; i++)
		strcat(expected, "\xe2\x82\xac");
	check_name(cn, expected); /* 192 bytes: 126, not a cut character */
	snprintf(cn, sizeof(cn), "%s", "Tab\there\x7f");
	check_name(cn, "Tab?here?");
	check_name("Debian Secure Boot Signer", "Debian Secure Boot Signer");
}

static void
test_machine_names(void)
{
	CHECK_EQ_STR(pe_machine_name(PE_MACHINE_AMD64), "x86_64");
	CHECK_EQ_STR(pe_machine_name(PE_MACHINE_ARM64), "arm64");
	CHECK_EQ_STR(pe_machine_name(PE_MACHINE_I386), "ia32");
	CHECK_EQ_STR(pe_machine_name(PE_MACHINE_RISCV64), "riscv64");
	CHECK_EQ_STR(pe_machine_name(0x1234), "unknown");
}

TEST_MAIN(TEST(test_debian_kernel), TEST(test_unsigned_kernel), TEST(test_corpus), TEST(test_names),
    TEST(test_machine_names))
