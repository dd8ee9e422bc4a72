#include "boot-view.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lifecycle-table.h"
#include "server.h"
#include "store.h"

static int
view_machine(void *userdata, const uint8_t mac[MAC_LEN], struct boot_machine *ret)
{
	const struct fleet_machine *m = store_machine_get(userdata, mac);

	if (m == NULL)
		return -ENOENT;
	*ret = (struct boot_machine){
	    .image = m->image,
	    .config = m->config,
	    .cmdline = m->cmdline,
	    .cmdline_mode = m->cmdline_mode,
	    .profile = m->profile,
	    .labels = &m->labels,
	};
	return 0;
}

static const struct fleet_profile *
view_profile(void *userdata, const char *name)
{
	return fleet_profile_find(store_fleet(userdata), name);
}

static bool
view_image_exists(void *userdata, const char *name)
{
	return store_image_ready(userdata, name);
}

static int
view_image_only(void *userdata, char **ret)
{
	return store_image_only(userdata, ret);
}

/*
 * The manifest of the image the decision is about, read once per decision:
 * the decision asks for its command line and kind, the script for its
 * origin URLs.  Dropped by each boot_view_init() (a view is built per
 * request, and the store does not change during one).  Loop thread only.
 */
static struct {
	char name[MANIFEST_MAX_NAME + 1];
	struct manifest *m; /* NULL: it has none */
	bool valid;
} memo;

static void
memo_drop(void)
{
	manifest_free(memo.m);
	memo.m = NULL;
	memo.valid = false;
}

/* Borrowed until the next boot_view_init(); NULL when the image has no manifest. */
static const struct manifest *
memo_get(struct store *store, const char *name)
{
	struct manifest *m = NULL;

	if (memo.valid && strcmp(memo.name, name) == 0)
		return memo.m;
	if (strlen(name) >= sizeof(memo.name)) /* not a valid name: no image */
		return NULL;
	memo_drop();
	if (store_image_get(store, name, &m) < 0)
		m = NULL;
	snprintf(memo.name, sizeof(memo.name), "%s", name);
	memo.m = m;
	memo.valid = true;
	return m;
}

static int
view_image_cmdline(void *userdata, const char *name, char **ret)
{
	const struct manifest *man = memo_get(userdata, name);
	char *s = NULL;

	if (man != NULL && man->cmdline != NULL && (s = strdup(man->cmdline)) == NULL)
		return -ENOMEM;
	*ret = s; /* no manifest: no override */
	return 0;
}

static enum boot_image_kind
view_image_kind(void *userdata, const char *name)
{
	const struct manifest *man = memo_get(userdata, name);

	if (man == NULL)
		return BOOT_IMAGE_LINUX;
	return man->kind == MANIFEST_KIND_EFI   ? BOOT_IMAGE_EFI
	       : man->kind == MANIFEST_KIND_ISO ? BOOT_IMAGE_ISO
	                                        : BOOT_IMAGE_LINUX;
}

void
boot_view_init(struct server *srv, struct boot_view *ret)
{
	const struct store_settings *set = store_settings(srv->store);
	const struct fleet *fleet = store_fleet(srv->store);
	const struct config *c = srv->cfg;

	memo_drop();
	*ret = (struct boot_view){
	    .default_boot = set->default_boot,
	    .default_image = set->default_image,
	    .default_config = set->default_config,
	    .cfg_image = c->def.image,
	    .cfg_cloud_config = c->def.cloud_config,
	    .cmdline = c->def.cmdline != NULL ? c->def.cmdline : CONFIG_DEFAULT_CMDLINE,
	    .loaders = {srv->loaders.ipxe[BOOT_LOADER_BIOS] ? c->ipxe.bios : NULL,
	        srv->loaders.ipxe[BOOT_LOADER_EFI32] ? c->ipxe.efi32 : NULL,
	        srv->loaders.ipxe[BOOT_LOADER_EFI64] ? c->ipxe.efi64 : NULL,
	        srv->loaders.ipxe[BOOT_LOADER_ARM64] ? c->ipxe.arm64 : NULL},
	    .grub = {srv->loaders.grub[BOOT_EFI_X86_64], srv->loaders.grub[BOOT_EFI_ARM64]},
	    .shim = {srv->loaders.shim[BOOT_EFI_X86_64], srv->loaders.shim[BOOT_EFI_ARM64]},
	    .syslog = c->syslog.enabled,
	    .installed = lifecycle_installed,
	    .lifecycle_userdata = srv->lifecycle,
	    .machine = view_machine,
	    .image_exists = view_image_exists,
	    .image_only = view_image_only,
	    .image_cmdline = view_image_cmdline,
	    .image_kind = view_image_kind,
	    .groups = fleet->groups,
	    .n_groups = fleet->n_groups,
	    .profile = view_profile,
	    .userdata = srv->store,
	};
}

void
boot_view_query(const struct boot_client *c, char *buf, size_t len)
{
	const char *arch = boot_arch_name(c->platform);
	char uuid[37] = "";
	int n = 0;

	buf[0] = '\0';
	if (c->has_uuid)
		fleet_uuid_format(c->uuid, uuid);
	if (arch != NULL)
		n = snprintf(buf, len, "?arch=%s%s%s", arch, uuid[0] ? "&uuid=" : "", uuid);
	else if (uuid[0] != '\0')
		n = snprintf(buf, len, "?uuid=%s", uuid);
	if (n < 0 || (size_t)n >= len)
		buf[0] = '\0';
}

void
boot_view_file_urls(struct server *srv, const char *image,
    char urls[MANIFEST_N_FILES][BOOT_VIEW_URL_MAX], const char *ret[MANIFEST_N_FILES])
{
	const struct manifest *m;

	for (size_t f = 0; f < MANIFEST_N_FILES; f++)
		ret[f] = NULL;
	if (image == NULL || (m = memo_get(srv->store, image)) == NULL)
		return;
	if (m->origin != NULL && m->origin_boot)
		for (size_t f = 0; f < MANIFEST_N_FILES; f++)
			if (manifest_origin_expand(
			        m->origin, m->files[f].sha256, f, urls[f], BOOT_VIEW_URL_MAX) == 0)
				ret[f] = urls[f];
}
