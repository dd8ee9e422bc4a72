/*
 * A fleet as a fleet file (fleet-file.h), for `netbootctl export`: libyaml's
 * emitter writes it, so every string comes back as it went in.  Names and
 * simple values are plain, the rest double-quoted; a config is a literal
 * block where libyaml allows one.  Items are flow mappings on one line each,
 * like the example of netbootd-fleet(5); configs are block mappings.
 */
#include "fleet-file.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <yaml.h>

#include "util.h"

struct writer {
	yaml_emitter_t e;
	int r; /* the first error */
};

/*
 * Emit (or, after an error, drop) an event that yaml_*_event_initialize()
 * made; one it could not make is a string that is not UTF-8.
 */
static void
emit(struct writer *w, yaml_event_t *ev, int made)
{
	if (!made) {
		w->r = w->r < 0 ? w->r : -EINVAL;
		return;
	}
	if (w->r < 0) {
		yaml_event_delete(ev);
		return;
	}
	if (!yaml_emitter_emit(&w->e, ev))
		w->r = w->e.error == YAML_MEMORY_ERROR ? -ENOMEM : -EINVAL;
}

/*
 * Plain where no YAML reader could take it for something else: letters,
 * digits and . _ / = + -, starting with a letter, digit, '_' or '/', and
 * not a word that means null or a boolean.
 */
static bool
plain_safe(const char *s)
{
	static const char *const words[] = {
	    "null", "true", "false", "yes", "no", "on", "off", "y", "n"};
	size_t len = strlen(s);

	if (len == 0 || strchr("._=+-", s[0]) != NULL ||
	    strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._/=+-") !=
	        len)
		return false;
	for (size_t i = 0; i < ELEMENTSOF(words); i++)
		if (strcasecmp(s, words[i]) == 0)
			return false;
	return true;
}

static void
scalar(struct writer *w, const char *s, yaml_scalar_style_t style)
{
	yaml_event_t ev;

	emit(w, &ev,
	    yaml_scalar_event_initialize(
	        &ev, NULL, NULL, (yaml_char_t *)s, (int)strlen(s), 1, 1, style));
}

static void
string(struct writer *w, const char *s)
{
	scalar(w, s, plain_safe(s) ? YAML_PLAIN_SCALAR_STYLE : YAML_DOUBLE_QUOTED_SCALAR_STYLE);
}

/* key: value, unless value is NULL. */
static void
pair(struct writer *w, const char *key, const char *value)
{
	if (value == NULL)
		return;
	string(w, key);
	string(w, value);
}

static void
map_start(struct writer *w, bool flow)
{
	yaml_event_t ev;

	emit(w, &ev,
	    yaml_mapping_start_event_initialize(
	        &ev, NULL, NULL, 1, flow ? YAML_FLOW_MAPPING_STYLE : YAML_BLOCK_MAPPING_STYLE));
}

static void
map_end(struct writer *w)
{
	yaml_event_t ev;

	emit(w, &ev, yaml_mapping_end_event_initialize(&ev));
}

static void
labels(struct writer *w, const struct fleet_labels *l)
{
	if (l->n == 0)
		return;
	string(w, "labels");
	map_start(w, true);
	for (size_t i = 0; i < l->n; i++)
		pair(w, l->v[i].key, l->v[i].value);
	map_end(w);
}

static void
cmdline(struct writer *w, const char *s, enum boot_cmdline_mode mode)
{
	pair(w, mode == BOOT_CMDLINE_REPLACE ? "cmdline" : "cmdline_append", s);
}

/* A literal block keeps lines as they are, unless a CR or a Unicode line break would change. */
static bool
literal_safe(const char *s)
{
	return strchr(s, '\n') != NULL && strchr(s, '\r') == NULL &&
	       strstr(s, "\xc2\x85") == NULL && strstr(s, "\xe2\x80\xa8") == NULL &&
	       strstr(s, "\xe2\x80\xa9") == NULL;
}

static void
config(struct writer *w, const void *item)
{
	const struct fleet_config *c = item;
	string(w, c->name);
	map_start(w, false);
	string(w, "inline");
	scalar(w, c->content,
	    literal_safe(c->content) ? YAML_LITERAL_SCALAR_STYLE : YAML_DOUBLE_QUOTED_SCALAR_STYLE);
	map_end(w);
}

static void
profile(struct writer *w, const void *item)
{
	const struct fleet_profile *p = item;
	string(w, p->name);
	map_start(w, true);
	pair(w, "image", p->image);
	pair(w, "config", p->config);
	cmdline(w, p->cmdline, p->cmdline_mode);
	pair(w, "loader", p->loader);
	if (p->action != FLEET_ACTION_NETBOOT)
		pair(w, "action", fleet_action_name(p->action));
	if (p->netconsole) {
		string(w, "netconsole");
		scalar(w, "true", YAML_PLAIN_SCALAR_STYLE);
	}
	if (p->no_report) {
		string(w, "report");
		scalar(w, "false", YAML_PLAIN_SCALAR_STYLE);
	}
	if (p->after_install != FLEET_AFTER_LOCAL)
		pair(w, "after_install", fleet_after_install_name(p->after_install));
	map_end(w);
}

static void
match(struct writer *w, const struct fleet_match *m)
{
	char uuid[37];

	if (m->mac == NULL && !m->has_uuid && m->arch == BOOT_ARCH_UNKNOWN &&
	    m->interface == NULL && m->labels.n == 0)
		return;
	string(w, "match");
	map_start(w, true);
	pair(w, "mac", m->mac);
	if (m->has_uuid) {
		fleet_uuid_format(m->uuid, uuid);
		pair(w, "uuid", uuid);
	}
	if (m->arch != BOOT_ARCH_UNKNOWN)
		pair(w, "arch", boot_arch_name(m->arch));
	pair(w, "interface", m->interface);
	labels(w, &m->labels);
	map_end(w);
}

static void
group(struct writer *w, const void *item)
{
	const struct fleet_group *g = item;
	char priority[16];

	string(w, g->name);
	map_start(w, true);
	match(w, &g->match);
	pair(w, "profile", g->profile);
	if (g->priority != 0) {
		snprintf(priority, sizeof(priority), "%d", g->priority);
		pair(w, "priority", priority);
	}
	map_end(w);
}

static void
machine(struct writer *w, const void *item)
{
	const struct fleet_machine *m = item;
	char mac[MAC_STRLEN];

	mac_format(m->mac, ':', mac);
	string(w, mac);
	map_start(w, true);
	labels(w, &m->labels);
	pair(w, "profile", m->profile);
	pair(w, "image", m->image);
	pair(w, "config", m->config);
	cmdline(w, m->cmdline, m->cmdline_mode);
	map_end(w);
}

/* "key:" and the mapping of its n items, when there are any. */
static void
section(struct writer *w, const char *key, const void *v, size_t n, size_t size,
    void (*item)(struct writer *w, const void *item))
{
	if (n == 0)
		return;
	string(w, key);
	map_start(w, false);
	for (size_t i = 0; i < n; i++)
		item(w, (const char *)v + i * size);
	map_end(w);
}

static void
document(struct writer *w, const struct fleet *f)
{
	yaml_event_t ev;

	emit(w, &ev, yaml_stream_start_event_initialize(&ev, YAML_UTF8_ENCODING));
	emit(w, &ev, yaml_document_start_event_initialize(&ev, NULL, NULL, NULL, 1));
	map_start(w, false);
	section(w, "configs", f->configs, f->n_configs, sizeof(*f->configs), config);
	section(w, "profiles", f->profiles, f->n_profiles, sizeof(*f->profiles), profile);
	section(w, "groups", f->groups, f->n_groups, sizeof(*f->groups), group);
	section(w, "machines", f->machines, f->n_machines, sizeof(*f->machines), machine);
	map_end(w);
	emit(w, &ev, yaml_document_end_event_initialize(&ev, 1));
	emit(w, &ev, yaml_stream_end_event_initialize(&ev));
}

int
fleet_file_format(const struct fleet *f, char **ret)
{
	struct writer w = {.r = 0};
	_cleanup_free_ char *buf = NULL;
	size_t size = 0;
	FILE *out = open_memstream(&buf, &size);

	if (out == NULL)
		return -ENOMEM;
	if (!yaml_emitter_initialize(&w.e)) {
		fclose(out);
		return -ENOMEM;
	}
	yaml_emitter_set_output_file(&w.e, out);
	yaml_emitter_set_unicode(&w.e, 1);
	yaml_emitter_set_width(&w.e, -1);
	document(&w, f);
	if (w.r == 0 && !yaml_emitter_flush(&w.e))
		w.r = -ENOMEM;
	yaml_emitter_delete(&w.e);
	if (fclose(out) != 0 && w.r == 0)
		w.r = -ENOMEM;
	if (w.r < 0)
		return w.r;
	*ret = TAKE_PTR(buf);
	return 0;
}
