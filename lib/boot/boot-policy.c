#include "boot-policy.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

/* RFC 4578 / IANA processor architectures (option 93) and the loader each gets. */
#define NO_LOADER _BOOT_LOADER_MAX

static const struct {
	uint16_t arch;
	unsigned slot; /* enum boot_loader_slot, NO_LOADER: known but none */
	bool http;     /* an HTTP Boot architecture */
} arch_loaders[] = {
    {0, BOOT_LOADER_BIOS, false},   /* BIOS */
    {6, BOOT_LOADER_EFI32, false},  /* EFI IA32 */
    {7, BOOT_LOADER_EFI64, false},  /* EFI x86-64 */
    {9, BOOT_LOADER_EFI64, false},  /* EFI BC: x86-64 in practice */
    {10, NO_LOADER, false},         /* EFI ARM32 */
    {11, BOOT_LOADER_ARM64, false}, /* EFI ARM64 */
    {16, BOOT_LOADER_EFI64, true},  /* HTTP x86-64 */
    {19, BOOT_LOADER_ARM64, true},  /* HTTP ARM64 */
};

static const char *
nonempty(const char *s)
{
	return s != NULL && s[0] != '\0' ? s : NULL;
}

/* The loader for a PXE ROM or an HTTP Boot client; BOOT_REASON_LOADER or why not. */
static enum boot_reason
pick_loader(const struct boot_view *v, const struct boot_client *c, const char **ret)
{
	bool http = c->firmware == BOOT_FIRMWARE_HTTP;
	size_t i = 0;

	while (i < ELEMENTSOF(arch_loaders) && arch_loaders[i].arch != c->arch)
		i++;
	/* An HTTP arch from a PXE ROM (or the reverse) is as unknown as any. */
	if (!c->has_arch || i == ELEMENTSOF(arch_loaders) || arch_loaders[i].http != http)
		return BOOT_REASON_UNKNOWN_ARCH;
	if (arch_loaders[i].slot == NO_LOADER || nonempty(v->loaders[arch_loaders[i].slot]) == NULL)
		return BOOT_REASON_NO_LOADER;
	*ret = v->loaders[arch_loaders[i].slot];
	return BOOT_REASON_LOADER;
}

bool
boot_loader_known(const struct boot_view *v, const char *name)
{
	for (size_t i = 0; i < _BOOT_LOADER_MAX; i++)
		if (nonempty(v->loaders[i]) != NULL && strcmp(v->loaders[i], name) == 0)
			return true;
	return false;
}

static void
set_name(char buf[NAME_MAX_LEN + 1], const char *name)
{
	snprintf(buf, NAME_MAX_LEN + 1, "%s", name);
}

/* The machine's entry, if it has a MAC and the store knows it. */
static bool
lookup(const struct boot_view *v, const struct boot_client *c, struct boot_machine *ret)
{
	*ret = (struct boot_machine){0};
	return c->has_mac && v->machine(v->userdata, c->mac, ret) == 0;
}

int
boot_default_image(const struct boot_view *v, char **ret, enum boot_reason *ret_reason)
{
	const char *name = v->default_image != NULL ? v->default_image : v->cfg_image;
	int r;

	*ret_reason =
	    v->default_image != NULL ? BOOT_REASON_DEFAULT_IMAGE : BOOT_REASON_CONFIG_IMAGE;
	if (name != NULL)
		return (*ret = strdup(name)) != NULL ? 0 : -ENOMEM;
	*ret_reason = BOOT_REASON_ONLY_IMAGE;
	r = v->image_only(v->userdata, ret);
	if (r == -ENOENT)
		*ret = NULL;
	return r == -ENOENT ? 0 : r;
}

/*
 * Which image the machine boots: plan->image and NETBOOT, or WAIT (none, or
 * plan->missing), or IGNORE (unknown while default boot is off).
 */
static int
decide_image(const struct boot_view *v, const struct boot_machine *m, struct boot_plan *p)
{
	_cleanup_free_ char *def = NULL;
	enum boot_reason why = BOOT_REASON_ASSIGNED;
	const char *name = m->image;
	int r;

	if (!p->known && !v->default_boot) {
		p->action = BOOT_IGNORE, p->reason = BOOT_REASON_DEFAULT_BOOT_OFF;
		return 0;
	}
	if (name == NULL) {
		if ((r = boot_default_image(v, &def, &why)) < 0)
			return r;
		name = def;
	}
	if (name == NULL) {
		p->action = BOOT_WAIT, p->reason = BOOT_REASON_NO_IMAGE;
	} else if (!name_valid(name) || !v->image_exists(v->userdata, name)) {
		p->action = BOOT_WAIT, p->reason = BOOT_REASON_IMAGE_MISSING;
		set_name(p->missing, name);
	} else {
		p->action = BOOT_NETBOOT, p->reason = why;
		set_name(p->image, name);
	}
	return 0;
}

/* The template: the image's own or the default, then the machine's, appended or instead. */
static int
compose_cmdline(const struct boot_view *v, const struct boot_machine *m, struct boot_plan *p)
{
	_cleanup_free_ char *own = NULL;
	const char *base;
	int r;

	if (m->cmdline != NULL && m->cmdline_mode == BOOT_CMDLINE_REPLACE)
		return (p->cmdline = strdup(m->cmdline)) != NULL ? 0 : -ENOMEM;
	if ((r = v->image_cmdline(v->userdata, p->image, &own)) < 0)
		return r;
	base = own != NULL ? own : v->cmdline != NULL ? v->cmdline : "";
	if (m->cmdline != NULL && m->cmdline[0] != '\0')
		r = asprintf(&p->cmdline, "%s %s", base, m->cmdline) < 0 ? -ENOMEM : 0;
	else
		r = (p->cmdline = strdup(base)) != NULL ? 0 : -ENOMEM;
	if (r < 0)
		p->cmdline = NULL;
	return r;
}

static int
decide_dhcp(const struct boot_view *v, const struct boot_client *c, struct boot_plan *p)
{
	struct boot_machine m;

	p->action = BOOT_IGNORE;
	if (c->firmware == BOOT_FIRMWARE_NONE)
		p->reason = BOOT_REASON_NOT_BOOT_CLIENT;
	else if (c->firmware == BOOT_FIRMWARE_IPXE)
		p->reason = c->has_mac ? BOOT_REASON_SCRIPT : BOOT_REASON_NO_MAC;
	else
		p->reason = pick_loader(v, c, &p->loader);
	if (p->reason != BOOT_REASON_SCRIPT && p->reason != BOOT_REASON_LOADER)
		return 0;
	p->known = lookup(v, c, &m);
	if (c->has_mac && !p->known && !v->default_boot)
		p->reason = BOOT_REASON_DEFAULT_BOOT_OFF;
	else if (p->known && m.image != NULL &&
	         (!name_valid(m.image) || !v->image_exists(v->userdata, m.image))) {
		p->reason = BOOT_REASON_IMAGE_MISSING;
		set_name(p->missing, m.image);
	} else
		p->action = BOOT_NETBOOT;
	if (p->action == BOOT_IGNORE)
		p->loader = NULL;
	return 0;
}

static int
decide_script(const struct boot_view *v, const struct boot_client *c, struct boot_plan *p)
{
	struct boot_machine m;
	int r;

	p->known = lookup(v, c, &m);
	if ((r = decide_image(v, &m, p)) < 0)
		return r;
	return p->action == BOOT_NETBOOT ? compose_cmdline(v, &m, p) : 0;
}

static int
decide_config(const struct boot_view *v, const struct boot_client *c, struct boot_plan *p)
{
	struct boot_machine m;
	const char *name;
	int r;

	p->known = lookup(v, c, &m);
	if ((r = decide_image(v, &m, p)) < 0)
		return r;
	p->action = BOOT_NETBOOT;
	name = m.config != NULL ? m.config : v->default_config;
	if (name != NULL) {
		p->config_source = BOOT_CONFIG_STORED;
		set_name(p->config, name);
	} else
		p->config_source =
		    v->cfg_cloud_config != NULL ? BOOT_CONFIG_FILE : BOOT_CONFIG_BUILTIN;
	return 0;
}

int
boot_decide(const struct boot_view *v, const struct boot_client *c, enum boot_service service,
    struct boot_plan *ret)
{
	struct boot_plan p = {.action = BOOT_IGNORE};
	int r;

	if (service != BOOT_SERVICE_DHCP && !c->has_mac)
		return -EINVAL;
	switch (service) {
	case BOOT_SERVICE_DHCP:
		r = decide_dhcp(v, c, &p);
		break;
	case BOOT_SERVICE_SCRIPT:
		r = decide_script(v, c, &p);
		break;
	case BOOT_SERVICE_CONFIG:
		r = decide_config(v, c, &p);
		break;
	default:
		return -EINVAL;
	}
	if (r < 0) {
		boot_plan_done(&p);
		return r;
	}
	*ret = p;
	return 0;
}

void
boot_plan_done(struct boot_plan *p)
{
	free(p->cmdline);
	p->cmdline = NULL;
}

const char *
boot_reason_name(enum boot_reason r)
{
	static const char *const names[_BOOT_REASON_MAX] = {
	    [BOOT_REASON_ASSIGNED] = "assigned to it",
	    [BOOT_REASON_DEFAULT_IMAGE] = "the default image",
	    [BOOT_REASON_CONFIG_IMAGE] = "default.image of the configuration",
	    [BOOT_REASON_ONLY_IMAGE] = "the only image",
	    [BOOT_REASON_LOADER] = "the loader of its architecture",
	    [BOOT_REASON_SCRIPT] = "its iPXE script",
	    [BOOT_REASON_NOT_BOOT_CLIENT] = "not a PXE or HTTP boot client",
	    [BOOT_REASON_UNKNOWN_ARCH] = "unsupported architecture",
	    [BOOT_REASON_NO_LOADER] = "no loader configured for this architecture",
	    [BOOT_REASON_NO_MAC] = "no Ethernet MAC address for the script URL",
	    [BOOT_REASON_DEFAULT_BOOT_OFF] = "default boot disabled",
	    [BOOT_REASON_IMAGE_MISSING] = "its image is missing",
	    [BOOT_REASON_NO_IMAGE] = "no image to boot",
	    [BOOT_REASON_MACHINE_PROFILE] = "the profile of its machine entry",
	    [BOOT_REASON_GROUP] = "the profile of its group",
	    [BOOT_REASON_LOCAL] = "its profile boots from the local disk",
	    [BOOT_REASON_PROFILE_IGNORE] = "its profile says ignore",
	};

	return (unsigned)r < _BOOT_REASON_MAX ? names[r] : "unknown";
}
