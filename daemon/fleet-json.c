/*
 * The fleet's items as JSON and back: the shape machines.json and the
 * control commands share (fleet-json.h).
 */
#include "fleet-json.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "manifest.h"

/* ---- strings ---- */

const char *
fleet_json_string(const cJSON *o, const char *key, bool is_name, size_t max, char **ret)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	*ret = NULL;
	if (v == NULL || cJSON_IsNull(v))
		return NULL;
	if (!cJSON_IsString(v))
		return "is not a string";
	if (is_name ? !name_valid(v->valuestring) : !manifest_string_valid(v->valuestring, max))
		return "is not valid";
	if ((*ret = strdup(v->valuestring)) == NULL)
		return "cannot be copied (out of memory)";
	return NULL;
}

cJSON *
fleet_json_add_string(cJSON *o, const char *key, const char *value)
{
	return value != NULL ? cJSON_AddStringToObject(o, key, value)
	                     : cJSON_AddNullToObject(o, key);
}

/* The string member 'key' of 'o' in *ret, NULL when missing or null; -EINVAL if not a string. */
static int
optional_string(const cJSON *o, const char *key, const char **ret, char **ret_error)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	*ret = NULL;
	if (v == NULL || cJSON_IsNull(v))
		return 0;
	if (!cJSON_IsString(v))
		return error_set(ret_error, -EINVAL, "%s is not a string", key);
	*ret = v->valuestring;
	return 0;
}

/* ---- to JSON ---- */

/* Add 'item' (owned) under 'key'; false (item freed) when it is NULL or out of memory. */
static bool
add_item(cJSON *o, const char *key, cJSON *item)
{
	if (item == NULL || !cJSON_AddItemToObject(o, key, item)) {
		cJSON_Delete(item);
		return false;
	}
	return true;
}

static bool
add_cmdline(cJSON *o, const char *cmdline, enum boot_cmdline_mode mode)
{
	return fleet_json_add_string(o, "cmdline", cmdline) != NULL &&
	       cJSON_AddStringToObject(
	           o, "cmdline_mode", mode == BOOT_CMDLINE_REPLACE ? "replace" : "append") != NULL;
}

/* o, or NULL (o freed) when !ok. */
static cJSON *
done(cJSON *o, bool ok)
{
	if (ok)
		return o;
	cJSON_Delete(o);
	return NULL;
}

cJSON *
fleet_json_labels(const struct fleet_labels *l)
{
	cJSON *o = cJSON_CreateObject();
	bool ok = o != NULL;

	for (size_t i = 0; ok && i < l->n; i++)
		ok = cJSON_AddStringToObject(o, l->v[i].key, l->v[i].value) != NULL;
	return done(o, ok);
}

cJSON *
fleet_json_match(const struct fleet_match *m)
{
	cJSON *o = cJSON_CreateObject();
	char uuid[37];

	if (m->has_uuid)
		fleet_uuid_format(m->uuid, uuid);
	return done(o, o != NULL && fleet_json_add_string(o, "mac", m->mac) != NULL &&
	                   fleet_json_add_string(o, "uuid", m->has_uuid ? uuid : NULL) != NULL &&
	                   fleet_json_add_string(o, "arch", boot_arch_name(m->arch)) != NULL &&
	                   fleet_json_add_string(o, "interface", m->interface) != NULL &&
	                   add_item(o, "labels", fleet_json_labels(&m->labels)));
}

cJSON *
fleet_json_profile(const struct fleet_profile *p)
{
	cJSON *o = cJSON_CreateObject();

	return done(o, o != NULL && cJSON_AddStringToObject(o, "name", p->name) != NULL &&
	                   fleet_json_add_string(o, "image", p->image) != NULL &&
	                   fleet_json_add_string(o, "config", p->config) != NULL &&
	                   add_cmdline(o, p->cmdline, p->cmdline_mode) &&
	                   fleet_json_add_string(o, "loader", p->loader) != NULL &&
	                   cJSON_AddStringToObject(o, "action", fleet_action_name(p->action)) &&
	                   cJSON_AddBoolToObject(o, "netconsole", p->netconsole) &&
	                   cJSON_AddBoolToObject(o, "report", !p->no_report) &&
	                   cJSON_AddStringToObject(
	                       o, "after_install", fleet_after_install_name(p->after_install)));
}

cJSON *
fleet_json_group(const struct fleet_group *g)
{
	cJSON *o = cJSON_CreateObject();

	return done(o, o != NULL && cJSON_AddStringToObject(o, "name", g->name) != NULL &&
	                   cJSON_AddStringToObject(o, "profile", g->profile) != NULL &&
	                   cJSON_AddNumberToObject(o, "priority", g->priority) != NULL &&
	                   add_item(o, "match", fleet_json_match(&g->match)));
}

cJSON *
fleet_json_machine(const struct fleet_machine *m)
{
	cJSON *o = cJSON_CreateObject();
	char mac[MAC_STRLEN];

	mac_format(m->mac, ':', mac);
	return done(o, o != NULL && cJSON_AddStringToObject(o, "mac", mac) != NULL &&
	                   fleet_json_add_string(o, "image", m->image) != NULL &&
	                   fleet_json_add_string(o, "config", m->config) != NULL &&
	                   add_cmdline(o, m->cmdline, m->cmdline_mode) &&
	                   add_item(o, "labels", fleet_json_labels(&m->labels)) &&
	                   fleet_json_add_string(o, "profile", m->profile) != NULL);
}

/* ---- labels and selectors from JSON ---- */

static int
label_add(struct fleet_labels *l, const cJSON *it, char **ret_error)
{
	const char *k = it->string;
	int r;

	if (!cJSON_IsString(it))
		return error_set(ret_error, -EINVAL, "label \"%.63s\" is not a string", k);
	if (!fleet_label_key_valid(k))
		return error_set(ret_error, -EINVAL,
		    "label key \"%.63s\" is not valid (1-63 characters a-z 0-9 . _ -, starting "
		    "with a letter or digit, optionally after a \"prefix/\")",
		    k);
	if (!fleet_label_value_valid(it->valuestring))
		return error_set(ret_error, -EINVAL,
		    "label %s: the value \"%.63s\" is not valid (0-63 characters A-Z a-z 0-9 . _ -)",
		    k, it->valuestring);
	if (fleet_labels_get(l, k) != NULL)
		return error_set(ret_error, -EINVAL, "label %s is given twice", k);
	r = fleet_labels_set(l, k, it->valuestring);
	if (r == -E2BIG)
		return error_set(ret_error, -EINVAL, "more than %d labels", FLEET_MAX_LABELS);
	return r;
}

int
fleet_json_to_labels(const cJSON *o, struct fleet_labels *ret, char **ret_error)
{
	struct fleet_labels l = {0};
	const cJSON *it;
	int r = 0;

	if (o != NULL && !cJSON_IsNull(o) && !cJSON_IsObject(o))
		return error_set(ret_error, -EINVAL, "labels is not an object");
	cJSON_ArrayForEach(it, o)
	{
		if ((r = label_add(&l, it, ret_error)) < 0) {
			fleet_labels_clear(&l);
			return r;
		}
	}
	*ret = l;
	return 0;
}

static int
match_mac(const cJSON *o, struct fleet_match *m, char **ret_error)
{
	char glob[FLEET_MAC_GLOB_MAX + 1];
	const char *s;
	int r = optional_string(o, "mac", &s, ret_error);

	if (r < 0 || s == NULL)
		return r;
	if (fleet_mac_glob_parse(s, glob) < 0)
		return error_set(ret_error, -EINVAL,
		    "match.mac: \"%.20s\" is not a MAC address or a glob of one (hex digits, "
		    "\":\", \"*\", \"?\")",
		    s);
	return (m->mac = strdup(glob)) != NULL ? 0 : -ENOMEM;
}

static int
match_uuid(const cJSON *o, struct fleet_match *m, char **ret_error)
{
	const char *s;
	int r = optional_string(o, "uuid", &s, ret_error);

	if (r < 0 || s == NULL)
		return r;
	if (fleet_uuid_parse(s, m->uuid) < 0)
		return error_set(ret_error, -EINVAL,
		    "match.uuid: \"%.40s\" is not a UUID (like 8c2f6b1e-4b1d-4d3e-9f0a-1234567890ab)",
		    s);
	m->has_uuid = true;
	return 0;
}

static int
match_arch(const cJSON *o, struct fleet_match *m, char **ret_error)
{
	char names[128] = "";
	const char *s;
	int r = optional_string(o, "arch", &s, ret_error);

	if (r < 0 || s == NULL || boot_arch_from_name(s, &m->arch) == 0)
		return r;
	for (int a = BOOT_ARCH_UNKNOWN + 1; a < _BOOT_ARCH_MAX; a++)
		snprintf(names + strlen(names), sizeof(names) - strlen(names), "%s%s",
		    a > BOOT_ARCH_UNKNOWN + 1 ? ", " : "", boot_arch_name((enum boot_arch)a));
	return error_set(
	    ret_error, -EINVAL, "match.arch: \"%.20s\" is not an architecture (%s)", s, names);
}

static int
match_interface(const cJSON *o, struct fleet_match *m, char **ret_error)
{
	const char *s;
	int r = optional_string(o, "interface", &s, ret_error);

	if (r < 0 || s == NULL)
		return r;
	if (fleet_interface_check(s) < 0)
		return error_set(ret_error, -EINVAL,
		    "match.interface: \"%.40s\" is neither an interface name nor a subnet "
		    "a.b.c.d/len",
		    s);
	return (m->interface = strdup(s)) != NULL ? 0 : -ENOMEM;
}

int
fleet_json_to_match(const cJSON *o, struct fleet_match *ret, char **ret_error)
{
	struct fleet_match m = {0};
	int r;

	if (o != NULL && !cJSON_IsNull(o) && !cJSON_IsObject(o))
		return error_set(ret_error, -EINVAL, "match is not an object");
	if ((r = match_mac(o, &m, ret_error)) < 0 || (r = match_uuid(o, &m, ret_error)) < 0 ||
	    (r = match_arch(o, &m, ret_error)) < 0 || (r = match_interface(o, &m, ret_error)) < 0 ||
	    (r = fleet_json_to_labels(
	         cJSON_GetObjectItemCaseSensitive(o, "labels"), &m.labels, ret_error)) < 0) {
		fleet_match_clear(&m);
		return r;
	}
	*ret = m;
	return 0;
}

/* ---- items from JSON ---- */

/* A name member that must be there. */
static const char *
required_name(const cJSON *o, const char *key, char **ret)
{
	const char *why = fleet_json_string(o, key, true, 0, ret);

	return why != NULL || *ret != NULL ? why : "is missing";
}

static const char *
cmdline_mode(const cJSON *o, const char *key, enum boot_cmdline_mode *ret)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	*ret = BOOT_CMDLINE_APPEND;
	if (v == NULL || cJSON_IsNull(v))
		return NULL;
	if (cJSON_IsString(v) && strcmp(v->valuestring, "replace") == 0)
		*ret = BOOT_CMDLINE_REPLACE;
	else if (!cJSON_IsString(v) || strcmp(v->valuestring, "append") != 0)
		return "is not \"append\" or \"replace\"";
	return NULL;
}

static const char *
action(const cJSON *o, const char *key, enum fleet_action *ret)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	*ret = FLEET_ACTION_NETBOOT;
	if (v == NULL || cJSON_IsNull(v))
		return NULL;
	if (!cJSON_IsString(v) || fleet_action_from_name(v->valuestring, ret) < 0)
		return "is not \"netboot\", \"local\" or \"ignore\"";
	return NULL;
}

static const char *
after_install(const cJSON *o, const char *key, enum fleet_after_install *ret)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	*ret = FLEET_AFTER_LOCAL;
	if (v == NULL || cJSON_IsNull(v))
		return NULL;
	if (!cJSON_IsString(v) || fleet_after_install_from_name(v->valuestring, ret) < 0)
		return "is not \"local\", \"netboot\" or \"ignore\"";
	return NULL;
}

/* An optional boolean, 'dflt' when absent or null. */
static const char *
optional_bool_or(const cJSON *o, const char *key, bool dflt, bool *ret)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	*ret = dflt;
	if (v == NULL || cJSON_IsNull(v))
		return NULL;
	if (!cJSON_IsBool(v))
		return "is not true or false";
	*ret = cJSON_IsTrue(v);
	return NULL;
}

static const char *
optional_bool(const cJSON *o, const char *key, bool *ret)
{
	return optional_bool_or(o, key, false, ret);
}

/* "report": true unless false; stored negated. */
static const char *
report(const cJSON *o, const char *key, bool *ret_no_report)
{
	bool on;
	const char *why = optional_bool_or(o, key, true, &on);

	*ret_no_report = !on;
	return why;
}

static const char *
priority(const cJSON *o, const char *key, int *ret)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	*ret = 0;
	if (v == NULL || cJSON_IsNull(v))
		return NULL;
	if (!cJSON_IsNumber(v) || v->valuedouble != floor(v->valuedouble) ||
	    fabs(v->valuedouble) > FLEET_PRIORITY_MAX)
		return "is not an integer from -1000000 to 1000000";
	*ret = (int)v->valuedouble;
	return NULL;
}

static const char *
machine_mac(const cJSON *o, const char *key, uint8_t ret[MAC_LEN])
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	return cJSON_IsString(v) && mac_parse(v->valuestring, ret) == 0 ? NULL
	                                                                : "is not a MAC address";
}

static int
invalid(char **ret_error, const char *key, const char *why)
{
	return key[0] != '\0' ? error_set(ret_error, -EINVAL, "%s %s", key, why)
	                      : error_set(ret_error, -EINVAL, "The entry %s", why);
}

int
fleet_json_to_profile(const cJSON *o, struct fleet_profile *ret, char **ret_error)
{
	struct fleet_profile p = {0};
	const char *key = "", *why = "is not an object";

	if (!cJSON_IsObject(o) || (why = required_name(o, key = "name", &p.name)) != NULL ||
	    (why = fleet_json_string(o, key = "image", true, 0, &p.image)) != NULL ||
	    (why = fleet_json_string(o, key = "config", true, 0, &p.config)) != NULL ||
	    (why = fleet_json_string(o, key = "cmdline", false, FLEET_CMDLINE_MAX, &p.cmdline)) !=
	        NULL ||
	    (why = cmdline_mode(o, key = "cmdline_mode", &p.cmdline_mode)) != NULL ||
	    (why = fleet_json_string(o, key = "loader", true, 0, &p.loader)) != NULL ||
	    (why = action(o, key = "action", &p.action)) != NULL ||
	    (why = optional_bool(o, key = "netconsole", &p.netconsole)) != NULL ||
	    (why = report(o, key = "report", &p.no_report)) != NULL ||
	    (why = after_install(o, key = "after_install", &p.after_install)) != NULL) {
		fleet_profile_clear(&p);
		return invalid(ret_error, key, why);
	}
	*ret = p;
	return 0;
}

int
fleet_json_to_group(const cJSON *o, struct fleet_group *ret, char **ret_error)
{
	struct fleet_group g = {0};
	const char *key = "", *why = "is not an object";
	int r;

	if (!cJSON_IsObject(o) || (why = required_name(o, key = "name", &g.name)) != NULL ||
	    (why = required_name(o, key = "profile", &g.profile)) != NULL ||
	    (why = priority(o, key = "priority", &g.priority)) != NULL) {
		fleet_group_clear(&g);
		return invalid(ret_error, key, why);
	}
	r = fleet_json_to_match(cJSON_GetObjectItemCaseSensitive(o, "match"), &g.match, ret_error);
	if (r < 0) {
		fleet_group_clear(&g);
		return r;
	}
	*ret = g;
	return 0;
}

int
fleet_json_to_machine(const cJSON *o, struct fleet_machine *ret, char **ret_error)
{
	struct fleet_machine m = {.line = 0};
	const char *key = "", *why = "is not an object";
	int r;

	if (!cJSON_IsObject(o) || (why = machine_mac(o, key = "mac", m.mac)) != NULL ||
	    (why = cmdline_mode(o, key = "cmdline_mode", &m.cmdline_mode)) != NULL ||
	    (why = fleet_json_string(o, key = "image", true, 0, &m.image)) != NULL ||
	    (why = fleet_json_string(o, key = "config", true, 0, &m.config)) != NULL ||
	    (why = fleet_json_string(o, key = "cmdline", false, FLEET_CMDLINE_MAX, &m.cmdline)) !=
	        NULL ||
	    (why = fleet_json_string(o, key = "profile", true, 0, &m.profile)) != NULL) {
		fleet_machine_clear(&m);
		return invalid(ret_error, key, why);
	}
	r = fleet_json_to_labels(
	    cJSON_GetObjectItemCaseSensitive(o, "labels"), &m.labels, ret_error);
	if (r < 0) {
		fleet_machine_clear(&m);
		return r;
	}
	*ret = m;
	return 0;
}
