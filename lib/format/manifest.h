/*
 * Image manifests: <state_dir>/images/<name>/manifest.json.
 *
 *   {"name": "kairos-v3", "created": 1717000000,
 *    "source": {"type": "dir", "path": "/srv/kairos"},      or
 *              {"type": "iso", "path": "/srv/kairos.iso"},   or
 *              {"type": "oci", "ref": "quay.io/kairos/x:v3"},
 *    "cmdline": null | "kernel command line override",
 *    "files": {"kernel":          {"size": 123, "sha256": "<64 hex>"},
 *              "initrd":          {"size": 456, "sha256": "<64 hex>"},
 *              "rootfs.squashfs": {"size": 789, "sha256": "<64 hex>"}},
 *    "origin": {"url": "https://cdn/x/{sha256}", "boot": false}}    (optional)
 *
 * An image of kind "efi" is one EFI application kept whole (a UKI: kernel,
 * initrd and command line in one PE), which UEFI firmware starts itself:
 *
 *   {"name": "uki", "created": 1717000000, "kind": "efi",
 *    "source": {"type": "file", "path": "/srv/uki.efi"},
 *    "cmdline": null,
 *    "files": {"boot.efi": {"size": 123, "sha256": "<64 hex>"}}}
 *
 * An image of kind "iso" is an ISO 9660 image kept whole ("boot.iso"), which
 * UEFI HTTP Boot loads into a RAM disk and starts from its El Torito EFI
 * entry, and iPXE boots with sanboot (iso-boot.h):
 *
 *   {"name": "live", ..., "kind": "iso", "source": {"type": "file", ...},
 *    "cmdline": null, "files": {"boot.iso": {"size": 123, "sha256": "..."}}}
 *
 * "kind" is absent for the Linux kind (kernel, initrd, rootfs.squashfs), so
 * those manifests read and write as before; "efi" and "iso" (the whole-file
 * kinds) go with source type "file" only, and the other way round, and have
 * no command line (null) and no origin.boot.
 *
 * "origin" (a shared store, netbootd(8) CLUSTER): where else the files can
 * be fetched, by digest ({sha256}: the 64 hex digits) or name ({file}:
 * kernel, initrd, rootfs.squashfs); with "boot" the boot scripts point at
 * the origin for the three files and instances need not hold them.
 *
 * Pure code (cJSON).  manifest_parse() is strict: every key above but
 * "origin" and "kind" is required (cmdline may be null), unknown and duplicate keys are refused, types are
 * exact, names follow name_valid() (lib/name.h), digests are 64 lower- or
 * upper-case hex digits (stored lower-case), numbers are non-negative integers
 * no larger than 2^53 (exact in a double, which is how JSON readers hold them),
 * strings carry no control characters.
 *
 * Images put in place by hand (no or no valid manifest) are described with
 * source type MANIFEST_SOURCE_LEGACY and empty digests (has_sha256 false);
 * such manifests serialize ("source": {"type": "legacy"}, "sha256": null)
 * but never parse: they are not meant to be written to disk.
 */
#ifndef NETBOOTD_MANIFEST_H
#define NETBOOTD_MANIFEST_H

#include "name.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#define MANIFEST_MAX_SIZE    (64 * 1024) /* bytes of manifest.json */
#define MANIFEST_MAX_NAME    NAME_MAX_LEN
#define MANIFEST_MAX_CMDLINE 2048               /* as CONFIG_MAX_CMDLINE */
#define MANIFEST_MAX_SOURCE  4096               /* bytes of a source path or reference */
#define MANIFEST_MAX_NUMBER  9007199254740992.0 /* 2^53 */
#define MANIFEST_SHA256_HEX  64

enum manifest_file {
	MANIFEST_KERNEL,
	MANIFEST_INITRD,
	MANIFEST_ROOTFS,
	MANIFEST_N_FILES,                /* the files of a Linux image */
	MANIFEST_EFI = MANIFEST_N_FILES, /* the one file of an EFI image */
	MANIFEST_ISO,                    /* the one file of an ISO image */
	MANIFEST_N_IDS,
};

/* "kernel", "initrd", "rootfs.squashfs", "boot.efi", "boot.iso": the files of an image directory. */
extern const char *const manifest_file_names[MANIFEST_N_IDS];

/* What an image is, and so which of the files it has. */
enum manifest_kind {
	MANIFEST_KIND_LINUX, /* kernel, initrd, rootfs.squashfs */
	MANIFEST_KIND_EFI,   /* boot.efi */
	MANIFEST_KIND_ISO,   /* boot.iso */
	_MANIFEST_KIND_MAX,
};

/* "linux", "efi", "iso". */
const char *manifest_kind_name(enum manifest_kind k);
/* Whether images of kind k are one file kept whole (efi, iso): source type "file", no cmdline. */
bool manifest_kind_whole(enum manifest_kind k);
/* The files of kind k: f from manifest_kind_first(k) to before manifest_kind_end(k). */
enum manifest_file manifest_kind_first(enum manifest_kind k);
enum manifest_file manifest_kind_end(enum manifest_kind k);
bool manifest_kind_has(enum manifest_kind k, enum manifest_file f);

enum manifest_source_type {
	MANIFEST_SOURCE_DIR,
	MANIFEST_SOURCE_ISO,
	MANIFEST_SOURCE_OCI,
	MANIFEST_SOURCE_FILE,   /* one file kept whole (kind efi or iso) */
	MANIFEST_SOURCE_LEGACY, /* placed by hand; never parsed */
};

struct manifest_file_info {
	uint64_t size;
	bool has_sha256;
	char sha256[MANIFEST_SHA256_HEX + 1]; /* lower-case hex */
};

struct manifest {
	char *name;
	int64_t created; /* seconds since the epoch */
	enum manifest_kind kind;
	enum manifest_source_type source_type;
	char *source;     /* path (dir, iso, file) or reference (oci); NULL for legacy */
	char *cmdline;    /* NULL: none */
	char *origin;     /* URL template with {sha256} and/or {file}; NULL: none */
	bool origin_boot; /* boot scripts point at the origin */
	struct manifest_file_info files[MANIFEST_N_IDS]; /* those of its kind; others zero */
};

/* An http(s) URL without spaces or control characters holding {sha256} or {file}. */
bool manifest_origin_valid(const char *url);
/*
 * The URL of file f whose digest is 'hex' at origin template 'tmpl' ({sha256}
 * and {file} replaced) in buf; -E2BIG when it does not fit in size bytes.
 */
int manifest_origin_expand(
    const char *tmpl, const char *hex, enum manifest_file f, char *buf, size_t size);
/* No control characters (< 0x20, 0x7f) and at most 'max' bytes. */
bool manifest_string_valid(const char *s, size_t max);

/* "dir", "iso", "oci", "file", "legacy". */
const char *manifest_source_type_name(enum manifest_source_type t);

struct manifest *manifest_new(void);
void manifest_free(struct manifest *m);
struct manifest *manifest_dup(const struct manifest *m);

/*
 * Parse manifest.json bytes (need not be NUL-terminated).  0 and a new
 * manifest in *ret; -EBADMSG with a malloc'd one-line message in *ret_error
 * (may be NULL) when the document is not a valid manifest; -ENOMEM.
 */
int manifest_parse(const char *buf, size_t len, struct manifest **ret, char **ret_error);

/* The manifest as a cJSON object (caller owns it); NULL on out-of-memory. */
cJSON *manifest_to_json(const struct manifest *m);

/* The manifest as pretty-printed JSON text with a final newline; -ENOMEM. */
int manifest_format(const struct manifest *m, char **ret);

#endif
