#include "import-report.h"

#include <errno.h>
#include <string.h>

#include "test.h"

static int
parse(const char *line, struct import_report *r)
{
	return import_report_parse(line, strlen(line), r);
}

/* What the child writes, the daemon reads back the same. */
static void
test_round_trip(void)
{
	struct import_report in = {
	    .type = IMPORT_REPORT_PROGRESS, .done = 1 << 20, .total = 3 << 20};
	struct import_report out;
	char line[IMPORT_REPORT_MAX_LINE + 2];
	int n;

	strcpy(in.phase, "copy"), strcpy(in.file, "rootfs.squashfs");
	n = import_report_format(&in, line, sizeof(line));
	CHECK(n > 0 && line[n - 1] == '\n');
	CHECK_EQ_INT(import_report_parse(line, (size_t)n - 1, &out), 0);
	CHECK_EQ_INT(out.type, IMPORT_REPORT_PROGRESS);
	CHECK_EQ_STR(out.phase, "copy");
	CHECK_EQ_STR(out.file, "rootfs.squashfs");
	CHECK(out.done == 1 << 20 && out.total == 3 << 20);

	in = (struct import_report){.type = IMPORT_REPORT_OK};
	strcpy(in.manifest_digest,
	    "sha256:"
	    "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef");
	n = import_report_format(&in, line, sizeof(line));
	CHECK_EQ_INT(import_report_parse(line, (size_t)n - 1, &out), 0);
	CHECK_EQ_INT(out.type, IMPORT_REPORT_OK);
	CHECK_EQ_STR(out.manifest_digest, in.manifest_digest);

	in = (struct import_report){.type = IMPORT_REPORT_ERROR, .error = -EFBIG};
	strcpy(in.message, "too \"big\"\n\tnow");
	n = import_report_format(&in, line, sizeof(line));
	CHECK(memchr(line, '\n', (size_t)n - 1) == NULL);
	CHECK_EQ_INT(import_report_parse(line, (size_t)n - 1, &out), 0);
	CHECK_EQ_INT(out.type, IMPORT_REPORT_ERROR);
	CHECK_EQ_INT(out.error, -EFBIG);
	CHECK_EQ_STR(out.message, "too \"big\"  now"); /* control characters: spaces */
	CHECK_EQ_INT(import_report_format(&in, line, 8), -ENOBUFS);
}

/* A compromised child: every field out of bounds is refused, *ret untouched. */
static void
test_hostile(void)
{
	static const char *const bad[] = {"", "{", "[]", "42", "{}", "{\"ok\":1}",
	    "{\"phase\":\"copy\",\"file\":\"k\",\"done\":-1,\"total\":1}",
	    "{\"phase\":\"copy\",\"file\":\"k\",\"done\":1.5,\"total\":1}",
	    "{\"phase\":\"copy\",\"file\":\"k\",\"done\":1e300,\"total\":1}",
	    "{\"phase\":\"copy\",\"file\":\"k\",\"done\":1}",
	    "{\"phase\":\"co py\",\"file\":\"k\",\"done\":1,\"total\":1}",
	    "{\"phase\":\"\",\"file\":\"k\",\"done\":1,\"total\":1}",
	    "{\"phase\":\"copy\",\"file\":\"k\\u0001\",\"done\":1,\"total\":1}",
	    "{\"phase\":\"0123456789012345678901234567890123456789012345678901234567890123\","
	    "\"file\":\"k\",\"done\":1,\"total\":1}",
	    "{\"ok\":true,\"manifest_digest\":\"sha256:xyz\"}",
	    "{\"ok\":true,\"manifest_digest\":\"md5:0123456789abcdef0123456789abcdef\"}",
	    "{\"ok\":false,\"errno\":0,\"error\":\"x\"}",
	    "{\"ok\":false,\"errno\":4096,\"error\":\"x\"}",
	    "{\"ok\":false,\"errno\":2.5,\"error\":\"x\"}", "{\"ok\":false,\"errno\":2}", NULL};
	struct import_report r = {.type = IMPORT_REPORT_OK, .done = 77};
	char big[IMPORT_REPORT_MAX_LINE + 2];

	for (size_t i = 0; bad[i] != NULL; i++) {
		if (parse(bad[i], &r) != -EBADMSG)
			fprintf(stderr, "accepted: %s\n", bad[i]);
		CHECK_EQ_INT(parse(bad[i], &r), -EBADMSG);
	}
	CHECK(r.type == IMPORT_REPORT_OK && r.done == 77);
	CHECK_EQ_INT(import_report_parse("{\"ok\":true}\0x", 13, &r), -EBADMSG);
	memset(big, ' ', sizeof(big));
	CHECK_EQ_INT(import_report_parse(big, sizeof(big), &r), -E2BIG);
	/* A long message is cut at the cap, on a UTF-8 boundary. */
	{
		static char line[IMPORT_REPORT_MAX_LINE];
		size_t n =
		    (size_t)snprintf(line, sizeof(line), "{\"ok\":false,\"errno\":5,\"error\":\"");

		while (n + 4 < IMPORT_REPORT_MAX_LINE - 3)
			memcpy(line + n, "\xc3\xa9", 2), n += 2;
		memcpy(line + n, "\"}", 2), n += 2;
		CHECK_EQ_INT(import_report_parse(line, n, &r), 0);
		CHECK(strlen(r.message) < IMPORT_REPORT_MAX_MESSAGE && strlen(r.message) % 2 == 0);
	}
}

TEST_MAIN(TEST(test_round_trip), TEST(test_hostile))
