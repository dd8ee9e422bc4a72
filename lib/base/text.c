#include "text.h"

#include <errno.h>
#include <string.h>

bool
text_valid(const char *s, size_t max)
{
	size_t len = 0;

	for (; s[len] != '\0'; len++)
		if ((unsigned char)s[len] < 0x20 || s[len] == 0x7f)
			return false;
	return len <= max;
}

size_t
text_bsearch(const void *v, size_t n, const char *(*name_of)(const void *v, size_t i),
    const char *key, bool *ret_found)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(name_of(v, mid), key);

		if (c == 0) {
			*ret_found = true;
			return mid;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*ret_found = false;
	return lo;
}

int
text_parse_size(const char *s, size_t len, uint64_t *ret)
{
	static const char units[] = "KMGTPE";
	uint64_t v = 0;
	size_t i = 0;
	unsigned shift = 0;

	for (; i < len && s[i] >= '0' && s[i] <= '9'; i++) {
		if (v > (UINT64_MAX - (uint64_t)(s[i] - '0')) / 10)
			return -ERANGE;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	if (i == 0)
		return -EBADMSG;
	if (i < len && s[i] != '\0') {
		const char *u = strchr(units, s[i] & ~0x20);

		if (u == NULL || (s[i] & ~0x20) == 0)
			return -EBADMSG;
		shift = 10 * (unsigned)(u - units + 1);
		i++;
		if (i < len && s[i] == 'i')
			i++;
		if (i < len && (s[i] == 'B' || s[i] == 'b'))
			i++;
	}
	if (i != len)
		return -EBADMSG;
	if (shift > 0 && v > (UINT64_MAX >> shift))
		return -ERANGE;
	*ret = v << shift;
	return 0;
}
