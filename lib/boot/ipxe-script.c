#include "ipxe-script.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "strbuf.h"

#define SCRIPT_MAX   (64 * 1024)
#define VALUE_MAX    512
#define VAR_NAME_MAX 16

enum var {
	VAR_SERVER,
	VAR_IMAGE,
	VAR_MAC,
	VAR_KERNEL_URL,
	VAR_INITRD_URL,
	VAR_SQUASHFS_URL,
	VAR_CONFIG_URL,
	VAR_NETCONSOLE,
};

static const char *const var_names[] = {
    [VAR_SERVER] = "server",
    [VAR_IMAGE] = "image",
    [VAR_MAC] = "mac",
    [VAR_KERNEL_URL] = "kernel_url",
    [VAR_INITRD_URL] = "initrd_url",
    [VAR_SQUASHFS_URL] = "squashfs_url",
    [VAR_CONFIG_URL] = "config_url",
    [VAR_NETCONSOLE] = "netconsole",
};

static int
var_lookup(const char *name, size_t len)
{
	for (size_t i = 0; i < sizeof(var_names) / sizeof(var_names[0]); i++)
		if (strlen(var_names[i]) == len && memcmp(var_names[i], name, len) == 0)
			return (int)i;
	return -EINVAL;
}

/* Printable ASCII, no spaces: safe inside one word of an iPXE command line. */
static bool
word_safe(const char *s)
{
	if (*s == '\0')
		return false;
	for (; *s != '\0'; s++)
		if ((unsigned char)*s <= ' ' || (unsigned char)*s >= 0x7f)
			return false;
	return true;
}

/* The URL of file i (kernel, initrd, rootfs.squashfs) named 'name': snprintf's result. */
static int
file_url(const struct ipxe_vars *v, size_t i, const char *name, char *buf, size_t size)
{
	if (v->file_url[i] != NULL)
		return snprintf(buf, size, "%s", v->file_url[i]);
	return snprintf(buf, size, "%s/images/%s/%s", v->server, v->image, name);
}

static int
var_value(enum var var, const struct ipxe_vars *v, char buf[VALUE_MAX])
{
	static const char *const files[] = {
	    [VAR_KERNEL_URL] = "kernel",
	    [VAR_INITRD_URL] = "initrd",
	    [VAR_SQUASHFS_URL] = "rootfs.squashfs",
	};
	char mac[MAC_STRLEN];
	int n;

	if (var == VAR_MAC || var == VAR_CONFIG_URL)
		mac_format(v->mac, var == VAR_MAC ? ':' : '-', mac);
	if (var == VAR_SERVER)
		n = snprintf(buf, VALUE_MAX, "%s", v->server);
	else if (var == VAR_MAC)
		n = snprintf(buf, VALUE_MAX, "%s", mac);
	else if (var == VAR_CONFIG_URL)
		n = snprintf(buf, VALUE_MAX, "%s/config/%s%s", v->server, mac,
		    v->query != NULL ? v->query : "");
	else if (var == VAR_NETCONSOLE)
		n = v->syslog_addr != NULL && v->syslog_port != 0
		        ? snprintf(buf, VALUE_MAX, "@/,%u@%s/", v->syslog_port, v->syslog_addr)
		        : -1;
	else if (v->image == NULL)
		return -EINVAL;
	else if (var == VAR_IMAGE)
		n = snprintf(buf, VALUE_MAX, "%s", v->image);
	else
		n = file_url(v,
		    var == VAR_KERNEL_URL   ? 0
		    : var == VAR_INITRD_URL ? 1
		                            : 2,
		    files[var], buf, VALUE_MAX);
	if (n < 0 || n >= VALUE_MAX || !word_safe(buf))
		return -EINVAL;
	return 0;
}

/* Handle "{name}" at tmpl[0] == '{'.  Returns the bytes consumed or -EINVAL. */
static int
expand_placeholder(const char *tmpl, const struct ipxe_vars *v, struct strbuf *sb)
{
	const char *end = strchr(tmpl, '}');
	char buf[VALUE_MAX];
	int var;

	if (tmpl[1] == '{') {
		if (sb != NULL)
			sb_add(sb, "{", 1);
		return 2;
	}
	if (end == NULL || end - tmpl - 1 > VAR_NAME_MAX)
		return -EINVAL;
	var = var_lookup(tmpl + 1, (size_t)(end - tmpl - 1));
	if (var < 0)
		return -EINVAL;
	if (v != NULL) {
		if (var_value((enum var)var, v, buf) < 0)
			return -EINVAL;
		sb_str(sb, buf);
	}
	return (int)(end - tmpl + 1);
}

/* Walk the template; with v == NULL only check it. */
static int
expand(const char *tmpl, const struct ipxe_vars *v, struct strbuf *sb)
{
	if (strlen(tmpl) > IPXE_CMDLINE_MAX)
		return -EINVAL;
	while (*tmpl != '\0') {
		unsigned char c = (unsigned char)*tmpl;
		int n;

		if (c < ' ' || c == 0x7f)
			return -EINVAL;
		if (c != '{') { /* the run of plain text up to the next placeholder */
			size_t run = 1;

			while (tmpl[run] != '\0' && tmpl[run] != '{' &&
			       (unsigned char)tmpl[run] >= ' ' && tmpl[run] != 0x7f)
				run++;
			if (sb != NULL)
				sb_add(sb, tmpl, run);
			tmpl += run;
			continue;
		}
		n = expand_placeholder(tmpl, v, sb);
		if (n < 0)
			return n;
		tmpl += n;
	}
	if (sb != NULL && sb->len > IPXE_CMDLINE_MAX && sb->error == 0)
		sb->error = -EINVAL;
	return 0;
}

int
ipxe_cmdline_validate(const char *tmpl)
{
	return expand(tmpl, NULL, NULL);
}

int
ipxe_cmdline_expand(const char *tmpl, const struct ipxe_vars *v, char **ret)
{
	struct strbuf sb = STRBUF_INIT(SCRIPT_MAX);
	int r;

	if (!word_safe(v->server))
		return -EINVAL;
	r = expand(tmpl != NULL ? tmpl : IPXE_DEFAULT_CMDLINE, v, &sb);
	if (r < 0) {
		free(sb.p);
		return r;
	}
	return sb_finish(&sb, ret);
}

/* Lines that try 'cmd' IPXE_SCRIPT_TRIES times, then jump to :failed. */
static void
script_try(
    struct strbuf *sb, const char *label, const char *what, const char *cmd, const char *next)
{
	sb_printf(sb, ":%s\nset netbootd_try:int32 0\n:%s_retry\n", label, label);
	sb_str(sb, cmd);
	sb_printf(sb, " && goto %s ||\n", next);
	sb_str(sb, "inc netbootd_try\n");
	sb_printf(sb, "iseq ${netbootd_try} %d && goto failed ||\n", IPXE_SCRIPT_TRIES);
	sb_printf(sb, "echo netbootd: %s download failed, retrying in %d s\n", what,
	    IPXE_SCRIPT_RETRY_DELAY);
	sb_printf(sb, "sleep %d\ngoto %s_retry\n", IPXE_SCRIPT_RETRY_DELAY, label);
}

static void
script_boot(struct strbuf *sb, const struct ipxe_vars *v, const char *cmdline, const char *mac,
    const char *self)
{
	struct strbuf cmd = STRBUF_INIT(SCRIPT_MAX);
	char url[VALUE_MAX];

	sb_str(sb, "#!ipxe\n");
	sb_printf(sb, "echo netbootd: booting image %s on %s\n", v->image, mac);
	if (file_url(v, 0, "kernel", url, sizeof(url)) >= (int)sizeof(url) || !word_safe(url))
		sb->error = -EINVAL;
	sb_printf(&cmd, "kernel %s ", url);
	sb_str(&cmd, cmdline);
	sb_str(&cmd, " initrd=initrd");
	if (cmd.error != 0)
		sb->error = cmd.error;
	else
		script_try(sb, "kernel", "kernel", cmd.p, "initrd");
	free(cmd.p);
	cmd = (struct strbuf)STRBUF_INIT(SCRIPT_MAX);
	if (file_url(v, 1, "initrd", url, sizeof(url)) >= (int)sizeof(url) || !word_safe(url))
		sb->error = -EINVAL;
	sb_printf(&cmd, "initrd --name initrd %s", url);
	if (cmd.error != 0)
		sb->error = cmd.error;
	else
		script_try(sb, "initrd", "initrd", cmd.p, "boot");
	free(cmd.p);
	sb_str(sb, ":boot\nboot ||\n:failed\n");
	sb_printf(sb, "echo netbootd: could not boot %s, trying again in %d s\n", v->image,
	    IPXE_SCRIPT_FAIL_DELAY);
	sb_printf(sb, "imgfree ||\nsleep %d\ndhcp ||\n", IPXE_SCRIPT_FAIL_DELAY);
	sb_printf(sb, "chain --replace %s || goto failed\n", self);
}

/*
 * An EFI image: chain its boot.efi (iPXE on UEFI starts it as the firmware
 * would); an ISO image: sanboot its boot.iso, a drive iPXE reads over HTTP.
 */
static void
script_efi(struct strbuf *sb, const struct ipxe_vars *v, const char *mac, const char *self)
{
	char cmd[VALUE_MAX + 32];
	int n = snprintf(cmd, sizeof(cmd), "%s %s/images/%s/%s",
	    v->iso ? "sanboot --no-describe" : "chain", v->server, v->image,
	    v->iso ? "boot.iso" : "boot.efi");

	if (n < 0 || (size_t)n >= sizeof(cmd)) {
		sb->error = -EINVAL;
		return;
	}
	sb_str(sb, "#!ipxe\n");
	sb_printf(sb, "echo netbootd: booting %s image %s on %s\n", v->iso ? "ISO" : "EFI",
	    v->image, mac);
	script_try(
	    sb, v->iso ? "iso" : "efi", v->iso ? "ISO image" : "EFI application", cmd, "failed");
	sb_str(sb, ":failed\n");
	sb_printf(sb, "echo netbootd: could not boot %s, trying again in %d s\n", v->image,
	    IPXE_SCRIPT_FAIL_DELAY);
	sb_printf(sb, "imgfree ||\nsleep %d\ndhcp ||\n", IPXE_SCRIPT_FAIL_DELAY);
	sb_printf(sb, "chain --replace %s || goto failed\n", self);
}

static void
script_noimage(struct strbuf *sb, const char *mac, const char *missing, const char *self)
{
	sb_str(sb, "#!ipxe\n:retry\n");
	if (missing != NULL)
		sb_printf(sb, "echo netbootd: no image to boot for %s: its image %s is missing\n",
		    mac, missing);
	else
		sb_printf(sb,
		    "echo netbootd: no image to boot for %s (set default.image, or keep "
		    "exactly one image)\n",
		    mac);
	sb_printf(sb, "echo netbootd: asking again in %d s\n", IPXE_SCRIPT_NOIMAGE_DELAY);
	sb_printf(sb, "sleep %d\n", IPXE_SCRIPT_NOIMAGE_DELAY);
	sb_printf(sb, "chain --replace %s || goto retry\n", self);
}

/* Boot from the disk: iPXE hands back to the firmware, which tries its next boot device. */
static void
script_local(struct strbuf *sb, const char *mac)
{
	sb_str(sb, "#!ipxe\n");
	sb_printf(sb, "echo netbootd: %s boots from its local disk\n", mac);
	sb_str(sb, "exit\n");
}

int
ipxe_script_render(const char *tmpl, const struct ipxe_vars *v, char **ret)
{
	char mac[MAC_STRLEN], machy[MAC_STRLEN], self[VALUE_MAX];
	bool ok = word_safe(v->server) && (v->image == NULL || word_safe(v->image)) &&
	          (v->missing == NULL || word_safe(v->missing)) &&
	          (v->query == NULL || v->query[0] == '\0' || word_safe(v->query));
	struct strbuf sb = STRBUF_INIT(SCRIPT_MAX);
	char *cmdline = NULL;
	int r;

	mac_format(v->mac, ':', mac);
	mac_format(v->mac, '-', machy);
	r = snprintf(
	    self, sizeof(self), "%s/ipxe/%s%s", v->server, machy, v->query != NULL ? v->query : "");
	if (!ok || r < 0 || (size_t)r >= sizeof(self))
		return -EINVAL;
	if (v->local) {
		script_local(&sb, mac);
		return sb_finish(&sb, ret);
	}
	if (v->image == NULL) {
		script_noimage(&sb, mac, v->missing, self);
		return sb_finish(&sb, ret);
	}
	if (v->efi) {
		script_efi(&sb, v, mac, self);
		return sb_finish(&sb, ret);
	}
	r = ipxe_cmdline_expand(tmpl, v, &cmdline);
	if (r < 0)
		return r;
	script_boot(&sb, v, cmdline, mac, self);
	free(cmdline);
	return sb_finish(&sb, ret);
}
