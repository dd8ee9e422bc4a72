/*
 * The fleet: profiles, groups with selectors, and machines with labels.
 * Pure data and rules; the boot decision (boot-policy.h) applies them, the
 * fleet file (netbootd-fleet(5), lib/conf/fleet-file.h) and the store
 * persist them.
 *
 *   profile  what to boot: image, cloud-config, command line (appended to
 *            the image's or instead of it), loader ("ipxe"), an action:
 *            netboot (default), local (boot from the disk), ignore, and
 *            netconsole (the kernel logs to netbootd's syslog receiver).
 *   group    selectors -> a profile.  Selectors: mac (exact, or a glob with
 *            '*' and '?', such as "52:54:00:*"), uuid, arch (bios,
 *            efi-ia32, efi-x86_64, efi-arm64, http-x86_64, http-arm64),
 *            interface (a receiving interface name, or "a.b.c.d/len": the
 *            relay's giaddr, else the client's address, in that subnet),
 *            and labels (key=value, each one a selector).  A group matches
 *            when all its selectors do.  The most specific matching group
 *            wins (most selectors); equal specificity goes to the higher
 *            priority; a tie left after that is refused when the fleet is
 *            changed (fleet_validate), so it never has to be decided at boot
 *            time.  A group without selectors is the default.
 *   machine  by MAC: labels, and either a profile or an assignment (image,
 *            config, command line: netbootctl assign); either overrides
 *            every group.  Labels alone leave the choice to the groups.
 *
 * Names (profiles, groups, images, configs) follow lib/base/name.h.  Label
 * keys: 1-63 characters [a-z0-9._-] starting with a letter or digit (also
 * "a/b" prefixes, as Kubernetes allows: [a-z0-9.-]+/[a-z0-9._-]+); values:
 * 0-63 characters [A-Za-z0-9._-].
 *
 * Every array is sorted (profiles and groups by name, machines by MAC,
 * labels by key) and has no duplicates; fleet_validate() checks it.
 */
#ifndef NETBOOTD_FLEET_H
#define NETBOOTD_FLEET_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mac.h"
#include "name.h"

#define FLEET_MAX_PROFILES    1024
#define FLEET_MAX_GROUPS      4096
#define FLEET_MAX_MACHINES    65536
#define FLEET_MAX_LABELS      32 /* per machine and per group */
#define FLEET_LABEL_KEY_MAX   63
#define FLEET_LABEL_VALUE_MAX 63
#define FLEET_MAC_GLOB_MAX    17 /* as long as a MAC */
#define FLEET_CMDLINE_MAX     2048
#define FLEET_UUID_LEN        16
#define FLEET_PRIORITY_MAX    1000000

/* The client's platform, as the arch selector names it. */
enum boot_arch {
	BOOT_ARCH_UNKNOWN,
	BOOT_ARCH_BIOS,
	BOOT_ARCH_EFI_IA32,
	BOOT_ARCH_EFI_X86_64,
	BOOT_ARCH_EFI_ARM64,
	BOOT_ARCH_HTTP_X86_64,
	BOOT_ARCH_HTTP_ARM64,
	_BOOT_ARCH_MAX,
};

/* "bios", ...; NULL for BOOT_ARCH_UNKNOWN and out of range. */
const char *boot_arch_name(enum boot_arch a);
/* -EINVAL for an unknown name. */
int boot_arch_from_name(const char *s, enum boot_arch *ret);
/*
 * From RFC 4578 option 93 (and whether option 60 said HTTPClient):
 * 0 bios, 6 efi-ia32, 7 and 9 efi-x86_64, 11 efi-arm64, 16 http-x86_64,
 * 19 http-arm64; anything else BOOT_ARCH_UNKNOWN.
 */
enum boot_arch boot_arch_from_option93(uint16_t arch);
/*
 * From iPXE's ${platform} and ${buildarch}: pcbios -> bios; efi with
 * x86_64, i386 or arm64 -> efi-x86_64, efi-ia32, efi-arm64; else unknown.
 */
enum boot_arch boot_arch_from_ipxe(const char *platform, const char *buildarch);

enum boot_cmdline_mode {
	BOOT_CMDLINE_APPEND,
	BOOT_CMDLINE_REPLACE,
};

enum fleet_action {
	FLEET_ACTION_NETBOOT,
	FLEET_ACTION_LOCAL,
	FLEET_ACTION_IGNORE,
	_FLEET_ACTION_MAX,
};

/* "netboot", "local", "ignore"; parse: -EINVAL for anything else. */
const char *fleet_action_name(enum fleet_action a);
int fleet_action_from_name(const char *s, enum fleet_action *ret);

/* What a machine that reported "installed" boots next (a profile's after_install). */
enum fleet_after_install {
	FLEET_AFTER_LOCAL, /* the default: its disk */
	FLEET_AFTER_NETBOOT,
	FLEET_AFTER_IGNORE,
	_FLEET_AFTER_MAX,
};

/* "local", "netboot", "ignore"; parse: -EINVAL for anything else. */
const char *fleet_after_install_name(enum fleet_after_install a);
int fleet_after_install_from_name(const char *s, enum fleet_after_install *ret);

struct fleet_label {
	char *key;
	char *value;
};

struct fleet_labels {
	struct fleet_label *v; /* sorted by key, keys unique */
	size_t n;
};

struct fleet_profile {
	char *name;
	char *image;   /* NULL: the default image */
	char *config;  /* NULL: the default cloud-config */
	char *cmdline; /* NULL: none */
	enum boot_cmdline_mode cmdline_mode;
	char *loader; /* NULL: "ipxe"; "grub", "shim-grub" (boot-policy.h) */
	enum fleet_action action;
	/* add netconsole= (to netbootd's syslog receiver) to the command line */
	bool netconsole;
	/* the machine reports back (report: false sets this); installed ones boot after_install */
	bool no_report;
	enum fleet_after_install after_install;
	unsigned line; /* where a fleet file defined it, 0 if unknown */
};

struct fleet_match {
	char *mac; /* lower-case exact MAC or glob; NULL: any */
	bool has_uuid;
	uint8_t uuid[FLEET_UUID_LEN];
	enum boot_arch arch; /* BOOT_ARCH_UNKNOWN: any */
	char *interface;     /* interface name or "a.b.c.d/len"; NULL: any */
	struct fleet_labels labels;
};

struct fleet_group {
	char *name;
	struct fleet_match match;
	char *profile;
	int priority; /* -FLEET_PRIORITY_MAX..FLEET_PRIORITY_MAX, default 0 */
	unsigned line;
};

struct fleet_machine {
	uint8_t mac[MAC_LEN];
	struct fleet_labels labels;
	char *profile; /* overrides every group; exclusive with image */
	char *image;   /* an assignment (netbootctl assign): overrides every group */
	char *config;
	char *cmdline;
	enum boot_cmdline_mode cmdline_mode;
	unsigned line;
};

/* A cloud-config carried by a fleet file (inline, or read from its file by netbootctl). */
struct fleet_config {
	char *name;
	char *content; /* NUL-terminated */
	size_t len;
	unsigned line;
};

struct fleet {
	struct fleet_profile *profiles;
	size_t n_profiles;
	struct fleet_group *groups;
	size_t n_groups;
	struct fleet_machine *machines;
	size_t n_machines;
	struct fleet_config *configs; /* fleet files only; the store keeps configs apart */
	size_t n_configs;
};

/* ---- memory ---- */

void fleet_labels_clear(struct fleet_labels *l);
int fleet_labels_copy(const struct fleet_labels *src, struct fleet_labels *dst);
/* Add or replace key=value, keeping the order; -EINVAL bad key/value, -E2BIG. */
int fleet_labels_set(struct fleet_labels *l, const char *key, const char *value);
/* -ENOENT when the key is not there. */
int fleet_labels_remove(struct fleet_labels *l, const char *key);
/* The value of 'key', or NULL. */
const char *fleet_labels_get(const struct fleet_labels *l, const char *key);

void fleet_profile_clear(struct fleet_profile *p);
int fleet_profile_copy(const struct fleet_profile *src, struct fleet_profile *dst);
void fleet_match_clear(struct fleet_match *m);
void fleet_group_clear(struct fleet_group *g);
int fleet_group_copy(const struct fleet_group *src, struct fleet_group *dst);
void fleet_machine_clear(struct fleet_machine *m);
int fleet_machine_copy(const struct fleet_machine *src, struct fleet_machine *dst);
void fleet_config_clear(struct fleet_config *c);

/* Free every member (not the struct itself); the fleet is empty after. */
void fleet_clear(struct fleet *f);
/* A deep copy; -ENOMEM. */
int fleet_copy(const struct fleet *src, struct fleet *dst);
/* Sort the arrays (profiles, groups, configs by name, machines by MAC). */
void fleet_sort(struct fleet *f);
/* Every field but the lines the same (a command line's mode only where it has one). */
bool fleet_equal(const struct fleet *a, const struct fleet *b);

/* Binary searches over a sorted fleet; NULL when absent. */
const struct fleet_profile *fleet_profile_find(const struct fleet *f, const char *name);
const struct fleet_group *fleet_group_find(const struct fleet *f, const char *name);
const struct fleet_machine *fleet_machine_find(const struct fleet *f, const uint8_t mac[MAC_LEN]);
const struct fleet_config *fleet_config_find(const struct fleet *f, const char *name);

/* ---- values ---- */

bool fleet_label_key_valid(const char *s);
bool fleet_label_value_valid(const char *s);
/* An exact MAC or a glob of hex digits, ':' '*' '?' (lower-cased into ret); -EINVAL. */
int fleet_mac_glob_parse(const char *s, char ret[FLEET_MAC_GLOB_MAX + 1]);
bool fleet_mac_glob_match(const char *glob, const uint8_t mac[MAC_LEN]);
/* "8c2f6b1e-...": 36 characters, hex with hyphens at 8, 13, 18, 23; -EINVAL. */
int fleet_uuid_parse(const char *s, uint8_t ret[FLEET_UUID_LEN]);
void fleet_uuid_format(const uint8_t uuid[FLEET_UUID_LEN], char buf[37]);
/* An interface name (IFNAMSIZ rules) or "a.b.c.d/len", 0 <= len <= 32; -EINVAL. */
int fleet_interface_check(const char *s);
/* A name equals 'ifname'; a subnet holds 'addr' (0.0.0.0 never matches one). */
bool fleet_interface_match(const char *sel, const char *ifname, struct in_addr addr);

/* How many selectors the group has: its specificity. */
unsigned fleet_match_specificity(const struct fleet_match *m);
/*
 * Whether two selector sets could both match one machine: false only when
 * some selector both name is provably disjoint (different exact values,
 * incompatible MAC glob prefixes, different label values for one key).
 */
bool fleet_match_may_overlap(const struct fleet_match *a, const struct fleet_match *b);

/*
 * What applying a fleet file over the running fleet gives: without 'prune'
 * the file's profiles, groups, machines and configs replace or add to the
 * running ones of the same name (MAC); with 'prune' the result is the
 * file's alone.  'running' configs are the store's cloud-configs.  -ENOMEM.
 */
int fleet_merge(
    const struct fleet *running, const struct fleet *file, bool prune, struct fleet *ret);

/* ---- validation ---- */

/* What the fleet refers to outside itself: the store's images and cloud-configs. */
struct fleet_world {
	bool (*image_exists)(void *userdata, const char *name);
	bool (*config_exists)(void *userdata, const char *name); /* beside the fleet's own */
	void *userdata;
};

/*
 * Check a whole fleet before it replaces the running one: sorted, no
 * duplicates, every value well-formed, every profile a group or machine
 * names exists, every image and cloud-config a profile or machine names
 * exists (in 'w' or among f->configs), no machine with both a profile and
 * an image, and no two groups of equal specificity and priority that may
 * match one machine.  0, or -EINVAL with a malloc'd message in *ret_error
 * naming the item and its line ("line 12: profile \"kairos-cp\": no image
 * \"kairos\""; for a missing image, the line of the profile that names it).
 * 'w' may be NULL: references outside the fleet are not checked.
 */
int fleet_validate(const struct fleet *f, const struct fleet_world *w, char **ret_error);

#endif
