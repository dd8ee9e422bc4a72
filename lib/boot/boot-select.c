#include "boot-select.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

/* NULL when every selector of 'g' holds, else the name of the first that fails. */
static const char *
group_fails(const struct fleet_group *g, const struct boot_client *c, const struct boot_machine *m,
    char buf[FLEET_LABEL_KEY_MAX + 8])
{
	const struct fleet_match *s = &g->match;
	struct in_addr where = c->relay.s_addr != htonl(INADDR_ANY) ? c->relay : c->addr;

	if (s->mac != NULL && !(c->has_mac && fleet_mac_glob_match(s->mac, c->mac)))
		return "mac";
	if (s->has_uuid && !(c->has_uuid && memcmp(s->uuid, c->uuid, FLEET_UUID_LEN) == 0))
		return "uuid";
	if (s->arch != BOOT_ARCH_UNKNOWN && s->arch != c->platform)
		return "arch";
	if (s->interface != NULL && !fleet_interface_match(s->interface, c->ifname, where))
		return "interface";
	for (size_t i = 0; i < s->labels.n; i++) {
		const char *have =
		    m->labels != NULL ? fleet_labels_get(m->labels, s->labels.v[i].key) : NULL;

		if (have == NULL || strcmp(have, s->labels.v[i].value) != 0) {
			snprintf(buf, FLEET_LABEL_KEY_MAX + 8, "labels.%s", s->labels.v[i].key);
			return buf;
		}
	}
	return NULL;
}

/* Whether a beats b: more selectors, then a higher priority, then (never after validation) name order. */
static bool
group_beats(const struct fleet_group *a, const struct fleet_group *b)
{
	unsigned sa = fleet_match_specificity(&a->match), sb = fleet_match_specificity(&b->match);

	if (sa != sb)
		return sa > sb;
	if (a->priority != b->priority)
		return a->priority > b->priority;
	return strcmp(a->name, b->name) < 0;
}

/* The best matching group with selectors and the best default group; NULL when none. */
static void
best_groups(const struct boot_view *v, const struct boot_client *c, const struct boot_machine *m,
    const struct fleet_group **ret_best, const struct fleet_group **ret_default)
{
	char buf[FLEET_LABEL_KEY_MAX + 8];

	*ret_best = *ret_default = NULL;
	for (size_t i = 0; i < v->n_groups; i++) {
		const struct fleet_group *g = &v->groups[i];
		const struct fleet_group **slot =
		    fleet_match_specificity(&g->match) > 0 ? ret_best : ret_default;

		if (group_fails(g, c, m, buf) == NULL && (*slot == NULL || group_beats(g, *slot)))
			*slot = g;
	}
}

static enum boot_verdict
verdict(
    const struct fleet_group *g, const struct fleet_group *won, bool by_entry, bool default_image)
{
	if (g == won)
		return BOOT_GROUP_WON;
	if (by_entry)
		return BOOT_GROUP_OVERRIDDEN;
	if (won == NULL)
		return default_image ? BOOT_GROUP_DEFAULT_IMAGE : BOOT_GROUP_LESS_SPECIFIC;
	if (fleet_match_specificity(&g->match) < fleet_match_specificity(&won->match))
		return BOOT_GROUP_LESS_SPECIFIC;
	return BOOT_GROUP_LOWER_PRIORITY;
}

/* Why each group won or lost ('won' decided, or the machine entry did). */
static int
trace_fill(const struct boot_view *v, const struct boot_client *c, const struct boot_machine *m,
    const struct boot_want *w, struct boot_trace *t)
{
	bool by_entry = w->why == BOOT_REASON_ASSIGNED || w->why == BOOT_REASON_MACHINE_PROFILE;
	bool default_image = v->default_image != NULL || v->cfg_image != NULL;

	t->n = 0;
	t->candidates = calloc(v->n_groups > 0 ? v->n_groups : 1, sizeof(*t->candidates));
	if (t->candidates == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < v->n_groups; i++) {
		struct boot_candidate *k = &t->candidates[t->n++];
		const char *failed = group_fails(&v->groups[i], c, m, k->selector);

		k->group = &v->groups[i];
		if (failed != NULL) {
			if (failed != k->selector)
				snprintf(k->selector, sizeof(k->selector), "%s", failed);
			k->verdict = BOOT_GROUP_NO_MATCH;
		} else
			k->verdict = verdict(k->group, w->group, by_entry, default_image);
	}
	return 0;
}

/* What a profile says; PROFILE_MISSING (refused) when the name has no profile. */
static void
want_profile(const struct boot_view *v, const char *name, enum boot_reason why,
    const struct fleet_group *g, struct boot_want *w)
{
	const struct fleet_profile *p = v->profile != NULL ? v->profile(v->userdata, name) : NULL;

	*w = (struct boot_want){
	    .action = FLEET_ACTION_IGNORE, .why = BOOT_REASON_PROFILE_MISSING, .group = g};
	if (p == NULL)
		return;
	*w = (struct boot_want){.action = p->action,
	    .why = why,
	    .image = p->image,
	    .config = p->config,
	    .cmdline = p->cmdline,
	    .cmdline_mode = p->cmdline_mode,
	    .profile = p,
	    .group = g};
}

/*
 * Nothing named a profile or an image: the default image, else the default
 * group.  Refused for an unknown MAC while default boot is off (a client
 * without a MAC cannot be looked up: not refused).
 */
static void
want_default(const struct boot_view *v, const struct boot_client *c, const struct boot_machine *m,
    bool known, const struct fleet_group *def, struct boot_want *w)
{
	*w = (struct boot_want){.action = FLEET_ACTION_NETBOOT,
	    .why = BOOT_REASON_NO_IMAGE,
	    .config = m->config,
	    .cmdline = m->cmdline,
	    .cmdline_mode = m->cmdline_mode};
	if (c->has_mac && !known && !v->default_boot) {
		w->action = FLEET_ACTION_IGNORE, w->why = BOOT_REASON_DEFAULT_BOOT_OFF;
		return;
	}
	if (def != NULL && v->default_image == NULL && v->cfg_image == NULL)
		want_profile(v, def->profile, BOOT_REASON_GROUP, def, w);
}

int
boot_select(const struct boot_view *v, const struct boot_client *c, const struct boot_machine *m,
    bool known, struct boot_want *ret, struct boot_trace *trace)
{
	const struct fleet_group *best, *def;
	struct boot_want w;

	best_groups(v, c, m, &best, &def);
	if (m->profile != NULL)
		want_profile(v, m->profile, BOOT_REASON_MACHINE_PROFILE, NULL, &w);
	else if (m->image != NULL)
		w = (struct boot_want){.action = FLEET_ACTION_NETBOOT,
		    .why = BOOT_REASON_ASSIGNED,
		    .image = m->image,
		    .config = m->config,
		    .cmdline = m->cmdline,
		    .cmdline_mode = m->cmdline_mode};
	else if (best != NULL)
		want_profile(v, best->profile, BOOT_REASON_GROUP, best, &w);
	else
		want_default(v, c, m, known, def, &w);
	if (trace != NULL && trace_fill(v, c, m, &w, trace) < 0)
		return -ENOMEM;
	*ret = w;
	return 0;
}
