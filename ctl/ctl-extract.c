/*
 * netbootctl extract iso|oci: local, no daemon.  The same lib/ code as the
 * daemon's add-image --iso (lib/iso-extract) and add-image REF
 * (lib/registry + lib/oci-layers), writing AuroraBoot's file names
 * (<prefix>-kernel, <prefix>-initrd, <prefix>.squashfs) into OUTDIR.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <curl/curl.h>

#include "ctl-format.h"
#include "ctl-progress.h"
#include "config.h"
#include "ctl.h"
#include "io.h"
#include "iso-extract.h"
#include "oci-pull.h"
#include "oci-ref.h"
#include "text.h"
#include "util.h"

#define EXTRACT_DEFAULT_PREFIX "kairos"

struct extract {
	struct ctl_progress *progress;
	atomic_bool cancel;
	cJSON *event; /* reused progress data */
};

static const char *const suffix[MANIFEST_N_FILES] = {"-kernel", "-initrd", ".squashfs"};

/* One progress event, rendered like add-image's; Ctrl-C sets the cancel flag. */
static void
extract_progress(
    struct extract *x, const char *phase, const char *file, uint64_t done, uint64_t total)
{
	if (ctl_interrupted)
		atomic_store(&x->cancel, true);
	if (x->progress == NULL)
		return;
	cJSON_Delete(x->event);
	x->event = cJSON_CreateObject();
	if (x->event != NULL && cJSON_AddStringToObject(x->event, "phase", phase) &&
	    cJSON_AddStringToObject(x->event, "file", file) &&
	    cJSON_AddNumberToObject(x->event, "done", (double)done) &&
	    cJSON_AddNumberToObject(x->event, "total", (double)total))
		ctl_progress_update(x->progress, x->event);
}

static void
on_progress(const char *file, uint64_t done, uint64_t total, void *userdata)
{
	extract_progress(userdata, "extract", file, done, total);
}

/* ISO OUTDIR [PREFIX] into pos[0..2]. */
static int
parse_positionals(int argc, char **argv, const char **ret_pos)
{
	int n = argc - optind;

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

static int
option_error(char **argv, int c)
{
	ctl_error("%s: %s \"%s\"", argv[0],
	    c == '?' ? "unknown option" : "this option needs a value", argv[optind - 1]);
	return -EINVAL;
}

/* OUTDIR/PREFIX-kernel, ... */
static int
dest_names(const char *outdir, const char *prefix, char *dest[MANIFEST_N_FILES])
{
	for (size_t f = 0; f < MANIFEST_N_FILES; f++)
		if (asprintf(&dest[f], "%s/%s%s", outdir, prefix, suffix[f]) < 0)
			return -ENOMEM;
	return 0;
}

/* OUTDIR and its missing parents, as mkdir -p; an error message in *ret_error. */
static int
outdir_create(const char *outdir, char **ret_error)
{
	int r = io_mkdir_parents(outdir, 0755);

	if (r < 0 &&
	    asprintf(ret_error, "cannot create the directory \"%s\": %s", outdir, strerror(-r)) < 0)
		*ret_error = NULL;
	return r;
}

static void
dest_free(char *dest[MANIFEST_N_FILES])
{
	for (size_t f = 0; f < MANIFEST_N_FILES; f++)
		free(dest[f]);
}

static int
exit_code(int r)
{
	if (r == -ECANCELED)
		return CTL_INTERRUPTED_EXIT;
	return r == -EACCES || r == -EPERM ? CTL_EXIT_PERMISSION : CTL_EXIT_DAEMON;
}

/* --max-size SIZE ("16G", "512M", bytes), at least 1M as images.max_size. */
static int
parse_max_size(char **argv, const char *s, uint64_t *ret)
{
	if (text_parse_size(s, strlen(s), ret) < 0 || *ret < CONFIG_MIN_IMAGE_SIZE) {
		ctl_error("%s: --max-size \"%s\" is not a size of at least 1M (bytes, or with K, "
		          "M, G, T)",
		    argv[0], s);
		return -EINVAL;
	}
	return 0;
}

static int
parse_args(int argc, char **argv, struct iso_extract_params *p, const char **ret_pos)
{
	static const struct option opts[] = {{"kernel", required_argument, NULL, 'k'},
	    {"initrd", required_argument, NULL, 'i'}, {"rootfs", required_argument, NULL, 'r'},
	    {"force", no_argument, NULL, 'f'}, {"max-size", required_argument, NULL, 'm'},
	    {NULL, 0, NULL, 0}};
	int c;

	while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		if (c == '?' || c == ':')
			return option_error(argv, c);
		if (c == 'f')
			p->force = true;
		else if (c == 'm') {
			if (parse_max_size(argv, optarg, &p->max_size) < 0)
				return -EINVAL;
		} else
			p->override[c == 'k'   ? MANIFEST_KERNEL
			            : c == 'i' ? MANIFEST_INITRD
			                       : MANIFEST_ROOTFS] = optarg;
	}
	return parse_positionals(argc, argv, ret_pos);
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

static int extract_oci(const struct ctl_options *o, int argc, char **argv);

/*
 * The local commands (wire NULL in the command table): "extract iso" and
 * "extract oci", told apart by argv[0], the command's name.
 */
int
ctl_extract_iso(const struct ctl_options *o, int argc, char **argv)
{
	struct iso_extract_params p = {.sync = true, .max_size = CONFIG_DEFAULT_IMAGE_SIZE};
	struct iso_extract_result res;
	struct extract x = {0};
	const char *pos[3];
	char *dest[MANIFEST_N_FILES] = {NULL};
	_cleanup_free_ char *error = NULL;
	int r;

	if (strcmp(argv[0], "extract oci") == 0)
		return extract_oci(o, argc, argv);
	if (parse_args(argc, argv, &p, pos) < 0)
		return CTL_EXIT_USAGE;
	if (dest_names(pos[1], pos[2], dest) < 0) {
		dest_free(dest);
		return CTL_EXIT_DAEMON;
	}
	if (!o->json && isatty(STDERR_FILENO))
		x.progress = ctl_progress_new(true);
	p.dest[0] = dest[0], p.dest[1] = dest[1], p.dest[2] = dest[2];
	p.progress = on_progress, p.userdata = &x, p.cancel = &x.cancel;
	r = outdir_create(pos[1], &error);
	if (r == 0)
		r = iso_extract(pos[0], &p, &res, &error);
	ctl_progress_finish(x.progress);
	ctl_progress_free(x.progress);
	cJSON_Delete(x.event);
	if (r < 0)
		ctl_error("extract iso: %s", error != NULL ? error : strerror(-r));
	else
		render(o, pos[0], dest, &res);
	dest_free(dest);
	return r < 0 ? exit_code(r) : CTL_EXIT_OK;
}

/* ---- extract oci ---- */

struct oci_args {
	const char *pos[3]; /* REF OUTDIR PREFIX */
	const char *platform, *auth_file, *compression;
	const char *kernel, *initrd;
	uint64_t max_size;
	bool insecure, force;
};

static int
parse_oci_args(int argc, char **argv, struct oci_args *a)
{
	static const struct option opts[] = {{"platform", required_argument, NULL, 'p'},
	    {"insecure", no_argument, NULL, 'I'}, {"auth-file", required_argument, NULL, 'a'},
	    {"compression", required_argument, NULL, 'c'}, {"kernel", required_argument, NULL, 'k'},
	    {"initrd", required_argument, NULL, 'i'}, {"force", no_argument, NULL, 'f'},
	    {"max-size", required_argument, NULL, 'm'}, {NULL, 0, NULL, 0}};
	int c;

	while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		switch (c) {
		case 'p':
			a->platform = optarg;
			break;
		case 'I':
			a->insecure = true;
			break;
		case 'a':
			a->auth_file = optarg;
			break;
		case 'c':
			a->compression = optarg;
			break;
		case 'k':
			a->kernel = optarg;
			break;
		case 'i':
			a->initrd = optarg;
			break;
		case 'f':
			a->force = true;
			break;
		case 'm':
			if (parse_max_size(argv, optarg, &a->max_size) < 0)
				return -EINVAL;
			break;
		default:
			return option_error(argv, c);
		}
	}
	if (a->compression != NULL && strcmp(a->compression, "gzip") != 0 &&
	    strcmp(a->compression, "zstd") != 0 && strcmp(a->compression, "xz") != 0) {
		ctl_error("%s: --compression must be gzip, zstd or xz", argv[0]);
		return -EINVAL;
	}
	return parse_positionals(argc, argv, a->pos);
}

/*
 * $XDG_CACHE_HOME/netbootd or ~/.cache/netbootd.  registry_pull() creates it
 * with its missing parents, and says once why when it cannot.
 */
static int
cache_dir(char **ret)
{
	const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
	int r;

	if (xdg != NULL && xdg[0] == '/')
		r = asprintf(ret, "%s/netbootd", xdg);
	else
		r = asprintf(ret, "%s/.cache/netbootd", home != NULL ? home : "/root");
	if (r < 0) {
		*ret = NULL;
		return -ENOMEM;
	}
	return 0;
}

/* --auth-file, or $DOCKER_CONFIG/config.json, or ~/.docker/config.json. */
static char *
auth_file(const struct oci_args *a)
{
	const char *dc = getenv("DOCKER_CONFIG"), *home = getenv("HOME");
	char *s = NULL;

	if (a->auth_file != NULL)
		return strdup(a->auth_file);
	if (dc != NULL && dc[0] != '\0'
	        ? asprintf(&s, "%s/config.json", dc) < 0
	        : asprintf(&s, "%s/.docker/config.json", home != NULL ? home : "/root") < 0)
		return NULL;
	return s;
}

struct oci_pull {
	struct extract x;
	struct oci_image *img;
	int dir_fd; /* OUTDIR, opened once: every name below is relative to it */
	struct io_tmpfile tmp[MANIFEST_N_FILES];
};

static void
on_pull(const char *phase, const char *file, uint64_t done, uint64_t total, void *userdata)
{
	extract_progress(userdata, phase, file, done, total);
}

/*
 * Temporary files beside the outputs, OUTDIR/.PREFIX-kernel.XXXXXXXX ...,
 * written through their descriptors only (see io_tmpfile_open()).
 */
static int
tmp_create(struct oci_pull *p, const char *outdir, const char *prefix, char **ret_error)
{
	int r = 0;

	p->dir_fd = open(outdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (p->dir_fd < 0)
		r = -errno;
	for (size_t f = 0; r == 0 && f < MANIFEST_N_FILES; f++) {
		char name[IO_TMPFILE_NAME_MAX];

		snprintf(name, sizeof(name), "%s%s", prefix, suffix[f]);
		r = io_tmpfile_open(p->dir_fd, name, &p->tmp[f]);
	}
	if (r < 0 &&
	    asprintf(ret_error, "cannot create a file in \"%s\": %s", outdir, strerror(-r)) < 0)
		*ret_error = NULL;
	return r;
}

static void
tmp_remove(struct oci_pull *p)
{
	for (size_t f = 0; f < MANIFEST_N_FILES; f++)
		io_tmpfile_discard(&p->tmp[f]);
	if (p->dir_fd >= 0)
		close(p->dir_fd);
	p->dir_fd = -1;
}

/* Refuse existing outputs before any work, unless --force. */
static int
dest_check(char *const dest[], bool force, char **ret_error)
{
	for (size_t f = 0; !force && f < MANIFEST_N_FILES; f++)
		if (faccessat(AT_FDCWD, dest[f], F_OK, AT_SYMLINK_NOFOLLOW) == 0) {
			if (asprintf(ret_error, "\"%s\" exists (use --force to replace it)",
			        dest[f]) < 0)
				*ret_error = NULL;
			return -EEXIST;
		}
	return 0;
}

/* fsync and rename each temporary file to its name (kept: the renamed ones). */
static int
tmp_publish(struct oci_pull *p, const char *prefix, char *const dest[], char **ret_error)
{
	for (size_t f = 0; f < MANIFEST_N_FILES; f++) {
		char name[IO_TMPFILE_NAME_MAX];
		int r;

		snprintf(name, sizeof(name), "%s%s", prefix, suffix[f]);
		r = io_tmpfile_publish(&p->tmp[f], name, 0644, IO_PUBLISH_SYNC);
		if (r < 0) {
			if (asprintf(ret_error, "cannot write \"%s\": %s", dest[f],
			        r == -ESTALE
			            ? "the temporary file was replaced while it was written"
			            : strerror(-r)) < 0)
				*ret_error = NULL;
			for (size_t g = 0; g < f; g++) {
				snprintf(name, sizeof(name), "%s%s", prefix, suffix[g]);
				(void)unlinkat(p->dir_fd, name, 0);
			}
			return r;
		}
	}
	return 0;
}

static int
oci_run(struct oci_pull *p, const struct oci_args *a, char *const dest[], char **ret_error)
{
	_cleanup_free_ char *cache = NULL, *auth = auth_file(a);
	struct oci_ref *ref = NULL;
	const char *insecure[2] = {NULL, NULL};
	struct registry_opts ro = {.auth_file = auth, .insecure = insecure};
	struct oci_build_opts bo = {.compressor = a->compression,
	    .kernel = a->kernel,
	    .initrd = a->initrd,
	    .max_size = a->max_size};
	struct oci_pull_params pp = {.registry = &ro,
	    .ref = a->pos[0],
	    .platform = a->platform,
	    .build = &bo,
	    .progress = on_pull,
	    .userdata = &p->x,
	    .cancel = &p->x.cancel};
	int r;

	if (auth == NULL || (r = dest_check(dest, a->force, ret_error)) < 0)
		return auth == NULL ? -ENOMEM : r;
	/* The temporary files first: an unwritable OUTDIR fails before the pull. */
	if ((r = outdir_create(a->pos[1], ret_error)) < 0 ||
	    (r = tmp_create(p, a->pos[1], a->pos[2], ret_error)) < 0 ||
	    (r = oci_ref_parse(a->pos[0], &ref, ret_error)) < 0)
		return r;
	if (a->insecure)
		insecure[0] = ref->registry;
	pp.out_kernel = p->tmp[0].fd, pp.out_initrd = p->tmp[1].fd, pp.out_squashfs = p->tmp[2].fd;
	if ((r = cache_dir(&cache)) == 0) {
		pp.cache_dir = cache;
		r = oci_pull_build(&pp, &p->img, ret_error);
	}
	oci_ref_free(ref);
	if (r == 0)
		r = tmp_publish(p, a->pos[2], dest, ret_error);
	return r;
}

static void
render_oci(const struct ctl_options *o, const struct oci_image *img, char *const dest[])
{
	cJSON *root = cJSON_CreateObject(), *files = cJSON_AddArrayToObject(root, "files");
	char size[32];

	for (size_t f = 0; f < MANIFEST_N_FILES; f++) {
		cJSON *e = cJSON_CreateObject();
		struct stat st = {0};

		(void)stat(dest[f], &st);
		cJSON_AddStringToObject(e, "file", manifest_file_names[f]);
		cJSON_AddStringToObject(e, "path", dest[f]);
		cJSON_AddNumberToObject(e, "size", (double)st.st_size);
		cJSON_AddItemToArray(files, e);
		ctl_format_size((uint64_t)st.st_size, size);
		if (!o->json)
			printf("wrote %s (%s)\n", dest[f], size);
	}
	cJSON_AddStringToObject(root, "reference", img->reference);
	cJSON_AddStringToObject(root, "manifest", img->manifest_digest);
	cJSON_AddNumberToObject(root, "layers", (double)img->n_layers);
	if (o->json)
		ctl_print_json(root);
	else if (strchr(img->reference, '@') != NULL) /* pulled by digest: it is there */
		printf("from %s (%zu layers)\n", img->reference, img->n_layers);
	else
		printf("from %s@%s (%zu layers)\n", img->reference, img->manifest_digest,
		    img->n_layers);
	cJSON_Delete(root);
}

/* extract oci REF OUTDIR [PREFIX]: pull into the user's blob cache, build, rename. */
static int
extract_oci(const struct ctl_options *o, int argc, char **argv)
{
	struct oci_args a = {.max_size = CONFIG_DEFAULT_IMAGE_SIZE};
	struct oci_pull p = {.dir_fd = -1};
	char *dest[MANIFEST_N_FILES] = {NULL};
	_cleanup_free_ char *error = NULL;
	int r;

	if (parse_oci_args(argc, argv, &a) < 0)
		return CTL_EXIT_USAGE;
	if (dest_names(a.pos[1], a.pos[2], dest) < 0) {
		dest_free(dest);
		return CTL_EXIT_DAEMON;
	}
	for (size_t f = 0; f < MANIFEST_N_FILES; f++)
		p.tmp[f].fd = -1;
	if (!o->json && isatty(STDERR_FILENO))
		p.x.progress = ctl_progress_new(true);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	r = oci_run(&p, &a, dest, &error);
	curl_global_cleanup();
	tmp_remove(&p);
	ctl_progress_finish(p.x.progress);
	ctl_progress_free(p.x.progress);
	cJSON_Delete(p.x.event);
	if (r < 0)
		ctl_error("extract oci: %s", error != NULL ? error : strerror(-r));
	else
		render_oci(o, p.img, dest);
	oci_image_free(p.img);
	dest_free(dest);
	return r < 0 ? exit_code(r) : CTL_EXIT_OK;
}
