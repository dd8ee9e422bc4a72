#include "boot-policy.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "boot-select.h"
#include "util.h"

/* RFC 4578 / IANA processor architectures (option 93) and the loader each gets. */
#define NO_LOADER _BOOT_LOADER_MAX
#define NO_EFI    _BOOT_EFI_MAX

static const struct {
	uint16_t arch;
	unsigned slot; /* enum boot_loader_slot, NO_LOADER: known but none */
	unsigned efi;  /* enum boot_efi_arch: GRUB's, NO_EFI: none */
	bool http;     /* an HTTP Boot architecture */
} arch_loaders[] = {
    {0, BOOT_LOADER_BIOS, NO_EFI, false},           /* BIOS */
    {6, BOOT_LOADER_EFI32, NO_EFI, false},          /* EFI IA32 */
    {7, BOOT_LOADER_EFI64, BOOT_EFI_X86_64, false}, /* EFI x86-64 */
    {9, BOOT_LOADER_EFI64, BOOT_EFI_X86_64, false}, /* EFI BC: x86-64 in practice */
    {10, NO_LOADER, NO_EFI, false},                 /* EFI ARM32 */
    {11, BOOT_LOADER_ARM64, BOOT_EFI_ARM64, false}, /* EFI ARM64 */
    {16, BOOT_LOADER_EFI64, BOOT_EFI_X86_64, true}, /* HTTP x86-64 */
    {19, BOOT_LOADER_ARM64, BOOT_EFI_ARM64, true},  /* HTTP ARM64 */
};

/* The TFTP names of the GRUB loaders, by kind and architecture (HTTP: "/" before them). */
static const char *const grub_loaders[_BOOT_LOADER_KIND_MAX][_BOOT_EFI_MAX] = {
    [BOOT_LOADER_GRUB] = {"loaders/x86_64-efi/" BOOT_NETBOOTD_GRUB_NAME,
        "loaders/arm64-efi/" BOOT_NETBOOTD_GRUB_NAME},
    [BOOT_LOADER_SHIM_GRUB] = {"loaders/x86_64-efi/shimx64.efi", "loaders/arm64-efi/shimaa64.efi"},
};

static const char *const loader_kind_names[_BOOT_LOADER_KIND_MAX] = {
    [BOOT_LOADER_IPXE] = "ipxe",
    [BOOT_LOADER_GRUB] = "grub",
    [BOOT_LOADER_SHIM_GRUB] = "shim-grub",
};

int
boot_loader_kind_from_name(const char *s, enum boot_loader_kind *ret)
{
	if (s == NULL) {
		*ret = BOOT_LOADER_IPXE;
		return 0;
	}
	for (size_t k = 0; k < _BOOT_LOADER_KIND_MAX; k++)
		if (strcmp(s, loader_kind_names[k]) == 0) {
			*ret = (enum boot_loader_kind)k;
			return 0;
		}
	return -EINVAL;
}

const char *
boot_loader_kind_name(enum boot_loader_kind k)
{
	return (unsigned)k < _BOOT_LOADER_KIND_MAX ? loader_kind_names[k] : "unknown";
}

const char *
boot_efi_arch_dir(enum boot_efi_arch a)
{
	return a == BOOT_EFI_ARM64 ? "arm64-efi" : "x86_64-efi";
}

const char *
boot_efi_shim_name(enum boot_efi_arch a)
{
	return a == BOOT_EFI_ARM64 ? "shimaa64.efi" : "shimx64.efi";
}

const char *
boot_efi_signed_grub_name(enum boot_efi_arch a)
{
	return a == BOOT_EFI_ARM64 ? "grubaa64.efi" : "grubx64.efi";
}

static const char *
nonempty(const char *s)
{
	return s != NULL && s[0] != '\0' ? s : NULL;
}

/* The row of the client's architecture, or -1: one we know nothing about. */
static int
arch_row(const struct boot_client *c)
{
	bool http = c->firmware == BOOT_FIRMWARE_HTTP;
	size_t i = 0;

	while (i < ELEMENTSOF(arch_loaders) && arch_loaders[i].arch != c->arch)
		i++;
	/* An HTTP arch from a PXE ROM (or the reverse) is as unknown as any. */
	if (!c->has_arch || i == ELEMENTSOF(arch_loaders) || arch_loaders[i].http != http)
		return -1;
	return (int)i;
}

/* iPXE's loader of the row, else (Debian has no iPXE for ARM64) netbootd's GRUB. */
static enum boot_reason
pick_ipxe(const struct boot_view *v, size_t i, struct boot_plan *p)
{
	unsigned slot = arch_loaders[i].slot, efi = arch_loaders[i].efi;

	if (slot != NO_LOADER && nonempty(v->loaders[slot]) != NULL) {
		p->loader = v->loaders[slot], p->loader_kind = BOOT_LOADER_IPXE;
		return BOOT_REASON_LOADER;
	}
	if (efi == BOOT_EFI_ARM64 && v->grub[efi]) {
		p->loader = grub_loaders[BOOT_LOADER_GRUB][efi], p->loader_kind = BOOT_LOADER_GRUB;
		return BOOT_REASON_LOADER;
	}
	return BOOT_REASON_NO_LOADER;
}

/* The loader for a PXE ROM or an HTTP Boot client, as its profile names it; or why not. */
static enum boot_reason
pick_loader(const struct boot_view *v, const struct boot_client *c,
    const struct fleet_profile *prof, struct boot_plan *p)
{
	enum boot_loader_kind kind = BOOT_LOADER_IPXE;
	int i = arch_row(c);
	unsigned efi;

	if (i < 0)
		return BOOT_REASON_UNKNOWN_ARCH;
	if (prof != NULL && boot_loader_kind_from_name(prof->loader, &kind) < 0)
		kind = BOOT_LOADER_IPXE; /* the fleet's checks let no other through */
	efi = arch_loaders[i].efi;
	/* BIOS has no GRUB here: iPXE, which it can run. */
	if (kind == BOOT_LOADER_IPXE || arch_loaders[i].slot == BOOT_LOADER_BIOS)
		return pick_ipxe(v, (size_t)i, p);
	if (efi == NO_EFI)
		return BOOT_REASON_NO_GRUB;
	if (kind == BOOT_LOADER_SHIM_GRUB && arch_loaders[i].http)
		return BOOT_REASON_SHIM_HTTP;
	if (!(kind == BOOT_LOADER_GRUB ? v->grub[efi] : v->shim[efi]))
		return BOOT_REASON_NO_GRUB;
	p->loader = grub_loaders[kind][efi], p->loader_kind = kind;
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

/* The plan's profile, group and labels, as the want and the entry name them. */
static void
plan_names(const struct boot_want *w, const struct boot_machine *m, struct boot_plan *p)
{
	p->profile = w->profile != NULL ? w->profile->name : NULL;
	p->group = w->group != NULL ? w->group->name : NULL;
	p->labels = m->labels;
}

/* A refusal of the want (default boot off, a missing profile, ignore); false when none. */
static bool
want_refused(const struct boot_want *w, struct boot_plan *p)
{
	if (w->action != FLEET_ACTION_IGNORE)
		return false;
	p->action = BOOT_IGNORE;
	p->reason = w->why == BOOT_REASON_DEFAULT_BOOT_OFF ||
	                    w->why == BOOT_REASON_PROFILE_MISSING || w->why == BOOT_REASON_INSTALLED
	                ? w->why
	                : BOOT_REASON_PROFILE_IGNORE;
	return true;
}

/*
 * The lifecycle: the plan reports back unless its profile says not to; an
 * installed machine that would netboot gets its profile's after_install.
 */
static void
want_lifecycle(const struct boot_view *v, const struct boot_client *c, struct boot_want *w,
    struct boot_plan *p)
{
	const struct fleet_profile *prof = w->profile;

	p->report = prof == NULL || !prof->no_report;
	p->after_install = prof != NULL ? prof->after_install : FLEET_AFTER_LOCAL;
	p->installed = p->report && c->has_mac && v->installed != NULL &&
	               v->installed(v->lifecycle_userdata, c->mac);
	if (!p->installed || w->action != FLEET_ACTION_NETBOOT ||
	    p->after_install == FLEET_AFTER_NETBOOT)
		return;
	w->action =
	    p->after_install == FLEET_AFTER_IGNORE ? FLEET_ACTION_IGNORE : FLEET_ACTION_LOCAL;
	w->why = BOOT_REASON_INSTALLED;
}

/*
 * Which image the want boots: plan->image and NETBOOT, or WAIT (none, or
 * plan->missing).
 */
static int
decide_image(const struct boot_view *v, const struct boot_want *w, struct boot_plan *p)
{
	_cleanup_free_ char *def = NULL;
	enum boot_reason why = w->why;
	const char *name = w->image;
	int r;

	if (name == NULL) {
		enum boot_reason dwhy;

		if ((r = boot_default_image(v, &def, &dwhy)) < 0)
			return r;
		name = def;
		if (why == BOOT_REASON_NO_IMAGE)
			why = dwhy;
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

/* The template: the image's own or the default, then the want's, appended or instead. */
static int
compose_base(const struct boot_view *v, const struct boot_want *w, const char *image, char **ret)
{
	_cleanup_free_ char *own = NULL;
	const char *base;
	char *s;
	int r;

	if (w->cmdline != NULL && w->cmdline_mode == BOOT_CMDLINE_REPLACE)
		s = strdup(w->cmdline);
	else {
		if ((r = v->image_cmdline(v->userdata, image, &own)) < 0)
			return r;
		base = own != NULL ? own : v->cmdline != NULL ? v->cmdline : "";
		if (w->cmdline == NULL || w->cmdline[0] == '\0')
			s = strdup(base);
		else if (asprintf(&s, "%s %s", base, w->cmdline) < 0)
			s = NULL;
	}
	if (s == NULL)
		return -ENOMEM;
	*ret = s;
	return 0;
}

/* The template, and " netconsole={netconsole}" after it when the profile asks and syslog is on. */
static int
compose_cmdline(const struct boot_view *v, const struct boot_want *w, struct boot_plan *p)
{
	_cleanup_free_ char *s = NULL;
	int r;

	if ((r = compose_base(v, w, p->image, &s)) < 0)
		return r;
	p->netconsole = BOOT_NETCONSOLE_NONE;
	if (w->profile != NULL && w->profile->netconsole)
		p->netconsole = v->syslog ? BOOT_NETCONSOLE_ADDED : BOOT_NETCONSOLE_NO_SYSLOG;
	if (p->netconsole != BOOT_NETCONSOLE_ADDED) {
		p->cmdline = TAKE_PTR(s);
		return 0;
	}
	if (asprintf(&p->cmdline, "%s%snetconsole={netconsole}", s, s[0] != '\0' ? " " : "") < 0) {
		p->cmdline = NULL;
		return -ENOMEM;
	}
	return 0;
}

/* The client's firmware and loader: BOOT_REASON_SCRIPT or _LOADER, or why not. */
static enum boot_reason
dhcp_client(const struct boot_view *v, const struct boot_client *c)
{
	int i;
	unsigned slot, efi;

	if (c->firmware == BOOT_FIRMWARE_NONE)
		return BOOT_REASON_NOT_BOOT_CLIENT;
	if (c->firmware == BOOT_FIRMWARE_IPXE)
		return c->has_mac ? BOOT_REASON_SCRIPT : BOOT_REASON_NO_MAC;
	if ((i = arch_row(c)) < 0)
		return BOOT_REASON_UNKNOWN_ARCH;
	/* No loader of any kind for the architecture: whatever the machine's profile says. */
	slot = arch_loaders[i].slot, efi = arch_loaders[i].efi;
	if ((slot == NO_LOADER || nonempty(v->loaders[slot]) == NULL) &&
	    (efi == NO_EFI || (!v->grub[efi] && !v->shim[efi])))
		return BOOT_REASON_NO_LOADER;
	return BOOT_REASON_LOADER;
}

/*
 * DHCP: answer unless the want refuses, names an image that does not
 * exist, or boots from the disk where the client has no iPXE to say so.
 */
static void
dhcp_want(const struct boot_view *v, const struct boot_client *c, const struct boot_want *w,
    struct boot_plan *p)
{
	if (want_refused(w, p))
		return;
	if (w->image != NULL &&
	    (!name_valid(w->image) || !v->image_exists(v->userdata, w->image))) {
		p->action = BOOT_IGNORE, p->reason = BOOT_REASON_IMAGE_MISSING;
		set_name(p->missing, w->image);
	} else if (w->action == FLEET_ACTION_LOCAL) {
		p->action = c->firmware == BOOT_FIRMWARE_IPXE ? BOOT_LOCAL : BOOT_IGNORE;
		p->reason = c->firmware == BOOT_FIRMWARE_IPXE ? p->reason
		            : w->why == BOOT_REASON_INSTALLED ? w->why
		                                              : BOOT_REASON_LOCAL;
	} else
		p->action = BOOT_NETBOOT;
}

/*
 * DHCP, UEFI firmware (PXE ROM or HTTP Boot) whose want boots an image: when
 * that image is an EFI application, or an ISO and the firmware boots over
 * HTTP, its file is the boot file (plan.efi_image).  *ret_kind: the image's.
 */
static int
dhcp_efi_image(const struct boot_view *v, const struct boot_client *c, const struct boot_want *w,
    struct boot_plan *p, enum boot_image_kind *ret_kind)
{
	struct boot_plan q = {.action = BOOT_IGNORE};
	int i = arch_row(c), r;

	*ret_kind = BOOT_IMAGE_LINUX;
	if (v->image_kind == NULL || c->firmware == BOOT_FIRMWARE_IPXE || i < 0 ||
	    arch_loaders[i].efi == NO_EFI)
		return 0;
	if ((r = decide_image(v, w, &q)) < 0)
		return r;
	if (q.action != BOOT_NETBOOT)
		return 0;
	*ret_kind = v->image_kind(v->userdata, q.image);
	if (*ret_kind == BOOT_IMAGE_EFI ||
	    (*ret_kind == BOOT_IMAGE_ISO && c->firmware == BOOT_FIRMWARE_HTTP)) {
		set_name(p->image, q.image);
		set_name(p->efi_image, q.image);
		p->efi_iso = *ret_kind == BOOT_IMAGE_ISO;
	}
	return 0;
}

const char *
boot_plan_loader(const struct boot_plan *p, char buf[BOOT_PLAN_LOADER_MAX])
{
	if (p->efi_image[0] == '\0')
		return p->loader;
	snprintf(buf, BOOT_PLAN_LOADER_MAX, "images/%s/%s", p->efi_image,
	    p->efi_iso ? "boot.iso" : "boot.efi");
	return buf;
}

/*
 * DHCP, a plan that boots through a loader: pick it (pick_loader()); an ISO
 * image there boots through iPXE's sanboot only.
 */
static void
dhcp_loader(const struct boot_view *v, const struct boot_client *c,
    const struct fleet_profile *prof, enum boot_image_kind kind, struct boot_plan *p)
{
	p->reason = pick_loader(v, c, prof, p);
	if (kind == BOOT_IMAGE_ISO &&
	    ((p->reason == BOOT_REASON_LOADER && p->loader_kind != BOOT_LOADER_IPXE) ||
	        p->reason == BOOT_REASON_NO_GRUB || p->reason == BOOT_REASON_SHIM_HTTP))
		p->reason = BOOT_REASON_ISO_LOADER; /* whether or not GRUB is there */
	if (p->reason != BOOT_REASON_LOADER)
		p->action = BOOT_IGNORE;
}

static int
decide_dhcp(const struct boot_view *v, const struct boot_client *c, struct boot_plan *p,
    struct boot_trace *t)
{
	struct boot_machine m;
	struct boot_want w;
	bool no_loader; /* none for the arch: only an EFI image can be answered */
	enum boot_image_kind kind = BOOT_IMAGE_LINUX;
	int r;

	p->action = BOOT_IGNORE;
	p->reason = dhcp_client(v, c);
	no_loader = p->reason == BOOT_REASON_NO_LOADER && v->image_kind != NULL;
	if (p->reason != BOOT_REASON_SCRIPT && p->reason != BOOT_REASON_LOADER && !no_loader)
		return 0;
	if (no_loader)
		p->reason = BOOT_REASON_LOADER;
	p->known = lookup(v, c, &m);
	if (boot_select(v, c, &m, p->known, &w, t) < 0)
		return -ENOMEM;
	plan_names(&w, &m, p);
	want_lifecycle(v, c, &w, p);
	dhcp_want(v, c, &w, p);
	if (p->action == BOOT_NETBOOT && p->reason == BOOT_REASON_LOADER &&
	    (r = dhcp_efi_image(v, c, &w, p, &kind)) < 0)
		return r;
	if (no_loader && p->efi_image[0] == '\0') { /* as if never asked */
		*p = (struct boot_plan){.action = BOOT_IGNORE, .reason = BOOT_REASON_NO_LOADER};
		if (t != NULL)
			boot_trace_done(t);
		return 0;
	}
	if (p->action == BOOT_NETBOOT && p->reason == BOOT_REASON_LOADER && p->efi_image[0] == '\0')
		dhcp_loader(v, c, w.profile, kind, p);
	if (p->action == BOOT_IGNORE)
		p->loader = NULL;
	return 0;
}

static int
decide_script(const struct boot_view *v, const struct boot_client *c, struct boot_plan *p,
    struct boot_trace *t)
{
	struct boot_machine m;
	struct boot_want w;
	enum boot_image_kind kind;
	int r;

	p->known = lookup(v, c, &m);
	if ((r = boot_select(v, c, &m, p->known, &w, t)) < 0)
		return r;
	plan_names(&w, &m, p);
	want_lifecycle(v, c, &w, p);
	if (want_refused(&w, p))
		return 0;
	if (w.action == FLEET_ACTION_LOCAL) {
		p->action = BOOT_LOCAL, p->reason = w.why;
		return 0;
	}
	if ((r = decide_image(v, &w, p)) < 0)
		return r;
	kind = p->action == BOOT_NETBOOT && v->image_kind != NULL
	           ? v->image_kind(v->userdata, p->image)
	           : BOOT_IMAGE_LINUX;
	if (kind != BOOT_IMAGE_LINUX) {
		set_name(p->efi_image, p->image);
		p->efi_iso = kind == BOOT_IMAGE_ISO;
	}
	return p->action == BOOT_NETBOOT ? compose_cmdline(v, &w, p) : 0;
}

static int
decide_config(const struct boot_view *v, const struct boot_client *c, struct boot_plan *p,
    struct boot_trace *t)
{
	struct boot_machine m;
	struct boot_want w;
	const char *name;
	int r;

	p->known = lookup(v, c, &m);
	if ((r = boot_select(v, c, &m, p->known, &w, t)) < 0)
		return r;
	plan_names(&w, &m, p);
	want_lifecycle(v, c, &w, p);
	if (!want_refused(&w, p) && w.action == FLEET_ACTION_NETBOOT &&
	    (r = decide_image(v, &w, p)) < 0)
		return r;
	if (w.action == FLEET_ACTION_LOCAL)
		p->reason = w.why;
	p->action = BOOT_NETBOOT;
	name = w.config != NULL ? w.config : v->default_config;
	if (name != NULL) {
		p->config_source = BOOT_CONFIG_STORED;
		set_name(p->config, name);
	} else
		p->config_source =
		    v->cfg_cloud_config != NULL ? BOOT_CONFIG_FILE : BOOT_CONFIG_BUILTIN;
	return 0;
}

static int
decide(const struct boot_view *v, const struct boot_client *c, enum boot_service service,
    struct boot_plan *p, struct boot_trace *t)
{
	switch (service) {
	case BOOT_SERVICE_DHCP:
		return decide_dhcp(v, c, p, t);
	case BOOT_SERVICE_SCRIPT:
		return decide_script(v, c, p, t);
	case BOOT_SERVICE_CONFIG:
		return decide_config(v, c, p, t);
	default:
		return -EINVAL;
	}
}

int
boot_explain(const struct boot_view *v, const struct boot_client *c, enum boot_service service,
    struct boot_plan *ret, struct boot_trace *ret_trace)
{
	struct boot_plan p = {.action = BOOT_IGNORE};
	struct boot_trace t = {.n = 0};
	int r;

	if (service != BOOT_SERVICE_DHCP && !c->has_mac)
		return -EINVAL;
	r = decide(v, c, service, &p, ret_trace != NULL ? &t : NULL);
	if (r < 0) {
		boot_plan_done(&p);
		boot_trace_done(&t);
		return r;
	}
	*ret = p;
	if (ret_trace != NULL)
		*ret_trace = t;
	return 0;
}

int
boot_decide(const struct boot_view *v, const struct boot_client *c, enum boot_service service,
    struct boot_plan *ret)
{
	return boot_explain(v, c, service, ret, NULL);
}

void
boot_trace_done(struct boot_trace *t)
{
	free(t->candidates);
	t->candidates = NULL;
	t->n = 0;
}

const char *
boot_verdict_name(enum boot_verdict v)
{
	static const char *const names[_BOOT_VERDICT_MAX] = {
	    [BOOT_GROUP_WON] = "won",
	    [BOOT_GROUP_NO_MATCH] = "no match",
	    [BOOT_GROUP_LESS_SPECIFIC] = "matched, less specific",
	    [BOOT_GROUP_LOWER_PRIORITY] = "matched, lower priority",
	    [BOOT_GROUP_OVERRIDDEN] = "matched, the machine entry decides",
	    [BOOT_GROUP_DEFAULT_IMAGE] = "matched, a default image is set",
	};

	return (unsigned)v < _BOOT_VERDICT_MAX ? names[v] : "unknown";
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
	    [BOOT_REASON_PROFILE_MISSING] = "it names a profile that does not exist",
	    [BOOT_REASON_INSTALLED] = "it reported installed (after_install)",
	    [BOOT_REASON_NO_GRUB] = "its loader has no GRUB for this architecture in loaders.dir",
	    [BOOT_REASON_SHIM_HTTP] = "shim-grub needs UEFI PXE: Debian's signed GRUB has no HTTP",
	    [BOOT_REASON_ISO_LOADER] =
	        "an ISO image boots through UEFI HTTP Boot or iPXE, not its profile's GRUB",
	};

	return (unsigned)r < _BOOT_REASON_MAX ? names[r] : "unknown";
}
