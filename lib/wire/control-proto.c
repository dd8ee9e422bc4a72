#include "control-proto.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "util.h"

static const char *const error_names[_CONTROL_ERR_MAX] = {
    [CONTROL_ERR_BAD_FRAME] = "bad-frame",
    [CONTROL_ERR_BAD_JSON] = "bad-json",
    [CONTROL_ERR_BAD_VERSION] = "bad-version",
    [CONTROL_ERR_UNKNOWN_COMMAND] = "unknown-command",
    [CONTROL_ERR_BAD_ARGS] = "bad-args",
    [CONTROL_ERR_PERMISSION_DENIED] = "permission-denied",
    [CONTROL_ERR_NOT_FOUND] = "not-found",
    [CONTROL_ERR_EXISTS] = "exists",
    [CONTROL_ERR_IN_USE] = "in-use",
    [CONTROL_ERR_INVALID] = "invalid",
    [CONTROL_ERR_UNSUPPORTED] = "unsupported",
    [CONTROL_ERR_BUSY] = "busy",
    [CONTROL_ERR_IO] = "io",
    [CONTROL_ERR_INTERNAL] = "internal",
    [CONTROL_ERR_UNAVAILABLE] = "unavailable",
    [CONTROL_ERR_CONFLICT] = "conflict",
};

const char *
control_error_to_string(enum control_error e)
{
	if ((unsigned)e >= _CONTROL_ERR_MAX)
		return NULL;
	return error_names[e];
}

int
control_error_from_string(const char *s)
{
	for (size_t i = 0; s != NULL && i < _CONTROL_ERR_MAX; i++)
		if (strcmp(s, error_names[i]) == 0)
			return (int)i;
	return -EINVAL;
}

/* ---- Frames ---- */

void
control_frame_header(uint32_t len, uint8_t ret[CONTROL_HEADER_LEN])
{
	struct writer w = writer_init(ret, CONTROL_HEADER_LEN);

	(void)write_be32(&w, len);
}

int
control_frame_length(const void *buf, size_t len, size_t *ret_len)
{
	struct reader r = reader_init(buf, len);
	uint32_t n;

	if (read_be32(&r, &n) < 0)
		return -ENOBUFS;
	if (n == 0 || n > CONTROL_MAX_FRAME)
		return -EBADMSG;
	*ret_len = n;
	return 0;
}

int
control_frame_decode(const void *buf, size_t len, size_t *ret_offset, size_t *ret_len)
{
	struct reader r = reader_init(buf, len), body;
	size_t n;
	int k;

	k = control_frame_length(buf, len, &n);
	if (k < 0)
		return k;
	if (read_skip(&r, CONTROL_HEADER_LEN) < 0 || read_sub(&r, n, &body) < 0)
		return -ENOBUFS;
	*ret_offset = CONTROL_HEADER_LEN;
	*ret_len = n;
	return 0;
}

/* Length of the UTF-8 sequence starting with 'c' and the minimum code point it may encode. */
static size_t
utf8_seq_len(uint8_t c, uint32_t *ret_min)
{
	if (c >= 0xc2 && c <= 0xdf) {
		*ret_min = 0x80;
		return 2;
	}
	if (c >= 0xe0 && c <= 0xef) {
		*ret_min = 0x800;
		return 3;
	}
	if (c >= 0xf0 && c <= 0xf4) {
		*ret_min = 0x10000;
		return 4;
	}
	return 0;
}

static int
read_utf8_char(struct reader *r)
{
	uint8_t c, cont;
	uint32_t cp, min;
	size_t n;

	if (read_u8(r, &c) < 0)
		return -ENOBUFS;
	if (c < 0x80)
		return c == 0 ? -EBADMSG : 0;
	n = utf8_seq_len(c, &min);
	if (n == 0)
		return -EBADMSG;
	cp = c & (0x7f >> n);
	for (size_t i = 1; i < n; i++) {
		if (read_u8(r, &cont) < 0 || (cont & 0xc0) != 0x80)
			return -EBADMSG;
		cp = cp << 6 | (cont & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return -EBADMSG;
	return 0;
}

bool
control_utf8_valid(const void *buf, size_t len)
{
	struct reader r = reader_init(buf, len);

	while (r.left > 0)
		if (read_utf8_char(&r) < 0)
			return false;
	return true;
}

/*
 * Walk the JSON text once before cJSON sees it: nesting depth at most
 * CONTROL_MAX_DEPTH, and no "\u0000" escape (it would silently cut a C
 * string short).  Structural errors are left to cJSON.
 */
static bool
json_prescan_ok(const uint8_t *p, size_t len)
{
	unsigned depth = 0;
	bool in_string = false;

	for (size_t i = 0; i < len; i++) {
		if (in_string) {
			if (p[i] == '"')
				in_string = false;
			else if (p[i] == '\\' && i + 1 < len) {
				if (len - i >= 6 && memcmp(p + i + 1, "u0000", 5) == 0)
					return false;
				i++;
			}
		} else if (p[i] == '"')
			in_string = true;
		else if (p[i] == '{' || p[i] == '[') {
			if (++depth > CONTROL_MAX_DEPTH)
				return false;
		} else if ((p[i] == '}' || p[i] == ']') && depth > 0)
			depth--;
	}
	return true;
}

/* Parse one JSON value filling the whole buffer (trailing whitespace allowed). */
static cJSON *
json_parse(const void *buf, size_t len, const char **ret_why)
{
	const char *end = NULL;
	cJSON *root;

	if (!control_utf8_valid(buf, len)) {
		*ret_why = "is not UTF-8 text";
		return NULL;
	}
	if (!json_prescan_ok(buf, len)) {
		*ret_why = "is nested too deeply or contains \\u0000";
		return NULL;
	}
	root = cJSON_ParseWithLengthOpts(buf, len, &end, false);
	if (root == NULL) {
		*ret_why = "is not valid JSON";
		return NULL;
	}
	while (end < (const char *)buf + len && *end != '\0' && strchr(" \t\r\n", *end) != NULL)
		end++;
	if (end != (const char *)buf + len) {
		cJSON_Delete(root);
		*ret_why = "has trailing bytes after the JSON value";
		return NULL;
	}
	return root;
}

int
control_fail(struct control_status *s, enum control_error code, const char *fmt, ...)
{
	va_list ap;

	s->code = code;
	va_start(ap, fmt);
	vsnprintf(s->message, sizeof(s->message), fmt, ap);
	va_end(ap);
	return -EBADMSG;
}

/* Quote a peer-supplied string for a message: at most 40 bytes, printable ASCII. */
static const char *
show(const char *s, char buf[48])
{
	size_t n = 0;

	for (; s[0] != '\0' && n < 40; s++)
		buf[n++] = (s[0] >= ' ' && s[0] < 0x7f) ? s[0] : '?';
	if (s[0] != '\0') {
		memcpy(buf + n, "...", 3);
		n += 3;
	}
	buf[n] = '\0';
	return buf;
}

static bool
json_is_integer(const cJSON *item, double want)
{
	return cJSON_IsNumber(item) && item->valuedouble == want;
}

/* Reject top-level keys other than version, command and args. */
static int
request_check_keys(const cJSON *root, struct control_status *err)
{
	static const char *const known[] = {"version", "command", "args"};
	unsigned seen = 0;
	const cJSON *it;
	char b[48];

	cJSON_ArrayForEach(it, root)
	{
		size_t i = 0;

		while (i < 3 && strcmp(it->string, known[i]) != 0)
			i++;
		if (i == 3)
			return control_fail(err, CONTROL_ERR_BAD_JSON,
			    "Unexpected key \"%s\" in request.", show(it->string, b));
		if (seen & (1u << i))
			return control_fail(err, CONTROL_ERR_BAD_JSON,
			    "Duplicate key \"%s\" in request.", known[i]);
		seen |= 1u << i;
	}
	return 0;
}

static int
request_check(const cJSON *root, const struct control_command **ret_cmd, struct control_status *err)
{
	const cJSON *version, *command, *args;
	const struct control_command *info;
	char b[48];
	int k;

	if (!cJSON_IsObject(root))
		return control_fail(err, CONTROL_ERR_BAD_JSON, "The request is not a JSON object.");
	version = cJSON_GetObjectItemCaseSensitive(root, "version");
	if (!json_is_integer(version, CONTROL_PROTOCOL_VERSION))
		return control_fail(err, CONTROL_ERR_BAD_VERSION,
		    "Protocol version %d is required.", CONTROL_PROTOCOL_VERSION);
	k = request_check_keys(root, err);
	if (k < 0)
		return k;
	command = cJSON_GetObjectItemCaseSensitive(root, "command");
	if (!cJSON_IsString(command))
		return control_fail(
		    err, CONTROL_ERR_UNKNOWN_COMMAND, "The request names no command.");
	info = control_commands_lookup(command->valuestring);
	if (info == NULL)
		return control_fail(err, CONTROL_ERR_UNKNOWN_COMMAND, "Unknown command \"%s\".",
		    show(command->valuestring, b));
	args = cJSON_GetObjectItemCaseSensitive(root, "args");
	if (args != NULL && !cJSON_IsObject(args))
		return control_fail(
		    err, CONTROL_ERR_BAD_ARGS, "The args of a request must be an object.");
	k = control_args_validate(info, args, err);
	if (k < 0)
		return k;
	*ret_cmd = info;
	return 0;
}

int
control_request_parse(
    const void *buf, size_t len, struct control_request *ret, struct control_status *ret_error)
{
	const struct control_command *info = NULL;
	const char *why = NULL;
	cJSON *root, *args;
	int k;

	root = json_parse(buf, len, &why);
	if (root == NULL)
		return control_fail(ret_error, CONTROL_ERR_BAD_JSON, "The request %s.", why);
	k = request_check(root, &info, ret_error);
	if (k < 0) {
		cJSON_Delete(root);
		return k;
	}
	args = cJSON_DetachItemFromObjectCaseSensitive(root, "args");
	cJSON_Delete(root);
	if (args == NULL && (args = cJSON_CreateObject()) == NULL)
		return -ENOMEM;
	*ret = (struct control_request){.command = info, .args = args};
	return 0;
}

void
control_request_done(struct control_request *r)
{
	cJSON_Delete(r->args);
	r->args = NULL;
}

/* ---- Argument validation ---- */

int
control_mac_canonical(const char *s, char ret[MAC_STRLEN])
{
	uint8_t mac[MAC_LEN];

	if (s == NULL || mac_parse(s, mac) < 0)
		return -EINVAL;
	mac_format(mac, ':', ret);
	return 0;
}

const char *
control_cmdline_mode_to_string(enum control_cmdline_mode m)
{
	return m == CONTROL_CMDLINE_REPLACE ? "replace" : "append";
}

int
control_cmdline_mode_from_string(const char *s, enum control_cmdline_mode *ret)
{
	if (s != NULL && strcmp(s, "append") == 0)
		*ret = CONTROL_CMDLINE_APPEND;
	else if (s != NULL && strcmp(s, "replace") == 0)
		*ret = CONTROL_CMDLINE_REPLACE;
	else
		return -EINVAL;
	return 0;
}

static bool
string_bounded(const cJSON *v, size_t max)
{
	return cJSON_IsString(v) && strlen(v->valuestring) <= max;
}

static bool
mac_is_canonical(const cJSON *v)
{
	char buf[MAC_STRLEN];

	return cJSON_IsString(v) && control_mac_canonical(v->valuestring, buf) == 0 &&
	       strcmp(buf, v->valuestring) == 0;
}

/*
 * A source object: {"type":"dir"|"iso"|"efi"|"whole-iso","path":P,"fds":N} or
 * {"type":"oci","ref":R[,"platform":"os/arch"]}.
 * "fds" says how many open files ride with the request (SCM_RIGHTS): the
 * client opens them with its own permissions, 3 for a directory (kernel,
 * initrd, rootfs.squashfs) and 1 for an ISO (extracted or kept whole) or
 * an EFI application.
 */
/* Optional strings of an OCI source: platform, and paths inside the image. */
static const struct {
	const char *key;
	size_t max;
} oci_options[] = {{"platform", 64}, {"kernel", CONTROL_MAX_PATH}, {"initrd", CONTROL_MAX_PATH}};

static int
oci_option_check(const cJSON *v, const cJSON *it, struct control_status *err)
{
	if (it != cJSON_GetObjectItemCaseSensitive(v, it->string))
		return control_fail(
		    err, CONTROL_ERR_BAD_ARGS, "source %s is given twice.", it->string);
	for (size_t i = 0; i < sizeof(oci_options) / sizeof(oci_options[0]); i++) {
		if (strcmp(it->string, oci_options[i].key) != 0)
			continue;
		if (string_bounded(it, oci_options[i].max) && it->valuestring[0] != '\0')
			return 0;
		return control_fail(err, CONTROL_ERR_BAD_ARGS,
		    "source %s must be a non-empty string of at most %zu bytes.", it->string,
		    oci_options[i].max);
	}
	return control_fail(err, CONTROL_ERR_BAD_ARGS,
	    "source of type \"oci\" takes only \"ref\", \"platform\", \"kernel\" and "
	    "\"initrd\".");
}

/* The source types that pass one file: an ISO to extract, an EFI application, an ISO kept whole. */
static bool
one_file_source(const char *type)
{
	return strcmp(type, "iso") == 0 || strcmp(type, "efi") == 0 ||
	       strcmp(type, "whole-iso") == 0;
}

static int
source_check(const cJSON *v, struct control_status *err)
{
	const cJSON *type = cJSON_GetObjectItemCaseSensitive(v, "type");
	const char *want;
	const cJSON *it, *fds;
	int nfds = 0;

	if (!cJSON_IsObject(v) || !cJSON_IsString(type))
		return control_fail(
		    err, CONTROL_ERR_BAD_ARGS, "source must be an object with a type.");
	if (strcmp(type->valuestring, "dir") == 0)
		want = "path", nfds = 3;
	else if (one_file_source(type->valuestring))
		want = "path", nfds = 1;
	else if (strcmp(type->valuestring, "oci") == 0)
		want = "ref";
	else
		return control_fail(err, CONTROL_ERR_BAD_ARGS,
		    "source type must be \"dir\", \"iso\", \"efi\", \"whole-iso\" or \"oci\".");
	fds = cJSON_GetObjectItemCaseSensitive(v, "fds");
	cJSON_ArrayForEach(it, v)
	{
		if ((strcmp(it->string, "type") == 0 && it == type) ||
		    (strcmp(it->string, want) == 0 &&
		        it == cJSON_GetObjectItemCaseSensitive(v, want)) ||
		    (nfds > 0 && strcmp(it->string, "fds") == 0 && it == fds))
			continue;
		if (nfds == 0) {
			if (oci_option_check(v, it, err) < 0)
				return -EBADMSG;
			continue;
		}
		return control_fail(err, CONTROL_ERR_BAD_ARGS,
		    "source of type \"%s\" takes only \"path\" and \"fds\".", type->valuestring);
	}
	it = cJSON_GetObjectItemCaseSensitive(v, want);
	if (!string_bounded(it, CONTROL_MAX_PATH) || it->valuestring[0] == '\0')
		return control_fail(
		    err, CONTROL_ERR_BAD_ARGS, "source %s must be a non-empty string.", want);
	if (strcmp(want, "path") == 0 && it->valuestring[0] != '/')
		return control_fail(err, CONTROL_ERR_BAD_ARGS, "source path must be absolute.");
	if (nfds > 0 && !(cJSON_IsNumber(fds) && fds->valuedouble == nfds))
		return control_fail(err, CONTROL_ERR_BAD_ARGS,
		    "source of type \"%s\" needs \"fds\": %d, its files passed as open "
		    "descriptors.",
		    type->valuestring, nfds);
	return 0;
}

int
control_source_fds(const cJSON *source)
{
	const cJSON *type = cJSON_GetObjectItemCaseSensitive(source, "type");

	if (!cJSON_IsString(type))
		return 0;
	if (strcmp(type->valuestring, "dir") == 0)
		return 3;
	if (one_file_source(type->valuestring))
		return 1;
	return 0;
}

/* ---- the fleet's argument types ---- */

static bool
string_between(const cJSON *v, size_t min, size_t max)
{
	return cJSON_IsString(v) && strlen(v->valuestring) >= min && strlen(v->valuestring) <= max;
}

/* The first member of 'obj' with its name: no key twice. */
static bool
member_first(const cJSON *obj, const cJSON *it)
{
	return it == cJSON_GetObjectItemCaseSensitive(obj, it->string);
}

/* 1-CONTROL_WORD_MAX bytes of printable ASCII, no spaces. */
static bool
word_valid(const char *s)
{
	size_t n = strlen(s);

	for (size_t i = 0; i < n; i++)
		if (s[i] <= ' ' || s[i] >= 0x7f)
			return false;
	return n > 0 && n <= CONTROL_WORD_MAX;
}

static bool
path_valid(const char *s)
{
	size_t n = strlen(s);

	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return false;
	return n > 0 && n <= CONTROL_MAX_PATH;
}

static int
int_check(const char *key, const cJSON *v, struct control_status *err)
{
	if (cJSON_IsNumber(v) && v->valuedouble >= -CONTROL_MAX_PRIORITY &&
	    v->valuedouble <= CONTROL_MAX_PRIORITY &&
	    v->valuedouble == (double)(long)v->valuedouble)
		return 0;
	return control_fail(err, CONTROL_ERR_BAD_ARGS, "%s must be an integer from %d to %d.", key,
	    -CONTROL_MAX_PRIORITY, CONTROL_MAX_PRIORITY);
}

static int
labels_check(const char *key, const cJSON *v, struct control_status *err)
{
	const cJSON *it;
	int n = 0;
	char b[48];

	if (!cJSON_IsObject(v))
		return control_fail(err, CONTROL_ERR_BAD_ARGS,
		    "%s must be an object of labels, {\"key\": \"value\", ...}.", key);
	cJSON_ArrayForEach(it, v)
	{
		if (++n > CONTROL_MAX_LABELS)
			return control_fail(err, CONTROL_ERR_BAD_ARGS,
			    "%s has more than %d labels.", key, CONTROL_MAX_LABELS);
		if (!member_first(v, it))
			return control_fail(err, CONTROL_ERR_BAD_ARGS,
			    "%s names label \"%s\" twice.", key, show(it->string, b));
		if (strlen(it->string) < 1 || strlen(it->string) > CONTROL_MAX_LABEL)
			return control_fail(err, CONTROL_ERR_BAD_ARGS,
			    "%s: a label key must be 1-%d bytes, not \"%s\".", key,
			    CONTROL_MAX_LABEL, show(it->string, b));
		if (!string_between(it, 0, CONTROL_MAX_LABEL))
			return control_fail(err, CONTROL_ERR_BAD_ARGS,
			    "%s: the value of label \"%s\" must be a string of at most %d bytes.",
			    key, show(it->string, b), CONTROL_MAX_LABEL);
	}
	return 0;
}

static int
keys_check(const char *key, const cJSON *v, struct control_status *err)
{
	const cJSON *it, *prev;
	int n = 0;
	char b[48];

	if (!cJSON_IsArray(v) || cJSON_GetArraySize(v) > CONTROL_MAX_LABELS)
		return control_fail(err, CONTROL_ERR_BAD_ARGS,
		    "%s must be a list of at most %d label keys.", key, CONTROL_MAX_LABELS);
	cJSON_ArrayForEach(it, v)
	{
		if (!string_between(it, 1, CONTROL_MAX_LABEL))
			return control_fail(err, CONTROL_ERR_BAD_ARGS,
			    "%s: label keys are strings of 1-%d bytes.", key, CONTROL_MAX_LABEL);
		prev = v->child;
		for (int i = 0; i < n; i++, prev = prev->next)
			if (strcmp(prev->valuestring, it->valuestring) == 0)
				return control_fail(err, CONTROL_ERR_BAD_ARGS,
				    "%s names label \"%s\" twice.", key, show(it->valuestring, b));
		n++;
	}
	return 0;
}

static int
match_check(const char *key, const cJSON *v, struct control_status *err)
{
	static const char *const selectors[] = {"mac", "uuid", "arch", "interface"};
	const cJSON *it;
	size_t i;

	if (!cJSON_IsObject(v))
		return control_fail(err, CONTROL_ERR_BAD_ARGS, "%s must be an object.", key);
	cJSON_ArrayForEach(it, v)
	{
		if (!member_first(v, it))
			return control_fail(
			    err, CONTROL_ERR_BAD_ARGS, "%s.%s is given twice.", key, it->string);
		if (strcmp(it->string, "labels") == 0) {
			if (labels_check("match.labels", it, err) < 0)
				return -EBADMSG;
			continue;
		}
		for (i = 0; i < ELEMENTSOF(selectors) && strcmp(it->string, selectors[i]) != 0; i++)
			;
		if (i == ELEMENTSOF(selectors))
			return control_fail(err, CONTROL_ERR_BAD_ARGS,
			    "%s takes only mac, uuid, arch, interface and labels.", key);
		if (!cJSON_IsNull(it) && !string_between(it, 1, CONTROL_MAX_SELECTOR))
			return control_fail(err, CONTROL_ERR_BAD_ARGS,
			    "%s.%s must be a string of 1-%d bytes, or null.", key, selectors[i],
			    CONTROL_MAX_SELECTOR);
	}
	return 0;
}

static int
files_check(const char *key, const cJSON *v, struct control_status *err)
{
	const cJSON *it;
	int n = 0;
	char b[48];

	if (!cJSON_IsObject(v))
		return control_fail(
		    err, CONTROL_ERR_BAD_ARGS, "%s must be an object, {\"path\": \"text\"}.", key);
	cJSON_ArrayForEach(it, v)
	{
		if (++n > CONTROL_MAX_FILES)
			return control_fail(err, CONTROL_ERR_BAD_ARGS, "%s has more than %d files.",
			    key, CONTROL_MAX_FILES);
		if (!path_valid(it->string) || !member_first(v, it))
			return control_fail(err, CONTROL_ERR_BAD_ARGS,
			    "%s: \"%s\" is not a path (1-%d bytes, no control characters) or is "
			    "given twice.",
			    key, show(it->string, b), CONTROL_MAX_PATH);
		if (!string_bounded(it, CONTROL_MAX_CONFIG))
			return control_fail(err, CONTROL_ERR_BAD_ARGS,
			    "%s: \"%s\" must be a string of at most %d bytes.", key,
			    show(it->string, b), CONTROL_MAX_CONFIG);
	}
	return 0;
}

static int
fleet_arg_check(const struct control_arg *spec, const cJSON *v, struct control_status *err)
{
	switch (spec->type) {
	case CONTROL_ARG_INT:
		return int_check(spec->key, v, err);
	case CONTROL_ARG_LABELS:
		return labels_check(spec->key, v, err);
	case CONTROL_ARG_KEYS:
		return keys_check(spec->key, v, err);
	case CONTROL_ARG_MATCH:
		return match_check(spec->key, v, err);
	case CONTROL_ARG_PATH:
		if (cJSON_IsString(v) && path_valid(v->valuestring))
			return 0;
		return control_fail(err, CONTROL_ERR_BAD_ARGS,
		    "%s must be a path of 1-%d bytes without control characters.", spec->key,
		    CONTROL_MAX_PATH);
	case CONTROL_ARG_TIME:
		if (cJSON_IsNumber(v) && v->valuedouble >= 0 &&
		    v->valuedouble <= 9007199254740992.0 &&
		    v->valuedouble == (double)(int64_t)v->valuedouble)
			return 0;
		return control_fail(err, CONTROL_ERR_BAD_ARGS,
		    "%s must be a time in milliseconds since the epoch.", spec->key);
	case CONTROL_ARG_WORD:
		if (cJSON_IsString(v) && word_valid(v->valuestring))
			return 0;
		return control_fail(err, CONTROL_ERR_BAD_ARGS,
		    "%s must be 1-%d printable characters without spaces.", spec->key,
		    CONTROL_WORD_MAX);
	case CONTROL_ARG_TEXT:
		if (cJSON_IsString(v))
			return 0;
		return control_fail(err, CONTROL_ERR_BAD_ARGS, "%s must be a string.", spec->key);
	case CONTROL_ARG_FILES:
		return files_check(spec->key, v, err);
	default:
		return control_fail(err, CONTROL_ERR_INTERNAL, "Unknown argument type.");
	}
}

static int
arg_check(const struct control_arg *spec, const cJSON *v, struct control_status *err)
{
	switch (spec->type) {
	case CONTROL_ARG_NAME_OR_NULL:
		if (cJSON_IsNull(v))
			return 0;
		/* fall through */
	case CONTROL_ARG_NAME:
		if (cJSON_IsString(v) && name_valid(v->valuestring))
			return 0;
		return control_fail(err, CONTROL_ERR_BAD_ARGS,
		    "%s must be a name of 1-64 characters A-Z a-z 0-9 . _ -, not starting with \".\".",
		    spec->key);
	case CONTROL_ARG_MAC:
		if (mac_is_canonical(v))
			return 0;
		return control_fail(err, CONTROL_ERR_BAD_ARGS,
		    "%s must be a MAC address like \"52:54:00:12:34:56\".", spec->key);
	case CONTROL_ARG_SOURCE:
		return source_check(v, err);
	case CONTROL_ARG_CMDLINE:
		if (cJSON_IsNull(v) || string_bounded(v, CONTROL_MAX_CMDLINE))
			return 0;
		return control_fail(err, CONTROL_ERR_BAD_ARGS,
		    "%s must be a string of at most %d bytes.", spec->key, CONTROL_MAX_CMDLINE);
	case CONTROL_ARG_MODE: {
		enum control_cmdline_mode m;

		if (cJSON_IsString(v) && control_cmdline_mode_from_string(v->valuestring, &m) == 0)
			return 0;
		return control_fail(
		    err, CONTROL_ERR_BAD_ARGS, "%s must be \"append\" or \"replace\".", spec->key);
	}
	case CONTROL_ARG_CONTENT:
		if (string_bounded(v, CONTROL_MAX_CONFIG))
			return 0;
		return control_fail(err, CONTROL_ERR_BAD_ARGS,
		    "%s must be a string of at most %d bytes.", spec->key, CONTROL_MAX_CONFIG);
	case CONTROL_ARG_BOOL:
		if (cJSON_IsBool(v))
			return 0;
		return control_fail(
		    err, CONTROL_ERR_BAD_ARGS, "%s must be true or false.", spec->key);
	default:
		return fleet_arg_check(spec, v, err);
	}
}

static const struct control_arg *
spec_find(const struct control_arg *specs, const char *key, size_t *ret_index)
{
	for (size_t i = 0; i < CONTROL_ARGS_MAX && specs[i].key != NULL; i++)
		if (strcmp(specs[i].key, key) == 0) {
			*ret_index = i;
			return &specs[i];
		}
	return NULL;
}

int
control_args_validate(
    const struct control_command *cmd, const cJSON *args, struct control_status *ret_error)
{
	const struct control_arg *specs;
	unsigned seen = 0;
	const cJSON *it;
	char b[48];

	if (cmd == NULL)
		return control_fail(ret_error, CONTROL_ERR_UNKNOWN_COMMAND, "Unknown command.");
	if (args != NULL && !cJSON_IsObject(args))
		return control_fail(ret_error, CONTROL_ERR_BAD_ARGS, "The args must be an object.");
	specs = cmd->args;
	cJSON_ArrayForEach(it, args)
	{
		size_t i;
		const struct control_arg *s = spec_find(specs, it->string, &i);
		int k;

		if (s == NULL)
			return control_fail(ret_error, CONTROL_ERR_BAD_ARGS,
			    "%s takes no argument \"%s\".", cmd->name, show(it->string, b));
		if (seen & (1u << i))
			return control_fail(ret_error, CONTROL_ERR_BAD_ARGS,
			    "Argument \"%s\" is given twice.", s->key);
		seen |= 1u << i;
		k = arg_check(s, it, ret_error);
		if (k < 0)
			return k;
	}
	for (size_t i = 0; i < CONTROL_ARGS_MAX && specs[i].key != NULL; i++)
		if (specs[i].required && !(seen & (1u << i)))
			return control_fail(ret_error, CONTROL_ERR_BAD_ARGS,
			    "%s needs the argument \"%s\".", cmd->name, specs[i].key);
	return 0;
}

/* ---- Builders ---- */

static int
frame_from_json(const cJSON *root, uint8_t **ret, size_t *ret_len)
{
	char *text = cJSON_PrintUnformatted(root);
	uint8_t *frame;
	size_t n;

	if (text == NULL)
		return -ENOMEM;
	n = strlen(text);
	if (n == 0 || n > CONTROL_MAX_FRAME) {
		cJSON_free(text);
		return -EMSGSIZE;
	}
	frame = malloc(CONTROL_HEADER_LEN + n);
	if (frame == NULL) {
		cJSON_free(text);
		return -ENOMEM;
	}
	control_frame_header((uint32_t)n, frame);
	memcpy(frame + CONTROL_HEADER_LEN, text, n);
	cJSON_free(text);
	*ret = frame;
	*ret_len = CONTROL_HEADER_LEN + n;
	return 0;
}

/* Add a borrowed value (or null when NULL) under 'key'. */
static bool
add_borrowed(cJSON *obj, const char *key, const cJSON *v)
{
	if (v == NULL)
		return cJSON_AddNullToObject(obj, key) != NULL;
	return cJSON_AddItemReferenceToObject(obj, key, (cJSON *)v);
}

static int
build_and_free(cJSON *root, bool ok, uint8_t **ret, size_t *ret_len)
{
	int k = ok ? frame_from_json(root, ret, ret_len) : -ENOMEM;

	cJSON_Delete(root);
	return k;
}

int
control_request_build(const char *command, const cJSON *args, uint8_t **ret, size_t *ret_len)
{
	cJSON *root;
	bool ok;

	if (command == NULL || (args != NULL && !cJSON_IsObject(args)))
		return -EINVAL;
	root = cJSON_CreateObject();
	ok = root != NULL && cJSON_AddNumberToObject(root, "version", CONTROL_PROTOCOL_VERSION) &&
	     cJSON_AddStringToObject(root, "command", command) &&
	     (args == NULL || add_borrowed(root, "args", args));
	return build_and_free(root, ok, ret, ret_len);
}

int
control_reply_ok_build(const cJSON *data, uint8_t **ret, size_t *ret_len)
{
	cJSON *root = cJSON_CreateObject();
	bool ok;

	ok = root != NULL && cJSON_AddTrueToObject(root, "ok") && add_borrowed(root, "data", data);
	return build_and_free(root, ok, ret, ret_len);
}

int
control_reply_error_build(
    enum control_error code, const char *message, uint8_t **ret, size_t *ret_len)
{
	const char *name = control_error_to_string(code);
	cJSON *root, *error;
	bool ok;

	if (name == NULL || message == NULL)
		return -EINVAL;
	root = cJSON_CreateObject();
	ok = root != NULL && cJSON_AddFalseToObject(root, "ok") &&
	     (error = cJSON_AddObjectToObject(root, "error")) != NULL &&
	     cJSON_AddStringToObject(error, "code", name) &&
	     cJSON_AddStringToObject(error, "message", message);
	return build_and_free(root, ok, ret, ret_len);
}

int
control_event_build(const char *event, const cJSON *data, uint8_t **ret, size_t *ret_len)
{
	cJSON *root;
	bool ok;

	if (event == NULL)
		return -EINVAL;
	root = cJSON_CreateObject();
	ok = root != NULL && cJSON_AddStringToObject(root, "event", event) &&
	     add_borrowed(root, "data", data);
	return build_and_free(root, ok, ret, ret_len);
}

/* ---- Messages from the daemon ---- */

static int
message_classify(cJSON *root, struct control_message *m)
{
	const cJSON *ok = cJSON_GetObjectItemCaseSensitive(root, "ok");
	const cJSON *event = cJSON_GetObjectItemCaseSensitive(root, "event");
	const cJSON *data = cJSON_GetObjectItemCaseSensitive(root, "data");
	const cJSON *error, *code, *text;

	*m = (struct control_message){.root = root, .data = data};
	if (cJSON_IsString(event) && ok == NULL) {
		m->kind = CONTROL_MSG_EVENT;
		m->event = event->valuestring;
		return data != NULL ? 0 : -EBADMSG;
	}
	if (cJSON_IsTrue(ok) && event == NULL) {
		m->kind = CONTROL_MSG_OK;
		if (data == NULL)
			m->data = cJSON_AddNullToObject(root, "data");
		return m->data != NULL ? 0 : -ENOMEM;
	}
	error = cJSON_GetObjectItemCaseSensitive(root, "error");
	code = cJSON_GetObjectItemCaseSensitive(error, "code");
	text = cJSON_GetObjectItemCaseSensitive(error, "message");
	if (!cJSON_IsFalse(ok) || event != NULL || !cJSON_IsString(code) || !cJSON_IsString(text))
		return -EBADMSG;
	m->kind = CONTROL_MSG_ERROR;
	m->error = error;
	m->code = code->valuestring;
	m->text = text->valuestring;
	return 0;
}

int
control_message_parse(const void *buf, size_t len, struct control_message *ret)
{
	struct control_message m;
	const char *why;
	cJSON *root;
	int k;

	root = json_parse(buf, len, &why);
	if (root == NULL || !cJSON_IsObject(root)) {
		cJSON_Delete(root);
		return -EBADMSG;
	}
	k = message_classify(root, &m);
	if (k < 0) {
		cJSON_Delete(root);
		return k;
	}
	*ret = m;
	return 0;
}

void
control_message_done(struct control_message *m)
{
	cJSON_Delete(m->root);
	m->root = NULL;
}

const char *
control_json_string(const cJSON *obj, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}
