/*
 * netbootctl extract iso: local, no daemon.  The same lib/iso-extract code
 * as the daemon's add-image --iso, writing AuroraBoot's file names
 * (<prefix>-kernel, <prefix>-initrd, <prefix>.squashfs) into OUTDIR.
 */
#include <errno.h>
#include <getopt.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctl.h"
#include "iso-extract.h"
#include "util.h"

#define EXTRACT_DEFAULT_PREFIX "kairos"

struct extract {
	struct ctl_progress *progress;
	atomic_bool cancel;
	cJSON *event; /* reused progress data */
};

static void
on_progress(const char *file, uint64_t done, uint64_t total, void *userdata)
{
	struct extract *x = userdata;

	if (ctl_interrupted)
		atomic_store(&x->cancel, true);
	if (x->progress == NULL)
		return;
	cJSON_Delete(x->event);
	x->event = cJSON_CreateObject();
	if (x->event != NULL && cJSON_AddStringToObject(x->event, "phase", "extract") &&
	    cJSON_AddStringToObject(x->event, "file", file) &&
	    cJSON_AddNumberToObject(x->event, "done", (double)done) &&
	    cJSON_AddNumberToObject(x->event, "total", (double)total))
		ctl_progress_update(x->progress, x->event);
}

static int
parse_args(int argc, char **argv, struct iso_extract_params *p, const char **ret_pos)
{
	static const struct option opts[] = {{"kernel", required_argument, NULL, 'k'},
	    {"initrd", required_argument, NULL, 'i'}, {"rootfs", required_argument, NULL, 'r'},
	    {"force", no_argument, NULL, 'f'}, {NULL, 0, NULL, 0}};
	int c, n;

	while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		if (c == '?' || c == ':') {
			ctl_error("%s: %s \"%s\"", argv[0],
			    c == '?' ? "unknown option" : "this option needs a value",
			    argv[optind - 1]);
			return -EINVAL;
		}
		if (c == 'f')
			p->force = true;
		else
			p->override[c == 'k'   ? MANIFEST_KERNEL
			            : c == 'i' ? MANIFEST_INITRD
			                       : MANIFEST_ROOTFS] = optarg;
	}
	n = argc - optind;
	if (n < 2 || n > 3) {
		ctl_error(n < 2 ? "%s: missing argument" : "%s: unexpected argument \"%s\"",
		    argv[0], n > 3 ? argv[optind + 3] : "");
		return -EINVAL;
	}
	ret_pos[0] = argv[optind], ret_pos[1] = argv[optind + 1];
	ret_pos[2] = n == 3 ? argv[optind + 2] : EXTRACT_DEFAULT_PREFIX;
	if (ret_pos[2][0] == '\0' || strchr(ret_pos[2], '/') != NULL) {
		ctl_error("%s: the prefix \"%s\" must be a non-empty file name without \"/\"",
		    argv[0], ret_pos[2]);
		return -EINVAL;
	}
	return 0;
}

static void
render(const struct ctl_options *o, const char *iso, char *const dest[],
    const struct iso_extract_result *res)
{
	cJSON *root = cJSON_CreateObject(), *files = cJSON_AddArrayToObject(root, "files");
	char size[32];

	for (size_t f = 0; f < MANIFEST_N_FILES; f++) {
		cJSON *e = cJSON_CreateObject();

		cJSON_AddStringToObject(e, "file", manifest_file_names[f]);
		cJSON_AddStringToObject(e, "path", dest[f]);
		cJSON_AddStringToObject(e, "source", res->taken[f]);
		cJSON_AddStringToObject(e, "data", res->data[f]);
		cJSON_AddNumberToObject(e, "size", (double)res->size[f]);
		cJSON_AddItemToArray(files, e);
		if (o->json)
			continue;
		ctl_format_size(res->size[f], size);
		printf("wrote %s (%s) from %s%s%s\n", dest[f], size, res->taken[f],
		    strcmp(res->taken[f], res->data[f]) != 0 ? " -> " : "",
		    strcmp(res->taken[f], res->data[f]) != 0 ? res->data[f] : "");
	}
	cJSON_AddStringToObject(root, "iso", iso);
	if (o->json)
		ctl_print_json(root);
	cJSON_Delete(root);
}

static int
exit_code(int r)
{
	if (r == -ECANCELED)
		return CTL_INTERRUPTED_EXIT;
	return r == -EACCES || r == -EPERM ? CTL_EXIT_PERMISSION : CTL_EXIT_DAEMON;
}

int
ctl_extract_iso(const struct ctl_options *o, int argc, char **argv)
{
	struct iso_extract_params p = {.sync = true};
	struct iso_extract_result res;
	struct extract x = {0};
	const char *pos[3];
	char *dest[MANIFEST_N_FILES] = {NULL};
	static const char *const suffix[] = {"-kernel", "-initrd", ".squashfs"};
	_cleanup_free_ char *error = NULL;
	int r;

	if (parse_args(argc, argv, &p, pos) < 0)
		return CTL_EXIT_USAGE;
	for (size_t f = 0; f < MANIFEST_N_FILES; f++)
		if (asprintf(&dest[f], "%s/%s%s", pos[1], pos[2], suffix[f]) < 0)
			return CTL_EXIT_DAEMON;
	if (!o->json && isatty(STDERR_FILENO))
		x.progress = ctl_progress_new(true);
	p.dest[0] = dest[0], p.dest[1] = dest[1], p.dest[2] = dest[2];
	p.progress = on_progress, p.userdata = &x, p.cancel = &x.cancel;
	r = iso_extract(pos[0], &p, &res, &error);
	ctl_progress_finish(x.progress);
	ctl_progress_free(x.progress);
	cJSON_Delete(x.event);
	if (r < 0)
		ctl_error("extract iso: %s", error != NULL ? error : strerror(-r));
	else
		render(o, pos[0], dest, &res);
	for (size_t f = 0; f < MANIFEST_N_FILES; f++)
		free(dest[f]);
	return r < 0 ? exit_code(r) : CTL_EXIT_OK;
}
