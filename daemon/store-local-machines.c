/*
 * The local backend's machine assignments: machines.json in state_dir and
 * the table in memory, sorted by MAC.  A change reaches machines.json before
 * the table changes.
 */
#include "store-local.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"

static void
machine_clear(struct store_machine *m)
{
	free(m->image);
	free(m->config);
	free(m->cmdline);
	*m = (struct store_machine){0};
}

static int
machine_copy(const struct store_machine *src, struct store_machine *dst)
{
	struct store_machine m = {.cmdline_mode = src->cmdline_mode};

	memcpy(m.mac, src->mac, MAC_LEN);
	if (store_strdup_or_null(src->image, &m.image) < 0 ||
	    store_strdup_or_null(src->config, &m.config) < 0 ||
	    store_strdup_or_null(src->cmdline, &m.cmdline) < 0) {
		machine_clear(&m);
		return -ENOMEM;
	}
	*dst = m;
	return 0;
}

/* Index of the first machine >= mac; *found if equal. */
static size_t
machine_pos(const struct store_local *l, const uint8_t mac[MAC_LEN], bool *found)
{
	size_t lo = 0, hi = l->n_machines;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (memcmp(l->machines[mid].mac, mac, MAC_LEN) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*found = lo < l->n_machines && memcmp(l->machines[lo].mac, mac, MAC_LEN) == 0;
	return lo;
}

static int
machine_cmp(const void *a, const void *b)
{
	return memcmp(((const struct store_machine *)a)->mac,
	    ((const struct store_machine *)b)->mac, MAC_LEN);
}

static cJSON *
machine_to_json(const struct store_machine *m)
{
	char mac[MAC_STRLEN];
	cJSON *o = cJSON_CreateObject();

	mac_format(m->mac, ':', mac);
	if (o == NULL || cJSON_AddStringToObject(o, "mac", mac) == NULL ||
	    store_local_json_add_string(o, "image", m->image) == NULL ||
	    store_local_json_add_string(o, "config", m->config) == NULL ||
	    store_local_json_add_string(o, "cmdline", m->cmdline) == NULL ||
	    cJSON_AddStringToObject(o, "cmdline_mode", store_cmdline_mode_name(m->cmdline_mode)) ==
	        NULL) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

enum change { CHANGE_INSERT, CHANGE_REPLACE, CHANGE_DELETE };

static int
machines_add_json(cJSON *arr, const struct store_machine *m)
{
	cJSON *o = machine_to_json(m);

	if (o == NULL || !cJSON_AddItemToArray(arr, o)) {
		cJSON_Delete(o);
		return -ENOMEM;
	}
	return 0;
}

/*
 * Write machines.json as the current table with one change at 'pos'
 * applied, without touching the in-memory table.
 */
static int
machines_write(struct store *s, size_t pos, enum change op, const struct store_machine *m)
{
	const struct store_local *l = store_local(s);
	cJSON *root = cJSON_CreateObject(), *arr = cJSON_AddArrayToObject(root, "machines");
	int r = arr != NULL ? 0 : -ENOMEM;

	for (size_t i = 0; r == 0 && i <= l->n_machines; i++) {
		if (i == pos && op != CHANGE_DELETE)
			r = machines_add_json(arr, m);
		if (r < 0 || i == l->n_machines || (i == pos && op != CHANGE_INSERT))
			continue;
		r = machines_add_json(arr, &l->machines[i]);
	}
	if (r == 0)
		r = store_local_json_write(s, "machines.json", root, STORE_MACHINES_MAX_FILE);
	cJSON_Delete(root);
	return r;
}

static const char *
machine_from_json(const cJSON *o, struct store_machine *m, const char **ret_key)
{
	const cJSON *mac = cJSON_GetObjectItemCaseSensitive(o, "mac");
	const cJSON *mode = cJSON_GetObjectItemCaseSensitive(o, "cmdline_mode");
	const char *why;

	*ret_key = "mac";
	if (!cJSON_IsObject(o))
		return *ret_key = "entry", "is not an object";
	if (!cJSON_IsString(mac) || mac_parse(mac->valuestring, m->mac) < 0)
		return "is not a MAC address";
	*ret_key = "cmdline_mode";
	if (mode != NULL && !cJSON_IsNull(mode) &&
	    (!cJSON_IsString(mode) ||
	        store_cmdline_mode_parse(mode->valuestring, &m->cmdline_mode) < 0))
		return "is not \"append\" or \"replace\"";
	if ((why = store_local_json_string(o, *ret_key = "image", true, 0, &m->image)) != NULL)
		return why;
	if ((why = store_local_json_string(o, *ret_key = "config", true, 0, &m->config)) != NULL)
		return why;
	return store_local_json_string(
	    o, *ret_key = "cmdline", false, STORE_MAX_CMDLINE, &m->cmdline);
}

static int
machines_load_array(struct store *s, const cJSON *arr, char **ret_error)
{
	struct store_local *l = store_local(s);
	size_t n = (size_t)cJSON_GetArraySize(arr), i = 0;
	const cJSON *e;

	if (n > STORE_MAX_MACHINES)
		return error_set(ret_error, -EBADMSG, "%s/machines.json: more than %d machines",
		    s->state_dir, STORE_MAX_MACHINES);
	if ((l->machines = calloc(n > 0 ? n : 1, sizeof(*l->machines))) == NULL)
		return -ENOMEM;
	l->cap_machines = n > 0 ? n : 1;
	cJSON_ArrayForEach(e, arr)
	{
		const char *key, *why = machine_from_json(e, &l->machines[i], &key);

		l->n_machines = ++i;
		if (why != NULL)
			return error_set(ret_error, -EBADMSG,
			    "%s/machines.json: machine %zu: %s %s", s->state_dir, i, key, why);
	}
	qsort(l->machines, l->n_machines, sizeof(*l->machines), machine_cmp);
	for (i = 1; i < l->n_machines; i++)
		if (memcmp(l->machines[i - 1].mac, l->machines[i].mac, MAC_LEN) == 0)
			return error_set(ret_error, -EBADMSG,
			    "%s/machines.json: a MAC address appears twice", s->state_dir);
	return 0;
}

int
store_local_machines_load(struct store *s, char **ret_error)
{
	cJSON *root = NULL;
	const cJSON *arr;
	int r =
	    store_local_json_read(s, "machines.json", STORE_MACHINES_MAX_FILE, &root, ret_error);

	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return r;
	arr = cJSON_GetObjectItemCaseSensitive(root, "machines");
	if (!cJSON_IsObject(root) || !cJSON_IsArray(arr))
		r = error_set(
		    ret_error, -EBADMSG, "%s/machines.json: no \"machines\" list", s->state_dir);
	else
		r = machines_load_array(s, arr, ret_error);
	cJSON_Delete(root);
	return r;
}

const struct store_machine *
store_local_machine_get(const struct store *s, const uint8_t mac[MAC_LEN])
{
	const struct store_local *l = store_local(s);
	bool found;
	size_t pos = machine_pos(l, mac, &found);

	return found ? &l->machines[pos] : NULL;
}

const struct store_machine *
store_local_machine_list(const struct store *s, size_t *ret_n)
{
	const struct store_local *l = store_local(s);

	*ret_n = l->n_machines;
	return l->machines;
}

/* Room for one more machine in the table. */
static int
machines_reserve(struct store_local *l)
{
	size_t cap = l->cap_machines ? l->cap_machines * 2 : 16;
	struct store_machine *nm;

	if (l->n_machines < l->cap_machines)
		return 0;
	if ((nm = realloc(l->machines, cap * sizeof(*nm))) == NULL)
		return -ENOMEM;
	l->machines = nm, l->cap_machines = cap;
	return 0;
}

int
store_local_machine_set(struct store *s, const struct store_machine *m)
{
	struct store_local *l = store_local(s);
	struct store_machine copy;
	bool found;
	size_t pos = machine_pos(l, m->mac, &found);
	int r;

	if (!found && (r = machines_reserve(l)) < 0)
		return r;
	if ((r = machine_copy(m, &copy)) < 0)
		return r;
	if ((r = machines_write(s, pos, found ? CHANGE_REPLACE : CHANGE_INSERT, &copy)) < 0) {
		machine_clear(&copy);
		return r;
	}
	if (found) {
		machine_clear(&l->machines[pos]);
	} else {
		memmove(&l->machines[pos + 1], &l->machines[pos],
		    (l->n_machines - pos) * sizeof(*l->machines));
		l->n_machines++;
	}
	l->machines[pos] = copy;
	return 0;
}

int
store_local_machine_remove(struct store *s, const uint8_t mac[MAC_LEN])
{
	struct store_local *l = store_local(s);
	bool found;
	size_t pos = machine_pos(l, mac, &found);
	int r;

	if (!found)
		return -ENOENT;
	if ((r = machines_write(s, pos, CHANGE_DELETE, NULL)) < 0)
		return r;
	machine_clear(&l->machines[pos]);
	memmove(&l->machines[pos], &l->machines[pos + 1],
	    (l->n_machines - pos - 1) * sizeof(*l->machines));
	l->n_machines--;
	return 0;
}

void
store_local_machines_free(struct store_local *l)
{
	for (size_t i = 0; i < l->n_machines; i++)
		machine_clear(&l->machines[i]);
	free(l->machines);
	l->machines = NULL;
	l->n_machines = l->cap_machines = 0;
}
