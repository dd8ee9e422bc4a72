/*
 * The local backend's fleet: machines.json in state_dir (machines,
 * profiles, groups: fleet-json.h) and the fleet in memory.  A change
 * reaches machines.json before the fleet in memory changes; the configs an
 * apply writes are staged around that one commit point (store.h).
 */
#include "store-local.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "error.h"
#include "fleet-json.h"
#include "log.h"
#include "util.h"

#define MACHINES_JSON "machines.json"

/* The three arrays of machines.json. */
enum kind { KIND_MACHINE, KIND_PROFILE, KIND_GROUP, _KIND_MAX };

static const struct {
	const char *key, *what;
	size_t max;
} kinds[_KIND_MAX] = {
    [KIND_MACHINE] = {"machines", "machine", FLEET_MAX_MACHINES},
    [KIND_PROFILE] = {"profiles", "profile", FLEET_MAX_PROFILES},
    [KIND_GROUP] = {"groups", "group", FLEET_MAX_GROUPS},
};

static size_t
kind_count(const struct fleet *f, enum kind k)
{
	return k == KIND_MACHINE ? f->n_machines : k == KIND_PROFILE ? f->n_profiles : f->n_groups;
}

static cJSON *
kind_json(const struct fleet *f, enum kind k, size_t i)
{
	if (k == KIND_MACHINE)
		return fleet_json_machine(&f->machines[i]);
	return k == KIND_PROFILE ? fleet_json_profile(&f->profiles[i])
	                         : fleet_json_group(&f->groups[i]);
}

/* Room for n items of kind k in f; -ENOMEM. */
static int
kind_alloc(struct fleet *f, enum kind k, size_t n)
{
	if (n == 0)
		return 0;
	if (k == KIND_MACHINE)
		return (f->machines = calloc(n, sizeof(*f->machines))) != NULL ? 0 : -ENOMEM;
	if (k == KIND_PROFILE)
		return (f->profiles = calloc(n, sizeof(*f->profiles))) != NULL ? 0 : -ENOMEM;
	return (f->groups = calloc(n, sizeof(*f->groups))) != NULL ? 0 : -ENOMEM;
}

/* Parse one item of kind k into the next free slot of f. */
static int
kind_parse(struct fleet *f, enum kind k, const cJSON *o, char **ret_error)
{
	int r;

	if (k == KIND_MACHINE) {
		if ((r = fleet_json_to_machine(o, &f->machines[f->n_machines], ret_error)) == 0)
			f->n_machines++;
	} else if (k == KIND_PROFILE) {
		if ((r = fleet_json_to_profile(o, &f->profiles[f->n_profiles], ret_error)) == 0)
			f->n_profiles++;
	} else if ((r = fleet_json_to_group(o, &f->groups[f->n_groups], ret_error)) == 0) {
		f->n_groups++;
	}
	return r;
}

/* ---- load ---- */

static int
load_kind(const char *where, struct fleet *f, enum kind k, const cJSON *root, char **ret_error)
{
	const cJSON *arr = cJSON_GetObjectItemCaseSensitive(root, kinds[k].key), *e;
	size_t n = (size_t)cJSON_GetArraySize(arr), i = 0;
	_cleanup_free_ char *why = NULL;

	if (arr == NULL && k != KIND_MACHINE) /* before fleets: machines only */
		return 0;
	if (!cJSON_IsArray(arr))
		return error_set(ret_error, -EBADMSG, "%s: no \"%s\" list", where, kinds[k].key);
	if (n > kinds[k].max)
		return error_set(
		    ret_error, -EBADMSG, "%s: more than %zu %s", where, kinds[k].max, kinds[k].key);
	if (kind_alloc(f, k, n) < 0)
		return -ENOMEM;
	cJSON_ArrayForEach(e, arr)
	{
		int r = kind_parse(f, k, e, &why);

		i++;
		if (r == -ENOMEM)
			return r;
		if (r < 0)
			return error_set(ret_error, -EBADMSG, "%s: %s %zu: %s", where,
			    kinds[k].what, i, why ? why : "is not valid");
	}
	return 0;
}

int
store_local_fleet_from_json(const cJSON *root, const char *where, struct fleet *f, char **ret_error)
{
	_cleanup_free_ char *why = NULL;
	int r;

	if (!cJSON_IsObject(root))
		return error_set(ret_error, -EBADMSG, "%s: no \"machines\" list", where);
	for (enum kind k = 0; k < _KIND_MAX; k++)
		if ((r = load_kind(where, f, k, root, ret_error)) < 0)
			return r;
	fleet_sort(f);
	for (size_t i = 1; i < f->n_machines; i++)
		if (memcmp(f->machines[i - 1].mac, f->machines[i].mac, MAC_LEN) == 0)
			return error_set(
			    ret_error, -EBADMSG, "%s: a MAC address appears twice", where);
	/* Images and configs are not looked at: dangling references are kept. */
	if ((r = fleet_validate(f, NULL, &why)) < 0)
		return error_set(ret_error, r == -ENOMEM ? r : -EBADMSG, "%s: %s", where,
		    why ? why : "not a valid fleet");
	return 0;
}

int
store_local_fleet_load(struct store *s, char **ret_error)
{
	struct fleet f = {0};
	cJSON *root = NULL;
	int r = store_local_json_read(s, MACHINES_JSON, STORE_MACHINES_MAX_FILE, &root, ret_error);

	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return r;
	_cleanup_free_ char *where = NULL;

	if (asprintf(&where, "%s/" MACHINES_JSON, s->state_dir) < 0) {
		cJSON_Delete(root);
		return -ENOMEM;
	}
	r = store_local_fleet_from_json(root, where, &f, ret_error);
	cJSON_Delete(root);
	if (r < 0) {
		fleet_clear(&f);
		return r;
	}
	store_local(s)->fleet = f;
	return 0;
}

const struct fleet *
store_local_fleet_get(const struct store *s)
{
	return &store_local(s)->fleet;
}

/* ---- write ---- */

cJSON *
store_local_fleet_to_json(const struct fleet *f, unsigned kinds_mask)
{
	cJSON *root = cJSON_CreateObject();
	bool ok = root != NULL;

	for (enum kind k = 0; ok && k < _KIND_MAX; k++) {
		cJSON *arr;

		if (!(kinds_mask & (1u << k)))
			continue;
		arr = cJSON_AddArrayToObject(root, kinds[k].key);
		for (size_t i = 0; arr != NULL && i < kind_count(f, k); i++) {
			cJSON *o = kind_json(f, k, i);

			if (o == NULL || !cJSON_AddItemToArray(arr, o)) {
				cJSON_Delete(o);
				arr = NULL;
			}
		}
		ok = arr != NULL;
	}
	if (!ok) {
		cJSON_Delete(root);
		return NULL;
	}
	return root;
}

static int
write_fleet(struct store *s, const struct fleet *f)
{
	cJSON *root = store_local_fleet_to_json(f, STORE_LOCAL_FLEET_ALL);
	int r = root != NULL ? 0 : -ENOMEM;

	if (r == 0)
		r = store_local_json_write(s, MACHINES_JSON, root, STORE_MACHINES_MAX_FILE);
	cJSON_Delete(root);
	return r;
}

/* ---- replace, with configs ---- */

typedef char tmp_name[NAME_MAX + 1];

/* Write every config to be written under a temporary name; on failure none is left. */
static int
configs_stage(
    struct store *s, const struct store_config_change *c, size_t n, tmp_name *tmp, char **ret_error)
{
	int r = 0;
	size_t i;

	for (i = 0; r == 0 && i < n; i++)
		if (c[i].content != NULL)
			r = store_local_config_stage(
			    s, c[i].name, c[i].content, c[i].len, tmp[i], ret_error);
	if (r < 0)
		while (i-- > 0)
			if (tmp[i][0] != '\0')
				store_local_config_unstage(s, tmp[i]);
	return r;
}

/* After the commit point: rename the staged configs into place, remove the others. */
static int
configs_place(
    struct store *s, const struct store_config_change *c, size_t n, tmp_name *tmp, char **ret_error)
{
	_cleanup_free_ char *why = NULL;
	int r = 0, k;

	for (size_t i = 0; i < n; i++) {
		if (c[i].content != NULL && r == 0)
			r = store_local_config_place(s, c[i].name, tmp[i], &why);
		else if (c[i].content != NULL)
			store_local_config_unstage(s, tmp[i]);
		else if ((k = store_local_config_remove(s, c[i].name)) < 0 && k != -ENOENT)
			log_warn(NULL, "Cannot remove the pruned cloud-config \"%s\": %s, ignoring",
			    c[i].name, strerror(-k));
	}
	if (fsync(store_local(s)->configs_fd) < 0 && r == 0)
		r = error_set(&why, -errno, "Cannot sync %s: %m", store_local(s)->configs_dir);
	if (r < 0)
		return error_set(ret_error, r, "The fleet was applied, but: %s",
		    why != NULL ? why : strerror(-r));
	return 0;
}

int
store_local_fleet_replace(struct store *s, struct fleet *next,
    const struct store_config_change *changes, size_t n_changes, char **ret_error)
{
	struct store_local *l = store_local(s);
	_cleanup_free_ tmp_name *tmp = calloc(n_changes > 0 ? n_changes : 1, sizeof(*tmp));
	int r = tmp != NULL ? 0 : -ENOMEM;

	if (r == 0)
		r = configs_stage(s, changes, n_changes, tmp, ret_error);
	if (r == 0 && (r = write_fleet(s, next)) < 0) { /* the commit point */
		for (size_t i = 0; i < n_changes; i++)
			if (tmp[i][0] != '\0')
				store_local_config_unstage(s, tmp[i]);
		error_set(ret_error, r, "Cannot write %s/" MACHINES_JSON ": %s", s->state_dir,
		    strerror(-r));
	}
	if (r < 0) {
		fleet_clear(next);
		return r;
	}
	fleet_clear(&l->fleet);
	l->fleet = *next;
	*next = (struct fleet){0};
	return configs_place(s, changes, n_changes, tmp, ret_error);
}
