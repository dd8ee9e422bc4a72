/*
 * What applying a fleet changes (fleet-file.h), for `apply --dry-run` and
 * apply's reply: the two fleets' sorted arrays walked side by side, one
 * line per item added, removed or changed, and for a change every field
 * that differs, named by its key in the fleet file.
 */
#include "fleet-file.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

#define NAME_BUF   (NAME_MAX_LEN + 1) /* an item's name or MAC */
#define LABELS_BUF (FLEET_MAX_LABELS * (FLEET_LABEL_KEY_MAX + FLEET_LABEL_VALUE_MAX + 2) + 1)

/* The "~" line of one item, begun at its first changed field. */
struct change {
	FILE *out;
	const char *noun;
	const char *name;
	bool started;
};

/* As it is when it has no space, quote, backslash or control character; else quoted. */
static void
put_value(FILE *out, const char *s)
{
	if (s == NULL) {
		fputs("(none)", out);
		return;
	}
	if (*s != '\0' && strpbrk(s, " \"\\") == NULL) {
		size_t i = 0;

		while (s[i] != '\0' && (unsigned char)s[i] >= 0x20 && s[i] != 0x7f)
			i++;
		if (s[i] == '\0') {
			fputs(s, out);
			return;
		}
	}
	fputc('"', out);
	for (; *s != '\0'; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch == '"' || ch == '\\')
			fprintf(out, "\\%c", ch);
		else if (ch < 0x20 || ch == 0x7f)
			fprintf(out, "\\x%02x", ch);
		else
			fputc(ch, out);
	}
	fputc('"', out);
}

static void
field(struct change *c, const char *key, const char *a, const char *b)
{
	if (a == b || (a != NULL && b != NULL && strcmp(a, b) == 0))
		return;
	if (!c->started)
		fprintf(c->out, "~ %s %s: %s ", c->noun, c->name, key);
	else
		fprintf(c->out, ", %s ", key);
	c->started = true;
	put_value(c->out, a);
	fputs(" -> ", c->out);
	put_value(c->out, b);
}

static void
int_field(struct change *c, const char *key, int a, int b)
{
	char sa[16], sb[16];

	snprintf(sa, sizeof(sa), "%d", a);
	snprintf(sb, sizeof(sb), "%d", b);
	field(c, key, sa, sb);
}

/* "role=cp,zone=a"; NULL for none. */
static const char *
labels_text(const struct fleet_labels *l, char buf[static LABELS_BUF])
{
	size_t n = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < l->n && n < LABELS_BUF; i++)
		n += (size_t)snprintf(buf + n, LABELS_BUF - n, "%s%s=%s", i > 0 ? "," : "",
		    l->v[i].key, l->v[i].value);
	return l->n > 0 ? buf : NULL;
}

static void
labels_field(
    struct change *c, const char *key, const struct fleet_labels *a, const struct fleet_labels *b)
{
	char sa[LABELS_BUF], sb[LABELS_BUF];

	field(c, key, labels_text(a, sa), labels_text(b, sb));
}

/* cmdline and cmdline_append, as the file has them. */
static void
cmdline_fields(struct change *c, const char *a, enum boot_cmdline_mode ma, const char *b,
    enum boot_cmdline_mode mb)
{
	field(c, "cmdline", ma == BOOT_CMDLINE_REPLACE ? a : NULL,
	    mb == BOOT_CMDLINE_REPLACE ? b : NULL);
	field(c, "cmdline_append", ma == BOOT_CMDLINE_APPEND ? a : NULL,
	    mb == BOOT_CMDLINE_APPEND ? b : NULL);
}

static void
profile_fields(struct change *c, const void *pa, const void *pb)
{
	const struct fleet_profile *a = pa, *b = pb;

	field(c, "image", a->image, b->image);
	field(c, "config", a->config, b->config);
	cmdline_fields(c, a->cmdline, a->cmdline_mode, b->cmdline, b->cmdline_mode);
	field(c, "loader", a->loader, b->loader);
	field(c, "action", fleet_action_name(a->action), fleet_action_name(b->action));
	field(c, "netconsole", a->netconsole ? "true" : "false", b->netconsole ? "true" : "false");
	field(c, "report", a->no_report ? "false" : "true", b->no_report ? "false" : "true");
	field(c, "after_install", fleet_after_install_name(a->after_install),
	    fleet_after_install_name(b->after_install));
}

static const char *
uuid_text(const struct fleet_match *m, char buf[static 37])
{
	if (!m->has_uuid)
		return NULL;
	fleet_uuid_format(m->uuid, buf);
	return buf;
}

static void
group_fields(struct change *c, const void *ga, const void *gb)
{
	const struct fleet_group *a = ga, *b = gb;
	char ua[37], ub[37];

	field(c, "match.mac", a->match.mac, b->match.mac);
	field(c, "match.uuid", uuid_text(&a->match, ua), uuid_text(&b->match, ub));
	field(c, "match.arch", boot_arch_name(a->match.arch), boot_arch_name(b->match.arch));
	field(c, "match.interface", a->match.interface, b->match.interface);
	labels_field(c, "match.labels", &a->match.labels, &b->match.labels);
	field(c, "profile", a->profile, b->profile);
	int_field(c, "priority", a->priority, b->priority);
}

static void
machine_fields(struct change *c, const void *ma, const void *mb)
{
	const struct fleet_machine *a = ma, *b = mb;

	labels_field(c, "labels", &a->labels, &b->labels);
	field(c, "profile", a->profile, b->profile);
	field(c, "image", a->image, b->image);
	field(c, "config", a->config, b->config);
	cmdline_fields(c, a->cmdline, a->cmdline_mode, b->cmdline, b->cmdline_mode);
}

static void
config_fields(struct change *c, const void *ca, const void *cb)
{
	const struct fleet_config *a = ca, *b = cb;

	if (a->len == b->len && (a->len == 0 || memcmp(a->content, b->content, a->len) == 0))
		return;
	fprintf(c->out, "~ %s %s (content)", c->noun, c->name);
	c->started = true;
}

struct kind {
	const char *noun;
	size_t size;
	bool by_mac; /* machines start with their MAC, the others with their name */
	void (*fields)(struct change *c, const void *a, const void *b);
};

static const struct kind configs = {"config", sizeof(struct fleet_config), false, config_fields};
static const struct kind profiles = {
    "profile", sizeof(struct fleet_profile), false, profile_fields};
static const struct kind groups = {"group", sizeof(struct fleet_group), false, group_fields};
static const struct kind machines = {"machine", sizeof(struct fleet_machine), true, machine_fields};

/* Its name, or its MAC as text: either sorts as the fleet's arrays do. */
static const char *
item_name(const struct kind *k, const void *item, char buf[static NAME_BUF])
{
	if (k->by_mac)
		mac_format(item, ':', buf);
	else
		snprintf(buf, NAME_BUF, "%s", *(char *const *)item);
	return buf;
}

static void
diff_items(FILE *out, const struct kind *k, const void *a, size_t na, const void *b, size_t nb)
{
	char name[NAME_BUF], other[NAME_BUF];

	for (size_t i = 0, j = 0; i < na || j < nb;) {
		const void *x = i < na ? (const char *)a + i * k->size : NULL;
		const void *y = j < nb ? (const char *)b + j * k->size : NULL;
		int c = x == NULL   ? 1
		        : y == NULL ? -1
		                    : strcmp(item_name(k, x, name), item_name(k, y, other));
		struct change ch = {out, k->noun, name, false};

		if (c < 0) {
			fprintf(out, "- %s %s\n", k->noun, item_name(k, x, name));
			i++;
		} else if (c > 0) {
			fprintf(out, "+ %s %s\n", k->noun, item_name(k, y, name));
			j++;
		} else {
			k->fields(&ch, x, y);
			if (ch.started)
				fputc('\n', out);
			i++;
			j++;
		}
	}
}

int
fleet_file_diff(const struct fleet *cur, const struct fleet *next, char **ret)
{
	_cleanup_free_ char *buf = NULL;
	size_t size = 0;
	FILE *out = open_memstream(&buf, &size);

	if (out == NULL)
		return -ENOMEM;
	diff_items(out, &configs, cur->configs, cur->n_configs, next->configs, next->n_configs);
	diff_items(
	    out, &profiles, cur->profiles, cur->n_profiles, next->profiles, next->n_profiles);
	diff_items(out, &groups, cur->groups, cur->n_groups, next->groups, next->n_groups);
	diff_items(
	    out, &machines, cur->machines, cur->n_machines, next->machines, next->n_machines);
	if (fclose(out) != 0)
		return -ENOMEM;
	*ret = TAKE_PTR(buf);
	return 0;
}
