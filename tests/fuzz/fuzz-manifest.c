/*
 * manifest_parse() on arbitrary bytes: no crash or leak, a message with
 * every -EBADMSG, and whatever parses satisfies the invariants and survives
 * a format/parse round trip unchanged.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "manifest.h"

static void
check_manifest(const struct manifest *m)
{
	if (!name_valid(m->name) || m->created < 0 || m->source == NULL ||
	    m->source_type == MANIFEST_SOURCE_LEGACY ||
	    !manifest_string_valid(m->source, MANIFEST_MAX_SOURCE) ||
	    (m->cmdline != NULL && !manifest_string_valid(m->cmdline, MANIFEST_MAX_CMDLINE)))
		abort();
	if (manifest_kind_whole(m->kind) != (m->source_type == MANIFEST_SOURCE_FILE) ||
	    (manifest_kind_whole(m->kind) && (m->cmdline != NULL || m->origin_boot)))
		abort();
	for (size_t i = 0; i < MANIFEST_N_IDS; i++)
		if (!manifest_kind_has(m->kind, (enum manifest_file)i)) {
			if (m->files[i].has_sha256 || m->files[i].size != 0)
				abort();
		} else if (!m->files[i].has_sha256 ||
		           strlen(m->files[i].sha256) != MANIFEST_SHA256_HEX ||
		           strspn(m->files[i].sha256, "0123456789abcdef") != MANIFEST_SHA256_HEX ||
		           m->files[i].size > (uint64_t)MANIFEST_MAX_NUMBER)
			abort();
}

static void
check_roundtrip(const struct manifest *m)
{
	struct manifest *back = NULL;
	char *text = NULL, *text2 = NULL;

	if (manifest_format(m, &text) < 0)
		return;
	if (manifest_parse(text, strlen(text), &back, NULL) != 0 ||
	    manifest_format(back, &text2) < 0 || strcmp(text, text2) != 0 ||
	    back->created != m->created || back->kind != m->kind ||
	    memcmp(back->files, m->files, sizeof(m->files)) != 0)
		abort();
	manifest_free(back);
	free(text);
	free(text2);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct manifest *m = NULL;
	char *err = NULL;
	int r = manifest_parse((const char *)data, size, &m, &err);

	if (r == 0) {
		if (m == NULL || err != NULL)
			abort();
		check_manifest(m);
		check_roundtrip(m);
	} else if (r == -EBADMSG) {
		if (m != NULL || err == NULL)
			abort();
	} else if (r != -ENOMEM) {
		abort();
	}
	manifest_free(m);
	free(err);
	return 0;
}
