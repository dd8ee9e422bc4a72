/*
 * The local backend's state files, machines.json and settings.json in
 * state_dir: read and parse, print and write atomically (their fields:
 * fleet-json.h).
 */
#include "store-local.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "fsutil.h"
#include "util.h"

int
store_local_json_read(struct store *s, const char *name, size_t max, cJSON **ret, char **ret_error)
{
	_cleanup_free_ char *text = NULL;
	const char *dir = s->state_dir;
	size_t len;
	cJSON *root;
	int r = fs_read_file_at(store_local(s)->dir_fd, name, max, &text, &len);

	if (r == -ENOENT)
		return r;
	if (r == -EFBIG)
		return error_set(
		    ret_error, -EBADMSG, "%s/%s: larger than %zu bytes", dir, name, max);
	if (r < 0)
		return error_set(ret_error, r, "%s/%s: %s", dir, name, strerror(-r));
	if ((root = cJSON_ParseWithLength(text, len)) == NULL)
		return error_set(ret_error, -EBADMSG, "%s/%s: not valid JSON", dir, name);
	*ret = root;
	return 0;
}

int
store_local_json_write(struct store *s, const char *name, const cJSON *root, size_t max)
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
	r = fs_atomic_write_at(store_local(s)->dir_fd, name, buf, len + 1);
	free(buf);
	return r;
}
