/* images, add-image, remove-image. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "import.h"
#include "log.h"
#include "store.h"
#include "util.h"

static int
cmd_images(struct control_client *c, const cJSON *args, cJSON **ret, struct control_status *err)
{
	struct server *srv = control_client_server(c);
	struct manifest **list = NULL;
	size_t n = 0;
	cJSON *a;
	int r;

	(void)args;
	if ((r = store_image_list(srv->store, &list, &n)) < 0)
		return cmd_store_fail(err, r, "image directory", "images");
	a = cJSON_CreateArray();
	for (size_t i = 0; a != NULL && i < n; i++) {
		cJSON *m = manifest_to_json(list[i]);

		cJSON *where = store_image_instances(srv->store, list[i]->name);

		if (where != NULL && m != NULL)
			cJSON_AddItemToObject(m, "instances", where);
		else
			cJSON_Delete(where);
		if (m == NULL || !cJSON_AddNumberToObject(m, "assigned",
		                     (double)store_image_assigned(srv->store, list[i]->name))) {
			cJSON_Delete(m);
			cJSON_Delete(a);
			a = NULL;
		} else
			cJSON_AddItemToArray(a, m);
	}
	store_image_list_free(list, n);
	if (a == NULL)
		return cmd_oom(err);
	*ret = a;
	return 0;
}

static void
on_import_progress(
    const char *phase, const char *file, uint64_t done, uint64_t total, void *userdata)
{
	struct control_client *c = userdata;
	cJSON *o = cJSON_CreateObject();

	if (o != NULL && cJSON_AddStringToObject(o, "phase", phase) &&
	    cJSON_AddStringToObject(o, "file", file) &&
	    cJSON_AddNumberToObject(o, "done", (double)done) &&
	    cJSON_AddNumberToObject(o, "total", (double)total))
		control_client_send_event(c, "progress", o);
	cJSON_Delete(o);
}

static enum control_error
import_error_code(int r)
{
	switch (r) {
	case -EACCES:
	case -EPERM:
		return CONTROL_ERR_PERMISSION_DENIED;
	case -ENOENT:
	case -ENOTDIR:
		return CONTROL_ERR_NOT_FOUND;
	case -EEXIST:
		return CONTROL_ERR_EXISTS;
	case -EBUSY:
		return CONTROL_ERR_BUSY;
	case -EINVAL:
	case -EBADMSG:
		return CONTROL_ERR_INVALID;
	default:
		return CONTROL_ERR_IO;
	}
}

static void
on_import_done(int r, const struct manifest *m, const char *error, void *userdata)
{
	struct control_client *c = userdata;
	struct cmd_state *st = cmd_state(c);
	struct control_status err;
	cJSON *data;

	st->import = NULL;
	if (r < 0) {
		log_warn(NULL, "Adding image \"%s\" failed: %s", st->image,
		    error != NULL ? error : strerror(-r));
		if (r == -EEXIST)
			control_fail(&err, CONTROL_ERR_EXISTS,
			    "Image \"%s\" exists already (use --force to replace it).", st->image);
		else
			control_fail(&err, import_error_code(r), "%s.",
			    error != NULL ? error : strerror(-r));
		control_client_send_error(c, &err);
	} else {
		char sentence[120];

		snprintf(sentence, sizeof(sentence), "Added image \"%s\"", st->image);
		cmd_log_change(c, "add-image", NULL, st->image, sentence);
		data = manifest_to_json(m);
		control_client_finish(c, data); /* shared, then the reply */
		return;
	}
	control_client_request_done(c);
}

/* The import's source type and its options; an image kept whole takes no command line. */
static int
add_image_source(
    const cJSON *src, const char *type, struct import_params *p, struct control_status *err)
{
	bool whole = strcmp(type, "efi") == 0 || strcmp(type, "whole-iso") == 0;

	if (strcmp(type, "iso") == 0)
		p->type = MANIFEST_SOURCE_ISO;
	if (whole && p->cmdline != NULL)
		return control_fail(err, CONTROL_ERR_BAD_ARGS,
		    "An image kept whole carries its own command line: no cmdline with a %s "
		    "source.",
		    type);
	if (whole && p->origin_boot)
		return control_fail(err, CONTROL_ERR_BAD_ARGS,
		    "An image kept whole boots from netbootd: no origin_boot with a %s source.",
		    type);
	if (whole) {
		p->type = MANIFEST_SOURCE_FILE;
		p->kind = strcmp(type, "efi") == 0 ? MANIFEST_KIND_EFI : MANIFEST_KIND_ISO;
	}
	if (strcmp(type, "oci") == 0) {
		p->type = MANIFEST_SOURCE_OCI;
		p->ref = p->src_dir = control_json_string(src, "ref");
		p->platform = control_json_string(src, "platform");
		p->kernel = control_json_string(src, "kernel");
		p->initrd = control_json_string(src, "initrd");
	}
	return 0;
}

static int
cmd_add_image(struct control_client *c, const cJSON *args, cJSON **ret, struct control_status *err)
{
	struct server *srv = control_client_server(c);
	const struct control_peer *peer = control_client_peer(c);
	const cJSON *src = cJSON_GetObjectItemCaseSensitive(args, "source");
	const char *type = control_json_string(src, "type"),
	           *name = control_json_string(args, "name");
	struct cmd_state *st = cmd_state(c);
	int fds[CONTROL_MAX_FDS];
	size_t n_fds = st != NULL ? control_client_take_fds(c, fds, ELEMENTSOF(fds)) : 0;
	struct import_params p = {.name = name,
	    .src_dir = control_json_string(src, "path"),
	    .cmdline = control_json_string(args, "cmdline"),
	    .origin = control_json_string(args, "origin"),
	    .origin_boot = cmd_arg_true(args, "origin_boot"),
	    .force = cmd_arg_true(args, "force"),
	    .uid = peer->uid,
	    .fds = fds,
	    .n_fds = n_fds};
	int r;

	(void)ret;
	if (st == NULL)
		return cmd_oom(err);
	if (n_fds != (size_t)control_source_fds(src) ||
	    (p.origin != NULL && !manifest_origin_valid(p.origin))) {
		for (size_t i = 0; i < n_fds; i++)
			close(fds[i]);
		if (n_fds == (size_t)control_source_fds(src))
			return control_fail(err, CONTROL_ERR_BAD_ARGS,
			    "The origin is not an http(s) URL with {sha256} or {file} in it.");
		return control_fail(err, CONTROL_ERR_BAD_ARGS,
		    "The request carried %zu open files, its source needs %d.", n_fds,
		    control_source_fds(src));
	}
	if ((r = add_image_source(src, type, &p, err)) < 0) {
		for (size_t i = 0; i < n_fds; i++)
			close(fds[i]);
		return r;
	}
	snprintf(st->image, sizeof(st->image), "%s", name);
	r = import_start(srv, &p, on_import_progress, on_import_done, c, &st->import);
	if (r == -EBUSY)
		return control_fail(
		    err, CONTROL_ERR_BUSY, "Image \"%s\" is being added by another request.", name);
	if (r < 0)
		return cmd_store_fail(err, r, "image", name);
	log_info(NULL, "Adding image \"%s\" from \"%s\" for uid %u", name, p.src_dir,
	    (unsigned)peer->uid);
	return CONTROL_PENDING;
}

static int
cmd_remove_image(
    struct control_client *c, const cJSON *args, cJSON **ret, struct control_status *err)
{
	struct server *srv = control_client_server(c);
	const char *name = control_json_string(args, "name");
	size_t dangling = 0;
	int r = store_image_remove(srv->store, name, cmd_arg_true(args, "force"), &dangling);

	if (r == -EBUSY)
		return control_fail(err, CONTROL_ERR_IN_USE,
		    "Image \"%s\" is used by %zu machine(s) or as the default; use --force to "
		    "remove it anyway.",
		    name, store_image_users(srv->store, name));
	if (r < 0)
		return cmd_store_fail(err, r, "image", name);
	char sentence[120];

	snprintf(sentence, sizeof(sentence), "Removed image \"%s\"", name);
	cmd_log_change(c, "remove-image", NULL, name, sentence);
	if (dangling > 0)
		log_notice(NULL, "%zu assignment(s) of image \"%s\" now point to no image",
		    dangling, name);
	*ret = cJSON_CreateObject();
	if (*ret == NULL || !cJSON_AddStringToObject(*ret, "name", name))
		return cmd_oom(err);
	return 0;
}

const struct cmd_handler cmd_image_handlers[] = {
    {"images", cmd_images},
    {"add-image", cmd_add_image},
    {"remove-image", cmd_remove_image},
    {NULL, NULL},
};
