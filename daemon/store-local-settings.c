/*
 * The local backend's settings: settings.json in state_dir and the copy in
 * memory.  A change reaches settings.json before the copy changes.
 */
#include "store-local.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "error.h"
#include "fleet-json.h"
#include "util.h"

int
store_local_settings_from_json(
    const cJSON *root, const char *where, struct store_settings *ret, char **ret_error)
{
	struct store_settings st = {.default_boot = true};
	const char *why = NULL, *key = "default_boot";
	const cJSON *b = cJSON_GetObjectItemCaseSensitive(root, "default_boot");

	if (!cJSON_IsObject(root))
		why = "is not an object", key = "the document";
	else if (b != NULL && !cJSON_IsBool(b))
		why = "is not a boolean";
	else if ((why = fleet_json_string(
	              root, key = "default_config", true, 0, &st.default_config)) == NULL)
		why = fleet_json_string(root, key = "default_image", true, 0, &st.default_image);
	if (why != NULL) {
		store_settings_clear(&st);
		return error_set(ret_error, -EBADMSG, "%s: %s %s", where, key, why);
	}
	if (b != NULL)
		st.default_boot = cJSON_IsTrue(b);
	*ret = st;
	return 0;
}

int
store_local_settings_load(struct store *s, char **ret_error)
{
	_cleanup_free_ char *where = NULL;
	cJSON *root = NULL;
	int r =
	    store_local_json_read(s, "settings.json", STORE_SETTINGS_MAX_FILE, &root, ret_error);

	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return r;
	if (asprintf(&where, "%s/settings.json", s->state_dir) < 0)
		r = -ENOMEM;
	else
		r = store_local_settings_from_json(
		    root, where, &store_local(s)->settings, ret_error);
	cJSON_Delete(root);
	return r;
}

cJSON *
store_local_settings_to_json(const struct store_settings *st)
{
	cJSON *root = cJSON_CreateObject();

	if (root == NULL ||
	    fleet_json_add_string(root, "default_config", st->default_config) == NULL ||
	    cJSON_AddBoolToObject(root, "default_boot", st->default_boot) == NULL ||
	    fleet_json_add_string(root, "default_image", st->default_image) == NULL) {
		cJSON_Delete(root);
		return NULL;
	}
	return root;
}

static int
settings_write(struct store *s, const struct store_settings *st)
{
	cJSON *root = store_local_settings_to_json(st);
	int r = root != NULL
	            ? store_local_json_write(s, "settings.json", root, STORE_SETTINGS_MAX_FILE)
	            : -ENOMEM;

	cJSON_Delete(root);
	return r;
}

const struct store_settings *
store_local_settings_get(const struct store *s)
{
	return &store_local(s)->settings;
}

int
store_local_settings_replace(struct store *s, struct store_settings *next)
{
	struct store_local *l = store_local(s);
	int r = settings_write(s, next);

	if (r < 0) {
		store_settings_clear(next);
		return r;
	}
	store_settings_clear(&l->settings);
	l->settings = *next;
	return 0;
}
