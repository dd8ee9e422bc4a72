/*
 * lib/boot/fleet.c: labels, copies, sorting and finding, merging, and
 * fleet_validate() with the exact message of every refusal (the tie rule
 * included).
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fleet.h"
#include "test.h"

/* The fleet's elements by name, to change in a test. */
#define PROFILE(f, name) ((struct fleet_profile *)fleet_profile_find((f), (name)))
#define GROUP(f, name)   ((struct fleet_group *)fleet_group_find((f), (name)))
#define CONFIG(f, name)  ((struct fleet_config *)fleet_config_find((f), (name)))

/* Replace a string field. */
static void
set(char **field, const char *s)
{
	free(*field);
	*field = s != NULL ? strdup(s) : NULL;
}

static char *
dup_or_null(const char *s)
{
	return s != NULL ? strdup(s) : NULL;
}

static void *
grow(void *v, size_t n, size_t size)
{
	char *p = realloc(v, (n + 1) * size);

	if (p == NULL)
		abort();
	memset(p + n * size, 0, size);
	return p;
}

/* A new zeroed element at the end of array v of n. */
#define ADD(v, n) ((v) = grow((v), (n), sizeof(*(v))), &(v)[(n)++])

static struct fleet_profile *
add_profile(struct fleet *f, const char *name, const char *image, const char *config, unsigned line)
{
	struct fleet_profile *p = ADD(f->profiles, f->n_profiles);

	p->name = strdup(name);
	p->image = dup_or_null(image);
	p->config = dup_or_null(config);
	p->line = line;
	return p;
}

static struct fleet_group *
add_group(struct fleet *f, const char *name, const char *profile, int priority, unsigned line)
{
	struct fleet_group *g = ADD(f->groups, f->n_groups);

	g->name = strdup(name);
	g->profile = dup_or_null(profile);
	g->priority = priority;
	g->line = line;
	return g;
}

static struct fleet_machine *
add_machine(struct fleet *f, const char *mac, const char *profile, unsigned line)
{
	struct fleet_machine *m = ADD(f->machines, f->n_machines);

	CHECK_EQ_INT(mac_parse(mac, m->mac), 0);
	m->profile = dup_or_null(profile);
	m->line = line;
	return m;
}

static void
add_config(struct fleet *f, const char *name, const char *content, unsigned line)
{
	struct fleet_config *c = ADD(f->configs, f->n_configs);

	c->name = strdup(name);
	c->content = strdup(content);
	c->len = strlen(content);
	c->line = line;
}

/* The example, with the lines of its fleet file. */
static void
example(struct fleet *f)
{
	*f = (struct fleet){0};
	add_config(f, "worker", "#cloud-config\n", 2);
	add_config(f, "control-plane", "#cloud-config\nhostname: cp-{{mac}}\n", 3);
	add_profile(f, "kairos-cp", "kairos", "control-plane", 5)->cmdline =
	    strdup("console=ttyS1");
	add_profile(f, "kairos-node", "kairos", "worker", 6);
	add_profile(f, "arm-edge", "kairos-arm64", NULL, 7)->cmdline = strdup("console=ttyAMA0");
	add_profile(f, "disk", NULL, NULL, 8)->action = FLEET_ACTION_LOCAL;
	CHECK_EQ_INT(
	    fleet_labels_set(
	        &add_group(f, "control-plane", "kairos-cp", 20, 10)->match.labels, "role", "cp"),
	    0);
	add_group(f, "arm", "arm-edge", 0, 11)->match.arch = BOOT_ARCH_EFI_ARM64;
	add_group(f, "lab", "kairos-node", 10, 12)->match.mac = strdup("52:54:00:*");
	add_group(f, "default", "kairos-node", 0, 13);
	CHECK_EQ_INT(
	    fleet_labels_set(&add_machine(f, "52:54:00:aa:bb:01", NULL, 15)->labels, "role", "cp"),
	    0);
	add_machine(f, "52:54:00:aa:bb:09", "disk", 16);
	fleet_sort(f);
}

static bool
world_image(void *userdata, const char *name)
{
	return strcmp(name, "kairos") == 0 || strcmp(name, "kairos-arm64") == 0;
}

static bool
world_config(void *userdata, const char *name)
{
	return strcmp(name, "stored") == 0;
}

static const struct fleet_world world = {world_image, world_config, NULL};

/* fleet_validate(f, &world) gives 'message' (NULL: accepts). */
static void
check_validate(const struct fleet *f, const char *message)
{
	char *error = NULL;
	int r = fleet_validate(f, &world, &error);

	if (message == NULL) {
		if (r != 0)
			fprintf(stderr, "unexpected refusal: %s\n", error ? error : "(none)");
		CHECK_EQ_INT(r, 0);
		CHECK(error == NULL);
	} else {
		CHECK_EQ_INT(r, -EINVAL);
		CHECK_EQ_STR(error, message);
	}
	free(error);
}

static void
test_labels(void)
{
	struct fleet_labels l = {0}, c = {0};

	CHECK_EQ_INT(fleet_labels_set(&l, "zone", "a"), 0);
	CHECK_EQ_INT(fleet_labels_set(&l, "role", "worker"), 0);
	CHECK_EQ_INT(fleet_labels_set(&l, "example.com/rack", "12"), 0);
	CHECK_EQ_INT(fleet_labels_set(&l, "role", "cp"), 0);
	CHECK_EQ_INT(l.n, 3);
	CHECK_EQ_STR(l.v[0].key, "example.com/rack");
	CHECK_EQ_STR(l.v[1].key, "role");
	CHECK_EQ_STR(l.v[2].key, "zone");
	CHECK_EQ_STR(fleet_labels_get(&l, "role"), "cp");
	CHECK(fleet_labels_get(&l, "rack") == NULL);
	CHECK_EQ_INT(fleet_labels_set(&l, "Role", "x"), -EINVAL);
	CHECK_EQ_INT(fleet_labels_set(&l, "role", "a b"), -EINVAL);
	CHECK_EQ_INT(fleet_labels_set(&l, "-role", "x"), -EINVAL);
	CHECK_EQ_INT(fleet_labels_copy(&l, &c), 0);
	CHECK_EQ_INT(fleet_labels_remove(&l, "role"), 0);
	CHECK_EQ_INT(fleet_labels_remove(&l, "role"), -ENOENT);
	CHECK_EQ_INT(l.n, 2);
	CHECK_EQ_STR(fleet_labels_get(&c, "role"), "cp");
	CHECK_EQ_INT(fleet_labels_remove(&l, "zone"), 0);
	CHECK_EQ_INT(fleet_labels_remove(&l, "example.com/rack"), 0);
	CHECK(l.n == 0 && l.v == NULL);
	fleet_labels_clear(&l);
	fleet_labels_clear(&c);
	CHECK(c.n == 0 && c.v == NULL);
}

static void
test_labels_cap(void)
{
	struct fleet_labels l = {0};
	char key[16];

	for (int i = 0; i < FLEET_MAX_LABELS; i++) {
		snprintf(key, sizeof(key), "k%02d", i);
		CHECK_EQ_INT(fleet_labels_set(&l, key, "v"), 0);
	}
	CHECK_EQ_INT(fleet_labels_set(&l, "another", "v"), -E2BIG);
	CHECK_EQ_INT(fleet_labels_set(&l, "k05", "replaced"), 0);
	CHECK_EQ_INT(l.n, FLEET_MAX_LABELS);
	CHECK_EQ_STR(fleet_labels_get(&l, "k05"), "replaced");
	fleet_labels_clear(&l);
}

static void
test_copy_sort_find(void)
{
	struct fleet f, c;
	uint8_t mac[MAC_LEN];

	example(&f);
	CHECK_EQ_STR(f.profiles[0].name, "arm-edge");
	CHECK_EQ_STR(f.groups[0].name, "arm");
	CHECK_EQ_STR(f.configs[0].name, "control-plane");
	CHECK_EQ_INT(fleet_copy(&f, &c), 0);
	CHECK(fleet_equal(&f, &c));
	CHECK(c.profiles[1].name != f.profiles[1].name);
	CHECK_EQ_STR(fleet_profile_find(&c, "kairos-cp")->image, "kairos");
	CHECK(fleet_profile_find(&c, "kairos") == NULL);
	CHECK_EQ_INT(fleet_group_find(&c, "lab")->priority, 10);
	CHECK(fleet_group_find(&c, "nope") == NULL);
	CHECK_EQ_INT(mac_parse("52:54:00:AA:BB:09", mac), 0);
	CHECK_EQ_STR(fleet_machine_find(&c, mac)->profile, "disk");
	mac[5] = 0x10;
	CHECK(fleet_machine_find(&c, mac) == NULL);
	CHECK_EQ_INT(fleet_config_find(&c, "worker")->len, 14);
	set(&GROUP(&c, "lab")->match.mac, "52:54:01:*");
	CHECK(!fleet_equal(&f, &c));
	fleet_clear(&c);
	fleet_clear(&f);
	CHECK(fleet_profile_find(&f, "x") == NULL && fleet_machine_find(&f, mac) == NULL);
	fleet_clear(&f);
}

static void
test_equal(void)
{
	struct fleet a, b;

	example(&a);
	example(&b);
	b.profiles[0].line = 99;
	CHECK(fleet_equal(&a, &b));
	PROFILE(&b, "disk")->cmdline_mode = BOOT_CMDLINE_REPLACE; /* it has no command line */
	CHECK(fleet_equal(&a, &b));
	PROFILE(&b, "arm-edge")->cmdline_mode = BOOT_CMDLINE_REPLACE; /* it has one */
	CHECK(!fleet_equal(&a, &b));
	PROFILE(&b, "arm-edge")->cmdline_mode = BOOT_CMDLINE_APPEND;
	GROUP(&b, "arm")->match.has_uuid = true;
	CHECK(!fleet_equal(&a, &b));
	GROUP(&b, "arm")->match.has_uuid = false;
	CONFIG(&b, "worker")->content[0] = 'X';
	CHECK(!fleet_equal(&a, &b));
	fleet_clear(&a);
	fleet_clear(&b);
}

static void
test_merge(void)
{
	struct fleet run = {0}, file = {0}, m;
	uint8_t mac[MAC_LEN];

	add_profile(&run, "a", "old", NULL, 0);
	add_profile(&run, "c", "keep", NULL, 0);
	add_machine(&run, "52:54:00:00:00:01", NULL, 0);
	add_config(&run, "stored", "#cloud-config\n", 0);
	add_profile(&file, "a", "new", NULL, 3);
	add_profile(&file, "b", "added", NULL, 4);
	add_group(&file, "g", "b", 0, 6);
	add_machine(&file, "52:54:00:00:00:02", "a", 8);
	CHECK_EQ_INT(fleet_merge(&run, &file, false, &m), 0);
	CHECK_EQ_INT(m.n_profiles, 3);
	CHECK_EQ_STR(fleet_profile_find(&m, "a")->image, "new");
	CHECK_EQ_INT(fleet_profile_find(&m, "a")->line, 3);
	CHECK_EQ_STR(fleet_profile_find(&m, "c")->image, "keep");
	CHECK_EQ_INT(m.n_groups, 1);
	CHECK_EQ_INT(m.n_machines, 2);
	CHECK_EQ_INT(m.n_configs, 1);
	CHECK_EQ_INT(mac_parse("52:54:00:00:00:01", mac), 0);
	CHECK(fleet_machine_find(&m, mac) != NULL);
	fleet_clear(&m);
	CHECK_EQ_INT(fleet_merge(&run, &file, true, &m), 0);
	CHECK(fleet_equal(&m, &file));
	CHECK(fleet_machine_find(&m, mac) == NULL);
	fleet_clear(&m);
	fleet_clear(&run);
	fleet_clear(&file);
}

static void
test_validate_example(void)
{
	struct fleet f;
	char *error = NULL;

	example(&f);
	check_validate(&f, NULL);
	CHECK_EQ_INT(fleet_validate(&f, NULL, &error), 0);
	fleet_clear(&f);
	check_validate(&f, NULL); /* the empty fleet */
}

static void
test_validate_references(void)
{
	struct fleet f;

	example(&f);
	set(&PROFILE(&f, "kairos-cp")->image, "kairos-v2");
	check_validate(&f, "line 5: profile \"kairos-cp\": no image \"kairos-v2\"");
	fleet_clear(&f);

	example(&f);
	set(&PROFILE(&f, "kairos-node")->config, "missing");
	check_validate(&f, "line 6: profile \"kairos-node\": no config \"missing\"");
	set(&PROFILE(&f, "kairos-node")->config, "stored"); /* the world's */
	check_validate(&f, NULL);
	fleet_clear(&f);

	example(&f);
	set(&GROUP(&f, "lab")->profile, "gone");
	check_validate(&f, "line 12: group \"lab\": no profile \"gone\"");
	set(&GROUP(&f, "lab")->profile, NULL);
	check_validate(&f, "line 12: group \"lab\": names no profile");
	fleet_clear(&f);

	example(&f);
	set(&f.machines[1].profile, "gone");
	check_validate(&f, "line 16: machine 52:54:00:aa:bb:09: no profile \"gone\"");
	set(&f.machines[1].image, "kairos");
	check_validate(&f, "line 16: machine 52:54:00:aa:bb:09: names both a profile and an image");
	set(&f.machines[1].profile, NULL);
	check_validate(&f, NULL); /* an assignment */
	set(&f.machines[1].image, "nope");
	check_validate(&f, "line 16: machine 52:54:00:aa:bb:09: no image \"nope\"");
	fleet_clear(&f);
}

static void
test_validate_values(void)
{
	struct fleet f;
	char big[FLEET_CMDLINE_MAX + 2];

	example(&f);
	set(&PROFILE(&f, "kairos-node")->loader, "grub");
	check_validate(&f, NULL);
	set(&PROFILE(&f, "kairos-node")->loader, "shim-grub");
	check_validate(&f, NULL);
	set(&PROFILE(&f, "kairos-node")->loader, "pxelinux");
	check_validate(
	    &f, "line 6: profile \"kairos-node\": the loader is not ipxe, grub or shim-grub");
	set(&PROFILE(&f, "kairos-node")->loader, "ipxe");
	check_validate(&f, NULL);
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	set(&PROFILE(&f, "kairos-node")->cmdline, big);
	check_validate(&f, "line 6: profile \"kairos-node\": the command line is longer than "
	                   "2048 bytes or holds a control character");
	big[FLEET_CMDLINE_MAX] = '\0';
	set(&PROFILE(&f, "kairos-node")->cmdline, big);
	check_validate(&f, NULL);
	set(&PROFILE(&f, "kairos-node")->cmdline, "x={nope}");
	check_validate(&f, "line 6: profile \"kairos-node\": the command line has an unknown or "
	                   "unterminated {placeholder}");
	set(&PROFILE(&f, "kairos-node")->cmdline, "x={mac} {{");
	check_validate(&f, NULL);
	f.machines[0].cmdline = strdup("{anything}"); /* an assignment's: as `assign` takes it */
	check_validate(&f, NULL);
	GROUP(&f, "control-plane")->priority = FLEET_PRIORITY_MAX + 1;
	check_validate(&f, "line 10: group \"control-plane\": priority 1000001 is out of range "
	                   "(-1000000-1000000)");
	GROUP(&f, "control-plane")->priority = 20;
	set(&GROUP(&f, "control-plane")->match.labels.v[0].key, "Bad Key");
	check_validate(&f, "line 10: group \"control-plane\": a label key is not valid");
	fleet_clear(&f);

	example(&f);
	set(&GROUP(&f, "lab")->match.mac, "52:54:00:ZZ");
	check_validate(&f, "line 12: group \"lab\": the mac selector is not a MAC or glob");
	set(&GROUP(&f, "lab")->match.mac, "52:54:00:AA:*"); /* not lower-cased */
	check_validate(&f, "line 12: group \"lab\": the mac selector is not a MAC or glob");
	set(&GROUP(&f, "lab")->match.interface, "not an interface");
	set(&GROUP(&f, "lab")->match.mac, NULL);
	check_validate(&f, "line 12: group \"lab\": the interface selector is not an interface "
	                   "name or a.b.c.d/len");
	fleet_clear(&f);

	example(&f);
	set(&f.machines[0].labels.v[0].value, "c p");
	check_validate(
	    &f, "line 15: machine 52:54:00:aa:bb:01: label role: the value is not valid");
	fleet_clear(&f);

	example(&f);
	set(&CONFIG(&f, "worker")->content, "hostname: x\n");
	CONFIG(&f, "worker")->len = strlen("hostname: x\n");
	check_validate(&f, "line 2: config \"worker\": not a valid cloud-config: line 1: the "
	                   "first line is not \"#cloud-config\"");
	fleet_clear(&f);
}

static void
test_validate_order(void)
{
	struct fleet f;

	example(&f);
	set(&PROFILE(&f, "kairos-node")->name, "b"); /* at line 6, after kairos-cp */
	check_validate(&f, "line 6: profile \"b\" is out of order");
	fleet_sort(&f);
	set(&PROFILE(&f, "kairos-cp")->name, "disk"); /* line 5; the other "disk" is at line 8 */
	check_validate(&f, "line 8: profile \"disk\" is defined twice");
	fleet_clear(&f);

	example(&f);
	set(&PROFILE(&f, "arm-edge")->name, "bad\nname"); /* still sorted */
	check_validate(&f, "line 7: profile with an invalid name");
	fleet_clear(&f);
}

static void
test_validate_ties(void)
{
	struct fleet f;

	example(&f);
	add_group(&f, "default2", "disk", 0, 14);
	fleet_sort(&f);
	check_validate(&f,
	    "line 14: group \"default2\" ties with group \"default\" (line 13): both "
	    "have 0 selectors and priority 0 and may match the same machine; give "
	    "one of them another priority");
	GROUP(&f, "default2")->priority = -1;
	check_validate(&f, NULL);
	fleet_clear(&f);

	/* one selector each: arm (arch) and lab2 (mac), priority 0 */
	example(&f);
	add_group(&f, "lab2", "disk", 0, 20)->match.mac = strdup("52:54:00:aa:*");
	fleet_sort(&f);
	check_validate(&f, "line 20: group \"lab2\" ties with group \"arm\" (line 11): both have 1 "
	                   "selector and priority 0 and may match the same machine; give one of "
	                   "them another priority");
	GROUP(&f, "lab2")->priority = 10; /* now with lab: overlapping globs */
	check_validate(&f, "line 20: group \"lab2\" ties with group \"lab\" (line 12): both have 1 "
	                   "selector and priority 10 and may match the same machine; give one of "
	                   "them another priority");
	set(&GROUP(&f, "lab2")->match.mac, "52:54:01:*"); /* disjoint from lab's */
	check_validate(&f, NULL);
	fleet_clear(&f);

	/* the same arch twice ties; different ones never overlap */
	example(&f);
	add_group(&f, "arm2", "disk", 0, 0)->match.arch = BOOT_ARCH_EFI_ARM64;
	fleet_sort(&f);
	check_validate(&f, "line 11: group \"arm\" ties with group \"arm2\": both have 1 selector "
	                   "and priority 0 and may match the same machine; give one of them "
	                   "another priority");
	GROUP(&f, "arm2")->match.arch = BOOT_ARCH_BIOS;
	check_validate(&f, NULL);
	fleet_clear(&f);
}

/* Equal specificity from different selectors: labels against mac, two labels. */
static void
test_validate_ties_labels(void)
{
	struct fleet f;
	struct fleet_group *g;

	example(&f);
	g = add_group(&f, "workers", "kairos-node", 20, 30);
	CHECK_EQ_INT(fleet_labels_set(&g->match.labels, "role", "worker"), 0);
	fleet_sort(&f);
	check_validate(&f, NULL); /* role=worker and role=cp are disjoint */
	g = GROUP(&f, "workers");
	CHECK_EQ_INT(fleet_labels_set(&g->match.labels, "role", "cp"), 0);
	check_validate(&f,
	    "line 30: group \"workers\" ties with group \"control-plane\" (line 10): "
	    "both have 1 selector and priority 20 and may match the same machine; "
	    "give one of them another priority");
	CHECK_EQ_INT(fleet_labels_set(&g->match.labels, "zone", "a"), 0);
	check_validate(&f, NULL); /* two selectors: more specific */
	fleet_clear(&f);
}

TEST_MAIN(TEST(test_labels), TEST(test_labels_cap), TEST(test_copy_sort_find), TEST(test_equal),
    TEST(test_merge), TEST(test_validate_example), TEST(test_validate_references),
    TEST(test_validate_values), TEST(test_validate_order), TEST(test_validate_ties),
    TEST(test_validate_ties_labels))
