/*
 * Parsing the fleet file (fleet-file.h, netbootd-fleet(5)): libyaml events
 * through the strict reader of lib/conf/yaml-reader.h, driven by tables of
 * keys: one table per kind of item, each key with the type of its value and
 * its place in the item.  Every item keeps the line of its name; the
 * arrays are sorted at the end, which is where a name given twice shows.
 */
#include "fleet-file.h"

#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "boot-policy.h"
#include "cloud-config.h"
#include "ipxe-script.h"
#include "util.h"
#include "yaml-reader.h"

#define WHAT_MAX  (YAML_SHOW_BUF + 16) /* "profile \"<a name, as shown>\"" */
#define NAME_RULE "1-64 of A-Z a-z 0-9 . _ -, not starting with ."

enum key_type {
	K_NAME,      /* an image, config or profile name */
	K_CMDLINE,   /* cmdline: replaces the image's */
	K_APPEND,    /* cmdline_append: appended to it */
	K_LOADER,    /* "ipxe" */
	K_ACTION,    /* netboot, local, ignore */
	K_PRIORITY,  /* a decimal integer */
	K_BOOL,      /* true or false (yes/no, on/off) */
	K_BOOL_NOT,  /* the same, stored negated (report: false sets no_report) */
	K_AFTER,     /* after_install: local, netboot, ignore */
	K_MATCH,     /* the selectors: a mapping */
	K_MAC,       /* a MAC or glob */
	K_UUID,      /* with 'aux' the offset of has_uuid */
	K_ARCH,      /* bios, ... */
	K_INTERFACE, /* a name or a.b.c.d/len */
	K_LABELS,    /* a mapping of key: value */
	K_FILE,      /* a config's content, from a file */
	K_INLINE,    /* a config's content, as written */
};

struct key {
	const char *name;
	enum key_type type;
	size_t offset;   /* of the field in the item */
	size_t aux;      /* K_CMDLINE, K_APPEND: of cmdline_mode; K_UUID: of has_uuid */
	unsigned either; /* keys with the same non-zero number exclude each other */
};

#define P(field) offsetof(struct fleet_profile, field)
#define G(field) offsetof(struct fleet_group, field)
#define M(field) offsetof(struct fleet_match, field)
#define H(field) offsetof(struct fleet_machine, field)
#define C(field) offsetof(struct fleet_config, field)

static const struct key profile_keys[] = {
    {"image", K_NAME, P(image), 0, 0},
    {"config", K_NAME, P(config), 0, 0},
    {"cmdline", K_CMDLINE, P(cmdline), P(cmdline_mode), 1},
    {"cmdline_append", K_APPEND, P(cmdline), P(cmdline_mode), 1},
    {"loader", K_LOADER, P(loader), 0, 0},
    {"action", K_ACTION, P(action), 0, 0},
    {"netconsole", K_BOOL, P(netconsole), 0, 0},
    {"report", K_BOOL_NOT, P(no_report), 0, 0},
    {"after_install", K_AFTER, P(after_install), 0, 0},
    {NULL, 0, 0, 0, 0},
};

static const struct key match_keys[] = {
    {"mac", K_MAC, M(mac), 0, 0},
    {"uuid", K_UUID, M(uuid), M(has_uuid), 0},
    {"arch", K_ARCH, M(arch), 0, 0},
    {"interface", K_INTERFACE, M(interface), 0, 0},
    {"labels", K_LABELS, M(labels), 0, 0},
    {NULL, 0, 0, 0, 0},
};

static const struct key group_keys[] = {
    {"match", K_MATCH, G(match), 0, 0},
    {"profile", K_NAME, G(profile), 0, 0},
    {"priority", K_PRIORITY, G(priority), 0, 0},
    {NULL, 0, 0, 0, 0},
};

static const struct key machine_keys[] = {
    {"labels", K_LABELS, H(labels), 0, 0},
    {"profile", K_NAME, H(profile), 0, 1},
    {"image", K_NAME, H(image), 0, 1},
    {"config", K_NAME, H(config), 0, 0},
    {"cmdline", K_CMDLINE, H(cmdline), H(cmdline_mode), 2},
    {"cmdline_append", K_APPEND, H(cmdline), H(cmdline_mode), 2},
    {NULL, 0, 0, 0, 0},
};

static const struct key config_keys[] = {
    {"file", K_FILE, C(content), 0, 1},
    {"inline", K_INLINE, C(content), 0, 1},
    {NULL, 0, 0, 0, 0},
};

/* The four top-level keys: one array of the fleet each. */
struct section {
	const char *key;   /* "profiles" */
	const char *noun;  /* "profile" */
	const char *where; /* for "key \"x\" is not known in a profile" */
	const struct key *keys;
	size_t size, max;
	size_t v_offset, n_offset, line_offset;
};

#define SECTION(key, noun, where, keys, type, array, max)                                          \
	{                                                                                          \
		key, noun, where, keys, sizeof(type), max, offsetof(struct fleet, array),          \
		    offsetof(struct fleet, n_##array), offsetof(type, line)                        \
	}

enum { S_CONFIGS, S_PROFILES, S_GROUPS, S_MACHINES, _S_MAX };

static const struct section sections[_S_MAX] = {
    [S_CONFIGS] = SECTION("configs", "config", "a config", config_keys, struct fleet_config,
        configs, FLEET_FILE_MAX_CONFIGS),
    [S_PROFILES] = SECTION("profiles", "profile", "a profile", profile_keys, struct fleet_profile,
        profiles, FLEET_MAX_PROFILES),
    [S_GROUPS] = SECTION(
        "groups", "group", "a group", group_keys, struct fleet_group, groups, FLEET_MAX_GROUPS),
    [S_MACHINES] = SECTION("machines", "machine", "a machine", machine_keys, struct fleet_machine,
        machines, FLEET_MAX_MACHINES),
};

struct parser {
	struct yaml_reader r;
	fleet_file_read_fn read;
	void *userdata;
	size_t read_total; /* bytes of `file:` configs so far */
	struct fleet f;
	size_t cap[_S_MAX];
};

static unsigned
line(const struct parser *p)
{
	return yaml_reader_line(&p->r);
}

static const char *
ev_string(const struct parser *p)
{
	return (const char *)p->r.ev.data.scalar.value;
}

static size_t
ev_length(const struct parser *p)
{
	return p->r.ev.data.scalar.length;
}

/* The current event as a string: a scalar without NUL bytes. */
static int
expect_string(struct parser *p, const char *what, const char *expected)
{
	if (p->r.ev.type != YAML_SCALAR_EVENT)
		return yaml_reader_fail(&p->r, line(p), what, "expected %s, not %s", expected,
		    yaml_reader_kind(&p->r.ev));
	if (strlen(ev_string(p)) != ev_length(p))
		return yaml_reader_fail(&p->r, line(p), what, "contains a NUL character");
	return 0;
}

static int
bad_value(struct parser *p, const char *what, const char *key, const char *rule)
{
	char buf[YAML_SHOW_BUF];

	return yaml_reader_fail(&p->r, line(p), what, "%s: %s is not %s", key,
	    yaml_reader_show(ev_string(p), ev_length(p), true, buf), rule);
}

static int
set_string(char **field, const char *s)
{
	char *copy = strdup(s);

	if (copy == NULL)
		return -ENOMEM;
	free(*field);
	*field = copy;
	return 0;
}

static int
set_cmdline(struct parser *p, const struct key *k, void *item, const char *what)
{
	if (ev_length(p) > FLEET_CMDLINE_MAX)
		return yaml_reader_fail(&p->r, line(p), what,
		    "%s: too long (%zu bytes, at most %d)", k->name, ev_length(p),
		    FLEET_CMDLINE_MAX);
	if (yaml_reader_has_control(ev_string(p), ev_length(p)))
		return yaml_reader_fail(
		    &p->r, line(p), what, "%s: contains a newline or control character", k->name);
	*(enum boot_cmdline_mode *)((char *)item + k->aux) =
	    k->type == K_CMDLINE ? BOOT_CMDLINE_REPLACE : BOOT_CMDLINE_APPEND;
	return set_string((char **)((char *)item + k->offset), ev_string(p));
}

static int
set_priority(struct parser *p, const struct key *k, void *item, const char *what)
{
	char buf[YAML_SHOW_BUF];
	unsigned long long v;
	bool neg;

	if (yaml_reader_decimal(ev_string(p), ev_length(p), &neg, &v) < 0)
		return bad_value(p, what, k->name, "a decimal number");
	if (v > FLEET_PRIORITY_MAX)
		return yaml_reader_fail(&p->r, line(p), what, "%s: %s is out of range (%d-%d)",
		    k->name, yaml_reader_show(ev_string(p), ev_length(p), false, buf),
		    -FLEET_PRIORITY_MAX, FLEET_PRIORITY_MAX);
	*(int *)((char *)item + k->offset) = neg ? -(int)v : (int)v;
	return 0;
}

static int
set_bool(struct parser *p, const struct key *k, void *item, const char *what)
{
	static const char *const words[] = {"true", "false", "yes", "no", "on", "off"};
	const char *s = ev_string(p);

	for (size_t i = 0; i < ELEMENTSOF(words); i++)
		if (strcmp(s, words[i]) == 0) {
			*(bool *)((char *)item + k->offset) =
			    (i % 2 == 0) != (k->type == K_BOOL_NOT);
			return 0;
		}
	return bad_value(p, what, k->name, "a boolean (true or false)");
}

static int
set_arch(struct parser *p, const struct key *k, void *item, const char *what)
{
	char names[128] = "", buf[YAML_SHOW_BUF];

	if (boot_arch_from_name(ev_string(p), (enum boot_arch *)((char *)item + k->offset)) == 0)
		return 0;
	for (int a = BOOT_ARCH_UNKNOWN + 1; a < _BOOT_ARCH_MAX; a++)
		snprintf(names + strlen(names), sizeof(names) - strlen(names), "%s%s",
		    a > BOOT_ARCH_UNKNOWN + 1 ? ", " : "", boot_arch_name((enum boot_arch)a));
	return yaml_reader_fail(&p->r, line(p), what, "arch: %s is not one of %s",
	    yaml_reader_show(ev_string(p), ev_length(p), true, buf), names);
}

static int
set_mac(struct parser *p, const struct key *k, void *item, const char *what)
{
	char glob[FLEET_MAC_GLOB_MAX + 1];

	if (fleet_mac_glob_parse(ev_string(p), glob) < 0)
		return bad_value(p, what, k->name, "a MAC address or a glob of one ('*', '?')");
	return set_string((char **)((char *)item + k->offset), glob);
}

static int
set_uuid(struct parser *p, const struct key *k, void *item, const char *what)
{
	if (fleet_uuid_parse(ev_string(p), (uint8_t *)item + k->offset) < 0)
		return bad_value(p, what, k->name, "a UUID (8-4-4-4-12 hex digits)");
	*(bool *)((char *)item + k->aux) = true;
	return 0;
}

/* A config's content: at most CLOUD_CONFIG_MAX bytes of a valid cloud-config. */
static int
set_content(struct parser *p, struct fleet_config *c, const char *what, const char *s, size_t len)
{
	_cleanup_free_ char *msg = NULL;

	if (len > CLOUD_CONFIG_MAX)
		return yaml_reader_fail(&p->r, line(p), what, "too large (%zu bytes, at most %d)",
		    len, CLOUD_CONFIG_MAX);
	if (cloud_config_validate(s, len, &msg) < 0)
		return msg == NULL ? -ENOMEM
		                   : yaml_reader_fail(
		                         &p->r, line(p), what, "not a valid cloud-config: %s", msg);
	free(c->content);
	if ((c->content = malloc(len + 1)) == NULL)
		return -ENOMEM;
	memcpy(c->content, s, len);
	c->content[len] = '\0';
	c->len = len;
	return 0;
}

static int
read_content(struct parser *p, struct fleet_config *c, const char *what)
{
	_cleanup_free_ char *buf = NULL, *msg = NULL;
	char show[YAML_SHOW_BUF];
	size_t len = 0;
	int r;

	if (ev_length(p) == 0 || ev_length(p) >= PATH_MAX ||
	    yaml_reader_has_control(ev_string(p), ev_length(p)))
		return bad_value(p, what, "file", "a path");
	yaml_reader_show(ev_string(p), ev_length(p), true, show);
	if (p->read == NULL)
		return yaml_reader_fail(
		    &p->r, line(p), what, "file: %s cannot be read here; use inline", show);
	r = p->read(p->userdata, ev_string(p), &buf, &len, &msg);
	if (r == -ENOMEM)
		return r;
	if (r < 0)
		return yaml_reader_fail(
		    &p->r, line(p), what, "file: %s", msg != NULL ? msg : strerror(-r));
	if (len > FLEET_FILE_MAX_READ - p->read_total)
		return yaml_reader_fail(&p->r, line(p), what,
		    "file: %s: the files read exceed %d bytes together", show, FLEET_FILE_MAX_READ);
	p->read_total += len;
	return set_content(p, c, what, buf != NULL ? buf : "", len);
}

static int
set_scalar(struct parser *p, const struct key *k, void *item, const char *what)
{
	char **field = (char **)((char *)item + k->offset);
	const char *s = ev_string(p);

	switch (k->type) {
	case K_NAME:
		return name_valid(s) ? set_string(field, s)
		                     : bad_value(p, what, k->name, "a name (" NAME_RULE ")");
	case K_CMDLINE:
	case K_APPEND:
		return set_cmdline(p, k, item, what);
	case K_LOADER:
		return boot_loader_kind_from_name(s, &(enum boot_loader_kind){0}) == 0
		           ? set_string(field, s)
		           : bad_value(p, what, k->name, "a loader (ipxe, grub or shim-grub)");
	case K_ACTION:
		return fleet_action_from_name(s, (enum fleet_action *)field) == 0
		           ? 0
		           : bad_value(p, what, k->name, "an action (netboot, local or ignore)");
	case K_PRIORITY:
		return set_priority(p, k, item, what);
	case K_BOOL:
	case K_BOOL_NOT:
		return set_bool(p, k, item, what);
	case K_AFTER:
		return fleet_after_install_from_name(s, (enum fleet_after_install *)field) == 0
		           ? 0
		           : bad_value(p, what, k->name, "local, netboot or ignore");
	case K_MAC:
		return set_mac(p, k, item, what);
	case K_UUID:
		return set_uuid(p, k, item, what);
	case K_ARCH:
		return set_arch(p, k, item, what);
	case K_INTERFACE:
		return fleet_interface_check(s) == 0
		           ? set_string(field, s)
		           : bad_value(p, what, k->name, "an interface name or a.b.c.d/len");
	case K_FILE:
		return read_content(p, item, what);
	case K_INLINE:
		return set_content(p, item, what, s, ev_length(p));
	default:
		return -EINVAL;
	}
}

static int
parse_labels(struct parser *p, struct fleet_labels *l, const char *what)
{
	char buf[YAML_SHOW_BUF], key[FLEET_LABEL_KEY_MAX + 8];
	int r;

	while ((r = yaml_reader_next(&p->r)) == 0 && p->r.ev.type != YAML_MAPPING_END_EVENT) {
		if ((r = expect_string(p, what, "a label key")) < 0)
			return r;
		if (!fleet_label_key_valid(ev_string(p)))
			return bad_value(p, what, "labels",
			    "a label key (1-63 of a-z 0-9 . _ -, starting with a letter or digit, "
			    "after an optional DNS prefix and /)");
		if (fleet_labels_get(l, ev_string(p)) != NULL)
			return yaml_reader_fail(&p->r, line(p), what, "label %s is given twice",
			    yaml_reader_show(ev_string(p), ev_length(p), true, buf));
		if (l->n >= FLEET_MAX_LABELS)
			return yaml_reader_fail(
			    &p->r, line(p), what, "more than %d labels", FLEET_MAX_LABELS);
		snprintf(key, sizeof(key), "labels.%s", ev_string(p));
		if ((r = yaml_reader_next(&p->r)) < 0 ||
		    (r = expect_string(p, what, "a label value")) < 0)
			return r;
		if (!fleet_label_value_valid(ev_string(p)))
			return bad_value(p, what, key, "a label value (0-63 of A-Z a-z 0-9 . _ -)");
		if ((r = fleet_labels_set(l, key + strlen("labels."), ev_string(p))) < 0)
			return r;
	}
	return r;
}

static int parse_map(
    struct parser *p, const struct key *keys, void *item, const char *what, const char *where);

/* The value of key k: a mapping, or a scalar (null leaves the default). */
static int
parse_value(struct parser *p, const struct key *k, void *item, const char *what)
{
	int r = yaml_reader_next(&p->r);

	if (r < 0)
		return r;
	if (k->type == K_MATCH || k->type == K_LABELS) {
		if (yaml_reader_is_null(&p->r.ev))
			return 0;
		if (p->r.ev.type != YAML_MAPPING_START_EVENT)
			return yaml_reader_fail(&p->r, line(p), what,
			    "%s: expected a mapping, not %s", k->name, yaml_reader_kind(&p->r.ev));
		if (k->type == K_LABELS)
			return parse_labels(
			    p, (struct fleet_labels *)((char *)item + k->offset), what);
		return parse_map(p, match_keys, (char *)item + k->offset, what, "a group's match");
	}
	if ((r = expect_string(p, what, "a scalar")) < 0)
		return r;
	if (yaml_reader_is_null(&p->r.ev) && k->type != K_FILE && k->type != K_INLINE)
		return 0;
	return set_scalar(p, k, item, what);
}

/* The body of a mapping whose MAPPING-START is the current event. */
static int
parse_map(struct parser *p, const struct key *keys, void *item, const char *what, const char *where)
{
	char buf[YAML_SHOW_BUF];
	uint32_t seen = 0;
	const struct key *k;
	int r;

	while ((r = yaml_reader_next(&p->r)) == 0 && p->r.ev.type != YAML_MAPPING_END_EVENT) {
		if ((r = expect_string(p, what, "a key")) < 0)
			return r;
		if ((k = yaml_reader_lookup(keys, sizeof(*keys), ev_string(p))) == NULL)
			return yaml_reader_fail(&p->r, line(p), NULL, "key %s is not known in %s",
			    yaml_reader_show(ev_string(p), ev_length(p), true, buf), where);
		if (seen & (UINT32_C(1) << (k - keys)))
			return yaml_reader_fail(
			    &p->r, line(p), what, "key \"%s\" is given twice", k->name);
		for (const struct key *o = keys; k->either != 0 && o->name != NULL; o++)
			if (o != k && o->either == k->either &&
			    (seen & (UINT32_C(1) << (o - keys))))
				return yaml_reader_fail(&p->r, line(p), what,
				    "%s and %s exclude each other", o->name, k->name);
		seen |= UINT32_C(1) << (k - keys);
		if ((r = parse_value(p, k, item, what)) < 0)
			return r;
	}
	return r;
}

static void *
section_items(const struct fleet *f, const struct section *s)
{
	return *(void *const *)((const char *)f + s->v_offset);
}

static size_t *
section_count(struct fleet *f, const struct section *s)
{
	return (size_t *)((char *)f + s->n_offset);
}

static void *
item_at(const struct section *s, const void *v, size_t i)
{
	return (char *)v + i * s->size;
}

/* A new, zeroed item at the end of the section's array; NULL with the error set. */
static void *
section_add(struct parser *p, const struct section *s, int *ret)
{
	void **v = (void **)((char *)&p->f + s->v_offset);
	size_t *n = section_count(&p->f, s), *cap = &p->cap[s - sections];
	void *item;

	if (*n >= s->max) {
		*ret = yaml_reader_fail(&p->r, line(p), NULL, "more than %zu %ss", s->max, s->noun);
		return NULL;
	}
	if (*n == *cap) {
		size_t c = *cap == 0 ? 16 : *cap * 2;
		void *grown = realloc(*v, c * s->size);

		if (grown == NULL) {
			*ret = -ENOMEM;
			return NULL;
		}
		*v = grown;
		*cap = c;
	}
	item = item_at(s, *v, (*n)++);
	memset(item, 0, s->size);
	*(unsigned *)((char *)item + s->line_offset) = line(p);
	return item;
}

/* An item's name (its MAC for machines), the current event; *what for messages. */
static int
item_name(struct parser *p, const struct section *s, void *item, char what[static WHAT_MAX])
{
	uint8_t *mac = ((struct fleet_machine *)item)->mac;
	int r = expect_string(p, NULL, s == &sections[S_MACHINES] ? "a MAC address" : "a name");
	char buf[YAML_SHOW_BUF], text[MAC_STRLEN];

	if (r < 0)
		return r;
	yaml_reader_show(ev_string(p), ev_length(p), true, buf);
	if (s == &sections[S_MACHINES]) {
		if (mac_parse(ev_string(p), mac) < 0)
			return yaml_reader_fail(
			    &p->r, line(p), NULL, "%s is not a MAC address", buf);
		mac_format(mac, ':', text);
		snprintf(what, WHAT_MAX, "machine %s", text);
		return 0;
	}
	if (!name_valid(ev_string(p)))
		return yaml_reader_fail(
		    &p->r, line(p), NULL, "%s %s is not a name (" NAME_RULE ")", s->noun, buf);
	snprintf(what, WHAT_MAX, "%s %s", s->noun, buf);
	return set_string((char **)item, ev_string(p));
}

/* What an item must have once its mapping is read. */
static int
item_end(struct parser *p, const struct section *s, const void *item, unsigned at, const char *what)
{
	const char *cmdline = ((const struct fleet_profile *)item)->cmdline;

	if (s == &sections[S_PROFILES] && cmdline != NULL && ipxe_cmdline_validate(cmdline) < 0)
		return yaml_reader_fail(&p->r, at, what,
		    "the command line has an unknown or unterminated {placeholder} (see "
		    "default.cmdline in netbootd.yaml(5))");
	if (s == &sections[S_GROUPS] && ((const struct fleet_group *)item)->profile == NULL)
		return yaml_reader_fail(
		    &p->r, at, what, "names no profile (every group needs one)");
	if (s == &sections[S_CONFIGS] && ((const struct fleet_config *)item)->content == NULL)
		return yaml_reader_fail(&p->r, at, what, "needs file or inline");
	return 0;
}

static int
parse_item(struct parser *p, const struct section *s)
{
	char what[WHAT_MAX];
	void *item;
	unsigned at = line(p);
	int r = 0;

	if ((item = section_add(p, s, &r)) == NULL || (r = item_name(p, s, item, what)) < 0 ||
	    (r = yaml_reader_next(&p->r)) < 0)
		return r;
	if (p->r.ev.type == YAML_MAPPING_START_EVENT)
		r = parse_map(p, s->keys, item, what, s->where);
	else if (!yaml_reader_is_null(&p->r.ev))
		return yaml_reader_fail(
		    &p->r, line(p), what, "expected a mapping, not %s", yaml_reader_kind(&p->r.ev));
	return r < 0 ? r : item_end(p, s, item, at, what);
}

static int
parse_section(struct parser *p, const struct section *s)
{
	int r = yaml_reader_next(&p->r);

	if (r < 0 || yaml_reader_is_null(&p->r.ev))
		return r;
	if (p->r.ev.type != YAML_MAPPING_START_EVENT)
		return yaml_reader_fail(&p->r, line(p), s->key, "expected a mapping, not %s",
		    yaml_reader_kind(&p->r.ev));
	while ((r = yaml_reader_next(&p->r)) == 0 && p->r.ev.type != YAML_MAPPING_END_EVENT)
		if ((r = parse_item(p, s)) < 0)
			return r;
	return r;
}

static int
parse_top(void *userdata)
{
	struct parser *p = userdata;
	char buf[YAML_SHOW_BUF];
	uint32_t seen = 0;
	size_t i;
	int r;

	while ((r = yaml_reader_next(&p->r)) == 0 && p->r.ev.type != YAML_MAPPING_END_EVENT) {
		if ((r = expect_string(p, NULL, "a key")) < 0)
			return r;
		for (i = 0; i < _S_MAX && strcmp(sections[i].key, ev_string(p)) != 0; i++)
			;
		if (i == _S_MAX)
			return yaml_reader_fail(&p->r, line(p), NULL,
			    "key %s is not known at the top level (configs, profiles, groups, machines)",
			    yaml_reader_show(ev_string(p), ev_length(p), true, buf));
		if (seen & (UINT32_C(1) << i))
			return yaml_reader_fail(
			    &p->r, line(p), NULL, "key \"%s\" is given twice", sections[i].key);
		seen |= UINT32_C(1) << i;
		if ((r = parse_section(p, &sections[i])) < 0)
			return r;
	}
	return r;
}

/* After sorting: no name (MAC) twice in a section. */
static int
check_unique(struct parser *p)
{
	char what[WHAT_MAX], mac[MAC_STRLEN];

	for (const struct section *s = sections; s < sections + _S_MAX; s++) {
		const void *v = section_items(&p->f, s);
		size_t n = *section_count(&p->f, s), key = s == &sections[S_MACHINES] ? MAC_LEN : 0;

		for (size_t i = 1; i < n; i++) {
			const void *a = item_at(s, v, i - 1), *b = item_at(s, v, i);
			unsigned la = *(const unsigned *)((const char *)a + s->line_offset),
			         lb = *(const unsigned *)((const char *)b + s->line_offset);

			if (key ? memcmp(a, b, key) != 0
			        : strcmp(*(char *const *)a, *(char *const *)b) != 0)
				continue;
			if (key)
				mac_format(b, ':', mac);
			snprintf(what, sizeof(what), key ? "%s %s" : "%s \"%s\"", s->noun,
			    key ? mac : *(char *const *)b);
			return yaml_reader_fail(&p->r, la > lb ? la : lb, NULL,
			    "%s is defined twice (first at line %u)", what, la < lb ? la : lb);
		}
	}
	return 0;
}

int
fleet_file_parse(const char *text, size_t len, const char *name, fleet_file_read_fn read,
    void *userdata, struct fleet *ret, char **ret_error)
{
	struct parser p = {.read = read, .userdata = userdata};
	int r;

	name = name != NULL ? name : "<fleet>";
	if ((r = yaml_reader_check_size(name, len, FLEET_FILE_MAX_SIZE, ret_error)) < 0)
		return r;
	if (yaml_reader_init(&p.r, name, text, len, FLEET_FILE_MAX_DEPTH) < 0)
		return -ENOMEM;
	r = yaml_reader_document(&p.r, parse_top, &p);
	if (r == 0) {
		fleet_sort(&p.f);
		r = check_unique(&p);
	}
	r = yaml_reader_finish(&p.r, r, ret_error);
	if (r < 0) {
		fleet_clear(&p.f);
		return r;
	}
	*ret = p.f;
	return 0;
}
