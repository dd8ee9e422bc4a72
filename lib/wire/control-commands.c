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
            {"force", CONTROL_ARG_BOOL, false}, {"cmdline", CONTROL_ARG_CMDLINE, false},
            {"origin", CONTROL_ARG_PATH, false}, {"origin_boot", CONTROL_ARG_BOOL, false}},
        .usage = "add-image NAME (--dir DIR | --iso FILE | --efi FILE | --whole-iso FILE | "
                 "OCI-REF) "
                 "[--platform OS/ARCH] "
                 "[--kernel PATH] [--initrd PATH] [--force] [--cmdline STR] "
                 "[--origin URL [--boot-from-origin]]",
        .help = "Add image NAME from a directory holding kernel, initrd and rootfs.squashfs\n"
                "(--dir), from a Kairos ISO (--iso), from one EFI application kept whole\n"
                "(--efi, a UKI: UEFI firmware starts it itself), from an ISO kept whole\n"
                "(--whole-iso: UEFI HTTP Boot and iPXE's sanboot boot it) or from an OCI\n"
                "image reference, which netbootd pulls from the registry and turns into\n"
                "kernel, initrd and squashfs.\n"
                "Shows progress while the files are copied or pulled; Ctrl-C cancels.\n"
                "\n"
                "  --dir DIR          directory with kernel, initrd and rootfs.squashfs\n"
                "  --iso FILE         a Kairos ISO file\n"
                "  --efi FILE         an EFI application (PE/COFF), served as boot.efi\n"
                "  --whole-iso FILE   an ISO with an El Torito EFI entry, served as boot.iso\n"
                "  --platform OS/ARCH the platform to pull (default: registry.platform)\n"
                "  --kernel PATH      the kernel inside the OCI image (default: from /boot)\n"
                "  --initrd PATH      the initrd inside the OCI image (default: from /boot)\n"
                "  --force            replace an existing image of that name\n"
                "  --cmdline STR      the image's kernel command line template\n"
                "  --origin URL       where other instances may fetch the files too (a shared\n"
                "                     store): http(s), with {sha256} and/or {file} in it\n"
                "  --boot-from-origin boot scripts fetch the files from the origin\n",
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
        .help = "List the machines of the fleet and the machines seen booting, with their\n"
                "lifecycle state (new, booting, installing, installed, failed), profile or\n"
                "image, cloud-config, kernel command line, labels and last boot event.\n",
    },
    {
        .name = "assign",
        .words = "assign",
        .flags = CONTROL_CMD_RW,
        .args = {{"mac", CONTROL_ARG_MAC, true}, {"image", CONTROL_ARG_NAME, true},
            {"config", CONTROL_ARG_NAME_OR_NULL, false}, {"cmdline", CONTROL_ARG_CMDLINE, false},
            {"cmdline_mode", CONTROL_ARG_MODE, false}},
        .usage = "assign MAC IMAGE [--config NAME] [--cmdline STR | --append-cmdline STR]",
        .help = "Boot the machine with MAC (52:54:00:12:34:56 or 52-54-00-12-34-56) into IMAGE,\n"
                "whatever the groups say (its profile is cleared, its labels kept).\n"
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
        .help = "Forget the assignment (or profile) of the machine with MAC; its labels stay,\n"
                "and the groups or the default decide again.\n",
    },
    {
        .name = "reinstall",
        .words = "reinstall",
        .flags = CONTROL_CMD_RW,
        .args = {{"mac", CONTROL_ARG_MAC, false}, {"group", CONTROL_ARG_NAME, false}},
        .usage = "reinstall MAC | reinstall --group G",
        .help = "Put the machine with MAC (or every machine that last booted through group G)\n"
                "back to the lifecycle state \"new\": at its next network boot it gets its\n"
                "image again (its installer, with Kairos' install-mode) instead of its\n"
                "profile's after_install.  Reports of its earlier boots are refused.\n"
                "\n"
                "  --group G   the machines whose last boot went through group G\n",
    },
    {
        .name = "label",
        .words = "label",
        .flags = CONTROL_CMD_RW,
        .args = {{"mac", CONTROL_ARG_MAC, true}, {"set", CONTROL_ARG_LABELS, false},
            {"remove", CONTROL_ARG_KEYS, false}},
        .usage = "label MAC [K=V...] [--remove K]...",
        .help = "Set labels (K=V, adding or replacing) on the machine with MAC, then remove\n"
                "the keys given with --remove.  A MAC the fleet does not name gets an entry\n"
                "with only its labels; the groups choose what it boots.  Keys: 1-63\n"
                "characters a-z 0-9 . _ - (starting with a letter or digit, optionally after\n"
                "a \"prefix/\"); values: up to 63 characters A-Z a-z 0-9 . _ -.\n"
                "\n"
                "  --remove K   remove label K (the machine must have it)\n",
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
        .name = "profile-set",
        .words = "profile set",
        .flags = CONTROL_CMD_RW,
        .args = {{"name", CONTROL_ARG_NAME, true}, {"image", CONTROL_ARG_NAME_OR_NULL, false},
            {"config", CONTROL_ARG_NAME_OR_NULL, false}, {"cmdline", CONTROL_ARG_CMDLINE, false},
            {"cmdline_mode", CONTROL_ARG_MODE, false}, {"loader", CONTROL_ARG_NAME_OR_NULL, false},
            {"action", CONTROL_ARG_NAME, false}, {"netconsole", CONTROL_ARG_BOOL, false},
            {"report", CONTROL_ARG_BOOL, false}, {"after_install", CONTROL_ARG_NAME, false}},
        .usage = "profile set NAME [--image I] [--config C] [--cmdline S | --append-cmdline S] "
                 "[--loader ipxe|grub|shim-grub] [--action netboot|local|ignore] [--netconsole] "
                 "[--after-install local|netboot|ignore] [--no-report]",
        .help = "Create profile NAME, or replace it whole: what a machine boots.  Options not\n"
                "given are unset (the default image, the default cloud-config, no command\n"
                "line, netboot).\n"
                "\n"
                "  --image I              the image to boot\n"
                "  --config C             the cloud-config to serve\n"
                "  --cmdline S            replace the image's kernel command line\n"
                "  --append-cmdline S     append to the image's kernel command line\n"
                "  --loader L             the boot loader: ipxe (the default), grub or shim-grub\n"
                "  --action A             netboot (default), local (boot from the disk) or\n"
                "                         ignore (no answer)\n"
                "  --netconsole           the kernel sends its console to netbootd's syslog\n"
                "                         receiver (netconsole=; needs syslog enabled)\n"
                "  --after-install A      what a machine that reported \"installed\" boots:\n"
                "                         local (default: its disk), netboot (the image\n"
                "                         again, every time) or ignore (no answer)\n"
                "  --no-report            the served cloud-config does not report back (the\n"
                "                         machine's lifecycle stops at \"booting\")\n",
    },
    {
        .name = "profile-get",
        .words = "profile get",
        .args = {{"name", CONTROL_ARG_NAME, true}},
        .usage = "profile get NAME",
        .help = "Show profile NAME.\n",
    },
    {
        .name = "profile-list",
        .words = "profile list",
        .usage = "profile list",
        .help = "List the profiles with their image, cloud-config, command line and action.\n",
    },
    {
        .name = "profile-remove",
        .words = "profile remove",
        .flags = CONTROL_CMD_RW,
        .args = {{"name", CONTROL_ARG_NAME, true}},
        .usage = "profile remove NAME",
        .help = "Remove profile NAME.  Refused while a group or machine names it.\n",
    },
    {
        .name = "group-set",
        .words = "group set",
        .flags = CONTROL_CMD_RW,
        .args = {{"name", CONTROL_ARG_NAME, true}, {"profile", CONTROL_ARG_NAME, true},
            {"priority", CONTROL_ARG_INT, false}, {"match", CONTROL_ARG_MATCH, false}},
        .usage = "group set NAME --profile P [--priority N] [--mac GLOB] [--uuid U] [--arch A] "
                 "[--interface I] [--label K=V]...",
        .help = "Create group NAME, or replace it whole: machines matching all its selectors\n"
                "boot profile P.  The most specific matching group wins (most selectors),\n"
                "then the higher priority; a group that would tie with another is refused.\n"
                "A group without selectors is the default.\n"
                "\n"
                "  --profile P      the profile its machines boot\n"
                "  --priority N     breaks ties of equal specificity (default 0; -1000000 to\n"
                "                   1000000)\n"
                "  --mac GLOB       a MAC, or a glob such as 52:54:00:*\n"
                "  --uuid U         the machine's UUID (DHCP option 97)\n"
                "  --arch A         bios, efi-ia32, efi-x86_64, efi-arm64, http-x86_64 or\n"
                "                   http-arm64\n"
                "  --interface I    the receiving interface, or a subnet a.b.c.d/len\n"
                "  --label K=V      a label the machine carries (repeatable)\n",
    },
    {
        .name = "group-get",
        .words = "group get",
        .args = {{"name", CONTROL_ARG_NAME, true}},
        .usage = "group get NAME",
        .help = "Show group NAME.\n",
    },
    {
        .name = "group-list",
        .words = "group list",
        .usage = "group list",
        .help = "List the groups with their profile, priority and selectors.\n",
    },
    {
        .name = "group-remove",
        .words = "group remove",
        .flags = CONTROL_CMD_RW,
        .args = {{"name", CONTROL_ARG_NAME, true}},
        .usage = "group remove NAME",
        .help = "Remove group NAME.\n",
    },
    {
        .name = "apply",
        .words = "apply",
        .flags = CONTROL_CMD_RW,
        .args = {{"file", CONTROL_ARG_PATH, true}, {"content", CONTROL_ARG_TEXT, true},
            {"files", CONTROL_ARG_FILES, false}, {"dry_run", CONTROL_ARG_BOOL, false},
            {"prune", CONTROL_ARG_BOOL, false}},
        .usage = "apply -f FILE [--dry-run] [--prune]",
        .help = "Apply fleet file FILE (netbootd-fleet(5); - for standard input): its\n"
                "profiles, groups, machines and cloud-configs replace or add to the running\n"
                "ones, validated as a whole and applied all or nothing.  netbootctl reads\n"
                "FILE and the cloud-config files it names (relative to FILE's directory)\n"
                "itself.  Prints what changed.\n"
                "\n"
                "  -f FILE     the fleet file\n"
                "  --dry-run   print what would change, change nothing\n"
                "  --prune     also remove what FILE does not name\n",
    },
    {
        .name = "export",
        .words = "export",
        .usage = "export",
        .help = "Print the running fleet (profiles, groups, machines and every cloud-config,\n"
                "inline) as a fleet file; \"apply -f\" of it changes nothing.\n",
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
        .name = "explain",
        .words = "explain",
        .flags = 0,
        .args = {{"mac", CONTROL_ARG_MAC, true}, {"arch", CONTROL_ARG_WORD, false},
            {"uuid", CONTROL_ARG_WORD, false}, {"interface", CONTROL_ARG_WORD, false}},
        .usage = "explain MAC [--arch A] [--uuid U] [--interface I]",
        .help = "Show the boot decision for the machine with MAC as netbootd makes it when\n"
                "the machine asks: its machine entry, every group and why it won or lost\n"
                "(a selector that failed, fewer selectors, a lower priority), and the plan:\n"
                "action, loader, script URL, kernel, initrd, squashfs, the expanded kernel\n"
                "command line (with netconsole=, or why not) and the cloud-config.\n"
                "\n"
                "  --arch A       the client's platform: bios, efi-ia32, efi-x86_64, efi-arm64,\n"
                "                 http-x86_64 or http-arm64 (as ProxyDHCP sees it)\n"
                "  --uuid U       its SMBIOS UUID (DHCP option 97)\n"
                "  --interface I  the interface it reaches netbootd on, or its (relay's) IPv4\n"
                "                 address, for interface selectors\n",
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
    {
        .name = "logs",
        .words = "logs",
        .flags = CONTROL_CMD_STREAM,
        .args = {{"mac", CONTROL_ARG_MAC, true}, {"since", CONTROL_ARG_TIME, false},
            {"follow", CONTROL_ARG_BOOL, false}},
        .usage = "logs MAC [-f] [--since T] [--json]",
        .help = "Print the lines machine MAC sent to netbootd's syslog receiver (syslog.enabled\n"
                "in netbootd.yaml), oldest first, one line each: time received, MAC,\n"
                "severity, host, tag and message.\n"
                "\n"
                "  -f, --follow  then print new lines as they arrive, until Ctrl-C\n"
                "  --since T     only lines received since T: a time ago (30s, 10m, 2h, 1d),\n"
                "                seconds since the epoch (@1764644400) or an RFC 3339 time\n"
                "                (2026-12-02T03:00:00Z, 2026-12-02T04:00:00+01:00)\n"
                "  --json        one JSON object per line\n",
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
