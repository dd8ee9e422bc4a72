/*
 * netbootd.yaml(5): libyaml's event parser driven by tables of keys.
 *
 * The walker is strict (lib/conf/yaml-reader.h): it knows the shape of the
 * whole document, so any event it does not expect (a list where a port
 * belongs, an unknown key, a second document, an alias) is an error at once,
 * and it never has to skip or build a tree.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <net/if.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include <yaml.h>

#include "ipxe-script.h"
#include "oci-manifest.h"
#include "text.h"
#include "util.h"
#include "yaml-reader.h"

#define CONFIG_MAX_DEPTH 8 /* the real document needs 2 */
#define SOCKET_PATH_MAX  (sizeof(((struct sockaddr_un *)NULL)->sun_path) - 1)
#define MAX_KEYS         32 /* keys in one table: one bit each in parse_map() */

enum key_type {
	K_BOOL,
	K_PORT,
	K_UINT,
	K_PATH,
	K_SOCKET,
	K_LOADER,
	K_IMAGE,
	K_GROUP,
	K_CMDLINE,
	K_IPV4,
	K_IFLIST,
	K_SECTION,
	K_HOSTLIST,
	K_PLATFORM,
	K_COMPRESSION,
	K_BACKEND,
	K_URLLIST,
	K_PREFIX,
	K_SECRET,
	K_INSTANCE,
	K_CIDRLIST,
	K_SIZE,
};

struct key {
	const char *name;
	enum key_type type;
	size_t offset; /* into struct config */
	unsigned min, max;
	const struct key *section; /* K_SECTION: its table */
};

#define F(field) offsetof(struct config, field)

static const struct key dhcp_keys[] = {
    {"enabled", K_BOOL, F(dhcp.enabled), 0, 0, NULL},
    {"port", K_PORT, F(dhcp.port), 1, 65535, NULL},
    {"pxe_port", K_PORT, F(dhcp.pxe_port), 1, 65535, NULL},
    {NULL, 0, 0, 0, 0, NULL},
};

static const struct key tftp_keys[] = {
    {"enabled", K_BOOL, F(tftp.enabled), 0, 0, NULL},
    {"port", K_PORT, F(tftp.port), 1, 65535, NULL},
    {"max_sessions", K_UINT, F(tftp.max_sessions), 1, 65535, NULL},
    {"root", K_PATH, F(tftp.root), 0, 0, NULL},
    {"timeout", K_UINT, F(tftp.timeout), 1, 255, NULL},
    {"retries", K_UINT, F(tftp.retries), 0, 255, NULL},
    {"max_blksize", K_UINT, F(tftp.max_blksize), 8, 65464, NULL},
    {"max_windowsize", K_UINT, F(tftp.max_windowsize), 1, 65535, NULL},
    {NULL, 0, 0, 0, 0, NULL},
};

static const struct key http_keys[] = {
    {"enabled", K_BOOL, F(http.enabled), 0, 0, NULL},
    {"port", K_PORT, F(http.port), 1, 65535, NULL},
    {"max_connections", K_UINT, F(http.max_connections), 1, 65535, NULL},
    {"max_connections_per_address", K_UINT, F(http.max_connections_per_address), 1, 65535, NULL},
    {"timeout", K_UINT, F(http.timeout), 1, 3600, NULL},
    {"header_timeout", K_UINT, F(http.header_timeout), 1, 3600, NULL},
    {"ui", K_BOOL, F(http.ui), 0, 0, NULL},
    {"ui_allow", K_CIDRLIST, F(http.ui_allow), 0, 0, NULL},
    {NULL, 0, 0, 0, 0, NULL},
};

static const struct key syslog_keys[] = {
    {"enabled", K_BOOL, F(syslog.enabled), 0, 0, NULL},
    {"port", K_PORT, F(syslog.port), 1, 65535, NULL},
    {"ring_lines", K_UINT, F(syslog.ring_lines), 1, CONFIG_MAX_SYSLOG_RING, NULL},
    {"max_line", K_UINT, F(syslog.max_line), CONFIG_MIN_SYSLOG_LINE, CONFIG_MAX_SYSLOG_LINE, NULL},
    {NULL, 0, 0, 0, 0, NULL},
};

static const struct key ipxe_keys[] = {
    {"dir", K_PATH, F(ipxe.dir), 0, 0, NULL},
    {"bios", K_LOADER, F(ipxe.bios), 0, 0, NULL},
    {"efi32", K_LOADER, F(ipxe.efi32), 0, 0, NULL},
    {"efi64", K_LOADER, F(ipxe.efi64), 0, 0, NULL},
    {"arm64", K_LOADER, F(ipxe.arm64), 0, 0, NULL},
    {NULL, 0, 0, 0, 0, NULL},
};

static const struct key loaders_keys[] = {
    {"dir", K_PATH, F(loaders.dir), 0, 0, NULL},
    {NULL, 0, 0, 0, 0, NULL},
};

static const struct key default_keys[] = {
    {"image", K_IMAGE, F(def.image), 0, 0, NULL},
    {"cmdline", K_CMDLINE, F(def.cmdline), 0, 0, NULL},
    {"cloud_config", K_PATH, F(def.cloud_config), 0, 0, NULL},
    {NULL, 0, 0, 0, 0, NULL},
};

static const struct key control_keys[] = {
    {"socket", K_SOCKET, F(control.socket), 0, 0, NULL},
    {"group", K_GROUP, F(control.group), 0, 0, NULL},
    {NULL, 0, 0, 0, 0, NULL},
};

static const struct key registry_keys[] = {
    {"insecure", K_HOSTLIST, F(registry.insecure), 0, 0, NULL},
    {"auth_file", K_PATH, F(registry.auth_file), 0, 0, NULL},
    {"platform", K_PLATFORM, F(registry.platform), 0, 0, NULL},
    {"compression", K_COMPRESSION, F(registry.compression), 0, 0, NULL},
    {NULL, 0, 0, 0, 0, NULL},
};

static const struct key images_keys[] = {
    {"max_size", K_SIZE, F(images.max_size), 0, 0, NULL},
    {"import_memory", K_SIZE, F(images.import_memory), CONFIG_MIN_IMPORT_MEMORY >> 20, 0, NULL},
    {"import_cpu", K_UINT, F(images.import_cpu), 1, CONFIG_MAX_IMPORT_CPU, NULL},
    {NULL, 0, 0, 0, 0, NULL},
};

static const struct key store_tls_keys[] = {
    {"ca", K_PATH, F(store.tls.ca), 0, 0, NULL},
    {"cert", K_PATH, F(store.tls.cert), 0, 0, NULL},
    {"key", K_PATH, F(store.tls.key), 0, 0, NULL},
    {NULL, 0, 0, 0, 0, NULL},
};

static const struct key store_keys[] = {
    {"backend", K_BACKEND, F(store.backend), 0, 0, NULL},
    {"endpoints", K_URLLIST, F(store.endpoints), 0, 0, NULL},
    {"prefix", K_PREFIX, F(store.prefix), 0, 0, NULL},
    {"instance", K_INSTANCE, F(store.instance), 0, 0, NULL},
    {"tls", K_SECTION, 0, 0, 0, store_tls_keys},
    {"username", K_SECRET, F(store.username), 0, 0, NULL},
    {"password", K_SECRET, F(store.password), 0, 0, NULL},
    {NULL, 0, 0, 0, 0, NULL},
};

static const struct key top_keys[] = {
    {"interfaces", K_IFLIST, F(interfaces), 0, 0, NULL},
    {"advertise", K_IPV4, F(advertise), 0, 0, NULL},
    {"state_dir", K_PATH, F(state_dir), 0, 0, NULL},
    {"dhcp", K_SECTION, 0, 0, 0, dhcp_keys},
    {"tftp", K_SECTION, 0, 0, 0, tftp_keys},
    {"http", K_SECTION, 0, 0, 0, http_keys},
    {"syslog", K_SECTION, 0, 0, 0, syslog_keys},
    {"ipxe", K_SECTION, 0, 0, 0, ipxe_keys},
    {"loaders", K_SECTION, 0, 0, 0, loaders_keys},
    {"default", K_SECTION, 0, 0, 0, default_keys},
    {"control", K_SECTION, 0, 0, 0, control_keys},
    {"registry", K_SECTION, 0, 0, 0, registry_keys},
    {"images", K_SECTION, 0, 0, 0, images_keys},
    {"store", K_SECTION, 0, 0, 0, store_keys},
    {NULL, 0, 0, 0, 0, NULL},
};

/* What a key expects, for "expected X, not a list". */
static const char *const type_names[] = {
    [K_BOOL] = "a boolean",
    [K_PORT] = "a port number",
    [K_UINT] = "a number",
    [K_PATH] = "an absolute path",
    [K_SOCKET] = "an absolute path",
    [K_LOADER] = "a file name",
    [K_IMAGE] = "an image name",
    [K_GROUP] = "a group name",
    [K_CMDLINE] = "a string",
    [K_IPV4] = "an IPv4 address",
    [K_IFLIST] = "a list of interface names",
    [K_SECTION] = "a mapping",
    [K_HOSTLIST] = "a list of HOST[:PORT]",
    [K_PLATFORM] = "a platform like linux/amd64",
    [K_COMPRESSION] = "gzip, zstd or xz",
    [K_BACKEND] = "local or etcd",
    [K_URLLIST] = "a list of http(s)://HOST:PORT",
    [K_PREFIX] = "a key prefix like /netbootd/",
    [K_SECRET] = "a string",
    [K_INSTANCE] = "an instance name",
    [K_CIDRLIST] = "a list of IPv4 networks like 10.0.0.0/24",
    [K_SIZE] = "a size like 16G",
};

/*
 * The placeholders of default.cmdline (see lib/ipxe-script.h).  Checked here
 * for precise messages, then once more by ipxe_cmdline_validate().
 */
static const char *const placeholders[] = {
    "squashfs_url",
    "config_url",
    "kernel_url",
    "initrd_url",
    "mac",
    "image",
    "server",
};

struct parser {
	struct yaml_reader r;
	struct config *cfg;
	struct {
		size_t offset;
		unsigned line;
	} set[64]; /* the line of each scalar key given in the file */
	size_t n_set;
};

/* Replace a string field with a copy of s. */
static int
set_string(char **field, const char *s, size_t len)
{
	char *copy = strndup(s, len);

	if (copy == NULL)
		return -ENOMEM;
	free(*field);
	*field = copy;
	return 0;
}

static int
set_bool(struct parser *p, const char *name, const char *s, size_t len, bool *field)
{
	static const char *const words[] = {"true", "false", "yes", "no", "on", "off"};
	char buf[YAML_SHOW_BUF];

	for (size_t i = 0; i < ELEMENTSOF(words); i++)
		if (strcasecmp(s, words[i]) == 0) {
			*field = i % 2 == 0;
			return 0;
		}
	return yaml_reader_fail(&p->r, yaml_reader_line(&p->r), name,
	    "%s is not a boolean (true/false, yes/no, on/off)",
	    yaml_reader_show(s, len, true, buf));
}

static int
set_uint(struct parser *p, const struct key *k, const char *name, const char *s, size_t len)
{
	void *field = (char *)p->cfg + k->offset;
	char buf[YAML_SHOW_BUF];
	unsigned long long v;
	bool neg;
	int r = yaml_reader_decimal(s, len, &neg, &v);
	bool ok = r == 0 && !neg && v >= k->min && v <= k->max;

	if (!ok && k->type == K_PORT)
		return yaml_reader_fail(&p->r, yaml_reader_line(&p->r), name,
		    "%s is not a port (1-65535)", yaml_reader_show(s, len, r < 0, buf));
	if (r < 0)
		return yaml_reader_fail(&p->r, yaml_reader_line(&p->r), name,
		    "%s is not a decimal number", yaml_reader_show(s, len, true, buf));
	if (!ok)
		return yaml_reader_fail(&p->r, yaml_reader_line(&p->r), name,
		    "%s is out of range (%u-%u)", yaml_reader_show(s, len, false, buf), k->min,
		    k->max);
	if (k->type == K_PORT)
		*(uint16_t *)field = (uint16_t)v;
	else
		*(unsigned *)field = (unsigned)v;
	return 0;
}

static int
set_size(struct parser *p, const struct key *k, const char *name, const char *s, size_t len)
{
	char buf[YAML_SHOW_BUF];
	uint64_t v, min = k->min > 0 ? (uint64_t)k->min << 20 : CONFIG_MIN_IMAGE_SIZE;
	int r = text_parse_size(s, len, &v);

	if (r < 0 || v < min)
		return yaml_reader_fail(&p->r, yaml_reader_line(&p->r), name,
		    "%s is not a size of at least %lluM (bytes, or with K, M, G, T)",
		    yaml_reader_show(s, len, true, buf), (unsigned long long)(min >> 20));
	*(uint64_t *)((char *)p->cfg + k->offset) = v;
	return 0;
}

static int
set_path(struct parser *p, const struct key *k, const char *name, const char *s, size_t len)
{
	size_t max = k->type == K_SOCKET ? SOCKET_PATH_MAX : PATH_MAX - 1;
	char buf[YAML_SHOW_BUF];

	if (len == 0 || s[0] != '/')
		return yaml_reader_fail(&p->r, yaml_reader_line(&p->r), name,
		    "%s is not an absolute path", yaml_reader_show(s, len, true, buf));
	if (len > max)
		return yaml_reader_fail(&p->r, yaml_reader_line(&p->r), name,
		    "path is too long (%zu bytes, at most %zu)", len, max);
	if (yaml_reader_has_control(s, len))
		return yaml_reader_fail(&p->r, yaml_reader_line(&p->r), name,
		    "%s contains a control character", yaml_reader_show(s, len, true, buf));
	return set_string((char **)((char *)p->cfg + k->offset), s, len);
}

static bool
file_name_valid(const char *s, size_t len)
{
	return len > 0 && len <= NAME_MAX && memchr(s, '/', len) == NULL && strcmp(s, ".") != 0 &&
	       strcmp(s, "..") != 0 && !yaml_reader_has_control(s, len);
}

/* A loader file name; null or "" leaves that architecture without one. */
static int
set_loader(struct parser *p, const struct key *k, const char *name, const char *s, size_t len)
{
	char **field = (char **)((char *)p->cfg + k->offset);
	char buf[YAML_SHOW_BUF];

	if (yaml_reader_is_null(&p->r.ev) || len == 0) {
		free(*field);
		*field = NULL;
		return 0;
	}
	if (!file_name_valid(s, len))
		return yaml_reader_fail(&p->r, yaml_reader_line(&p->r), name,
		    "%s is not a plain file name in ipxe.dir (use \"\" or null for none)",
		    yaml_reader_show(s, len, true, buf));
	return set_string(field, s, len);
}

/* A name_valid() string; 'what' names it in the message ("an image"). */
static int
set_valid_name(struct parser *p, const struct key *k, const char *name, const char *s, size_t len,
    const char *what)
{
	char buf[YAML_SHOW_BUF];

	if (!name_valid(s))
		return yaml_reader_fail(&p->r, yaml_reader_line(&p->r), name,
		    "%s is not %s name (1-64 of A-Z a-z 0-9 . _ -, not starting with .)",
		    yaml_reader_show(s, len, true, buf), what);
	return set_string((char **)((char *)p->cfg + k->offset), s, len);
}

static int
set_image(struct parser *p, const struct key *k, const char *name, const char *s, size_t len)
{
	return set_valid_name(p, k, name, s, len, "an image");
}

static int
set_group(struct parser *p, const struct key *k, const char *name, const char *s, size_t len)
{
	char buf[YAML_SHOW_BUF];

	if (len == 0 || len > CONFIG_MAX_GROUP_NAME || s[0] == '-' ||
	    strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") != len)
		return yaml_reader_fail(&p->r, yaml_reader_line(&p->r), name,
		    "%s is not a group name (1-32 of A-Z a-z 0-9 . _ -, not starting with -)",
		    yaml_reader_show(s, len, true, buf));
	return set_string((char **)((char *)p->cfg + k->offset), s, len);
}

/* registry.platform: "os/arch[/variant]" as lib/oci-manifest.h reads it. */
static int
set_platform(struct parser *p, const struct key *k, const char *name, const char *s, size_t len)
{
	struct oci_platform pl;
	char buf[YAML_SHOW_BUF];

	if (len > 64 || oci_platform_parse(s, &pl) < 0)
		return yaml_reader_fail(&p->r, yaml_reader_line(&p->r), name,
		    "%s is not a platform like linux/amd64 or linux/arm64",
		    yaml_reader_show(s, len, true, buf));
	return set_string((char **)((char *)p->cfg + k->offset), s, len);
}

static int
set_compression(struct parser *p, const struct key *k, const char *name, const char *s, size_t len)
{
	char buf[YAML_SHOW_BUF];

	if (strcmp(s, "gzip") != 0 && strcmp(s, "zstd") != 0 && strcmp(s, "xz") != 0)
		return yaml_reader_fail(&p->r, yaml_reader_line(&p->r), name,
		    "%s is not gzip, zstd or xz", yaml_reader_show(s, len, true, buf));
	return set_string((char **)((char *)p->cfg + k->offset), s, len);
}

static int
set_backend(struct parser *p, const char *name, const char *s, size_t len)
{
	char buf[YAML_SHOW_BUF];

	if (strcmp(s, "local") == 0)
		p->cfg->store.backend = CONFIG_STORE_LOCAL;
	else if (strcmp(s, "etcd") == 0)
		p->cfg->store.backend = CONFIG_STORE_ETCD;
	else
		return yaml_reader_fail(&p->r, yaml_reader_line(&p->r), name,
		    "%s is not local or etcd", yaml_reader_show(s, len, true, buf));
	return 0;
}

/* store.prefix: "/" ... "/", printable, no spaces. */
static int
set_prefix(struct parser *p, const struct key *k, const char *name, const char *s, size_t len)
{
	char buf[YAML_SHOW_BUF];
	bool ok = len >= 1 && len <= CONFIG_MAX_ETCD_PREFIX && s[0] == '/' && s[len - 1] == '/';

	for (size_t i = 0; ok && i < len; i++)
		ok = s[i] > ' ' && s[i] < 0x7f;
	if (!ok)
		return yaml_reader_fail(&p->r, yaml_reader_line(&p->r), name,
		    "%s is not a key prefix (starting and ending with /, at most %d printable "
		    "characters)",
		    yaml_reader_show(s, len, true, buf), CONFIG_MAX_ETCD_PREFIX);
	return set_string((char **)((char *)p->cfg + k->offset), s, len);
}

/* store.username, store.password: printable, bounded; never shown in a message. */
static int
set_secret(struct parser *p, const struct key *k, const char *name, const char *s, size_t len)
{
	if (len == 0 || len > CONFIG_MAX_SECRET || yaml_reader_has_control(s, len))
		return yaml_reader_fail(&p->r, yaml_reader_line(&p->r), name,
		    "must be 1-%d characters without control characters", CONFIG_MAX_SECRET);
	return set_string((char **)((char *)p->cfg + k->offset), s, len);
}

static int
set_instance(struct parser *p, const struct key *k, const char *name, const char *s, size_t len)
{
	return set_valid_name(p, k, name, s, len, "an instance");
}

/* Check the {placeholder}s of a command line; "{{" is a literal brace. */
static int
check_placeholders(struct parser *p, const char *name, const char *s)
{
	char buf[YAML_SHOW_BUF];

	for (const char *b = strchr(s, '{'); b != NULL; b = strchr(b, '{')) {
		const char *e = strchr(b + 1, '}');
		bool known = false;

		if (b[1] == '{') {
			b += 2;
			continue;
		}
		if (e == NULL)
			return yaml_reader_fail(&p->r, yaml_reader_line(&p->r), name,
			    "unterminated placeholder %s",
			    yaml_reader_show(b, strlen(b), true, buf));
		for (size_t i = 0; i < ELEMENTSOF(placeholders); i++)
			known =
			    known || ((size_t)(e - b - 1) == strlen(placeholders[i]) &&
			                 strncmp(b + 1, placeholders[i], (size_t)(e - b - 1)) == 0);
		if (!known)
			return yaml_reader_fail(&p->r, yaml_reader_line(&p->r), name,
			    "unknown placeholder %s",
			    yaml_reader_show(b, (size_t)(e - b + 1), true, buf));
		b = e + 1;
	}
	return 0;
}

static int
set_cmdline(struct parser *p, const struct key *k, const char *name, const char *s, size_t len)
{
	int r;

	if (len > CONFIG_MAX_CMDLINE)
		return yaml_reader_fail(&p->r, yaml_reader_line(&p->r), name,
		    "too long (%zu bytes, at most %d)", len, CONFIG_MAX_CMDLINE);
	if (yaml_reader_has_control(s, len))
		return yaml_reader_fail(&p->r, yaml_reader_line(&p->r), name,
		    "contains a newline or control character");
	r = check_placeholders(p, name, s);
	if (r < 0)
		return r;
	/* the expander's own check, so that the two can never disagree */
	if (ipxe_cmdline_validate(s) < 0)
		return yaml_reader_fail(
		    &p->r, yaml_reader_line(&p->r), name, "rejected by the iPXE script generator");
	return set_string((char **)((char *)p->cfg + k->offset), s, len);
}

static int
set_ipv4(struct parser *p, const char *name, const char *s, size_t len)
{
	char buf[YAML_SHOW_BUF];
	struct in_addr a;

	if (inet_pton(AF_INET, s, &a) != 1)
		return yaml_reader_fail(&p->r, yaml_reader_line(&p->r), name,
		    "%s is not an IPv4 address", yaml_reader_show(s, len, true, buf));
	if (a.s_addr == htonl(INADDR_ANY) || a.s_addr == htonl(INADDR_BROADCAST) ||
	    IN_MULTICAST(ntohl(a.s_addr)))
		return yaml_reader_fail(&p->r, yaml_reader_line(&p->r), name,
		    "%s cannot be advertised to clients", yaml_reader_show(s, len, true, buf));
	p->cfg->advertise = a;
	p->cfg->has_advertise = true;
	return 0;
}

static void
record_line(struct parser *p, size_t offset)
{
	if (p->n_set < ELEMENTSOF(p->set)) {
		p->set[p->n_set].offset = offset;
		p->set[p->n_set].line = yaml_reader_line(&p->r);
		p->n_set++;
	}
}

static unsigned
line_of(const struct parser *p, size_t offset)
{
	for (size_t i = 0; i < p->n_set; i++)
		if (p->set[i].offset == offset)
			return p->set[i].line;
	return 0;
}

/* A scalar value; null keeps the default (loaders: null disables). */
static int
parse_scalar(struct parser *p, const struct key *k, const char *name)
{
	const char *s = (const char *)p->r.ev.data.scalar.value;
	size_t len = p->r.ev.data.scalar.length;

	if (p->r.ev.type != YAML_SCALAR_EVENT)
		return yaml_reader_fail(&p->r, yaml_reader_line(&p->r), name, "expected %s, not %s",
		    type_names[k->type], yaml_reader_kind(&p->r.ev));
	if (strlen(s) != len)
		return yaml_reader_fail(
		    &p->r, yaml_reader_line(&p->r), name, "contains a NUL character");
	record_line(p, k->offset);
	if (yaml_reader_is_null(&p->r.ev) && k->type != K_LOADER)
		return 0;
	switch (k->type) {
	case K_BOOL:
		return set_bool(p, name, s, len, (bool *)((char *)p->cfg + k->offset));
	case K_PORT:
	case K_UINT:
		return set_uint(p, k, name, s, len);
	case K_PATH:
	case K_SOCKET:
		return set_path(p, k, name, s, len);
	case K_LOADER:
		return set_loader(p, k, name, s, len);
	case K_IMAGE:
		return set_image(p, k, name, s, len);
	case K_GROUP:
		return set_group(p, k, name, s, len);
	case K_CMDLINE:
		return set_cmdline(p, k, name, s, len);
	case K_IPV4:
		return set_ipv4(p, name, s, len);
	case K_PLATFORM:
		return set_platform(p, k, name, s, len);
	case K_COMPRESSION:
		return set_compression(p, k, name, s, len);
	case K_BACKEND:
		return set_backend(p, name, s, len);
	case K_PREFIX:
		return set_prefix(p, k, name, s, len);
	case K_SECRET:
		return set_secret(p, k, name, s, len);
	case K_INSTANCE:
		return set_instance(p, k, name, s, len);
	case K_SIZE:
		return set_size(p, k, name, s, len);
	default:
		return -EINVAL;
	}
}

static bool
ifname_valid(const char *s, size_t len)
{
	if (len == 0 || len >= IFNAMSIZ || strcmp(s, ".") == 0 || strcmp(s, "..") == 0)
		return false;
	for (size_t i = 0; i < len; i++)
		if (s[i] == '/' || s[i] == ':' || (unsigned char)s[i] <= 0x20 || s[i] == 0x7f)
			return false;
	return true;
}

static void
strv_free(char **v)
{
	for (size_t i = 0; v != NULL && v[i] != NULL; i++)
		free(v[i]);
	free(v);
}

static void
strv_freep(char ***v)
{
	strv_free(*v);
}

/* One entry of 'interfaces' into v[n]. */
static int
add_interface(struct parser *p, char **v, size_t n)
{
	const char *s = (const char *)p->r.ev.data.scalar.value;
	size_t len = p->r.ev.data.scalar.length;
	char buf[YAML_SHOW_BUF];

	if (p->r.ev.type != YAML_SCALAR_EVENT)
		return yaml_reader_fail(&p->r, yaml_reader_line(&p->r), "interfaces",
		    "expected an interface name, not %s", yaml_reader_kind(&p->r.ev));
	if (n >= CONFIG_MAX_INTERFACES)
		return yaml_reader_fail(&p->r, yaml_reader_line(&p->r), "interfaces",
		    "more than %d interfaces", CONFIG_MAX_INTERFACES);
	if (strlen(s) != len || yaml_reader_is_null(&p->r.ev) || !ifname_valid(s, len))
		return yaml_reader_fail(&p->r, yaml_reader_line(&p->r), "interfaces",
		    "%s is not an interface name (1-15 characters, no '/', ':' or spaces)",
		    yaml_reader_show(s, len, true, buf));
	for (size_t i = 0; i < n; i++)
		if (strcmp(v[i], s) == 0)
			return yaml_reader_fail(&p->r, yaml_reader_line(&p->r), "interfaces",
			    "%s is listed twice", yaml_reader_show(s, len, true, buf));
	v[n] = strdup(s);
	return v[n] != NULL ? 0 : -ENOMEM;
}

static int
parse_iflist(struct parser *p)
{
	__attribute__((cleanup(strv_freep))) char **v = NULL;
	size_t n = 0;
	int r;

	if (yaml_reader_is_null(&p->r.ev))
		return 0;
	if (p->r.ev.type != YAML_SEQUENCE_START_EVENT)
		return yaml_reader_fail(&p->r, yaml_reader_line(&p->r), "interfaces",
		    "expected %s, not %s", type_names[K_IFLIST], yaml_reader_kind(&p->r.ev));
	v = calloc(CONFIG_MAX_INTERFACES + 1, sizeof(*v));
	if (v == NULL)
		return -ENOMEM;
	while ((r = yaml_reader_next(&p->r)) == 0 && p->r.ev.type != YAML_SEQUENCE_END_EVENT) {
		r = add_interface(p, v, n);
		if (r < 0)
			return r;
		n++;
	}
	if (r < 0)
		return r;
	strv_free(p->cfg->interfaces);
	p->cfg->interfaces = TAKE_PTR(v);
	p->cfg->n_interfaces = n;
	return 0;
}

/* registry.insecure: host, IPv4 or [IPv6], with an optional :port. */
static bool
host_port_valid(const char *s, size_t len)
{
	const char *colon = strrchr(s, ':');

	if (len == 0 || len > 255 ||
	    strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-:[]") != len)
		return false;
	if (s[0] == '[')
		colon = strstr(s, "]:") != NULL ? strstr(s, "]:") + 1 : NULL;
	if (s[0] == '[' && strchr(s, ']') == NULL)
		return false;
	if (s[0] != '[' && colon != NULL && strchr(s, ':') != colon)
		return false; /* an IPv6 address needs brackets */
	if (colon != NULL) {
		unsigned long port = 0;
		const char *d = colon + 1;

		if (*d == '\0' || strspn(d, "0123456789") != strlen(d) || strlen(d) > 5)
			return false;
		port = strtoul(d, NULL, 10);
		if (port < 1 || port > 65535 || colon == s)
			return false;
	}
	return true;
}

/* store.endpoints: http:// or https://, a host, an optional :port, no path. */
static bool
url_valid(const char *s, size_t len)
{
	size_t skip = strncmp(s, "http://", 7) == 0 ? 7 : strncmp(s, "https://", 8) == 0 ? 8 : 0;

	return skip > 0 && len > skip && strchr(s + skip, '/') == NULL &&
	       host_port_valid(s + skip, len - skip);
}

/* What a list holds: its elements' check, their description, the cap. */
struct list_kind {
	bool (*valid)(const char *s, size_t len);
	const char *what;   /* "HOST[:PORT]" */
	const char *plural; /* "registries" */
	size_t max;
};

static const struct list_kind host_list = {
    host_port_valid, "HOST[:PORT]", "registries", CONFIG_MAX_INSECURE};
static const struct list_kind url_list = {
    url_valid, "http(s)://HOST:PORT", "endpoints", CONFIG_MAX_ENDPOINTS};

/* http.ui_allow: an IPv4 network. */
static bool
cidr_valid(const char *s, size_t len)
{
	struct in_addr net;
	unsigned prefix;

	(void)len;
	return config_cidr_parse(s, &net, &prefix) == 0;
}

static const struct list_kind cidr_list = {
    cidr_valid, "an IPv4 network like 10.0.0.0/24", "networks", CONFIG_MAX_UI_ALLOW};

static int
add_item(struct parser *p, const char *name, const struct list_kind *lk, char **v, size_t n)
{
	const char *s = (const char *)p->r.ev.data.scalar.value;
	size_t len = p->r.ev.data.scalar.length;
	char buf[YAML_SHOW_BUF];

	if (p->r.ev.type != YAML_SCALAR_EVENT)
		return yaml_reader_fail(&p->r, yaml_reader_line(&p->r), name, "expected %s, not %s",
		    lk->what, yaml_reader_kind(&p->r.ev));
	if (n >= lk->max)
		return yaml_reader_fail(
		    &p->r, yaml_reader_line(&p->r), name, "more than %zu %s", lk->max, lk->plural);
	if (strlen(s) != len || yaml_reader_is_null(&p->r.ev) || !lk->valid(s, len))
		return yaml_reader_fail(&p->r, yaml_reader_line(&p->r), name, "%s is not %s",
		    yaml_reader_show(s, len, true, buf), lk->what);
	v[n] = strdup(s);
	return v[n] != NULL ? 0 : -ENOMEM;
}

/* A list of strings of one kind into *ret_v / *ret_n; null or [] is none. */
static int
parse_strlist(struct parser *p, const struct key *k, const char *name, const struct list_kind *lk,
    char ***ret_v, size_t *ret_n)
{
	__attribute__((cleanup(strv_freep))) char **v = calloc(lk->max + 1, sizeof(*v));
	size_t n = 0;
	int r = 0;

	if (v == NULL)
		return -ENOMEM;
	if (yaml_reader_is_null(&p->r.ev))
		return 0;
	if (p->r.ev.type != YAML_SEQUENCE_START_EVENT)
		return yaml_reader_fail(&p->r, yaml_reader_line(&p->r), name, "expected %s, not %s",
		    type_names[k->type], yaml_reader_kind(&p->r.ev));
	record_line(p, k->offset);
	while ((r = yaml_reader_next(&p->r)) == 0 && p->r.ev.type != YAML_SEQUENCE_END_EVENT) {
		if ((r = add_item(p, name, lk, v, n)) < 0)
			return r;
		n++;
	}
	if (r < 0)
		return r;
	strv_free(*ret_v);
	*ret_v = TAKE_PTR(v);
	*ret_n = n;
	return 0;
}

static int parse_map(struct parser *p, const struct key *keys, const char *prefix);

static int
parse_value(struct parser *p, const struct key *k, const char *name)
{
	int r = yaml_reader_next(&p->r);

	if (r < 0)
		return r;
	switch (k->type) {
	case K_SECTION:
		if (yaml_reader_is_null(&p->r.ev))
			return 0;
		if (p->r.ev.type != YAML_MAPPING_START_EVENT)
			return yaml_reader_fail(&p->r, yaml_reader_line(&p->r), name,
			    "expected a mapping, not %s", yaml_reader_kind(&p->r.ev));
		return parse_map(p, k->section, name);
	case K_IFLIST:
		return parse_iflist(p);
	case K_HOSTLIST:
		return parse_strlist(p, k, name, &host_list, &p->cfg->registry.insecure,
		    &p->cfg->registry.n_insecure);
	case K_URLLIST:
		return parse_strlist(
		    p, k, name, &url_list, &p->cfg->store.endpoints, &p->cfg->store.n_endpoints);
	case K_CIDRLIST:
		return parse_strlist(
		    p, k, name, &cidr_list, &p->cfg->http.ui_allow, &p->cfg->http.n_ui_allow);
	default:
		return parse_scalar(p, k, name);
	}
}

/* The body of a mapping whose MAPPING-START is the current event. */
static int
parse_map(struct parser *p, const struct key *keys, const char *prefix)
{
	uint32_t seen = 0;
	char buf[YAML_SHOW_BUF], name[64];
	const struct key *k;
	int r;

	while ((r = yaml_reader_next(&p->r)) == 0 && p->r.ev.type != YAML_MAPPING_END_EVENT) {
		const char *s = (const char *)p->r.ev.data.scalar.value;
		size_t len = p->r.ev.data.scalar.length;

		if (p->r.ev.type != YAML_SCALAR_EVENT)
			return yaml_reader_fail(&p->r, yaml_reader_line(&p->r), prefix,
			    "a key must be a string, not %s", yaml_reader_kind(&p->r.ev));
		k = strlen(s) == len ? yaml_reader_lookup(keys, sizeof(*keys), s) : NULL;
		if (k == NULL)
			return yaml_reader_fail(&p->r, yaml_reader_line(&p->r), NULL,
			    "unknown key %s%s%s", prefix != NULL ? prefix : "",
			    prefix != NULL ? "." : "", yaml_reader_show(s, len, len == 0, buf));
		snprintf(name, sizeof(name), "%s%s%s", prefix != NULL ? prefix : "",
		    prefix != NULL ? "." : "", k->name);
		if (seen & (UINT32_C(1) << (k - keys)))
			return yaml_reader_fail(
			    &p->r, yaml_reader_line(&p->r), NULL, "duplicate key %s", name);
		seen |= UINT32_C(1) << (k - keys);
		r = parse_value(p, k, name);
		if (r < 0)
			return r;
	}
	return r;
}

/* Two enabled UDP services of ours on one port cannot both bind it. */
static int
check_ports(struct parser *p)
{
	const struct config *c = p->cfg;
	const struct {
		const char *name;
		size_t offset;
		bool enabled;
		uint16_t port;
	} u[] = {
	    {"dhcp.port", F(dhcp.port), c->dhcp.enabled, c->dhcp.port},
	    {"dhcp.pxe_port", F(dhcp.pxe_port), c->dhcp.enabled, c->dhcp.pxe_port},
	    {"tftp.port", F(tftp.port), c->tftp.enabled, c->tftp.port},
	    {"syslog.port", F(syslog.port), c->syslog.enabled, c->syslog.port},
	};

	for (size_t i = 0; i < ELEMENTSOF(u); i++)
		for (size_t j = i + 1; j < ELEMENTSOF(u); j++) {
			unsigned li = line_of(p, u[i].offset), lj = line_of(p, u[j].offset);
			size_t a = lj >= li ? j : i, b = lj >= li ? i : j;

			if (!u[i].enabled || !u[j].enabled || u[i].port != u[j].port)
				continue;
			return yaml_reader_fail(&p->r, lj >= li ? lj : li, u[a].name,
			    "%u is already used by %s", u[a].port, u[b].name);
		}
	return 0;
}

/* The store's keys that go together. */
static int
check_store(struct parser *p)
{
	const struct config *c = p->cfg;
	unsigned line = line_of(p, F(store.backend));

	if (c->store.backend == CONFIG_STORE_ETCD && c->store.n_endpoints == 0)
		return yaml_reader_fail(&p->r, line, "store.endpoints",
		    "is needed with store.backend etcd (the etcd members' URLs)");
	if (c->store.backend == CONFIG_STORE_LOCAL && c->store.n_endpoints > 0)
		return yaml_reader_fail(&p->r, line_of(p, F(store.endpoints)), "store.endpoints",
		    "is set, but store.backend is local (say backend: etcd)");
	if ((c->store.tls.cert == NULL) != (c->store.tls.key == NULL))
		return yaml_reader_fail(&p->r,
		    line_of(p, F(store.tls.cert)) + line_of(p, F(store.tls.key)), "store.tls",
		    "needs both cert and key, or neither");
	if ((c->store.username == NULL) != (c->store.password == NULL))
		return yaml_reader_fail(&p->r,
		    line_of(p, F(store.username)) + line_of(p, F(store.password)), "store",
		    "needs both username and password, or neither");
	return 0;
}

/* The top-level mapping, then what involves more than one key. */
static int
parse_top(void *userdata)
{
	struct parser *p = userdata;
	int r = parse_map(p, top_keys, NULL);

	if (r == 0)
		r = check_ports(p);
	return r < 0 ? r : check_store(p);
}

int
config_parse(const char *buf, size_t len, const char *name, struct config **ret, char **ret_error)
{
	struct parser p = {.cfg = NULL};
	int r;

	name = name != NULL ? name : "<config>";
	if ((r = yaml_reader_check_size(name, len, CONFIG_MAX_FILE_SIZE, ret_error)) < 0)
		return r;
	p.cfg = config_new();
	if (p.cfg == NULL || yaml_reader_init(&p.r, name, buf, len, CONFIG_MAX_DEPTH) < 0) {
		config_free(p.cfg);
		return -ENOMEM;
	}
	r = yaml_reader_finish(&p.r, yaml_reader_document(&p.r, parse_top, &p), ret_error);
	if (r < 0) {
		config_free(p.cfg);
		return r;
	}
	*ret = p.cfg;
	return 0;
}

static int load_fail(char **ret_error, int r, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
load_fail(char **ret_error, int r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	if (vasprintf(ret_error, fmt, ap) < 0) {
		*ret_error = NULL;
		r = -ENOMEM;
	}
	va_end(ap);
	return r;
}

/* Read a regular file of at most CONFIG_MAX_FILE_SIZE bytes (one more shows it grew). */
static int
read_file(const char *path, char **ret, size_t *ret_len, char **ret_error)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	_cleanup_free_ char *buf = NULL;
	size_t len = 0, cap;
	struct stat st;

	if (fd < 0 || fstat(fd, &st) < 0)
		return load_fail(ret_error, -errno, "%s: %s", path, strerror(errno));
	if (!S_ISREG(st.st_mode))
		return load_fail(ret_error, -EINVAL, "%s: not a regular file", path);
	if (st.st_size > CONFIG_MAX_FILE_SIZE)
		return load_fail(ret_error, -EFBIG, "%s: too large (%jd bytes, at most %d)", path,
		    (intmax_t)st.st_size, CONFIG_MAX_FILE_SIZE);
	cap = (size_t)st.st_size + 1;
	buf = malloc(cap);
	if (buf == NULL)
		return -ENOMEM;
	while (len < cap) {
		ssize_t n = read(fd, buf + len, cap - len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return load_fail(ret_error, -errno, "%s: %s", path, strerror(errno));
		if (n == 0)
			break;
		len += (size_t)n;
	}
	if (len == cap)
		return load_fail(ret_error, -EAGAIN, "%s: changed while being read", path);
	*ret = TAKE_PTR(buf);
	*ret_len = len;
	return 0;
}

int
config_load(const char *path, struct config **ret, char **ret_error)
{
	_cleanup_free_ char *buf = NULL;
	struct config *c = NULL;
	size_t len = 0;
	int r;

	r = read_file(path, &buf, &len, ret_error);
	if (r < 0)
		return r;
	r = config_parse(buf, len, path, &c, ret_error);
	if (r < 0)
		return r;
	c->path = strdup(path);
	if (c->path == NULL) {
		config_free(c);
		return -ENOMEM;
	}
	*ret = c;
	return 0;
}

struct config *
config_new(void)
{
	struct config *c = calloc(1, sizeof(*c));

	if (c == NULL)
		return NULL;
	*c = (struct config){
	    .interfaces = calloc(1, sizeof(char *)),
	    .state_dir = strdup(CONFIG_DEFAULT_STATEDIR),
	    .dhcp = {.enabled = true, .port = 67, .pxe_port = 4011},
	    .tftp = {.enabled = true,
	        .port = 69,
	        .max_sessions = 256,
	        .timeout = 1,
	        .retries = 5,
	        .max_blksize = 1468,
	        .max_windowsize = 64},
	    .http = {.enabled = true,
	        .port = 8090,
	        .max_connections = 1024,
	        .max_connections_per_address = 64,
	        .timeout = 60,
	        .header_timeout = 60,
	        .ui = true,
	        .ui_allow = calloc(1, sizeof(char *))},
	    .syslog = {.port = 514,
	        .ring_lines = CONFIG_DEFAULT_SYSLOG_RING,
	        .max_line = CONFIG_DEFAULT_SYSLOG_LINE},
	    .ipxe = {.dir = strdup(CONFIG_DEFAULT_IPXEDIR),
	        .bios = strdup("undionly.kpxe"),
	        .efi64 = strdup("ipxe.efi")},
	    .def = {.cmdline = strdup(CONFIG_DEFAULT_CMDLINE)},
	    .control = {.socket = strdup(CONFIG_DEFAULT_SOCKET),
	        .group = strdup(CONFIG_DEFAULT_GROUP)},
	    .store = {.endpoints = calloc(1, sizeof(char *)),
	        .prefix = strdup(CONFIG_DEFAULT_ETCD_PREFIX)},
	    .registry = {.insecure = calloc(1, sizeof(char *)),
	        .auth_file = strdup(CONFIG_DEFAULT_AUTHFILE),
	        .platform = strdup(CONFIG_DEFAULT_PLATFORM),
	        .compression = strdup("gzip")},
	    .images = {.max_size = CONFIG_DEFAULT_IMAGE_SIZE,
	        .import_memory = CONFIG_DEFAULT_IMPORT_MEMORY,
	        .import_cpu = CONFIG_DEFAULT_IMPORT_CPU},
	};
	if (c->interfaces == NULL || c->state_dir == NULL || c->ipxe.dir == NULL ||
	    c->ipxe.bios == NULL || c->ipxe.efi64 == NULL || c->def.cmdline == NULL ||
	    c->control.socket == NULL || c->control.group == NULL || c->registry.insecure == NULL ||
	    c->store.endpoints == NULL || c->store.prefix == NULL || c->http.ui_allow == NULL ||
	    c->registry.auth_file == NULL || c->registry.platform == NULL ||
	    c->registry.compression == NULL) {
		config_free(c);
		return NULL;
	}
	return c;
}

void
config_free(struct config *c)
{
	if (c == NULL)
		return;
	free(c->path);
	strv_free(c->interfaces);
	free(c->state_dir);
	free(c->tftp.root);
	strv_free(c->http.ui_allow);
	free(c->ipxe.dir);
	free(c->ipxe.bios);
	free(c->ipxe.efi32);
	free(c->ipxe.efi64);
	free(c->ipxe.arm64);
	free(c->loaders.dir);
	free(c->def.image);
	free(c->def.cmdline);
	free(c->def.cloud_config);
	free(c->control.socket);
	free(c->control.group);
	strv_free(c->registry.insecure);
	free(c->registry.auth_file);
	free(c->registry.platform);
	free(c->registry.compression);
	strv_free(c->store.endpoints);
	free(c->store.prefix);
	free(c->store.instance);
	free(c->store.tls.ca);
	free(c->store.tls.cert);
	free(c->store.tls.key);
	free(c->store.username);
	free(c->store.password);
	free(c);
}

char *
config_tftp_root(const struct config *c)
{
	size_t len = strlen(c->state_dir);
	char *s;

	if (c->tftp.root != NULL)
		return strdup(c->tftp.root);
	while (len > 1 && c->state_dir[len - 1] == '/')
		len--;
	if (asprintf(&s, "%.*s%s", (int)len, c->state_dir, len == 1 ? "tftp" : "/tftp") < 0)
		return NULL;
	return s;
}

int
config_cidr_parse(const char *s, struct in_addr *ret_net, unsigned *ret_prefix)
{
	const char *slash = strchr(s, '/');
	char addr[INET_ADDRSTRLEN];
	unsigned long prefix = 32;
	struct in_addr net;
	size_t alen = slash != NULL ? (size_t)(slash - s) : strlen(s);
	uint32_t mask;

	if (alen == 0 || alen >= sizeof(addr))
		return -EINVAL;
	memcpy(addr, s, alen);
	addr[alen] = '\0';
	if (inet_pton(AF_INET, addr, &net) != 1)
		return -EINVAL;
	if (slash != NULL) {
		const char *d = slash + 1;

		if (*d == '\0' || strlen(d) > 2 || strspn(d, "0123456789") != strlen(d) ||
		    (d[0] == '0' && d[1] != '\0'))
			return -EINVAL;
		prefix = strtoul(d, NULL, 10);
		if (prefix > 32)
			return -EINVAL;
	}
	mask = prefix == 0 ? 0 : UINT32_MAX << (32 - prefix);
	if ((ntohl(net.s_addr) & ~mask) != 0)
		return -EINVAL; /* host bits set */
	*ret_net = net;
	*ret_prefix = (unsigned)prefix;
	return 0;
}

bool
config_ui_allowed(const struct config *c, struct in_addr addr)
{
	if (c->http.n_ui_allow == 0)
		return true;
	for (size_t i = 0; i < c->http.n_ui_allow; i++) {
		struct in_addr net;
		unsigned prefix;
		uint32_t mask;

		if (config_cidr_parse(c->http.ui_allow[i], &net, &prefix) < 0)
			continue;
		mask = prefix == 0 ? 0 : UINT32_MAX << (32 - prefix);
		if ((ntohl(addr.s_addr) & mask) == ntohl(net.s_addr))
			return true;
	}
	return false;
}
