/*
 * import_report_parse() on arbitrary bytes, as a compromised import child
 * could write them: no crash or leak; a refusal leaves the result
 * untouched; an accepted report has bounded, printable names, a message
 * without control characters and an errno in range, and formats again.
 */
#include <errno.h>
#include <string.h>

#include "fuzz.h"
#include "import-report.h"

static void
check_accepted(const struct import_report *r)
{
	char line[IMPORT_REPORT_MAX_LINE + 2];

	FUZZ_CHECK(strlen(r->phase) < IMPORT_REPORT_MAX_NAME);
	FUZZ_CHECK(strlen(r->file) < IMPORT_REPORT_MAX_NAME);
	FUZZ_CHECK(strlen(r->message) < IMPORT_REPORT_MAX_MESSAGE);
	for (const char *p = r->message; *p != '\0'; p++)
		FUZZ_CHECK((unsigned char)*p >= 0x20 && *p != 0x7f);
	if (r->type == IMPORT_REPORT_ERROR)
		FUZZ_CHECK(r->error <= -1 && r->error >= -4095);
	if (r->manifest_digest[0] != '\0')
		FUZZ_CHECK(strlen(r->manifest_digest) == 71);
	FUZZ_CHECK(import_report_format(r, line, sizeof(line)) > 0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct import_report r, untouched;
	int k;

	memset(&r, 0xa5, sizeof(r));
	memcpy(&untouched, &r, sizeof(r));
	k = import_report_parse((const char *)data, size, &r);
	if (k < 0) {
		FUZZ_CHECK(k == -EBADMSG || k == -E2BIG || k == -ENOMEM);
		FUZZ_CHECK(memcmp(&r, &untouched, sizeof(r)) == 0);
		return 0;
	}
	check_accepted(&r);
	return 0;
}
