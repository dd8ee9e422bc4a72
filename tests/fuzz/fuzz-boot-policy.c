/*
 * The boot decision over arbitrary stores and clients: the bytes describe
 * the settings, a few images and machines (names drawn from a pool that
 * holds bad ones too), the client and the service that asks.  The plan must
 * hold together whatever they say, and the same input decides the same.
 */
#include <string.h>

#include "boot-policy.h"
#include "buf.h"
#include "fuzz.h"
#include "util.h"

#define N_MAX 4

static const char *const pool[] = {
    NULL,
    "kairos",
    "ubuntu",
    "",
    "../etc",
    "a.b_c-d",
    "x{image}y",
    "console=ttyS0 quiet",
    "0123456789012345678901234567890123456789012345678901234567890123456789",
    ".hidden",
};

struct store {
	const char *images[N_MAX], *image_cmdlines[N_MAX];
	size_t n_images;
	uint8_t macs[N_MAX][MAC_LEN];
	struct boot_machine machines[N_MAX];
	size_t n_machines;
};

static const char *
pick(struct reader *r)
{
	uint8_t b = 0;

	(void)read_u8(r, &b);
	return pool[b % ELEMENTSOF(pool)];
}

static int
f_machine(void *u, const uint8_t mac[MAC_LEN], struct boot_machine *ret)
{
	struct store *s = u;

	for (size_t i = 0; i < s->n_machines; i++)
		if (memcmp(s->macs[i], mac, MAC_LEN) == 0) {
			*ret = s->machines[i];
			return 0;
		}
	return -ENOENT;
}

static bool
f_exists(void *u, const char *name)
{
	struct store *s = u;

	for (size_t i = 0; i < s->n_images; i++)
		if (s->images[i] != NULL && strcmp(s->images[i], name) == 0)
			return true;
	return false;
}

static int
f_only(void *u, char **ret)
{
	struct store *s = u;

	if (s->n_images != 1 || s->images[0] == NULL)
		return -ENOENT;
	return (*ret = strdup(s->images[0])) != NULL ? 0 : -ENOMEM;
}

static int
f_cmdline(void *u, const char *name, char **ret)
{
	struct store *s = u;

	*ret = NULL;
	for (size_t i = 0; i < s->n_images; i++)
		if (s->images[i] != NULL && strcmp(s->images[i], name) == 0 &&
		    s->image_cmdlines[i] != NULL)
			return (*ret = strdup(s->image_cmdlines[i])) != NULL ? 0 : -ENOMEM;
	return 0;
}

static void
read_store(struct reader *r, struct store *s, struct boot_view *v)
{
	uint8_t flags = 0, n = 0;

	(void)read_u8(r, &flags);
	v->default_boot = flags & 1;
	v->default_image = flags & 2 ? pick(r) : NULL;
	v->cfg_image = flags & 4 ? pick(r) : NULL;
	v->default_config = flags & 8 ? pick(r) : NULL;
	v->cfg_cloud_config = flags & 16 ? "/etc/netbootd/cloud-config.yaml" : NULL;
	v->cmdline = flags & 32 ? pick(r) : "";
	if (v->cmdline == NULL)
		v->cmdline = "";
	for (size_t i = 0; i < _BOOT_LOADER_MAX; i++)
		v->loaders[i] = pick(r);
	(void)read_u8(r, &n);
	s->n_images = n % (N_MAX + 1);
	for (size_t i = 0; i < s->n_images; i++)
		s->images[i] = pick(r), s->image_cmdlines[i] = pick(r);
	(void)read_u8(r, &n);
	s->n_machines = n % (N_MAX + 1);
	for (size_t i = 0; i < s->n_machines; i++) {
		uint8_t last = 0, mode = 0;

		(void)read_u8(r, &last), (void)read_u8(r, &mode);
		memset(s->macs[i], 0x52, MAC_LEN);
		s->macs[i][5] = last % 4;
		s->machines[i] = (struct boot_machine){.cmdline_mode = mode & 1};
		s->machines[i].image = pick(r);
		s->machines[i].config = pick(r);
		s->machines[i].cmdline = pick(r);
	}
}

static void
read_client(struct reader *r, struct boot_client *c, enum boot_service *ret_service)
{
	uint8_t b = 0, last = 0;
	uint16_t arch = 0;

	(void)read_u8(r, &b), (void)read_u8(r, &last), (void)read_be16(r, &arch);
	*c = (struct boot_client){
	    .firmware = b % 4, .has_mac = b & 4, .has_arch = b & 8, .arch = arch};
	memset(c->mac, 0x52, MAC_LEN);
	c->mac[5] = last % 4;
	*ret_service = (enum boot_service)((b >> 4) % 3);
}

/* The machine's config, else the default one; STORED exactly when there is one. */
static void
check_config(const struct boot_view *v, const struct boot_client *c, const struct boot_plan *p)
{
	struct boot_machine m = {0};
	bool known = c->has_mac && f_machine(v->userdata, c->mac, &m) == 0;
	const char *want = known && m.config != NULL ? m.config : v->default_config;

	FUZZ_CHECK(p->action == BOOT_NETBOOT);
	FUZZ_CHECK(known == p->known);
	FUZZ_CHECK((want != NULL) == (p->config_source == BOOT_CONFIG_STORED));
	if (want != NULL)
		FUZZ_CHECK(strncmp(p->config, want, NAME_MAX_LEN) == 0);
}

static void
check_plan(const struct boot_view *v, const struct boot_client *c, enum boot_service s,
    const struct boot_plan *p)
{
	FUZZ_CHECK((unsigned)p->action < _BOOT_ACTION_MAX);
	FUZZ_CHECK((unsigned)p->reason < _BOOT_REASON_MAX);
	FUZZ_CHECK(memchr(p->image, '\0', sizeof(p->image)) != NULL);
	FUZZ_CHECK(
	    p->image[0] == '\0' || (name_valid(p->image) && f_exists(v->userdata, p->image)));
	if (s == BOOT_SERVICE_SCRIPT)
		FUZZ_CHECK((p->action == BOOT_NETBOOT) == (p->cmdline != NULL));
	else
		FUZZ_CHECK(p->cmdline == NULL);
	if (s == BOOT_SERVICE_SCRIPT && p->action != BOOT_NETBOOT)
		FUZZ_CHECK(p->image[0] == '\0');
	if (s == BOOT_SERVICE_SCRIPT && p->action == BOOT_IGNORE)
		FUZZ_CHECK(!p->known && !v->default_boot);
	if (s == BOOT_SERVICE_CONFIG)
		check_config(v, c, p);
	if (s == BOOT_SERVICE_DHCP && p->action == BOOT_NETBOOT &&
	    c->firmware != BOOT_FIRMWARE_IPXE)
		FUZZ_CHECK(
		    p->loader != NULL && p->loader[0] != '\0' && boot_loader_known(v, p->loader));
	if (s != BOOT_SERVICE_DHCP || p->action != BOOT_NETBOOT ||
	    c->firmware == BOOT_FIRMWARE_IPXE)
		FUZZ_CHECK(p->loader == NULL);
	if (p->action == BOOT_NETBOOT && s == BOOT_SERVICE_DHCP &&
	    c->firmware == BOOT_FIRMWARE_IPXE)
		FUZZ_CHECK(c->has_mac);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct reader r = reader_init(data, size);
	struct store s = {.n_images = 0};
	struct boot_view v = {.machine = f_machine,
	    .image_exists = f_exists,
	    .image_only = f_only,
	    .image_cmdline = f_cmdline,
	    .userdata = &s};
	struct boot_client c;
	enum boot_service service;
	struct boot_plan p, again;
	int k;

	read_store(&r, &s, &v);
	read_client(&r, &c, &service);
	k = boot_decide(&v, &c, service, &p);
	if (service != BOOT_SERVICE_DHCP && !c.has_mac) {
		FUZZ_CHECK(k == -EINVAL);
		return 0;
	}
	FUZZ_CHECK(k == 0);
	check_plan(&v, &c, service, &p);
	FUZZ_CHECK(boot_decide(&v, &c, service, &again) == 0);
	FUZZ_CHECK(again.action == p.action && again.reason == p.reason &&
	           strcmp(again.image, p.image) == 0 && strcmp(again.missing, p.missing) == 0 &&
	           again.loader == p.loader);
	FUZZ_CHECK((p.cmdline == NULL) == (again.cmdline == NULL) &&
	           (p.cmdline == NULL || strcmp(p.cmdline, again.cmdline) == 0));
	boot_plan_done(&again);
	boot_plan_done(&p);
	return 0;
}
