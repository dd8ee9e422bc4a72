/*
 * The import child's report lines (see import-report.h).
 */
#include "import-report.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "util.h"

/* A short name: 1..IMPORT_REPORT_MAX_NAME-1 printable ASCII bytes. */
static int
name_copy(const cJSON *v, char out[IMPORT_REPORT_MAX_NAME])
{
	size_t n;

	if (!cJSON_IsString(v))
		return -EBADMSG;
	n = strlen(v->valuestring);
	if (n == 0 || n >= IMPORT_REPORT_MAX_NAME)
		return -EBADMSG;
	for (size_t i = 0; i < n; i++)
		if (v->valuestring[i] < 0x21 || v->valuestring[i] > 0x7e)
			return -EBADMSG;
	memcpy(out, v->valuestring, n + 1);
	return 0;
}

/* A byte count: an integer in [0, 2^53] (what a JSON number holds exactly). */
static int
count_get(const cJSON *v, uint64_t *ret)
{
	if (!cJSON_IsNumber(v) || v->valuedouble < 0 || v->valuedouble > 9007199254740992.0 ||
	    v->valuedouble != (double)(uint64_t)v->valuedouble)
		return -EBADMSG;
	*ret = (uint64_t)v->valuedouble;
	return 0;
}

static bool
digest_valid(const char *s)
{
	if (strncmp(s, "sha256:", 7) != 0 || strlen(s) != 7 + 64)
		return false;
	for (const char *p = s + 7; *p != '\0'; p++)
		if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
			return false;
	return true;
}

/* A message: cut to the cap (at a UTF-8 boundary), control characters as spaces. */
static void
message_copy(const char *s, char out[IMPORT_REPORT_MAX_MESSAGE])
{
	size_t n = strlen(s);

	if (n >= IMPORT_REPORT_MAX_MESSAGE) {
		n = IMPORT_REPORT_MAX_MESSAGE - 1;
		while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
			n--;
	}
	for (size_t i = 0; i < n; i++)
		out[i] = (unsigned char)s[i] < 0x20 || s[i] == 0x7f ? ' ' : s[i];
	out[n] = '\0';
}

static int
parse_end(const cJSON *o, struct import_report *r)
{
	const cJSON *ok = cJSON_GetObjectItemCaseSensitive(o, "ok");
	const cJSON *digest = cJSON_GetObjectItemCaseSensitive(o, "manifest_digest");
	const cJSON *err = cJSON_GetObjectItemCaseSensitive(o, "errno");
	const cJSON *msg = cJSON_GetObjectItemCaseSensitive(o, "error");

	if (cJSON_IsTrue(ok)) {
		r->type = IMPORT_REPORT_OK;
		if (digest == NULL)
			return 0;
		if (!cJSON_IsString(digest) || !digest_valid(digest->valuestring))
			return -EBADMSG;
		memcpy(r->manifest_digest, digest->valuestring, IMPORT_REPORT_DIGEST);
		return 0;
	}
	if (!cJSON_IsFalse(ok) || !cJSON_IsNumber(err) || !cJSON_IsString(msg) ||
	    err->valuedouble < 1 || err->valuedouble > 4095 ||
	    err->valuedouble != (double)(int)err->valuedouble)
		return -EBADMSG;
	r->type = IMPORT_REPORT_ERROR;
	r->error = -(int)err->valuedouble;
	message_copy(msg->valuestring, r->message);
	return 0;
}

static int
parse_object(const cJSON *o, struct import_report *r)
{
	const cJSON *phase = cJSON_GetObjectItemCaseSensitive(o, "phase");
	int k;

	if (!cJSON_IsObject(o))
		return -EBADMSG;
	if (phase == NULL)
		return parse_end(o, r);
	r->type = IMPORT_REPORT_PROGRESS;
	if ((k = name_copy(phase, r->phase)) < 0 ||
	    (k = name_copy(cJSON_GetObjectItemCaseSensitive(o, "file"), r->file)) < 0 ||
	    (k = count_get(cJSON_GetObjectItemCaseSensitive(o, "done"), &r->done)) < 0 ||
	    (k = count_get(cJSON_GetObjectItemCaseSensitive(o, "total"), &r->total)) < 0)
		return k;
	return 0;
}

int
import_report_parse(const char *line, size_t n, struct import_report *ret)
{
	struct import_report r = {0};
	cJSON *o;
	int k;

	if (n > IMPORT_REPORT_MAX_LINE)
		return -E2BIG;
	if (memchr(line, '\0', n) != NULL || memchr(line, '\n', n) != NULL)
		return -EBADMSG;
	o = cJSON_ParseWithLength(line, n);
	if (o == NULL)
		return -EBADMSG;
	k = parse_object(o, &r);
	cJSON_Delete(o);
	if (k < 0)
		return k;
	*ret = r;
	return 0;
}

static cJSON *
format_object(const struct import_report *r)
{
	cJSON *o = cJSON_CreateObject();
	char msg[IMPORT_REPORT_MAX_MESSAGE];
	bool ok = o != NULL;

	switch (r->type) {
	case IMPORT_REPORT_PROGRESS:
		ok = ok && cJSON_AddStringToObject(o, "phase", r->phase) != NULL &&
		     cJSON_AddStringToObject(o, "file", r->file) != NULL &&
		     cJSON_AddNumberToObject(o, "done", (double)r->done) != NULL &&
		     cJSON_AddNumberToObject(o, "total", (double)r->total) != NULL;
		break;
	case IMPORT_REPORT_OK:
		ok = ok && cJSON_AddTrueToObject(o, "ok") != NULL &&
		     (r->manifest_digest[0] == '\0' ||
		         cJSON_AddStringToObject(o, "manifest_digest", r->manifest_digest) != NULL);
		break;
	case IMPORT_REPORT_ERROR:
		message_copy(r->message, msg);
		ok = ok && cJSON_AddFalseToObject(o, "ok") != NULL &&
		     cJSON_AddNumberToObject(o, "errno", r->error < 0 ? -r->error : EIO) != NULL &&
		     cJSON_AddStringToObject(o, "error", msg) != NULL;
		break;
	}
	if (!ok) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

int
import_report_format(const struct import_report *r, char *buf, size_t size)
{
	cJSON *o = format_object(r);
	char *s;
	size_t n;

	if (o == NULL)
		return -ENOMEM;
	s = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	if (s == NULL)
		return -ENOMEM;
	n = strlen(s);
	if (n + 2 > size || n > IMPORT_REPORT_MAX_LINE) {
		cJSON_free(s);
		return -ENOBUFS;
	}
	memcpy(buf, s, n);
	buf[n] = '\n';
	buf[n + 1] = '\0';
	cJSON_free(s);
	return (int)(n + 1);
}
