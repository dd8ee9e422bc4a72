#include "text.h"

bool
text_valid(const char *s, size_t max)
{
	size_t len = 0;

	for (; s[len] != '\0'; len++)
		if ((unsigned char)s[len] < 0x20 || s[len] == 0x7f)
			return false;
	return len <= max;
}
