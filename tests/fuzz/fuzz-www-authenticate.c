/*
 * registry_challenge_parse() on arbitrary bytes: no crash or leak; a Bearer
 * challenge always has a realm; only the documented errors.  The same bytes
 * also go through registry_auth_lookup() (the auth file parser).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "registry.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct registry_challenge *c = NULL;
	char *s, *user = NULL, *pass = NULL;
	int r;

	if ((s = malloc(size + 1)) == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	r = registry_challenge_parse(s, &c);
	if (r == 0) {
		if (c == NULL || (c->scheme == REGISTRY_AUTH_BEARER && c->realm == NULL))
			abort();
	} else if (r != -EBADMSG && r != -EOPNOTSUPP && r != -ENOMEM) {
		abort();
	} else if (c != NULL) {
		abort();
	}
	registry_challenge_free(c);
	r = registry_auth_lookup((const char *)data, size, "quay.io", &user, &pass);
	if ((r == 0) != (user != NULL && pass != NULL) ||
	    (r != 0 && r != -ENOENT && r != -EBADMSG && r != -ENOMEM))
		abort();
	free(user);
	free(pass);
	free(s);
	return 0;
}
