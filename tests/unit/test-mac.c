#include "mac.h"
#include "test.h"

static void
test_format(void)
{
	const uint8_t mac[MAC_LEN] = {0x52, 0x54, 0x00, 0xab, 0xCD, 0x0f};
	char buf[MAC_STRLEN];

	mac_format(mac, ':', buf);
	CHECK_EQ_STR(buf, "52:54:00:ab:cd:0f");
	mac_format(mac, '-', buf);
	CHECK_EQ_STR(buf, "52-54-00-ab-cd-0f");
}

static void
test_parse(void)
{
	const uint8_t want[MAC_LEN] = {0x52, 0x54, 0x00, 0xab, 0xcd, 0x0f};
	uint8_t mac[MAC_LEN] = {0};

	CHECK_EQ_INT(mac_parse("52:54:00:AB:cd:0f", mac), 0);
	CHECK_EQ_MEM(mac, want, MAC_LEN);
	memset(mac, 0, sizeof(mac));
	CHECK_EQ_INT(mac_parse("52-54-00-ab-cd-0f", mac), 0);
	CHECK_EQ_MEM(mac, want, MAC_LEN);
}

static void
test_parse_bad(void)
{
	static const char *const bad[] = {"", "5", "52", "52:54:00:ab:cd",
	    "52:54:00:ab:cd:0f:", "52:54:00:ab:cd:0", "52:54-00:ab:cd:0f", "52:54:00:ab:cd:0g",
	    "5:54:00:ab:cd:0f", "52:54:00:ab:cd:0f00", "52.54.00.ab.cd.0f"};
	uint8_t mac[MAC_LEN] = {1, 2, 3, 4, 5, 6}, orig[MAC_LEN] = {1, 2, 3, 4, 5, 6};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CHECK_EQ_INT(mac_parse(bad[i], mac), -EINVAL);
		CHECK_EQ_MEM(mac, orig, MAC_LEN);
	}
}

TEST_MAIN(TEST(test_format), TEST(test_parse), TEST(test_parse_bad))
