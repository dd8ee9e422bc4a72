#include "grub-cfg.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "strbuf.h"

#define GRUB_CFG_MAX (64 * 1024)
#define URL_MAX      1024

/* clang-format off */
const char GRUB_CFG_DISPATCHER[] =
"# netbootd: every machine reads this, then its own configuration:\n"
"# $prefix/netbootd/<arch>/<mac>, rendered for it by netbootd.\n"
"set timeout=0\n"
"if [ -z \"$netbootd_arch\" ]; then\n"
"\tif [ \"$grub_cpu\" = \"arm64\" ]; then\n"
"\t\tset netbootd_arch=efi-arm64\n"
"\telse\n"
"\t\tset netbootd_arch=efi-x86_64\n"
"\tfi\n"
"fi\n"
"set netbootd_mac=\"$net_default_mac\"\n"
"if [ -z \"$netbootd_mac\" ]; then\n"
"\tset netbootd_mac=\"$net_efinet0_mac\"\n"
"fi\n"
"source \"$prefix/netbootd/$netbootd_arch/$netbootd_mac\"\n"
"echo \"netbootd: no configuration for $netbootd_mac, going on to the next boot device\"\n"
"sleep 10\n"
"exit\n";
/* clang-format on */

/* Nothing GRUB's parser would take apart inside double quotes, and no control characters. */
static bool
plain(const char *s)
{
	if (s == NULL || *s == '\0')
		return false;
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < ' ' || (unsigned char)*s >= 0x7f || strchr("\"'\\$`", *s))
			return false;
	return true;
}

/* One word, single-quoted; a quote inside becomes '\''. */
static void
quote_word(struct strbuf *sb, const char *w, size_t n)
{
	sb_str(sb, " '");
	for (size_t i = 0; i < n; i++)
		if (w[i] == '\'')
			sb_str(sb, "'\\''");
		else
			sb_add(sb, w + i, 1);
	sb_str(sb, "'");
}

/* The expanded command line, word by word. */
static void
quote_cmdline(struct strbuf *sb, const char *cmdline)
{
	const char *p = cmdline;

	while (*p != '\0') {
		size_t n;

		while (*p == ' ')
			p++;
		n = strcspn(p, " ");
		if (n > 0)
			quote_word(sb, p, n);
		p += n;
	}
}

/*
 * Where file i of the image is, in GRUB's syntax: an http:// origin URL as
 * (http,host:port)/path when the device is HTTP, else the device's own path.
 */
static int
file_path(const struct grub_vars *v, size_t i, const char *name, char *buf, size_t size)
{
	const char *url = v->ipxe.file_url[i];
	int n;

	if (url != NULL && strncmp(v->device, "(http,", 6) == 0 &&
	    strncmp(url, "http://", 7) == 0) {
		const char *host = url + 7, *path = strchr(host, '/');

		if (path == NULL || path == host)
			return -EINVAL;
		n = snprintf(buf, size, "(http,%.*s)%s", (int)(path - host), host, path);
	} else
		n = snprintf(buf, size, "%s/images/%s/%s", v->device, v->ipxe.image, name);
	return n < 0 || (size_t)n >= size || !plain(buf) ? -EINVAL : 0;
}

static void
cfg_boot(struct strbuf *sb, const struct grub_vars *v, const char *cmdline, const char *mac)
{
	char kernel[URL_MAX], initrd[URL_MAX];

	if (file_path(v, 0, "kernel", kernel, sizeof(kernel)) < 0 ||
	    file_path(v, 1, "initrd", initrd, sizeof(initrd)) < 0) {
		sb->error = -EINVAL;
		return;
	}
	sb_printf(sb, "# netbootd: %s boots image %s\nset timeout=0\n", mac, v->ipxe.image);
	sb_printf(sb, "echo \"netbootd: booting image %s on %s\"\n", v->ipxe.image, mac);
	sb_printf(sb, "if linux \"%s\"", kernel);
	quote_cmdline(sb, cmdline);
	sb_printf(sb, "; then\n\tif initrd \"%s\"; then\n\t\tboot\n\tfi\nfi\n", initrd);
	sb_printf(sb,
	    "echo \"netbootd: could not boot image %s (see above), going on to the next boot "
	    "device in %d s\"\nsleep %d\nexit\n",
	    v->ipxe.image, GRUB_CFG_FAIL_DELAY, GRUB_CFG_FAIL_DELAY);
}

static void
cfg_noimage(struct strbuf *sb, const char *mac, const char *missing)
{
	sb_printf(sb, "# netbootd: %s has no image to boot\n", mac);
	if (missing != NULL)
		sb_printf(sb,
		    "echo \"netbootd: no image to boot for %s: its image %s is missing\"\n", mac,
		    missing);
	else
		sb_printf(sb,
		    "echo \"netbootd: no image to boot for %s (set default.image, or keep exactly "
		    "one image)\"\n",
		    mac);
	sb_printf(sb, "echo \"netbootd: rebooting in %d s to ask again\"\nsleep %d\nreboot\n",
	    GRUB_CFG_NOIMAGE_DELAY, GRUB_CFG_NOIMAGE_DELAY);
}

int
grub_cfg_render(const char *tmpl, const struct grub_vars *v, char **ret)
{
	struct strbuf sb = STRBUF_INIT(GRUB_CFG_MAX);
	char mac[MAC_STRLEN], *cmdline = NULL;
	int r;

	if (!plain(v->device) || strlen(v->device) >= GRUB_DEVICE_MAX ||
	    (v->ipxe.image != NULL && !plain(v->ipxe.image)) ||
	    (v->ipxe.missing != NULL && !plain(v->ipxe.missing)))
		return -EINVAL;
	mac_format(v->ipxe.mac, ':', mac);
	if (v->ipxe.local)
		sb_printf(&sb,
		    "# netbootd: %s boots from its local disk\n"
		    "echo \"netbootd: %s boots from its local disk\"\nexit\n",
		    mac, mac);
	else if (v->ipxe.image == NULL)
		cfg_noimage(&sb, mac, v->ipxe.missing);
	else {
		if ((r = ipxe_cmdline_expand(tmpl, &v->ipxe, &cmdline)) < 0)
			return r;
		cfg_boot(&sb, v, cmdline, mac);
		free(cmdline);
	}
	return sb_finish(&sb, ret);
}

int
grub_cfg_path_parse(const char *path, enum boot_arch *ret_arch, uint8_t ret_mac[MAC_LEN])
{
	static const char dir[] = "netbootd/";
	char arch[16];
	const char *slash;

	while (*path == '/')
		path++;
	if (strncmp(path, "grub/", 5) == 0)
		path += 5;
	if (strncmp(path, dir, strlen(dir)) != 0)
		return -ENOENT;
	path += strlen(dir);
	slash = strchr(path, '/');
	if (slash == NULL || (size_t)(slash - path) >= sizeof(arch))
		return -ENOENT;
	memcpy(arch, path, (size_t)(slash - path));
	arch[slash - path] = '\0';
	if (boot_arch_from_name(arch, ret_arch) < 0 || *ret_arch == BOOT_ARCH_BIOS ||
	    mac_parse(slash + 1, ret_mac) < 0)
		return -ENOENT;
	return 0;
}
