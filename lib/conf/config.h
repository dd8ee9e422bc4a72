/*
 * netbootd configuration: the YAML file (netbootd.yaml(5)) parsed into a
 * plain struct.  Pure code: no I/O except config_load(), which reads the file
 * and hands the bytes to config_parse().
 *
 * Every map in the file is partial: what it leaves out keeps the built-in
 * default of config_new().  Unknown keys and bad values are errors whose
 * message names the file, the line and the key, e.g.
 *   "/etc/netbootd/netbootd.yaml:7: tftp.port: 70000 is not a port (1-65535)"
 */
#ifndef NETBOOTD_CONFIG_H
#define NETBOOTD_CONFIG_H

#include "ipxe-script.h"
#include "name.h"

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CONFIG_DEFAULT_PATH     "/etc/netbootd/netbootd.yaml"
#define CONFIG_DEFAULT_STATEDIR "/var/lib/netbootd"
#define CONFIG_DEFAULT_SOCKET   "/run/netbootd/control.sock"
#define CONFIG_DEFAULT_GROUP    "netboot"
#define CONFIG_MAX_GROUP_NAME   32 /* [A-Za-z0-9._-], not starting with '-' */
#define CONFIG_DEFAULT_IPXEDIR  "/usr/lib/ipxe"
#define CONFIG_MAX_INTERFACES   64
#define CONFIG_MAX_FILE_SIZE    (1024 * 1024)
#define CONFIG_MAX_CMDLINE      2048 /* bytes of default.cmdline */
#define CONFIG_MAX_IMAGE_NAME   NAME_MAX_LEN
#define CONFIG_MAX_INSECURE     64 /* registry.insecure entries */
#define CONFIG_DEFAULT_AUTHFILE "/etc/netbootd/auth.json"
#define CONFIG_DEFAULT_PLATFORM "linux/amd64"

/* The default kernel command line for Kairos images (lib/ipxe-script.h). */
#define CONFIG_DEFAULT_CMDLINE IPXE_DEFAULT_CMDLINE

enum config_store_backend {
	CONFIG_STORE_LOCAL, /* the state directory alone (the default) */
	CONFIG_STORE_ETCD,  /* desired state in etcd, artifacts in the state directory */
};

#define CONFIG_DEFAULT_SYSLOG_RING 500   /* syslog.ring_lines */
#define CONFIG_MAX_SYSLOG_RING     10000 /* its cap */
#define CONFIG_DEFAULT_SYSLOG_LINE 1024  /* syslog.max_line */
#define CONFIG_MIN_SYSLOG_LINE     64
#define CONFIG_MAX_SYSLOG_LINE     8192

/* images.max_size: the uncompressed bytes an import may write (OCI layers, ISO entries). */
#define CONFIG_DEFAULT_IMAGE_SIZE (16ull << 30)
#define CONFIG_MIN_IMAGE_SIZE     (1ull << 20)
/* images.import_memory and import_cpu: the import child's RLIMIT_AS and RLIMIT_CPU. */
#define CONFIG_DEFAULT_IMPORT_MEMORY (4ull << 30)
#define CONFIG_MIN_IMPORT_MEMORY     (256ull << 20)
#define CONFIG_DEFAULT_IMPORT_CPU    7200   /* seconds */
#define CONFIG_MAX_IMPORT_CPU        604800 /* a week */

#define CONFIG_MAX_ENDPOINTS       16
#define CONFIG_MAX_UI_ALLOW        64  /* http.ui_allow networks */
#define CONFIG_MAX_SECRET          256 /* bytes of an etcd user name or password */
#define CONFIG_MAX_ETCD_PREFIX     128
#define CONFIG_DEFAULT_ETCD_PREFIX "/netbootd/"

struct config {
	char *path; /* file it was read from, NULL for built-in defaults */

	char **interfaces; /* NULL-terminated; empty = all IPv4 interfaces */
	size_t n_interfaces;
	bool has_advertise;
	struct in_addr advertise; /* network byte order */
	char *state_dir;

	struct {
		bool enabled;
		uint16_t port;     /* 67 */
		uint16_t pxe_port; /* 4011 */
	} dhcp;

	struct {
		bool enabled;
		uint16_t port;           /* 69 */
		unsigned max_sessions;   /* 256 */
		char *root;              /* NULL = <state_dir>/tftp */
		unsigned timeout;        /* seconds between retransmits, 1..255; default 1 */
		unsigned retries;        /* retransmits before giving up; default 5 */
		unsigned max_blksize;    /* upper bound on negotiated blksize; default 1468 */
		unsigned max_windowsize; /* upper bound on negotiated windowsize; default 64 */
	} tftp;

	struct {
		bool enabled;
		uint16_t port;                        /* 8090 */
		unsigned max_connections;             /* 1024 */
		unsigned max_connections_per_address; /* 64 */
		unsigned timeout;        /* idle connection timeout, seconds; default 60 */
		unsigned header_timeout; /* seconds to send a whole request; default 60 */
		bool ui;                 /* the status page /ui/ (daemon/ui.h); true */
		char **ui_allow; /* NULL-terminated IPv4 CIDRs that may see it; empty = everyone */
		size_t n_ui_allow;
	} http;

	/* The syslog receiver (netbootd.yaml(5), "syslog"); off unless enabled. */
	struct {
		bool enabled;        /* false */
		uint16_t port;       /* UDP 514 */
		unsigned ring_lines; /* lines kept per machine; CONFIG_DEFAULT_SYSLOG_RING */
		unsigned max_line;   /* bytes of one line's text; CONFIG_DEFAULT_SYSLOG_LINE */
	} syslog;

	struct {
		char *dir;   /* /usr/lib/ipxe */
		char *bios;  /* undionly.kpxe */
		char *efi32; /* NULL: no loader for EFI IA32 */
		char *efi64; /* ipxe.efi */
		char *arm64; /* NULL: no loader for ARM64 */
	} ipxe;

	/* GRUB and shim (tools/fetch-loaders.sh): DIR/x86_64-efi/, DIR/arm64-efi/. */
	struct {
		char *dir; /* NULL: none, the loaders grub and shim-grub have nothing to serve */
	} loaders;

	struct {
		char *image;        /* NULL: the only image in <state_dir>/images, if just one */
		char *cmdline;      /* CONFIG_DEFAULT_CMDLINE */
		char *cloud_config; /* NULL: built-in minimal "#cloud-config" document */
	} def;

	struct {
		char *socket;
		char *group; /* may change state over the socket; "netboot" */
	} control;

	struct {
		char **insecure; /* NULL-terminated "host[:port]" reached over plain HTTP */
		size_t n_insecure;
		char *auth_file;   /* Docker config.json format; a missing file: anonymous */
		char *platform;    /* "os/arch[/variant]"; CONFIG_DEFAULT_PLATFORM */
		char *compression; /* squashfs: "gzip" (default), "zstd" or "xz" */
	} registry;

	struct {
		uint64_t max_size;      /* CONFIG_DEFAULT_IMAGE_SIZE */
		uint64_t import_memory; /* bytes; CONFIG_DEFAULT_IMPORT_MEMORY */
		unsigned import_cpu;    /* seconds; CONFIG_DEFAULT_IMPORT_CPU */
	} images;

	/* Where the desired state lives (netbootd.yaml(5), "store"). */
	struct {
		enum config_store_backend backend;
		char **endpoints; /* NULL-terminated "http(s)://host:port" of etcd members */
		size_t n_endpoints;
		char *prefix;   /* etcd key prefix, "/.../"; CONFIG_DEFAULT_ETCD_PREFIX */
		char *instance; /* this instance's name in the cluster; NULL: the host name */
		struct {
			char *ca, *cert, *key; /* paths; NULL: none */
		} tls;
		char *username, *password; /* etcd authentication; NULL: none */
	} store;
};

/* A config holding every built-in default.  NULL on out-of-memory. */
struct config *config_new(void);
void config_free(struct config *c);

/*
 * Parse YAML bytes.  'name' is used in error messages (the file name).  On
 * success returns 0 and stores a new config in *ret.  On a bad document
 * returns -EINVAL and stores a malloc'd one-line message in *ret_error
 * ("name:line: key: what is wrong"); -ENOMEM on allocation failure.
 */
int config_parse(
    const char *buf, size_t len, const char *name, struct config **ret, char **ret_error);

/*
 * Read and parse a file.  A missing file is -ENOENT (with a message), so that
 * callers can fall back to config_new() when the path is the default one.
 */
int config_load(const char *path, struct config **ret, char **ret_error);

/*
 * Parse "A.B.C.D/N" (0..32) or a bare "A.B.C.D" (/32) into a network in
 * network byte order and its prefix length.  A network with host bits set
 * ("10.0.0.1/24") is -EINVAL, as is anything else.
 */
int config_cidr_parse(const char *s, struct in_addr *ret_net, unsigned *ret_prefix);
/* May 'addr' see the status page: http.ui_allow is empty, or one of its networks holds it. */
bool config_ui_allowed(const struct config *c, struct in_addr addr);

/* The effective TFTP root: tftp.root or <state_dir>/tftp.  Caller frees. */
char *config_tftp_root(const struct config *c);

#endif
