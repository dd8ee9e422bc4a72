/*
 * The control commands: one entry each.  The usage lines must match the
 * synopsis of man/netbootctl.1.scd.
 */
#include "control-commands.h"

#include <string.h>

#include "util.h"

const struct control_command control_commands[] = {
    {
        .name = "status",
        .words = "status",
        .usage = "status",
        .help = "Show the daemon's version, uptime, counts of images, machines and cloud-configs,\n"
                "the defaults and the number of TFTP sessions and HTTP connections.\n",
    },
    {
        .name = "images",
        .words = "images",
        .usage = "images",
        .help = "List the images with their source, size, creation time and the number of\n"
                "machines assigned to each.\n",
    },
    {
        .name = "add-image",
        .words = "add-image",
        .flags = CONTROL_CMD_RW | CONTROL_CMD_STREAM,
        .args = {{"name", CONTROL_ARG_NAME, true}, {"source", CONTROL_ARG_SOURCE, true},
            {"force", CONTROL_ARG_BOOL, false}, {"cmdline", CONTROL_ARG_CMDLINE, false}},
        .usage = "add-image NAME (--dir DIR | --iso FILE | OCI-REF) [--platform OS/ARCH] "
                 "[--kernel PATH] [--initrd PATH] [--force] [--cmdline STR]",
        .help = "Add image NAME from a directory holding kernel, initrd and rootfs.squashfs\n"
                "(--dir), from a Kairos ISO (--iso) or from an OCI image reference, which\n"
                "netbootd pulls from the registry and turns into kernel, initrd and squashfs.\n"
                "Shows progress while the files are copied or pulled; Ctrl-C cancels.\n"
                "\n"
                "  --dir DIR          directory with kernel, initrd and rootfs.squashfs\n"
                "  --iso FILE         a Kairos ISO file\n"
                "  --platform OS/ARCH the platform to pull (default: registry.platform)\n"
                "  --kernel PATH      the kernel inside the OCI image (default: from /boot)\n"
                "  --initrd PATH      the initrd inside the OCI image (default: from /boot)\n"
                "  --force            replace an existing image of that name\n"
                "  --cmdline STR      the image's kernel command line template\n",
    },
    {
        .name = "remove-image",
        .words = "remove-image",
        .flags = CONTROL_CMD_RW,
        .args = {{"name", CONTROL_ARG_NAME, true}, {"force", CONTROL_ARG_BOOL, false}},
        .usage = "remove-image NAME [--force]",
        .help = "Remove image NAME.  Refused while machines are assigned to it, unless --force.\n",
    },
    {
        .name = "machines",
        .words = "machines",
        .usage = "machines",
        .help = "List the assigned machines and the machines seen booting, with their image,\n"
                "cloud-config, kernel command line and last boot event.\n",
    },
    {
        .name = "assign",
        .words = "assign",
        .flags = CONTROL_CMD_RW,
        .args = {{"mac", CONTROL_ARG_MAC, true}, {"image", CONTROL_ARG_NAME, true},
            {"config", CONTROL_ARG_NAME_OR_NULL, false}, {"cmdline", CONTROL_ARG_CMDLINE, false},
            {"cmdline_mode", CONTROL_ARG_MODE, false}},
        .usage = "assign MAC IMAGE [--config NAME] [--cmdline STR | --append-cmdline STR]",
        .help = "Boot the machine with MAC (52:54:00:12:34:56 or 52-54-00-12-34-56) into IMAGE.\n"
                "\n"
                "  --config NAME          the cloud-config to serve to it\n"
                "  --cmdline STR          replace the image's kernel command line\n"
                "  --append-cmdline STR   append to the image's kernel command line\n",
    },
    {
        .name = "unassign",
        .words = "unassign",
        .flags = CONTROL_CMD_RW,
        .args = {{"mac", CONTROL_ARG_MAC, true}},
        .usage = "unassign MAC",
        .help = "Forget the assignment of the machine with MAC; it gets the default again.\n",
    },
    {
        .name = "config-set",
        .words = "config set",
        .flags = CONTROL_CMD_RW,
        .args = {{"name", CONTROL_ARG_NAME, true}, {"content", CONTROL_ARG_CONTENT, true}},
        .usage = "config set NAME FILE|-",
        .help = "Store cloud-config NAME from FILE (or standard input for -).  It must be\n"
                "YAML starting with \"#cloud-config\", at most 256 KiB.\n",
    },
    {
        .name = "config-get",
        .words = "config get",
        .args = {{"name", CONTROL_ARG_NAME, true}},
        .usage = "config get NAME",
        .help = "Print cloud-config NAME as stored.\n",
    },
    {
        .name = "config-list",
        .words = "config list",
        .usage = "config list",
        .help = "List the cloud-configs with their sizes; the default one is marked.\n",
    },
    {
        .name = "config-default",
        .words = "config default",
        .flags = CONTROL_CMD_RW,
        .args = {{"name", CONTROL_ARG_NAME_OR_NULL, true}},
        .usage = "config default (NAME | --none)",
        .help = "Make cloud-config NAME the default for machines without their own, or use\n"
                "the built-in default with --none.\n",
    },
    {
        .name = "default-boot",
        .words = "default-boot",
        .flags = CONTROL_CMD_RW,
        .args = {{"enabled", CONTROL_ARG_BOOL, true}},
        .usage = "default-boot on|off",
        .help = "Whether unknown machines boot the default image (on) or get nothing (off).\n",
    },
    {
        .name = "watch",
        .words = "watch",
        .flags = CONTROL_CMD_STREAM,
        .args = {{"mac", CONTROL_ARG_MAC, false}},
        .usage = "watch [MAC]",
        .help = "Print boot events as they happen, one line each, until Ctrl-C.  With MAC,\n"
                "only that machine's.\n",
    },
};

const size_t control_commands_n = ELEMENTSOF(control_commands);

const struct control_command *
control_commands_lookup(const char *name)
{
	for (size_t i = 0; name != NULL && i < control_commands_n; i++)
		if (strcmp(name, control_commands[i].name) == 0)
			return &control_commands[i];
	return NULL;
}

int
control_commands_words_match(const char *words, int argc, char *const *argv)
{
	const char *sp = strchr(words, ' ');

	if (argc < 1)
		return 0;
	if (sp == NULL)
		return strcmp(argv[0], words) == 0 ? 1 : 0;
	if (strncmp(argv[0], words, (size_t)(sp - words)) != 0 || argv[0][sp - words] != '\0')
		return 0;
	return argc > 1 && strcmp(argv[1], sp + 1) == 0 ? 2 : 0;
}

const struct control_command *
control_commands_by_words(int argc, char *const *argv, int *ret_words)
{
	for (size_t i = 0; i < control_commands_n; i++) {
		int n = control_commands_words_match(control_commands[i].words, argc, argv);

		if (n > 0) {
			*ret_words = n;
			return &control_commands[i];
		}
	}
	return NULL;
}
