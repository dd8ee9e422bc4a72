/*
 * The local backend's cloud-configs: configs/<name>.yaml.
 */
#include "store-local.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cloud-config.h"
#include "error.h"
#include "fsutil.h"
#include "util.h"

#define CONFIG_FILE_MAX (MANIFEST_MAX_NAME + 8)

/* "<name>.yaml" */
static void
config_file(const char *name, char buf[CONFIG_FILE_MAX])
{
	snprintf(buf, CONFIG_FILE_MAX, "%s.yaml", name);
}

int
store_local_config_set(
    struct store *s, const char *name, const char *content, size_t len, char **ret_error)
{
	struct store_local *l = store_local(s);
	char file[CONFIG_FILE_MAX];
	int r;

	config_file(name, file);
	if ((r = fs_atomic_write_at(l->configs_fd, file, content, len)) < 0)
		return error_set(
		    ret_error, r, "Cannot write %s/%s: %s", l->configs_dir, file, strerror(-r));
	return 0;
}

int
store_local_config_stage(struct store *s, const char *name, const char *content, size_t len,
    char ret_tmp[NAME_MAX + 1], char **ret_error)
{
	struct store_local *l = store_local(s);
	char file[CONFIG_FILE_MAX];
	int r;

	config_file(name, file);
	if ((r = fs_stage_write_at(l->configs_fd, file, content, len, ret_tmp)) < 0)
		return error_set(
		    ret_error, r, "Cannot write %s/%s: %s", l->configs_dir, file, strerror(-r));
	return 0;
}

int
store_local_config_place(struct store *s, const char *name, const char *tmp, char **ret_error)
{
	struct store_local *l = store_local(s);
	char file[CONFIG_FILE_MAX];

	config_file(name, file);
	if (renameat(l->configs_fd, tmp, l->configs_fd, file) < 0)
		return error_set(
		    ret_error, -errno, "Cannot move %s/%s into place: %m", l->configs_dir, file);
	return 0;
}

void
store_local_config_unstage(struct store *s, const char *tmp)
{
	unlinkat(store_local(s)->configs_fd, tmp, 0);
}

int
store_local_config_get(struct store *s, const char *name, char **ret, size_t *ret_len)
{
	char file[CONFIG_FILE_MAX];
	int r;

	config_file(name, file);
	r = fs_read_file_at(store_local(s)->configs_fd, file, CLOUD_CONFIG_MAX, ret, ret_len);
	return r == -EISDIR ? -ENOENT : r;
}

bool
store_local_config_exists(struct store *s, const char *name)
{
	char file[CONFIG_FILE_MAX];
	struct stat st;

	config_file(name, file);
	return fstatat(store_local(s)->configs_fd, file, &st, 0) == 0 && S_ISREG(st.st_mode);
}

static int
config_info_cmp(const void *a, const void *b)
{
	return strcmp(((const struct store_config_info *)a)->name,
	    ((const struct store_config_info *)b)->name);
}

/* Fill *ret from directory entry 'd_name' if it is "<valid name>.yaml", a regular file. */
static bool
config_entry(int configs_fd, const char *d_name, struct store_config_info *ret)
{
	size_t len = strlen(d_name);
	struct stat st;

	if (len < 6 || len - 5 > MANIFEST_MAX_NAME || strcmp(d_name + len - 5, ".yaml") != 0)
		return false;
	memcpy(ret->name, d_name, len - 5);
	ret->name[len - 5] = '\0';
	if (!name_valid(ret->name) || fstatat(configs_fd, d_name, &st, 0) < 0 ||
	    !S_ISREG(st.st_mode))
		return false;
	ret->size = (uint64_t)st.st_size;
	ret->is_default = false;
	return true;
}

int
store_local_config_list(struct store *s, struct store_config_info **ret, size_t *ret_n)
{
	int cfd = store_local(s)->configs_fd;
	struct store_config_info *list = NULL, info;
	struct dirent *de;
	size_t n = 0;
	DIR *d;
	int r = fs_opendir(cfd, &d);

	if (r < 0)
		return r;
	while (n < STORE_MAX_CONFIGS && (de = readdir(d)) != NULL) {
		struct store_config_info *nl;

		if (de->d_name[0] == '.' || !config_entry(cfd, de->d_name, &info))
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
store_local_config_remove(struct store *s, const char *name)
{
	int cfd = store_local(s)->configs_fd;
	char file[CONFIG_FILE_MAX];

	config_file(name, file);
	if (unlinkat(cfd, file, 0) < 0)
		return -errno;
	return fsync(cfd) < 0 ? -errno : 0;
}
