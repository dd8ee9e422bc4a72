/*
 * TEST DOUBLE of lib/boot/fleet-match.c (owned by the lead, issue 10), so
 * that the store's tests link before it lands: the value functions of
 * fleet.h, minimal.  tests/meson.build uses it only while
 * lib/boot/fleet-match.c does not exist; delete it then.
 */
#include "fleet.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
	for (int a = 1; a < _BOOT_ARCH_MAX; a++)
		if (strcmp(s, arch_names[a]) == 0) {
			*ret = (enum boot_arch)a;
			return 0;
		}
	return -EINVAL;
}

static const char *const action_names[_FLEET_ACTION_MAX] = {"netboot", "local", "ignore"};

const char *
fleet_action_name(enum fleet_action a)
{
	return (unsigned)a < _FLEET_ACTION_MAX ? action_names[a] : NULL;
}

int
fleet_action_from_name(const char *s, enum fleet_action *ret)
{
	for (int a = 0; a < _FLEET_ACTION_MAX; a++)
		if (strcmp(s, action_names[a]) == 0) {
			*ret = (enum fleet_action)a;
			return 0;
		}
	return -EINVAL;
}

static bool
chars_in(const char *s, size_t n, const char *extra, bool upper)
{
	for (size_t i = 0; i < n; i++)
		if (!(islower((unsigned char)s[i]) || isdigit((unsigned char)s[i]) ||
		        (upper && isupper((unsigned char)s[i])) || strchr(extra, s[i]) != NULL) ||
		    s[i] == '\0')
			return false;
	return true;
}

bool
fleet_label_key_valid(const char *s)
{
	const char *slash = strchr(s, '/');
	size_t len = strlen(s);

	if (len == 0 || len > FLEET_LABEL_KEY_MAX)
		return false;
	if (slash != NULL) {
		size_t p = (size_t)(slash - s);
		return p > 0 && chars_in(s, p, ".-", false) && slash[1] != '\0' &&
		       isalnum((unsigned char)slash[1]) &&
		       chars_in(slash + 1, len - p - 1, "._-", false);
	}
	return isalnum((unsigned char)s[0]) && chars_in(s, len, "._-", false);
}

bool
fleet_label_value_valid(const char *s)
{
	size_t len = strlen(s);

	return len <= FLEET_LABEL_VALUE_MAX && chars_in(s, len, "._-", true);
}

int
fleet_mac_glob_parse(const char *s, char ret[FLEET_MAC_GLOB_MAX + 1])
{
	size_t len = strlen(s);

	if (len == 0 || len > FLEET_MAC_GLOB_MAX)
		return -EINVAL;
	for (size_t i = 0; i <= len; i++) {
		if (i < len && !isxdigit((unsigned char)s[i]) && strchr(":*?", s[i]) == NULL)
			return -EINVAL;
		ret[i] = (char)tolower((unsigned char)s[i]);
	}
	return 0;
}

int
fleet_uuid_parse(const char *s, uint8_t ret[FLEET_UUID_LEN])
{
	uint8_t u[FLEET_UUID_LEN];
	size_t n = 0;

	if (strlen(s) != 36)
		return -EINVAL;
	for (size_t i = 0; i < 36; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				return -EINVAL;
			continue;
		}
		if (!isxdigit((unsigned char)s[i]) || !isxdigit((unsigned char)s[i + 1]))
			return -EINVAL;
		sscanf(s + i, "%2hhx", &u[n++]);
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

int
fleet_interface_check(const char *s)
{
	char addr[16];
	const char *slash = strchr(s, '/');
	struct in_addr a;

	if (slash == NULL)
		return strlen(s) > 0 && strlen(s) < 16 && strchr(s, ' ') == NULL ? 0 : -EINVAL;
	if ((size_t)(slash - s) >= sizeof(addr))
		return -EINVAL;
	memcpy(addr, s, (size_t)(slash - s));
	addr[slash - s] = '\0';
	return inet_pton(AF_INET, addr, &a) == 1 && atoi(slash + 1) >= 0 && atoi(slash + 1) <= 32
	           ? 0
	           : -EINVAL;
}

unsigned
fleet_match_specificity(const struct fleet_match *m)
{
	return (m->mac != NULL) + m->has_uuid + (m->arch != BOOT_ARCH_UNKNOWN) +
	       (m->interface != NULL) + (unsigned)m->labels.n;
}

bool
fleet_match_may_overlap(const struct fleet_match *a, const struct fleet_match *b)
{
	if (a->mac != NULL && b->mac != NULL && strchr(a->mac, '*') == NULL &&
	    strchr(b->mac, '*') == NULL && strcmp(a->mac, b->mac) != 0)
		return false;
	if (a->arch != BOOT_ARCH_UNKNOWN && b->arch != BOOT_ARCH_UNKNOWN && a->arch != b->arch)
		return false;
	if (a->has_uuid && b->has_uuid && memcmp(a->uuid, b->uuid, FLEET_UUID_LEN) != 0)
		return false;
	for (size_t i = 0; i < a->labels.n; i++) {
		const char *v = fleet_labels_get(&b->labels, a->labels.v[i].key);
		if (v != NULL && strcmp(v, a->labels.v[i].value) != 0)
			return false;
	}
	return true;
}
