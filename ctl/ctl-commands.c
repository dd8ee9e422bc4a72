/*
 * The commands of netbootctl: the families of wire commands (ctl/cmd-*.c;
 * words, usage and help come from lib/control-commands.c) and the local
 * commands, with their own usage and help.  The synopses must match
 * man/netbootctl.1.scd.
 */
#include <string.h>

#include "ctl.h"
#include "util.h"

/* Every family of commands: the one list to extend with a new cmd-FAMILY.c. */
static const struct ctl_command *const families[] = {
    cmd_status_commands,
    cmd_image_commands,
    cmd_machine_commands,
    cmd_config_commands,
    cmd_fleet_commands,
    cmd_settings_commands,
    cmd_watch_commands,
    cmd_explain_commands,
    cmd_logs_commands,
};

const struct ctl_command *
ctl_commands_find(const char *wire)
{
	for (size_t f = 0; f < ELEMENTSOF(families); f++)
		for (const struct ctl_command *c = families[f]; c->wire != NULL; c++)
			if (strcmp(c->wire, wire) == 0)
				return c;
	return NULL;
}

const struct ctl_local_command ctl_local_commands[] = {
    {"extract iso",
        "extract iso ISO OUTDIR [PREFIX] [--kernel PATH] [--initrd PATH] [--rootfs PATH] "
        "[--max-size SIZE] [--force]",
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
        "  --max-size SIZE  refuse an ISO whose files take more (default 16G)\n"
        "  --force        replace existing output files\n"},
    {"extract oci",
        "extract oci REF OUTDIR [PREFIX] [--platform OS/ARCH] [--insecure] [--auth-file FILE] "
        "[--compression gzip|zstd|xz] [--kernel PATH] [--initrd PATH] [--max-size SIZE] "
        "[--force]",
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
        "  --max-size SIZE       refuse an image whose layers expand to more (default 16G)\n"
        "  --force               replace existing output files\n"},
};

const size_t ctl_n_local_commands = ELEMENTSOF(ctl_local_commands);
