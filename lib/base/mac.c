#include "mac.h"

#include <errno.h>

#include "io.h"

void
mac_format(const uint8_t mac[MAC_LEN], char sep, char buf[MAC_STRLEN])
{
	static const char hex[] = "0123456789abcdef";

	for (size_t i = 0; i < MAC_LEN; i++) {
		buf[i * 3] = hex[mac[i] >> 4];
		buf[i * 3 + 1] = hex[mac[i] & 15];
		buf[i * 3 + 2] = i + 1 < MAC_LEN ? sep : '\0';
	}
}

int
mac_parse(const char *s, uint8_t ret[MAC_LEN])
{
	uint8_t mac[MAC_LEN];
	char sep = s[0] != '\0' && s[1] != '\0' ? s[2] : '\0';

	if (sep != ':' && sep != '-')
		return -EINVAL;
	for (size_t i = 0; i < MAC_LEN; i++) {
		const char *p = s + i * 3;
		int hi = io_hex_value(p[0]), lo = hi < 0 ? -1 : io_hex_value(p[1]);

		if (hi < 0 || lo < 0)
			return -EINVAL;
		if (p[2] != (i + 1 < MAC_LEN ? sep : '\0'))
			return -EINVAL;
		mac[i] = (uint8_t)(hi << 4 | lo);
	}
	for (size_t i = 0; i < MAC_LEN; i++)
		ret[i] = mac[i];
	return 0;
}
