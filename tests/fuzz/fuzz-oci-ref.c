/*
 * oci_ref_parse() on arbitrary bytes: no crash or leak, a message with
 * every -EBADMSG, and whatever parses has a valid digest (if any), a tag or
 * a digest, and formats to a reference that parses back to the same parts.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "oci-ref.h"

static bool
same(const char *a, const char *b)
{
	return (a == NULL && b == NULL) || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

static void
check(const struct oci_ref *ref)
{
	struct oci_ref *back = NULL;
	char *text = NULL;

	if ((ref->tag == NULL && ref->digest == NULL) ||
	    (ref->digest != NULL && !oci_digest_valid(ref->digest)) || ref->registry[0] == '\0' ||
	    ref->repository[0] == '\0')
		abort();
	(void)oci_registry_loopback(ref->registry);
	if (oci_ref_format(ref, &text) < 0)
		return;
	if (oci_ref_parse(text, &back, NULL) != 0 || !same(back->registry, ref->registry) ||
	    !same(back->repository, ref->repository) || !same(back->tag, ref->tag) ||
	    !same(back->digest, ref->digest))
		abort();
	oci_ref_free(back);
	free(text);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct oci_ref *ref = NULL;
	char *s, *err = NULL;
	int r;

	if ((s = malloc(size + 1)) == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	r = oci_ref_parse(s, &ref, &err);
	if (r == 0) {
		if (ref == NULL || err != NULL)
			abort();
		check(ref);
	} else if (r == -EBADMSG) {
		if (ref != NULL || err == NULL)
			abort();
	} else if (r != -ENOMEM) {
		abort();
	}
	oci_ref_free(ref);
	free(err);
	free(s);
	return 0;
}
