/*
 * The local backend: open, free, the directories under state_dir and the
 * leftovers of interrupted changes; the table of its operations.
 */
#include "store-local.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "error.h"
#include "fsutil.h"
#include "util.h"

const struct store_ops store_local_ops = {
    .open = store_local_open,
    .free = store_local_free,
    .image_list = store_local_image_list,
    .image_get = store_local_image_get,
    .image_exists = store_local_image_exists,
    .image_open = store_local_image_open,
    .image_remove = store_local_image_remove,
    .image_count = store_local_image_count,
    .image_only = store_local_image_only,
    .txn_begin = store_local_txn_begin,
    .txn_path = store_local_txn_path,
    .txn_create = store_local_txn_create,
    .txn_populate_fds = store_local_txn_populate_fds,
    .txn_commit = store_local_txn_commit,
    .txn_free = store_local_txn_free,
    .fleet_get = store_local_fleet_get,
    .fleet_replace = store_local_fleet_replace,
    .config_set = store_local_config_set,
    .config_get = store_local_config_get,
    .config_exists = store_local_config_exists,
    .config_list = store_local_config_list,
    .config_remove = store_local_config_remove,
    .settings_get = store_local_settings_get,
    .settings_replace = store_local_settings_replace,
};

void
store_local_free(struct store *s)
{
	struct store_local *l = store_local(s);

	fleet_clear(&l->fleet);
	store_settings_clear(&l->settings);
	store_local_images_free(s);
	for (size_t i = 0; i < l->n_busy; i++)
		free(l->busy[i]);
	free(l->busy);
	pthread_mutex_destroy(&l->lock);
	closep(&l->dir_fd);
	closep(&l->images_fd);
	closep(&l->configs_fd);
	free(l->configs_dir);
	free(l);
	s->backend = NULL;
}

static int
open_dirs(struct store *s, struct store_local *l, char **ret_error)
{
	const char *dir = s->state_dir;
	int r;

	if (mkdir(dir, 0755) < 0 && errno != EEXIST)
		return error_set(ret_error, -errno, "Cannot create %s: %m", dir);
	l->dir_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (l->dir_fd < 0)
		return error_set(ret_error, -errno, "Cannot open %s: %m", dir);
	if ((r = fs_open_subdir(l->dir_fd, "images")) < 0 ||
	    (l->images_fd = r, r = fs_open_subdir(l->dir_fd, "configs")) < 0 ||
	    (l->configs_fd = r, r = fs_open_subdir(l->dir_fd, "tftp")) < 0)
		return error_set(
		    ret_error, r, "Cannot create the directories in %s: %s", dir, strerror(-r));
	close(r);
	return 0;
}

int
store_local_open(struct store *s, char **ret_error)
{
	struct store_local *l = calloc(1, sizeof(*l));
	int r;

	if (l == NULL)
		return -ENOMEM;
	s->backend = l;
	l->dir_fd = l->images_fd = l->configs_fd = -1;
	l->settings.default_boot = true;
	pthread_mutex_init(&l->lock, NULL);
	if (asprintf(&l->configs_dir, "%s/configs", s->state_dir) < 0) {
		l->configs_dir = NULL;
		return -ENOMEM;
	}
	if ((r = open_dirs(s, l, ret_error)) < 0)
		return r;
	fs_clean_leftovers(l->dir_fd, s->state_dir);
	fs_clean_leftovers(l->images_fd, s->images_dir);
	fs_clean_leftovers(l->configs_fd, l->configs_dir);
	if ((r = store_local_fleet_load(s, ret_error)) < 0)
		return r;
	return store_local_settings_load(s, ret_error);
}
