/* config-set, config-get, config-list, config-default: the cloud-configs. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cmd.h"
#include "store.h"
#include "util.h"

static int
cmd_config_set(struct control_client *c, const cJSON *args, cJSON **ret, struct control_status *err)
{
	struct server *srv = control_client_server(c);
	const char *name = control_json_string(args, "name"),
	           *content = control_json_string(args, "content");
	_cleanup_free_ char *why = NULL;
	size_t len = strlen(content);
	char sentence[120];
	int r = store_config_set(srv->store, name, content, len, &why);

	if (r == -EINVAL)
		return control_fail(err, CONTROL_ERR_INVALID,
		    "Cloud-config \"%s\" is not valid: %s", name, why != NULL ? why : "rejected");
	if (r < 0)
		return cmd_store_fail(err, r, "cloud-config", name);
	snprintf(sentence, sizeof(sentence), "Stored cloud-config \"%s\" (%zu bytes)", name, len);
	cmd_log_change(c, "config-set", NULL, NULL, sentence);
	*ret = cJSON_CreateObject();
	if (*ret == NULL || !cJSON_AddStringToObject(*ret, "name", name) ||
	    !cJSON_AddNumberToObject(*ret, "size", (double)len))
		return cmd_oom(err);
	return 0;
}

static int
cmd_config_get(struct control_client *c, const cJSON *args, cJSON **ret, struct control_status *err)
{
	struct server *srv = control_client_server(c);
	const char *name = control_json_string(args, "name");
	_cleanup_free_ char *content = NULL;
	size_t len;
	cJSON *o;
	int r;

	if ((r = store_config_get(srv->store, name, &content, &len)) < 0)
		return cmd_store_fail(err, r, "cloud-config", name);
	o = cJSON_CreateObject();
	if (o == NULL || !cJSON_AddStringToObject(o, "name", name) ||
	    !cJSON_AddStringToObject(o, "content", content)) {
		cJSON_Delete(o);
		return cmd_oom(err);
	}
	*ret = o;
	return 0;
}

static int
cmd_config_list(
    struct control_client *c, const cJSON *args, cJSON **ret, struct control_status *err)
{
	struct server *srv = control_client_server(c);
	_cleanup_free_ struct store_config_info *list = NULL;
	size_t n = 0;
	cJSON *a;
	int r;

	(void)args;
	if ((r = store_config_list(srv->store, &list, &n)) < 0)
		return cmd_store_fail(err, r, "cloud-config directory", "configs");
	a = cJSON_CreateArray();
	for (size_t i = 0; a != NULL && i < n; i++) {
		cJSON *o = cJSON_CreateObject();

		if (o == NULL || !cJSON_AddItemToArray(a, o) ||
		    !cJSON_AddStringToObject(o, "name", list[i].name) ||
		    !cJSON_AddNumberToObject(o, "size", (double)list[i].size) ||
		    !cJSON_AddBoolToObject(o, "default", list[i].is_default)) {
			cJSON_Delete(a);
			a = NULL;
		}
	}
	if (a == NULL)
		return cmd_oom(err);
	*ret = a;
	return 0;
}

static int
cmd_config_default(
    struct control_client *c, const cJSON *args, cJSON **ret, struct control_status *err)
{
	struct server *srv = control_client_server(c);
	const char *name = control_json_string(args, "name"); /* NULL: cleared */
	char sentence[120];
	int r = store_set_default_config(srv->store, name);

	if (r == -ENOENT)
		return control_fail(
		    err, CONTROL_ERR_NOT_FOUND, "no such cloud-config \"%s\".", name);
	if (r < 0)
		return cmd_store_fail(err, r, "cloud-config", name != NULL ? name : "(none)");
	snprintf(sentence, sizeof(sentence), "Default cloud-config set to %s%s%s", name ? "\"" : "",
	    name ? name : "none", name ? "\"" : "");
	cmd_log_change(c, "config-default", NULL, NULL, sentence);
	*ret = cJSON_CreateObject();
	if (*ret == NULL || !cJSON_AddItemToObject(*ret, "name", cmd_json_str_or_null(name)))
		return cmd_oom(err);
	return 0;
}

const struct cmd_handler cmd_config_handlers[] = {
    {"config-set", cmd_config_set},
    {"config-get", cmd_config_get},
    {"config-list", cmd_config_list},
    {"config-default", cmd_config_default},
    {NULL, NULL},
};
