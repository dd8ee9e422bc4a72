/*
 * Image reference parsing: see oci-ref.h.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "error.h"
#include "oci-ref.h"
#include "util.h"

static bool
is_lower_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

static bool
is_hex(char c)
{
	return (c >= 'a' && c <= 'f') || (c >= '0' && c <= '9');
}

bool
oci_digest_valid(const char *s)
{
	if (s == NULL || strncmp(s, "sha256:", 7) != 0)
		return false;
	for (size_t i = 0; i < 64; i++)
		if (!is_hex(s[7 + i]))
			return false;
	return s[71] == '\0';
}

/* One path component: [a-z0-9]+ ((\.|_|__|-+)[a-z0-9]+)*, n bytes. */
static bool
component_valid(const char *s, size_t n)
{
	size_t i = 0;

	if (n == 0 || !is_lower_alnum(s[0]) || !is_lower_alnum(s[n - 1]))
		return false;
	while (i < n) {
		size_t sep = 0;

		while (i < n && is_lower_alnum(s[i]))
			i++;
		if (i == n)
			break;
		if (s[i] == '.' || s[i] == '_') {
			sep = (s[i] == '_' && i + 1 < n && s[i + 1] == '_') ? 2 : 1;
		} else if (s[i] == '-') {
			while (i + sep < n && s[i + sep] == '-')
				sep++;
		} else {
			return false;
		}
		i += sep;
		if (i >= n || !is_lower_alnum(s[i]))
			return false;
	}
	return true;
}

static bool
repository_valid(const char *s)
{
	size_t len = strlen(s);

	if (len == 0 || len > 255)
		return false;
	while (*s != '\0') {
		size_t n = strcspn(s, "/");

		if (!component_valid(s, n))
			return false;
		s += n;
		if (*s == '/' && *++s == '\0')
			return false;
	}
	return true;
}

static bool
tag_valid(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > OCI_REF_MAX_TAG || s[0] == '.' || s[0] == '-')
		return false;
	return strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") == n;
}

/* "[IPv6]" at the start of s: its length with the brackets, or 0. */
static size_t
ipv6_literal_len(const char *s)
{
	const char *end = s[0] == '[' ? strchr(s, ']') : NULL;
	char addr[INET6_ADDRSTRLEN];
	struct in6_addr a;
	size_t n;

	if (end == NULL || (n = (size_t)(end - s) - 1) == 0 || n >= sizeof(addr))
		return 0;
	memcpy(addr, s + 1, n);
	addr[n] = '\0';
	return inet_pton(AF_INET6, addr, &a) == 1 ? n + 2 : 0;
}

/* host[:port]: labels of [A-Za-z0-9-] joined by '.', or [IPv6]; port 1-65535. */
static bool
registry_valid(const char *s)
{
	size_t v6 = ipv6_literal_len(s);
	const char *colon = v6 > 0 ? (s[v6] == ':' ? s + v6 : NULL) : strchr(s, ':');
	size_t hostlen = colon != NULL ? (size_t)(colon - s) : strlen(s);

	if (v6 > 0 && s[v6] != '\0' && s[v6] != ':')
		return false;
	if (hostlen == 0 || hostlen > 253)
		return false;
	for (size_t i = 0; v6 == 0 && i < hostlen; i++) {
		char c = s[i];
		bool alnum =
		    (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');

		if (!alnum && c != '-' && c != '.')
			return false;
		if (c == '.' && (i == 0 || i + 1 == hostlen || s[i - 1] == '.'))
			return false;
	}
	if (colon != NULL) {
		const char *p = colon + 1;
		size_t n = strlen(p);
		long port;

		if (n == 0 || n > 5 || strspn(p, "0123456789") != n)
			return false;
		port = strtol(p, NULL, 10);
		if (port < 1 || port > 65535)
			return false;
	}
	return true;
}

static bool
is_docker_hub(const char *host)
{
	return strcmp(host, "docker.io") == 0 || strcmp(host, "index.docker.io") == 0 ||
	       strcmp(host, OCI_REF_DOCKER_HOST) == 0;
}

void
oci_ref_free(struct oci_ref *ref)
{
	if (ref == NULL)
		return;
	free(ref->registry);
	free(ref->repository);
	free(ref->tag);
	free(ref->digest);
	free(ref);
}

/* Split "name[:tag][@digest]" (in place) into its three parts. */
static int
split_ref(char *s, char **ret_name, char **ret_tag, char **ret_digest, char **ret_error)
{
	char *at = strchr(s, '@'), *slash, *colon;

	*ret_digest = NULL;
	if (at != NULL) {
		*at = '\0';
		if (!oci_digest_valid(at + 1))
			return error_set(ret_error, -EBADMSG,
			    "the digest is not \"sha256:\" and 64 lower-case hex digits");
		*ret_digest = at + 1;
	}
	slash = strrchr(s, '/');
	colon = strrchr(s, ':');
	*ret_tag = NULL;
	if (colon != NULL && (slash == NULL || colon > slash)) {
		*colon = '\0';
		if (!tag_valid(colon + 1))
			return error_set(ret_error, -EBADMSG,
			    "the tag is not valid (letters, digits, '_', '.', '-'; at most %d)",
			    OCI_REF_MAX_TAG);
		*ret_tag = colon + 1;
	}
	*ret_name = s;
	return 0;
}

static int
fill_ref(
    struct oci_ref *ref, const char *host, const char *repo, const char *tag, const char *digest)
{
	bool hub = is_docker_hub(host);

	ref->registry = strdup(hub ? OCI_REF_DOCKER_HOST : host);
	if (hub && strchr(repo, '/') == NULL) {
		if (asprintf(&ref->repository, "library/%s", repo) < 0)
			ref->repository = NULL;
	} else {
		ref->repository = strdup(repo);
	}
	if (tag != NULL || digest == NULL)
		ref->tag = strdup(tag != NULL ? tag : "latest");
	if (digest != NULL)
		ref->digest = strdup(digest);
	if (ref->registry == NULL || ref->repository == NULL ||
	    (ref->tag == NULL && digest == NULL) || (digest != NULL && ref->digest == NULL))
		return -ENOMEM;
	return 0;
}

int
oci_ref_parse(const char *s, struct oci_ref **ret, char **ret_error)
{
	_cleanup_free_ char *copy = NULL;
	char *name = NULL, *tag = NULL, *digest = NULL, *slash, *host = "docker.io";
	struct oci_ref *ref;
	int r;

	if (s == NULL || *s == '\0' || strlen(s) > OCI_REF_MAX)
		return error_set(ret_error, -EBADMSG,
		    "the image reference is empty or longer than %d bytes", OCI_REF_MAX);
	for (const char *p = s; *p != '\0'; p++)
		if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f)
			return error_set(ret_error, -EBADMSG,
			    "the image reference has spaces or control characters");
	if ((copy = strdup(s)) == NULL)
		return -ENOMEM;
	if ((r = split_ref(copy, &name, &tag, &digest, ret_error)) < 0)
		return r;
	slash = strchr(name, '/');
	if (slash != NULL && (memchr(name, '.', (size_t)(slash - name)) != NULL ||
	                         memchr(name, ':', (size_t)(slash - name)) != NULL ||
	                         (slash - name == 9 && strncmp(name, "localhost", 9) == 0))) {
		*slash = '\0';
		host = name;
		name = slash + 1;
		if (!registry_valid(host))
			return error_set(ret_error, -EBADMSG,
			    "the registry \"%s\" is not a host name with an optional port", host);
	}
	if (!repository_valid(name))
		return error_set(ret_error, -EBADMSG,
		    "the repository \"%s\" is not valid (lower-case letters, digits, "
		    "separators '.', '_', '-', components joined by '/')",
		    name);
	if ((ref = calloc(1, sizeof(*ref))) == NULL)
		return -ENOMEM;
	if ((r = fill_ref(ref, host, name, tag, digest)) < 0) {
		oci_ref_free(ref);
		return r;
	}
	if (strlen(ref->repository) > 255) { /* with "library/" */
		oci_ref_free(ref);
		return error_set(
		    ret_error, -EBADMSG, "the repository name is longer than 255 bytes");
	}
	*ret = ref;
	return 0;
}

const char *
oci_ref_reference(const struct oci_ref *ref)
{
	return ref->digest != NULL ? ref->digest : ref->tag;
}

bool
oci_registry_loopback(const char *registry)
{
	size_t v6 = ipv6_literal_len(registry), n = strcspn(registry, ":");
	char host[INET6_ADDRSTRLEN];
	struct in6_addr a6;
	struct in_addr a4;

	if (v6 > 0) {
		memcpy(host, registry + 1, v6 - 2);
		host[v6 - 2] = '\0';
		return inet_pton(AF_INET6, host, &a6) == 1 && IN6_IS_ADDR_LOOPBACK(&a6);
	}
	if (n >= sizeof(host))
		return false;
	memcpy(host, registry, n);
	host[n] = '\0';
	if (strcasecmp(host, "localhost") == 0)
		return true;
	return inet_pton(AF_INET, host, &a4) == 1 && (ntohl(a4.s_addr) >> 24) == 127;
}

int
oci_ref_format_name(const struct oci_ref *ref, char **ret)
{
	char *s;

	if (asprintf(&s, "%s/%s%s%s", ref->registry, ref->repository, ref->tag ? ":" : "",
	        ref->tag ? ref->tag : "") < 0)
		return -ENOMEM;
	*ret = s;
	return 0;
}

int
oci_ref_format(const struct oci_ref *ref, char **ret)
{
	char *s;

	if (asprintf(&s, "%s/%s%s%s%s%s", ref->registry, ref->repository, ref->tag ? ":" : "",
	        ref->tag ? ref->tag : "", ref->digest ? "@" : "",
	        ref->digest ? ref->digest : "") < 0)
		return -ENOMEM;
	*ret = s;
	return 0;
}

void
oci_digest_short(const char *digest, char ret[13])
{
	const char *hex = strchr(digest, ':');

	snprintf(ret, 13, "%.12s", hex != NULL ? hex + 1 : digest);
}
