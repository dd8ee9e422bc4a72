#include <stdlib.h>

#include "manifest.h"
#include "test.h"

#define D1 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define D2 "ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789"

#define FILES                                                                                      \
	"\"files\":{\"kernel\":{\"size\":10,\"sha256\":\"" D1 "\"},"                               \
	"\"initrd\":{\"size\":0,\"sha256\":\"" D2 "\"},"                                           \
	"\"rootfs.squashfs\":{\"size\":9007199254740992,\"sha256\":\"" D1 "\"}}"

static const char good[] = "{\"name\":\"kairos-v3.1_x\",\"created\":1717000000,"
                           "\"source\":{\"type\":\"dir\",\"path\":\"/srv/kairos\"},"
                           "\"cmdline\":null," FILES "}\n";

static int
parse(const char *doc, const char *want_msg_part)
{
	struct manifest *m = NULL;
	char *err = NULL;
	int r = manifest_parse(doc, strlen(doc), &m, &err);

	if (r == 0) {
		CHECK(m != NULL && err == NULL);
	} else {
		CHECK(m == NULL);
		CHECK_EQ_INT(r, -EBADMSG);
		CHECK(err != NULL);
		if (want_msg_part != NULL && err != NULL && strstr(err, want_msg_part) == NULL) {
			fprintf(stderr, "message \"%s\" lacks \"%s\"\n", err, want_msg_part);
			test_failures++;
		}
	}
	manifest_free(m);
	free(err);
	return r;
}

static void
test_parse_good(void)
{
	struct manifest *m = NULL;

	CHECK_EQ_INT(manifest_parse(good, strlen(good), &m, NULL), 0);
	if (m == NULL)
		return;
	CHECK_EQ_STR(m->name, "kairos-v3.1_x");
	CHECK_EQ_INT(m->created, 1717000000);
	CHECK_EQ_INT(m->source_type, MANIFEST_SOURCE_DIR);
	CHECK_EQ_STR(m->source, "/srv/kairos");
	CHECK(m->cmdline == NULL);
	CHECK_EQ_INT(m->files[MANIFEST_KERNEL].size, 10);
	CHECK_EQ_INT(m->files[MANIFEST_INITRD].size, 0);
	CHECK(m->files[MANIFEST_ROOTFS].size == 9007199254740992ULL);
	CHECK_EQ_STR(m->files[MANIFEST_KERNEL].sha256, D1);
	CHECK_EQ_STR(m->files[MANIFEST_INITRD].sha256,
	    "abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789");
	manifest_free(m);

	CHECK_EQ_INT(parse("{\"name\":\"a\",\"created\":0,\"source\":{\"type\":\"oci\",\"ref\":"
	                   "\"quay.io/kairos/x:v3\"},\"cmdline\":\"console=ttyS0\"," FILES "}",
	                 NULL),
	    0);
	CHECK_EQ_INT(parse("{\"name\":\"a\",\"created\":0,\"source\":{\"path\":\"/x.iso\",\"type\":"
	                   "\"iso\"},\"cmdline\":null," FILES "}",
	                 NULL),
	    0);
	/* Key order does not matter; whitespace around is fine. */
	CHECK_EQ_INT(
	    parse("  \n{" FILES ",\"cmdline\":null,\"source\":{\"type\":\"dir\",\"path\":\"/"
	          "x\"},\"created\":1e3,\"name\":\"z\"}\n\n",
	        NULL),
	    0);
}

#define WITH(name, created, source, cmdline, files)                                                \
	"{\"name\":" name ",\"created\":" created ",\"source\":" source ",\"cmdline\":" cmdline    \
	",\"files\":" files "}"
#define SRC "{\"type\":\"dir\",\"path\":\"/x\"}"
#define FOK                                                                                        \
	"{\"kernel\":{\"size\":1,\"sha256\":\"" D1 "\"},\"initrd\":{\"size\":1,\"sha256\":\"" D1   \
	"\"},\"rootfs.squashfs\":{\"size\":1,\"sha256\":\"" D1 "\"}}"
#define FK(k)                                                                                      \
	"{\"kernel\":" k ",\"initrd\":{\"size\":1,\"sha256\":\"" D1                                \
	"\"},\"rootfs.squashfs\":{\"size\":1,\"sha256\":\"" D1 "\"}}"

static void
test_parse_bad(void)
{
	CHECK_EQ_INT(parse(WITH("\"a\"", "1", SRC, "null", FOK), NULL), 0);
	CHECK_EQ_INT(parse("", "empty"), -EBADMSG);
	CHECK_EQ_INT(parse("{", "JSON"), -EBADMSG);
	CHECK_EQ_INT(parse("[]", "not an object"), -EBADMSG);
	CHECK_EQ_INT(parse(WITH("\"a\"", "1", SRC, "null", FOK) "x", "JSON"), -EBADMSG);
	CHECK_EQ_INT(parse(WITH("\"a\"", "1", SRC, "null", FOK) "{}", "JSON"), -EBADMSG);
	/* names */
	CHECK_EQ_INT(parse(WITH("\".a\"", "1", SRC, "null", FOK), "name"), -EBADMSG);
	CHECK_EQ_INT(parse(WITH("\"a/b\"", "1", SRC, "null", FOK), "name"), -EBADMSG);
	CHECK_EQ_INT(parse(WITH("\"\"", "1", SRC, "null", FOK), "name"), -EBADMSG);
	CHECK_EQ_INT(parse(WITH("1", "1", SRC, "null", FOK), "name"), -EBADMSG);
	CHECK_EQ_INT(
	    parse(WITH("\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"", "1",
	              SRC, "null", FOK),
	        "name"),
	    -EBADMSG);
	/* numbers */
	CHECK_EQ_INT(parse(WITH("\"a\"", "-1", SRC, "null", FOK), "created"), -EBADMSG);
	CHECK_EQ_INT(parse(WITH("\"a\"", "1.5", SRC, "null", FOK), "created"), -EBADMSG);
	CHECK_EQ_INT(parse(WITH("\"a\"", "\"1\"", SRC, "null", FOK), "created"), -EBADMSG);
	CHECK_EQ_INT(parse(WITH("\"a\"", "1e300", SRC, "null", FOK), "created"), -EBADMSG);
	CHECK_EQ_INT(parse(WITH("\"a\"", "1", SRC, "null",
	                       FK("{\"size\":9007199254740994,\"sha256\":\"" D1 "\"}")),
	                 "size"),
	    -EBADMSG);
	CHECK_EQ_INT(
	    parse(WITH("\"a\"", "1", SRC, "null", FK("{\"size\":-0.5,\"sha256\":\"" D1 "\"}")),
	        "size"),
	    -EBADMSG);
	CHECK_EQ_INT(
	    parse(WITH("\"a\"", "1", SRC, "null", FK("{\"size\":true,\"sha256\":\"" D1 "\"}")),
	        "size"),
	    -EBADMSG);
	/* digests */
	CHECK_EQ_INT(
	    parse(WITH("\"a\"", "1", SRC, "null", FK("{\"size\":1,\"sha256\":\"" D1 "0\"}")),
	        "sha256"),
	    -EBADMSG);
	CHECK_EQ_INT(
	    parse(
	        WITH("\"a\"", "1", SRC, "null",
	            FK("{\"size\":1,\"sha256\":\"g123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\"}")),
	        "sha256"),
	    -EBADMSG);
	CHECK_EQ_INT(
	    parse(WITH("\"a\"", "1", SRC, "null", FK("{\"size\":1,\"sha256\":null}")), "sha256"),
	    -EBADMSG);
	CHECK_EQ_INT(
	    parse(WITH("\"a\"", "1", SRC, "null", FK("{\"size\":1}")), "missing key \"sha256\""),
	    -EBADMSG);
	CHECK_EQ_INT(
	    parse(WITH("\"a\"", "1", SRC, "null", FK("{\"size\":1,\"sha256\":\"" D1 "\",\"x\":1}")),
	        "unknown key \"x\""),
	    -EBADMSG);
	CHECK_EQ_INT(parse(WITH("\"a\"", "1", SRC, "null",
	                       FK("{\"size\":1,\"size\":1,\"sha256\":\"" D1 "\"}")),
	                 "duplicate"),
	    -EBADMSG);
	CHECK_EQ_INT(parse(WITH("\"a\"", "1", SRC, "null", FK("[]")), "not an object"), -EBADMSG);
	CHECK_EQ_INT(
	    parse(WITH("\"a\"", "1", SRC, "null", "{}"), "missing key \"kernel\""), -EBADMSG);
	/* source, cmdline */
	CHECK_EQ_INT(parse(WITH("\"a\"", "1", "{\"type\":\"http\",\"path\":\"/x\"}", "null", FOK),
	                 "source.type"),
	    -EBADMSG);
	CHECK_EQ_INT(parse(WITH("\"a\"", "1", "{\"type\":\"oci\",\"path\":\"/x\"}", "null", FOK),
	                 "unknown key \"path\""),
	    -EBADMSG);
	CHECK_EQ_INT(
	    parse(WITH("\"a\"", "1", "{\"type\":\"dir\",\"path\":\"\"}", "null", FOK), "empty"),
	    -EBADMSG);
	CHECK_EQ_INT(
	    parse(WITH("\"a\"", "1", "{\"type\":\"dir\"}", "null", FOK), "missing"), -EBADMSG);
	CHECK_EQ_INT(parse(WITH("\"a\"", "1", "{\"type\":\"legacy\"}", "null", FOK), "source.type"),
	    -EBADMSG);
	CHECK_EQ_INT(parse(WITH("\"a\"", "1", SRC, "1", FOK), "cmdline"), -EBADMSG);
	CHECK_EQ_INT(
	    parse(WITH("\"a\"", "1", SRC, "\"a\\nchain http://evil\"", FOK), "cmdline"), -EBADMSG);
	/* top-level keys */
	CHECK_EQ_INT(parse("{\"name\":\"a\"}", "missing key"), -EBADMSG);
	CHECK_EQ_INT(parse("{\"name\":\"a\",\"name\":\"b\",\"created\":1,\"source\":" SRC
	                   ",\"cmdline\":null,\"files\":" FOK "}",
	                 "duplicate key \"name\""),
	    -EBADMSG);
	CHECK_EQ_INT(parse("{\"extra\":1,\"name\":\"a\",\"created\":1,\"source\":" SRC
	                   ",\"cmdline\":null,\"files\":" FOK "}",
	                 "unknown key \"extra\""),
	    -EBADMSG);
}

static void
test_roundtrip(void)
{
	struct manifest *m = NULL, *m2 = NULL, *dup;
	char *text = NULL, *text2 = NULL;

	CHECK_EQ_INT(manifest_parse(good, strlen(good), &m, NULL), 0);
	if (m == NULL)
		return;
	free(m->cmdline);
	m->cmdline = strdup("console=ttyS0 \"quoted\" \\ back");
	CHECK_EQ_INT(manifest_format(m, &text), 0);
	CHECK(text != NULL && text[strlen(text) - 1] == '\n');
	CHECK_EQ_INT(manifest_parse(text, strlen(text), &m2, NULL), 0);
	if (m2 != NULL) {
		CHECK_EQ_STR(m2->cmdline, m->cmdline);
		CHECK_EQ_STR(m2->name, m->name);
		CHECK_EQ_STR(m2->source, m->source);
		CHECK_EQ_INT(m2->created, m->created);
		for (size_t i = 0; i < MANIFEST_N_FILES; i++) {
			CHECK(m2->files[i].size == m->files[i].size);
			CHECK_EQ_STR(m2->files[i].sha256, m->files[i].sha256);
		}
		CHECK_EQ_INT(manifest_format(m2, &text2), 0);
		CHECK_EQ_STR(text2, text);
	}
	dup = manifest_dup(m);
	CHECK(dup != NULL && dup->name != m->name && strcmp(dup->cmdline, m->cmdline) == 0);
	manifest_free(dup);
	manifest_free(m);
	manifest_free(m2);
	free(text);
	free(text2);
}

static void
test_legacy(void)
{
	struct manifest m = {.name = (char *)"old", .source_type = MANIFEST_SOURCE_LEGACY};
	struct manifest *back = NULL;
	char *text = NULL;
	cJSON *o;

	m.files[MANIFEST_KERNEL].size = 5;
	o = manifest_to_json(&m);
	CHECK(o != NULL);
	CHECK(cJSON_IsNull(cJSON_GetObjectItem(
	    cJSON_GetObjectItem(cJSON_GetObjectItem(o, "files"), "kernel"), "sha256")));
	CHECK_EQ_STR(
	    cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetObjectItem(o, "source"), "type")),
	    "legacy");
	cJSON_Delete(o);
	CHECK_EQ_INT(manifest_format(&m, &text), 0);
	CHECK_EQ_INT(manifest_parse(text, strlen(text), &back, NULL), -EBADMSG);
	CHECK(back == NULL);
	free(text);
}

static void
test_names(void)
{
	CHECK(name_valid("a"));
	CHECK(name_valid("Kairos_v3.1-rc"));
	CHECK(!name_valid(""));
	CHECK(!name_valid("."));
	CHECK(!name_valid(".."));
	CHECK(!name_valid("a b"));
	CHECK(!name_valid("a/b"));
	CHECK(manifest_string_valid("x y", 3));
	CHECK(!manifest_string_valid("x y", 2));
	CHECK(!manifest_string_valid("a\tb", 10));
	CHECK(!manifest_string_valid("a\x7f", 10));
	CHECK_EQ_STR(manifest_source_type_name(MANIFEST_SOURCE_OCI), "oci");
}

static void
test_too_big(void)
{
	size_t n = MANIFEST_MAX_SIZE + 1;
	char *big = malloc(n);
	struct manifest *m = NULL;

	memset(big, ' ', n);
	memcpy(big, good, strlen(good));
	CHECK_EQ_INT(manifest_parse(big, n - 1, &m, NULL), 0);
	manifest_free(m);
	m = NULL;
	CHECK_EQ_INT(manifest_parse(big, n, &m, NULL), -EBADMSG);
	CHECK(m == NULL);
	free(big);
}

/* "origin": optional; its URL checked; it survives format and dup. */
static void
test_origin(void)
{
#define DOC(o)                                                                                     \
	"{\"name\":\"k\",\"created\":1,\"source\":{\"type\":\"dir\",\"path\":\"/x\"},"             \
	"\"cmdline\":null," FILES ",\"origin\":" o "}"
	struct manifest *m = NULL, *c;
	char *text = NULL;
	const char *doc = DOC("{\"url\":\"https://cdn.example/b/{sha256}\",\"boot\":true}");

	CHECK_EQ_INT(manifest_parse(doc, strlen(doc), &m, NULL), 0);
	CHECK(m != NULL && m->origin != NULL && m->origin_boot);
	c = manifest_dup(m);
	CHECK(c != NULL && strcmp(c->origin, m->origin) == 0 && c->origin_boot);
	CHECK_EQ_INT(manifest_format(c, &text), 0);
	CHECK(strstr(text, "https://cdn.example/b/{sha256}") != NULL);
	manifest_free(c);
	manifest_free(m);
	m = NULL;
	CHECK_EQ_INT(manifest_parse(text, strlen(text), &m, NULL), 0);
	CHECK(m != NULL && m->origin_boot);
	manifest_free(m);
	free(text);
	CHECK_EQ_INT(parse(DOC("null"), NULL), 0);
	CHECK_EQ_INT(
	    parse(DOC("{\"url\":\"ftp://x/{sha256}\",\"boot\":false}"), "origin.url"), -EBADMSG);
	CHECK_EQ_INT(
	    parse(DOC("{\"url\":\"http://x/no-placeholder\",\"boot\":false}"), "origin.url"),
	    -EBADMSG);
	CHECK_EQ_INT(
	    parse(DOC("{\"url\":\"http://x/{file}\",\"boot\":1}"), "origin.boot"), -EBADMSG);
	CHECK_EQ_INT(parse(DOC("{\"url\":\"http://x/{file}\"}"), "boot"), -EBADMSG);
	CHECK_EQ_INT(parse(DOC("\"http://x/{file}\""), "origin"), -EBADMSG);
#undef DOC
	char url[64];
	CHECK_EQ_INT(manifest_origin_expand("https://o/{file}/{sha256}.bin", "ab12",
	                 MANIFEST_INITRD, url, sizeof(url)),
	    0);
	CHECK_EQ_STR(url, "https://o/initrd/ab12.bin");
	CHECK_EQ_INT(
	    manifest_origin_expand("https://o/{sha256}", "ab12", MANIFEST_KERNEL, url, 12), -E2BIG);
}

/* "kind": "efi" with its one file boot.efi and source type "file"; linux is never written. */
static void
test_kind_efi(void)
{
#define EFI_DOC(kind, src, cmdline, files)                                                         \
	"{\"name\":\"uki\",\"created\":1," kind "\"source\":{\"type\":\"" src                      \
	"\",\"path\":\"/u.efi\"},"                                                                 \
	"\"cmdline\":" cmdline ",\"files\":" files "}"
#define EFI_FILES "{\"boot.efi\":{\"size\":7,\"sha256\":\"" D1 "\"}}"
	const char *doc = EFI_DOC("\"kind\":\"efi\",", "file", "null", EFI_FILES);
	struct manifest *m = NULL, *back = NULL;
	char *text = NULL, *text2 = NULL;

	CHECK_EQ_INT(manifest_parse(doc, strlen(doc), &m, NULL), 0);
	if (m == NULL)
		return;
	CHECK_EQ_INT(m->kind, MANIFEST_KIND_EFI);
	CHECK_EQ_INT(m->source_type, MANIFEST_SOURCE_FILE);
	CHECK_EQ_INT(m->files[MANIFEST_EFI].size, 7);
	CHECK(!m->files[MANIFEST_KERNEL].has_sha256);
	CHECK_EQ_INT(manifest_format(m, &text), 0);
	CHECK(strstr(text, "\"kind\":\t\"efi\"") != NULL && strstr(text, "boot.efi") != NULL &&
	      strstr(text, "kernel") == NULL);
	CHECK_EQ_INT(manifest_parse(text, strlen(text), &back, NULL), 0);
	CHECK(back != NULL && back->kind == MANIFEST_KIND_EFI);
	CHECK_EQ_INT(manifest_format(back, &text2), 0);
	CHECK_EQ_STR(text, text2);
	manifest_free(back);
	manifest_free(m);
	free(text);
	free(text2);
	/* "linux" may be said, is the default, and is not written back. */
	CHECK_EQ_INT(parse(EFI_DOC("\"kind\":\"linux\",", "dir", "null",
	                       "{\"kernel\":{\"size\":1,\"sha256\":\"" D1 "\"},"
	                       "\"initrd\":{\"size\":1,\"sha256\":\"" D1 "\"},"
	                       "\"rootfs.squashfs\":{\"size\":1,\"sha256\":\"" D1 "\"}}"),
	                 NULL),
	    0);
	CHECK_EQ_INT(
	    parse(EFI_DOC("\"kind\":\"uki\",", "file", "null", EFI_FILES), "kind"), -EBADMSG);
	CHECK_EQ_INT(parse(EFI_DOC("\"kind\":1,", "file", "null", EFI_FILES), "kind"), -EBADMSG);
	CHECK_EQ_INT(
	    parse(EFI_DOC("\"kind\":\"efi\",", "dir", "null", EFI_FILES), "file"), -EBADMSG);
	CHECK_EQ_INT(parse(EFI_DOC("", "file", "null", EFI_FILES), "file"), -EBADMSG);
	CHECK_EQ_INT(parse(EFI_DOC("\"kind\":\"efi\",", "file", "\"quiet\"", EFI_FILES), "cmdline"),
	    -EBADMSG);
	CHECK_EQ_INT(
	    parse(EFI_DOC("\"kind\":\"efi\",", "file", "null", "{}"), "boot.efi"), -EBADMSG);
	CHECK_EQ_INT(parse(EFI_DOC("\"kind\":\"efi\",", "file", "null",
	                       "{\"boot.efi\":{\"size\":7,\"sha256\":\"" D1 "\"},"
	                       "\"kernel\":{\"size\":7,\"sha256\":\"" D1 "\"}}"),
	                 "kernel"),
	    -EBADMSG);
	CHECK_EQ_INT(parse("{\"name\":\"uki\",\"created\":1,\"kind\":\"efi\",\"source\":{\"type\":"
	                   "\"file\",\"path\":\"/u.efi\"},\"cmdline\":null,\"files\":" EFI_FILES
	                   ",\"origin\":{\"url\":\"https://o/{file}\",\"boot\":true}}",
	                 "origin.boot"),
	    -EBADMSG);
	CHECK_EQ_STR(manifest_kind_name(MANIFEST_KIND_EFI), "efi");
	CHECK(manifest_kind_has(MANIFEST_KIND_EFI, MANIFEST_EFI));
	CHECK(!manifest_kind_has(MANIFEST_KIND_EFI, MANIFEST_KERNEL));
	CHECK(!manifest_kind_has(MANIFEST_KIND_LINUX, MANIFEST_EFI));
	char url[64];
	CHECK_EQ_INT(
	    manifest_origin_expand("https://o/{file}", "ab", MANIFEST_EFI, url, sizeof(url)), 0);
	CHECK_EQ_STR(url, "https://o/boot.efi");
#undef EFI_DOC
#undef EFI_FILES
}

/* Kind "iso": boot.iso alone, source type "file", no cmdline, no origin.boot. */
static void
test_kind_iso(void)
{
#define ISO_DOC(kind, src, cmdline, files)                                                         \
	"{\"name\":\"live\",\"created\":1," kind "\"source\":{\"type\":\"" src                     \
	"\",\"path\":\"/l.iso\"},"                                                                 \
	"\"cmdline\":" cmdline ",\"files\":" files "}"
#define ISO_FILES "{\"boot.iso\":{\"size\":9,\"sha256\":\"" D1 "\"}}"
	const char *doc = ISO_DOC("\"kind\":\"iso\",", "file", "null", ISO_FILES);
	struct manifest *m = NULL, *back = NULL;
	char *text = NULL;

	CHECK_EQ_INT(manifest_parse(doc, strlen(doc), &m, NULL), 0);
	if (m == NULL)
		return;
	CHECK_EQ_INT(m->kind, MANIFEST_KIND_ISO);
	CHECK_EQ_INT(m->files[MANIFEST_ISO].size, 9);
	CHECK(!m->files[MANIFEST_EFI].has_sha256);
	CHECK_EQ_INT(manifest_format(m, &text), 0);
	CHECK(strstr(text, "\"kind\":\t\"iso\"") != NULL && strstr(text, "boot.iso") != NULL &&
	      strstr(text, "boot.efi") == NULL);
	CHECK_EQ_INT(manifest_parse(text, strlen(text), &back, NULL), 0);
	CHECK(back != NULL && back->kind == MANIFEST_KIND_ISO);
	manifest_free(back);
	manifest_free(m);
	free(text);
	CHECK_EQ_INT(
	    parse(ISO_DOC("\"kind\":\"iso\",", "iso", "null", ISO_FILES), "file"), -EBADMSG);
	CHECK_EQ_INT(parse(ISO_DOC("\"kind\":\"iso\",", "file", "\"quiet\"", ISO_FILES), "cmdline"),
	    -EBADMSG);
	CHECK_EQ_INT(parse(ISO_DOC("\"kind\":\"iso\",", "file", "null",
	                       "{\"boot.efi\":{\"size\":7,\"sha256\":\"" D1 "\"}}"),
	                 "boot"),
	    -EBADMSG);
	CHECK_EQ_INT(
	    parse(ISO_DOC("\"kind\":\"efi\",", "file", "null", ISO_FILES), "boot.iso"), -EBADMSG);
	CHECK(manifest_kind_whole(MANIFEST_KIND_ISO) && manifest_kind_whole(MANIFEST_KIND_EFI) &&
	      !manifest_kind_whole(MANIFEST_KIND_LINUX));
	CHECK(manifest_kind_has(MANIFEST_KIND_ISO, MANIFEST_ISO));
	CHECK(!manifest_kind_has(MANIFEST_KIND_ISO, MANIFEST_EFI));
	CHECK(!manifest_kind_has(MANIFEST_KIND_EFI, MANIFEST_ISO));
	CHECK_EQ_STR(manifest_kind_name(MANIFEST_KIND_ISO), "iso");
#undef ISO_DOC
#undef ISO_FILES
}

/* A Linux manifest writes back byte for byte as before (no "kind"). */
static void
test_linux_unchanged(void)
{
	struct manifest *m = NULL;
	char *text = NULL, *text2 = NULL;
	struct manifest *back = NULL;

	CHECK_EQ_INT(manifest_parse(good, strlen(good), &m, NULL), 0);
	if (m == NULL)
		return;
	CHECK_EQ_INT(m->kind, MANIFEST_KIND_LINUX);
	CHECK_EQ_INT(manifest_format(m, &text), 0);
	CHECK(strstr(text, "kind") == NULL);
	CHECK_EQ_INT(manifest_parse(text, strlen(text), &back, NULL), 0);
	CHECK_EQ_INT(manifest_format(back, &text2), 0);
	CHECK_EQ_STR(text, text2);
	manifest_free(back);
	manifest_free(m);
	free(text);
	free(text2);
}

TEST_MAIN(TEST(test_parse_good), TEST(test_origin), TEST(test_parse_bad), TEST(test_roundtrip),
    TEST(test_legacy), TEST(test_names), TEST(test_too_big), TEST(test_kind_efi),
    TEST(test_kind_iso), TEST(test_linux_unchanged))
