/*
 * The persistent store: see store.h for the layout, the atomicity rules and
 * the threading contract.
 */
#include "store.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "error.h"
#include "cloud-config.h"
#include "fsutil.h"
#include "io.h"
#include "log.h"
#include "util.h"

#define COPY_CHUNK     (1024 * 1024)
#define SQUASHFS_MAGIC "hsqs"

struct store {
	char *dir, *images_dir, *configs_dir;
	int dir_fd, images_fd, configs_fd;
	struct store_machine *machines; /* sorted by MAC */
	size_t n_machines, cap_machines;
	struct store_settings settings;
	pthread_mutex_t lock; /* guards busy[] */
	char **busy;          /* names with an open txn */
	size_t n_busy;
};

struct store_txn {
	struct store *s;
	char *name;
	char *tmp_path; /* <images>/.tmp-<name>-XXXXXX */
	const char *tmp_name;
	char *paths[MANIFEST_N_FILES];
	struct manifest_file_info files[MANIFEST_N_FILES];
	bool committed;
};

/* ---- small model helpers ---- */

const char *
store_cmdline_mode_name(enum store_cmdline_mode m)
{
	return m == STORE_CMDLINE_REPLACE ? "replace" : "append";
}

int
store_cmdline_mode_parse(const char *s, enum store_cmdline_mode *ret)
{
	if (strcmp(s, "append") == 0)
		*ret = STORE_CMDLINE_APPEND;
	else if (strcmp(s, "replace") == 0)
		*ret = STORE_CMDLINE_REPLACE;
	else
		return -EINVAL;
	return 0;
}

static void
machine_clear(struct store_machine *m)
{
	free(m->image);
	free(m->config);
	free(m->cmdline);
	*m = (struct store_machine){0};
}

static int
strdup_or_null(const char *s, char **ret)
{
	*ret = s != NULL ? strdup(s) : NULL;
	return (s != NULL && *ret == NULL) ? -ENOMEM : 0;
}

static int
machine_copy(const struct store_machine *src, struct store_machine *dst)
{
	struct store_machine m = {.cmdline_mode = src->cmdline_mode};

	memcpy(m.mac, src->mac, MAC_LEN);
	if (strdup_or_null(src->image, &m.image) < 0 ||
	    strdup_or_null(src->config, &m.config) < 0 ||
	    strdup_or_null(src->cmdline, &m.cmdline) < 0) {
		machine_clear(&m);
		return -ENOMEM;
	}
	*dst = m;
	return 0;
}

/* Index of the first machine >= mac; *found if equal. */
static size_t
machine_pos(const struct store *s, const uint8_t mac[MAC_LEN], bool *found)
{
	size_t lo = 0, hi = s->n_machines;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (memcmp(s->machines[mid].mac, mac, MAC_LEN) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*found = lo < s->n_machines && memcmp(s->machines[lo].mac, mac, MAC_LEN) == 0;
	return lo;
}

static int
machine_cmp(const void *a, const void *b)
{
	return memcmp(((const struct store_machine *)a)->mac,
	    ((const struct store_machine *)b)->mac, MAC_LEN);
}

/* ---- machines.json ---- */

static cJSON *
machine_to_json(const struct store_machine *m)
{
	char mac[MAC_STRLEN];
	cJSON *o = cJSON_CreateObject();

	mac_format(m->mac, ':', mac);
	if (o == NULL || cJSON_AddStringToObject(o, "mac", mac) == NULL ||
	    (m->image ? cJSON_AddStringToObject(o, "image", m->image)
	              : cJSON_AddNullToObject(o, "image")) == NULL ||
	    (m->config ? cJSON_AddStringToObject(o, "config", m->config)
	               : cJSON_AddNullToObject(o, "config")) == NULL ||
	    (m->cmdline ? cJSON_AddStringToObject(o, "cmdline", m->cmdline)
	                : cJSON_AddNullToObject(o, "cmdline")) == NULL ||
	    cJSON_AddStringToObject(o, "cmdline_mode", store_cmdline_mode_name(m->cmdline_mode)) ==
	        NULL) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

/* Pretty-print 'root' and write it atomically, refusing more than 'max' bytes. */
static int
json_write_at(int dirfd, const char *name, const cJSON *root, size_t max)
{
	char *text = cJSON_Print(root), *buf;
	size_t len;
	int r;

	if (text == NULL)
		return -ENOMEM;
	len = strlen(text);
	if (len + 1 > max) {
		cJSON_free(text);
		return -E2BIG;
	}
	buf = malloc(len + 1);
	if (buf != NULL) {
		memcpy(buf, text, len);
		buf[len] = '\n';
	}
	cJSON_free(text);
	if (buf == NULL)
		return -ENOMEM;
	r = fs_atomic_write_at(dirfd, name, buf, len + 1);
	free(buf);
	return r;
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
	cJSON *root = cJSON_CreateObject(), *arr = cJSON_AddArrayToObject(root, "machines");
	int r = arr != NULL ? 0 : -ENOMEM;

	for (size_t i = 0; r == 0 && i <= s->n_machines; i++) {
		if (i == pos && op != CHANGE_DELETE)
			r = machines_add_json(arr, m);
		if (r < 0 || i == s->n_machines || (i == pos && op != CHANGE_INSERT))
			continue;
		r = machines_add_json(arr, &s->machines[i]);
	}
	if (r == 0)
		r = json_write_at(s->dir_fd, "machines.json", root, STORE_MACHINES_MAX_FILE);
	cJSON_Delete(root);
	return r;
}

/* A string|null|missing member that must be a valid name; NULL problem if fine. */
static const char *
json_opt_string(const cJSON *o, const char *key, bool is_name, size_t max, char **ret)
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
	if ((why = json_opt_string(o, *ret_key = "image", true, 0, &m->image)) != NULL)
		return why;
	if ((why = json_opt_string(o, *ret_key = "config", true, 0, &m->config)) != NULL)
		return why;
	return json_opt_string(o, *ret_key = "cmdline", false, STORE_MAX_CMDLINE, &m->cmdline);
}

/* Read and parse a JSON state file; -ENOENT passes through silently. */
static int
json_read_at(struct store *s, const char *name, size_t max, cJSON **ret, char **ret_error)
{
	_cleanup_free_ char *text = NULL;
	size_t len;
	cJSON *root;
	int r = fs_read_file_at(s->dir_fd, name, max, &text, &len);

	if (r == -ENOENT)
		return r;
	if (r == -EFBIG)
		return error_set(
		    ret_error, -EBADMSG, "%s/%s: larger than %zu bytes", s->dir, name, max);
	if (r < 0)
		return error_set(ret_error, r, "%s/%s: %s", s->dir, name, strerror(-r));
	if ((root = cJSON_ParseWithLength(text, len)) == NULL)
		return error_set(ret_error, -EBADMSG, "%s/%s: not valid JSON", s->dir, name);
	*ret = root;
	return 0;
}

static int
machines_load_array(struct store *s, const cJSON *arr, char **ret_error)
{
	size_t n = (size_t)cJSON_GetArraySize(arr), i = 0;
	const cJSON *e;

	if (n > STORE_MAX_MACHINES)
		return error_set(ret_error, -EBADMSG, "%s/machines.json: more than %d machines",
		    s->dir, STORE_MAX_MACHINES);
	if ((s->machines = calloc(n > 0 ? n : 1, sizeof(*s->machines))) == NULL)
		return -ENOMEM;
	s->cap_machines = n > 0 ? n : 1;
	cJSON_ArrayForEach(e, arr)
	{
		const char *key, *why = machine_from_json(e, &s->machines[i], &key);

		s->n_machines = ++i;
		if (why != NULL)
			return error_set(ret_error, -EBADMSG,
			    "%s/machines.json: machine %zu: %s %s", s->dir, i, key, why);
	}
	qsort(s->machines, s->n_machines, sizeof(*s->machines), machine_cmp);
	for (i = 1; i < s->n_machines; i++)
		if (memcmp(s->machines[i - 1].mac, s->machines[i].mac, MAC_LEN) == 0)
			return error_set(ret_error, -EBADMSG,
			    "%s/machines.json: a MAC address appears twice", s->dir);
	return 0;
}

static int
machines_load(struct store *s, char **ret_error)
{
	cJSON *root = NULL;
	const cJSON *arr;
	int r = json_read_at(s, "machines.json", STORE_MACHINES_MAX_FILE, &root, ret_error);

	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return r;
	arr = cJSON_GetObjectItemCaseSensitive(root, "machines");
	if (!cJSON_IsObject(root) || !cJSON_IsArray(arr))
		r = error_set(
		    ret_error, -EBADMSG, "%s/machines.json: no \"machines\" list", s->dir);
	else
		r = machines_load_array(s, arr, ret_error);
	cJSON_Delete(root);
	return r;
}

/* ---- settings.json ---- */

static void
settings_clear(struct store_settings *st)
{
	free(st->default_config);
	free(st->default_image);
	*st = (struct store_settings){.default_boot = true};
}

static int
settings_load(struct store *s, char **ret_error)
{
	const char *why = NULL, *key = "default_boot";
	cJSON *root = NULL;
	const cJSON *b;
	int r = json_read_at(s, "settings.json", STORE_SETTINGS_MAX_FILE, &root, ret_error);

	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return r;
	b = cJSON_GetObjectItemCaseSensitive(root, "default_boot");
	if (!cJSON_IsObject(root))
		why = "is not an object", key = "the document";
	else if (b != NULL && !cJSON_IsBool(b))
		why = "is not a boolean";
	else if ((why = json_opt_string(
	              root, key = "default_config", true, 0, &s->settings.default_config)) == NULL)
		why = json_opt_string(
		    root, key = "default_image", true, 0, &s->settings.default_image);
	if (why == NULL && b != NULL)
		s->settings.default_boot = cJSON_IsTrue(b);
	cJSON_Delete(root);
	if (why != NULL)
		return error_set(ret_error, -EBADMSG, "%s/settings.json: %s %s", s->dir, key, why);
	return 0;
}

static int
settings_write(struct store *s, const struct store_settings *st)
{
	cJSON *root = cJSON_CreateObject();
	int r = -ENOMEM;

	if (root == NULL ||
	    (st->default_config
	            ? cJSON_AddStringToObject(root, "default_config", st->default_config)
	            : cJSON_AddNullToObject(root, "default_config")) == NULL ||
	    cJSON_AddBoolToObject(root, "default_boot", st->default_boot) == NULL ||
	    (st->default_image ? cJSON_AddStringToObject(root, "default_image", st->default_image)
	                       : cJSON_AddNullToObject(root, "default_image")) == NULL)
		goto out;
	r = json_write_at(s->dir_fd, "settings.json", root, STORE_SETTINGS_MAX_FILE);
out:
	cJSON_Delete(root);
	return r;
}

/* ---- open / free ---- */

static char *
path_join(const char *a, const char *b)
{
	char *p;

	return asprintf(&p, "%s/%s", a, b) < 0 ? NULL : p;
}

void
store_free(struct store *s)
{
	if (s == NULL)
		return;
	for (size_t i = 0; i < s->n_machines; i++)
		machine_clear(&s->machines[i]);
	free(s->machines);
	settings_clear(&s->settings);
	for (size_t i = 0; i < s->n_busy; i++)
		free(s->busy[i]);
	free(s->busy);
	pthread_mutex_destroy(&s->lock);
	closep(&s->dir_fd);
	closep(&s->images_fd);
	closep(&s->configs_fd);
	free(s->dir);
	free(s->images_dir);
	free(s->configs_dir);
	free(s);
}

static int
store_open_dirs(struct store *s, char **ret_error)
{
	int r;

	if (mkdir(s->dir, 0755) < 0 && errno != EEXIST)
		return error_set(ret_error, -errno, "Cannot create %s: %m", s->dir);
	s->dir_fd = open(s->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (s->dir_fd < 0)
		return error_set(ret_error, -errno, "Cannot open %s: %m", s->dir);
	if ((r = fs_open_subdir(s->dir_fd, "images")) < 0 ||
	    (s->images_fd = r, r = fs_open_subdir(s->dir_fd, "configs")) < 0 ||
	    (s->configs_fd = r, r = fs_open_subdir(s->dir_fd, "tftp")) < 0)
		return error_set(
		    ret_error, r, "Cannot create the directories in %s: %s", s->dir, strerror(-r));
	close(r);
	return 0;
}

int
store_open(const char *state_dir, struct store **ret, char **ret_error)
{
	struct store *s = calloc(1, sizeof(*s));
	int r;

	if (s == NULL)
		return -ENOMEM;
	s->dir_fd = s->images_fd = s->configs_fd = -1;
	s->settings.default_boot = true;
	pthread_mutex_init(&s->lock, NULL);
	if ((s->dir = strdup(state_dir)) == NULL ||
	    (s->images_dir = path_join(state_dir, "images")) == NULL ||
	    (s->configs_dir = path_join(state_dir, "configs")) == NULL) {
		store_free(s);
		return -ENOMEM;
	}
	if ((r = store_open_dirs(s, ret_error)) < 0)
		goto fail;
	fs_clean_leftovers(s->dir_fd, s->dir);
	fs_clean_leftovers(s->images_fd, s->images_dir);
	fs_clean_leftovers(s->configs_fd, s->configs_dir);
	if ((r = machines_load(s, ret_error)) < 0 || (r = settings_load(s, ret_error)) < 0)
		goto fail;
	*ret = s;
	return 0;
fail:
	store_free(s);
	return r;
}

const char *
store_state_dir(const struct store *s)
{
	return s->dir;
}

const char *
store_images_dir(const struct store *s)
{
	return s->images_dir;
}

/* ---- images ---- */

/* A manifest for an image placed by hand: the three files' sizes, no digests. */
static int
image_legacy(int fd, const char *name, struct manifest **ret)
{
	struct manifest *m;
	struct stat st;

	if ((m = manifest_new()) == NULL)
		return -ENOMEM;
	m->source_type = MANIFEST_SOURCE_LEGACY;
	for (size_t i = 0; i < MANIFEST_N_FILES; i++) {
		if (fstatat(fd, manifest_file_names[i], &st, 0) < 0 || !S_ISREG(st.st_mode)) {
			manifest_free(m);
			return -ENOENT;
		}
		m->files[i].size = (uint64_t)st.st_size;
	}
	if (fstat(fd, &st) == 0)
		m->created = st.st_mtime;
	if ((m->name = strdup(name)) == NULL) {
		manifest_free(m);
		return -ENOMEM;
	}
	*ret = m;
	return 0;
}

/* The manifest of images/<name>, or a legacy one; -ENOENT if not an image. */
static int
image_load(struct store *s, const char *name, struct manifest **ret)
{
	_cleanup_close_ int fd = -1;
	_cleanup_free_ char *text = NULL, *error = NULL;
	struct manifest *m = NULL;
	size_t len;
	int r;

	if (!name_valid(name))
		return -ENOENT;
	fd = openat(s->images_fd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOMEM ? -ENOMEM : -ENOENT;
	r = fs_read_file_at(fd, "manifest.json", MANIFEST_MAX_SIZE, &text, &len);
	if (r == 0 && (r = manifest_parse(text, len, &m, &error)) == 0) {
		if (strcmp(m->name, name) == 0) {
			*ret = m;
			return 0;
		}
		log_debug(NULL, "Image \"%s\" has a manifest for \"%s\", treating it as legacy",
		    name, m->name);
		manifest_free(m);
	} else if (r != -ENOENT) {
		log_debug(NULL, "Image \"%s\" has a bad manifest.json (%s), treating it as legacy",
		    name, error ? error : strerror(-r));
	}
	return image_legacy(fd, name, ret);
}

static int
manifest_cmp(const void *a, const void *b)
{
	return strcmp((*(struct manifest *const *)a)->name, (*(struct manifest *const *)b)->name);
}

void
store_image_list_free(struct manifest **list, size_t n)
{
	for (size_t i = 0; list != NULL && i < n; i++)
		manifest_free(list[i]);
	free(list);
}

int
store_image_list(struct store *s, struct manifest ***ret, size_t *ret_n)
{
	int fd = openat(s->images_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	struct manifest **list = NULL;
	struct dirent *de;
	size_t n = 0;
	int r = 0;

	if (d == NULL) {
		r = fd < 0 ? -errno : -ENOMEM;
		closep(&fd);
		return r;
	}
	while (r == 0 && n < STORE_MAX_IMAGES && (de = readdir(d)) != NULL) {
		struct manifest *m, **nl;

		if (de->d_name[0] == '.' || image_load(s, de->d_name, &m) < 0)
			continue;
		if ((nl = realloc(list, (n + 1) * sizeof(*list))) == NULL) {
			manifest_free(m);
			r = -ENOMEM;
			break;
		}
		list = nl;
		list[n++] = m;
	}
	closedir(d);
	if (r < 0) {
		store_image_list_free(list, n);
		return r;
	}
	if (n > 0)
		qsort(list, n, sizeof(*list), manifest_cmp);
	*ret = list;
	*ret_n = n;
	return 0;
}

int
store_image_get(struct store *s, const char *name, struct manifest **ret)
{
	return image_load(s, name, ret);
}

bool
store_image_exists(struct store *s, const char *name)
{
	struct stat st;

	return name_valid(name) && fstatat(s->images_fd, name, &st, 0) == 0 && S_ISDIR(st.st_mode);
}

int
store_image_open(struct store *s, const char *name, enum manifest_file f, off_t *ret_size)
{
	char path[MANIFEST_MAX_NAME + 32];

	if (!name_valid(name) || (size_t)f >= MANIFEST_N_FILES)
		return -ENOENT;
	snprintf(path, sizeof(path), "%s/%s", name, manifest_file_names[f]);
	return fs_open_beneath(s->images_dir, path, ret_size);
}

static bool
streq_ptr(const char *a, const char *b)
{
	return a != NULL && b != NULL && strcmp(a, b) == 0;
}

size_t
store_image_users(const struct store *s, const char *name)
{
	size_t n = streq_ptr(s->settings.default_image, name) ? 1 : 0;

	for (size_t i = 0; i < s->n_machines; i++)
		if (streq_ptr(s->machines[i].image, name))
			n++;
	return n;
}

int
store_image_remove(struct store *s, const char *name, bool force, size_t *ret_dangling)
{
	char tmp[NAME_MAX + 1], sfx[7];
	size_t users;
	struct stat st;
	int r;

	if (!name_valid(name) || fstatat(s->images_fd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return -ENOENT;
	users = store_image_users(s, name);
	if (users > 0 && !force)
		return -EBUSY;
	fs_random_suffix(sfx);
	snprintf(tmp, sizeof(tmp), ".tmp-rm-%s-%s", name, sfx);
	if ((r = fs_rename_noreplace(s->images_fd, name, tmp)) < 0)
		return r;
	if (fsync(s->images_fd) < 0)
		log_warn(NULL, "Cannot sync \"%s\": %m, ignoring", s->images_dir);
	if ((r = fs_rm_rf_at(s->images_fd, tmp)) < 0)
		log_warn("IMAGE=%s",
		    "Cannot delete the files of removed image \"%s\": %s, ignoring", name,
		    strerror(-r));
	if (ret_dangling != NULL)
		*ret_dangling = users;
	return 0;
}

/* The only directory under images/ (not starting with '.'), if exactly one. */
static int
image_only_one(struct store *s, char **ret)
{
	int fd = openat(s->images_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	char *found = NULL;
	struct dirent *de;
	size_t n = 0;

	if (d == NULL) {
		closep(&fd);
		return -ENOENT;
	}
	while (n < 2 && (de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.' || !store_image_exists(s, de->d_name))
			continue;
		if (n++ == 0)
			found = strdup(de->d_name);
	}
	closedir(d);
	if (n != 1 || found == NULL) {
		free(found);
		return n == 1 ? -ENOMEM : -ENOENT;
	}
	*ret = found;
	return 0;
}

int
store_image_default(struct store *s, const char *cfg_image, char **ret)
{
	const char *name = s->settings.default_image ? s->settings.default_image : cfg_image;
	char *copy;

	if (name == NULL)
		return image_only_one(s, ret);
	if ((copy = strdup(name)) == NULL)
		return -ENOMEM;
	*ret = copy;
	return 0;
}

/* ---- image transactions ---- */

static int
busy_add(struct store *s, const char *name)
{
	char **nb, *copy;
	int r = 0;

	pthread_mutex_lock(&s->lock);
	for (size_t i = 0; i < s->n_busy; i++)
		if (strcmp(s->busy[i], name) == 0)
			r = -EBUSY;
	if (r == 0 && ((copy = strdup(name)) == NULL ||
	                  (nb = realloc(s->busy, (s->n_busy + 1) * sizeof(*nb))) == NULL)) {
		free(copy);
		r = -ENOMEM;
	}
	if (r == 0) {
		s->busy = nb;
		s->busy[s->n_busy++] = copy;
	}
	pthread_mutex_unlock(&s->lock);
	return r;
}

static void
busy_remove(struct store *s, const char *name)
{
	pthread_mutex_lock(&s->lock);
	for (size_t i = 0; i < s->n_busy; i++) {
		if (strcmp(s->busy[i], name) != 0)
			continue;
		free(s->busy[i]);
		s->busy[i] = s->busy[--s->n_busy];
		break;
	}
	pthread_mutex_unlock(&s->lock);
}

void
store_txn_free(struct store_txn *t)
{
	if (t == NULL)
		return;
	if (!t->committed && t->tmp_name != NULL) {
		int r = fs_rm_rf_at(t->s->images_fd, t->tmp_name);
		if (r < 0)
			log_warn(
			    NULL, "Cannot remove \"%s\": %s, ignoring", t->tmp_path, strerror(-r));
	}
	if (t->name != NULL)
		busy_remove(t->s, t->name);
	for (size_t i = 0; i < MANIFEST_N_FILES; i++)
		free(t->paths[i]);
	free(t->tmp_path);
	free(t->name);
	free(t);
}

int
store_txn_begin(struct store *s, const char *name, struct store_txn **ret)
{
	struct store_txn *t;
	int r;

	if (!name_valid(name))
		return -EINVAL;
	if ((r = busy_add(s, name)) < 0)
		return r;
	if ((t = calloc(1, sizeof(*t))) == NULL || (t->name = strdup(name)) == NULL) {
		busy_remove(s, name);
		free(t);
		return -ENOMEM;
	}
	t->s = s;
	if (asprintf(&t->tmp_path, "%s/.tmp-%s-XXXXXX", s->images_dir, name) < 0) {
		t->tmp_path = NULL;
		store_txn_free(t);
		return -ENOMEM;
	}
	/* mkdtemp makes it 0700; a published image is world-readable like the rest. */
	if (mkdtemp(t->tmp_path) == NULL || chmod(t->tmp_path, 0755) < 0) {
		r = -errno;
		store_txn_free(t);
		return r;
	}
	t->tmp_name = strrchr(t->tmp_path, '/') + 1;
	for (size_t i = 0; i < MANIFEST_N_FILES; i++)
		if (asprintf(&t->paths[i], "%s/%s", t->tmp_path, manifest_file_names[i]) < 0) {
			t->paths[i] = NULL;
			store_txn_free(t);
			return -ENOMEM;
		}
	*ret = t;
	return 0;
}

const char *
store_txn_path(const struct store_txn *t, enum manifest_file f)
{
	return (size_t)f < MANIFEST_N_FILES ? t->paths[f] : NULL;
}

struct copy_job {
	const char *file; /* "kernel", ... */
	int in, out;      /* out < 0: digest only */
	uint64_t total;
	store_progress_fn progress;
	void *userdata;
	const atomic_bool *cancel;
};

/* Read 'in' to the end, digesting and (if out >= 0) copying; fills size and sha256. */
static int
copy_digest(const struct copy_job *j, struct manifest_file_info *ret)
{
	_cleanup_free_ unsigned char *buf = malloc(COPY_CHUNK);
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned char md[EVP_MAX_MD_SIZE];
	uint64_t done = 0;
	int r = 0;

	if (buf == NULL || ctx == NULL || !EVP_DigestInit_ex(ctx, EVP_sha256(), NULL)) {
		EVP_MD_CTX_free(ctx);
		return -ENOMEM;
	}
	for (;;) {
		if (j->cancel != NULL && atomic_load(j->cancel)) {
			r = -ECANCELED;
			break;
		}
		ssize_t n = read(j->in, buf, COPY_CHUNK);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			r = n < 0 ? -errno : 0;
			break;
		}
		if (!EVP_DigestUpdate(ctx, buf, (size_t)n)) {
			r = -EIO;
			break;
		}
		if (j->out >= 0 && (r = io_write_all(j->out, buf, (size_t)n)) < 0)
			break;
		done += (uint64_t)n;
		if (j->progress != NULL)
			j->progress(j->file, done, j->total, j->userdata);
	}
	if (r == 0 && !EVP_DigestFinal_ex(ctx, md, NULL))
		r = -EIO;
	EVP_MD_CTX_free(ctx);
	if (r < 0)
		return r;
	ret->size = done;
	ret->has_sha256 = true;
	io_hex_encode(md, MANIFEST_SHA256_HEX / 2, ret->sha256);
	return 0;
}

/* Copy the open file 'in' (named src/name in messages) into the txn as f. */
static int
copy_one(struct store_txn *t, int in, const char *src, enum manifest_file f, struct copy_job *j,
    char **ret_error)
{
	const char *name = manifest_file_names[f];
	_cleanup_close_ int out = -1;
	struct stat st;
	int r;

	if (fstat(in, &st) < 0)
		return error_set(ret_error, -errno, "Cannot read %s/%s: %m", src, name);
	if (!S_ISREG(st.st_mode))
		return error_set(ret_error, -EINVAL, "%s/%s is not a regular file", src, name);
	out = open(t->paths[f], O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (out < 0)
		return error_set(ret_error, -errno, "Cannot create %s: %m", t->paths[f]);
	j->file = name, j->in = in, j->out = out, j->total = (uint64_t)st.st_size;
	if ((r = copy_digest(j, &t->files[f])) < 0)
		return error_set(ret_error, r, "Cannot copy %s/%s: %s", src, name, strerror(-r));
	if (close(TAKE_FD(out)) < 0)
		return error_set(ret_error, -errno, "Cannot write %s: %m", t->paths[f]);
	return 0;
}

int
store_txn_populate_fds(struct store_txn *t, const int fds[MANIFEST_N_FILES], const char *src,
    store_progress_fn progress, void *userdata, const atomic_bool *cancel, char **ret_error)
{
	struct copy_job j = {.progress = progress, .userdata = userdata, .cancel = cancel};
	int r;

	for (size_t f = 0; f < MANIFEST_N_FILES; f++)
		if ((r = copy_one(t, fds[f], src, (enum manifest_file)f, &j, ret_error)) < 0)
			return r;
	return 0;
}

int
store_txn_populate_dir(struct store_txn *t, const char *src_dir, store_progress_fn progress,
    void *userdata, const atomic_bool *cancel, char **ret_error)
{
	_cleanup_close_ int srcfd = open(src_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int fds[MANIFEST_N_FILES] = {-1, -1, -1}, r = 0;

	if (srcfd < 0)
		return error_set(ret_error, -errno, "Cannot open directory %s: %m", src_dir);
	for (size_t f = 0; f < MANIFEST_N_FILES && r == 0; f++) {
		fds[f] = openat(srcfd, manifest_file_names[f], O_RDONLY | O_CLOEXEC | O_NOCTTY);
		if (fds[f] < 0)
			r = error_set(ret_error, -errno, "Cannot open %s/%s: %m", src_dir,
			    manifest_file_names[f]);
	}
	if (r == 0)
		r = store_txn_populate_fds(t, fds, src_dir, progress, userdata, cancel, ret_error);
	for (size_t f = 0; f < MANIFEST_N_FILES; f++)
		if (fds[f] >= 0)
			close(fds[f]);
	return r;
}

/* Digest a file written by another producer; fsync every file. */
static int
txn_finish_file(struct store_txn *t, enum manifest_file f, char **ret_error)
{
	const char *name = manifest_file_names[f];
	_cleanup_close_ int fd = open(t->paths[f], O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	struct copy_job j = {.file = name, .in = fd, .out = -1};
	char magic[4];
	int r;

	if (fd < 0)
		return error_set(
		    ret_error, errno == ENOENT ? -EINVAL : -errno, "The image has no %s: %m", name);
	if (!t->files[f].has_sha256 && (r = copy_digest(&j, &t->files[f])) < 0)
		return error_set(ret_error, r, "Cannot read %s: %s", t->paths[f], strerror(-r));
	if (fsync(fd) < 0)
		return error_set(ret_error, -errno, "Cannot sync %s: %m", t->paths[f]);
	if (f != MANIFEST_ROOTFS && t->files[f].size == 0)
		return error_set(ret_error, -EINVAL, "The %s is empty", name);
	if (f == MANIFEST_ROOTFS &&
	    (pread(fd, magic, 4, 0) != 4 || memcmp(magic, SQUASHFS_MAGIC, 4) != 0))
		return error_set(ret_error, -EINVAL, "rootfs.squashfs is not a squashfs image");
	return 0;
}

static int
txn_manifest(struct store_txn *t, enum manifest_source_type type, const char *source,
    const char *cmdline, struct manifest **ret)
{
	struct manifest *m = manifest_new();

	if (m == NULL)
		return -ENOMEM;
	m->created = (int64_t)time(NULL);
	m->source_type = type;
	memcpy(m->files, t->files, sizeof(m->files));
	if ((m->name = strdup(t->name)) == NULL || strdup_or_null(source, &m->source) < 0 ||
	    strdup_or_null(cmdline, &m->cmdline) < 0) {
		manifest_free(m);
		return -ENOMEM;
	}
	*ret = m;
	return 0;
}

/* Write manifest.json into the temp dir and sync it and the dir. */
static int
txn_write_manifest(struct store_txn *t, const struct manifest *m, char **ret_error)
{
	_cleanup_close_ int dfd = open(t->tmp_path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	_cleanup_free_ char *text = NULL;
	int r;

	if (dfd < 0)
		return error_set(ret_error, -errno, "Cannot open %s: %m", t->tmp_path);
	if ((r = manifest_format(m, &text)) < 0)
		return r;
	if ((r = fs_atomic_write_at(dfd, "manifest.json", text, strlen(text))) < 0)
		return error_set(
		    ret_error, r, "Cannot write %s/manifest.json: %s", t->tmp_path, strerror(-r));
	return 0;
}

/* Rename the temp dir to images/<name>, swapping with an existing one if forced. */
static int
txn_publish(struct store_txn *t, bool force, char **ret_error)
{
	int fd = t->s->images_fd, r;

	r = fs_rename_noreplace(fd, t->tmp_name, t->name);
	if (r == -EEXIST && force) {
		if (renameat2(fd, t->tmp_name, fd, t->name, RENAME_EXCHANGE) == 0)
			r = 0;
		else if (errno == ENOENT) /* removed meanwhile */
			r = fs_rename_noreplace(fd, t->tmp_name, t->name);
		else
			r = -errno;
		if (r == 0 && fsync(fd) == 0) {
			/* The temp name now holds the old image; store_open() also cleans it. */
			if ((r = fs_rm_rf_at(fd, t->tmp_name)) < 0)
				log_warn("IMAGE=%s",
				    "Cannot delete the replaced image \"%s\": %s, ignoring",
				    t->name, strerror(-r));
			r = 0;
		}
	}
	if (r == -EEXIST)
		return error_set(ret_error, r, "Image \"%s\" exists", t->name);
	if (r < 0)
		return error_set(
		    ret_error, r, "Cannot move image \"%s\" into place: %s", t->name, strerror(-r));
	t->committed = true;
	if (fsync(fd) < 0)
		log_warn(NULL, "Cannot sync \"%s\": %m, ignoring", t->s->images_dir);
	return 0;
}

int
store_txn_commit(struct store_txn *t, enum manifest_source_type type, const char *source,
    const char *cmdline, bool force, struct manifest **ret, char **ret_error)
{
	struct manifest *m = NULL;
	int r;

	if (t->committed || type == MANIFEST_SOURCE_LEGACY || source == NULL || source[0] == '\0' ||
	    !manifest_string_valid(source, MANIFEST_MAX_SOURCE) ||
	    (cmdline != NULL && !manifest_string_valid(cmdline, MANIFEST_MAX_CMDLINE)))
		return error_set(ret_error, -EINVAL, "Invalid source or command line");
	for (size_t f = 0; f < MANIFEST_N_FILES; f++)
		if ((r = txn_finish_file(t, (enum manifest_file)f, ret_error)) < 0)
			return r;
	if ((r = txn_manifest(t, type, source, cmdline, &m)) < 0)
		return r;
	if ((r = txn_write_manifest(t, m, ret_error)) < 0 ||
	    (r = txn_publish(t, force, ret_error)) < 0) {
		manifest_free(m);
		return r;
	}
	if (ret != NULL)
		*ret = m;
	else
		manifest_free(m);
	return 0;
}

/* ---- machines ---- */

const struct store_machine *
store_machine_get(const struct store *s, const uint8_t mac[MAC_LEN])
{
	bool found;
	size_t pos = machine_pos(s, mac, &found);

	return found ? &s->machines[pos] : NULL;
}

const struct store_machine *
store_machine_list(const struct store *s, size_t *ret_n)
{
	*ret_n = s->n_machines;
	return s->machines;
}

static int
machine_check(struct store *s, const struct store_machine *m)
{
	if ((m->image != NULL && !name_valid(m->image)) ||
	    (m->config != NULL && !name_valid(m->config)) ||
	    (m->cmdline != NULL && !manifest_string_valid(m->cmdline, STORE_MAX_CMDLINE)) ||
	    (m->cmdline_mode != STORE_CMDLINE_APPEND && m->cmdline_mode != STORE_CMDLINE_REPLACE))
		return -EINVAL;
	if (m->image != NULL && !store_image_exists(s, m->image))
		return -ENOENT;
	if (m->config != NULL && !store_config_exists(s, m->config))
		return -ENOKEY;
	return 0;
}

int
store_machine_set(struct store *s, const struct store_machine *m)
{
	struct store_machine copy;
	bool found;
	size_t pos = machine_pos(s, m->mac, &found);
	int r;

	if ((r = machine_check(s, m)) < 0)
		return r;
	if (!found && s->n_machines >= STORE_MAX_MACHINES)
		return -E2BIG;
	if (!found && s->n_machines == s->cap_machines) {
		size_t cap = s->cap_machines ? s->cap_machines * 2 : 16;
		struct store_machine *nm = realloc(s->machines, cap * sizeof(*nm));

		if (nm == NULL)
			return -ENOMEM;
		s->machines = nm, s->cap_machines = cap;
	}
	if ((r = machine_copy(m, &copy)) < 0)
		return r;
	if ((r = machines_write(s, pos, found ? CHANGE_REPLACE : CHANGE_INSERT, &copy)) < 0) {
		machine_clear(&copy);
		return r;
	}
	if (found) {
		machine_clear(&s->machines[pos]);
	} else {
		memmove(&s->machines[pos + 1], &s->machines[pos],
		    (s->n_machines - pos) * sizeof(*s->machines));
		s->n_machines++;
	}
	s->machines[pos] = copy;
	return 0;
}

int
store_machine_remove(struct store *s, const uint8_t mac[MAC_LEN])
{
	bool found;
	size_t pos = machine_pos(s, mac, &found);
	int r;

	if (!found)
		return -ENOENT;
	if ((r = machines_write(s, pos, CHANGE_DELETE, NULL)) < 0)
		return r;
	machine_clear(&s->machines[pos]);
	memmove(&s->machines[pos], &s->machines[pos + 1],
	    (s->n_machines - pos - 1) * sizeof(*s->machines));
	s->n_machines--;
	return 0;
}

/* ---- cloud-configs ---- */

static int
config_file(const char *name, char buf[MANIFEST_MAX_NAME + 8])
{
	if (!name_valid(name))
		return -EINVAL;
	snprintf(buf, MANIFEST_MAX_NAME + 8, "%s.yaml", name);
	return 0;
}

int
store_config_set(
    struct store *s, const char *name, const char *content, size_t len, char **ret_error)
{
	char file[MANIFEST_MAX_NAME + 8];
	int r;

	if (config_file(name, file) < 0)
		return error_set(ret_error, -EINVAL, "\"%s\" is not a valid config name", name);
	if ((r = cloud_config_validate(content, len, ret_error)) < 0)
		return r;
	if ((r = fs_atomic_write_at(s->configs_fd, file, content, len)) < 0)
		return error_set(
		    ret_error, r, "Cannot write %s/%s: %s", s->configs_dir, file, strerror(-r));
	return 0;
}

int
store_config_get(struct store *s, const char *name, char **ret, size_t *ret_len)
{
	char file[MANIFEST_MAX_NAME + 8];
	int r;

	if (config_file(name, file) < 0)
		return -ENOENT;
	r = fs_read_file_at(s->configs_fd, file, CLOUD_CONFIG_MAX, ret, ret_len);
	return r == -EISDIR ? -ENOENT : r;
}

bool
store_config_exists(struct store *s, const char *name)
{
	char file[MANIFEST_MAX_NAME + 8];
	struct stat st;

	return config_file(name, file) == 0 && fstatat(s->configs_fd, file, &st, 0) == 0 &&
	       S_ISREG(st.st_mode);
}

static int
config_info_cmp(const void *a, const void *b)
{
	return strcmp(((const struct store_config_info *)a)->name,
	    ((const struct store_config_info *)b)->name);
}

/* Fill *ret from directory entry 'd_name' if it is "<valid name>.yaml", a regular file. */
static bool
config_entry(struct store *s, const char *d_name, struct store_config_info *ret)
{
	size_t len = strlen(d_name);
	struct stat st;

	if (len < 6 || len - 5 > MANIFEST_MAX_NAME || strcmp(d_name + len - 5, ".yaml") != 0)
		return false;
	memcpy(ret->name, d_name, len - 5);
	ret->name[len - 5] = '\0';
	if (!name_valid(ret->name) || fstatat(s->configs_fd, d_name, &st, 0) < 0 ||
	    !S_ISREG(st.st_mode))
		return false;
	ret->size = (uint64_t)st.st_size;
	ret->is_default = streq_ptr(s->settings.default_config, ret->name);
	return true;
}

int
store_config_list(struct store *s, struct store_config_info **ret, size_t *ret_n)
{
	int fd = openat(s->configs_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	struct store_config_info *list = NULL, info;
	struct dirent *de;
	size_t n = 0;

	if (d == NULL) {
		int r = fd < 0 ? -errno : -ENOMEM;
		closep(&fd);
		return r;
	}
	while (n < STORE_MAX_CONFIGS && (de = readdir(d)) != NULL) {
		struct store_config_info *nl;

		if (de->d_name[0] == '.' || !config_entry(s, de->d_name, &info))
			continue;
		if ((nl = realloc(list, (n + 1) * sizeof(*list))) == NULL) {
			free(list);
			closedir(d);
			return -ENOMEM;
		}
		list = nl;
		list[n++] = info;
	}
	closedir(d);
	if (n > 0)
		qsort(list, n, sizeof(*list), config_info_cmp);
	*ret = list;
	*ret_n = n;
	return 0;
}

int
store_config_remove(struct store *s, const char *name)
{
	char file[MANIFEST_MAX_NAME + 8];

	if (!store_config_exists(s, name) || config_file(name, file) < 0)
		return -ENOENT;
	if (streq_ptr(s->settings.default_config, name))
		return -EBUSY;
	for (size_t i = 0; i < s->n_machines; i++)
		if (streq_ptr(s->machines[i].config, name))
			return -EBUSY;
	if (unlinkat(s->configs_fd, file, 0) < 0)
		return -errno;
	return fsync(s->configs_fd) < 0 ? -errno : 0;
}

/* ---- settings ---- */

const struct store_settings *
store_settings(const struct store *s)
{
	return &s->settings;
}

/* Persist 'next' (which owns copies of the strings) and make it current. */
static int
settings_replace(struct store *s, struct store_settings *next)
{
	int r = settings_write(s, next);

	if (r < 0) {
		settings_clear(next);
		return r;
	}
	settings_clear(&s->settings);
	s->settings = *next;
	return 0;
}

static int
settings_copy(const struct store_settings *src, struct store_settings *dst)
{
	*dst = (struct store_settings){.default_boot = src->default_boot};
	if (strdup_or_null(src->default_config, &dst->default_config) < 0 ||
	    strdup_or_null(src->default_image, &dst->default_image) < 0) {
		settings_clear(dst);
		return -ENOMEM;
	}
	return 0;
}

int
store_set_default_boot(struct store *s, bool enabled)
{
	struct store_settings next;
	int r = settings_copy(&s->settings, &next);

	if (r < 0)
		return r;
	next.default_boot = enabled;
	return settings_replace(s, &next);
}

int
store_set_default_config(struct store *s, const char *name)
{
	struct store_settings next;
	int r;

	if (name != NULL && !store_config_exists(s, name))
		return -ENOENT;
	if ((r = settings_copy(&s->settings, &next)) < 0)
		return r;
	free(next.default_config);
	if ((r = strdup_or_null(name, &next.default_config)) < 0) {
		settings_clear(&next);
		return r;
	}
	return settings_replace(s, &next);
}

int
store_set_default_image(struct store *s, const char *name)
{
	struct store_settings next;
	int r;

	if (name != NULL && !store_image_exists(s, name))
		return -ENOENT;
	if ((r = settings_copy(&s->settings, &next)) < 0)
		return r;
	free(next.default_image);
	if ((r = strdup_or_null(name, &next.default_image)) < 0) {
		settings_clear(&next);
		return r;
	}
	return settings_replace(s, &next);
}
