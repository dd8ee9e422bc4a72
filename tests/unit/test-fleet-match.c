/* The values of the fleet: architectures, actions, labels, MAC globs, UUIDs, interfaces. */
#include <arpa/inet.h>

#include "fleet.h"
#include "util.h"
#include "test.h"

static void
test_arch(void)
{
	enum boot_arch a;

	for (int i = BOOT_ARCH_BIOS; i < _BOOT_ARCH_MAX; i++) {
		CHECK(boot_arch_name(i) != NULL);
		CHECK_EQ_INT(boot_arch_from_name(boot_arch_name(i), &a), 0);
		CHECK_EQ_INT(a, i);
	}
	CHECK(boot_arch_name(BOOT_ARCH_UNKNOWN) == NULL);
	CHECK(boot_arch_name(_BOOT_ARCH_MAX) == NULL);
	CHECK_EQ_INT(boot_arch_from_name("x86_64", &a), -EINVAL);
	CHECK_EQ_INT(boot_arch_from_name("", &a), -EINVAL);
	CHECK_EQ_INT(boot_arch_from_name(NULL, &a), -EINVAL);
	CHECK_EQ_STR(boot_arch_name(BOOT_ARCH_EFI_X86_64), "efi-x86_64");
	CHECK_EQ_INT(boot_arch_from_option93(0), BOOT_ARCH_BIOS);
	CHECK_EQ_INT(boot_arch_from_option93(6), BOOT_ARCH_EFI_IA32);
	CHECK_EQ_INT(boot_arch_from_option93(7), BOOT_ARCH_EFI_X86_64);
	CHECK_EQ_INT(boot_arch_from_option93(9), BOOT_ARCH_EFI_X86_64);
	CHECK_EQ_INT(boot_arch_from_option93(11), BOOT_ARCH_EFI_ARM64);
	CHECK_EQ_INT(boot_arch_from_option93(16), BOOT_ARCH_HTTP_X86_64);
	CHECK_EQ_INT(boot_arch_from_option93(19), BOOT_ARCH_HTTP_ARM64);
	CHECK_EQ_INT(boot_arch_from_option93(10), BOOT_ARCH_UNKNOWN);
	CHECK_EQ_INT(boot_arch_from_option93(0x1206), BOOT_ARCH_UNKNOWN);
	CHECK_EQ_INT(boot_arch_from_ipxe("pcbios", "i386"), BOOT_ARCH_BIOS);
	CHECK_EQ_INT(boot_arch_from_ipxe("efi", "x86_64"), BOOT_ARCH_EFI_X86_64);
	CHECK_EQ_INT(boot_arch_from_ipxe("efi", "i386"), BOOT_ARCH_EFI_IA32);
	CHECK_EQ_INT(boot_arch_from_ipxe("efi", "arm64"), BOOT_ARCH_EFI_ARM64);
	CHECK_EQ_INT(boot_arch_from_ipxe("efi", "riscv64"), BOOT_ARCH_UNKNOWN);
	CHECK_EQ_INT(boot_arch_from_ipxe("", ""), BOOT_ARCH_UNKNOWN);
	CHECK_EQ_INT(boot_arch_from_ipxe(NULL, "x86_64"), BOOT_ARCH_UNKNOWN);
}

static void
test_action(void)
{
	enum fleet_action a;

	CHECK_EQ_INT(fleet_action_from_name("netboot", &a), 0);
	CHECK_EQ_INT(a, FLEET_ACTION_NETBOOT);
	CHECK_EQ_INT(fleet_action_from_name("local", &a), 0);
	CHECK_EQ_INT(a, FLEET_ACTION_LOCAL);
	CHECK_EQ_INT(fleet_action_from_name("ignore", &a), 0);
	CHECK_EQ_INT(a, FLEET_ACTION_IGNORE);
	CHECK_EQ_INT(fleet_action_from_name("Local", &a), -EINVAL);
	CHECK_EQ_STR(fleet_action_name(FLEET_ACTION_LOCAL), "local");
	CHECK(fleet_action_name(_FLEET_ACTION_MAX) == NULL);
}

static void
test_labels(void)
{
	char key[FLEET_LABEL_KEY_MAX + 2];

	CHECK(fleet_label_key_valid("role"));
	CHECK(fleet_label_key_valid("rack.9_b-c"));
	CHECK(fleet_label_key_valid("kairos.io/role"));
	CHECK(fleet_label_key_valid("0zone"));
	CHECK(!fleet_label_key_valid(""));
	CHECK(!fleet_label_key_valid("Role"));
	CHECK(!fleet_label_key_valid("-role"));
	CHECK(!fleet_label_key_valid("role="));
	CHECK(!fleet_label_key_valid("a b"));
	CHECK(!fleet_label_key_valid("a/b/c"));
	CHECK(!fleet_label_key_valid("a/"));
	CHECK(!fleet_label_key_valid("r\xc3\xb4le"));
	CHECK(!fleet_label_key_valid(NULL));
	memset(key, 'k', sizeof(key) - 1);
	key[sizeof(key) - 1] = '\0';
	CHECK(!fleet_label_key_valid(key));
	key[FLEET_LABEL_KEY_MAX] = '\0';
	CHECK(fleet_label_key_valid(key));
	CHECK(fleet_label_value_valid("Worker-1.a_b"));
	CHECK(fleet_label_value_valid(""));
	CHECK(!fleet_label_value_valid("a b"));
	CHECK(!fleet_label_value_valid("a/b"));
	CHECK(!fleet_label_value_valid("{{mac}}"));
	CHECK(!fleet_label_value_valid(NULL));
}

static void
test_mac_glob(void)
{
	const uint8_t m[MAC_LEN] = {0x52, 0x54, 0x00, 0xaa, 0xbb, 0x01};
	char g[FLEET_MAC_GLOB_MAX + 1];

	CHECK_EQ_INT(fleet_mac_glob_parse("52:54:00:*", g), 0);
	CHECK_EQ_STR(g, "52:54:00:*");
	CHECK(fleet_mac_glob_match(g, m));
	CHECK_EQ_INT(fleet_mac_glob_parse("52-54-00-AA-BB-01", g), 0);
	CHECK_EQ_STR(g, "52:54:00:aa:bb:01");
	CHECK(fleet_mac_glob_match(g, m));
	CHECK_EQ_INT(fleet_mac_glob_parse("52:54:00:aa:bb:0?", g), 0);
	CHECK(fleet_mac_glob_match(g, m));
	CHECK(fleet_mac_glob_match("*:01", m));
	CHECK(fleet_mac_glob_match("*", m));
	CHECK(!fleet_mac_glob_match("52:54:01:*", m));
	CHECK(!fleet_mac_glob_match("52:54:00:aa:bb:0", m));
	CHECK(!fleet_mac_glob_match("52:54:00:aa:bb:01:*?", m));
	CHECK_EQ_INT(fleet_mac_glob_parse("", g), -EINVAL);
	CHECK_EQ_INT(fleet_mac_glob_parse("52:54:00:aa:bb:01:02", g), -EINVAL);
	CHECK_EQ_INT(fleet_mac_glob_parse("52:54:0g:*", g), -EINVAL);
	CHECK_EQ_INT(fleet_mac_glob_parse("52:54:00:[ab]", g), -EINVAL);
	CHECK_EQ_INT(fleet_mac_glob_parse(NULL, g), -EINVAL);
}

static void
test_uuid(void)
{
	uint8_t u[FLEET_UUID_LEN], before[FLEET_UUID_LEN];
	char s[37];

	CHECK_EQ_INT(fleet_uuid_parse("10111213-1415-1617-1819-1A1b1c1d1e1f", u), 0);
	for (int i = 0; i < FLEET_UUID_LEN; i++)
		CHECK_EQ_INT(u[i], 0x10 + i);
	fleet_uuid_format(u, s);
	CHECK_EQ_STR(s, "10111213-1415-1617-1819-1a1b1c1d1e1f");
	memcpy(before, u, sizeof(u));
	CHECK_EQ_INT(fleet_uuid_parse("10111213-1415-1617-1819-1a1b1c1d1e1", u), -EINVAL);
	CHECK_EQ_INT(fleet_uuid_parse("10111213+1415-1617-1819-1a1b1c1d1e1f", u), -EINVAL);
	CHECK_EQ_INT(fleet_uuid_parse("1011121x-1415-1617-1819-1a1b1c1d1e1f", u), -EINVAL);
	CHECK_EQ_INT(fleet_uuid_parse("", u), -EINVAL);
	CHECK_EQ_MEM(u, before, sizeof(u)); /* untouched on failure */
}

static void
test_interface(void)
{
	struct in_addr a = {inet_addr("10.1.2.3")}, none = {htonl(INADDR_ANY)};

	CHECK_EQ_INT(fleet_interface_check("eth0"), 0);
	CHECK_EQ_INT(fleet_interface_check("enp3s0f1.100"), 0);
	CHECK_EQ_INT(fleet_interface_check("10.1.0.0/16"), 0);
	CHECK_EQ_INT(fleet_interface_check("0.0.0.0/0"), 0);
	CHECK_EQ_INT(fleet_interface_check("10.1.0.0/33"), -EINVAL);
	CHECK_EQ_INT(fleet_interface_check("10.1.0.0/"), -EINVAL);
	CHECK_EQ_INT(fleet_interface_check("10.1.0/16"), -EINVAL);
	CHECK_EQ_INT(fleet_interface_check("10.1.0.0/-1"), -EINVAL);
	CHECK_EQ_INT(fleet_interface_check(""), -EINVAL);
	CHECK_EQ_INT(fleet_interface_check("a b"), -EINVAL);
	CHECK_EQ_INT(fleet_interface_check("sixteen-chars-xx"), -EINVAL);
	CHECK_EQ_INT(fleet_interface_check(".."), -EINVAL);
	CHECK(fleet_interface_match("eth0", "eth0", none));
	CHECK(!fleet_interface_match("eth0", "eth1", a));
	CHECK(!fleet_interface_match("eth0", NULL, a));
	CHECK(fleet_interface_match("10.1.0.0/16", "eth9", a));
	CHECK(fleet_interface_match("10.1.2.3/32", "", a));
	CHECK(fleet_interface_match("0.0.0.0/0", "", a));
	CHECK(!fleet_interface_match("10.2.0.0/16", "", a));
	CHECK(!fleet_interface_match("0.0.0.0/0", "", none));
}

static void
test_specificity_and_overlap(void)
{
	struct fleet_label cp = {"role", "cp"}, worker = {"role", "worker"}, rack = {"rack", "9"};
	struct fleet_match any = {.mac = NULL}, lab = {.mac = "52:54:00:*"},
	                   other = {.mac = "aa:*"}, one = {.mac = "52:54:00:aa:bb:01"},
	                   arm = {.arch = BOOT_ARCH_EFI_ARM64}, bios = {.arch = BOOT_ARCH_BIOS},
	                   lcp = {.labels = {&cp, 1}}, lworker = {.labels = {&worker, 1}},
	                   lrack = {.labels = {&rack, 1}}, net1 = {.interface = "10.1.0.0/16"},
	                   net2 = {.interface = "10.2.0.0/16"},
	                   net1s = {.interface = "10.1.5.0/24"}, eth0 = {.interface = "eth0"},
	                   eth1 = {.interface = "eth1"};

	CHECK_EQ_INT(fleet_match_specificity(&any), 0);
	CHECK_EQ_INT(fleet_match_specificity(&lab), 1);
	struct fleet_label two[] = {rack, cp};
	struct fleet_match m = {.mac = "52:*",
	    .has_uuid = true,
	    .arch = BOOT_ARCH_BIOS,
	    .interface = "eth0",
	    .labels = {two, 2}};
	CHECK_EQ_INT(fleet_match_specificity(&m), 6);
	CHECK(fleet_match_may_overlap(&any, &lab));
	CHECK(fleet_match_may_overlap(&lab, &one));
	CHECK(!fleet_match_may_overlap(&lab, &other));
	CHECK(!fleet_match_may_overlap(&one, &other));
	CHECK(fleet_match_may_overlap(&arm, &lcp)); /* a cp machine may be arm64 */
	CHECK(!fleet_match_may_overlap(&arm, &bios));
	CHECK(!fleet_match_may_overlap(&lcp, &lworker));
	CHECK(fleet_match_may_overlap(&lcp, &lrack));
	CHECK(!fleet_match_may_overlap(&net1, &net2));
	CHECK(fleet_match_may_overlap(&net1, &net1s));
	CHECK(!fleet_match_may_overlap(&eth0, &eth1));
	CHECK(fleet_match_may_overlap(&eth0, &net1));
	struct fleet_match ua = {.has_uuid = true}, ub = {.has_uuid = true};
	ub.uuid[0] = 1;
	CHECK(!fleet_match_may_overlap(&ua, &ub));
	CHECK(fleet_match_may_overlap(&ua, &ua));
}

TEST_MAIN(TEST(test_arch), TEST(test_action), TEST(test_labels), TEST(test_mac_glob),
    TEST(test_uuid), TEST(test_interface), TEST(test_specificity_and_overlap))
