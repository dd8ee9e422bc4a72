#include "name.h"

#include <string.h>

bool
name_valid(const char *s)
{
	static const char allowed[] = "abcdefghijklmnopqrstuvwxyz"
	                              "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	                              "0123456789._-";
	size_t len;

	if (s == NULL)
		return false;
	len = strnlen(s, NAME_MAX_LEN + 1);
	if (len == 0 || len > NAME_MAX_LEN || s[0] == '.')
		return false;
	return strspn(s, allowed) == len;
}
