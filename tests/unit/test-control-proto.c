#include "control-proto.h"
#include "test.h"

/* Parse a request given as a C string; fills *err on failure. */
static int
req(const char *json, struct control_request *r, struct control_status *err)
{
	return control_request_parse(json, strlen(json), r, err);
}

/* The error code a bad request gets (or -1 when it parses). */
static int
req_code(const char *json)
{
	struct control_request r;
	struct control_status err = {.code = _CONTROL_ERR_MAX};

	if (req(json, &r, &err) == 0) {
		control_request_done(&r);
		fprintf(stderr, "accepted: %s\n", json);
		return -1;
	}
	return (int)err.code;
}

static void
test_error_names(void)
{
	CHECK_EQ_STR(control_error_to_string(CONTROL_ERR_BAD_FRAME), "bad-frame");
	CHECK_EQ_STR(control_error_to_string(CONTROL_ERR_PERMISSION_DENIED), "permission-denied");
	CHECK_EQ_STR(control_error_to_string(CONTROL_ERR_INTERNAL), "internal");
	CHECK(control_error_to_string(_CONTROL_ERR_MAX) == NULL);
	for (int i = 0; i < _CONTROL_ERR_MAX; i++)
		CHECK_EQ_INT(control_error_from_string(control_error_to_string(i)), i);
	CHECK_EQ_INT(control_error_from_string("nope"), -EINVAL);
	CHECK_EQ_INT(control_error_from_string(NULL), -EINVAL);
}

/* The entry of a wire name; every test names an existing command. */
static const struct control_command *
cmd(const char *name)
{
	const struct control_command *c = control_commands_lookup(name);

	CHECK(c != NULL);
	return c;
}

/* Split an entry's CLI words into argv (at most two words) and look them up again. */
static void
check_words(const struct control_command *c)
{
	char buf[64], *argv[3] = {buf, NULL, NULL}, *sp;
	int n = 0;

	CHECK(strlen(c->words) < sizeof(buf));
	snprintf(buf, sizeof(buf), "%s", c->words);
	sp = strchr(buf, ' ');
	if (sp != NULL) {
		*sp = '\0';
		argv[1] = sp + 1;
		CHECK(strchr(argv[1], ' ') == NULL);
	}
	CHECK(control_commands_by_words(sp != NULL ? 2 : 1, argv, &n) == c);
	CHECK_EQ_INT(n, sp != NULL ? 2 : 1);
	CHECK_EQ_INT(control_commands_words_match(c->words, sp != NULL ? 2 : 1, argv), n);
	argv[sp != NULL ? 2 : 1] = "extra"; /* more words after the command's */
	CHECK(control_commands_by_words(sp != NULL ? 3 : 2, argv, &n) == c);
	CHECK_EQ_INT(n, sp != NULL ? 2 : 1);
	if (sp != NULL) /* the first word alone is no command */
		CHECK(control_commands_by_words(1, argv, &n) == NULL);
}

static void
test_command_table(void)
{
	const struct control_command *c;
	struct control_status err = {.code = _CONTROL_ERR_MAX};

	CHECK(control_commands_n > 0);
	for (size_t i = 0; i < control_commands_n; i++) {
		size_t nw;

		c = &control_commands[i];
		CHECK(control_commands_lookup(c->name) == c);
		/* the usage line starts with the CLI words, then ends or goes on after a space */
		CHECK(c->words != NULL && c->usage != NULL && c->help != NULL);
		nw = strlen(c->words);
		CHECK(strncmp(c->usage, c->words, nw) == 0);
		CHECK(c->usage[nw] == '\0' || c->usage[nw] == ' ');
		CHECK(c->help[0] != '\0' && c->help[strlen(c->help) - 1] == '\n');
		check_words(c);
		for (size_t j = 0; j < i; j++) {
			CHECK(strcmp(c->name, control_commands[j].name) != 0);
			CHECK(strcmp(c->words, control_commands[j].words) != 0);
		}
		for (size_t a = 0; a < CONTROL_ARGS_MAX && c->args[a].key != NULL; a++)
			for (size_t b = 0; b < a; b++)
				CHECK(strcmp(c->args[a].key, c->args[b].key) != 0);
	}
	c = control_commands_lookup("add-image");
	CHECK(c != NULL && (c->flags & CONTROL_CMD_RW) && (c->flags & CONTROL_CMD_STREAM));
	c = control_commands_lookup("watch");
	CHECK(c != NULL && !(c->flags & CONTROL_CMD_RW) && (c->flags & CONTROL_CMD_STREAM));
	c = control_commands_lookup("status");
	CHECK(c != NULL && c->flags == 0);
	CHECK(control_commands_lookup("config set") == NULL);
	CHECK(control_commands_lookup("") == NULL);
	CHECK(control_commands_lookup(NULL) == NULL);
	c = control_commands_by_words(2, (char *[]){"config", "set"}, &(int){0});
	CHECK(c == control_commands_lookup("config-set"));
	CHECK(control_commands_by_words(1, (char *[]){"config-set"}, &(int){0}) == NULL);
	CHECK(control_commands_by_words(1, (char *[]){"config set"}, &(int){0}) == NULL);
	CHECK(control_commands_by_words(2, (char *[]){"config", "bogus"}, &(int){0}) == NULL);
	CHECK(control_commands_by_words(2, (char *[]){"configx", "set"}, &(int){0}) == NULL);
	CHECK(control_commands_by_words(0, (char *[]){NULL}, &(int){0}) == NULL);
	CHECK_EQ_INT(control_args_validate(NULL, NULL, &err), -EBADMSG);
	CHECK_EQ_INT(err.code, CONTROL_ERR_UNKNOWN_COMMAND);
}

/* logs: a MAC, a time in milliseconds (a non-negative integer), follow. */
static void
check_logs_args(const char *json, int want)
{
	struct control_status err;
	cJSON *args = cJSON_Parse(json);

	CHECK(args != NULL);
	CHECK_EQ_INT(control_args_validate(control_commands_lookup("logs"), args, &err), want);
	cJSON_Delete(args);
}

static void
test_logs_args(void)
{
	check_logs_args("{\"mac\":\"52:54:00:12:34:56\"}", 0);
	check_logs_args(
	    "{\"mac\":\"52:54:00:12:34:56\",\"since\":1764644400000,\"follow\":true}", 0);
	check_logs_args("{\"mac\":\"52:54:00:12:34:56\",\"since\":0}", 0);
	check_logs_args("{\"mac\":\"52:54:00:12:34:56\",\"since\":-1}", -EBADMSG);
	check_logs_args("{\"mac\":\"52:54:00:12:34:56\",\"since\":1.5}", -EBADMSG);
	check_logs_args("{\"mac\":\"52:54:00:12:34:56\",\"since\":1e300}", -EBADMSG);
	check_logs_args("{\"mac\":\"52:54:00:12:34:56\",\"since\":\"10m\"}", -EBADMSG);
	check_logs_args("{\"since\":5}", -EBADMSG);
}

/* Only these read: everything else changes state (see netbootctl(1)). */
static void
test_command_flags(void)
{
	static const char *const read_only[] = {"status", "images", "machines", "config-get",
	    "config-list", "watch", "profile-get", "profile-list", "group-get", "group-list",
	    "export", "explain", "logs"};
	static const char *const streaming[] = {"add-image", "watch", "logs"};

	for (size_t i = 0; i < control_commands_n; i++) {
		const struct control_command *c = &control_commands[i];
		bool ro = false, stream = false;

		for (size_t j = 0; j < sizeof(read_only) / sizeof(read_only[0]); j++)
			ro |= strcmp(c->name, read_only[j]) == 0;
		for (size_t j = 0; j < sizeof(streaming) / sizeof(streaming[0]); j++)
			stream |= strcmp(c->name, streaming[j]) == 0;
		CHECK(!(c->flags & CONTROL_CMD_RW) == ro);
		CHECK(!(c->flags & CONTROL_CMD_STREAM) == !stream);
		CHECK((c->flags & ~(CONTROL_CMD_RW | CONTROL_CMD_STREAM)) == 0);
	}
}

static void
test_frame_decode(void)
{
	uint8_t buf[16] = {0, 0, 0, 3, '{', '}', ' ', 'x'};
	size_t off = 99, len = 99;

	for (size_t n = 0; n < 7; n++)
		CHECK_EQ_INT(control_frame_decode(buf, n, &off, &len), -ENOBUFS);
	CHECK_EQ_INT(off, 99); /* untouched on failure */
	CHECK_EQ_INT(control_frame_decode(buf, 7, &off, &len), 0);
	CHECK_EQ_INT(off, 4);
	CHECK_EQ_INT(len, 3);
	CHECK_EQ_INT(control_frame_decode(buf, 8, &off, &len), 0); /* next frame follows */
	CHECK_EQ_INT(len, 3);

	control_frame_header(0, buf); /* zero length */
	CHECK_EQ_INT(control_frame_decode(buf, 16, &off, &len), -EBADMSG);
	CHECK_EQ_INT(control_frame_length(buf, 4, &len), -EBADMSG);
	control_frame_header(CONTROL_MAX_FRAME + 1, buf); /* over cap: known from the header */
	CHECK_EQ_INT(control_frame_decode(buf, 4, &off, &len), -EBADMSG);
	control_frame_header(0xffffffffu, buf);
	CHECK_EQ_INT(control_frame_decode(buf, 4, &off, &len), -EBADMSG);
	control_frame_header(CONTROL_MAX_FRAME, buf); /* at cap: fine, needs more */
	CHECK_EQ_INT(buf[0], 0x00);
	CHECK_EQ_INT(buf[1], 0x10);
	CHECK_EQ_INT(buf[2], 0x00);
	CHECK_EQ_INT(buf[3], 0x00);
	CHECK_EQ_INT(control_frame_length(buf, 4, &len), 0);
	CHECK_EQ_INT(len, CONTROL_MAX_FRAME);
	CHECK_EQ_INT(control_frame_decode(buf, 16, &off, &len), -ENOBUFS);
	CHECK_EQ_INT(control_frame_length(buf, 3, &len), -ENOBUFS);
}

static void
test_frame_at_cap(void)
{
	size_t total = CONTROL_HEADER_LEN + CONTROL_MAX_FRAME, off, len;
	uint8_t *buf = malloc(total + 1);

	CHECK(buf != NULL);
	if (buf == NULL)
		return;
	control_frame_header(CONTROL_MAX_FRAME, buf);
	CHECK_EQ_INT(control_frame_decode(buf, total - 1, &off, &len), -ENOBUFS);
	CHECK_EQ_INT(control_frame_decode(buf, total, &off, &len), 0);
	CHECK_EQ_INT(len, CONTROL_MAX_FRAME);
	free(buf);
}

static void
test_request_ok(void)
{
	struct control_request r;
	struct control_status err;

	CHECK_EQ_INT(req("{\"version\":1,\"command\":\"status\"}", &r, &err), 0);
	CHECK(r.command == cmd("status"));
	CHECK(cJSON_IsObject(r.args) && r.args->child == NULL);
	control_request_done(&r);
	CHECK(r.args == NULL);

	CHECK_EQ_INT(req(" {\"command\":\"assign\",\"args\":{\"mac\":\"52:54:00:12:34:56\","
	                 "\"image\":\"kairos-1.0\",\"config\":null,\"cmdline\":\"quiet\","
	                 "\"cmdline_mode\":\"replace\"},\"version\":1.0}\r\n",
	                 &r, &err),
	    0);
	CHECK(r.command == cmd("assign"));
	CHECK_EQ_STR(cJSON_GetObjectItem(r.args, "image")->valuestring, "kairos-1.0");
	control_request_done(&r);

	CHECK_EQ_INT(req("{\"version\":1,\"command\":\"config-default\",\"args\":{\"name\":null}}",
	                 &r, &err),
	    0);
	control_request_done(&r);
	CHECK_EQ_INT(req("{\"version\":1,\"command\":\"add-image\",\"args\":{\"name\":\"a\","
	                 "\"source\":{\"type\":\"oci\",\"ref\":\"quay.io/kairos/x:v1\"},"
	                 "\"force\":false}}",
	                 &r, &err),
	    0);
	control_request_done(&r);
	CHECK_EQ_INT(req("{\"version\":1,\"command\":\"watch\",\"args\":{}}", &r, &err), 0);
	control_request_done(&r);
	/* UTF-8 in strings is fine */
	CHECK_EQ_INT(req("{\"version\":1,\"command\":\"config-set\",\"args\":{\"name\":\"c\","
	                 "\"content\":\"#cloud-config\\nhostname: \xc3\xa9t\xc3\xa9\"}}",
	                 &r, &err),
	    0);
	control_request_done(&r);
}

static void
test_request_errors(void)
{
	/* bad-json: syntax, non-object, non-UTF-8, nesting, NUL, trailing garbage */
	CHECK_EQ_INT(req_code(""), CONTROL_ERR_BAD_JSON);
	CHECK_EQ_INT(req_code("{"), CONTROL_ERR_BAD_JSON);
	CHECK_EQ_INT(req_code("{\"version\":1,\"command\":\"status\""), CONTROL_ERR_BAD_JSON);
	CHECK_EQ_INT(req_code("[1,2]"), CONTROL_ERR_BAD_JSON);
	CHECK_EQ_INT(req_code("\"status\""), CONTROL_ERR_BAD_JSON);
	CHECK_EQ_INT(req_code("1"), CONTROL_ERR_BAD_JSON);
	CHECK_EQ_INT(req_code("null"), CONTROL_ERR_BAD_JSON);
	CHECK_EQ_INT(req_code("{\"version\":1,\"command\":\"st\xff\"}"), CONTROL_ERR_BAD_JSON);
	CHECK_EQ_INT(req_code("{\"version\":1,\"command\":\"\xc0\xaf\"}"), CONTROL_ERR_BAD_JSON);
	CHECK_EQ_INT(
	    req_code("{\"version\":1,\"command\":\"\xed\xa0\x80\"}"), CONTROL_ERR_BAD_JSON);
	CHECK_EQ_INT(req_code("{\"version\":1,\"command\":\"status\"} x"), CONTROL_ERR_BAD_JSON);
	CHECK_EQ_INT(req_code("{\"version\":1,\"command\":\"status\"}{}"), CONTROL_ERR_BAD_JSON);
	CHECK_EQ_INT(
	    req_code("{\"version\":1,\"command\":\"status\\u0000x\"}"), CONTROL_ERR_BAD_JSON);
	CHECK_EQ_INT(
	    req_code("{\"version\":1,\"command\":\"status\",\"extra\":1}"), CONTROL_ERR_BAD_JSON);
	CHECK_EQ_INT(req_code("{\"version\":1,\"command\":\"status\",\"command\":\"images\"}"),
	    CONTROL_ERR_BAD_JSON);

	/* bad-version */
	CHECK_EQ_INT(req_code("{\"command\":\"status\"}"), CONTROL_ERR_BAD_VERSION);
	CHECK_EQ_INT(req_code("{\"version\":2,\"command\":\"status\"}"), CONTROL_ERR_BAD_VERSION);
	CHECK_EQ_INT(
	    req_code("{\"version\":\"1\",\"command\":\"status\"}"), CONTROL_ERR_BAD_VERSION);
	CHECK_EQ_INT(req_code("{\"version\":1.5,\"command\":\"status\"}"), CONTROL_ERR_BAD_VERSION);
	CHECK_EQ_INT(
	    req_code("{\"version\":2,\"command\":\"new\",\"new-key\":1}"), CONTROL_ERR_BAD_VERSION);

	/* unknown-command */
	CHECK_EQ_INT(req_code("{\"version\":1}"), CONTROL_ERR_UNKNOWN_COMMAND);
	CHECK_EQ_INT(
	    req_code("{\"version\":1,\"command\":\"reboot\"}"), CONTROL_ERR_UNKNOWN_COMMAND);
	CHECK_EQ_INT(req_code("{\"version\":1,\"command\":7}"), CONTROL_ERR_UNKNOWN_COMMAND);
	CHECK_EQ_INT(
	    req_code("{\"version\":1,\"command\":\"STATUS\"}"), CONTROL_ERR_UNKNOWN_COMMAND);

	/* bad-args */
	CHECK_EQ_INT(
	    req_code("{\"version\":1,\"command\":\"status\",\"args\":[]}"), CONTROL_ERR_BAD_ARGS);
	CHECK_EQ_INT(
	    req_code("{\"version\":1,\"command\":\"status\",\"args\":null}"), CONTROL_ERR_BAD_ARGS);
	CHECK_EQ_INT(req_code("{\"version\":1,\"command\":\"status\",\"args\":{\"x\":1}}"),
	    CONTROL_ERR_BAD_ARGS);
}

static int
args_code(const char *name, const char *json)
{
	struct control_status err = {.code = _CONTROL_ERR_MAX};
	cJSON *args = cJSON_Parse(json);
	int k;

	CHECK(args != NULL);
	k = control_args_validate(cmd(name), args, &err);
	cJSON_Delete(args);
	if (k < 0)
		CHECK_EQ_INT(err.code, CONTROL_ERR_BAD_ARGS);
	return k;
}

static void
test_args(void)
{
	const char *const A = "assign", *const I = "add-image";

	CHECK_EQ_INT(args_code(A, "{\"mac\":\"52:54:00:12:34:56\",\"image\":\"x\"}"), 0);
	CHECK_EQ_INT(args_code(A, "{\"mac\":\"52-54-00-12-34-56\",\"image\":\"x\"}"), -EBADMSG);
	CHECK_EQ_INT(args_code(A, "{\"mac\":\"52:54:00:12:34:5G\",\"image\":\"x\"}"), -EBADMSG);
	CHECK_EQ_INT(args_code(A, "{\"mac\":\"52:54:00:12:34:56\"}"), -EBADMSG);
	CHECK_EQ_INT(args_code(A, "{\"mac\":\"52:54:00:12:34:56\",\"image\":\".x\"}"), -EBADMSG);
	CHECK_EQ_INT(args_code(A, "{\"mac\":\"52:54:00:12:34:56\",\"image\":\"a/b\"}"), -EBADMSG);
	CHECK_EQ_INT(
	    args_code(A, "{\"mac\":\"52:54:00:12:34:56\",\"image\":\"x\",\"image\":\"y\"}"),
	    -EBADMSG);
	CHECK_EQ_INT(args_code(A, "{\"mac\":\"52:54:00:12:34:56\",\"image\":\"x\",\"cmdline_mode\":"
	                          "\"prepend\"}"),
	    -EBADMSG);
	CHECK_EQ_INT(args_code(A, "{\"mac\":\"52:54:00:12:34:56\",\"image\":\"x\",\"cmdline\":5}"),
	    -EBADMSG);
	CHECK_EQ_INT(
	    args_code(
	        I, "{\"name\":\"x\",\"source\":{\"type\":\"dir\",\"path\":\"/a\",\"fds\":3}}"),
	    0);
	CHECK_EQ_INT(
	    args_code(I, "{\"name\":\"x\",\"source\":{\"type\":\"iso\",\"path\":\"/a.iso\","
	                 "\"fds\":1},\"cmdline\":null,\"force\":true}"),
	    0);
	/* An OCI source takes platform, kernel and initrd, once each, and nothing else. */
	CHECK_EQ_INT(args_code(I, "{\"name\":\"x\",\"source\":{\"type\":\"oci\",\"ref\":\"a:b\","
	                          "\"platform\":\"linux/arm64\",\"kernel\":\"/boot/Image\","
	                          "\"initrd\":\"/boot/initrd\"}}"),
	    0);
	CHECK_EQ_INT(args_code(I, "{\"name\":\"x\",\"source\":{\"type\":\"oci\",\"ref\":\"a:b\","
	                          "\"kernel\":\"\"}}"),
	    -EBADMSG);
	CHECK_EQ_INT(args_code(I, "{\"name\":\"x\",\"source\":{\"type\":\"oci\",\"ref\":\"a:b\","
	                          "\"kernel\":\"/a\",\"kernel\":\"/b\"}}"),
	    -EBADMSG);
	CHECK_EQ_INT(args_code(I, "{\"name\":\"x\",\"source\":{\"type\":\"oci\",\"ref\":\"a:b\","
	                          "\"path\":\"/a\"}}"),
	    -EBADMSG);
	CHECK_EQ_INT(args_code(I, "{\"name\":\"x\",\"source\":{\"type\":\"dir\",\"path\":\"/a\","
	                          "\"fds\":3,\"kernel\":\"/k\"}}"),
	    -EBADMSG);
	/* Directory and ISO sources pass their files as descriptors: "fds" is required and exact. */
	CHECK_EQ_INT(args_code(I, "{\"name\":\"x\",\"source\":{\"type\":\"dir\",\"path\":\"/a\"}}"),
	    -EBADMSG);
	CHECK_EQ_INT(
	    args_code(
	        I, "{\"name\":\"x\",\"source\":{\"type\":\"dir\",\"path\":\"/a\",\"fds\":1}}"),
	    -EBADMSG);
	CHECK_EQ_INT(
	    args_code(I, "{\"name\":\"x\",\"source\":{\"type\":\"oci\",\"ref\":\"a\",\"fds\":1}}"),
	    -EBADMSG);
	CHECK_EQ_INT(
	    args_code(I, "{\"name\":\"x\",\"source\":{\"type\":\"dir\",\"path\":\"rel\"}}"),
	    -EBADMSG);
	CHECK_EQ_INT(args_code(I, "{\"name\":\"x\",\"source\":{\"type\":\"dir\",\"ref\":\"/a\"}}"),
	    -EBADMSG);
	CHECK_EQ_INT(args_code(I, "{\"name\":\"x\",\"source\":{\"type\":\"oci\"}}"), -EBADMSG);
	CHECK_EQ_INT(args_code(I, "{\"name\":\"x\",\"source\":{\"type\":\"http\",\"path\":\"/\"}}"),
	    -EBADMSG);
	CHECK_EQ_INT(args_code(I, "{\"name\":\"x\",\"source\":\"/a\"}"), -EBADMSG);
	CHECK_EQ_INT(args_code(I, "{\"name\":\"x\",\"source\":{\"type\":\"dir\",\"path\":\"/a\"},"
	                          "\"force\":1}"),
	    -EBADMSG);
	CHECK_EQ_INT(args_code("default-boot", "{\"enabled\":false}"), 0);
	CHECK_EQ_INT(args_code("default-boot", "{\"enabled\":\"on\"}"), -EBADMSG);
	CHECK_EQ_INT(args_code("default-boot", "{}"), -EBADMSG);
	CHECK_EQ_INT(args_code("config-default", "{}"), -EBADMSG);
	CHECK_EQ_INT(args_code("config-get", "{\"name\":null}"), -EBADMSG);
	CHECK_EQ_INT(args_code("watch", "{}"), 0);
	CHECK_EQ_INT(args_code("watch", "{\"mac\":\"aa:bb:cc:dd:ee:ff\"}"), 0);
	CHECK_EQ_INT(args_code("watch", "{\"mac\":\"AA:bb:cc:dd:ee:ff\"}"), -EBADMSG);
	CHECK_EQ_INT(args_code("unassign", "{\"mac\":\"aa:bb:cc:dd:ee:ff\",\"x\":1}"), -EBADMSG);
	CHECK_EQ_INT(control_args_validate(cmd("status"), NULL, &(struct control_status){0}), 0);
}

static void
test_fleet_args(void)
{
	const char *const L = "label", *const G = "group-set", *const P = "profile-set";

	CHECK_EQ_INT(
	    args_code(L, "{\"mac\":\"52:54:00:12:34:56\",\"set\":{\"role\":\"cp\",\"z\":\"\"},"
	                 "\"remove\":[\"a\",\"b\"]}"),
	    0);
	CHECK_EQ_INT(args_code(L, "{\"mac\":\"52:54:00:12:34:56\",\"set\":{\"a\":1}}"), -EBADMSG);
	CHECK_EQ_INT(
	    args_code(L, "{\"mac\":\"52:54:00:12:34:56\",\"set\":{\"\":\"x\"}}"), -EBADMSG);
	CHECK_EQ_INT(
	    args_code(L, "{\"mac\":\"52:54:00:12:34:56\",\"set\":{\"a\":\"1\",\"a\":\"2\"}}"),
	    -EBADMSG);
	CHECK_EQ_INT(args_code(L, "{\"mac\":\"52:54:00:12:34:56\",\"set\":[\"a=1\"]}"), -EBADMSG);
	CHECK_EQ_INT(
	    args_code(L, "{\"mac\":\"52:54:00:12:34:56\",\"remove\":[\"a\",\"a\"]}"), -EBADMSG);
	CHECK_EQ_INT(args_code(L, "{\"mac\":\"52:54:00:12:34:56\",\"remove\":[\"\"]}"), -EBADMSG);
	CHECK_EQ_INT(args_code(L, "{\"mac\":\"52:54:00:12:34:56\",\"remove\":\"a\"}"), -EBADMSG);
	CHECK_EQ_INT(
	    args_code(G, "{\"name\":\"g\",\"profile\":\"p\",\"priority\":-20,"
	                 "\"match\":{\"mac\":\"52:54:00:*\",\"uuid\":null,\"arch\":\"bios\","
	                 "\"interface\":\"10.0.0.0/8\",\"labels\":{\"role\":\"cp\"}}}"),
	    0);
	CHECK_EQ_INT(args_code(G, "{\"name\":\"g\",\"profile\":\"p\",\"match\":{}}"), 0);
	CHECK_EQ_INT(args_code(G, "{\"name\":\"g\"}"), -EBADMSG); /* profile is required */
	CHECK_EQ_INT(args_code(G, "{\"name\":\"g\",\"profile\":\"p\",\"priority\":1.5}"), -EBADMSG);
	CHECK_EQ_INT(
	    args_code(G, "{\"name\":\"g\",\"profile\":\"p\",\"priority\":1000001}"), -EBADMSG);
	CHECK_EQ_INT(
	    args_code(G, "{\"name\":\"g\",\"profile\":\"p\",\"priority\":\"1\"}"), -EBADMSG);
	CHECK_EQ_INT(args_code(G, "{\"name\":\"g\",\"profile\":\"p\",\"match\":{\"vlan\":\"1\"}}"),
	    -EBADMSG);
	CHECK_EQ_INT(
	    args_code(G, "{\"name\":\"g\",\"profile\":\"p\",\"match\":{\"mac\":\"\"}}"), -EBADMSG);
	CHECK_EQ_INT(args_code(G, "{\"name\":\"g\",\"profile\":\"p\",\"match\":{\"mac\":\"a\","
	                          "\"mac\":\"b\"}}"),
	    -EBADMSG);
	CHECK_EQ_INT(args_code(G, "{\"name\":\"g\",\"profile\":\"p\",\"match\":{\"labels\":"
	                          "{\"k\":5}}}"),
	    -EBADMSG);
	CHECK_EQ_INT(
	    args_code(P, "{\"name\":\"p\",\"image\":\"i\",\"config\":null,\"cmdline\":\"x\","
	                 "\"cmdline_mode\":\"append\",\"loader\":\"ipxe\",\"action\":\"local\"}"),
	    0);
	CHECK_EQ_INT(args_code(P, "{\"name\":\"p\",\"action\":null}"), -EBADMSG);
	CHECK_EQ_INT(args_code("apply", "{\"file\":\"f.yaml\",\"content\":\"x\","
	                                "\"files\":{\"w.yaml\":\"#cloud-config\\n\"},"
	                                "\"dry_run\":true,\"prune\":false}"),
	    0);
	CHECK_EQ_INT(args_code("apply", "{\"file\":\"f.yaml\"}"), -EBADMSG);
	CHECK_EQ_INT(args_code("apply", "{\"file\":\"\",\"content\":\"x\"}"), -EBADMSG);
	CHECK_EQ_INT(args_code("apply", "{\"file\":\"a\\nb\",\"content\":\"x\"}"), -EBADMSG);
	CHECK_EQ_INT(
	    args_code("apply", "{\"file\":\"f\",\"content\":\"x\",\"files\":{\"w\":1}}"), -EBADMSG);
	CHECK_EQ_INT(
	    args_code("apply", "{\"file\":\"f\",\"content\":\"x\",\"files\":{\"\":\"t\"}}"),
	    -EBADMSG);
	CHECK_EQ_INT(args_code("export", "{}"), 0);
}

/* Caps: 32 labels, 63-byte keys and values. */
static void
test_label_caps(void)
{
	cJSON *args = cJSON_CreateObject(), *set = cJSON_AddObjectToObject(args, "set");
	struct control_status err;
	char key[80], value[80];

	cJSON_AddStringToObject(args, "mac", "52:54:00:12:34:56");
	for (int i = 0; i < CONTROL_MAX_LABELS; i++) {
		snprintf(key, sizeof(key), "k%d", i);
		cJSON_AddStringToObject(set, key, "v");
	}
	CHECK_EQ_INT(control_args_validate(cmd("label"), args, &err), 0);
	cJSON_AddStringToObject(set, "one-more", "v");
	CHECK_EQ_INT(control_args_validate(cmd("label"), args, &err), -EBADMSG);
	CHECK(strstr(err.message, "more than 32 labels") != NULL);
	cJSON_DeleteItemFromObject(args, "set");
	set = cJSON_AddObjectToObject(args, "set");
	memset(key, 'k', 63), key[63] = '\0';
	memset(value, 'v', 63), value[63] = '\0';
	cJSON_AddStringToObject(set, key, value);
	CHECK_EQ_INT(control_args_validate(cmd("label"), args, &err), 0);
	key[63] = 'k', key[64] = '\0';
	cJSON_AddStringToObject(set, key, "v");
	CHECK_EQ_INT(control_args_validate(cmd("label"), args, &err), -EBADMSG);
	cJSON_Delete(args);
}

static void
test_config_content_cap(void)
{
	size_t n = CONTROL_MAX_CONFIG + 1;
	char *s = malloc(n + 1);
	cJSON *args = cJSON_CreateObject();
	struct control_status err;

	CHECK(s != NULL && args != NULL);
	if (s == NULL || args == NULL)
		return;
	memset(s, 'a', n);
	s[n] = '\0';
	cJSON_AddStringToObject(args, "name", "big");
	cJSON_AddStringToObject(args, "content", s);
	CHECK_EQ_INT(control_args_validate(cmd("config-set"), args, &err), -EBADMSG);
	s[n - 1] = '\0';
	cJSON_ReplaceItemInObject(args, "content", cJSON_CreateString(s));
	CHECK_EQ_INT(control_args_validate(cmd("config-set"), args, &err), 0);
	cJSON_Delete(args);
	free(s);
}

static void
test_nesting(void)
{
	char deep[4096];
	size_t n;

	/* CONTROL_MAX_DEPTH levels are fine (inside args they are bad-args, not bad-json) */
	n = (size_t)snprintf(
	    deep, sizeof(deep), "{\"version\":1,\"command\":\"status\",\"args\":{\"x\":");
	for (int i = 0; i < CONTROL_MAX_DEPTH - 2; i++)
		deep[n++] = '[';
	for (int i = 0; i < CONTROL_MAX_DEPTH - 2; i++)
		deep[n++] = ']';
	memcpy(deep + n, "}}", 3);
	CHECK_EQ_INT(req_code(deep), CONTROL_ERR_BAD_ARGS);

	/* one more is bad-json, as are cJSON's own limit and beyond */
	for (int depth = CONTROL_MAX_DEPTH + 1; depth <= CJSON_NESTING_LIMIT + 1;
	     depth += CJSON_NESTING_LIMIT - CONTROL_MAX_DEPTH) {
		char *s = malloc((size_t)depth * 2 + 1);

		CHECK(s != NULL);
		if (s == NULL)
			return;
		memset(s, '[', (size_t)depth);
		memset(s + depth, ']', (size_t)depth);
		s[depth * 2] = '\0';
		s[0] = '{';
		s[depth * 2 - 1] = '}';
		CHECK_EQ_INT(req_code(s), CONTROL_ERR_BAD_JSON);
		free(s);
	}
	/* brackets inside strings do not count */
	n = (size_t)snprintf(deep, sizeof(deep),
	    "{\"version\":1,\"command\":\"config-get\",\"args\":"
	    "{\"name\":\"x\"},\"");
	for (int i = 0; i < 100; i++)
		deep[n++] = '[';
	memcpy(deep + n, "\":1}", 5);
	CHECK_EQ_INT(req_code(deep), CONTROL_ERR_BAD_JSON); /* unknown key, not nesting */
}

static void
test_utf8(void)
{
	CHECK(control_utf8_valid("", 0));
	CHECK(control_utf8_valid("abc", 3));
	CHECK(control_utf8_valid("\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80", 9));
	CHECK(!control_utf8_valid("a\0b", 3));
	CHECK(!control_utf8_valid("\x80", 1));
	CHECK(!control_utf8_valid("\xc3", 1));             /* truncated */
	CHECK(!control_utf8_valid("\xc1\xbf", 2));         /* overlong */
	CHECK(!control_utf8_valid("\xe0\x80\xaf", 3));     /* overlong */
	CHECK(!control_utf8_valid("\xed\xb0\x80", 3));     /* surrogate */
	CHECK(!control_utf8_valid("\xf4\x90\x80\x80", 4)); /* > U+10FFFF */
	CHECK(!control_utf8_valid("\xf8\x88\x80\x80\x80", 5));
}

static void
test_helpers(void)
{
	char mac[MAC_STRLEN];
	enum control_cmdline_mode m;

	CHECK(name_valid("kairos-v3.1_x"));
	CHECK(name_valid("a"));
	CHECK(!name_valid(""));
	CHECK(!name_valid(".hidden"));
	CHECK(!name_valid(".."));
	CHECK(!name_valid("a b"));
	CHECK(!name_valid("a/b"));
	CHECK(!name_valid(NULL));
	CHECK(name_valid("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"));
	CHECK(!name_valid("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"));

	CHECK_EQ_INT(control_mac_canonical("52-54-00-AB-cd-EF", mac), 0);
	CHECK_EQ_STR(mac, "52:54:00:ab:cd:ef");
	CHECK_EQ_INT(control_mac_canonical("52:54:00:ab:cd:ef", mac), 0);
	CHECK_EQ_STR(mac, "52:54:00:ab:cd:ef");
	CHECK_EQ_INT(control_mac_canonical("52:54-00:ab:cd:ef", mac), -EINVAL);
	CHECK_EQ_INT(control_mac_canonical("525400abcdef", mac), -EINVAL);
	CHECK_EQ_INT(control_mac_canonical("", mac), -EINVAL);
	CHECK_EQ_STR(mac, "52:54:00:ab:cd:ef"); /* untouched */

	CHECK_EQ_INT(control_cmdline_mode_from_string("append", &m), 0);
	CHECK_EQ_INT(m, CONTROL_CMDLINE_APPEND);
	CHECK_EQ_INT(control_cmdline_mode_from_string("replace", &m), 0);
	CHECK_EQ_INT(m, CONTROL_CMDLINE_REPLACE);
	CHECK_EQ_INT(control_cmdline_mode_from_string("Append", &m), -EINVAL);
	CHECK_EQ_STR(control_cmdline_mode_to_string(CONTROL_CMDLINE_REPLACE), "replace");
	CHECK_EQ_STR(control_cmdline_mode_to_string(CONTROL_CMDLINE_APPEND), "append");
}

/* Check a built frame's header and return its JSON text (NUL-terminated copy). */
static char *
frame_text(const uint8_t *f, size_t n)
{
	size_t off, len;
	char *s;

	CHECK_EQ_INT(control_frame_decode(f, n, &off, &len), 0);
	CHECK_EQ_INT(off + len, n);
	s = strndup((const char *)f + CONTROL_HEADER_LEN, n - CONTROL_HEADER_LEN);
	CHECK(s != NULL);
	return s;
}

static void
test_builders_round_trip(void)
{
	cJSON *args = cJSON_CreateObject(), *data = cJSON_CreateObject();
	struct control_request r;
	struct control_status err;
	struct control_message m;
	uint8_t *f;
	size_t n;
	char *s;

	cJSON_AddStringToObject(args, "mac", "52:54:00:12:34:56");
	cJSON_AddStringToObject(args, "image", "kairos");
	CHECK_EQ_INT(control_request_build("assign", args, &f, &n), 0);
	s = frame_text(f, n);
	CHECK_EQ_STR(s,
	    "{\"version\":1,\"command\":\"assign\",\"args\":{\"mac\":\"52:54:00:12:34:56\","
	    "\"image\":\"kairos\"}}");
	CHECK_EQ_INT(control_request_parse(f + 4, n - 4, &r, &err), 0);
	CHECK(r.command == cmd("assign"));
	CHECK(cJSON_Compare(r.args, args, true));
	control_request_done(&r);
	free(s);
	free(f);
	CHECK(cJSON_GetObjectItem(args, "image") != NULL); /* args only borrowed */

	CHECK_EQ_INT(control_request_build("status", NULL, &f, &n), 0);
	s = frame_text(f, n);
	CHECK_EQ_STR(s, "{\"version\":1,\"command\":\"status\"}");
	free(s);
	free(f);
	CHECK_EQ_INT(control_request_build("status", data, &f, &n), 0);
	free(f);
	CHECK_EQ_INT(control_request_build(NULL, NULL, &f, &n), -EINVAL);

	cJSON_AddNumberToObject(data, "images", 2);
	CHECK_EQ_INT(control_reply_ok_build(data, &f, &n), 0);
	s = frame_text(f, n);
	CHECK_EQ_STR(s, "{\"ok\":true,\"data\":{\"images\":2}}");
	CHECK_EQ_INT(control_message_parse(f + 4, n - 4, &m), 0);
	CHECK_EQ_INT(m.kind, CONTROL_MSG_OK);
	CHECK(cJSON_Compare(m.data, data, true));
	control_message_done(&m);
	free(s);
	free(f);

	CHECK_EQ_INT(control_reply_ok_build(NULL, &f, &n), 0);
	s = frame_text(f, n);
	CHECK_EQ_STR(s, "{\"ok\":true,\"data\":null}");
	free(s);
	free(f);

	CHECK_EQ_INT(
	    control_reply_error_build(CONTROL_ERR_IN_USE, "Image \"a\" is in use.", &f, &n), 0);
	s = frame_text(f, n);
	CHECK_EQ_STR(s,
	    "{\"ok\":false,\"error\":{\"code\":\"in-use\",\"message\":\"Image \\\"a\\\" "
	    "is in use.\"}}");
	CHECK_EQ_INT(control_message_parse(f + 4, n - 4, &m), 0);
	CHECK_EQ_INT(m.kind, CONTROL_MSG_ERROR);
	CHECK_EQ_STR(m.code, "in-use");
	CHECK_EQ_STR(m.text, "Image \"a\" is in use.");
	control_message_done(&m);
	free(s);
	free(f);
	CHECK_EQ_INT(control_reply_error_build(_CONTROL_ERR_MAX, "x", &f, &n), -EINVAL);

	CHECK_EQ_INT(control_event_build("progress", data, &f, &n), 0);
	s = frame_text(f, n);
	CHECK_EQ_STR(s, "{\"event\":\"progress\",\"data\":{\"images\":2}}");
	CHECK_EQ_INT(control_message_parse(f + 4, n - 4, &m), 0);
	CHECK_EQ_INT(m.kind, CONTROL_MSG_EVENT);
	CHECK_EQ_STR(m.event, "progress");
	control_message_done(&m);
	free(s);
	free(f);

	cJSON_Delete(args);
	cJSON_Delete(data);
}

static void
test_builder_over_cap(void)
{
	char *big = malloc(CONTROL_MAX_FRAME + 1);
	cJSON *data;
	uint8_t *f = NULL;
	size_t n = 0;

	CHECK(big != NULL);
	if (big == NULL)
		return;
	memset(big, 'x', CONTROL_MAX_FRAME);
	big[CONTROL_MAX_FRAME] = '\0';
	data = cJSON_CreateString(big);
	CHECK_EQ_INT(control_reply_ok_build(data, &f, &n), -EMSGSIZE);
	CHECK(f == NULL);
	cJSON_Delete(data);
	free(big);
}

static void
test_message_bad(void)
{
	static const char *const bad[] = {"", "[]", "{}", "{\"ok\":1}", "{\"ok\":false}",
	    "{\"ok\":false,\"error\":{\"code\":\"x\"}}", "{\"ok\":false,\"error\":\"x\"}",
	    "{\"event\":\"boot\"}", "{\"event\":1,\"data\":{}}",
	    "{\"ok\":true,\"event\":\"boot\",\"data\":{}}", "{\"ok\":true,\"data\":\"\xff\"}",
	    "{\"ok\":true} junk"};
	struct control_message m;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int k = control_message_parse(bad[i], strlen(bad[i]), &m);

		if (k != -EBADMSG)
			fprintf(stderr, "message %s -> %d\n", bad[i], k);
		CHECK_EQ_INT(k, -EBADMSG);
	}
	CHECK_EQ_INT(control_message_parse("{\"ok\":true}", 11, &m), 0);
	CHECK(cJSON_IsNull(m.data));
	control_message_done(&m);
}

/* explain's words: arch, uuid and interface are short printable strings. */
static void
test_explain_args(void)
{
	CHECK_EQ_INT(args_code("explain", "{\"mac\":\"52:54:00:12:34:56\"}"), 0);
	CHECK_EQ_INT(
	    args_code("explain",
	        "{\"mac\":\"52:54:00:12:34:56\",\"arch\":\"efi-x86_64\",\"uuid\":\"u\",\"interface\":\"eth0\"}"),
	    0);
	CHECK_EQ_INT(
	    args_code("explain", "{\"mac\":\"52:54:00:12:34:56\",\"arch\":\"a b\"}"), -EBADMSG);
	CHECK_EQ_INT(
	    args_code("explain", "{\"mac\":\"52:54:00:12:34:56\",\"arch\":\"\"}"), -EBADMSG);
	CHECK_EQ_INT(args_code("explain", "{\"mac\":\"52:54:00:12:34:56\",\"uuid\":7}"), -EBADMSG);
	CHECK_EQ_INT(args_code("explain", "{\"arch\":\"bios\"}"), -EBADMSG);
}

TEST_MAIN(TEST(test_logs_args), TEST(test_explain_args), TEST(test_error_names),
    TEST(test_command_table), TEST(test_command_flags), TEST(test_frame_decode),
    TEST(test_frame_at_cap), TEST(test_request_ok), TEST(test_request_errors), TEST(test_args),
    TEST(test_fleet_args), TEST(test_label_caps), TEST(test_config_content_cap), TEST(test_nesting),
    TEST(test_utf8), TEST(test_helpers), TEST(test_builders_round_trip),
    TEST(test_builder_over_cap), TEST(test_message_bad))
