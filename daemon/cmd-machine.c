/* machines, assign, unassign. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "boot-view.h"
#include "cmd.h"
#include "lifecycle-table.h"
#include "progress.h"
#include "store.h"
#include "util.h"

/* Sorting and de-duplicating the MACs seen in progress. */
struct mac_set {
	uint8_t (*macs)[MAC_LEN];
	size_t n, cap;
	bool failed;
};

static void
collect_mac(const struct progress_event *ev, void *userdata)
{
	struct mac_set *set = userdata;

	if (!ev->has_mac || set->failed)
		return;
	if (set->n == set->cap) {
		size_t cap = set->cap ? set->cap * 2 : 64;
		void *p = realloc(set->macs, cap * MAC_LEN);

		if (p == NULL) {
			set->failed = true;
			return;
		}
		set->macs = p, set->cap = cap;
	}
	memcpy(set->macs[set->n++], ev->mac, MAC_LEN);
}

static int
mac_cmp(const void *a, const void *b)
{
	return memcmp(a, b, MAC_LEN);
}

static void
collect_lifecycle(const uint8_t mac[MAC_LEN], const struct lifecycle_record *r, void *userdata)
{
	struct progress_event ev = {.has_mac = true};

	(void)r;
	memcpy(ev.mac, mac, MAC_LEN);
	collect_mac(&ev, userdata);
}

/*
 * The machines seen booting, or with a lifecycle, that have no entry in the
 * store: sorted, each once, in *ret (free ret->macs).  0 or -ENOMEM.
 */
static int
seen_machines(struct server *srv, struct mac_set *ret)
{
	struct mac_set set = {0};
	size_t n = 0;

	progress_foreach(srv->progress, collect_mac, &set);
	lifecycle_foreach(srv->lifecycle, collect_lifecycle, &set);
	if (set.failed) {
		free(set.macs);
		return -ENOMEM;
	}
	if (set.n > 0)
		qsort(set.macs, set.n, MAC_LEN, mac_cmp);
	for (size_t i = 0; i < set.n; i++) {
		if ((n > 0 && memcmp(set.macs[i], set.macs[n - 1], MAC_LEN) == 0) ||
		    store_machine_get(srv->store, set.macs[i]) != NULL)
			continue;
		memmove(set.macs[n++], set.macs[i], MAC_LEN);
	}
	set.n = n;
	*ret = set;
	return 0;
}

int
cmd_machines_count(struct server *srv, size_t *ret_fleet, size_t *ret_seen)
{
	struct mac_set set;
	int r = seen_machines(srv, &set);

	if (r < 0)
		return r;
	(void)store_machine_list(srv->store, ret_fleet);
	*ret_seen = set.n;
	free(set.macs);
	return 0;
}

/* Where the image a machine boots comes from, for the plan's reason. */
static const char *
boot_from(enum boot_reason r)
{
	switch (r) {
	case BOOT_REASON_ASSIGNED:
		return "assigned";
	case BOOT_REASON_DEFAULT_IMAGE:
	case BOOT_REASON_CONFIG_IMAGE:
	case BOOT_REASON_ONLY_IMAGE:
		return "default";
	case BOOT_REASON_MACHINE_PROFILE:
		return "profile";
	case BOOT_REASON_GROUP:
		return "group";
	default:
		return NULL;
	}
}

/*
 * "boot": what its iPXE script does now, as `explain MAC` decides it (from
 * its MAC, entry and labels, without an architecture): {"action","image",
 * "from","group"}.
 */
static bool
add_boot(const struct boot_view *v, const uint8_t mac[MAC_LEN], cJSON *o)
{
	static const char *const actions[_BOOT_ACTION_MAX] = {
	    [BOOT_IGNORE] = "ignore",
	    [BOOT_NETBOOT] = "netboot",
	    [BOOT_WAIT] = "wait",
	    [BOOT_LOCAL] = "local",
	};
	struct boot_client client = {.firmware = BOOT_FIRMWARE_IPXE, .has_mac = true};
	_cleanup_(boot_plan_done) struct boot_plan p = {.cmdline = NULL};
	cJSON *b;

	memcpy(client.mac, mac, MAC_LEN);
	if (boot_decide(v, &client, BOOT_SERVICE_SCRIPT, &p) < 0)
		return false;
	b = cJSON_AddObjectToObject(o, "boot");
	return b != NULL && cJSON_AddStringToObject(b, "action", actions[p.action]) &&
	       cJSON_AddItemToObject(
	           b, "image", cmd_json_str_or_null(p.action == BOOT_NETBOOT ? p.image : NULL)) &&
	       cJSON_AddItemToObject(b, "from", cmd_json_str_or_null(boot_from(p.reason))) &&
	       cJSON_AddItemToObject(b, "group", cmd_json_str_or_null(p.group));
}

bool
cmd_machine_add_boot(struct server *srv, const uint8_t mac[MAC_LEN], cJSON *o)
{
	struct boot_view view;

	boot_view_init(srv, &view);
	return add_boot(&view, mac, o);
}

static bool
add_machine(struct server *srv, const struct boot_view *v, const uint8_t mac[MAC_LEN],
    const struct fleet_machine *entry, cJSON *a)
{
	cJSON *m = cmd_machine_to_json(srv, mac, entry);

	if (m == NULL || !cJSON_AddItemToArray(a, m)) {
		cJSON_Delete(m);
		return false;
	}
	return add_boot(v, mac, m);
}

static int
cmd_machines(struct control_client *c, const cJSON *args, cJSON **ret, struct control_status *err)
{
	struct server *srv = control_client_server(c);
	size_t n;
	const struct fleet_machine *list = store_machine_list(srv->store, &n);
	cJSON *a = cJSON_CreateArray();
	struct mac_set seen = {0};
	struct boot_view view;
	bool ok = a != NULL && seen_machines(srv, &seen) == 0;

	(void)args;
	boot_view_init(srv, &view);
	for (size_t i = 0; ok && i < n; i++)
		ok = add_machine(srv, &view, list[i].mac, &list[i], a);
	for (size_t i = 0; ok && i < seen.n; i++)
		ok = add_machine(srv, &view, seen.macs[i], NULL, a);
	free(seen.macs);
	if (!ok) {
		cJSON_Delete(a);
		return cmd_oom(err);
	}
	*ret = a;
	return 0;
}

static int
cmd_assign(struct control_client *c, const cJSON *args, cJSON **ret, struct control_status *err)
{
	struct server *srv = control_client_server(c);
	const char *mac = control_json_string(args, "mac"),
	           *mode = control_json_string(args, "cmdline_mode");
	struct fleet_machine m = {.image = (char *)control_json_string(args, "image"),
	    .config = (char *)control_json_string(args, "config"),
	    .cmdline = (char *)control_json_string(args, "cmdline")};
	char sentence[160];
	int r;

	if (mac_parse(mac, m.mac) < 0)
		return control_fail(err, CONTROL_ERR_BAD_ARGS, "Bad MAC address.");
	if (mode != NULL && strcmp(mode, "replace") == 0)
		m.cmdline_mode = BOOT_CMDLINE_REPLACE;
	r = store_machine_assign(srv->store, &m);
	if (r == -ENOKEY)
		return cmd_store_fail(err, r, "cloud-config", m.config);
	if (r < 0)
		return cmd_store_fail(err, r, "image", m.image);
	snprintf(sentence, sizeof(sentence), "Assigned %s to image \"%s\"", mac, m.image);
	cmd_log_change(c, "assign", mac, m.image, sentence);
	*ret = cmd_machine_to_json(srv, m.mac, store_machine_get(srv->store, m.mac));
	return *ret != NULL ? 0 : cmd_oom(err);
}

static int
cmd_unassign(struct control_client *c, const cJSON *args, cJSON **ret, struct control_status *err)
{
	struct server *srv = control_client_server(c);
	const char *mac = control_json_string(args, "mac");
	uint8_t m[MAC_LEN];
	char sentence[80];
	int r;

	if (mac_parse(mac, m) < 0)
		return control_fail(err, CONTROL_ERR_BAD_ARGS, "Bad MAC address.");
	if ((r = store_machine_unassign(srv->store, m)) < 0)
		return cmd_store_fail(err, r, "machine", mac);
	snprintf(sentence, sizeof(sentence), "Unassigned %s", mac);
	cmd_log_change(c, "unassign", mac, NULL, sentence);
	*ret = cJSON_CreateObject();
	if (*ret == NULL || !cJSON_AddStringToObject(*ret, "mac", mac))
		return cmd_oom(err);
	return 0;
}

/* Put the machines back to new: one MAC, or those whose last boot went through a group. */
struct reinstall {
	const char *group;
	uint8_t (*macs)[MAC_LEN];
	size_t n;
	bool failed;
};

static void
match_group(const uint8_t mac[MAC_LEN], const struct lifecycle_record *r, void *userdata)
{
	struct reinstall *ri = userdata;
	void *p;

	if (ri->failed || strcmp(r->group, ri->group) != 0)
		return;
	if ((p = reallocarray(ri->macs, ri->n + 1, MAC_LEN)) == NULL) {
		ri->failed = true;
		return;
	}
	ri->macs = p;
	memcpy(ri->macs[ri->n++], mac, MAC_LEN);
}

static int
cmd_reinstall(struct control_client *c, const cJSON *args, cJSON **ret, struct control_status *err)
{
	struct server *srv = control_client_server(c);
	const char *mac = control_json_string(args, "mac");
	struct reinstall ri = {.group = control_json_string(args, "group")};
	cJSON *a = cJSON_CreateArray();
	char m[MAC_STRLEN];

	if ((mac == NULL) == (ri.group == NULL)) {
		cJSON_Delete(a);
		return control_fail(err, CONTROL_ERR_BAD_ARGS, "Give a MAC or --group, not both.");
	}
	if (mac != NULL && (ri.macs = malloc(MAC_LEN)) != NULL && mac_parse(mac, ri.macs[0]) == 0)
		ri.n = 1;
	else if (ri.group != NULL)
		lifecycle_foreach(srv->lifecycle, match_group, &ri);
	for (size_t i = 0; a != NULL && i < ri.n; i++) {
		mac_format(ri.macs[i], ':', m);
		(void)lifecycle_reinstall(srv->lifecycle, ri.macs[i]);
		cmd_log_change(c, "reinstall", m, NULL, "Put back to new (it installs again)");
		if (!cJSON_AddItemToArray(a, cJSON_CreateString(m)))
			ri.failed = true;
	}
	free(ri.macs);
	if (a == NULL || ri.failed || (mac != NULL && ri.n == 0)) {
		cJSON_Delete(a);
		return cmd_oom(err);
	}
	*ret = a;
	return 0;
}

const struct cmd_handler cmd_machine_handlers[] = {
    {"machines", cmd_machines},
    {"assign", cmd_assign},
    {"unassign", cmd_unassign},
    {"reinstall", cmd_reinstall},
    {NULL, NULL},
};
