/*
 * The commands of netbootctl: usage, help and the argv -> request args
 * translation of each.  Their synopses must match man/netbootctl.1.scd.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctl.h"
#include "util.h"

/* The next option of a command, -1 at the end, -EINVAL after printing a usage error. */
static int
opt_next(int argc, char **argv, const struct option *longopts)
{
	int c = getopt_long(argc, argv, ":", longopts, NULL);

	if (c == '?') {
		ctl_error("%s: unknown option \"%s\"", argv[0], argv[optind - 1]);
		return -EINVAL;
	}
	if (c == ':') {
		ctl_error("%s: option \"%s\" needs a value", argv[0], argv[optind - 1]);
		return -EINVAL;
	}
	return c;
}

/* After the options: check the number of positional arguments. */
static int
positionals(int argc, char **argv, int min, int max)
{
	int n = argc - optind;

	if (n < min) {
		ctl_error("%s: missing argument", argv[0]);
		return -EINVAL;
	}
	if (n > max) {
		ctl_error("%s: unexpected argument \"%s\"", argv[0], argv[optind + max]);
		return -EINVAL;
	}
	return n;
}

/* Run getopt for a command without options: refuses any. */
static int
opts_none(int argc, char **argv)
{
	static const struct option opts[] = {{NULL, 0, NULL, 0}};
	int c;

	while ((c = opt_next(argc, argv, opts)) != -1)
		if (c < 0)
			return c;
	return 0;
}

/* Commands without arguments still refuse unknown options and extra words. */
static int
parse_none(int argc, char **argv, cJSON *args)
{
	if (opts_none(argc, argv) < 0)
		return -EINVAL;
	return positionals(argc, argv, 0, 0) < 0 ? -EINVAL : 0;
}

static int
add_mac(cJSON *args, const char *key, const char *cmd, const char *s)
{
	char mac[MAC_STRLEN];

	if (control_mac_canonical(s, mac) < 0) {
		ctl_error("%s: \"%s\" is not a MAC address (like 52:54:00:12:34:56)", cmd, s);
		return -EINVAL;
	}
	return cJSON_AddStringToObject(args, key, mac) ? 0 : -ENOMEM;
}

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

static int
parse_add_image(int argc, char **argv, cJSON *args)
{
	static const struct option opts[] = {{"dir", required_argument, NULL, 'd'},
	    {"iso", required_argument, NULL, 'i'}, {"force", no_argument, NULL, 'f'},
	    {"cmdline", required_argument, NULL, 'c'}, {"platform", required_argument, NULL, 'p'},
	    {"kernel", required_argument, NULL, 'k'}, {"initrd", required_argument, NULL, 'r'},
	    {NULL, 0, NULL, 0}};
	static const char *const oci_keys[] = {"platform", "kernel", "initrd"};
	const char *oci_values[3] = {NULL, NULL, NULL};
	const char *type = NULL, *value = NULL, *cmdline = NULL;
	bool force = false, oci_options = false;
	int c, n, sources = 0;

	while ((c = opt_next(argc, argv, opts)) != -1) {
		if (c < 0)
			return c;
		if (c == 'd' || c == 'i') {
			type = c == 'd' ? "dir" : "iso";
			value = optarg;
			sources++;
		} else if (c == 'f')
			force = true;
		else if (c == 'c')
			cmdline = optarg;
		else {
			oci_values[c == 'p' ? 0 : c == 'k' ? 1 : 2] = optarg;
			oci_options = true;
		}
	}
	n = positionals(argc, argv, 1, 2);
	if (n < 0)
		return n;
	if (n == 2) {
		type = "oci";
		value = argv[optind + 1];
		sources++;
	}
	if (sources != 1) {
		ctl_error("add-image: give exactly one of --dir DIR, --iso FILE or OCI-REF");
		return -EINVAL;
	}
	if (oci_options && strcmp(type, "oci") != 0) {
		ctl_error("add-image: --platform, --kernel and --initrd go with an OCI-REF");
		return -EINVAL;
	}
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

	while ((c = opt_next(argc, argv, opts)) != -1) {
		if (c < 0)
			return c;
		force = true;
	}
	if (positionals(argc, argv, 1, 1) < 0)
		return -EINVAL;
	if (!cJSON_AddStringToObject(args, "name", argv[optind]) ||
	    !cJSON_AddBoolToObject(args, "force", force))
		return -ENOMEM;
	return 0;
}

static int
parse_assign(int argc, char **argv, cJSON *args)
{
	static const struct option opts[] = {{"config", required_argument, NULL, 'C'},
	    {"cmdline", required_argument, NULL, 'r'},
	    {"append-cmdline", required_argument, NULL, 'a'}, {NULL, 0, NULL, 0}};
	const char *config = NULL, *cmdline = NULL, *mode = "append";
	int c, n_cmdline = 0;

	while ((c = opt_next(argc, argv, opts)) != -1) {
		if (c < 0)
			return c;
		if (c == 'C')
			config = optarg;
		else {
			cmdline = optarg;
			mode = c == 'r' ? "replace" : "append";
			n_cmdline++;
		}
	}
	if (n_cmdline > 1) {
		ctl_error("assign: give at most one of --cmdline and --append-cmdline");
		return -EINVAL;
	}
	if (positionals(argc, argv, 2, 2) < 0 || add_mac(args, "mac", "assign", argv[optind]) < 0)
		return -EINVAL;
	if (!cJSON_AddStringToObject(args, "image", argv[optind + 1]) ||
	    (config != NULL && !cJSON_AddStringToObject(args, "config", config)) ||
	    (cmdline != NULL && !cJSON_AddStringToObject(args, "cmdline", cmdline)) ||
	    !cJSON_AddStringToObject(args, "cmdline_mode", mode))
		return -ENOMEM;
	return 0;
}

static int
parse_unassign(int argc, char **argv, cJSON *args)
{
	if (opts_none(argc, argv) < 0 || positionals(argc, argv, 1, 1) < 0)
		return -EINVAL;
	return add_mac(args, "mac", "unassign", argv[optind]);
}

/* Read a cloud-config file (or stdin for "-") up to CONTROL_MAX_CONFIG bytes. */
static int
read_config(const char *path, char **ret)
{
	_cleanup_fclose_ FILE *owned = NULL;
	_cleanup_free_ char *buf = malloc(CONTROL_MAX_CONFIG + 2);
	FILE *f = stdin;
	size_t n;

	if (buf == NULL)
		return -ENOMEM;
	if (strcmp(path, "-") != 0 && (f = owned = fopen(path, "re")) == NULL) {
		ctl_error("config set: %s: %s", path, strerror(errno));
		return -EINVAL;
	}
	n = fread(buf, 1, CONTROL_MAX_CONFIG + 1, f);
	if (ferror(f)) {
		ctl_error("config set: %s: %s", path, strerror(errno ? errno : EIO));
		return -EINVAL;
	}
	if (n > CONTROL_MAX_CONFIG) {
		ctl_error("config set: %s: a cloud-config is at most %d KiB", path,
		    CONTROL_MAX_CONFIG / 1024);
		return -EINVAL;
	}
	if (!control_utf8_valid(buf, n)) {
		ctl_error("config set: %s: not UTF-8 text (or contains NUL bytes)", path);
		return -EINVAL;
	}
	buf[n] = '\0';
	*ret = TAKE_PTR(buf);
	return 0;
}

static int
parse_config_set(int argc, char **argv, cJSON *args)
{
	_cleanup_free_ char *content = NULL;

	if (opts_none(argc, argv) < 0 || positionals(argc, argv, 2, 2) < 0)
		return -EINVAL;
	if (read_config(argv[optind + 1], &content) < 0)
		return -EINVAL;
	if (!cJSON_AddStringToObject(args, "name", argv[optind]) ||
	    !cJSON_AddStringToObject(args, "content", content))
		return -ENOMEM;
	return 0;
}

static int
parse_name(int argc, char **argv, cJSON *args)
{
	if (opts_none(argc, argv) < 0 || positionals(argc, argv, 1, 1) < 0)
		return -EINVAL;
	return cJSON_AddStringToObject(args, "name", argv[optind]) ? 0 : -ENOMEM;
}

static int
parse_config_default(int argc, char **argv, cJSON *args)
{
	static const struct option opts[] = {{"none", no_argument, NULL, 'n'}, {NULL, 0, NULL, 0}};
	bool none = false;
	int c, n;

	while ((c = opt_next(argc, argv, opts)) != -1) {
		if (c < 0)
			return c;
		none = true;
	}
	n = positionals(argc, argv, 0, 1);
	if (n < 0)
		return n;
	if ((n == 1) == none) {
		ctl_error("config default: give either NAME or --none");
		return -EINVAL;
	}
	if (none)
		return cJSON_AddNullToObject(args, "name") ? 0 : -ENOMEM;
	return cJSON_AddStringToObject(args, "name", argv[optind]) ? 0 : -ENOMEM;
}

static int
parse_default_boot(int argc, char **argv, cJSON *args)
{
	const char *v;

	if (opts_none(argc, argv) < 0 || positionals(argc, argv, 1, 1) < 0)
		return -EINVAL;
	v = argv[optind];
	if (strcmp(v, "on") != 0 && strcmp(v, "off") != 0) {
		ctl_error("default-boot: say \"on\" or \"off\", not \"%s\"", v);
		return -EINVAL;
	}
	return cJSON_AddBoolToObject(args, "enabled", strcmp(v, "on") == 0) ? 0 : -ENOMEM;
}

static int
parse_watch(int argc, char **argv, cJSON *args)
{
	int n;

	if (opts_none(argc, argv) < 0)
		return -EINVAL;
	n = positionals(argc, argv, 0, 1);
	if (n <= 0)
		return n;
	return add_mac(args, "mac", "watch", argv[optind]);
}

#define NO_ARGS parse_none

static const struct ctl_command ctl_commands[] = {
    {"status", NO_ARGS, ctl_render_status},
    {"images", NO_ARGS, ctl_render_images},
    {"add-image", parse_add_image, ctl_render_add_image},
    {"remove-image", parse_remove_image, ctl_render_remove_image},
    {"machines", NO_ARGS, ctl_render_machines},
    {"assign", parse_assign, ctl_render_assign},
    {"unassign", parse_unassign, ctl_render_unassign},
    {"config-set", parse_config_set, ctl_render_config_set},
    {"config-get", parse_name, ctl_render_config_get},
    {"config-list", NO_ARGS, ctl_render_config_list},
    {"config-default", parse_config_default, ctl_render_config_default},
    {"default-boot", parse_default_boot, ctl_render_default_boot},
    {"watch", parse_watch, NULL},
};

const struct ctl_command *
ctl_commands_find(const char *wire)
{
	for (size_t i = 0; i < ELEMENTSOF(ctl_commands); i++)
		if (strcmp(ctl_commands[i].wire, wire) == 0)
			return &ctl_commands[i];
	return NULL;
}

const struct ctl_local_command ctl_local_commands[] = {
    {"extract iso",
        "extract iso ISO OUTDIR [PREFIX] [--kernel PATH] [--initrd PATH] [--rootfs PATH] [--force]",
        "Extract the kernel, initrd and squashfs root file system of a Kairos ISO into\n"
        "OUTDIR as PREFIX-kernel, PREFIX-initrd and PREFIX.squashfs (PREFIX defaults to\n"
        "kairos; AuroraBoot's names), without netbootd.  The files are found under\n"
        "their usual names (/boot/kernel, /boot/initrd, /rootfs.squashfs, then\n"
        "/boot/vmlinuz*, /boot/initrd.img*, /live/filesystem.squashfs, ... see\n"
        "netbootctl(1)); the output says which were taken.\n"
        "\n"
        "  --kernel PATH  take the kernel from PATH in the ISO\n"
        "  --initrd PATH  take the initrd from PATH in the ISO\n"
        "  --rootfs PATH  take the squashfs from PATH in the ISO\n"
        "  --force        replace existing output files\n"},
    {"extract oci",
        "extract oci REF OUTDIR [PREFIX] [--platform OS/ARCH] [--insecure] [--auth-file FILE] "
        "[--compression gzip|zstd|xz] [--kernel PATH] [--initrd PATH] [--force]",
        "Pull OCI image REF from its registry and write its kernel, initrd and a\n"
        "squashfs of its flattened layers into OUTDIR as PREFIX-kernel, PREFIX-initrd\n"
        "and PREFIX.squashfs (PREFIX defaults to kairos), without netbootd.  The\n"
        "kernel and initrd are the image's /boot/vmlinuz* and /boot/initrd* (as\n"
        "AuroraBoot picks them).  Blobs are cached in $XDG_CACHE_HOME/netbootd\n"
        "(~/.cache/netbootd).\n"
        "\n"
        "  --platform OS/ARCH    the image for this platform (default linux/amd64)\n"
        "  --insecure            reach REF's registry over plain HTTP\n"
        "  --auth-file FILE      credentials (default ~/.docker/config.json)\n"
        "  --compression ALGO    squashfs compression: gzip (default), zstd or xz\n"
        "  --kernel PATH         take the kernel from PATH in the image\n"
        "  --initrd PATH         take the initrd from PATH in the image\n"
        "  --force               replace existing output files\n"},
};

const size_t ctl_n_local_commands = ELEMENTSOF(ctl_local_commands);
