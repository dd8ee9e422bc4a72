/*
 * Whether an EFI PE/COFF image (a Linux kernel with its EFI stub, a UKI, an
 * .efi binary) carries an Authenticode signature, and who signed it: what
 * "netbootctl explain" says of an image booted through shim, whose GRUB
 * refuses an unsigned kernel with "bad shim signature".
 *
 * The walk: the DOS header's e_lfanew, "PE\0\0", the COFF header, the
 * optional header (PE32 0x10b or PE32+ 0x20b), its data directory 4
 * (IMAGE_DIRECTORY_ENTRY_SECURITY: a file offset and a size, not an RVA),
 * then the WIN_CERTIFICATE entries there.  The first of revision 0x0200 and
 * type PKCS_SIGNED_DATA (0x0002) is decoded as PKCS#7 (libcrypto); its first
 * SignerInfo names the signer by issuer and serial number, looked up among
 * the certificates the PKCS#7 carries.  Nothing is verified: the names are
 * who the image claims signed it, not a trust decision (shim makes that).
 *
 * Every size and offset is checked against the bytes given; names are
 * UTF-8, control characters replaced with '?', truncated to fit.  No
 * logging, no globals.  Errors are -errno plus a malloc'd sentence in
 * *ret_error: -EBADMSG malformed (bad magic, a WIN_CERTIFICATE whose length
 * is wrong, a PKCS#7 that does not decode), -ENOBUFS truncated (the headers
 * or the certificate table reach past the end), -E2BIG over a cap.  *ret is
 * untouched on failure.
 */
#ifndef NETBOOTD_PE_SIGN_H
#define NETBOOTD_PE_SIGN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* pe_signature_read_fd() reads at most this much of the headers, and of the certificate table. */
#define PE_HEADERS_MAX    (64 * 1024)
#define PE_CERT_TABLE_MAX (64 * 1024)
#define PE_NAME_MAX       128

#define PE_MACHINE_I386    0x014c
#define PE_MACHINE_ARMNT   0x01c4
#define PE_MACHINE_AMD64   0x8664
#define PE_MACHINE_ARM64   0xaa64
#define PE_MACHINE_RISCV64 0x5064
#define PE_MACHINE_LOONG64 0x6264

struct pe_signature {
	bool is_pe;                /* MZ + "PE\0\0" + optional header parsed */
	uint16_t machine;          /* COFF machine: PE_MACHINE_AMD64, ... */
	bool signed_;              /* has a WIN_CERTIFICATE of type PKCS_SIGNED_DATA */
	char subject[PE_NAME_MAX]; /* the first signer's certificate subject CN, "" if unknown */
	char issuer[PE_NAME_MAX];  /* its issuer CN (from the SignerInfo) */
};

/*
 * Parse the image in buf[0..len): the whole file, or at least its headers
 * and its certificate table (which PE images keep at the end).  Bytes that
 * do not start with "MZ" are no PE image: 0 with is_pe false.
 */
int pe_signature_parse(const void *buf, size_t len, struct pe_signature *ret, char **ret_error);

/*
 * The same from the file open at fd (pread only, the file offset is not
 * moved): the first PE_HEADERS_MAX bytes, then the certificate table at its
 * file offset, at most PE_CERT_TABLE_MAX bytes (more is -E2BIG).
 */
int pe_signature_read_fd(int fd, struct pe_signature *ret, char **ret_error);

/* "x86_64", "arm64", "ia32", "arm", "riscv64", "loongarch64" or "unknown". */
const char *pe_machine_name(uint16_t machine);

#endif
