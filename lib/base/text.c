#include "text.h"

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
