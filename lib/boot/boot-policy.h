/*
 * What a machine boots: the one decision every service asks.  Pure code: the
 * daemon describes what it knows about the client (struct boot_client) and
 * what the store and the configuration say (struct boot_view, whose
 * callbacks do the store's I/O), and gets one plan back (struct boot_plan).
 * ProxyDHCP, TFTP and HTTP never decide on their own.
 *
 * The decision, by the service that asks:
 *
 *   BOOT_SERVICE_DHCP     a ProxyDHCP request.  PXE ROMs and UEFI HTTP Boot
 *                         firmware get the loader of their architecture
 *                         (plan.loader) that their profile's loader names:
 *                         ipxe (the default): ipxe.<slot>, and for ARM64
 *                         without ipxe.arm64 netbootd's GRUB; grub:
 *                         netbootd's GRUB (x86_64 and ARM64 UEFI); shim-grub:
 *                         the signed shim (UEFI PXE only: over HTTP Boot the
 *                         signed GRUB has no way to its grub.cfg).  BIOS
 *                         clients of grub and shim-grub profiles get iPXE.
 *                         UEFI firmware (x86_64, ARM64; PXE ROM or HTTP
 *                         Boot) whose image is an EFI image gets that
 *                         image's boot.efi instead, whatever the profile's
 *                         loader (plan.efi_image; boot_plan_loader()), also
 *                         where no loader is configured for the arch.
 *                         iPXE gets its script (it must have
 *                         a MAC).  Not answered: an architecture we know
 *                         nothing about, one without a configured loader, a
 *                         MAC the store has no entry for while default boot
 *                         is off, a MAC assigned to an image that does not
 *                         exist.  A machine that would boot no image at all
 *                         is answered: its script says so and waits.
 *   BOOT_SERVICE_SCRIPT   /ipxe/<mac>.  BOOT_NETBOOT with the image and the
 *                         kernel command line template (plan.efi_image
 *                         too when the image is an EFI image: its script
 *                         chains boot.efi); BOOT_WAIT when the
 *                         machine has no image (none is the default, or its
 *                         image is missing: plan.missing names it); BOOT_IGNORE
 *                         for an unknown machine while default boot is off.
 *   BOOT_SERVICE_CONFIG   /config/<mac>.  Always served (BOOT_NETBOOT):
 *                         plan.config_source says which cloud-config;
 *                         plan.reason and plan.image are those of the image
 *                         decision (plan.image only when it boots one, for
 *                         {{image}}).
 *
 * A machine that reported "installed" (view.installed) gets what its
 * profile's after_install says, for every service: local (the default, and
 * for machines without a profile) is BOOT_LOCAL for iPXE and no DHCP answer
 * for other firmware, ignore is BOOT_IGNORE, netboot changes nothing; the
 * reason is BOOT_REASON_INSTALLED.  A profile with report off has no
 * lifecycle: after_install does not apply.
 *
 * The image of a machine: its assignment, else the effective default
 * (settings.default_image, else default.image, else the only image).  The
 * command line template: the image's own, else the view's default; then the
 * machine's own, appended or instead.  The cloud-config: the machine's,
 * else settings.default_config, else the default.cloud_config file, else
 * the built-in one.
 */
#ifndef NETBOOTD_BOOT_POLICY_H
#define NETBOOTD_BOOT_POLICY_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>

#include "fleet.h"
#include "mac.h"
#include "name.h"

#define BOOT_UUID_LEN   16
#define BOOT_IFNAME_MAX 16 /* IF_NAMESIZE */

/* What asked. */
enum boot_service {
	BOOT_SERVICE_DHCP,
	BOOT_SERVICE_SCRIPT,
	BOOT_SERVICE_CONFIG,
};

/* The client's boot firmware, as ProxyDHCP classifies it (enum pxe_client). */
enum boot_firmware {
	BOOT_FIRMWARE_NONE,
	BOOT_FIRMWARE_PXE,  /* a PXE ROM: a TFTP loader */
	BOOT_FIRMWARE_IPXE, /* iPXE: the script */
	BOOT_FIRMWARE_HTTP, /* UEFI HTTP Boot: a loader URL */
};

/* The loaders of the configuration (ipxe.bios, ...), by slot. */
enum boot_loader_slot {
	BOOT_LOADER_BIOS,
	BOOT_LOADER_EFI32,
	BOOT_LOADER_EFI64,
	BOOT_LOADER_ARM64,
	_BOOT_LOADER_MAX,
};

/* The architectures netbootd has GRUB for (loaders.dir, lib/boot/grub-cfg.h). */
/* An image's kind: what its boot needs (the store's manifest kinds). */
enum boot_image_kind {
	BOOT_IMAGE_LINUX, /* kernel, initrd, squashfs: a loader, then the script */
	BOOT_IMAGE_EFI,   /* an EFI application: the boot file of UEFI firmware, or chained */
	BOOT_IMAGE_ISO,   /* an ISO kept whole: UEFI HTTP Boot's boot file, or iPXE's sanboot */
};

enum boot_efi_arch {
	BOOT_EFI_X86_64, /* loaders.dir/x86_64-efi/ */
	BOOT_EFI_ARM64,  /* loaders.dir/arm64-efi/ */
	_BOOT_EFI_MAX,
};

/* A profile's loader: what PXE ROMs and UEFI HTTP Boot firmware get. */
enum boot_loader_kind {
	BOOT_LOADER_IPXE,      /* the default: ipxe.*, then its script */
	BOOT_LOADER_GRUB,      /* netbootd's GRUB, then its grub.cfg (UEFI) */
	BOOT_LOADER_SHIM_GRUB, /* Secure Boot: the signed shim, the signed GRUB (UEFI PXE) */
	_BOOT_LOADER_KIND_MAX,
};

/* "ipxe", "grub", "shim-grub"; NULL (a profile without one) is ipxe.  -EINVAL for others. */
int boot_loader_kind_from_name(const char *s, enum boot_loader_kind *ret);
const char *boot_loader_kind_name(enum boot_loader_kind k);
/* "x86_64-efi", "arm64-efi": the sub-directory of loaders.dir. */
const char *boot_efi_arch_dir(enum boot_efi_arch a);
/* The GRUB file names of an architecture in loaders.dir/<dir>/: the shim, the signed GRUB, netbootd's GRUB. */
const char *boot_efi_shim_name(enum boot_efi_arch a);
const char *boot_efi_signed_grub_name(enum boot_efi_arch a);
#define BOOT_NETBOOTD_GRUB_NAME "netbootd-grub.efi"

/* What is known about the client. */
struct boot_client {
	enum boot_firmware firmware;
	bool has_mac;
	uint8_t mac[MAC_LEN];
	bool has_arch;
	uint16_t arch;           /* RFC 4578 option 93 (DHCP), for the loader */
	enum boot_arch platform; /* for the arch selector: from option 93, or the URL */
	bool has_uuid;
	uint8_t uuid[BOOT_UUID_LEN];  /* option 97 */
	char ifname[BOOT_IFNAME_MAX]; /* receiving interface, "" if unknown */
	struct in_addr relay;         /* giaddr, 0.0.0.0 when not relayed */
	struct in_addr addr;          /* the client's address, 0.0.0.0 if unknown */
};

/* A machine's entry in the store; strings are borrowed, NULL when unset. */
struct boot_machine {
	const char *image; /* an assignment: overrides every group */
	const char *config;
	const char *cmdline;
	enum boot_cmdline_mode cmdline_mode;
	const char *profile;               /* overrides every group (never with image) */
	const struct fleet_labels *labels; /* NULL: none */
};

/*
 * The store and the configuration as the decision sees them.  Strings are
 * borrowed for the duration of one boot_decide() call.  The callbacks get
 * 'userdata'; every one must be set.
 */
struct boot_view {
	bool default_boot;                     /* settings: unknown machines boot */
	const char *default_image;             /* settings.default_image, NULL: unset */
	const char *default_config;            /* settings.default_config, NULL: unset */
	const char *cfg_image;                 /* default.image, NULL: unset */
	const char *cfg_cloud_config;          /* default.cloud_config file, NULL: unset */
	const char *cmdline;                   /* template of images without their own (set) */
	const char *loaders[_BOOT_LOADER_MAX]; /* file names, NULL or "": none */
	bool syslog;                           /* the syslog receiver is on: netconsole works */
	bool grub[_BOOT_EFI_MAX]; /* loaders.dir has netbootd's GRUB for the architecture */
	bool shim[_BOOT_EFI_MAX]; /* loaders.dir has the signed shim and GRUB for it */
	/* 0 and *ret, or -ENOENT for a MAC without an entry. */
	int (*machine)(void *userdata, const uint8_t mac[MAC_LEN], struct boot_machine *ret);
	bool (*image_exists)(void *userdata, const char *name);
	/* The only image, if there is exactly one: 0 and a malloc'd name, or -ENOENT, -ENOMEM. */
	int (*image_only)(void *userdata, char **ret);
	/* The image's own command line template: 0 and a malloc'd string or NULL; -ENOMEM. */
	int (*image_cmdline)(void *userdata, const char *name, char **ret);
	/* What the image is (manifest kind linux, efi, iso); NULL: every image is Linux. */
	enum boot_image_kind (*image_kind)(void *userdata, const char *name);
	/* The fleet's groups (sorted by name, validated) and its profiles by name (NULL: none). */
	const struct fleet_group *groups;
	size_t n_groups;
	const struct fleet_profile *(*profile)(void *userdata, const char *name);
	void *userdata;
	/*
	 * Whether the machine reported "installed" (its lifecycle); NULL: none
	 * is.  Gets lifecycle_userdata.
	 */
	bool (*installed)(void *lifecycle_userdata, const uint8_t mac[MAC_LEN]);
	void *lifecycle_userdata;
};

enum boot_action {
	BOOT_IGNORE,  /* no answer (DHCP), 404 (script) */
	BOOT_NETBOOT, /* boot plan.image; for CONFIG: serve the cloud-config */
	BOOT_WAIT,    /* no image to boot: a script that says so and asks again */
	BOOT_LOCAL,   /* boot from the disk: a script that exits (iPXE), no answer (firmware) */
	_BOOT_ACTION_MAX,
};

/* Why: the reasons behind every plan, for logs, counters and `explain`. */
enum boot_reason {
	BOOT_REASON_ASSIGNED,         /* the machine's assignment */
	BOOT_REASON_DEFAULT_IMAGE,    /* settings.default_image */
	BOOT_REASON_CONFIG_IMAGE,     /* default.image */
	BOOT_REASON_ONLY_IMAGE,       /* the only image */
	BOOT_REASON_LOADER,           /* DHCP: the loader of the architecture */
	BOOT_REASON_SCRIPT,           /* DHCP: iPXE gets its script */
	BOOT_REASON_NOT_BOOT_CLIENT,  /* not a PXE or HTTP boot client */
	BOOT_REASON_UNKNOWN_ARCH,     /* an architecture we know nothing about */
	BOOT_REASON_NO_LOADER,        /* no loader configured for the architecture */
	BOOT_REASON_NO_MAC,           /* iPXE without an Ethernet MAC */
	BOOT_REASON_DEFAULT_BOOT_OFF, /* unknown machine, default boot off */
	BOOT_REASON_IMAGE_MISSING,    /* its image does not exist (plan.image) */
	BOOT_REASON_NO_IMAGE,         /* no assignment and no default image */
	BOOT_REASON_MACHINE_PROFILE,  /* the profile its machine entry names */
	BOOT_REASON_GROUP,            /* the profile of the group it matched (plan.group) */
	BOOT_REASON_LOCAL,            /* DHCP: its profile says local, and it has no iPXE yet */
	BOOT_REASON_PROFILE_IGNORE,   /* its profile says ignore */
	BOOT_REASON_PROFILE_MISSING,  /* its entry or group names a profile that does not exist */
	BOOT_REASON_INSTALLED,        /* it reported installed: its profile's after_install */
	BOOT_REASON_NO_GRUB,          /* its loader (grub, shim-grub) has no files for the arch */
	BOOT_REASON_SHIM_HTTP, /* shim-grub asked over UEFI HTTP Boot: the signed GRUB has no HTTP */
	BOOT_REASON_ISO_LOADER, /* an ISO image, UEFI PXE and a GRUB loader: only iPXE boots it */
	_BOOT_REASON_MAX,
};

enum boot_config_source {
	BOOT_CONFIG_STORED,  /* plan.config, from the store */
	BOOT_CONFIG_FILE,    /* the view's cfg_cloud_config file */
	BOOT_CONFIG_BUILTIN, /* the built-in one */
};

/* A profile's netconsole: what became of it. */
enum boot_netconsole {
	BOOT_NETCONSOLE_NONE,      /* its profile does not ask for it */
	BOOT_NETCONSOLE_ADDED,     /* " netconsole={netconsole}" ends plan.cmdline */
	BOOT_NETCONSOLE_NO_SYSLOG, /* asked for, but the syslog receiver is off: nothing added */
};

struct boot_plan {
	enum boot_action action;
	enum boot_reason reason;
	bool known; /* the store has an entry for the MAC */
	/*
	 * DHCP, PXE/HTTP firmware: the TFTP name of its loader ("ipxe.efi",
	 * "loaders/arm64-efi/netbootd-grub.efi"), borrowed from the view or static
	 */
	const char *loader;
	enum boot_loader_kind loader_kind;      /* DHCP: which loader that is */
	char image[NAME_MAX_LEN + 1];           /* the image it boots, "" if none */
	char efi_image[NAME_MAX_LEN + 1];       /* DHCP (UEFI), SCRIPT: image, booted whole; "" */
	bool efi_iso;                           /* efi_image is an ISO (boot.iso), not boot.efi */
	char missing[NAME_MAX_LEN + 1];         /* IMAGE_MISSING: the image that does not exist */
	char *cmdline;                          /* SCRIPT, NETBOOT: the template (owned) */
	enum boot_netconsole netconsole;        /* SCRIPT, NETBOOT */
	enum boot_config_source config_source;  /* CONFIG */
	char config[NAME_MAX_LEN + 1];          /* CONFIG, STORED: its name */
	const char *profile;                    /* its profile's name, NULL if none (borrowed) */
	const char *group;                      /* the group it matched, NULL if none (borrowed) */
	const struct fleet_labels *labels;      /* its machine's labels, NULL if none (borrowed) */
	bool report;                            /* CONFIG: the cloud-config reports back */
	bool installed;                         /* it reported installed */
	enum fleet_after_install after_install; /* its profile's, or the default (local) */
};

/* Why each group of the view won or lost, for `netbootctl explain`. */
enum boot_verdict {
	BOOT_GROUP_WON,
	BOOT_GROUP_NO_MATCH,       /* a selector failed: candidate.selector */
	BOOT_GROUP_LESS_SPECIFIC,  /* matched, fewer selectors than the winner */
	BOOT_GROUP_LOWER_PRIORITY, /* matched, as specific, lower priority */
	BOOT_GROUP_OVERRIDDEN,     /* matched, but the machine entry decides */
	BOOT_GROUP_DEFAULT_IMAGE,  /* the default group, but a default image is set */
	_BOOT_VERDICT_MAX,
};

struct boot_candidate {
	const struct fleet_group *group; /* borrowed from the view */
	enum boot_verdict verdict;
	char selector[FLEET_LABEL_KEY_MAX + 8]; /* NO_MATCH: "mac", "arch", "labels.role", ... */
};

struct boot_trace {
	struct boot_candidate *candidates; /* one per group of the view, in its order */
	size_t n;
};

/* "won", "no match", ...; a phrase for explain. */
const char *boot_verdict_name(enum boot_verdict v);
void boot_trace_done(struct boot_trace *t);

/*
 * Decide.  0 and *ret (release with boot_plan_done()), or -ENOMEM, or
 * -EINVAL for a service the client cannot ask (no MAC for SCRIPT/CONFIG).
 */
int boot_decide(const struct boot_view *v, const struct boot_client *c, enum boot_service service,
    struct boot_plan *ret);
/*
 * The same decision (boot_decide() is this with no trace), with why each
 * group won or lost in *ret_trace (release with boot_trace_done()).
 */
int boot_explain(const struct boot_view *v, const struct boot_client *c, enum boot_service service,
    struct boot_plan *ret, struct boot_trace *ret_trace);
void boot_plan_done(struct boot_plan *p);

/*
 * The effective default image: settings.default_image, else default.image,
 * else the only image.  0 with a malloc'd name in *ret (NULL when there is
 * none) and why in *ret_reason; -ENOMEM.
 */
int boot_default_image(const struct boot_view *v, char **ret, enum boot_reason *ret_reason);

/* "images/<name>/boot.efi" or ".../boot.iso": the TFTP name of a whole image's file (HTTP: under /). */
#define BOOT_PLAN_LOADER_MAX (NAME_MAX_LEN + 24)
/*
 * The boot file of a DHCP plan for PXE ROMs and HTTP Boot firmware: the
 * whole image's file (written into buf) when plan.efi_image is set, else
 * plan.loader.
 */
const char *boot_plan_loader(const struct boot_plan *p, char buf[BOOT_PLAN_LOADER_MAX]);

/* Whether 'name' is one of the view's loaders (what TFTP and /boot/ serve as such). */
bool boot_loader_known(const struct boot_view *v, const char *name);

/* "default boot disabled", "its image is missing", ...: a phrase for a log line. */
const char *boot_reason_name(enum boot_reason r);

#endif
