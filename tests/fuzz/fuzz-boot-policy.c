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
	struct fleet_group groups[N_MAX];
	struct fleet_label group_labels[N_MAX], machine_labels[N_MAX];
	struct fleet_labels machine_label_sets[N_MAX];
};

/* Profiles the groups and machines draw from (one name is missing on purpose). */
static const char *const profile_names[] = {
    "p-net", "p-local", "p-ignore", "p-noimage", "p-missing"};
static const struct fleet_profile profiles[] = {
    {.name = "p-ignore", .action = FLEET_ACTION_IGNORE},
    {.name = "p-local", .action = FLEET_ACTION_LOCAL},
    {.name = "p-net", .image = "kairos", .config = "a.b_c-d", .cmdline = "quiet"},
    {.name = "p-noimage", .cmdline = "x", .cmdline_mode = BOOT_CMDLINE_REPLACE},
};
static const char *const mac_globs[] = {
    "52:52:52:52:52:5?", "52:*", "aa:*", "*", "52:52:52:52:52:52"};
static struct fleet_label label_pool[] = {{"role", "cp"}, {"role", "worker"}, {"rack", "9"}};

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

static const struct fleet_profile *
f_profile(void *u, const char *name)
{
	for (size_t i = 0; i < ELEMENTSOF(profiles); i++)
		if (strcmp(profiles[i].name, name) == 0)
			return &profiles[i];
	return NULL;
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
	const struct fleet_profile *prof = p->profile != NULL ? f_profile(NULL, p->profile) : NULL;
	const char *want = prof != NULL                 ? prof->config
	                   : known && m.profile != NULL ? NULL /* missing profile */
	                   : known && m.image == NULL && p->group != NULL ? NULL
	                   : known                                        ? m.config
	                                                                  : NULL;

	if (want == NULL)
		want = v->default_config;
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
		FUZZ_CHECK((!p->known && !v->default_boot) ||
		           p->reason == BOOT_REASON_PROFILE_IGNORE ||
		           p->reason == BOOT_REASON_PROFILE_MISSING);
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

/* Groups (selectors from the pools) and machines' labels and profiles, after the client. */
static void
read_fleet(struct reader *r, struct store *s, struct boot_view *v)
{
	uint8_t n = 0, b[5] = {0};

	(void)read_u8(r, &n);
	v->n_groups = n % (N_MAX + 1);
	v->groups = s->groups;
	v->profile = f_profile;
	for (size_t i = 0; i < v->n_groups; i++) {
		struct fleet_group *g = &s->groups[i];

		for (size_t j = 0; j < ELEMENTSOF(b); j++)
			(void)read_u8(r, &b[j]);
		*g = (struct fleet_group){.name = (char *)mac_globs[i], /* distinct names */
		    .profile = (char *)profile_names[b[1] % ELEMENTSOF(profile_names)],
		    .priority = (int8_t)b[2] % 3};
		if (b[0] & 1)
			g->match.mac = (char *)mac_globs[b[3] % ELEMENTSOF(mac_globs)];
		if (b[0] & 2)
			g->match.arch = (enum boot_arch)(b[4] % _BOOT_ARCH_MAX);
		if (b[0] & 4) {
			s->group_labels[i] = label_pool[b[3] % ELEMENTSOF(label_pool)];
			g->match.labels = (struct fleet_labels){&s->group_labels[i], 1};
		}
		if (b[0] & 8)
			g->match.interface = b[4] & 1 ? "eth0" : "10.0.0.0/8";
	}
	for (size_t i = 0; i < s->n_machines; i++) {
		(void)read_u8(r, &b[0]);
		if (b[0] & 1) {
			s->machine_labels[i] = label_pool[(b[0] >> 1) % ELEMENTSOF(label_pool)];
			s->machine_label_sets[i] = (struct fleet_labels){&s->machine_labels[i], 1};
			s->machines[i].labels = &s->machine_label_sets[i];
		}
		if (b[0] & 8 && s->machines[i].image == NULL)
			s->machines[i].profile =
			    profile_names[(b[0] >> 4) % ELEMENTSOF(profile_names)];
	}
}

/* The trace agrees with the plan: one winner exactly when a group decided, and nobody beat it. */
static void
check_trace(const struct boot_plan *p, const struct boot_trace *t)
{
	const struct fleet_group *won = NULL;

	for (size_t i = 0; i < t->n; i++) {
		const struct boot_candidate *k = &t->candidates[i];

		FUZZ_CHECK((unsigned)k->verdict < _BOOT_VERDICT_MAX);
		if (k->verdict == BOOT_GROUP_NO_MATCH)
			FUZZ_CHECK(k->selector[0] != '\0');
		if (k->verdict == BOOT_GROUP_WON) {
			FUZZ_CHECK(won == NULL);
			won = k->group;
		}
	}
	FUZZ_CHECK((won != NULL) == (p->group != NULL));
	if (won != NULL)
		FUZZ_CHECK(strcmp(won->name, p->group) == 0);
	for (size_t i = 0; won != NULL && i < t->n; i++) {
		const struct fleet_group *g = t->candidates[i].group;
		unsigned sg = fleet_match_specificity(&g->match),
		         sw = fleet_match_specificity(&won->match);

		if (t->candidates[i].verdict == BOOT_GROUP_LESS_SPECIFIC)
			FUZZ_CHECK(sg < sw);
		if (t->candidates[i].verdict == BOOT_GROUP_LOWER_PRIORITY)
			FUZZ_CHECK(sg == sw && g->priority <= won->priority);
	}
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

	struct boot_trace t;

	read_store(&r, &s, &v);
	read_client(&r, &c, &service);
	read_fleet(&r, &s, &v);
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
	FUZZ_CHECK(boot_explain(&v, &c, service, &again, &t) == 0);
	FUZZ_CHECK(again.action == p.action && again.reason == p.reason && again.group == p.group);
	check_trace(&again, &t);
	boot_trace_done(&t);
	boot_plan_done(&again);
	boot_plan_done(&p);
	return 0;
}
