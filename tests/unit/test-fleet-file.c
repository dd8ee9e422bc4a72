/*
 * The fleet file (lib/conf/fleet-file.h): the example parsed field
 * by field, every key in block and flow style, format -> parse giving the
 * same fleet, the diff, and every refusal with its exact "file:line: ...".
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cloud-config.h"
#include "fleet-file.h"
#include "test.h"

/* The example, exactly as written there. */
static const char example[] =
    "configs:\n"
    "  worker: { file: worker.yaml }            # relative to the fleet file\n"
    "  control-plane: { inline: \"#cloud-config\\nhostname: cp-{{mac}}\\n\" }\n"
    "profiles:\n"
    "  kairos-cp:   { image: kairos, config: control-plane, cmdline_append: \"console=ttyS1\" }\n"
    "  kairos-node: { image: kairos, config: worker }\n"
    "  arm-edge:    { image: kairos-arm64, cmdline_append: \"console=ttyAMA0\" }\n"
    "  disk:        { action: local }\n"
    "groups:\n"
    "  control-plane: { match: { labels: { role: cp } }, profile: kairos-cp, priority: 20 }\n"
    "  arm:           { match: { arch: efi-arm64 }, profile: arm-edge }\n"
    "  lab:           { match: { mac: \"52:54:00:*\" }, profile: kairos-node, priority: 10 }\n"
    "  default:       { profile: kairos-node }\n"
    "machines:\n"
    "  \"52:54:00:aa:bb:01\": { labels: { role: cp } }\n"
    "  \"52:54:00:aa:bb:09\": { profile: disk }\n";

static const char worker_yaml[] = "#cloud-config\nusers:\n  - name: kairos\n";

static unsigned reads;

/* worker.yaml and big.yaml exist; anything else is missing, "denied" with a message. */
static int
read_file(void *userdata, const char *path, char **ret, size_t *ret_len, char **ret_error)
{
	size_t big = *(size_t *)userdata;

	reads++;
	if (strcmp(path, "denied.yaml") == 0) {
		*ret_error = strdup("denied.yaml: Permission denied");
		return -EACCES;
	}
	if (strcmp(path, "big.yaml") == 0) {
		char *s = malloc(big + 1);

		memset(s, 'a', big);
		memcpy(s, "#cloud-config\nx: ", 17);
		s[big] = '\0';
		*ret = s;
		*ret_len = big;
		return 0;
	}
	if (strcmp(path, "worker.yaml") != 0)
		return -ENOENT;
	*ret = strdup(worker_yaml);
	*ret_len = strlen(worker_yaml);
	return 0;
}

static size_t big_size = 1000;

static int
parse(const char *text, struct fleet *ret, char **ret_error)
{
	return fleet_file_parse(
	    text, strlen(text), "fleet.yaml", read_file, &big_size, ret, ret_error);
}

static void
parse_ok(const char *text, struct fleet *ret)
{
	char *error = NULL;
	int r = parse(text, ret, &error);

	if (r != 0)
		fprintf(
		    stderr, "unexpected error %d for <<%s>>: %s\n", r, text, error ? error : "");
	CHECK_EQ_INT(r, 0);
	CHECK(error == NULL);
	free(error);
	if (r != 0)
		*ret = (struct fleet){0};
}

static void
parse_err(const char *text, const char *message)
{
	struct fleet f = {0};
	char *error = NULL;
	int r = parse(text, &f, &error);

	if (r != -EINVAL)
		fprintf(stderr, "expected an error for <<%s>>, got %d\n", text, r);
	CHECK_EQ_INT(r, -EINVAL);
	CHECK_EQ_STR(error, message);
	CHECK(f.n_profiles == 0 && f.profiles == NULL);
	free(error);
}

/* format(f), then parse that: the same fleet, and no difference. */
static void
check_round_trip(const struct fleet *f)
{
	struct fleet g = {0};
	char *text = NULL, *error = NULL, *diff = NULL;

	CHECK_EQ_INT(fleet_file_format(f, &text), 0);
	CHECK_EQ_INT(fleet_file_parse(text, strlen(text), "export", NULL, NULL, &g, &error), 0);
	if (error != NULL || !fleet_equal(f, &g))
		fprintf(stderr, "round trip failed (%s):\n%s", error ? error : "not equal", text);
	CHECK(fleet_equal(f, &g));
	CHECK_EQ_INT(fleet_file_diff(f, &g, &diff), 0);
	CHECK_EQ_STR(diff, "");
	free(text);
	free(error);
	free(diff);
	fleet_clear(&g);
}

static void
test_example(void)
{
	struct fleet f;
	const struct fleet_profile *p;
	const struct fleet_group *g;
	char mac[MAC_STRLEN];

	reads = 0;
	parse_ok(example, &f);
	CHECK_EQ_INT(reads, 1);
	CHECK_EQ_INT(f.n_configs, 2);
	CHECK_EQ_STR(f.configs[0].name, "control-plane");
	CHECK_EQ_STR(f.configs[0].content, "#cloud-config\nhostname: cp-{{mac}}\n");
	CHECK_EQ_INT(f.configs[0].len, strlen(f.configs[0].content));
	CHECK_EQ_INT(f.configs[0].line, 3);
	CHECK_EQ_STR(f.configs[1].name, "worker");
	CHECK_EQ_STR(f.configs[1].content, worker_yaml);
	CHECK_EQ_INT(f.configs[1].line, 2);

	CHECK_EQ_INT(f.n_profiles, 4);
	p = fleet_profile_find(&f, "kairos-cp");
	CHECK(p != NULL && p == &f.profiles[2]);
	CHECK_EQ_STR(p->image, "kairos");
	CHECK_EQ_STR(p->config, "control-plane");
	CHECK_EQ_STR(p->cmdline, "console=ttyS1");
	CHECK_EQ_INT(p->cmdline_mode, BOOT_CMDLINE_APPEND);
	CHECK(p->loader == NULL);
	CHECK_EQ_INT(p->action, FLEET_ACTION_NETBOOT);
	CHECK_EQ_INT(p->line, 5);
	p = fleet_profile_find(&f, "kairos-node");
	CHECK_EQ_STR(p->image, "kairos");
	CHECK_EQ_STR(p->config, "worker");
	CHECK(p->cmdline == NULL && p->loader == NULL && p->action == FLEET_ACTION_NETBOOT);
	CHECK_EQ_INT(p->line, 6);
	p = fleet_profile_find(&f, "arm-edge");
	CHECK_EQ_STR(p->image, "kairos-arm64");
	CHECK(p->config == NULL);
	CHECK_EQ_STR(p->cmdline, "console=ttyAMA0");
	CHECK_EQ_INT(p->cmdline_mode, BOOT_CMDLINE_APPEND);
	CHECK_EQ_INT(p->line, 7);
	p = fleet_profile_find(&f, "disk");
	CHECK(p->image == NULL && p->config == NULL && p->cmdline == NULL && p->loader == NULL);
	CHECK_EQ_INT(p->action, FLEET_ACTION_LOCAL);
	CHECK_EQ_INT(p->line, 8);

	CHECK_EQ_INT(f.n_groups, 4);
	g = fleet_group_find(&f, "control-plane");
	CHECK(g->match.mac == NULL && !g->match.has_uuid && g->match.arch == BOOT_ARCH_UNKNOWN &&
	      g->match.interface == NULL);
	CHECK_EQ_INT(g->match.labels.n, 1);
	CHECK_EQ_STR(fleet_labels_get(&g->match.labels, "role"), "cp");
	CHECK_EQ_STR(g->profile, "kairos-cp");
	CHECK_EQ_INT(g->priority, 20);
	CHECK_EQ_INT(g->line, 10);
	g = fleet_group_find(&f, "arm");
	CHECK_EQ_INT(g->match.arch, BOOT_ARCH_EFI_ARM64);
	CHECK_EQ_INT(fleet_match_specificity(&g->match), 1);
	CHECK_EQ_STR(g->profile, "arm-edge");
	CHECK_EQ_INT(g->priority, 0);
	CHECK_EQ_INT(g->line, 11);
	g = fleet_group_find(&f, "lab");
	CHECK_EQ_STR(g->match.mac, "52:54:00:*");
	CHECK_EQ_INT(fleet_match_specificity(&g->match), 1);
	CHECK_EQ_STR(g->profile, "kairos-node");
	CHECK_EQ_INT(g->priority, 10);
	CHECK_EQ_INT(g->line, 12);
	g = fleet_group_find(&f, "default");
	CHECK_EQ_INT(fleet_match_specificity(&g->match), 0);
	CHECK_EQ_STR(g->profile, "kairos-node");
	CHECK_EQ_INT(g->priority, 0);
	CHECK_EQ_INT(g->line, 13);

	CHECK_EQ_INT(f.n_machines, 2);
	mac_format(f.machines[0].mac, ':', mac);
	CHECK_EQ_STR(mac, "52:54:00:aa:bb:01");
	CHECK_EQ_INT(f.machines[0].labels.n, 1);
	CHECK_EQ_STR(fleet_labels_get(&f.machines[0].labels, "role"), "cp");
	CHECK(f.machines[0].profile == NULL && f.machines[0].image == NULL &&
	      f.machines[0].config == NULL && f.machines[0].cmdline == NULL);
	CHECK_EQ_INT(f.machines[0].line, 15);
	mac_format(f.machines[1].mac, ':', mac);
	CHECK_EQ_STR(mac, "52:54:00:aa:bb:09");
	CHECK_EQ_INT(f.machines[1].labels.n, 0);
	CHECK_EQ_STR(f.machines[1].profile, "disk");
	CHECK_EQ_INT(f.machines[1].line, 16);

	CHECK_EQ_INT(fleet_validate(&f, NULL, NULL), 0);
	check_round_trip(&f);
	fleet_clear(&f);
}

/* systemd/fleet.example.yaml, the commented copy in the tree: the same fleet. */
static void
test_example_file(void)
{
	const char *srcdir = getenv("SRCDIR");
	char path[4096], *text = calloc(1, FLEET_FILE_MAX_SIZE + 1);
	struct fleet f, g;
	FILE *in;
	size_t n;

	snprintf(path, sizeof(path), "%s/systemd/fleet.example.yaml", srcdir ? srcdir : "..");
	in = fopen(path, "r");
	if (in == NULL)
		fprintf(stderr, "%s: cannot open (set SRCDIR to the source tree)\n", path);
	CHECK(in != NULL && text != NULL);
	if (in == NULL || text == NULL) {
		free(text);
		return;
	}
	n = fread(text, 1, FLEET_FILE_MAX_SIZE, in);
	fclose(in);
	text[n] = '\0';
	parse_ok(text, &f);
	parse_ok(example, &g);
	CHECK(fleet_equal(&f, &g));
	fleet_clear(&f);
	fleet_clear(&g);
	free(text);
}

/* Every key, in block style, then the same in flow style. */
static const char every_key_block[] =
    "configs:\n"
    "  crlf:\n"
    "    inline: \"#cloud-config\\r\\nhostname: x\\r\\n\"\n"
    "  odd:\n"
    "    inline: \"#cloud-config\\n# \\u00e9t\\u00e9\\tand a tab  \\n\\n\\nk: 'v'\"\n"
    "  worker:\n"
    "    file: worker.yaml\n"
    "profiles:\n"
    "  everything:\n"
    "    image: kairos\n"
    "    config: worker\n"
    "    cmdline: 'console=ttyS0 quiet \"x\" {mac}'\n"
    "    loader: ipxe\n"
    "    action: ignore\n"
    "  \"null\":\n"
    "    image: \"true\"\n"
    "    cmdline: \"\"\n"
    "groups:\n"
    "  all:\n"
    "    match:\n"
    "      mac: \"52:54:00:??:*\"\n"
    "      uuid: 8C2F6B1E-0000-4000-8000-00000000ABCD\n"
    "      arch: http-arm64\n"
    "      interface: 10.0.0.0/8\n"
    "      labels:\n"
    "        example.com/rack: \"12\"\n"
    "        role: \"\"\n"
    "        zone: \"null\"\n"
    "    profile: everything\n"
    "    priority: -1000000\n"
    "  eth:\n"
    "    match: { interface: enp1s0.100 }\n"
    "    profile: \"null\"\n"
    "    priority: 1000000\n"
    "machines:\n"
    "  52-54-00-AA-BB-0C:\n"
    "    labels: { role: worker }\n"
    "    image: kairos\n"
    "    config: odd\n"
    "    cmdline_append: a={b}\n"
    "  \"52:54:00:aa:bb:0d\": ~\n";

static const char every_key_flow[] =
    "{configs: {crlf: {inline: \"#cloud-config\\r\\nhostname: x\\r\\n\"}, odd: {inline: "
    "\"#cloud-config\\n# \\u00e9t\\u00e9\\tand a tab  \\n\\n\\nk: 'v'\"}, worker: {file: "
    "worker.yaml}},\n"
    " profiles: {everything: {image: kairos, config: worker, cmdline: 'console=ttyS0 quiet "
    "\"x\" {mac}', loader: ipxe, action: ignore}, \"null\": {image: \"true\", cmdline: \"\"}},\n"
    " groups: {all: {match: {mac: \"52:54:00:??:*\", uuid: "
    "8c2f6b1e-0000-4000-8000-00000000abcd, arch: http-arm64, interface: 10.0.0.0/8, labels: "
    "{example.com/rack: \"12\", role: \"\", zone: \"null\"}}, profile: everything, priority: "
    "-1000000}, eth: {match: {interface: enp1s0.100}, profile: \"null\", priority: 1000000}},\n"
    " machines: {\"52:54:00:aa:bb:0c\": {labels: {role: worker}, image: kairos, config: odd, "
    "cmdline_append: \"a={b}\"}, \"52:54:00:aa:bb:0d\": {}}}\n";

static void
test_every_key(void)
{
	struct fleet f, g;
	const struct fleet_group *all;
	const struct fleet_profile *p;
	static const uint8_t uuid[FLEET_UUID_LEN] = {
	    0x8c, 0x2f, 0x6b, 0x1e, 0, 0, 0x40, 0, 0x80, 0, 0, 0, 0, 0, 0xab, 0xcd};

	parse_ok(every_key_block, &f);
	parse_ok(every_key_flow, &g);
	CHECK(fleet_equal(&f, &g));
	p = fleet_profile_find(&f, "everything");
	CHECK_EQ_STR(p->cmdline, "console=ttyS0 quiet \"x\" {mac}");
	CHECK_EQ_INT(p->cmdline_mode, BOOT_CMDLINE_REPLACE);
	CHECK_EQ_STR(p->loader, "ipxe");
	CHECK_EQ_INT(p->action, FLEET_ACTION_IGNORE);
	p = fleet_profile_find(&f, "null");
	CHECK_EQ_STR(p->image, "true");
	CHECK_EQ_STR(p->cmdline, "");
	CHECK_EQ_INT(p->cmdline_mode, BOOT_CMDLINE_REPLACE);
	all = fleet_group_find(&f, "all");
	CHECK_EQ_STR(all->match.mac, "52:54:00:??:*");
	CHECK(all->match.has_uuid && memcmp(all->match.uuid, uuid, sizeof(uuid)) == 0);
	CHECK_EQ_INT(all->match.arch, BOOT_ARCH_HTTP_ARM64);
	CHECK_EQ_STR(all->match.interface, "10.0.0.0/8");
	CHECK_EQ_INT(all->match.labels.n, 3);
	CHECK_EQ_STR(fleet_labels_get(&all->match.labels, "role"), "");
	CHECK_EQ_STR(fleet_labels_get(&all->match.labels, "zone"), "null");
	CHECK_EQ_INT(fleet_match_specificity(&all->match), 7);
	CHECK_EQ_INT(all->priority, -1000000);
	CHECK_EQ_STR(fleet_config_find(&f, "crlf")->content, "#cloud-config\r\nhostname: x\r\n");
	CHECK_EQ_STR(f.machines[0].config, "odd");
	CHECK_EQ_STR(f.machines[0].cmdline, "a={b}"); /* any text, as `assign` takes it */
	CHECK_EQ_INT(f.machines[0].cmdline_mode, BOOT_CMDLINE_APPEND);
	CHECK_EQ_INT(f.machines[0].line, 36);
	CHECK_EQ_INT(f.machines[1].line, 41);
	CHECK_EQ_INT(f.n_machines, 2);
	CHECK_EQ_INT(fleet_validate(&f, NULL, NULL), 0);
	check_round_trip(&f);
	fleet_clear(&f);
	fleet_clear(&g);
}

static void
test_empty(void)
{
	static const char *const empty[] = {"", "# only a comment\n", "---\n", "~\n", "{}\n",
	    "configs:\nprofiles: {}\ngroups: ~\nmachines:\n"};
	struct fleet f;
	char *text = NULL;

	for (size_t i = 0; i < sizeof(empty) / sizeof(empty[0]); i++) {
		parse_ok(empty[i], &f);
		CHECK(
		    f.n_configs == 0 && f.n_profiles == 0 && f.n_groups == 0 && f.n_machines == 0);
		fleet_clear(&f);
	}
	CHECK_EQ_INT(fleet_file_format(&f, &text), 0);
	CHECK_EQ_STR(text, "{}\n");
	check_round_trip(&f);
	free(text);
	/* null items: an empty profile and an empty machine */
	parse_ok("profiles: {p: }\nmachines: {\"52:54:00:00:00:01\": }\n", &f);
	CHECK_EQ_INT(f.n_profiles, 1);
	CHECK_EQ_INT(f.n_machines, 1);
	check_round_trip(&f);
	fleet_clear(&f);
	/* null scalars keep the default */
	parse_ok("profiles: {p: {image: ~, cmdline: , action: null}}\n", &f);
	CHECK(f.profiles[0].image == NULL && f.profiles[0].cmdline == NULL);
	fleet_clear(&f);
}

static void
test_bad_yaml(void)
{
	parse_err("profiles: [a, b]\n", "fleet.yaml:1: profiles: expected a mapping, not a list");
	parse_err("- a\n", "fleet.yaml:1: the top level must be a mapping, not a list");
	parse_err("profiles: &a {}\n", "fleet.yaml:1: YAML anchors are not supported");
	parse_err("profiles: {p: {image: &x kairos}}\ngroups: {g: {profile: *x}}\n",
	    "fleet.yaml:1: YAML anchors are not supported");
	parse_err("groups: {g: {profile: *x}}\n", "fleet.yaml:1: YAML aliases are not supported");
	parse_err("profiles: !!map {}\n", "fleet.yaml:1: YAML tags are not supported");
	parse_err(
	    "profiles: {}\n---\nprofiles: {}\n", "fleet.yaml:2: only one YAML document is allowed");
	parse_err("profiles: {p: {image: kairos}\n",
	    "fleet.yaml:2: invalid YAML: did not find expected ',' or '}' while parsing a flow "
	    "mapping");
	/* the shape is fixed, so anything deeper than it is a type error at once */
	parse_err("groups: {g: {match: {labels: {a: [[[[[[[x]]]]]]]}}}}\n",
	    "fleet.yaml:1: group \"g\": expected a label value, not a list");
	parse_err("profiles:\n\tp: {}\n",
	    "fleet.yaml:2: invalid YAML: found character that cannot start any token while "
	    "scanning for the next token");
	parse_err("profiles: {\"a\\0b\": {}}\n", "fleet.yaml:1: contains a NUL character");
	parse_err(
	    "profiles: {p: \xff}\n", "fleet.yaml:1: invalid YAML: invalid leading UTF-8 octet");
}

static void
test_bad_keys(void)
{
	parse_err("profile: {}\n", "fleet.yaml:1: key \"profile\" is not known at the top level "
	                           "(configs, profiles, groups, machines)");
	parse_err("profiles: {}\nprofiles: {}\n", "fleet.yaml:2: key \"profiles\" is given twice");
	parse_err("profiles:\n  p:\n    imgae: kairos\n",
	    "fleet.yaml:3: key \"imgae\" is not known in a profile");
	parse_err("groups: {g: {profile: p, match: {labels: {}, role: cp}}}\n",
	    "fleet.yaml:1: key \"role\" is not known in a group's match");
	parse_err("machines: {\"52:54:00:00:00:01\": {name: x}}\n",
	    "fleet.yaml:1: key \"name\" is not known in a machine");
	parse_err(
	    "configs: {c: {path: x}}\n", "fleet.yaml:1: key \"path\" is not known in a config");
	parse_err("profiles:\n  p:\n    image: a\n    image: b\n",
	    "fleet.yaml:4: profile \"p\": key \"image\" is given twice");
	parse_err("profiles:\n  p: {cmdline: a, cmdline_append: b}\n",
	    "fleet.yaml:2: profile \"p\": cmdline and cmdline_append exclude each other");
	parse_err("machines:\n  \"52:54:00:00:00:01\": {image: kairos, profile: p}\n",
	    "fleet.yaml:2: machine 52:54:00:00:00:01: image and profile exclude each other");
	parse_err("configs:\n  c: {inline: \"#cloud-config\\n\", file: worker.yaml}\n",
	    "fleet.yaml:2: config \"c\": inline and file exclude each other");
	parse_err(
	    "profiles: {p: {[a]: b}}\n", "fleet.yaml:1: profile \"p\": expected a key, not a list");
	parse_err("groups: {g: {match: {labels: {role: cp, role: x}}, profile: p}}\n",
	    "fleet.yaml:1: group \"g\": label \"role\" is given twice");
}

static void
test_bad_items(void)
{
	parse_err("profiles:\n  \"bad name\": {}\n",
	    "fleet.yaml:2: profile \"bad name\" is not a name (1-64 of A-Z a-z 0-9 . _ -, not "
	    "starting with .)");
	parse_err("machines:\n  \"52:54:00:00:00\": {}\n",
	    "fleet.yaml:2: \"52:54:00:00:00\" is not a MAC address");
	parse_err("profiles:\n  p: kairos\n",
	    "fleet.yaml:2: profile \"p\": expected a mapping, not "
	    "a scalar");
	parse_err("profiles:\n  p: {}\n  q: {}\n  p: {image: x}\n",
	    "fleet.yaml:4: profile \"p\" is defined twice (first at line 2)");
	parse_err("machines:\n  \"52:54:00:AA:BB:01\": {}\n  52-54-00-aa-bb-01: {}\n",
	    "fleet.yaml:3: machine 52:54:00:aa:bb:01 is defined twice (first at line 2)");
	parse_err("groups:\n  g: {priority: 3}\n",
	    "fleet.yaml:2: group \"g\": names no profile (every group needs one)");
	parse_err("groups:\n  g:\n",
	    "fleet.yaml:2: group \"g\": names no profile (every group needs "
	    "one)");
	parse_err("configs:\n  c: {}\n", "fleet.yaml:2: config \"c\": needs file or inline");
}

static void
test_bad_values(void)
{
	parse_err("profiles: {p: {image: \"a/b\"}}\n",
	    "fleet.yaml:1: profile \"p\": image: \"a/b\" is not a name (1-64 of A-Z a-z 0-9 . _ -, "
	    "not starting with .)");
	parse_err("profiles: {p: {image: {a: b}}}\n",
	    "fleet.yaml:1: profile \"p\": expected a scalar, not a mapping");
	parse_err("profiles: {p: {loader: syslinux}}\n",
	    "fleet.yaml:1: profile \"p\": loader: \"syslinux\" is not a loader (ipxe, grub or "
	    "shim-grub)");
	parse_err("profiles: {p: {action: boot}}\n",
	    "fleet.yaml:1: profile \"p\": action: \"boot\" is not an action (netboot, local or "
	    "ignore)");
	parse_err("profiles: {p: {cmdline_append: \"a\\nb\"}}\n",
	    "fleet.yaml:1: profile \"p\": cmdline_append: contains a newline or control character");
	parse_err("profiles:\n  p: {cmdline_append: \"x={nope}\"}\n",
	    "fleet.yaml:2: profile \"p\": the command line has an unknown or unterminated "
	    "{placeholder} (see default.cmdline in netbootd.yaml(5))");
	parse_err("groups: {g: {profile: p, priority: 1000001}}\n",
	    "fleet.yaml:1: group \"g\": priority: 1000001 is out of range (-1000000-1000000)");
	parse_err("groups: {g: {profile: p, priority: 0x10}}\n",
	    "fleet.yaml:1: group \"g\": priority: \"0x10\" is not a decimal number");
	parse_err("groups: {g: {profile: p, match: {mac: \"52:54:00:zz\"}}}\n",
	    "fleet.yaml:1: group \"g\": mac: \"52:54:00:zz\" is not a MAC address or a glob of one "
	    "('*', '?')");
	parse_err("groups: {g: {profile: p, match: {uuid: 1234}}}\n",
	    "fleet.yaml:1: group \"g\": uuid: \"1234\" is not a UUID (8-4-4-4-12 hex digits)");
	parse_err("groups: {g: {profile: p, match: {arch: x86}}}\n",
	    "fleet.yaml:1: group \"g\": arch: \"x86\" is not one of bios, efi-ia32, efi-x86_64, "
	    "efi-arm64, http-x86_64, http-arm64");
	parse_err("groups: {g: {profile: p, match: {interface: 10.0.0.0/33}}}\n",
	    "fleet.yaml:1: group \"g\": interface: \"10.0.0.0/33\" is not an interface name or "
	    "a.b.c.d/len");
	parse_err("groups: {g: {profile: p, match: {labels: {Role: cp}}}}\n",
	    "fleet.yaml:1: group \"g\": labels: \"Role\" is not a label key (1-63 of a-z 0-9 . _ -, "
	    "starting with a letter or digit, after an optional DNS prefix and /)");
	parse_err("machines: {\"52:54:00:00:00:01\": {labels: {role: c/p}}}\n",
	    "fleet.yaml:1: machine 52:54:00:00:00:01: labels.role: \"c/p\" is not a label value "
	    "(0-63 of A-Z a-z 0-9 . _ -)");
	parse_err("machines: {\"52:54:00:00:00:01\": {labels: [role]}}\n",
	    "fleet.yaml:1: machine 52:54:00:00:00:01: labels: expected a mapping, not a list");
	parse_err("machines: {\"52:54:00:00:00:01\": {labels: {role: {a: b}}}}\n",
	    "fleet.yaml:1: machine 52:54:00:00:00:01: expected a label value, not a mapping");
}

static void
test_bad_configs(void)
{
	struct fleet f;
	char *error = NULL;

	parse_err("configs:\n  c: {inline: \"hostname: x\\n\"}\n",
	    "fleet.yaml:2: config \"c\": not a valid cloud-config: line 1: the first line is not "
	    "\"#cloud-config\"");
	parse_err("configs:\n  c: {inline: \"#cloud-config\\n: : :\\n\"}\n",
	    "fleet.yaml:2: config \"c\": not a valid cloud-config: line 2, column 1: invalid "
	    "YAML: did not find expected key");
	parse_err("configs:\n  c: {inline: ~}\n",
	    "fleet.yaml:2: config \"c\": not a valid cloud-config: line 1: the first line is not "
	    "\"#cloud-config\"");
	parse_err("configs:\n  c: {file: missing.yaml}\n",
	    "fleet.yaml:2: config \"c\": file: No such file or directory");
	parse_err("configs:\n  c: {file: denied.yaml}\n",
	    "fleet.yaml:2: config \"c\": file: denied.yaml: Permission denied");
	parse_err("configs:\n  c: {file: \"\"}\n",
	    "fleet.yaml:2: config \"c\": file: \"\" is not a "
	    "path");
	big_size = CLOUD_CONFIG_MAX + 1;
	parse_err("configs:\n  c: {file: big.yaml}\n",
	    "fleet.yaml:2: config \"c\": too large (262145 bytes, at most 262144)");
	big_size = CLOUD_CONFIG_MAX;
	parse_err("configs:\n  a: {file: big.yaml}\n  b: {file: big.yaml}\n  c: {file: big.yaml}\n"
	          "  d: {file: big.yaml}\n  e: {file: big.yaml}\n",
	    "fleet.yaml:6: config \"e\": file: \"big.yaml\": the files read exceed 1048576 bytes "
	    "together");
	big_size = 1000;
	CHECK_EQ_INT(fleet_file_parse(
	                 "configs: {c: {file: worker.yaml}}", 32, "f.yaml", NULL, NULL, &f, &error),
	    -EINVAL);
	CHECK_EQ_STR(
	    error, "f.yaml:1: config \"c\": file: \"worker.yaml\" cannot be read here; use inline");
	free(error);
}

/* Text and counts at their caps, and one beyond. */
static void
test_caps(void)
{
	size_t size = FLEET_MAX_PROFILES * 16 + 32, n = 0;
	char *text = malloc(FLEET_FILE_MAX_SIZE + 2), *error = NULL;
	struct fleet f;

	n += (size_t)sprintf(text, "profiles:\n");
	for (int i = 0; i < FLEET_MAX_PROFILES; i++)
		n += (size_t)snprintf(text + n, size - n, "  p%d: {}\n", i);
	parse_ok(text, &f);
	CHECK_EQ_INT(f.n_profiles, FLEET_MAX_PROFILES);
	fleet_clear(&f);
	snprintf(text + n, size - n, "  extra: {}\n");
	parse_err(text, "fleet.yaml:1026: more than 1024 profiles");

	n = (size_t)sprintf(text, "machines:\n  \"52:54:00:00:00:01\":\n    labels:\n");
	for (int i = 0; i <= FLEET_MAX_LABELS; i++)
		n += (size_t)sprintf(text + n, "      k%d: v\n", i);
	parse_err(text, "fleet.yaml:36: machine 52:54:00:00:00:01: more than 32 labels");

	memset(text, '#', FLEET_FILE_MAX_SIZE + 1);
	CHECK_EQ_INT(
	    fleet_file_parse(text, FLEET_FILE_MAX_SIZE + 1, "big.yaml", NULL, NULL, &f, &error),
	    -EINVAL);
	CHECK_EQ_STR(error, "big.yaml: too large (1048577 bytes, at most 1048576)");
	free(error);
	free(text);
}

/* A file's own shape is the parser's; what it names outside itself is fleet_validate()'s. */
static void
test_validate_after_parse(void)
{
	static const char tie[] = "profiles: {p: {}}\n"
	                          "groups:\n"
	                          "  a: {match: {arch: bios}, profile: p}\n"
	                          "  b: {match: {mac: \"52:54:00:*\"}, profile: p}\n"
	                          "  c: {profile: q}\n";
	struct fleet f;
	char *error = NULL;

	parse_ok(tie, &f);
	CHECK_EQ_INT(fleet_validate(&f, NULL, &error), -EINVAL);
	CHECK_EQ_STR(error, "line 5: group \"c\": no profile \"q\"");
	free(error);
	error = NULL;
	free(f.groups[2].profile);
	f.groups[2].profile = strdup("p");
	CHECK_EQ_INT(fleet_validate(&f, NULL, &error), -EINVAL);
	CHECK_EQ_STR(error,
	    "line 4: group \"b\" ties with group \"a\" (line 3): both have 1 selector "
	    "and priority 0 and may match the same machine; give one of them "
	    "another priority");
	free(error);
	fleet_clear(&f);
}

static void
check_diff(const char *a, const char *b, const char *expected)
{
	struct fleet fa, fb;
	char *diff = NULL;

	parse_ok(a, &fa);
	parse_ok(b, &fb);
	CHECK_EQ_INT(fleet_file_diff(&fa, &fb, &diff), 0);
	CHECK_EQ_STR(diff, expected);
	CHECK_EQ_INT(diff != NULL && diff[0] == '\0', fleet_equal(&fa, &fb));
	free(diff);
	fleet_clear(&fa);
	fleet_clear(&fb);
}

static void
test_diff(void)
{
	check_diff(example, example, "");
	check_diff("profiles: {a: {}, b: {}}\n", "profiles: {b: {}, c: {}}\n",
	    "- profile a\n+ profile c\n");
	check_diff("groups: {lab: {profile: p}}\n", "groups: {lab: {profile: p, priority: 10}}\n",
	    "~ group lab: priority 0 -> 10\n");
	check_diff("machines: {\"52:54:00:aa:bb:01\": {labels: {role: cp}}}\n",
	    "machines: {\"52:54:00:aa:bb:01\": {labels: {role: worker}}}\n",
	    "~ machine 52:54:00:aa:bb:01: labels role=cp -> role=worker\n");
	check_diff("configs: {worker: {inline: \"#cloud-config\\n\"}}\n",
	    "configs: {worker: {inline: \"#cloud-config\\na: b\\n\"}}\n",
	    "~ config worker (content)\n");
	check_diff("profiles: {p: {image: a, cmdline_append: \"x y\"}}\n",
	    "profiles: {p: {image: b, cmdline: \"x y\", action: local}}\n",
	    "~ profile p: image a -> b, cmdline (none) -> \"x y\", cmdline_append \"x y\" -> (none), "
	    "action netboot -> local\n");
	check_diff(
	    "groups: {g: {match: {mac: \"52:54:00:*\", labels: {a: b, c: d}}, profile: p}}\n",
	    "groups: {g: {match: {arch: bios, uuid: 00000000-0000-0000-0000-000000000001, "
	    "interface: eth0}, profile: q}}\n",
	    "~ group g: match.mac 52:54:00:* -> (none), match.uuid (none) -> "
	    "00000000-0000-0000-0000-000000000001, match.arch (none) -> bios, match.interface "
	    "(none) -> eth0, match.labels a=b,c=d -> (none), profile p -> q\n");
	check_diff("machines: {\"52:54:00:aa:bb:09\": {profile: disk}}\n",
	    "machines: {\"52:54:00:aa:bb:09\": {image: kairos, config: c, cmdline: \"\"}}\n",
	    "~ machine 52:54:00:aa:bb:09: profile disk -> (none), image (none) -> kairos, config "
	    "(none) -> c, cmdline (none) -> \"\"\n");
	check_diff("", example,
	    "+ config control-plane\n+ config worker\n+ profile arm-edge\n+ profile disk\n"
	    "+ profile kairos-cp\n+ profile kairos-node\n+ group arm\n+ group control-plane\n"
	    "+ group default\n+ group lab\n+ machine 52:54:00:aa:bb:01\n+ machine 52:54:00:aa:bb:09\n");
}

/* An export of a fleet built in memory (as the store's is): lines 0, no configs. */
static void
test_format_store_fleet(void)
{
	struct fleet f = {0};
	char *text = NULL;

	f.profiles = calloc(1, sizeof(*f.profiles));
	f.n_profiles = 1;
	f.profiles[0].name = strdup("p");
	f.profiles[0].cmdline_mode = BOOT_CMDLINE_REPLACE; /* without a command line: no key */
	f.machines = calloc(1, sizeof(*f.machines));
	f.n_machines = 1;
	CHECK_EQ_INT(mac_parse("52:54:00:00:00:0a", f.machines[0].mac), 0);
	f.machines[0].image = strdup("kairos");
	f.machines[0].cmdline = strdup("console=ttyS0,115200 {mac}");
	f.machines[0].cmdline_mode = BOOT_CMDLINE_REPLACE;
	CHECK_EQ_INT(fleet_file_format(&f, &text), 0);
	CHECK_EQ_STR(text,
	    "profiles:\n"
	    "  p: {}\n"
	    "machines:\n"
	    "  \"52:54:00:00:00:0a\": {image: kairos, cmdline: \"console=ttyS0,115200 "
	    "{mac}\"}\n");
	check_round_trip(&f);
	free(text);
	fleet_clear(&f);
}

/* netconsole: parsed, exported only when true, diffed, refused when not a boolean. */
static void
test_netconsole(void)
{
	struct fleet f;
	char *text = NULL;

	parse_ok("profiles:\n  a: {image: k, netconsole: true}\n  b: {netconsole: false}\n"
	         "  c: {netconsole: yes}\n  d: {}\n",
	    &f);
	CHECK(fleet_profile_find(&f, "a")->netconsole);
	CHECK(!fleet_profile_find(&f, "b")->netconsole);
	CHECK(fleet_profile_find(&f, "c")->netconsole);
	CHECK(!fleet_profile_find(&f, "d")->netconsole);
	CHECK_EQ_INT(fleet_file_format(&f, &text), 0);
	CHECK_EQ_STR(text, "profiles:\n"
	                   "  a: {image: k, netconsole: true}\n"
	                   "  b: {}\n"
	                   "  c: {netconsole: true}\n"
	                   "  d: {}\n");
	check_round_trip(&f);
	free(text);
	fleet_clear(&f);
	check_diff("profiles: {p: {image: a}}\n", "profiles: {p: {image: a, netconsole: true}}\n",
	    "~ profile p: netconsole false -> true\n");
	check_diff("profiles: {p: {netconsole: on}}\n", "profiles: {p: {netconsole: true}}\n", "");
	parse_err("profiles: {p: {netconsole: maybe}}\n",
	    "fleet.yaml:1: profile \"p\": netconsole: \"maybe\" is not a boolean (true or false)");
	parse_err("profiles: {p: {netconsole: [true]}}\n",
	    "fleet.yaml:1: profile \"p\": expected a scalar, not a list");
}

/* report and after_install: parsed, exported when not the default, diffed, bad values refused. */
static void
test_lifecycle_keys(void)
{
	struct fleet f;
	char *text = NULL;

	parse_ok("profiles:\n  a: {report: false}\n  b: {after_install: netboot}\n"
	         "  c: {report: true, after_install: local}\n  d: {after_install: ignore}\n",
	    &f);
	CHECK(fleet_profile_find(&f, "a")->no_report);
	CHECK_EQ_INT(fleet_profile_find(&f, "a")->after_install, FLEET_AFTER_LOCAL);
	CHECK_EQ_INT(fleet_profile_find(&f, "b")->after_install, FLEET_AFTER_NETBOOT);
	CHECK(!fleet_profile_find(&f, "c")->no_report);
	CHECK_EQ_INT(fleet_profile_find(&f, "d")->after_install, FLEET_AFTER_IGNORE);
	CHECK_EQ_INT(fleet_file_format(&f, &text), 0);
	CHECK_EQ_STR(text, "profiles:\n"
	                   "  a: {report: false}\n"
	                   "  b: {after_install: netboot}\n"
	                   "  c: {}\n"
	                   "  d: {after_install: ignore}\n");
	check_round_trip(&f);
	free(text);
	fleet_clear(&f);
	check_diff("profiles: {p: {image: a}}\n",
	    "profiles: {p: {image: a, after_install: netboot}}\n",
	    "~ profile p: after_install local -> netboot\n");
	check_diff("profiles: {p: {}}\n", "profiles: {p: {report: no}}\n",
	    "~ profile p: report true -> false\n");
	parse_err("profiles: {p: {after_install: disk}}\n",
	    "fleet.yaml:1: profile \"p\": after_install: \"disk\" is not local, netboot or ignore");
	parse_err("profiles: {p: {report: 2}}\n",
	    "fleet.yaml:1: profile \"p\": report: \"2\" is not a boolean (true or false)");
}

TEST_MAIN(TEST(test_example), TEST(test_example_file), TEST(test_every_key), TEST(test_empty),
    TEST(test_bad_yaml), TEST(test_bad_keys), TEST(test_bad_items), TEST(test_bad_values),
    TEST(test_bad_configs), TEST(test_caps), TEST(test_validate_after_parse), TEST(test_diff),
    TEST(test_format_store_fleet), TEST(test_netconsole), TEST(test_lifecycle_keys))
