#include <stdlib.h>

#include "cloud-config.h"
#include "test.h"

/* Validate a NUL-terminated document; returns the result, frees the message. */
static int
validate(const char *doc, const char *want_msg_part)
{
	char *err = NULL;
	int r = cloud_config_validate(doc, strlen(doc), &err);

	if (r == -EINVAL) {
		CHECK(err != NULL);
		if (want_msg_part != NULL && err != NULL && strstr(err, want_msg_part) == NULL) {
			fprintf(stderr, "message \"%s\" lacks \"%s\"\n", err, want_msg_part);
			test_failures++;
		}
	} else {
		CHECK(err == NULL);
	}
	free(err);
	return r;
}

static void
test_valid(void)
{
	CHECK_EQ_INT(validate("#cloud-config", NULL), 0);
	CHECK_EQ_INT(validate("#cloud-config\n", NULL), 0);
	CHECK_EQ_INT(validate("#cloud-config\r\nhostname: x\r\n", NULL), 0);
	CHECK_EQ_INT(validate("#cloud-config\n# only a comment\n", NULL), 0);
	CHECK_EQ_INT(validate("#cloud-config\n---\n", NULL), 0);
	CHECK_EQ_INT(validate("#cloud-config\n~\n", NULL), 0);
	CHECK_EQ_INT(validate("#cloud-config\nusers:\n  - name: kairos\n    passwd: kairos\n"
	                      "install:\n  device: auto\n  auto: true\n",
	                 NULL),
	    0);
	/* Anchors and aliases are legitimate YAML. */
	CHECK_EQ_INT(validate("#cloud-config\na: &x {k: v}\nb: *x\n", NULL), 0);
	/* Go/Helm templates survive validation inside strings. */
	CHECK_EQ_INT(validate("#cloud-config\nhostname: \"{{ trunc 4 .MachineID }}\"\n", NULL), 0);
	CHECK_EQ_INT(validate("#cloud-config\nname: \"caf\xc3\xa9 \xf0\x9f\x98\x80\"\n", NULL), 0);
}

static void
test_header(void)
{
	CHECK_EQ_INT(validate("", "first line"), -EINVAL);
	CHECK_EQ_INT(validate("hostname: x\n", "first line"), -EINVAL);
	CHECK_EQ_INT(validate("#cloud-configs\n", "first line"), -EINVAL);
	CHECK_EQ_INT(validate(" #cloud-config\n", "first line"), -EINVAL);
	CHECK_EQ_INT(validate("#cloud-config \n", "first line"), -EINVAL);
	CHECK_EQ_INT(validate("#cloud-config\r", NULL), 0);
	CHECK_EQ_INT(validate("\xef\xbb\xbf#cloud-config\n", "first line"), -EINVAL);
}

static void
test_bad_yaml(void)
{
	CHECK_EQ_INT(validate("#cloud-config\na: b: c\n", "line 2, column"), -EINVAL);
	CHECK_EQ_INT(validate("#cloud-config\na: [1, 2\n", "invalid YAML"), -EINVAL);
	CHECK_EQ_INT(validate("#cloud-config\n\ta: 1\n", "line 2"), -EINVAL);
	CHECK_EQ_INT(validate("#cloud-config\n- a\n- b\n", "not a mapping"), -EINVAL);
	CHECK_EQ_INT(validate("#cloud-config\nhello\n", "not a mapping"), -EINVAL);
	CHECK_EQ_INT(validate("#cloud-config\n\"\"\n", "not a mapping"), -EINVAL);
	CHECK_EQ_INT(validate("#cloud-config\na: 1\n---\nb: 2\n", "more than one"), -EINVAL);
	CHECK_EQ_INT(validate("#cloud-config\na: *nope\n", "line 2, column 4: alias"), -EINVAL);
	CHECK_EQ_INT(validate("#cloud-config\na: *x\nb: &x 1\n", "undefined anchor"), -EINVAL);
	CHECK_EQ_INT(validate("#cloud-config\nb: &x 1\na: *x\n", NULL), 0);
}

static void
test_bad_bytes(void)
{
	static const char nul[] = "#cloud-config\na: \0\n";
	char *err = NULL;

	CHECK_EQ_INT(cloud_config_validate(nul, sizeof(nul) - 1, &err), -EINVAL);
	CHECK(err != NULL && strstr(err, "NUL") != NULL);
	free(err);
	CHECK_EQ_INT(
	    validate("#cloud-config\na: \xc3\n", "line 2, column 4: invalid UTF-8"), -EINVAL);
	CHECK_EQ_INT(validate("#cloud-config\na: \xc0\xaf\n", "UTF-8"), -EINVAL); /* overlong */
	CHECK_EQ_INT(
	    validate("#cloud-config\na: \xed\xa0\x80\n", "UTF-8"), -EINVAL); /* surrogate */
	CHECK_EQ_INT(validate("#cloud-config\na: \xf4\x90\x80\x80\n", "UTF-8"), -EINVAL);
	CHECK_EQ_INT(cloud_config_validate("#cloud-config\na: \xff", 18, NULL), -EINVAL);
}

static void
test_caps(void)
{
	size_t n = CLOUD_CONFIG_MAX + 1, i;
	char *big = malloc(n + 1), *err = NULL;

	memset(big, ' ', n);
	memcpy(big, "#cloud-config\n", 14);
	big[n] = '\0';
	CHECK_EQ_INT(cloud_config_validate(big, n, &err), -EINVAL);
	CHECK(err != NULL && strstr(err, "limit") != NULL);
	free(err), err = NULL;
	/* Exactly at the cap: fine. */
	CHECK_EQ_INT(cloud_config_validate(big, n - 1, NULL), 0);

	/* Deep nesting. */
	i = 14;
	memcpy(big + i, "a: ", 3), i += 3;
	for (size_t k = 0; k < CLOUD_CONFIG_MAX_DEPTH + 5; k++)
		big[i++] = '[';
	big[i] = '\0';
	CHECK_EQ_INT(validate(big, "nested"), -EINVAL);

	/* Billion laughs: aliases never expand, so this is cheap and valid. */
	CHECK_EQ_INT(
	    validate("#cloud-config\na: &a [x,x,x,x,x,x,x,x,x]\nb: &b [*a,*a,*a,*a,*a,*a]\n"
	             "c: &c [*b,*b,*b,*b,*b,*b]\nd: [*c,*c,*c,*c,*c,*c,*c,*c,*c]\n",
	        NULL),
	    0);

	/* Too many anchors. */
	i = 14;
	memcpy(big + i, "a: [", 4), i += 4;
	for (unsigned k = 0; k <= CLOUD_CONFIG_MAX_ANCHORS; k++)
		i += (size_t)sprintf(big + i, "&a%u 1,", k);
	memcpy(big + i, "2]", 3), i += 2;
	CHECK_EQ_INT(validate(big, "anchors"), -EINVAL);

	/* Too many events: a flow list of 200k one-character items. */
	i = 14;
	memcpy(big + i, "a: [", 4), i += 4;
	while (i + 3 < CLOUD_CONFIG_MAX - 2)
		big[i++] = '1', big[i++] = ',';
	big[i++] = '1', big[i++] = ']', big[i] = '\0';
	CHECK_EQ_INT(cloud_config_validate(big, i, NULL), 0); /* ~131k events: under the cap */
	free(big);
}

static const struct cloud_config_vars vars = {
    .mac = {0x52, 0x54, 0x00, 0x12, 0x34, 0x56},
    .image = "kairos-v3",
};

static void
check_render(const char *in, const char *want)
{
	char *out = NULL;
	size_t len = 0;

	CHECK_EQ_INT(cloud_config_render(in, strlen(in), &vars, 1 << 20, &out, &len), 0);
	CHECK_EQ_STR(out, want);
	CHECK_EQ_INT(len, strlen(want));
	free(out);
}

static void
test_render(void)
{
	char host[CLOUD_CONFIG_HOSTNAME_LEN];

	cloud_config_hostname(vars.mac, host);
	CHECK_EQ_STR(host, "kairos-525400123456");
	check_render("", "");
	check_render("no placeholders", "no placeholders");
	check_render("hostname: {{hostname}}\nmac: {{mac}}\n",
	    "hostname: kairos-525400123456\nmac: 52:54:00:12:34:56\n");
	check_render("{{mac_hyphen}}/{{ image }}/{{\tmac\t}}",
	    "52-54-00-12-34-56/kairos-v3/52:54:00:12:34:56");
	check_render("{{ .Values.x }} {{ trunc 4 .MachineID }} {{unknown}} {{mac}",
	    "{{ .Values.x }} {{ trunc 4 .MachineID }} {{unknown}} {{mac}");
	check_render("{{{mac}}}", "{52:54:00:12:34:56}");
	check_render("{{mac}}{{mac}}", "52:54:00:12:34:5652:54:00:12:34:56");
	check_render("{{", "{{");
	check_render("{{mac}", "{{mac}");
	check_render("x{{image}}", "xkairos-v3");

	struct cloud_config_vars noimg = vars;
	char *out = NULL;
	size_t len;

	noimg.image = NULL;
	CHECK_EQ_INT(cloud_config_render("[{{image}}]", 11, &noimg, 100, &out, &len), 0);
	CHECK_EQ_STR(out, "[]");
	free(out);
}

static void
test_render_cap(void)
{
	char *out = (char *)"untouched";
	size_t len = 7;

	CHECK_EQ_INT(cloud_config_render("{{hostname}}", 12, &vars, 18, &out, &len), -ENOBUFS);
	CHECK_EQ_STR(out, "untouched");
	CHECK_EQ_INT(len, 7);
	CHECK_EQ_INT(cloud_config_render("{{hostname}}", 12, &vars, 19, &out, &len), 0);
	CHECK_EQ_STR(out, "kairos-525400123456");
	free(out);
	CHECK_EQ_INT(cloud_config_render("abc", 3, &vars, 2, &out, &len), -ENOBUFS);
}

static void
test_render_fleet(void)
{
	struct fleet_label l[] = {{"kairos.io/zone", "b"}, {"role", "cp"}};
	struct fleet_labels labels = {l, 2};
	struct cloud_config_vars v = {.mac = {0x52, 0x54, 0, 0xaa, 0xbb, 1},
	    .image = "kairos",
	    .group = "control-plane",
	    .profile = "kairos-cp",
	    .labels = &labels};
	static const char in[] =
	    "#cloud-config\nhostname: cp-{{labels.role}}-{{ labels.kairos.io/zone }}"
	    "\n# {{group}} {{profile}} [{{labels.rack}}] {{ .Values.x }} {{labels.}}\n";
	char *out = NULL;
	size_t len;

	CHECK_EQ_INT(cloud_config_render(in, strlen(in), &v, 1 << 20, &out, &len), 0);
	CHECK_EQ_STR(out, "#cloud-config\nhostname: cp-cp-b\n# control-plane kairos-cp [] "
	                  "{{ .Values.x }} {{labels.}}\n");
	free(out);
	v.labels = NULL, v.group = NULL, v.profile = NULL; /* none: empty */
	static const char none[] = "{{group}}{{profile}}{{labels.role}}.";
	CHECK_EQ_INT(cloud_config_render(none, strlen(none), &v, 100, &out, &len), 0);
	CHECK_EQ_STR(out, ".");
	free(out);
}

TEST_MAIN(TEST(test_valid), TEST(test_render_fleet), TEST(test_header), TEST(test_bad_yaml),
    TEST(test_bad_bytes), TEST(test_caps), TEST(test_render), TEST(test_render_cap))
