/*
 * Distribution API v2 client: see registry.h.
 *
 * Layout: pure helpers (challenge parser, auth file), then one HTTP request
 * with our own redirect and authentication handling (request_once,
 * request), then manifests, blobs and the pull.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <openssl/evp.h>

#include "error.h"
#include "io.h"
#include "oci-manifest.h"
#include "oci-ref.h"
#include "registry.h"
#include "util.h"

/* ---- WWW-Authenticate ---- */

void
registry_challenge_free(struct registry_challenge *c)
{
	if (c == NULL)
		return;
	free(c->realm);
	free(c->service);
	free(c->scope);
	free(c);
}

static bool
is_tchar(char c)
{
	return isalnum((unsigned char)c) || (c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

static const char *
skip_ows(const char *p)
{
	while (*p == ' ' || *p == '\t')
		p++;
	return p;
}

/* A token or quoted-string at *pp into a new string. */
static int
parse_param_value(const char **pp, char **ret)
{
	const char *p = *pp;
	char *out, *o;

	if ((out = malloc(strlen(p) + 1)) == NULL)
		return -ENOMEM;
	o = out;
	if (*p == '"') {
		for (p++; *p != '"'; p++) {
			if (*p == '\\')
				p++;
			if (*p == '\0' || (unsigned char)*p < 0x20 || *p == 0x7f) {
				free(out);
				return -EBADMSG;
			}
			*o++ = *p;
		}
		p++;
	} else {
		while (is_tchar(*p) || *p == '/' || *p == ':' || *p == '=')
			*o++ = *p++;
		if (o == out) {
			free(out);
			return -EBADMSG;
		}
	}
	*o = '\0';
	*pp = p;
	*ret = out;
	return 0;
}

static char **
challenge_slot(struct registry_challenge *c, const char *name, size_t n)
{
	if (n == 5 && strncasecmp(name, "realm", 5) == 0)
		return &c->realm;
	if (n == 7 && strncasecmp(name, "service", 7) == 0)
		return &c->service;
	if (n == 5 && strncasecmp(name, "scope", 5) == 0)
		return &c->scope;
	return NULL;
}

/* One name=value; 1 when the next thing is a new challenge (a name without '='). */
static int
parse_param(const char **pp, struct registry_challenge *c)
{
	const char *p = *pp, *name = p;
	char *value = NULL, **slot;
	size_t n;
	int r;

	while (is_tchar(*p))
		p++;
	if ((n = (size_t)(p - name)) == 0)
		return -EBADMSG;
	p = skip_ows(p);
	if (*p != '=')
		return 1;
	p = skip_ows(p + 1);
	if ((r = parse_param_value(&p, &value)) < 0)
		return r;
	slot = challenge_slot(c, name, n);
	if (slot != NULL && *slot != NULL) {
		free(value);
		return -EBADMSG;
	}
	if (slot != NULL)
		*slot = value;
	else
		free(value);
	*pp = p;
	return 0;
}

static int
parse_params(const char *p, struct registry_challenge *c)
{
	int r;

	for (;;) {
		p = skip_ows(p);
		if (*p == '\0')
			return 0;
		if ((r = parse_param(&p, c)) != 0)
			return r > 0 ? 0 : r;
		p = skip_ows(p);
		if (*p == '\0')
			return 0;
		if (*p != ',')
			return -EBADMSG;
		p++;
	}
}

int
registry_challenge_parse(const char *value, struct registry_challenge **ret)
{
	struct registry_challenge *c;
	const char *p = skip_ows(value), *scheme = p;
	size_t n;
	int r;

	if (strlen(value) > REGISTRY_MAX_CHALLENGE)
		return -EBADMSG;
	while (is_tchar(*p))
		p++;
	n = (size_t)(p - scheme);
	if (n == 0 || (*p != ' ' && *p != '\t' && *p != '\0'))
		return -EBADMSG;
	if (!(n == 6 && strncasecmp(scheme, "Bearer", 6) == 0) &&
	    !(n == 5 && strncasecmp(scheme, "Basic", 5) == 0))
		return -EOPNOTSUPP;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return -ENOMEM;
	c->scheme = n == 6 ? REGISTRY_AUTH_BEARER : REGISTRY_AUTH_BASIC;
	r = parse_params(p, c);
	if (r == 0 && c->scheme == REGISTRY_AUTH_BEARER && c->realm == NULL)
		r = -EBADMSG;
	if (r < 0) {
		registry_challenge_free(c);
		return r;
	}
	*ret = c;
	return 0;
}

/* ---- the auth file ---- */

/* "https://Host:5000/v1/" -> "host:5000" in buf. */
static void
auth_key_host(const char *key, char *buf, size_t size)
{
	const char *p = strstr(key, "://");
	size_t n;

	p = p != NULL ? p + 3 : key;
	n = strcspn(p, "/");
	if (n >= size)
		n = size - 1;
	for (size_t i = 0; i < n; i++)
		buf[i] = (char)tolower((unsigned char)p[i]);
	buf[n] = '\0';
}

static bool
auth_key_matches(const char *key, const char *registry)
{
	static const char *const hub[] = {"docker.io", "index.docker.io", OCI_REF_DOCKER_HOST};
	char host[256];
	bool key_hub = false, reg_hub = false;

	auth_key_host(key, host, sizeof(host));
	if (strcasecmp(host, registry) == 0)
		return true;
	for (size_t i = 0; i < ELEMENTSOF(hub); i++) {
		key_hub |= strcmp(host, hub[i]) == 0;
		reg_hub |= strcasecmp(registry, hub[i]) == 0;
	}
	return key_hub && reg_hub;
}

static int
auth_decode(const char *b64, char **ret_user, char **ret_password)
{
	size_t len = strlen(b64);
	_cleanup_free_ unsigned char *out = NULL;
	char *colon;
	int n;

	if (len == 0 || len % 4 != 0 || len > 4096)
		return -EBADMSG;
	if ((out = malloc(len / 4 * 3 + 1)) == NULL)
		return -ENOMEM;
	n = EVP_DecodeBlock(out, (const unsigned char *)b64, (int)len);
	if (n < 0)
		return -EBADMSG;
	/* EVP_DecodeBlock counts the '=' padding as zero bytes. */
	for (size_t i = len; i > 0 && b64[i - 1] == '=' && n > 0; i--)
		n--;
	out[n] = '\0';
	if (memchr(out, '\0', (size_t)n) != NULL || (colon = strchr((char *)out, ':')) == NULL)
		return -EBADMSG;
	*colon = '\0';
	if ((*ret_user = strdup((char *)out)) == NULL)
		return -ENOMEM;
	if ((*ret_password = strdup(colon + 1)) == NULL) {
		free(*ret_user);
		*ret_user = NULL;
		return -ENOMEM;
	}
	return 0;
}

int
registry_auth_lookup(
    const char *json, size_t len, const char *registry, char **ret_user, char **ret_password)
{
	cJSON *root, *auths, *it;
	int r = -ENOENT;

	if (len > REGISTRY_MAX_AUTH_FILE || memchr(json, '\0', len) != NULL)
		return -EBADMSG;
	if ((root = cJSON_ParseWithLength(json, len)) == NULL)
		return -EBADMSG;
	auths = cJSON_GetObjectItemCaseSensitive(root, "auths");
	if (!cJSON_IsObject(root) || (auths != NULL && !cJSON_IsObject(auths))) {
		r = -EBADMSG;
		auths = NULL;
	}
	cJSON_ArrayForEach(it, auths)
	{
		const cJSON *a = cJSON_GetObjectItemCaseSensitive(it, "auth");
		char *user = NULL, *password = NULL;

		if (it->string == NULL || !auth_key_matches(it->string, registry))
			continue;
		if (!cJSON_IsString(a))
			continue; /* e.g. a credential helper entry: not for us */
		r = auth_decode(a->valuestring, &user, &password);
		if (r == 0) {
			*ret_user = user;
			*ret_password = password;
		}
		break;
	}
	cJSON_Delete(root);
	return r;
}

/* ---- one HTTP exchange ---- */

struct sink {
	/* memory: a manifest or token, at most 'max' bytes */
	char *buf;
	size_t len, cap, max;
	/* file: a blob; 'offset' bytes already in fd (and hashed into md) */
	int fd;
	EVP_MD_CTX *md;
	uint64_t offset, limit;
	uint64_t range_from; /* what we asked for with Range (0: none) */
	const char *digest;  /* for progress */
	int error;           /* why the write callback stopped: -EFBIG, -errno, -ERANGE */
	bool started;
};

struct session {
	const struct registry_opts *opts;
	const struct oci_ref *ref;
	const atomic_bool *cancel;
	registry_progress_fn progress;
	void *userdata;
	CURL *curl;
	char *base; /* "https://host[:port]" */
	bool insecure;
	char *basic;    /* "Basic <b64>" or NULL */
	bool use_basic; /* the registry asked for Basic: send it */
	char *bearer;   /* "Bearer <token>" or NULL */
	bool transient; /* the last failure may go away on retry */
	char *error;
};

struct response {
	long status;
	char *www_auth;
	char *content_type;
	char *docker_digest;
	uint64_t range_start;
	bool has_range;
	char errbody[256];
	size_t errlen;
	struct sink *sink;
};

static void
response_clear(struct response *resp)
{
	free(resp->www_auth);
	free(resp->content_type);
	free(resp->docker_digest);
	*resp = (struct response){.sink = resp->sink};
}

/* Record the session's error message and return r. */
#define fail(s, r, ...) error_set(&(s)->error, (r), __VA_ARGS__)

static bool
cancelled(const struct session *s)
{
	return s->cancel != NULL && atomic_load(s->cancel);
}

/* "Name: value\r\n" -> a copy of value when the name matches. */
static void
header_value(const char *line, size_t n, const char *name, char **dst)
{
	size_t nl = strlen(name);
	const char *v;

	if (n <= nl || strncasecmp(line, name, nl) != 0 || line[nl] != ':')
		return;
	v = skip_ows(line + nl + 1);
	n -= (size_t)(v - line);
	while (n > 0 && (v[n - 1] == '\r' || v[n - 1] == '\n' || v[n - 1] == ' '))
		n--;
	free(*dst);
	*dst = strndup(v, n);
}

static size_t
on_header(char *line, size_t size, size_t nitems, void *userdata)
{
	struct response *resp = userdata;
	size_t n = size * nitems;
	char *range = NULL;

	if (n > 5 && strncmp(line, "HTTP/", 5) == 0) {
		const char *sp = memchr(line, ' ', n);
		size_t at = sp != NULL ? (size_t)(sp - line) + 1 : n;

		response_clear(resp);
		/* "HTTP/1.1 200 OK": three digits (the line is not NUL-terminated) */
		for (size_t i = at; i < at + 3 && i < n && isdigit((unsigned char)line[i]); i++)
			resp->status = resp->status * 10 + (line[i] - '0');
		return n;
	}
	header_value(line, n, "WWW-Authenticate", &resp->www_auth);
	header_value(line, n, "Content-Type", &resp->content_type);
	header_value(line, n, "Docker-Content-Digest", &resp->docker_digest);
	header_value(line, n, "Content-Range", &range);
	if (range != NULL) {
		unsigned long long start = 0;

		resp->has_range = sscanf(range, "bytes %llu-", &start) == 1;
		resp->range_start = start;
		free(range);
	}
	return n;
}

static int sink_restart(struct sink *k);

/* The first body bytes of a 2xx: decide between appending and restarting. */
static int
sink_start(struct sink *k, const struct response *resp)
{
	if (k->fd < 0)
		return 0;
	if (resp->status == 206 && (!resp->has_range || resp->range_start != k->range_from))
		return -ERANGE;
	if (resp->status == 206)
		return 0;
	/* A whole body: start the file and the digest again. */
	return sink_restart(k);
}

static int
sink_write_file(struct sink *k, const char *p, size_t n)
{
	if (k->offset + n > k->limit)
		return -EFBIG;
	EVP_DigestUpdate(k->md, p, n);
	for (size_t done = 0; done < n;) {
		ssize_t w = write(k->fd, p + done, n - done);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -errno;
		done += (size_t)w;
	}
	k->offset += n;
	return 0;
}

static int
sink_write(struct sink *k, const struct response *resp, const char *p, size_t n)
{
	int r;

	if (!k->started) {
		if ((r = sink_start(k, resp)) < 0)
			return r;
		k->started = true;
	}
	if (k->fd >= 0)
		return sink_write_file(k, p, n);
	if (n > k->max - k->len)
		return -EFBIG;
	if (k->len + n + 1 > k->cap) {
		size_t cap = k->cap ? k->cap : 16384;
		char *b;

		while (cap < k->len + n + 1)
			cap *= 2;
		if ((b = realloc(k->buf, cap)) == NULL)
			return -ENOMEM;
		k->buf = b;
		k->cap = cap;
	}
	memcpy(k->buf + k->len, p, n);
	k->len += n;
	k->buf[k->len] = '\0';
	return 0;
}

struct xfer {
	struct session *s;
	struct response *resp;
};

static size_t
on_body(char *p, size_t size, size_t nmemb, void *userdata)
{
	struct xfer *x = userdata;
	struct response *resp = x->resp;
	size_t n = size * nmemb;

	if (resp->status < 200 || resp->status > 299) {
		size_t room = sizeof(resp->errbody) - 1 - resp->errlen;

		memcpy(resp->errbody + resp->errlen, p, n < room ? n : room);
		resp->errlen += n < room ? n : room;
		resp->errbody[resp->errlen] = '\0';
		return n;
	}
	if ((resp->sink->error = sink_write(resp->sink, resp, p, n)) < 0)
		return 0;
	if (x->s->progress != NULL && resp->sink->fd >= 0)
		x->s->progress(
		    resp->sink->digest, resp->sink->offset, resp->sink->limit, x->s->userdata);
	return n;
}

static int
on_xferinfo(
    void *userdata, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal, curl_off_t ulnow)
{
	struct xfer *x = userdata;

	return cancelled(x->s) ? 1 : 0;
}

/* A server that ignored our Range: start the blob again on the next attempt. */
static int
sink_restart(struct sink *k)
{
	if (ftruncate(k->fd, 0) < 0 || lseek(k->fd, 0, SEEK_SET) < 0)
		return -errno;
	if (EVP_DigestInit_ex(k->md, EVP_sha256(), NULL) != 1)
		return -ENOMEM;
	k->offset = 0;
	return 0;
}

static int
curl_error(struct session *s, CURLcode c, struct sink *k, const char *url)
{
	s->transient = false;
	switch (c) {
	case CURLE_ABORTED_BY_CALLBACK:
		return fail(s, -ECANCELED, "the pull was cancelled");
	case CURLE_WRITE_ERROR:
		if (k->error == -EFBIG)
			return fail(s, -EFBIG, "\"%s\" sent more than the %llu bytes expected", url,
			    (unsigned long long)(k->fd >= 0 ? k->limit : k->max));
		if (k->error == -ERANGE) {
			s->transient = sink_restart(k) == 0;
			return fail(
			    s, -EIO, "\"%s\" answered a Range request with another range", url);
		}
		return fail(s, k->error, "cannot write the download: %s", strerror(-k->error));
	case CURLE_OPERATION_TIMEDOUT:
		s->transient = true;
		return fail(s, -ETIMEDOUT, "\"%s\" timed out", url);
	case CURLE_COULDNT_CONNECT:
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_RECV_ERROR:
	case CURLE_SEND_ERROR:
	case CURLE_PARTIAL_FILE:
	case CURLE_GOT_NOTHING:
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
		s->transient = true;
		return fail(
		    s, -ECONNRESET, "fetching \"%s\" failed: %s", url, curl_easy_strerror(c));
	default:
		return fail(s, -EIO, "fetching \"%s\" failed: %s", url, curl_easy_strerror(c));
	}
}

static int
request_setup(struct session *s, const char *url, struct curl_slist *headers, struct xfer *x)
{
	CURL *c = s->curl;
	unsigned stall = s->opts->stall_timeout_s ? s->opts->stall_timeout_s : 60;

	curl_easy_reset(c);
	if (curl_easy_setopt(c, CURLOPT_URL, url) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https") != CURLE_OK)
		return fail(s, -EINVAL, "cannot fetch \"%s\": not an HTTP or HTTPS URL", url);
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(c, CURLOPT_USERAGENT,
	    s->opts->user_agent ? s->opts->user_agent : "netbootd/" NETBOOTD_VERSION);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 30L);
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, (long)stall);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, x->resp);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, x);
	curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_xferinfo);
	curl_easy_setopt(c, CURLOPT_XFERINFODATA, x);
	curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
	return 0;
}

/* One GET without following anything: 0 with resp filled (any status), or a transport error. */
static int
request_once(
    struct session *s, const char *url, const char *accept, const char *auth, struct response *resp)
{
	struct curl_slist *headers = NULL, *h;
	struct xfer x = {.s = s, .resp = resp};
	char *line = NULL, range[48];
	struct sink *k = resp->sink;
	CURLcode c;
	int r;

	response_clear(resp);
	k->started = false;
	k->error = 0;
	k->len = 0;
	if (accept != NULL && asprintf(&line, "Accept: %s", accept) >= 0) {
		headers = curl_slist_append(headers, line);
		free(line);
	}
	if (auth != NULL && asprintf(&line, "Authorization: %s", auth) >= 0) {
		if ((h = curl_slist_append(headers, line)) != NULL)
			headers = h;
		free(line);
	}
	if ((r = request_setup(s, url, headers, &x)) < 0) {
		curl_slist_free_all(headers);
		return r;
	}
	k->range_from = k->fd >= 0 ? k->offset : 0;
	if (k->range_from > 0) {
		snprintf(range, sizeof(range), "%llu-", (unsigned long long)k->offset);
		curl_easy_setopt(s->curl, CURLOPT_RANGE, range);
	}
	c = curl_easy_perform(s->curl);
	curl_slist_free_all(headers);
	if (c != CURLE_OK)
		return curl_error(s, c, k, url);
	return 0;
}

/* ---- authentication and redirects ---- */

/* scheme://host:port of a URL, lower-case, into a new string; NULL if unparsable. */
static char *
url_origin(const char *url, bool *ret_https)
{
	CURLU *u = curl_url();
	char *scheme = NULL, *host = NULL, *port = NULL, *o = NULL;

	if (u != NULL && curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) == CURLUE_OK) {
		for (char *p = host; *p != '\0'; p++)
			*p = (char)tolower((unsigned char)*p);
		if (asprintf(&o, "%s://%s:%s", scheme, host, port) < 0)
			o = NULL;
		if (ret_https != NULL)
			*ret_https = strcasecmp(scheme, "https") == 0;
	}
	curl_free(scheme);
	curl_free(host);
	curl_free(port);
	curl_url_cleanup(u);
	return o;
}

static bool
same_origin(const char *a, const char *b)
{
	_cleanup_free_ char *oa = url_origin(a, NULL), *ob = url_origin(b, NULL);

	return oa != NULL && ob != NULL && strcmp(oa, ob) == 0;
}

static int
token_from_json(struct session *s, const char *json, size_t len)
{
	cJSON *root = cJSON_ParseWithLength(json, len);
	const cJSON *t = cJSON_GetObjectItemCaseSensitive(root, "token");
	int r = 0;

	if (!cJSON_IsString(t))
		t = cJSON_GetObjectItemCaseSensitive(root, "access_token");
	if (!cJSON_IsString(t) || t->valuestring[0] == '\0' ||
	    strlen(t->valuestring) > REGISTRY_MAX_TOKEN ||
	    strspn(t->valuestring, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	                           "-._~+/=") != strlen(t->valuestring))
		r = fail(s, -EACCES, "the token endpoint's answer has no valid token");
	else {
		free(s->bearer);
		if (asprintf(&s->bearer, "Bearer %s", t->valuestring) < 0) {
			s->bearer = NULL;
			r = -ENOMEM;
		}
	}
	cJSON_Delete(root);
	return r;
}

static char *
token_url(struct session *s, const struct registry_challenge *ch)
{
	_cleanup_free_ char *scope = NULL;
	char *service = NULL, *esc_scope = NULL, *url = NULL;

	if (ch->scope == NULL && asprintf(&scope, "repository:%s:pull", s->ref->repository) < 0)
		return NULL;
	esc_scope = curl_easy_escape(s->curl, ch->scope ? ch->scope : scope, 0);
	if (ch->service != NULL)
		service = curl_easy_escape(s->curl, ch->service, 0);
	if (esc_scope != NULL && (ch->service == NULL || service != NULL) &&
	    asprintf(&url, "%s%sscope=%s%s%s", ch->realm, strchr(ch->realm, '?') ? "&" : "?",
	        esc_scope, service ? "&service=" : "", service ? service : "") < 0)
		url = NULL;
	curl_free(esc_scope);
	curl_free(service);
	return url;
}

/* GET the realm (with the Basic credentials, if any) and keep its token. */
static int
token_fetch(struct session *s, const struct registry_challenge *ch)
{
	struct sink k = {.fd = -1, .max = 64 * 1024};
	struct response resp = {.sink = &k};
	_cleanup_free_ char *url = token_url(s, ch);
	bool https = false;
	_cleanup_free_ char *origin = NULL;
	int r;

	if (url == NULL || (origin = url_origin(url, &https)) == NULL)
		return fail(
		    s, -EACCES, "the registry's token realm \"%s\" is not a URL", ch->realm);
	if (!https && !s->insecure)
		return fail(
		    s, -EACCES, "the registry's token realm \"%s\" is not HTTPS", ch->realm);
	r = request_once(s, url, "application/json", s->basic, &resp);
	if (r == 0 && resp.status >= 500)
		s->transient = true,
		r = fail(s, -EIO, "the token endpoint answered %ld", resp.status);
	else if (r == 0 && resp.status != 200)
		r = fail(s, -EACCES, "the token endpoint refused access (HTTP %ld)", resp.status);
	else if (r == 0)
		r = token_from_json(s, k.buf ? k.buf : "", k.len);
	response_clear(&resp);
	free(k.buf);
	return r;
}

/* A 401 from the registry: get a token (or use Basic).  0: try again. */
static int
answer_challenge(struct session *s, const struct response *resp, bool refreshed)
{
	struct registry_challenge *ch = NULL;
	int r;

	if (resp->www_auth == NULL || (r = registry_challenge_parse(resp->www_auth, &ch)) < 0)
		return fail(s, -EACCES, "the registry requires authentication%s",
		    resp->www_auth ? " with an unsupported scheme" : "");
	if (ch->scheme == REGISTRY_AUTH_BASIC) {
		if (s->basic == NULL)
			r = fail(s, -EACCES,
			    "the registry \"%s\" requires a user name and password and "
			    "the auth file has none for it",
			    s->ref->registry);
		else if (refreshed)
			r = fail(s, -EACCES,
			    "the registry \"%s\" refused the credentials of the auth file",
			    s->ref->registry);
		else
			r = 0;
		if (r == 0) {
			free(s->bearer);
			s->bearer = NULL;
			s->use_basic = true;
		}
	} else {
		r = refreshed ? fail(s, -EACCES, "the registry refused the token")
		              : token_fetch(s, ch);
	}
	registry_challenge_free(ch);
	return r;
}

static int
status_error(struct session *s, const struct response *resp, const char *url)
{
	long st = resp->status;

	s->transient = st >= 500 || st == 429 || st == 408;
	if (st == 404)
		return fail(s, -ENOENT, "\"%s\" was not found (HTTP 404)", url);
	if (st == 401 || st == 403)
		return fail(s, -EACCES, "access to \"%s\" was denied (HTTP %ld)", url, st);
	return fail(s, s->transient ? -EIO : -EPROTO, "\"%s\" answered HTTP %ld%s%.120s", url, st,
	    resp->errlen ? ": " : "", resp->errlen ? resp->errbody : "");
}

static int
follow_redirect(
    struct session *s, const struct response *resp, const char *from, char **url, bool *with_auth)
{
	char *next = NULL;
	bool https_from = false, https_to = false;
	_cleanup_free_ char *o2 = NULL;

	free(url_origin(from, &https_from)); /* only whether it is HTTPS */
	if (curl_easy_getinfo(s->curl, CURLINFO_REDIRECT_URL, &next) != CURLE_OK || next == NULL ||
	    (o2 = url_origin(next, &https_to)) == NULL)
		return fail(s, -EPROTO, "\"%s\" redirects without a valid Location", from);
	if (https_from && !https_to)
		return fail(
		    s, -EPROTO, "refusing the redirect from HTTPS to plain HTTP \"%s\"", next);
	/* Credentials only ever go to the registry itself. */
	*with_auth = *with_auth && same_origin(next, s->base);
	if ((next = strdup(next)) == NULL)
		return -ENOMEM;
	free(*url);
	*url = next;
	return 0;
}

/* GET with authentication and redirects; 0 on a 2xx. */
static int
request(struct session *s, const char *start_url, const char *accept, struct response *resp)
{
	_cleanup_free_ char *url = strdup(start_url);
	bool with_auth = true, refreshed = false;
	unsigned hops = 0;
	int r;

	if (url == NULL)
		return -ENOMEM;
	for (;;) {
		const char *auth = !with_auth     ? NULL
		                   : s->bearer    ? s->bearer
		                   : s->use_basic ? s->basic
		                                  : NULL;

		s->transient = false;
		if ((r = request_once(s, url, accept, auth, resp)) < 0)
			break;
		if (resp->status == 401 && with_auth) {
			if ((r = answer_challenge(s, resp, refreshed)) < 0)
				break;
			refreshed = true;
		} else if (resp->status >= 300 && resp->status < 400 && resp->status != 304) {
			if (++hops > REGISTRY_MAX_REDIRECTS) {
				r = fail(s, -ELOOP, "more than %d redirects from \"%s\"",
				    REGISTRY_MAX_REDIRECTS, start_url);
				break;
			}
			if ((r = follow_redirect(s, resp, url, &url, &with_auth)) < 0)
				break;
		} else {
			r = resp->status >= 200 && resp->status < 300 ? 0
			                                              : status_error(s, resp, url);
			break;
		}
	}
	return r;
}

static int
backoff(struct session *s, unsigned ms)
{
	for (unsigned slept = 0; slept < ms; slept += 50) {
		struct timespec ts = {0, 50 * 1000 * 1000};

		if (cancelled(s))
			return fail(s, -ECANCELED, "the pull was cancelled");
		nanosleep(&ts, NULL);
	}
	return 0;
}

/* request() again on transient failures, with exponential backoff. */
static int
request_retry(struct session *s, const char *url, const char *accept, struct response *resp)
{
	unsigned max = s->opts->max_retries ? s->opts->max_retries : REGISTRY_DEFAULT_RETRY;
	unsigned delay = s->opts->retry_delay_ms ? s->opts->retry_delay_ms : REGISTRY_DEFAULT_DELAY;
	int r;

	for (unsigned attempt = 0;; attempt++) {
		r = request(s, url, accept, resp);
		if (r == 0 || !s->transient || attempt >= max)
			return r;
		if (backoff(s, delay) < 0)
			return -ECANCELED;
		delay = delay * 2 > REGISTRY_MAX_DELAY ? REGISTRY_MAX_DELAY : delay * 2;
	}
}

/* ---- digests ---- */

static int
sha256_final(EVP_MD_CTX *md, char ret[72])
{
	unsigned char h[EVP_MAX_MD_SIZE];
	unsigned n = 0;

	if (EVP_DigestFinal_ex(md, h, &n) != 1 || n != 32)
		return -EIO;
	strcpy(ret, "sha256:");
	io_hex_encode(h, 32, ret + 7);
	return 0;
}

static int
sha256_buf(const void *p, size_t n, char ret[72])
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	int r = -ENOMEM;

	if (md != NULL && EVP_DigestInit_ex(md, EVP_sha256(), NULL) == 1 &&
	    EVP_DigestUpdate(md, p, n) == 1)
		r = sha256_final(md, ret);
	EVP_MD_CTX_free(md);
	return r;
}

/* ---- manifests ---- */

static int
manifest_check_digest(
    struct session *s, const char *buf, size_t len, const char *want, char ret_digest[72])
{
	int r = sha256_buf(buf, len, ret_digest);

	if (r < 0)
		return fail(s, r, "cannot compute a SHA-256");
	if (want != NULL && strcmp(want, ret_digest) != 0)
		return fail(s, -EBADMSG, "the manifest %s does not match its digest (got %s)", want,
		    ret_digest);
	return 0;
}

/* GET /v2/<repo>/manifests/<reference>; 'reference' is verified when it is a digest. */
static int
manifest_fetch(
    struct session *s, const char *reference, struct oci_doc **ret_doc, char ret_digest[72])
{
	struct sink k = {.fd = -1, .max = OCI_MANIFEST_MAX_SIZE};
	struct response resp = {.sink = &k};
	_cleanup_free_ char *url = NULL, *perr = NULL;
	const char *want = oci_digest_valid(reference) ? reference : NULL;
	int r;

	if (asprintf(&url, "%s/v2/%s/manifests/%s", s->base, s->ref->repository, reference) < 0)
		return -ENOMEM;
	r = request_retry(s, url, OCI_MANIFEST_ACCEPT, &resp);
	if (r == -EFBIG)
		r = fail(s, -EFBIG, "the manifest \"%s\" is larger than %d bytes", reference,
		    OCI_MANIFEST_MAX_SIZE);
	if (r == 0 && want == NULL && resp.docker_digest != NULL &&
	    oci_digest_valid(resp.docker_digest))
		want = resp.docker_digest;
	if (r == 0)
		r = manifest_check_digest(s, k.buf ? k.buf : "", k.len, want, ret_digest);
	if (r == 0 &&
	    (r = oci_doc_parse(k.buf ? k.buf : "", k.len, resp.content_type, ret_doc, &perr)) < 0)
		r = fail(s, r, "the manifest \"%s\" is invalid: %s", reference,
		    perr ? perr : strerror(-r));
	response_clear(&resp);
	free(k.buf);
	return r;
}

/* ---- blobs ---- */

static bool
blob_cached(const char *path, uint64_t size)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISREG(st.st_mode) && (uint64_t)st.st_size == size;
}

/* Hash what an earlier, interrupted download left in 'fd'; its length in *ret. */
static int
blob_hash_partial(int fd, EVP_MD_CTX *md, uint64_t limit, uint64_t *ret)
{
	char buf[65536];
	uint64_t n = 0;
	ssize_t got;

	if (EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1)
		return -ENOMEM;
	while ((got = read(fd, buf, sizeof(buf))) > 0) {
		EVP_DigestUpdate(md, buf, (size_t)got);
		n += (uint64_t)got;
	}
	if (got < 0)
		return -errno;
	if (n > limit) {
		if (ftruncate(fd, 0) < 0 || lseek(fd, 0, SEEK_SET) < 0)
			return -errno;
		n = 0;
		EVP_DigestInit_ex(md, EVP_sha256(), NULL);
	}
	*ret = n;
	return 0;
}

static int
blob_finish(struct session *s, const struct oci_descriptor *d, struct sink *k, const char *partial,
    const char *path)
{
	char got[72];
	int r;

	if (k->offset != d->size)
		return fail(s, -EBADMSG,
		    "the blob %s has %llu bytes, not the %llu of its descriptor", d->digest,
		    (unsigned long long)k->offset, (unsigned long long)d->size);
	if ((r = sha256_final(k->md, got)) < 0)
		return fail(s, r, "cannot compute a SHA-256");
	if (strcmp(got, d->digest) != 0)
		return fail(
		    s, -EBADMSG, "the blob %s does not match its digest (got %s)", d->digest, got);
	if (fsync(k->fd) < 0 || rename(partial, path) < 0)
		return fail(s, -errno, "cannot store the blob \"%s\": %m", path);
	return 0;
}

static int
blob_transfer(struct session *s, const struct oci_descriptor *d, struct sink *k)
{
	struct response resp = {.sink = k};
	_cleanup_free_ char *url = NULL;
	int r;

	if (k->offset == d->size && d->size > 0)
		return 0; /* an earlier run got everything: just verify */
	if (asprintf(&url, "%s/v2/%s/blobs/%s", s->base, s->ref->repository, d->digest) < 0)
		return -ENOMEM;
	r = request_retry(s, url, NULL, &resp);
	response_clear(&resp);
	return r;
}

static void
unlink_if_same(const char *path, int fd)
{
	struct stat a, b;

	if (fstat(fd, &a) == 0 && lstat(path, &b) == 0 && a.st_dev == b.st_dev &&
	    a.st_ino == b.st_ino)
		unlink(path);
}

/* Into the locked 'fd' (resuming what it holds), verified, renamed to 'path'. */
static int
blob_download(struct session *s, const struct oci_descriptor *d, int fd, const char *partial,
    const char *path)
{
	struct sink k = {.fd = fd, .limit = d->size, .digest = d->digest};
	int r;

	if ((k.md = EVP_MD_CTX_new()) == NULL)
		return -ENOMEM;
	r = blob_hash_partial(fd, k.md, d->size, &k.offset);
	if (r < 0)
		r = fail(s, r, "cannot read \"%s\": %s", partial, strerror(-r));
	if (r == 0 && (r = blob_transfer(s, d, &k)) == 0)
		r = blob_finish(s, d, &k, partial, path);
	EVP_MD_CTX_free(k.md);
	if (r < 0)
		unlink_if_same(partial, fd);
	return r;
}

/* The blob in the cache, downloaded if needed; its path in *ret. */
static int
blob_fetch(struct session *s, const char *cache, const struct oci_descriptor *d, char **ret)
{
	_cleanup_free_ char *path = NULL, *partial = NULL;
	_cleanup_close_ int fd = -1;
	bool downloaded = false;
	int r;

	if (asprintf(&path, "%s/blobs/sha256/%s", cache, d->digest + 7) < 0 ||
	    asprintf(&partial, "%s.partial", path) < 0)
		return -ENOMEM;
	if (!blob_cached(path, d->size)) {
		if ((fd = open(partial, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644)) < 0 ||
		    flock(fd, LOCK_EX) < 0)
			return fail(s, -errno, "cannot open \"%s\": %m", partial);
	}
	if (fd >= 0 && blob_cached(path, d->size)) {
		unlink_if_same(partial, fd); /* another pull finished it while we waited */
	} else if (fd >= 0) {
		if ((r = blob_download(s, d, fd, partial, path)) < 0)
			return r;
		downloaded = d->size > 0;
	}
	/* A download reported its last bytes; a cached blob reports once, complete. */
	if (s->progress != NULL && !downloaded)
		s->progress(d->digest, d->size, d->size, s->userdata);
	*ret = TAKE_PTR(path);
	return 0;
}

/* ---- the pull ---- */

void
oci_image_free(struct oci_image *img)
{
	if (img == NULL)
		return;
	for (size_t i = 0; i < img->n_layers; i++) {
		free(img->layers[i].path);
		free(img->layers[i].media_type);
	}
	free(img->layers);
	free(img->config.path);
	free(img->config.media_type);
	free(img->manifest_media_type);
	free(img->reference);
	free(img);
}

/* Plain HTTP: listed in opts->insecure, or on loopback (as Docker: nothing leaves the host). */
static bool
host_insecure(const struct registry_opts *o, const char *registry)
{
	if (oci_registry_loopback(registry))
		return true;
	for (const char *const *p = o->insecure; p != NULL && *p != NULL; p++)
		if (strcasecmp(*p, registry) == 0)
			return true;
	return false;
}

static int
load_credentials(struct session *s)
{
	_cleanup_free_ char *json = NULL, *user = NULL, *pass = NULL, *pair = NULL;
	_cleanup_fclose_ FILE *f = NULL;
	size_t len;
	int r;

	if (s->opts->auth_file == NULL)
		return 0;
	if ((f = fopen(s->opts->auth_file, "re")) == NULL)
		return errno == ENOENT ? 0
		                       : fail(s, -errno, "cannot open the auth file \"%s\": %m",
		                             s->opts->auth_file);
	if ((json = malloc(REGISTRY_MAX_AUTH_FILE + 1)) == NULL)
		return -ENOMEM;
	len = fread(json, 1, REGISTRY_MAX_AUTH_FILE + 1, f);
	r = registry_auth_lookup(json, len, s->ref->registry, &user, &pass);
	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return fail(s, r, "the auth file \"%s\" is not valid (Docker config.json format)",
		    s->opts->auth_file);
	if (asprintf(&pair, "%s:%s", user, pass) < 0 ||
	    (s->basic = malloc(strlen("Basic ") + 4 * (strlen(pair) + 2) / 3 + 2)) == NULL)
		return -ENOMEM;
	strcpy(s->basic, "Basic ");
	EVP_EncodeBlock((unsigned char *)s->basic + 6, (unsigned char *)pair, (int)strlen(pair));
	return 0;
}

static int
session_init(struct session *s, const char *cache_dir)
{
	_cleanup_free_ char *dir = NULL;
	int r;

	s->insecure = host_insecure(s->opts, s->ref->registry);
	if (asprintf(&s->base, "%s://%s", s->insecure ? "http" : "https", s->ref->registry) < 0)
		return -ENOMEM;
	if ((s->curl = curl_easy_init()) == NULL)
		return fail(s, -ENOMEM, "cannot initialise libcurl");
	if ((r = load_credentials(s)) < 0)
		return r;
	if (asprintf(&dir, "%s/blobs/sha256", cache_dir) < 0)
		return -ENOMEM;
	/* With every missing parent ($XDG_CACHE_HOME may not exist yet), private. */
	if ((r = io_mkdir_parents(dir, 0700)) < 0)
		return fail(s, r, "cannot create the blob cache \"%s\": %s", dir, strerror(-r));
	return 0;
}

static void
session_done(struct session *s)
{
	if (s->curl != NULL)
		curl_easy_cleanup(s->curl);
	free(s->base);
	free(s->basic);
	free(s->bearer);
	free(s->error);
}

/* The image manifest: directly, or through the index entry for the platform. */
static int
resolve_manifest(
    struct session *s, const struct oci_platform *pf, struct oci_doc **ret, char digest[72])
{
	const struct oci_descriptor *d;
	_cleanup_free_ char *err = NULL, *want = NULL;
	struct oci_doc *top = NULL, *doc = NULL;
	int r;

	if ((r = manifest_fetch(s, oci_ref_reference(s->ref), &top, digest)) < 0)
		return r;
	if (top->kind == OCI_DOC_MANIFEST) {
		*ret = top;
		return 0;
	}
	if ((r = oci_doc_select(top, pf, &d, &err)) < 0 || (want = strdup(d->digest)) == NULL) {
		oci_doc_free(top);
		return r < 0 ? fail(s, r, "%s", err ? err : "no manifest for the platform")
		             : -ENOMEM;
	}
	oci_doc_free(top);
	if ((r = manifest_fetch(s, want, &doc, digest)) < 0)
		return r;
	if (doc->kind != OCI_DOC_MANIFEST) {
		oci_doc_free(doc);
		return fail(s, -EBADMSG, "the index entry %s is another index", want);
	}
	*ret = doc;
	return 0;
}

static int
blob_to_image(
    struct session *s, const char *cache, const struct oci_descriptor *d, struct oci_blob *b)
{
	int r = blob_fetch(s, cache, d, &b->path);

	if (r < 0)
		return r;
	strcpy(b->digest, d->digest);
	b->size = d->size;
	if ((b->media_type = strdup(d->media_type)) == NULL)
		return -ENOMEM;
	return 0;
}

static int
pull_blobs(struct session *s, const char *cache, const struct oci_doc *doc, struct oci_image *img)
{
	int r;

	if ((img->layers = calloc(doc->n_layers, sizeof(*img->layers))) == NULL ||
	    (img->manifest_media_type = strdup(doc->media_type)) == NULL)
		return -ENOMEM;
	if ((r = blob_to_image(s, cache, &doc->config, &img->config)) < 0)
		return r;
	for (size_t i = 0; i < doc->n_layers; i++) {
		img->n_layers = i + 1;
		if ((r = blob_to_image(s, cache, &doc->layers[i], &img->layers[i])) < 0)
			return r;
	}
	return 0;
}

static int
pull(struct session *s, const char *platform, const char *cache, struct oci_image *img)
{
	struct oci_platform pf;
	struct oci_doc *doc = NULL;
	int r;

	if (oci_platform_parse(platform ? platform : OCI_PLATFORM_DEFAULT, &pf) < 0)
		return fail(
		    s, -EINVAL, "the platform \"%s\" is not os/architecture[/variant]", platform);
	if ((r = session_init(s, cache)) < 0 ||
	    (r = oci_ref_format_name(s->ref, &img->reference)) < 0)
		return r;
	if ((r = resolve_manifest(s, &pf, &doc, img->manifest_digest)) < 0)
		return r;
	r = pull_blobs(s, cache, doc, img);
	oci_doc_free(doc);
	return r;
}

int
registry_pull(const struct registry_opts *opts, const char *ref, const char *platform,
    const char *cache_dir, registry_progress_fn progress, void *userdata, const atomic_bool *cancel,
    struct oci_image **ret, char **ret_error)
{
	static const struct registry_opts defaults = {0};
	struct session s = {.opts = opts ? opts : &defaults,
	    .cancel = cancel,
	    .progress = progress,
	    .userdata = userdata};
	struct oci_ref *parsed = NULL;
	struct oci_image *img;
	char *err = NULL;
	int r;

	if ((r = oci_ref_parse(ref, &parsed, &err)) < 0) {
		if (ret_error != NULL)
			*ret_error = err;
		else
			free(err);
		return r == -EBADMSG ? -EINVAL : r;
	}
	s.ref = parsed;
	if ((img = calloc(1, sizeof(*img))) == NULL) {
		oci_ref_free(parsed);
		return -ENOMEM;
	}
	r = pull(&s, platform, cache_dir, img);
	if (r < 0) {
		oci_image_free(img);
		if (ret_error != NULL)
			*ret_error = s.error ? TAKE_PTR(s.error) : strdup(strerror(-r));
	} else {
		*ret = img;
	}
	session_done(&s);
	oci_ref_free(parsed);
	return r;
}
