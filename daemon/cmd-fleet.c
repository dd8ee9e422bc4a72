/*
 * The fleet: profile-set/get/list/remove, group-set/get/list/remove, label,
 * apply and export.  The items travel in the JSON of fleet-json.h; a fleet
 * file arrives as text with the files it names (netbootctl read them) and
 * is parsed, merged and checked here, never read from a client's path.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "error.h"
#include "fleet-file.h"
#include "fleet-json.h"
#include "store.h"
#include "util.h"

/* Map a fleet error to a wire code with the store's or the parser's message. */
static int
fleet_fail(struct control_status *err, int r, const char *why)
{
	enum control_error code = r == -ENOENT                  ? CONTROL_ERR_NOT_FOUND
	                          : r == -EBUSY                 ? CONTROL_ERR_IN_USE
	                          : r == -ENOMEM                ? CONTROL_ERR_INTERNAL
	                          : r == -EINVAL || r == -E2BIG ? CONTROL_ERR_INVALID
	                                                        : CONTROL_ERR_IO;

	if (why == NULL)
		why = r == -ENOMEM ? "Out of memory" : strerror(-r);
	return control_fail(err, code, "%s.", why);
}

/* *ret = item, or out of memory when it is NULL. */
static int
reply(cJSON *item, cJSON **ret, struct control_status *err)
{
	if (item == NULL)
		return cmd_oom(err);
	*ret = item;
	return 0;
}

/* Log "VERB WHAT \"NAME\"" as a change. */
static void
log_named(struct control_client *c, const char *event, const char *verb, const char *what,
    const char *name)
{
	char buf[160];

	snprintf(buf, sizeof(buf), "%s %s \"%s\"", verb, what, name);
	cmd_log_change(c, event, NULL, NULL, buf);
}

static struct store *
store_of(struct control_client *c)
{
	return control_client_server(c)->store;
}

/* ---- profiles ---- */

static int
cmd_profile_set(
    struct control_client *c, const cJSON *args, cJSON **ret, struct control_status *err)
{
	const char *name = control_json_string(args, "name");
	_cleanup_free_ char *why = NULL;
	struct fleet_profile p;
	int r = fleet_json_to_profile(args, &p, &why);

	if (r < 0)
		return fleet_fail(err, r, why);
	r = store_profile_set(store_of(c), &p, &why);
	fleet_profile_clear(&p);
	if (r < 0)
		return fleet_fail(err, r, why);
	log_named(c, "profile-set", "Stored", "profile", name);
	return reply(
	    fleet_json_profile(fleet_profile_find(store_fleet(store_of(c)), name)), ret, err);
}

static int
cmd_profile_get(
    struct control_client *c, const cJSON *args, cJSON **ret, struct control_status *err)
{
	const char *name = control_json_string(args, "name");
	const struct fleet_profile *p = fleet_profile_find(store_fleet(store_of(c)), name);

	if (p == NULL)
		return control_fail(err, CONTROL_ERR_NOT_FOUND, "No such profile \"%s\".", name);
	return reply(fleet_json_profile(p), ret, err);
}

/* An array of the n items item(f, i); NULL when out of memory. */
static cJSON *
list_json(const struct fleet *f, size_t n, cJSON *(*item)(const struct fleet *f, size_t i))
{
	cJSON *a = cJSON_CreateArray();
	bool ok = a != NULL;

	for (size_t i = 0; ok && i < n; i++) {
		cJSON *o = item(f, i);

		ok = o != NULL && cJSON_AddItemToArray(a, o);
		if (!ok)
			cJSON_Delete(o);
	}
	if (!ok)
		cJSON_Delete(a);
	return ok ? a : NULL;
}

static cJSON *
profile_item(const struct fleet *f, size_t i)
{
	return fleet_json_profile(&f->profiles[i]);
}

static int
cmd_profile_list(
    struct control_client *c, const cJSON *args, cJSON **ret, struct control_status *err)
{
	const struct fleet *f = store_fleet(store_of(c));

	return reply(list_json(f, f->n_profiles, profile_item), ret, err);
}

/* {"name": NAME}, the reply of the removals. */
static int
reply_name(const char *name, cJSON **ret, struct control_status *err)
{
	cJSON *o = cJSON_CreateObject();

	if (o != NULL && cJSON_AddStringToObject(o, "name", name) == NULL) {
		cJSON_Delete(o);
		o = NULL;
	}
	return reply(o, ret, err);
}

static int
cmd_profile_remove(
    struct control_client *c, const cJSON *args, cJSON **ret, struct control_status *err)
{
	const char *name = control_json_string(args, "name");
	_cleanup_free_ char *why = NULL;
	int r = store_profile_remove(store_of(c), name, &why);

	if (r < 0)
		return fleet_fail(err, r, why);
	log_named(c, "profile-remove", "Removed", "profile", name);
	return reply_name(name, ret, err);
}

/* ---- groups ---- */

static int
cmd_group_set(struct control_client *c, const cJSON *args, cJSON **ret, struct control_status *err)
{
	const char *name = control_json_string(args, "name");
	_cleanup_free_ char *why = NULL;
	struct fleet_group g;
	int r = fleet_json_to_group(args, &g, &why);

	if (r < 0)
		return fleet_fail(err, r, why);
	r = store_group_set(store_of(c), &g, &why);
	fleet_group_clear(&g);
	if (r < 0)
		return fleet_fail(err, r, why);
	log_named(c, "group-set", "Stored", "group", name);
	return reply(fleet_json_group(fleet_group_find(store_fleet(store_of(c)), name)), ret, err);
}

static int
cmd_group_get(struct control_client *c, const cJSON *args, cJSON **ret, struct control_status *err)
{
	const char *name = control_json_string(args, "name");
	const struct fleet_group *g = fleet_group_find(store_fleet(store_of(c)), name);

	if (g == NULL)
		return control_fail(err, CONTROL_ERR_NOT_FOUND, "No such group \"%s\".", name);
	return reply(fleet_json_group(g), ret, err);
}

static cJSON *
group_item(const struct fleet *f, size_t i)
{
	return fleet_json_group(&f->groups[i]);
}

static int
cmd_group_list(struct control_client *c, const cJSON *args, cJSON **ret, struct control_status *err)
{
	const struct fleet *f = store_fleet(store_of(c));

	return reply(list_json(f, f->n_groups, group_item), ret, err);
}

static int
cmd_group_remove(
    struct control_client *c, const cJSON *args, cJSON **ret, struct control_status *err)
{
	const char *name = control_json_string(args, "name");
	int r = store_group_remove(store_of(c), name);

	if (r == -ENOENT)
		return control_fail(err, CONTROL_ERR_NOT_FOUND, "No such group \"%s\".", name);
	if (r < 0)
		return fleet_fail(err, r, NULL);
	log_named(c, "group-remove", "Removed", "group", name);
	return reply_name(name, ret, err);
}

/* ---- labels ---- */

static int
cmd_label(struct control_client *c, const cJSON *args, cJSON **ret, struct control_status *err)
{
	const char *mac = control_json_string(args, "mac"), *keys[CONTROL_MAX_LABELS];
	const cJSON *remove = cJSON_GetObjectItemCaseSensitive(args, "remove"), *k;
	_cleanup_free_ char *why = NULL;
	struct fleet_labels set = {0};
	uint8_t m[MAC_LEN];
	size_t n = 0;
	char sentence[64];
	int r;

	if (mac_parse(mac, m) < 0)
		return control_fail(err, CONTROL_ERR_BAD_ARGS, "Bad MAC address.");
	cJSON_ArrayForEach(k, remove) keys[n++] = k->valuestring; /* at most CONTROL_MAX_LABELS */
	r = fleet_json_to_labels(cJSON_GetObjectItemCaseSensitive(args, "set"), &set, &why);
	if (r == 0 && set.n == 0 && n == 0)
		r = error_set(&why, -EINVAL, "Give labels to set (K=V) or to remove (--remove K)");
	if (r == 0)
		r = store_machine_label(store_of(c), m, &set, keys, n, &why);
	fleet_labels_clear(&set);
	if (r < 0)
		return fleet_fail(err, r, why);
	snprintf(sentence, sizeof(sentence), "Changed the labels of %s", mac);
	cmd_log_change(c, "label", mac, NULL, sentence);
	return reply(
	    cmd_machine_to_json(control_client_server(c), m, store_machine_get(store_of(c), m)),
	    ret, err);
}

/* ---- apply and export ---- */

/* The fleet file's `file:` configs, served from what netbootctl sent ("files"). */
static int
read_sent(void *userdata, const char *path, char **ret, size_t *ret_len, char **ret_error)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(userdata, path);

	if (!cJSON_IsString(v))
		return error_set(ret_error, -ENOENT, "%s: not sent by netbootctl", path);
	if ((*ret = strdup(v->valuestring)) == NULL)
		return -ENOMEM;
	*ret_len = strlen(v->valuestring);
	return 0;
}

/* The fleets of an apply: the running one (with its configs) and the one it gives. */
struct apply {
	struct fleet running, next;
	char *diff;
};

static void
apply_done(struct apply *a)
{
	fleet_clear(&a->running);
	fleet_clear(&a->next);
	free(a->diff);
}

/*
 * A message of fleet_validate() about the merged fleet, in the terms of the
 * file: "line 7: ..." becomes "fleet.yaml:7: ..."; one about what the file
 * does not define (no line) gets the file's name in front.
 */
static void
located(const char *file, char **why)
{
	char *s = NULL;
	unsigned line;
	int n = 0;

	if (*why == NULL)
		return;
	if (sscanf(*why, "line %u: %n", &line, &n) == 1 && n > 0)
		error_set(&s, 0, "%s:%u: %s", file, line, *why + n);
	else
		error_set(&s, 0, "%s: %s", file, *why);
	if (s != NULL) {
		free(*why);
		*why = s;
	}
}

/* Parse the file, merge it into the running fleet, check the result and diff it. */
static int
apply_prepare(struct store *s, const cJSON *args, struct apply *a, char **ret_error)
{
	const char *content = control_json_string(args, "content");
	struct fleet file = {0};
	int r = fleet_file_parse(content, strlen(content), control_json_string(args, "file"),
	    read_sent, cJSON_GetObjectItemCaseSensitive(args, "files"), &file, ret_error);

	if (r == 0 && (r = store_fleet_copy(s, &a->running)) < 0)
		error_set(ret_error, r, "Cannot read the running fleet: %s", strerror(-r));
	if (r == 0)
		r = fleet_merge(&a->running, &file, cmd_arg_true(args, "prune"), &a->next);
	fleet_clear(&file);
	if (r == 0 && (r = store_fleet_check(s, &a->next, ret_error)) < 0)
		located(control_json_string(args, "file"), ret_error);
	if (r == 0)
		r = fleet_file_diff(&a->running, &a->next, &a->diff);
	return r;
}

/* {"changes": [line, ...], "applied": applied} */
static cJSON *
apply_reply(const char *diff, bool applied)
{
	cJSON *o = cJSON_CreateObject(), *lines = cJSON_AddArrayToObject(o, "changes");
	bool ok = lines != NULL && cJSON_AddBoolToObject(o, "applied", applied) != NULL;

	for (const char *p = diff; ok && *p != '\0';) {
		size_t n = strcspn(p, "\n");
		char *line = strndup(p, n);
		cJSON *item = line != NULL ? cJSON_CreateString(line) : NULL;

		free(line);
		ok = item != NULL && cJSON_AddItemToArray(lines, item);
		if (!ok)
			cJSON_Delete(item);
		p += n + (p[n] == '\n');
	}
	if (!ok)
		cJSON_Delete(o);
	return ok ? o : NULL;
}

static int
cmd_apply(struct control_client *c, const cJSON *args, cJSON **ret, struct control_status *err)
{
	struct apply a = {0};
	_cleanup_free_ char *why = NULL;
	bool dry = cmd_arg_true(args, "dry_run"), applied = false;
	char sentence[160];
	int r = apply_prepare(store_of(c), args, &a, &why);

	if (r == 0 && !dry && a.diff[0] != '\0') {
		r = store_fleet_apply(store_of(c), &a.next, &why);
		applied = r == 0;
	}
	if (applied) {
		snprintf(sentence, sizeof(sentence), "Applied the fleet file \"%.100s\"",
		    control_json_string(args, "file"));
		cmd_log_change(c, "apply", NULL, NULL, sentence);
	}
	if (r == 0)
		r = reply(apply_reply(a.diff, applied), ret, err);
	else
		r = fleet_fail(err, r, why);
	apply_done(&a);
	return r;
}

static int
cmd_export(struct control_client *c, const cJSON *args, cJSON **ret, struct control_status *err)
{
	struct fleet f = {0};
	_cleanup_free_ char *text = NULL;
	cJSON *o = NULL;
	int r = store_fleet_copy(store_of(c), &f);

	if (r == 0)
		r = fleet_file_format(&f, &text);
	fleet_clear(&f);
	if (r < 0)
		return fleet_fail(err, r, NULL);
	if ((o = cJSON_CreateObject()) != NULL &&
	    cJSON_AddStringToObject(o, "content", text) == NULL) {
		cJSON_Delete(o);
		o = NULL;
	}
	return reply(o, ret, err);
}

const struct cmd_handler cmd_fleet_handlers[] = {
    {"profile-set", cmd_profile_set},
    {"profile-get", cmd_profile_get},
    {"profile-list", cmd_profile_list},
    {"profile-remove", cmd_profile_remove},
    {"group-set", cmd_group_set},
    {"group-get", cmd_group_get},
    {"group-list", cmd_group_list},
    {"group-remove", cmd_group_remove},
    {"label", cmd_label},
    {"apply", cmd_apply},
    {"export", cmd_export},
    {NULL, NULL},
};
