/* images, add-image, remove-image: parsing and rendering. */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctl-args.h"
#include "ctl-format.h"
#include "ctl-table.h"
#include "manifest.h"
#include "ctl.h"
#include "manifest.h"
#include "util.h"

/* The daemon has another working directory: send absolute paths. */
static int
add_source_path(cJSON *source, const char *path)
{
	char cwd[PATH_MAX];
	_cleanup_free_ char *abs = NULL;

	if (path[0] == '/')
		return cJSON_AddStringToObject(source, "path", path) ? 0 : -ENOMEM;
	while (strncmp(path, "./", 2) == 0)
		path += 2 + strspn(path + 2, "/");
	if (getcwd(cwd, sizeof(cwd)) == NULL)
		return -errno;
	if (asprintf(&abs, "%s/%s", strcmp(cwd, "/") == 0 ? "" : cwd, path) < 0)
		return -ENOMEM;
	return cJSON_AddStringToObject(source, "path", abs) ? 0 : -ENOMEM;
}

static int
add_source(cJSON *args, const char *type, const char *value)
{
	cJSON *source = cJSON_AddObjectToObject(args, "source");

	if (source == NULL || !cJSON_AddStringToObject(source, "type", type))
		return -ENOMEM;
	if (strcmp(type, "oci") == 0)
		return cJSON_AddStringToObject(source, "ref", value) ? 0 : -ENOMEM;
	if (!cJSON_AddNumberToObject(source, "fds", strcmp(type, "dir") == 0 ? 3 : 1))
		return -ENOMEM;
	return add_source_path(source, value);
}

/* --platform, --kernel, --initrd: options of an OCI source, sent in its object. */
static int
add_oci_options(cJSON *args, const char *const keys[], const char *const values[], size_t n)
{
	cJSON *source = cJSON_GetObjectItemCaseSensitive(args, "source");

	for (size_t i = 0; i < n; i++)
		if (values[i] != NULL && !cJSON_AddStringToObject(source, keys[i], values[i]))
			return -ENOMEM;
	return 0;
}

/* --origin URL [--boot-from-origin], checked as the daemon will. */
static int
add_origin(cJSON *args, const char *origin, bool boot)
{
	if (origin == NULL && !boot)
		return 0;
	if (origin == NULL || !manifest_origin_valid(origin)) {
		ctl_error("add-image: --origin needs an http:// or https:// URL with {sha256} or "
		          "{file} in it%s",
		    origin == NULL ? " (--boot-from-origin goes with --origin)" : "");
		return -EINVAL;
	}
	if (!cJSON_AddStringToObject(args, "origin", origin) ||
	    !cJSON_AddBoolToObject(args, "origin_boot", boot))
		return -ENOMEM;
	return 0;
}

/* One source; options that go with it only. */
static int
check_add_image(
    int sources, const char *type, const char *cmdline, bool oci_options, bool origin_boot)
{
	if (sources != 1) {
		ctl_error("add-image: give exactly one of --dir DIR, --iso FILE, --efi FILE, "
		          "--whole-iso FILE or OCI-REF");
		return -EINVAL;
	}
	bool whole = strcmp(type, "efi") == 0 || strcmp(type, "whole-iso") == 0;

	if (cmdline != NULL && whole) {
		ctl_error("add-image: an image kept whole carries its own command line: no "
		          "--cmdline with --%s",
		    type);
		return -EINVAL;
	}
	if (origin_boot && whole) {
		ctl_error("add-image: an image kept whole boots from netbootd: no "
		          "--boot-from-origin with --%s",
		    type);
		return -EINVAL;
	}
	if (oci_options && strcmp(type, "oci") != 0) {
		ctl_error("add-image: --platform, --kernel and --initrd go with an OCI-REF");
		return -EINVAL;
	}
	return 0;
}

static int
parse_add_image(int argc, char **argv, cJSON *args)
{
	static const struct option opts[] = {{"dir", required_argument, NULL, 'd'},
	    {"iso", required_argument, NULL, 'i'}, {"efi", required_argument, NULL, 'e'},
	    {"whole-iso", required_argument, NULL, 'w'}, {"force", no_argument, NULL, 'f'},
	    {"cmdline", required_argument, NULL, 'c'}, {"platform", required_argument, NULL, 'p'},
	    {"kernel", required_argument, NULL, 'k'}, {"initrd", required_argument, NULL, 'r'},
	    {"origin", required_argument, NULL, 'o'}, {"boot-from-origin", no_argument, NULL, 'b'},
	    {NULL, 0, NULL, 0}};
	static const char *const oci_keys[] = {"platform", "kernel", "initrd"};
	const char *oci_values[3] = {NULL, NULL, NULL};
	const char *type = NULL, *value = NULL, *cmdline = NULL, *origin = NULL;
	bool force = false, oci_options = false, boot = false;
	int c, n, sources = 0;

	while ((c = ctl_args_opt_next(argc, argv, opts)) != -1) {
		if (c < 0)
			return c;
		if (c == 'd' || c == 'i' || c == 'e' || c == 'w') {
			type = c == 'd' ? "dir" : c == 'i' ? "iso" : c == 'e' ? "efi" : "whole-iso";
			value = optarg;
			sources++;
		} else if (c == 'f' || c == 'b')
			*(c == 'f' ? &force : &boot) = true;
		else if (c == 'c' || c == 'o')
			*(c == 'c' ? &cmdline : &origin) = optarg;
		else {
			oci_values[c == 'p' ? 0 : c == 'k' ? 1 : 2] = optarg;
			oci_options = true;
		}
	}
	n = ctl_args_positionals(argc, argv, 1, 2);
	if (n < 0)
		return n;
	if (n == 2) {
		type = "oci";
		value = argv[optind + 1];
		sources++;
	}
	if (check_add_image(sources, type, cmdline, oci_options, boot) < 0)
		return -EINVAL;
	if (add_origin(args, origin, boot) < 0)
		return -EINVAL;
	if (!cJSON_AddStringToObject(args, "name", argv[optind]) ||
	    add_source(args, type, value) < 0 || !cJSON_AddBoolToObject(args, "force", force) ||
	    (cmdline != NULL && !cJSON_AddStringToObject(args, "cmdline", cmdline)) ||
	    add_oci_options(args, oci_keys, oci_values, ELEMENTSOF(oci_keys)) < 0)
		return -ENOMEM;
	return 0;
}

static int
parse_remove_image(int argc, char **argv, cJSON *args)
{
	static const struct option opts[] = {{"force", no_argument, NULL, 'f'}, {NULL, 0, NULL, 0}};
	bool force = false;
	int c;

	while ((c = ctl_args_opt_next(argc, argv, opts)) != -1) {
		if (c < 0)
			return c;
		force = true;
	}
	if (ctl_args_positionals(argc, argv, 1, 1) < 0)
		return -EINVAL;
	if (!cJSON_AddStringToObject(args, "name", argv[optind]) ||
	    !cJSON_AddBoolToObject(args, "force", force))
		return -ENOMEM;
	return 0;
}

static void
format_source(const cJSON *manifest, char *buf, size_t size)
{
	const cJSON *src = cJSON_GetObjectItemCaseSensitive(manifest, "source");
	const char *type = control_json_string(src, "type");
	const char *where = control_json_string(src, "path") ?: control_json_string(src, "ref");

	snprintf(buf, size, "%s:%s", ctl_format_dash(type), ctl_format_dash(where));
}

static uint64_t
image_size(const cJSON *manifest)
{
	const cJSON *files = cJSON_GetObjectItemCaseSensitive(manifest, "files"), *f;
	uint64_t total = 0;

	cJSON_ArrayForEach(f, files)
	{
		double n = ctl_format_num(f, "size");

		total += n > 0 ? (uint64_t)n : 0;
	}
	return total;
}

/* "a:ready b:fetching" from the image's "instances" (a shared store). */
static void
format_instances(const cJSON *m, char *buf, size_t size)
{
	const cJSON *where = cJSON_GetObjectItemCaseSensitive(m, "instances"), *i;
	size_t len = 0;

	buf[0] = '\0';
	cJSON_ArrayForEach(i, where) if (cJSON_IsString(i) && len < size) len += (size_t)snprintf(
	    buf + len, size - len, "%s%s:%s", len > 0 ? " " : "", i->string, i->valuestring);
	if (buf[0] == '\0')
		snprintf(buf, size, "-");
}

static void
render_images(const cJSON *args, const cJSON *data)
{
	struct ctl_table t = {.ncols = 6};
	const cJSON *m;

	if (cJSON_GetArraySize(data) == 0) {
		puts("no images");
		return;
	}
	bool shared = cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(data, 0), "instances");

	t.ncols = shared ? 7 : 6;
	ctl_table_add(&t, "NAME", "KIND", "SOURCE", "SIZE", "ASSIGNED", "CREATED", "INSTANCES");
	cJSON_ArrayForEach(m, data)
	{
		char src[512], size[32], assigned[32], created[32], where[512];

		format_instances(m, where, sizeof(where));
		format_source(m, src, sizeof(src));
		ctl_format_size(image_size(m), size);
		snprintf(
		    assigned, sizeof(assigned), "%.0f", fmax(ctl_format_num(m, "assigned"), 0));
		ctl_format_time(ctl_format_num(m, "created"), created);
		ctl_table_add(&t, control_json_string(m, "name"),
		    control_json_string(m, "kind") ?: "linux", src, size, assigned, created, where);
	}
	ctl_table_print_free(&t);
}

static void
render_add_image(const cJSON *args, const cJSON *data)
{
	const cJSON *files = cJSON_GetObjectItemCaseSensitive(data, "files"), *f;
	const char *sep = ": ";

	printf("added image %s", ctl_format_dash(control_json_string(data, "name")));
	cJSON_ArrayForEach(f, files)
	{
		char size[32];

		ctl_format_size((uint64_t)fmax(ctl_format_num(f, "size"), 0), size);
		printf("%s%s %s", sep, f->string, size);
		sep = ", ";
	}
	putchar('\n');
}

static void
render_remove_image(const cJSON *args, const cJSON *data)
{
	printf("removed image %s\n", ctl_format_dash(control_json_string(data, "name")));
}

const struct ctl_command cmd_image_commands[] = {
    {"images", ctl_args_none, render_images},
    {"add-image", parse_add_image, render_add_image},
    {"remove-image", parse_remove_image, render_remove_image},
    {NULL, NULL, NULL},
};
