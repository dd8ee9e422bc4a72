/*
 * ProxyDHCP policy (PXE 2.1, RFC 4578, UEFI HTTP Boot): classify a request
 * and build the reply.  Pure code: the daemon maps its config and the
 * receiving socket to a struct pxe_params and does the I/O.
 *
 * Which loader a client gets is the boot decision's (lib/boot-policy.h);
 * this module says how it is told:
 *   iPXE (option 77 user class "iPXE", RFC 3004 or raw encoding), any arch:
 *     http://<server>:<http_port>/ipxe/<mac-with-hyphens>[?arch=A[&uuid=U]]
 *   UEFI HTTP Boot (option 60 "HTTPClient..."):
 *     http://<server>:<http_port>/boot/<loader>, option 60 "HTTPClient" echoed
 *     (a GRUB loader, "loaders/<arch>/<file>": http://<server>:<port>/loaders/...;
 *     an EFI image's "images/<name>/boot.efi": http://<server>:<port>/images/...)
 *   PXE ROMs (option 60 "PXEClient..."): the loader's TFTP name, siaddr =
 *     server.  The name goes in the BOOTP 'file' field, never only in option
 *     67: shim takes GRUB's path from that field alone.
 *     BIOS ROMs (arch 0) also get option 43 with PXE discovery control 0x08
 *     (boot the file, no boot server discovery, no menu).  EFI ROMs (OVMF)
 *     get no option 43: without it they send a REQUEST to port 4011, the
 *     path measured to work (PXE-NOTES.md).
 *
 * On the DHCP port only DISCOVERs are answered (OFFER); on the PXE port
 * REQUESTs and INFORMs (ACK).  yiaddr is always 0.
 */
#ifndef NETBOOTD_PXE_H
#define NETBOOTD_PXE_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dhcp-packet.h"
#include "mac.h"

/* RFC 4578 / IANA processor architecture types (option 93). */
enum {
	PXE_ARCH_BIOS = 0,
	PXE_ARCH_EFI_IA32 = 6,
	PXE_ARCH_EFI_X64 = 7,
	PXE_ARCH_EFI_BC = 9, /* x86-64 in practice */
	PXE_ARCH_EFI_ARM32 = 10,
	PXE_ARCH_EFI_ARM64 = 11,
	PXE_ARCH_HTTP_X64 = 16,
	PXE_ARCH_HTTP_ARM64 = 19,
};

enum pxe_client {
	PXE_CLIENT_NONE, /* not a PXE or HTTP boot client: ignore */
	PXE_CLIENT_PXE,  /* firmware PXE ROM: TFTP loader */
	PXE_CLIENT_IPXE, /* iPXE: script URL */
	PXE_CLIENT_HTTP, /* UEFI HTTP Boot: loader URL */
};

#define PXE_UUID_LEN 17 /* option 97: type 0 + 16 bytes */

struct pxe_request {
	struct dhcp_header header; /* of the request, for the reply */
	uint8_t msg_type;          /* option 53, 0 if absent (BOOTP) */
	enum pxe_client client;
	bool has_mac; /* htype 1, hlen 6 */
	uint8_t mac[MAC_LEN];
	uint16_t arch; /* option 93 (first entry), else from option 60, else 0 */
	bool has_uuid;
	uint8_t uuid[PXE_UUID_LEN];
	bool has_server_id;
	struct in_addr server_id; /* option 54 */
};

/*
 * Parse a datagram and classify its sender.  0 (also for clients we do not
 * answer: see req->client), -ENOBUFS (truncated) or -EBADMSG (malformed,
 * including option 53 or 93 with a bad length).
 */
int pxe_request_parse(const void *buf, size_t len, struct pxe_request *ret);

struct pxe_params {
	struct in_addr server; /* advertised address: siaddr, option 54, URLs */
	uint16_t http_port;
	bool pxe_port; /* the request came in on the PXE port (4011) */
	/*
	 * What the script URL tells the HTTP side (lib/wire/http-path.h), so
	 * that it decides as ProxyDHCP did: "?arch=A&uuid=U"; uuid is left out
	 * when the URL would not fit the 'file' field.  NULL: not said.
	 */
	const char *arch; /* "efi-x86_64", ... */
	const char *uuid; /* "8c2f6b1e-..." */
};

enum pxe_verdict {
	PXE_ANSWER,
	PXE_IGNORE_NOT_PXE,  /* not a PXE/HTTP boot request */
	PXE_IGNORE_MSG_TYPE, /* a message type not answered on this port */
	PXE_IGNORE_NO_MAC,   /* iPXE without an Ethernet MAC: no script URL */
	PXE_IGNORE_TOO_LONG, /* boot file does not fit the 128-byte 'file' field */
};

struct pxe_answer {
	uint8_t msg_type;    /* DHCP_OFFER or DHCP_ACK */
	bool vendor_options; /* send option 43 with discovery control */
	char boot_file[DHCP_FILE_LEN];
};

/*
 * Whether the request is one we answer on this port at all: PXE_ANSWER,
 * PXE_IGNORE_NOT_PXE or PXE_IGNORE_MSG_TYPE.  Asked before the boot decision
 * (lib/boot-policy.h), which picks the loader.
 */
enum pxe_verdict pxe_check(const struct pxe_request *req, bool pxe_port);

/*
 * The answer, once the boot decision said to answer with 'loader' (its file
 * name; NULL for iPXE, which gets its script URL): ret is filled only for
 * PXE_ANSWER.  Also PXE_IGNORE_NO_MAC (iPXE without a MAC) and
 * PXE_IGNORE_TOO_LONG.
 */
enum pxe_verdict pxe_decide(const struct pxe_request *req, const struct pxe_params *p,
    const char *loader, struct pxe_answer *ret);

/*
 * Build the reply bytes into buf (cap bytes, DHCP_MAX_REPLY_LEN is enough).
 * 0 and the length, or -ENOBUFS.
 */
int pxe_reply_build(const struct pxe_request *req, const struct pxe_params *p,
    const struct pxe_answer *a, void *buf, size_t cap, size_t *ret_len);

const char *pxe_client_name(enum pxe_client c);
const char *pxe_verdict_name(enum pxe_verdict v);

#endif
