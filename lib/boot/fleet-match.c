/*
 * The values of the fleet (lib/boot/fleet.h): architectures, actions,
 * labels, MAC globs, UUIDs, interfaces, and what selectors can match.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fleet.h"
#include "io.h"
#include "util.h"

static const char *const arch_names[_BOOT_ARCH_MAX] = {
    [BOOT_ARCH_BIOS] = "bios",
    [BOOT_ARCH_EFI_IA32] = "efi-ia32",
    [BOOT_ARCH_EFI_X86_64] = "efi-x86_64",
    [BOOT_ARCH_EFI_ARM64] = "efi-arm64",
    [BOOT_ARCH_HTTP_X86_64] = "http-x86_64",
    [BOOT_ARCH_HTTP_ARM64] = "http-arm64",
};

const char *
boot_arch_name(enum boot_arch a)
{
	return (unsigned)a < _BOOT_ARCH_MAX ? arch_names[a] : NULL;
}

int
boot_arch_from_name(const char *s, enum boot_arch *ret)
{
	for (int a = BOOT_ARCH_BIOS; s != NULL && a < _BOOT_ARCH_MAX; a++)
		if (strcmp(s, arch_names[a]) == 0) {
			*ret = (enum boot_arch)a;
			return 0;
		}
	return -EINVAL;
}

enum boot_arch
boot_arch_from_option93(uint16_t arch)
{
	switch (arch) {
	case 0:
		return BOOT_ARCH_BIOS;
	case 6:
		return BOOT_ARCH_EFI_IA32;
	case 7:
	case 9:
		return BOOT_ARCH_EFI_X86_64;
	case 11:
		return BOOT_ARCH_EFI_ARM64;
	case 16:
		return BOOT_ARCH_HTTP_X86_64;
	case 19:
		return BOOT_ARCH_HTTP_ARM64;
	default:
		return BOOT_ARCH_UNKNOWN;
	}
}

enum boot_arch
boot_arch_from_ipxe(const char *platform, const char *buildarch)
{
	if (platform == NULL || buildarch == NULL)
		return BOOT_ARCH_UNKNOWN;
	if (strcmp(platform, "pcbios") == 0)
		return BOOT_ARCH_BIOS;
	if (strcmp(platform, "efi") != 0)
		return BOOT_ARCH_UNKNOWN;
	if (strcmp(buildarch, "x86_64") == 0)
		return BOOT_ARCH_EFI_X86_64;
	if (strcmp(buildarch, "i386") == 0)
		return BOOT_ARCH_EFI_IA32;
	if (strcmp(buildarch, "arm64") == 0)
		return BOOT_ARCH_EFI_ARM64;
	return BOOT_ARCH_UNKNOWN;
}

static const char *const action_names[_FLEET_ACTION_MAX] = {
    [FLEET_ACTION_NETBOOT] = "netboot",
    [FLEET_ACTION_LOCAL] = "local",
    [FLEET_ACTION_IGNORE] = "ignore",
};

const char *
fleet_action_name(enum fleet_action a)
{
	return (unsigned)a < _FLEET_ACTION_MAX ? action_names[a] : NULL;
}

int
fleet_action_from_name(const char *s, enum fleet_action *ret)
{
	for (int a = 0; s != NULL && a < _FLEET_ACTION_MAX; a++)
		if (strcmp(s, action_names[a]) == 0) {
			*ret = (enum fleet_action)a;
			return 0;
		}
	return -EINVAL;
}

static const char *const after_names[_FLEET_AFTER_MAX] = {
    [FLEET_AFTER_LOCAL] = "local",
    [FLEET_AFTER_NETBOOT] = "netboot",
    [FLEET_AFTER_IGNORE] = "ignore",
};

const char *
fleet_after_install_name(enum fleet_after_install a)
{
	return (unsigned)a < _FLEET_AFTER_MAX ? after_names[a] : NULL;
}

int
fleet_after_install_from_name(const char *s, enum fleet_after_install *ret)
{
	for (int a = 0; s != NULL && a < _FLEET_AFTER_MAX; a++)
		if (strcmp(s, after_names[a]) == 0) {
			*ret = (enum fleet_after_install)a;
			return 0;
		}
	return -EINVAL;
}

/* ---- labels ---- */

static bool
is_lower_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

/* [a-z0-9] first, then [a-z0-9._-] ('/' too where 'slash' allows it, once). */
static bool
label_word_valid(const char *s, size_t n, bool slash)
{
	if (n == 0 || !is_lower_alnum(s[0]))
		return false;
	for (size_t i = 1; i < n; i++) {
		char c = s[i];

		if (c == '/' && slash && i + 1 < n) {
			slash = false;
			continue;
		}
		if (!is_lower_alnum(c) && c != '.' && c != '_' && c != '-')
			return false;
	}
	return true;
}

bool
fleet_label_key_valid(const char *s)
{
	size_t n = s != NULL ? strlen(s) : 0;

	return n <= FLEET_LABEL_KEY_MAX && label_word_valid(s, n, true);
}

bool
fleet_label_value_valid(const char *s)
{
	size_t n;

	if (s == NULL || (n = strlen(s)) > FLEET_LABEL_VALUE_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];

		if (!(c >= 'A' && c <= 'Z') && !is_lower_alnum(c) && c != '.' && c != '_' &&
		    c != '-')
			return false;
	}
	return true;
}

/* ---- MAC globs ---- */

static bool
is_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

int
fleet_mac_glob_parse(const char *s, char ret[FLEET_MAC_GLOB_MAX + 1])
{
	char buf[FLEET_MAC_GLOB_MAX + 1];
	size_t n = s != NULL ? strlen(s) : 0;

	if (n == 0 || n > FLEET_MAC_GLOB_MAX)
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		char c = s[i] == '-' ? ':' : s[i];

		if (!is_hex(c) && c != ':' && c != '*' && c != '?')
			return -EINVAL;
		buf[i] = c >= 'A' && c <= 'F' ? (char)(c - 'A' + 'a') : c;
	}
	buf[n] = '\0';
	memcpy(ret, buf, n + 1);
	return 0;
}

/* fnmatch-style '*' and '?' over the canonical "xx:xx:..." text. */
static bool
glob_match(const char *g, const char *s)
{
	if (*g == '\0')
		return *s == '\0';
	if (*g == '*') {
		for (;; s++) {
			if (glob_match(g + 1, s))
				return true;
			if (*s == '\0')
				return false;
		}
	}
	if (*s == '\0' || (*g != '?' && *g != *s))
		return false;
	return glob_match(g + 1, s + 1);
}

bool
fleet_mac_glob_match(const char *glob, const uint8_t mac[MAC_LEN])
{
	char s[MAC_STRLEN];

	mac_format(mac, ':', s);
	return glob_match(glob, s);
}

/* ---- UUIDs and interfaces ---- */

int
fleet_uuid_parse(const char *s, uint8_t ret[FLEET_UUID_LEN])
{
	uint8_t u[FLEET_UUID_LEN];
	size_t j = 0;

	if (s == NULL || strlen(s) != 36)
		return -EINVAL;
	for (size_t i = 0; i < 36; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				return -EINVAL;
			continue;
		}
		int hi = io_hex_value(s[i]), lo = io_hex_value(s[i + 1]);
		if (hi < 0 || lo < 0)
			return -EINVAL;
		u[j++] = (uint8_t)(hi << 4 | lo);
		i++;
	}
	memcpy(ret, u, sizeof(u));
	return 0;
}

void
fleet_uuid_format(const uint8_t u[FLEET_UUID_LEN], char buf[37])
{
	snprintf(buf, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
	    u[0], u[1], u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10], u[11], u[12], u[13],
	    u[14], u[15]);
}

/* "a.b.c.d/len" into the network and its length; -EINVAL. */
static int
subnet_parse(const char *s, struct in_addr *ret_net, unsigned *ret_len)
{
	char addr[INET_ADDRSTRLEN];
	const char *slash = strchr(s, '/');
	char *end;
	unsigned long len;

	if (slash == NULL || (size_t)(slash - s) >= sizeof(addr) || slash[1] == '\0')
		return -EINVAL;
	memcpy(addr, s, (size_t)(slash - s));
	addr[slash - s] = '\0';
	len = strtoul(slash + 1, &end, 10);
	if (*end != '\0' || len > 32 || slash[1] < '0' || slash[1] > '9' ||
	    inet_pton(AF_INET, addr, ret_net) != 1)
		return -EINVAL;
	*ret_len = (unsigned)len;
	return 0;
}

int
fleet_interface_check(const char *s)
{
	struct in_addr net;
	unsigned len;
	size_t n = s != NULL ? strlen(s) : 0;

	if (n == 0)
		return -EINVAL;
	if (strchr(s, '/') != NULL)
		return subnet_parse(s, &net, &len);
	if (n >= IF_NAMESIZE || strcmp(s, ".") == 0 || strcmp(s, "..") == 0)
		return -EINVAL;
	for (size_t i = 0; i < n; i++)
		if (s[i] <= ' ' || s[i] == ':' || s[i] >= 0x7f)
			return -EINVAL;
	return 0;
}

bool
fleet_interface_match(const char *sel, const char *ifname, struct in_addr addr)
{
	struct in_addr net;
	unsigned len;
	uint32_t mask;

	if (strchr(sel, '/') == NULL)
		return ifname != NULL && strcmp(sel, ifname) == 0;
	if (subnet_parse(sel, &net, &len) < 0 || addr.s_addr == htonl(INADDR_ANY))
		return false;
	mask = len == 0 ? 0 : htonl(~0u << (32 - len));
	return (addr.s_addr & mask) == (net.s_addr & mask);
}

/* ---- selectors ---- */

unsigned
fleet_match_specificity(const struct fleet_match *m)
{
	return (m->mac != NULL) + m->has_uuid + (m->arch != BOOT_ARCH_UNKNOWN) +
	       (m->interface != NULL) + (unsigned)m->labels.n;
}

/* The literal text of a glob before its first wildcard. */
static size_t
glob_prefix(const char *g)
{
	return strcspn(g, "*?");
}

static bool
macs_may_overlap(const char *a, const char *b)
{
	size_t pa = glob_prefix(a), pb = glob_prefix(b), n = pa < pb ? pa : pb;

	if (a[pa] == '\0' && b[pb] == '\0')
		return strcmp(a, b) == 0;
	if (a[pa] == '\0')
		return glob_match(b, a);
	if (b[pb] == '\0')
		return glob_match(a, b);
	return memcmp(a, b, n) == 0;
}

static bool
labels_may_overlap(const struct fleet_labels *a, const struct fleet_labels *b)
{
	for (size_t i = 0; i < a->n; i++)
		for (size_t j = 0; j < b->n; j++)
			if (strcmp(a->v[i].key, b->v[j].key) == 0 &&
			    strcmp(a->v[i].value, b->v[j].value) != 0)
				return false;
	return true;
}

/* Two interface selectors: different names, or disjoint subnets, never meet. */
static bool
interfaces_may_overlap(const char *a, const char *b)
{
	struct in_addr na, nb;
	unsigned la, lb;
	uint32_t mask;

	if ((strchr(a, '/') == NULL) != (strchr(b, '/') == NULL))
		return true; /* an interface and a subnet: a relay on it can be in the subnet */
	if (strchr(a, '/') == NULL)
		return strcmp(a, b) == 0;
	if (subnet_parse(a, &na, &la) < 0 || subnet_parse(b, &nb, &lb) < 0)
		return true;
	la = la < lb ? la : lb;
	mask = la == 0 ? 0 : htonl(~0u << (32 - la));
	return (na.s_addr & mask) == (nb.s_addr & mask);
}

bool
fleet_match_may_overlap(const struct fleet_match *a, const struct fleet_match *b)
{
	if (a->mac != NULL && b->mac != NULL && !macs_may_overlap(a->mac, b->mac))
		return false;
	if (a->has_uuid && b->has_uuid && memcmp(a->uuid, b->uuid, FLEET_UUID_LEN) != 0)
		return false;
	if (a->arch != BOOT_ARCH_UNKNOWN && b->arch != BOOT_ARCH_UNKNOWN && a->arch != b->arch)
		return false;
	if (a->interface != NULL && b->interface != NULL &&
	    !interfaces_may_overlap(a->interface, b->interface))
		return false;
	return labels_may_overlap(&a->labels, &b->labels);
}
