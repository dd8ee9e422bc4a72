/*
 * The local backend's settings: settings.json in state_dir and the copy in
 * memory.  A change reaches settings.json before the copy changes.
 */
#include "store-local.h"

#include <errno.h>

#include "error.h"
#include "fleet-json.h"

int
store_local_settings_load(struct store *s, char **ret_error)
{
	struct store_settings *st = &store_local(s)->settings;
	const char *why = NULL, *key = "default_boot";
	cJSON *root = NULL;
	const cJSON *b;
	int r =
	    store_local_json_read(s, "settings.json", STORE_SETTINGS_MAX_FILE, &root, ret_error);

	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return r;
	b = cJSON_GetObjectItemCaseSensitive(root, "default_boot");
	if (!cJSON_IsObject(root))
		why = "is not an object", key = "the document";
	else if (b != NULL && !cJSON_IsBool(b))
		why = "is not a boolean";
	else if ((why = fleet_json_string(
	              root, key = "default_config", true, 0, &st->default_config)) == NULL)
		why = fleet_json_string(root, key = "default_image", true, 0, &st->default_image);
	if (why == NULL && b != NULL)
		st->default_boot = cJSON_IsTrue(b);
	cJSON_Delete(root);
	if (why != NULL)
		return error_set(
		    ret_error, -EBADMSG, "%s/settings.json: %s %s", s->state_dir, key, why);
	return 0;
}

static int
settings_write(struct store *s, const struct store_settings *st)
{
	cJSON *root = cJSON_CreateObject();
	int r = -ENOMEM;

	if (root == NULL ||
	    fleet_json_add_string(root, "default_config", st->default_config) == NULL ||
	    cJSON_AddBoolToObject(root, "default_boot", st->default_boot) == NULL ||
	    fleet_json_add_string(root, "default_image", st->default_image) == NULL)
		goto out;
	r = store_local_json_write(s, "settings.json", root, STORE_SETTINGS_MAX_FILE);
out:
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
