/*
 * A stand-in for lib/boot/fleet-match.c (the lead's, issue 10) until it
 * lands: simple versions of the value and selector functions of fleet.h,
 * linked only into the fleet tests and fuzz target.  Delete this file (and
 * fleet_match_stub_dep in tests/meson.build) when the real one is in.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fnmatch.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>

#include "fleet.h"
#include "util.h"

static const char *const arch_names[] = {
    [BOOT_ARCH_BIOS] = "bios",
    [BOOT_ARCH_EFI_IA32] = "efi-ia32",
    [BOOT_ARCH_EFI_X86_64] = "efi-x86_64",
    [BOOT_ARCH_EFI_ARM64] = "efi-arm64",
    [BOOT_ARCH_HTTP_X86_64] = "http-x86_64",
    [BOOT_ARCH_HTTP_ARM64] = "http-arm64",
};

static const char *const action_names[] = {"netboot", "local", "ignore"};

const char *
boot_arch_name(enum boot_arch a)
{
	return (size_t)a < ELEMENTSOF(arch_names) ? arch_names[a] : NULL;
}

int
boot_arch_from_name(const char *s, enum boot_arch *ret)
{
	for (size_t i = 1; i < ELEMENTSOF(arch_names); i++)
		if (strcmp(s, arch_names[i]) == 0) {
			*ret = (enum boot_arch)i;
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

const char *
fleet_action_name(enum fleet_action a)
{
	return (size_t)a < ELEMENTSOF(action_names) ? action_names[a] : NULL;
}

int
fleet_action_from_name(const char *s, enum fleet_action *ret)
{
	for (size_t i = 0; i < ELEMENTSOF(action_names); i++)
		if (strcmp(s, action_names[i]) == 0) {
			*ret = (enum fleet_action)i;
			return 0;
		}
	return -EINVAL;
}

/* [a-z0-9] then 'chars' */
static bool
word_valid(const char *s, size_t len, const char *chars)
{
	return len > 0 && strchr("abcdefghijklmnopqrstuvwxyz0123456789", s[0]) != NULL &&
	       strspn(s, chars) >= len;
}

bool
fleet_label_key_valid(const char *s)
{
	const char *slash = strchr(s, '/');
	size_t len = strlen(s);

	if (len == 0 || len > FLEET_LABEL_KEY_MAX)
		return false;
	if (slash == NULL)
		return word_valid(s, len, "abcdefghijklmnopqrstuvwxyz0123456789._-");
	return word_valid(s, (size_t)(slash - s), "abcdefghijklmnopqrstuvwxyz0123456789.-") &&
	       word_valid(slash + 1, strlen(slash + 1), "abcdefghijklmnopqrstuvwxyz0123456789._-");
}

bool
fleet_label_value_valid(const char *s)
{
	size_t len = strlen(s);

	return len <= FLEET_LABEL_VALUE_MAX &&
	       strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-") ==
	           len;
}

int
fleet_mac_glob_parse(const char *s, char ret[FLEET_MAC_GLOB_MAX + 1])
{
	char buf[FLEET_MAC_GLOB_MAX + 1];
	size_t len = strlen(s);
	uint8_t mac[MAC_LEN];

	if (len == 0 || len > FLEET_MAC_GLOB_MAX || strspn(s, "0123456789abcdefABCDEF:*?") != len)
		return -EINVAL;
	for (size_t i = 0; i <= len; i++)
		buf[i] = (char)(s[i] >= 'A' && s[i] <= 'F' ? s[i] - 'A' + 'a' : s[i]);
	if (strpbrk(buf, "*?") == NULL && (len != MAC_STRLEN - 1 || mac_parse(buf, mac) < 0))
		return -EINVAL;
	memcpy(ret, buf, len + 1);
	return 0;
}

bool
fleet_mac_glob_match(const char *glob, const uint8_t mac[MAC_LEN])
{
	char s[MAC_STRLEN];

	mac_format(mac, ':', s);
	return fnmatch(glob, s, 0) == 0;
}

static int
hex_value(char c)
{
	const char *digits = "0123456789abcdef", *d = strchr(digits, c | 0x20);

	return c != '\0' && d != NULL ? (int)(d - digits) : -1;
}

int
fleet_uuid_parse(const char *s, uint8_t ret[FLEET_UUID_LEN])
{
	uint8_t u[FLEET_UUID_LEN] = {0};
	size_t n = 0;

	if (strlen(s) != 36)
		return -EINVAL;
	for (size_t i = 0; i < 36; i++) {
		bool hyphen = i == 8 || i == 13 || i == 18 || i == 23;
		int v = hex_value(s[i]);

		if (hyphen != (s[i] == '-') || (!hyphen && v < 0))
			return -EINVAL;
		if (hyphen)
			continue;
		u[n / 2] = (uint8_t)(u[n / 2] << 4 | v);
		n++;
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

/* "a.b.c.d/len" into its network and prefix length; -EINVAL. */
static int
subnet_parse(const char *s, uint32_t *ret_net, unsigned *ret_len)
{
	const char *slash = strchr(s, '/');
	char addr[INET_ADDRSTRLEN];
	struct in_addr a;
	unsigned len = 0;

	if (slash == NULL || (size_t)(slash - s) >= sizeof(addr) || slash[1] == '\0' ||
	    strspn(slash + 1, "0123456789") != strlen(slash + 1) || strlen(slash + 1) > 2)
		return -EINVAL;
	memcpy(addr, s, (size_t)(slash - s));
	addr[slash - s] = '\0';
	sscanf(slash + 1, "%u", &len);
	if (inet_pton(AF_INET, addr, &a) != 1 || len > 32)
		return -EINVAL;
	*ret_net = ntohl(a.s_addr);
	*ret_len = len;
	return 0;
}

int
fleet_interface_check(const char *s)
{
	size_t len = strlen(s);
	uint32_t net;
	unsigned plen;

	if (strchr(s, '/') != NULL)
		return subnet_parse(s, &net, &plen);
	if (len == 0 || len >= IFNAMSIZ || strcmp(s, ".") == 0 || strcmp(s, "..") == 0)
		return -EINVAL;
	for (size_t i = 0; i < len; i++)
		if (s[i] == ':' || (unsigned char)s[i] <= 0x20 || s[i] == 0x7f)
			return -EINVAL;
	return 0;
}

unsigned
fleet_match_specificity(const struct fleet_match *m)
{
	return (m->mac != NULL) + m->has_uuid + (m->arch != BOOT_ARCH_UNKNOWN) +
	       (m->interface != NULL) + (unsigned)m->labels.n;
}

/* Disjoint when, before either has a '*', one position holds two different literals. */
static bool
globs_disjoint(const char *a, const char *b)
{
	for (; *a != '\0' && *b != '\0' && *a != '*' && *b != '*'; a++, b++)
		if (*a != '?' && *b != '?' && *a != *b)
			return true;
	return (*a == '\0') != (*b == '\0') && *a != '*' && *b != '*';
}

static bool
interfaces_disjoint(const char *a, const char *b)
{
	uint32_t na, nb;
	unsigned la, lb;
	bool sa = subnet_parse(a, &na, &la) == 0, sb = subnet_parse(b, &nb, &lb) == 0;
	unsigned l = la < lb ? la : lb;
	uint32_t mask = l == 0 ? 0 : UINT32_MAX << (32 - l);

	if (!sa && !sb)
		return strcmp(a, b) != 0;
	return sa && sb && (na & mask) != (nb & mask);
}

static bool
labels_disjoint(const struct fleet_labels *a, const struct fleet_labels *b)
{
	for (size_t i = 0; i < a->n; i++) {
		const char *v = fleet_labels_get(b, a->v[i].key);

		if (v != NULL && strcmp(v, a->v[i].value) != 0)
			return true;
	}
	return false;
}

bool
fleet_match_may_overlap(const struct fleet_match *a, const struct fleet_match *b)
{
	if (a->mac != NULL && b->mac != NULL && globs_disjoint(a->mac, b->mac))
		return false;
	if (a->has_uuid && b->has_uuid && memcmp(a->uuid, b->uuid, FLEET_UUID_LEN) != 0)
		return false;
	if (a->arch != BOOT_ARCH_UNKNOWN && b->arch != BOOT_ARCH_UNKNOWN && a->arch != b->arch)
		return false;
	if (a->interface != NULL && b->interface != NULL &&
	    interfaces_disjoint(a->interface, b->interface))
		return false;
	return !labels_disjoint(&a->labels, &b->labels);
}
