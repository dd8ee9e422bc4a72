/*
 * The boot decision against an in-memory store: every rule of
 * lib/boot-policy.h, for each service that asks.
 */
#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>

#include "boot-policy.h"
#include "ipxe-script.h"
#include "util.h"
#include "test.h"

#define N_FAKE 4

/* A store the tests fill: machines by MAC, images with an optional command line. */
struct fake {
	struct {
		uint8_t mac[MAC_LEN];
		struct boot_machine m;
	} machines[N_FAKE];
	size_t n_machines;
	struct {
		const char *name, *cmdline;
		enum boot_image_kind kind;
	} images[N_FAKE];
	size_t n_images;
	int fail; /* returned by image_only and image_cmdline when set */
};

static const uint8_t mac_a[MAC_LEN] = {0x52, 0x54, 0x00, 0x00, 0x00, 0x0a};
static const uint8_t mac_b[MAC_LEN] = {0x52, 0x54, 0x00, 0x00, 0x00, 0x0b};

static int
fake_machine(void *u, const uint8_t mac[MAC_LEN], struct boot_machine *ret)
{
	struct fake *f = u;

	for (size_t i = 0; i < f->n_machines; i++)
		if (memcmp(f->machines[i].mac, mac, MAC_LEN) == 0) {
			*ret = f->machines[i].m;
			return 0;
		}
	return -ENOENT;
}

static bool
fake_image_exists(void *u, const char *name)
{
	struct fake *f = u;

	for (size_t i = 0; i < f->n_images; i++)
		if (strcmp(f->images[i].name, name) == 0)
			return true;
	return false;
}

static int
fake_image_only(void *u, char **ret)
{
	struct fake *f = u;

	if (f->fail != 0)
		return f->fail;
	if (f->n_images != 1)
		return -ENOENT;
	*ret = strdup(f->images[0].name);
	return *ret != NULL ? 0 : -ENOMEM;
}

static int
fake_image_cmdline(void *u, const char *name, char **ret)
{
	struct fake *f = u;

	*ret = NULL;
	if (f->fail != 0)
		return f->fail;
	for (size_t i = 0; i < f->n_images; i++)
		if (strcmp(f->images[i].name, name) == 0 && f->images[i].cmdline != NULL)
			*ret = strdup(f->images[i].cmdline);
	return 0;
}

static enum boot_image_kind
fake_image_kind(void *u, const char *name)
{
	struct fake *f = u;

	for (size_t i = 0; i < f->n_images; i++)
		if (strcmp(f->images[i].name, name) == 0)
			return f->images[i].kind;
	return BOOT_IMAGE_LINUX;
}

static struct fake fake;
static struct boot_view view;

static void
reset(void)
{
	fake = (struct fake){0};
	view = (struct boot_view){
	    .default_boot = true,
	    .cmdline = "console=ttyS0",
	    .loaders = {"undionly.kpxe", NULL, "ipxe.efi", ""},
	    .machine = fake_machine,
	    .image_exists = fake_image_exists,
	    .image_only = fake_image_only,
	    .image_cmdline = fake_image_cmdline,
	    .image_kind = fake_image_kind,
	    .userdata = &fake,
	};
}

static void
add_image(const char *name, const char *cmdline)
{
	fake.images[fake.n_images].name = name;
	fake.images[fake.n_images++].cmdline = cmdline;
}

static void
add_machine(const uint8_t mac[MAC_LEN], const char *image, const char *config, const char *cmdline,
    enum boot_cmdline_mode mode)
{
	memcpy(fake.machines[fake.n_machines].mac, mac, MAC_LEN);
	fake.machines[fake.n_machines++].m = (struct boot_machine){
	    .image = image, .config = config, .cmdline = cmdline, .cmdline_mode = mode};
}

static struct boot_client
client(enum boot_firmware fw, const uint8_t *mac, uint16_t arch)
{
	struct boot_client c = {
	    .firmware = fw, .has_mac = mac != NULL, .has_arch = true, .arch = arch};

	if (mac != NULL)
		memcpy(c.mac, mac, MAC_LEN);
	return c;
}

/* Decide and keep the plan in 'plan' (freed by the next call). */
static struct boot_plan plan;

static int
ask(enum boot_service s, const struct boot_client *c)
{
	boot_plan_done(&plan);
	plan = (struct boot_plan){0};
	return boot_decide(&view, c, s, &plan);
}

static void
expect(enum boot_action action, enum boot_reason reason)
{
	CHECK_EQ_INT(plan.action, action);
	CHECK_EQ_INT(plan.reason, reason);
}

static void
test_dhcp_loaders(void)
{
	static const struct {
		enum boot_firmware fw;
		uint16_t arch;
		enum boot_reason reason;
		const char *loader;
	} cases[] = {
	    {BOOT_FIRMWARE_PXE, 0, BOOT_REASON_LOADER, "undionly.kpxe"},
	    {BOOT_FIRMWARE_PXE, 6, BOOT_REASON_NO_LOADER, NULL},
	    {BOOT_FIRMWARE_PXE, 7, BOOT_REASON_LOADER, "ipxe.efi"},
	    {BOOT_FIRMWARE_PXE, 9, BOOT_REASON_LOADER, "ipxe.efi"},
	    {BOOT_FIRMWARE_PXE, 10, BOOT_REASON_NO_LOADER, NULL},
	    {BOOT_FIRMWARE_PXE, 11, BOOT_REASON_NO_LOADER, NULL}, /* "" is unset */
	    {BOOT_FIRMWARE_PXE, 16, BOOT_REASON_UNKNOWN_ARCH, NULL},
	    {BOOT_FIRMWARE_PXE, 0x1206, BOOT_REASON_UNKNOWN_ARCH, NULL},
	    {BOOT_FIRMWARE_HTTP, 16, BOOT_REASON_LOADER, "ipxe.efi"},
	    {BOOT_FIRMWARE_HTTP, 19, BOOT_REASON_NO_LOADER, NULL},
	    {BOOT_FIRMWARE_HTTP, 7, BOOT_REASON_UNKNOWN_ARCH, NULL},
	    {BOOT_FIRMWARE_IPXE, 0x1206, BOOT_REASON_SCRIPT, NULL},
	    {BOOT_FIRMWARE_NONE, 0, BOOT_REASON_NOT_BOOT_CLIENT, NULL},
	};

	reset();
	for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
		struct boot_client c = client(cases[i].fw, mac_a, cases[i].arch);
		bool ok =
		    cases[i].reason == BOOT_REASON_LOADER || cases[i].reason == BOOT_REASON_SCRIPT;

		CHECK_EQ_INT(ask(BOOT_SERVICE_DHCP, &c), 0);
		expect(ok ? BOOT_NETBOOT : BOOT_IGNORE, cases[i].reason);
		if (cases[i].loader != NULL)
			CHECK_EQ_STR(plan.loader, cases[i].loader);
		else
			CHECK(plan.loader == NULL);
	}
	view.loaders[BOOT_LOADER_ARM64] = "grubaa64.efi";
	struct boot_client c = client(BOOT_FIRMWARE_HTTP, mac_a, 19);
	CHECK_EQ_INT(ask(BOOT_SERVICE_DHCP, &c), 0);
	CHECK_EQ_STR(plan.loader, "grubaa64.efi");
	c = client(BOOT_FIRMWARE_PXE, mac_a, 0);
	c.has_arch = false;
	CHECK_EQ_INT(ask(BOOT_SERVICE_DHCP, &c), 0);
	expect(BOOT_IGNORE, BOOT_REASON_UNKNOWN_ARCH);
	c = client(BOOT_FIRMWARE_IPXE, NULL, 0);
	CHECK_EQ_INT(ask(BOOT_SERVICE_DHCP, &c), 0);
	expect(BOOT_IGNORE, BOOT_REASON_NO_MAC);
}

static void
test_dhcp_store(void)
{
	struct boot_client ipxe_a = client(BOOT_FIRMWARE_IPXE, mac_a, 0),
	                   ipxe_b = client(BOOT_FIRMWARE_IPXE, mac_b, 0),
	                   rom = client(BOOT_FIRMWARE_PXE, NULL, 0);

	reset();
	add_image("kairos", NULL);
	add_machine(mac_a, "gone", NULL, NULL, BOOT_CMDLINE_APPEND);
	CHECK_EQ_INT(ask(BOOT_SERVICE_DHCP, &ipxe_a), 0);
	expect(BOOT_IGNORE, BOOT_REASON_IMAGE_MISSING);
	CHECK_EQ_STR(plan.missing, "gone");
	CHECK(plan.known);
	CHECK_EQ_INT(ask(BOOT_SERVICE_DHCP, &ipxe_b), 0);
	expect(BOOT_NETBOOT, BOOT_REASON_SCRIPT);
	CHECK(!plan.known);
	view.default_boot = false;
	CHECK_EQ_INT(ask(BOOT_SERVICE_DHCP, &ipxe_b), 0);
	expect(BOOT_IGNORE, BOOT_REASON_DEFAULT_BOOT_OFF);
	/* A ROM without a MAC cannot be looked up: answered. */
	CHECK_EQ_INT(ask(BOOT_SERVICE_DHCP, &rom), 0);
	expect(BOOT_NETBOOT, BOOT_REASON_LOADER);
	/* A known machine boots with default boot off, also one without an image of its own. */
	fake.machines[0].m.image = "kairos";
	CHECK_EQ_INT(ask(BOOT_SERVICE_DHCP, &ipxe_a), 0);
	expect(BOOT_NETBOOT, BOOT_REASON_SCRIPT);
	fake.machines[0].m.image = NULL;
	CHECK_EQ_INT(ask(BOOT_SERVICE_DHCP, &ipxe_a), 0);
	expect(BOOT_NETBOOT, BOOT_REASON_SCRIPT);
	/* The architecture is decided before the store. */
	struct boot_client arm = client(BOOT_FIRMWARE_PXE, mac_b, 10);
	CHECK_EQ_INT(ask(BOOT_SERVICE_DHCP, &arm), 0);
	expect(BOOT_IGNORE, BOOT_REASON_NO_LOADER);
}

static void
test_script_image(void)
{
	struct boot_client a = client(BOOT_FIRMWARE_IPXE, mac_a, 0),
	                   b = client(BOOT_FIRMWARE_IPXE, mac_b, 0);

	reset();
	CHECK_EQ_INT(ask(BOOT_SERVICE_SCRIPT, &b), 0);
	expect(BOOT_WAIT, BOOT_REASON_NO_IMAGE);
	CHECK(plan.image[0] == '\0' && plan.missing[0] == '\0' && plan.cmdline == NULL);
	add_image("one", NULL);
	CHECK_EQ_INT(ask(BOOT_SERVICE_SCRIPT, &b), 0);
	expect(BOOT_NETBOOT, BOOT_REASON_ONLY_IMAGE);
	CHECK_EQ_STR(plan.image, "one");
	add_image("two", NULL);
	CHECK_EQ_INT(ask(BOOT_SERVICE_SCRIPT, &b), 0);
	expect(BOOT_WAIT, BOOT_REASON_NO_IMAGE);
	view.cfg_image = "two";
	CHECK_EQ_INT(ask(BOOT_SERVICE_SCRIPT, &b), 0);
	expect(BOOT_NETBOOT, BOOT_REASON_CONFIG_IMAGE);
	CHECK_EQ_STR(plan.image, "two");
	view.default_image = "one"; /* the setting wins over the file */
	CHECK_EQ_INT(ask(BOOT_SERVICE_SCRIPT, &b), 0);
	expect(BOOT_NETBOOT, BOOT_REASON_DEFAULT_IMAGE);
	CHECK_EQ_STR(plan.image, "one");
	view.default_image = "three";
	CHECK_EQ_INT(ask(BOOT_SERVICE_SCRIPT, &b), 0);
	expect(BOOT_WAIT, BOOT_REASON_IMAGE_MISSING);
	CHECK_EQ_STR(plan.missing, "three");
	CHECK(plan.image[0] == '\0');
	add_machine(mac_a, "two", NULL, NULL, BOOT_CMDLINE_APPEND);
	CHECK_EQ_INT(ask(BOOT_SERVICE_SCRIPT, &a), 0);
	expect(BOOT_NETBOOT, BOOT_REASON_ASSIGNED);
	CHECK_EQ_STR(plan.image, "two");
	view.default_boot = false;
	CHECK_EQ_INT(ask(BOOT_SERVICE_SCRIPT, &b), 0);
	expect(BOOT_IGNORE, BOOT_REASON_DEFAULT_BOOT_OFF);
	CHECK_EQ_INT(ask(BOOT_SERVICE_SCRIPT, &a), 0);
	expect(BOOT_NETBOOT, BOOT_REASON_ASSIGNED);
	fake.machines[0].m.image = "../etc"; /* not a name: as missing */
	CHECK_EQ_INT(ask(BOOT_SERVICE_SCRIPT, &a), 0);
	expect(BOOT_WAIT, BOOT_REASON_IMAGE_MISSING);
}

static void
test_script_cmdline(void)
{
	struct boot_client a = client(BOOT_FIRMWARE_IPXE, mac_a, 0);
	static const struct {
		const char *image_cmdline, *own;
		enum boot_cmdline_mode mode;
		const char *want;
	} cases[] = {
	    {NULL, NULL, BOOT_CMDLINE_APPEND, "console=ttyS0"},
	    {"rd.img={image}", NULL, BOOT_CMDLINE_APPEND, "rd.img={image}"},
	    {NULL, "quiet", BOOT_CMDLINE_APPEND, "console=ttyS0 quiet"},
	    {"own", "quiet", BOOT_CMDLINE_APPEND, "own quiet"},
	    {NULL, "", BOOT_CMDLINE_APPEND, "console=ttyS0"},
	    {"own", "only this", BOOT_CMDLINE_REPLACE, "only this"},
	    {NULL, "", BOOT_CMDLINE_REPLACE, ""},
	};

	for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
		reset();
		add_image("k", cases[i].image_cmdline);
		add_machine(mac_a, "k", NULL, cases[i].own, cases[i].mode);
		CHECK_EQ_INT(ask(BOOT_SERVICE_SCRIPT, &a), 0);
		CHECK_EQ_STR(plan.cmdline, cases[i].want);
	}
}

static void
test_config(void)
{
	struct boot_client a = client(BOOT_FIRMWARE_IPXE, mac_a, 0),
	                   b = client(BOOT_FIRMWARE_IPXE, mac_b, 0);

	reset();
	CHECK_EQ_INT(ask(BOOT_SERVICE_CONFIG, &b), 0);
	expect(BOOT_NETBOOT, BOOT_REASON_NO_IMAGE);
	CHECK_EQ_INT(plan.config_source, BOOT_CONFIG_BUILTIN);
	CHECK(plan.image[0] == '\0' && plan.cmdline == NULL);
	view.cfg_cloud_config = "/etc/netbootd/cloud-config.yaml";
	CHECK_EQ_INT(ask(BOOT_SERVICE_CONFIG, &b), 0);
	CHECK_EQ_INT(plan.config_source, BOOT_CONFIG_FILE);
	view.default_config = "site";
	CHECK_EQ_INT(ask(BOOT_SERVICE_CONFIG, &b), 0);
	CHECK_EQ_INT(plan.config_source, BOOT_CONFIG_STORED);
	CHECK_EQ_STR(plan.config, "site");
	add_image("k", "ignored for configs");
	add_machine(mac_a, "k", "worker", NULL, BOOT_CMDLINE_APPEND);
	CHECK_EQ_INT(ask(BOOT_SERVICE_CONFIG, &a), 0);
	expect(BOOT_NETBOOT, BOOT_REASON_ASSIGNED);
	CHECK_EQ_STR(plan.config, "worker");
	CHECK_EQ_STR(plan.image, "k");
	CHECK(plan.cmdline == NULL);
	/* Served to unknown machines with default boot off too, without an image. */
	view.default_boot = false;
	CHECK_EQ_INT(ask(BOOT_SERVICE_CONFIG, &b), 0);
	expect(BOOT_NETBOOT, BOOT_REASON_DEFAULT_BOOT_OFF);
	CHECK_EQ_STR(plan.config, "site");
	CHECK(plan.image[0] == '\0');
	/* An assigned image that is missing is not {{image}}. */
	fake.machines[0].m.image = "gone";
	CHECK_EQ_INT(ask(BOOT_SERVICE_CONFIG, &a), 0);
	expect(BOOT_NETBOOT, BOOT_REASON_IMAGE_MISSING);
	CHECK(plan.image[0] == '\0');
	CHECK_EQ_STR(plan.missing, "gone");
}

static void
test_errors(void)
{
	struct boot_client none = client(BOOT_FIRMWARE_IPXE, NULL, 0),
	                   b = client(BOOT_FIRMWARE_IPXE, mac_b, 0);
	struct boot_plan untouched = {.reason = _BOOT_REASON_MAX}, p = untouched;

	reset();
	CHECK_EQ_INT(boot_decide(&view, &none, BOOT_SERVICE_SCRIPT, &p), -EINVAL);
	CHECK_EQ_INT(boot_decide(&view, &none, BOOT_SERVICE_CONFIG, &p), -EINVAL);
	CHECK_EQ_INT(boot_decide(&view, &b, (enum boot_service)42, &p), -EINVAL);
	fake.fail = -ENOMEM;
	CHECK_EQ_INT(boot_decide(&view, &b, BOOT_SERVICE_SCRIPT, &p), -ENOMEM);
	CHECK_EQ_MEM(&p, &untouched, sizeof(p));
	add_image("k", NULL);
	view.default_image = "k";
	CHECK_EQ_INT(boot_decide(&view, &b, BOOT_SERVICE_SCRIPT, &p), -ENOMEM); /* cmdline */
	CHECK_EQ_MEM(&p, &untouched, sizeof(p));
	CHECK_EQ_INT(boot_decide(&view, &b, BOOT_SERVICE_DHCP, &p), 0); /* needs neither */
}

static void
test_default_image(void)
{
	enum boot_reason why;
	char *name = (char *)"untouched";

	reset();
	CHECK_EQ_INT(boot_default_image(&view, &name, &why), 0);
	CHECK(name == NULL);
	add_image("one", NULL);
	CHECK_EQ_INT(boot_default_image(&view, &name, &why), 0);
	CHECK_EQ_STR(name, "one");
	CHECK_EQ_INT(why, BOOT_REASON_ONLY_IMAGE);
	free(name);
	view.cfg_image = "yaml";
	CHECK_EQ_INT(boot_default_image(&view, &name, &why), 0);
	CHECK_EQ_STR(name, "yaml");
	CHECK_EQ_INT(why, BOOT_REASON_CONFIG_IMAGE);
	free(name);
	view.default_image = "gone"; /* named, not checked: the decision says it is missing */
	CHECK_EQ_INT(boot_default_image(&view, &name, &why), 0);
	CHECK_EQ_STR(name, "gone");
	CHECK_EQ_INT(why, BOOT_REASON_DEFAULT_IMAGE);
	free(name);
}

static void
test_loader_known(void)
{
	reset();
	CHECK(boot_loader_known(&view, "undionly.kpxe"));
	CHECK(boot_loader_known(&view, "ipxe.efi"));
	CHECK(!boot_loader_known(&view, ""));
	CHECK(!boot_loader_known(&view, "ipxe.efi.bak"));
	CHECK(!boot_loader_known(&view, "kernel"));
}

static void
test_reason_names(void)
{
	for (int i = 0; i < _BOOT_REASON_MAX; i++) {
		CHECK(boot_reason_name(i) != NULL && strcmp(boot_reason_name(i), "unknown") != 0);
		for (int j = 0; j < i; j++)
			CHECK(strcmp(boot_reason_name(i), boot_reason_name(j)) != 0);
	}
	CHECK_EQ_STR(boot_reason_name(_BOOT_REASON_MAX), "unknown");
	/* ProxyDHCP's log lines, which tests and operators grep for. */
	CHECK_EQ_STR(boot_reason_name(BOOT_REASON_DEFAULT_BOOT_OFF), "default boot disabled");
	CHECK_EQ_STR(boot_reason_name(BOOT_REASON_IMAGE_MISSING), "its image is missing");
	CHECK_EQ_STR(
	    boot_reason_name(BOOT_REASON_NO_LOADER), "no loader configured for this architecture");
}

/* ---- the fleet: the example ---- */

static struct fleet_label label_cp = {"role", "cp"};
static struct fleet_profile example_profiles[] = {
    {.name = "arm-edge", .image = "kairos-arm64", .cmdline = "console=ttyAMA0"},
    {.name = "disk", .action = FLEET_ACTION_LOCAL},
    {.name = "kairos-cp", .image = "kairos", .config = "control-plane", .cmdline = "console=ttyS1"},
    {.name = "kairos-node", .image = "kairos", .config = "worker"},
    {.name = "off", .action = FLEET_ACTION_IGNORE},
};
static struct fleet_group example_groups[] = {
    {.name = "arm", .match = {.arch = BOOT_ARCH_EFI_ARM64}, .profile = "arm-edge"},
    {.name = "control-plane",
        .match = {.labels = {&label_cp, 1}},
        .profile = "kairos-cp",
        .priority = 20},
    {.name = "default", .profile = "kairos-node"},
    {.name = "lab", .match = {.mac = "52:54:00:*"}, .profile = "kairos-node", .priority = 10},
};
static struct fleet_labels cp_labels = {&label_cp, 1};
static const uint8_t bb01[MAC_LEN] = {0x52, 0x54, 0x00, 0xaa, 0xbb, 0x01};
static const uint8_t bb09[MAC_LEN] = {0x52, 0x54, 0x00, 0xaa, 0xbb, 0x09};
static const uint8_t other[MAC_LEN] = {0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff};

static const struct fleet_profile *
fake_profile(void *u, const char *name)
{
	for (size_t i = 0; i < ELEMENTSOF(example_profiles); i++)
		if (strcmp(example_profiles[i].name, name) == 0)
			return &example_profiles[i];
	return NULL;
}

static void
reset_fleet(void)
{
	reset();
	view.groups = example_groups;
	view.n_groups = ELEMENTSOF(example_groups);
	view.profile = fake_profile;
	add_image("kairos", NULL);
	add_image("kairos-arm64", NULL);
	add_machine(bb01, NULL, NULL, NULL, BOOT_CMDLINE_APPEND);
	fake.machines[0].m.labels = &cp_labels;
	add_machine(bb09, NULL, NULL, NULL, BOOT_CMDLINE_APPEND);
	fake.machines[1].m.profile = "disk";
}

static struct boot_client
client_arch(enum boot_firmware fw, const uint8_t *mac, enum boot_arch arch)
{
	struct boot_client c = client(fw, mac, 0);

	c.platform = arch;
	return c;
}

static void
test_fleet_groups(void)
{
	struct boot_client cp = client_arch(BOOT_FIRMWARE_IPXE, bb01, BOOT_ARCH_BIOS),
	                   lab = client_arch(BOOT_FIRMWARE_IPXE, mac_a, BOOT_ARCH_BIOS),
	                   arm = client_arch(BOOT_FIRMWARE_IPXE, other, BOOT_ARCH_EFI_ARM64),
	                   plain = client_arch(BOOT_FIRMWARE_IPXE, other, BOOT_ARCH_BIOS);

	reset_fleet();
	/* Labels only: the groups decide; control-plane and lab both match, priority 20 wins. */
	CHECK_EQ_INT(ask(BOOT_SERVICE_SCRIPT, &cp), 0);
	expect(BOOT_NETBOOT, BOOT_REASON_GROUP);
	CHECK_EQ_STR(plan.group, "control-plane");
	CHECK_EQ_STR(plan.profile, "kairos-cp");
	CHECK_EQ_STR(plan.image, "kairos");
	CHECK_EQ_STR(plan.cmdline, "console=ttyS0 console=ttyS1");
	CHECK(plan.labels == &cp_labels);
	CHECK_EQ_INT(ask(BOOT_SERVICE_CONFIG, &cp), 0);
	CHECK_EQ_STR(plan.config, "control-plane");
	CHECK_EQ_INT(ask(BOOT_SERVICE_SCRIPT, &lab), 0);
	CHECK_EQ_STR(plan.group, "lab");
	CHECK_EQ_STR(plan.cmdline, "console=ttyS0");
	CHECK_EQ_INT(ask(BOOT_SERVICE_CONFIG, &lab), 0);
	CHECK_EQ_STR(plan.config, "worker");
	CHECK(plan.labels == NULL);
	CHECK_EQ_INT(ask(BOOT_SERVICE_SCRIPT, &arm), 0);
	CHECK_EQ_STR(plan.group, "arm");
	CHECK_EQ_STR(plan.image, "kairos-arm64");
	/* Unmatched: the default group, unless a default image is set. */
	CHECK_EQ_INT(ask(BOOT_SERVICE_SCRIPT, &plain), 0);
	expect(BOOT_NETBOOT, BOOT_REASON_GROUP);
	CHECK_EQ_STR(plan.group, "default");
	view.cfg_image = "kairos-arm64";
	CHECK_EQ_INT(ask(BOOT_SERVICE_SCRIPT, &plain), 0);
	expect(BOOT_NETBOOT, BOOT_REASON_CONFIG_IMAGE);
	CHECK(plan.group == NULL && plan.profile == NULL);
	CHECK_EQ_STR(plan.image, "kairos-arm64");
	CHECK_EQ_INT(ask(BOOT_SERVICE_SCRIPT, &lab), 0); /* a real group still wins */
	CHECK_EQ_STR(plan.group, "lab");
}

/* A profile's netconsole: appended while syslog is on, else nothing and the plan says why. */
static void
test_fleet_netconsole(void)
{
	struct fleet_profile *cpp = &example_profiles[2];
	struct boot_client cp = client_arch(BOOT_FIRMWARE_IPXE, bb01, BOOT_ARCH_BIOS),
	                   lab = client_arch(BOOT_FIRMWARE_IPXE, mac_a, BOOT_ARCH_BIOS);

	reset_fleet();
	CHECK_EQ_STR(cpp->name, "kairos-cp");
	CHECK_EQ_INT(ask(BOOT_SERVICE_SCRIPT, &cp), 0);
	CHECK_EQ_INT(plan.netconsole, BOOT_NETCONSOLE_NONE);
	cpp->netconsole = true;
	CHECK_EQ_INT(ask(BOOT_SERVICE_SCRIPT, &cp), 0);
	CHECK_EQ_STR(plan.cmdline, "console=ttyS0 console=ttyS1");
	CHECK_EQ_INT(plan.netconsole, BOOT_NETCONSOLE_NO_SYSLOG);
	view.syslog = true;
	CHECK_EQ_INT(ask(BOOT_SERVICE_SCRIPT, &cp), 0);
	expect(BOOT_NETBOOT, BOOT_REASON_GROUP);
	CHECK_EQ_STR(plan.cmdline, "console=ttyS0 console=ttyS1 netconsole={netconsole}");
	CHECK_EQ_INT(plan.netconsole, BOOT_NETCONSOLE_ADDED);
	CHECK_EQ_INT(ipxe_cmdline_validate(plan.cmdline), 0);
	cpp->cmdline_mode = BOOT_CMDLINE_REPLACE; /* after a replaced command line too */
	CHECK_EQ_INT(ask(BOOT_SERVICE_SCRIPT, &cp), 0);
	CHECK_EQ_STR(plan.cmdline, "console=ttyS1 netconsole={netconsole}");
	cpp->cmdline = "";
	CHECK_EQ_INT(ask(BOOT_SERVICE_SCRIPT, &cp), 0);
	CHECK_EQ_STR(plan.cmdline, "netconsole={netconsole}");
	CHECK_EQ_INT(ask(BOOT_SERVICE_SCRIPT, &lab), 0); /* another profile: nothing */
	CHECK_EQ_STR(plan.cmdline, "console=ttyS0");
	CHECK_EQ_INT(plan.netconsole, BOOT_NETCONSOLE_NONE);
	cpp->netconsole = false, cpp->cmdline_mode = BOOT_CMDLINE_APPEND;
	cpp->cmdline = "console=ttyS1";
}

/* A profile's loader: grub and shim-grub by architecture, iPXE where GRUB is not for it. */
static void
test_fleet_loaders(void)
{
	static const struct {
		const char *loader; /* the profile's */
		enum boot_firmware fw;
		uint16_t arch;
		enum boot_reason reason;
		const char *file;
		enum boot_loader_kind kind;
	} cases[] = {
	    {NULL, BOOT_FIRMWARE_PXE, 11, BOOT_REASON_LOADER, "loaders/arm64-efi/netbootd-grub.efi",
	        BOOT_LOADER_GRUB}, /* ARM64 without ipxe.arm64: GRUB */
	    {NULL, BOOT_FIRMWARE_HTTP, 19, BOOT_REASON_LOADER,
	        "loaders/arm64-efi/netbootd-grub.efi", BOOT_LOADER_GRUB},
	    {NULL, BOOT_FIRMWARE_PXE, 7, BOOT_REASON_LOADER, "ipxe.efi", BOOT_LOADER_IPXE},
	    {"grub", BOOT_FIRMWARE_PXE, 7, BOOT_REASON_LOADER,
	        "loaders/x86_64-efi/netbootd-grub.efi", BOOT_LOADER_GRUB},
	    {"grub", BOOT_FIRMWARE_HTTP, 16, BOOT_REASON_LOADER,
	        "loaders/x86_64-efi/netbootd-grub.efi", BOOT_LOADER_GRUB},
	    {"grub", BOOT_FIRMWARE_PXE, 0, BOOT_REASON_LOADER, "undionly.kpxe", BOOT_LOADER_IPXE},
	    {"grub", BOOT_FIRMWARE_PXE, 6, BOOT_REASON_NO_LOADER, NULL, BOOT_LOADER_IPXE},
	    {"shim-grub", BOOT_FIRMWARE_PXE, 7, BOOT_REASON_LOADER,
	        "loaders/x86_64-efi/shimx64.efi", BOOT_LOADER_SHIM_GRUB},
	    {"shim-grub", BOOT_FIRMWARE_HTTP, 16, BOOT_REASON_SHIM_HTTP, NULL, BOOT_LOADER_IPXE},
	    {"shim-grub", BOOT_FIRMWARE_PXE, 11, BOOT_REASON_NO_GRUB, NULL, BOOT_LOADER_IPXE},
	    {"ipxe", BOOT_FIRMWARE_PXE, 11, BOOT_REASON_LOADER,
	        "loaders/arm64-efi/netbootd-grub.efi", BOOT_LOADER_GRUB},
	};
	struct fleet_profile *node = &example_profiles[3];

	reset_fleet();
	view.grub[BOOT_EFI_X86_64] = view.grub[BOOT_EFI_ARM64] = true;
	view.shim[BOOT_EFI_X86_64] = true;
	for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
		struct boot_client c = client(cases[i].fw, mac_a, cases[i].arch);
		bool ok = cases[i].reason == BOOT_REASON_LOADER;

		node->loader = (char *)cases[i].loader;
		CHECK_EQ_INT(ask(BOOT_SERVICE_DHCP, &c), 0);
		expect(ok ? BOOT_NETBOOT : BOOT_IGNORE, cases[i].reason);
		if (cases[i].file != NULL) {
			CHECK_EQ_STR(plan.loader, cases[i].file);
			CHECK_EQ_INT(plan.loader_kind, cases[i].kind);
		} else
			CHECK(plan.loader == NULL);
	}
	/* No GRUB at all: ARM64 gets nothing, a grub profile on x86 neither. */
	view.grub[BOOT_EFI_X86_64] = view.grub[BOOT_EFI_ARM64] = false;
	view.shim[BOOT_EFI_X86_64] = false;
	node->loader = NULL;
	struct boot_client arm = client(BOOT_FIRMWARE_PXE, mac_a, 11);
	CHECK_EQ_INT(ask(BOOT_SERVICE_DHCP, &arm), 0);
	expect(BOOT_IGNORE, BOOT_REASON_NO_LOADER);
	node->loader = "grub";
	struct boot_client x86 = client(BOOT_FIRMWARE_PXE, mac_a, 7);
	CHECK_EQ_INT(ask(BOOT_SERVICE_DHCP, &x86), 0);
	expect(BOOT_IGNORE, BOOT_REASON_NO_GRUB);
	/* iPXE clients of a grub profile: their script, as ever. */
	struct boot_client ipxe = client(BOOT_FIRMWARE_IPXE, mac_a, 7);
	CHECK_EQ_INT(ask(BOOT_SERVICE_DHCP, &ipxe), 0);
	expect(BOOT_NETBOOT, BOOT_REASON_SCRIPT);
	node->loader = NULL;
	CHECK_EQ_STR(boot_loader_kind_name(BOOT_LOADER_SHIM_GRUB), "shim-grub");
	enum boot_loader_kind k;
	CHECK_EQ_INT(boot_loader_kind_from_name("pxelinux", &k), -EINVAL);
	CHECK_EQ_INT(boot_loader_kind_from_name(NULL, &k), 0);
	CHECK_EQ_INT(k, BOOT_LOADER_IPXE);
}

static void
test_fleet_actions(void)
{
	struct boot_client disk_ipxe = client_arch(BOOT_FIRMWARE_IPXE, bb09, BOOT_ARCH_BIOS),
	                   disk_rom = client_arch(BOOT_FIRMWARE_PXE, bb09, BOOT_ARCH_BIOS),
	                   unknown = client_arch(BOOT_FIRMWARE_IPXE, other, BOOT_ARCH_BIOS),
	                   lab = client_arch(BOOT_FIRMWARE_IPXE, mac_a, BOOT_ARCH_BIOS);

	reset_fleet();
	/* local: iPXE gets a script that exits, firmware without iPXE gets no answer. */
	CHECK_EQ_INT(ask(BOOT_SERVICE_SCRIPT, &disk_ipxe), 0);
	expect(BOOT_LOCAL, BOOT_REASON_MACHINE_PROFILE);
	CHECK_EQ_STR(plan.profile, "disk");
	CHECK_EQ_INT(ask(BOOT_SERVICE_DHCP, &disk_ipxe), 0);
	CHECK_EQ_INT(plan.action, BOOT_LOCAL);
	CHECK_EQ_INT(ask(BOOT_SERVICE_DHCP, &disk_rom), 0);
	expect(BOOT_IGNORE, BOOT_REASON_LOCAL);
	CHECK(plan.loader == NULL);
	/* ignore */
	fake.machines[1].m.profile = "off";
	CHECK_EQ_INT(ask(BOOT_SERVICE_SCRIPT, &disk_ipxe), 0);
	expect(BOOT_IGNORE, BOOT_REASON_PROFILE_IGNORE);
	CHECK_EQ_INT(ask(BOOT_SERVICE_DHCP, &disk_rom), 0);
	expect(BOOT_IGNORE, BOOT_REASON_PROFILE_IGNORE);
	/* a profile that does not exist refuses, it never falls back */
	fake.machines[1].m.profile = "nope";
	CHECK_EQ_INT(ask(BOOT_SERVICE_SCRIPT, &disk_ipxe), 0);
	expect(BOOT_IGNORE, BOOT_REASON_PROFILE_MISSING);
	/* an assignment overrides every group */
	fake.machines[1].m.profile = NULL;
	fake.machines[1].m.image = "kairos-arm64";
	CHECK_EQ_INT(ask(BOOT_SERVICE_SCRIPT, &disk_ipxe), 0);
	expect(BOOT_NETBOOT, BOOT_REASON_ASSIGNED);
	CHECK(plan.group == NULL);
	/* a profile's missing image: the script waits, ProxyDHCP says nothing */
	example_profiles[3].image = "gone";
	CHECK_EQ_INT(ask(BOOT_SERVICE_SCRIPT, &lab), 0);
	expect(BOOT_WAIT, BOOT_REASON_IMAGE_MISSING);
	CHECK_EQ_STR(plan.missing, "gone");
	CHECK_EQ_INT(ask(BOOT_SERVICE_DHCP, &lab), 0);
	expect(BOOT_IGNORE, BOOT_REASON_IMAGE_MISSING);
	example_profiles[3].image = "kairos";
	/* default boot off: a group with selectors still boots its machines, the default does not */
	view.default_boot = false;
	CHECK_EQ_INT(ask(BOOT_SERVICE_SCRIPT, &lab), 0);
	expect(BOOT_NETBOOT, BOOT_REASON_GROUP);
	CHECK_EQ_INT(ask(BOOT_SERVICE_SCRIPT, &unknown), 0);
	expect(BOOT_IGNORE, BOOT_REASON_DEFAULT_BOOT_OFF);
}

static void
test_fleet_selectors(void)
{
	struct fleet_group g[] = {
	    {.name = "by-if", .match = {.interface = "eth1"}, .profile = "kairos-node"},
	    {.name = "by-net",
	        .match = {.interface = "10.9.0.0/16"},
	        .profile = "arm-edge",
	        .priority = 1},
	    {.name = "by-uuid",
	        .match = {.has_uuid = true, .uuid = {1, 2}},
	        .profile = "disk",
	        .priority = 2},
	};
	struct boot_client c = client_arch(BOOT_FIRMWARE_IPXE, other, BOOT_ARCH_BIOS);

	reset_fleet();
	view.groups = g;
	view.n_groups = ELEMENTSOF(g);
	CHECK_EQ_INT(ask(BOOT_SERVICE_SCRIPT, &c), 0);
	CHECK(plan.group == NULL); /* nothing matches, no default group: the only-image rule */
	snprintf(c.ifname, sizeof(c.ifname), "eth1");
	CHECK_EQ_INT(ask(BOOT_SERVICE_SCRIPT, &c), 0);
	CHECK_EQ_STR(plan.group, "by-if");
	c.addr.s_addr = htonl(0x0a090102); /* 10.9.1.2 */
	CHECK_EQ_INT(ask(BOOT_SERVICE_SCRIPT, &c), 0);
	CHECK_EQ_STR(plan.group, "by-net");
	c.addr.s_addr = htonl(0x0a0a0102);
	c.relay.s_addr = htonl(0x0a090001); /* the relay's subnet counts, not the client's */
	CHECK_EQ_INT(ask(BOOT_SERVICE_SCRIPT, &c), 0);
	CHECK_EQ_STR(plan.group, "by-net");
	c.has_uuid = true;
	c.uuid[0] = 1, c.uuid[1] = 2;
	CHECK_EQ_INT(ask(BOOT_SERVICE_SCRIPT, &c), 0);
	CHECK_EQ_STR(plan.group, "by-uuid");
}

static void
test_fleet_explain(void)
{
	struct boot_client cp = client_arch(BOOT_FIRMWARE_IPXE, bb01, BOOT_ARCH_BIOS),
	                   disk = client_arch(BOOT_FIRMWARE_IPXE, bb09, BOOT_ARCH_BIOS);
	static const enum boot_verdict want_cp[] = {BOOT_GROUP_NO_MATCH, BOOT_GROUP_WON,
	    BOOT_GROUP_LESS_SPECIFIC, BOOT_GROUP_LOWER_PRIORITY};
	struct boot_trace t;
	struct boot_plan p;

	reset_fleet();
	CHECK_EQ_INT(boot_explain(&view, &cp, BOOT_SERVICE_SCRIPT, &p, &t), 0);
	CHECK_EQ_INT(t.n, ELEMENTSOF(example_groups));
	for (size_t i = 0; i < t.n && i < ELEMENTSOF(want_cp); i++) {
		CHECK(t.candidates[i].group == &example_groups[i]);
		CHECK_EQ_INT(t.candidates[i].verdict, want_cp[i]);
	}
	CHECK_EQ_STR(t.candidates[0].selector, "arch");
	boot_trace_done(&t);
	boot_plan_done(&p);
	/* The machine entry decides: every matching group is overridden. */
	CHECK_EQ_INT(boot_explain(&view, &disk, BOOT_SERVICE_SCRIPT, &p, &t), 0);
	CHECK_EQ_INT(t.candidates[1].verdict, BOOT_GROUP_NO_MATCH);
	CHECK_EQ_STR(t.candidates[1].selector, "labels.role");
	CHECK_EQ_INT(t.candidates[3].verdict, BOOT_GROUP_OVERRIDDEN);
	boot_trace_done(&t);
	boot_plan_done(&p);
	/* The same plan as boot_decide. */
	CHECK_EQ_INT(boot_explain(&view, &cp, BOOT_SERVICE_SCRIPT, &p, NULL), 0);
	CHECK_EQ_INT(ask(BOOT_SERVICE_SCRIPT, &cp), 0);
	CHECK_EQ_STR(p.cmdline, plan.cmdline);
	CHECK(p.group == plan.group && p.reason == plan.reason);
	boot_plan_done(&p);
	for (int v = 0; v < _BOOT_VERDICT_MAX; v++)
		CHECK(strcmp(boot_verdict_name(v), "unknown") != 0);
}

static void
test_done(void)
{
	boot_plan_done(&plan);
	CHECK(plan.cmdline == NULL);
	boot_plan_done(&plan); /* twice is harmless */
}

/* The MACs the lifecycle says are installed. */
static const uint8_t *installed_mac;

static bool
fake_installed(void *u, const uint8_t mac[MAC_LEN])
{
	(void)u;
	return installed_mac != NULL && memcmp(mac, installed_mac, MAC_LEN) == 0;
}

static void
test_lifecycle(void)
{
	struct fleet_profile *cpp = &example_profiles[2];
	struct boot_client cp = client_arch(BOOT_FIRMWARE_IPXE, bb01, BOOT_ARCH_BIOS),
	                   pxe = client(BOOT_FIRMWARE_PXE, bb01, 0),
	                   none = client_arch(BOOT_FIRMWARE_IPXE, other, BOOT_ARCH_BIOS);

	reset_fleet();
	view.installed = fake_installed;
	installed_mac = NULL;
	CHECK_EQ_INT(ask(BOOT_SERVICE_CONFIG, &cp), 0);
	CHECK(plan.report && !plan.installed && plan.after_install == FLEET_AFTER_LOCAL);
	installed_mac = bb01; /* installed, after_install local (the default) */
	CHECK_EQ_INT(ask(BOOT_SERVICE_SCRIPT, &cp), 0);
	expect(BOOT_LOCAL, BOOT_REASON_INSTALLED);
	CHECK(plan.installed);
	CHECK_EQ_INT(ask(BOOT_SERVICE_DHCP, &cp), 0); /* iPXE: its script (which exits) */
	CHECK_EQ_INT(plan.action, BOOT_LOCAL);
	CHECK_EQ_INT(ask(BOOT_SERVICE_DHCP, &pxe), 0); /* a PXE ROM: no answer, to its disk */
	expect(BOOT_IGNORE, BOOT_REASON_INSTALLED);
	cpp->after_install = FLEET_AFTER_IGNORE;
	CHECK_EQ_INT(ask(BOOT_SERVICE_SCRIPT, &cp), 0);
	expect(BOOT_IGNORE, BOOT_REASON_INSTALLED);
	cpp->after_install = FLEET_AFTER_NETBOOT;
	CHECK_EQ_INT(ask(BOOT_SERVICE_SCRIPT, &cp), 0);
	expect(BOOT_NETBOOT, BOOT_REASON_GROUP);
	CHECK(plan.installed);
	cpp->after_install = FLEET_AFTER_LOCAL, cpp->no_report = true; /* no lifecycle */
	CHECK_EQ_INT(ask(BOOT_SERVICE_SCRIPT, &cp), 0);
	expect(BOOT_NETBOOT, BOOT_REASON_GROUP);
	CHECK(!plan.report && !plan.installed);
	CHECK_EQ_INT(ask(BOOT_SERVICE_CONFIG, &cp), 0);
	CHECK(!plan.report);
	cpp->no_report = false;
	installed_mac = other; /* the default group's profile: after_install unset, local */
	CHECK_EQ_INT(ask(BOOT_SERVICE_SCRIPT, &none), 0);
	expect(BOOT_LOCAL, BOOT_REASON_INSTALLED);
	CHECK_EQ_INT(ask(BOOT_SERVICE_CONFIG, &none), 0); /* its cloud-config is still served */
	CHECK_EQ_INT(plan.action, BOOT_NETBOOT);
	installed_mac = NULL;
}

/* An EFI image: UEFI firmware gets its boot.efi, iPXE a script that chains it. */
static void
test_efi_image(void)
{
	struct boot_client c;
	char buf[BOOT_PLAN_LOADER_MAX];

	reset();
	add_image("uki", NULL);
	fake.images[0].kind = BOOT_IMAGE_EFI;
	add_image("linux", NULL);
	add_machine(mac_a, "uki", NULL, NULL, BOOT_CMDLINE_APPEND);
	add_machine(mac_b, "linux", NULL, NULL, BOOT_CMDLINE_APPEND);
	for (uint16_t arch = 0; arch <= 19; arch++) {
		if (arch != 7 && arch != 9 && arch != 11 && arch != 16 && arch != 19)
			continue;
		c = client(arch >= 16 ? BOOT_FIRMWARE_HTTP : BOOT_FIRMWARE_PXE, mac_a, arch);
		CHECK_EQ_INT(ask(BOOT_SERVICE_DHCP, &c), 0);
		CHECK_EQ_INT(plan.action, BOOT_NETBOOT);
		CHECK_EQ_INT(plan.reason, BOOT_REASON_LOADER);
		CHECK_EQ_STR(plan.efi_image, "uki");
		CHECK_EQ_STR(plan.image, "uki");
		CHECK_EQ_STR(boot_plan_loader(&plan, buf), "images/uki/boot.efi");
	}
	/* BIOS cannot run it: iPXE as ever. */
	c = client(BOOT_FIRMWARE_PXE, mac_a, 0);
	CHECK_EQ_INT(ask(BOOT_SERVICE_DHCP, &c), 0);
	CHECK_EQ_STR(plan.efi_image, "");
	CHECK_EQ_STR(boot_plan_loader(&plan, buf), "undionly.kpxe");
	/* A Linux image: the loader. */
	c = client(BOOT_FIRMWARE_HTTP, mac_b, 16);
	CHECK_EQ_INT(ask(BOOT_SERVICE_DHCP, &c), 0);
	CHECK_EQ_STR(plan.efi_image, "");
	CHECK_EQ_STR(boot_plan_loader(&plan, buf), "ipxe.efi");
	/* iPXE gets its script, which chains the application. */
	c = client(BOOT_FIRMWARE_IPXE, mac_a, 7);
	CHECK_EQ_INT(ask(BOOT_SERVICE_DHCP, &c), 0);
	CHECK_EQ_INT(plan.reason, BOOT_REASON_SCRIPT);
	CHECK_EQ_STR(plan.efi_image, "");
	CHECK_EQ_INT(ask(BOOT_SERVICE_SCRIPT, &c), 0);
	CHECK_EQ_INT(plan.action, BOOT_NETBOOT);
	CHECK_EQ_STR(plan.efi_image, "uki");
	c = client(BOOT_FIRMWARE_IPXE, mac_b, 7);
	CHECK_EQ_INT(ask(BOOT_SERVICE_SCRIPT, &c), 0);
	CHECK_EQ_STR(plan.efi_image, "");
	/* The default image (the only one) is an EFI image, for an unknown machine. */
	reset();
	add_image("uki", NULL);
	fake.images[0].kind = BOOT_IMAGE_EFI;
	c = client(BOOT_FIRMWARE_HTTP, mac_b, 16);
	CHECK_EQ_INT(ask(BOOT_SERVICE_DHCP, &c), 0);
	CHECK_EQ_STR(plan.efi_image, "uki");
	CHECK_EQ_INT(plan.reason, BOOT_REASON_LOADER);
	/* No loader for the arch: the EFI image is still answered, a Linux one is not. */
	view.loaders[BOOT_LOADER_EFI64] = NULL;
	CHECK_EQ_INT(ask(BOOT_SERVICE_DHCP, &c), 0);
	CHECK_EQ_INT(plan.action, BOOT_NETBOOT);
	CHECK_EQ_STR(boot_plan_loader(&plan, buf), "images/uki/boot.efi");
	fake.images[0].kind = BOOT_IMAGE_LINUX;
	CHECK_EQ_INT(ask(BOOT_SERVICE_DHCP, &c), 0);
	CHECK_EQ_INT(plan.action, BOOT_IGNORE);
	CHECK_EQ_INT(plan.reason, BOOT_REASON_NO_LOADER);
	CHECK(!plan.known && plan.loader == NULL && plan.image[0] == '\0');
	/* Default boot off: an unknown machine gets nothing, EFI image or not. */
	fake.images[0].kind = BOOT_IMAGE_EFI;
	view.loaders[BOOT_LOADER_EFI64] = "ipxe.efi";
	view.default_boot = false;
	CHECK_EQ_INT(ask(BOOT_SERVICE_DHCP, &c), 0);
	CHECK_EQ_INT(plan.action, BOOT_IGNORE);
	CHECK_EQ_STR(plan.efi_image, "");
	/* No callback: no image is an EFI image. */
	view.default_boot = true;
	view.image_kind = NULL;
	CHECK_EQ_INT(ask(BOOT_SERVICE_DHCP, &c), 0);
	CHECK_EQ_STR(plan.efi_image, "");
	boot_plan_done(&plan);
}

/*
 * An ISO image: UEFI HTTP Boot gets its boot.iso, UEFI PXE the iPXE loader
 * (whose script sanboots it), a GRUB profile over PXE nothing.
 */
static void
test_iso_image(void)
{
	struct boot_client c;
	char buf[BOOT_PLAN_LOADER_MAX];
	struct fleet_profile *node = &example_profiles[3];

	reset();
	add_image("live", NULL);
	fake.images[0].kind = BOOT_IMAGE_ISO;
	add_machine(mac_a, "live", NULL, NULL, BOOT_CMDLINE_APPEND);
	for (uint16_t arch = 16; arch <= 19; arch += 3) {
		c = client(BOOT_FIRMWARE_HTTP, mac_a, arch);
		CHECK_EQ_INT(ask(BOOT_SERVICE_DHCP, &c), 0);
		expect(BOOT_NETBOOT, BOOT_REASON_LOADER);
		CHECK_EQ_STR(plan.efi_image, "live");
		CHECK(plan.efi_iso);
		CHECK_EQ_STR(boot_plan_loader(&plan, buf), "images/live/boot.iso");
	}
	c = client(BOOT_FIRMWARE_PXE, mac_a, 7); /* the firmware cannot boot an ISO from TFTP */
	CHECK_EQ_INT(ask(BOOT_SERVICE_DHCP, &c), 0);
	expect(BOOT_NETBOOT, BOOT_REASON_LOADER);
	CHECK_EQ_STR(plan.efi_image, "");
	CHECK_EQ_STR(boot_plan_loader(&plan, buf), "ipxe.efi");
	c = client(BOOT_FIRMWARE_IPXE, mac_a, 7); /* its script sanboots the ISO */
	CHECK_EQ_INT(ask(BOOT_SERVICE_SCRIPT, &c), 0);
	CHECK_EQ_INT(plan.action, BOOT_NETBOOT);
	CHECK_EQ_STR(plan.efi_image, "live");
	CHECK(plan.efi_iso);
	c = client(BOOT_FIRMWARE_PXE, mac_a, 0);
	CHECK_EQ_INT(ask(BOOT_SERVICE_DHCP, &c), 0);
	CHECK_EQ_STR(boot_plan_loader(&plan, buf), "undionly.kpxe");
	view.loaders[BOOT_LOADER_EFI64] = NULL; /* no loader: HTTP Boot only */
	c = client(BOOT_FIRMWARE_PXE, mac_a, 7);
	CHECK_EQ_INT(ask(BOOT_SERVICE_DHCP, &c), 0);
	expect(BOOT_IGNORE, BOOT_REASON_NO_LOADER);
	c = client(BOOT_FIRMWARE_HTTP, mac_a, 16);
	CHECK_EQ_INT(ask(BOOT_SERVICE_DHCP, &c), 0);
	expect(BOOT_NETBOOT, BOOT_REASON_LOADER);
	CHECK_EQ_STR(boot_plan_loader(&plan, buf), "images/live/boot.iso");
	/* A profile whose loader is GRUB: not over PXE, where only iPXE could boot it. */
	reset_fleet();
	for (size_t i = 0; i < fake.n_images; i++)
		fake.images[i].kind = BOOT_IMAGE_ISO;
	view.grub[BOOT_EFI_X86_64] = true;
	node->loader = "grub";
	c = client(BOOT_FIRMWARE_PXE, mac_a, 7);
	CHECK_EQ_INT(ask(BOOT_SERVICE_DHCP, &c), 0);
	expect(BOOT_IGNORE, BOOT_REASON_ISO_LOADER);
	CHECK(plan.loader == NULL);
	view.grub[BOOT_EFI_X86_64] = false; /* the same reason without GRUB's files */
	CHECK_EQ_INT(ask(BOOT_SERVICE_DHCP, &c), 0);
	expect(BOOT_IGNORE, BOOT_REASON_ISO_LOADER);
	c = client(BOOT_FIRMWARE_PXE, mac_a, 0); /* BIOS: iPXE, which sanboots it */
	CHECK_EQ_INT(ask(BOOT_SERVICE_DHCP, &c), 0);
	expect(BOOT_NETBOOT, BOOT_REASON_LOADER);
	c = client(BOOT_FIRMWARE_HTTP, mac_a, 16);
	CHECK_EQ_INT(ask(BOOT_SERVICE_DHCP, &c), 0);
	expect(BOOT_NETBOOT, BOOT_REASON_LOADER);
	CHECK(plan.efi_iso);
	node->loader = NULL;
	boot_plan_done(&plan);
}

TEST_MAIN(TEST(test_efi_image), TEST(test_iso_image), TEST(test_dhcp_loaders),
    TEST(test_dhcp_store), TEST(test_script_image), TEST(test_script_cmdline), TEST(test_config),
    TEST(test_errors), TEST(test_default_image), TEST(test_loader_known), TEST(test_reason_names),
    TEST(test_fleet_groups), TEST(test_fleet_actions), TEST(test_fleet_loaders),
    TEST(test_fleet_selectors), TEST(test_fleet_explain), TEST(test_done),
    TEST(test_fleet_netconsole), TEST(test_lifecycle))
