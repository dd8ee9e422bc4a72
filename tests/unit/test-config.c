/*
 * netbootd.yaml parsing: defaults, every key in block and flow style, and
 * every class of error with its exact "file:line: key: message".
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "test.h"

static struct config *
parse_ok(const char *yaml)
{
	struct config *c = NULL;
	char *error = NULL;
	int r = config_parse(yaml, strlen(yaml), "t.yaml", &c, &error);

	if (r != 0)
		fprintf(stderr, "unexpected error %d for <<%s>>: %s\n", r, yaml,
		    error ? error : "(none)");
	CHECK_EQ_INT(r, 0);
	CHECK(error == NULL);
	free(error);
	return c;
}

/* Parse 'len' bytes and expect exactly 'message'. */
static void
parse_err_len(const char *yaml, size_t len, const char *message)
{
	struct config *c = NULL;
	char *error = NULL;
	int r = config_parse(yaml, len, "t.yaml", &c, &error);

	if (r != -EINVAL)
		fprintf(stderr, "expected an error for <<%s>>, got %d\n", yaml, r);
	CHECK_EQ_INT(r, -EINVAL);
	CHECK(c == NULL);
	CHECK_EQ_STR(error, message);
	free(error);
	config_free(c);
}

static void
parse_err(const char *yaml, const char *message)
{
	parse_err_len(yaml, strlen(yaml), message);
}

static bool
streq(const char *a, const char *b)
{
	return (a == NULL && b == NULL) || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

/* Every field but 'path'. */
static bool
config_equal(const struct config *a, const struct config *b)
{
	if (a->n_interfaces != b->n_interfaces || a->has_advertise != b->has_advertise ||
	    a->advertise.s_addr != b->advertise.s_addr || !streq(a->state_dir, b->state_dir))
		return false;
	for (size_t i = 0; i <= a->n_interfaces; i++)
		if (!streq(a->interfaces[i], b->interfaces[i]))
			return false;
	if (memcmp(&a->dhcp, &b->dhcp, sizeof(a->dhcp)) != 0 ||
	    a->tftp.enabled != b->tftp.enabled || a->tftp.port != b->tftp.port ||
	    a->tftp.max_sessions != b->tftp.max_sessions || !streq(a->tftp.root, b->tftp.root) ||
	    a->tftp.timeout != b->tftp.timeout || a->tftp.retries != b->tftp.retries ||
	    a->tftp.max_blksize != b->tftp.max_blksize ||
	    a->tftp.max_windowsize != b->tftp.max_windowsize ||
	    a->http.enabled != b->http.enabled || a->http.port != b->http.port ||
	    a->http.max_connections != b->http.max_connections ||
	    a->http.max_connections_per_address != b->http.max_connections_per_address ||
	    a->http.timeout != b->http.timeout ||
	    a->http.header_timeout != b->http.header_timeout || a->http.ui != b->http.ui ||
	    a->http.n_ui_allow != b->http.n_ui_allow ||
	    memcmp(&a->syslog, &b->syslog, sizeof(a->syslog)) != 0 ||
	    a->images.max_size != b->images.max_size ||
	    a->images.import_memory != b->images.import_memory ||
	    a->images.import_cpu != b->images.import_cpu)
		return false;
	return streq(a->ipxe.dir, b->ipxe.dir) && streq(a->ipxe.bios, b->ipxe.bios) &&
	       streq(a->ipxe.efi32, b->ipxe.efi32) && streq(a->ipxe.efi64, b->ipxe.efi64) &&
	       streq(a->ipxe.arm64, b->ipxe.arm64) && streq(a->def.image, b->def.image) &&
	       streq(a->def.cmdline, b->def.cmdline) &&
	       streq(a->def.cloud_config, b->def.cloud_config) &&
	       streq(a->control.socket, b->control.socket) &&
	       streq(a->control.group, b->control.group);
}

static void
check_is_default(const char *yaml)
{
	struct config *d = config_new(), *c = parse_ok(yaml);

	CHECK(d != NULL && c != NULL);
	if (c != NULL && d != NULL && !config_equal(c, d)) {
		fprintf(stderr, "<<%s>> does not give the defaults\n", yaml);
		CHECK(false);
	}
	config_free(c);
	config_free(d);
}

static void
test_defaults(void)
{
	struct config *c = config_new();

	CHECK(c != NULL);
	if (c == NULL)
		return;
	CHECK(c->path == NULL);
	CHECK(c->interfaces != NULL && c->interfaces[0] == NULL);
	CHECK_EQ_INT(c->n_interfaces, 0);
	CHECK(!c->has_advertise);
	CHECK_EQ_STR(c->state_dir, "/var/lib/netbootd");
	CHECK(c->dhcp.enabled && c->tftp.enabled && c->http.enabled);
	CHECK_EQ_INT(c->dhcp.port, 67);
	CHECK_EQ_INT(c->dhcp.pxe_port, 4011);
	CHECK_EQ_INT(c->tftp.port, 69);
	CHECK_EQ_INT(c->tftp.max_sessions, 256);
	CHECK(c->tftp.root == NULL);
	CHECK_EQ_INT(c->tftp.timeout, 1);
	CHECK_EQ_INT(c->tftp.retries, 5);
	CHECK_EQ_INT(c->tftp.max_blksize, 1468);
	CHECK_EQ_INT(c->tftp.max_windowsize, 64);
	CHECK_EQ_INT(c->http.port, 8090);
	CHECK_EQ_INT(c->http.max_connections, 1024);
	CHECK_EQ_INT(c->http.max_connections_per_address, 64);
	CHECK_EQ_INT(c->http.timeout, 60);
	CHECK_EQ_INT(c->http.header_timeout, 60);
	CHECK(!c->syslog.enabled);
	CHECK_EQ_INT(c->syslog.port, 514);
	CHECK_EQ_INT(c->syslog.ring_lines, 500);
	CHECK_EQ_INT(c->syslog.max_line, 1024);
	CHECK_EQ_STR(c->ipxe.dir, "/usr/lib/ipxe");
	CHECK_EQ_STR(c->ipxe.bios, "undionly.kpxe");
	CHECK_EQ_STR(c->ipxe.efi64, "ipxe.efi");
	CHECK(c->ipxe.efi32 == NULL && c->ipxe.arm64 == NULL);
	CHECK(c->def.image == NULL && c->def.cloud_config == NULL);
	CHECK_EQ_STR(c->def.cmdline, CONFIG_DEFAULT_CMDLINE);
	CHECK_EQ_STR(c->control.socket, "/run/netbootd/control.sock");
	CHECK_EQ_STR(c->control.group, "netboot");
	config_free(c);
	config_free(NULL);
}

static void
test_empty(void)
{
	check_is_default("");
	check_is_default("# nothing but comments\n\n   # and blanks\n");
	check_is_default("---\n");
	check_is_default("---\n...\n");
	check_is_default("~\n");
	check_is_default("{}\n");
	check_is_default("dhcp:\ntftp: {}\nhttp: ~\ninterfaces: []\n");
	check_is_default("%YAML 1.1\n---\nstate_dir: /var/lib/netbootd\n");
	/* null keeps the default for scalars */
	check_is_default("state_dir:\ntftp: {port: ~, timeout: null}\ndefault: {cmdline: }\n");
}

static const char full_block[] =
    "# every key\n"
    "interfaces:\n"
    "  - eth0\n"
    "  - enp1s0.100\n"
    "advertise: 192.0.2.10\n"
    "state_dir: /srv/netboot\n"
    "dhcp:\n"
    "  enabled: false\n"
    "  port: 1067\n"
    "  pxe_port: 14011\n"
    "tftp:\n"
    "  enabled: yes\n"
    "  port: 1069\n"
    "  max_sessions: 10\n"
    "  root: /srv/tftp\n"
    "  timeout: 3\n"
    "  retries: 0\n"
    "  max_blksize: 512\n"
    "  max_windowsize: 1\n"
    "http:\n"
    "  enabled: On\n"
    "  port: 8080\n"
    "  max_connections: 7\n"
    "  max_connections_per_address: 5\n"
    "  timeout: 3600\n"
    "  header_timeout: 9\n"
    "ipxe:\n"
    "  dir: /opt/ipxe\n"
    "  bios: undionly.kpxe\n"
    "  efi32: ipxe-i386.efi\n"
    "  efi64: snponly.efi\n"
    "  arm64: ipxe-arm64.efi\n"
    "default:\n"
    "  image: kairos-v3.1_0\n"
    "  cmdline: \"root=live:{squashfs_url} {{literal}} cfg={config_url} k={kernel_url} "
    "i={initrd_url} m={mac} n={image} s={server}\"\n"
    "  cloud_config: /etc/netbootd/cc.yaml\n"
    "control:\n"
    "  socket: /run/nb.sock\n"
    "  group: pxe-admins\n";

static const char full_flow[] =
    "{interfaces: [eth0, enp1s0.100], advertise: \"192.0.2.10\", state_dir: '/srv/netboot',\n"
    " dhcp: {enabled: no, port: 1067, pxe_port: 14011},\n"
    " tftp: {enabled: TRUE, port: 1069, max_sessions: 10, root: /srv/tftp, timeout: 3,\n"
    "        retries: 0, max_blksize: 512, max_windowsize: 1},\n"
    " http: {enabled: on, port: \"8080\", max_connections: 7, timeout: 3600,\n"
    "        max_connections_per_address: 5, header_timeout: 9},\n"
    " ipxe: {dir: /opt/ipxe, bios: undionly.kpxe, efi32: ipxe-i386.efi, efi64: snponly.efi,\n"
    "        arm64: ipxe-arm64.efi},\n"
    " default: {image: kairos-v3.1_0, cmdline: \"root=live:{squashfs_url} {{literal}} "
    "cfg={config_url} k={kernel_url} i={initrd_url} m={mac} n={image} s={server}\",\n"
    "           cloud_config: /etc/netbootd/cc.yaml},\n"
    " control: {socket: /run/nb.sock, group: pxe-admins}}\n";

static void
check_full(const struct config *c)
{
	CHECK_EQ_INT(c->n_interfaces, 2);
	CHECK_EQ_STR(c->interfaces[0], "eth0");
	CHECK_EQ_STR(c->interfaces[1], "enp1s0.100");
	CHECK(c->interfaces[2] == NULL);
	CHECK(c->has_advertise);
	CHECK_EQ_INT(c->advertise.s_addr, htonl(0xc000020a));
	CHECK_EQ_STR(c->state_dir, "/srv/netboot");
	CHECK(!c->dhcp.enabled);
	CHECK_EQ_INT(c->dhcp.port, 1067);
	CHECK_EQ_INT(c->dhcp.pxe_port, 14011);
	CHECK(c->tftp.enabled);
	CHECK_EQ_INT(c->tftp.port, 1069);
	CHECK_EQ_INT(c->tftp.max_sessions, 10);
	CHECK_EQ_STR(c->tftp.root, "/srv/tftp");
	CHECK_EQ_INT(c->tftp.timeout, 3);
	CHECK_EQ_INT(c->tftp.retries, 0);
	CHECK_EQ_INT(c->tftp.max_blksize, 512);
	CHECK_EQ_INT(c->tftp.max_windowsize, 1);
	CHECK(c->http.enabled);
	CHECK_EQ_INT(c->http.port, 8080);
	CHECK_EQ_INT(c->http.max_connections, 7);
	CHECK_EQ_INT(c->http.max_connections_per_address, 5);
	CHECK_EQ_INT(c->http.timeout, 3600);
	CHECK_EQ_INT(c->http.header_timeout, 9);
	CHECK_EQ_STR(c->ipxe.dir, "/opt/ipxe");
	CHECK_EQ_STR(c->ipxe.bios, "undionly.kpxe");
	CHECK_EQ_STR(c->ipxe.efi32, "ipxe-i386.efi");
	CHECK_EQ_STR(c->ipxe.efi64, "snponly.efi");
	CHECK_EQ_STR(c->ipxe.arm64, "ipxe-arm64.efi");
	CHECK_EQ_STR(c->def.image, "kairos-v3.1_0");
	CHECK_EQ_STR(c->def.cmdline, "root=live:{squashfs_url} {{literal}} cfg={config_url} "
	                             "k={kernel_url} i={initrd_url} m={mac} n={image} s={server}");
	CHECK_EQ_STR(c->def.cloud_config, "/etc/netbootd/cc.yaml");
	CHECK_EQ_STR(c->control.socket, "/run/nb.sock");
	CHECK_EQ_STR(c->control.group, "pxe-admins");
	CHECK(c->path == NULL);
}

static void
test_full_block(void)
{
	struct config *c = parse_ok(full_block);

	if (c != NULL)
		check_full(c);
	config_free(c);
}

static void
test_full_flow(void)
{
	struct config *a = parse_ok(full_flow), *b = parse_ok(full_block);

	if (a != NULL)
		check_full(a);
	CHECK(a != NULL && b != NULL && config_equal(a, b));
	config_free(a);
	config_free(b);
}

static void
test_partial(void)
{
	struct config *c = parse_ok("tftp:\n  port: 1069\nhttp: {timeout: 5}\n");

	if (c == NULL)
		return;
	CHECK_EQ_INT(c->tftp.port, 1069);
	CHECK(c->tftp.enabled);
	CHECK_EQ_INT(c->tftp.max_sessions, 256);
	CHECK_EQ_INT(c->tftp.max_blksize, 1468);
	CHECK_EQ_INT(c->http.timeout, 5);
	CHECK_EQ_INT(c->http.port, 8090);
	CHECK_EQ_INT(c->dhcp.port, 67);
	CHECK_EQ_STR(c->ipxe.bios, "undionly.kpxe");
	CHECK_EQ_STR(c->def.cmdline, CONFIG_DEFAULT_CMDLINE);
	config_free(c);
}

static void
check_bool(const char *word, bool expected)
{
	char yaml[64];
	struct config *c;

	snprintf(yaml, sizeof(yaml), "http: {enabled: %s}", word);
	c = parse_ok(yaml);
	if (c != NULL)
		CHECK_EQ_INT(c->http.enabled, expected);
	config_free(c);
}

static void
test_booleans(void)
{
	static const char *const yes[] = {"true", "True", "TRUE", "yes", "Yes", "on", "ON", "'on'"};
	static const char *const no[] = {"false", "False", "no", "NO", "off", "Off", "\"no\""};

	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++)
		check_bool(yes[i], true);
	for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++)
		check_bool(no[i], false);
	parse_err("dhcp:\n  enabled: 1\n",
	    "t.yaml:2: dhcp.enabled: \"1\" is not a boolean (true/false, yes/no, on/off)");
	parse_err("dhcp: {enabled: y}",
	    "t.yaml:1: dhcp.enabled: \"y\" is not a boolean (true/false, yes/no, on/off)");
	parse_err("dhcp: {enabled: truee}",
	    "t.yaml:1: dhcp.enabled: \"truee\" is not a boolean (true/false, yes/no, on/off)");
}

static void
check_port(const char *value, int expected)
{
	char yaml[128], msg[256];
	struct config *c;

	snprintf(yaml, sizeof(yaml), "http:\n  port: %s\n", value);
	if (expected < 0) {
		snprintf(
		    msg, sizeof(msg), "t.yaml:2: http.port: %s is not a port (1-65535)", value);
		parse_err(yaml, msg);
		return;
	}
	c = parse_ok(yaml);
	if (c != NULL)
		CHECK_EQ_INT(c->http.port, expected);
	config_free(c);
}

static void
test_ports(void)
{
	check_port("1", 1);
	check_port("65535", 65535);
	check_port("8090", 8090);
	check_port("'8091'", 8091);
	check_port("0", -1);
	check_port("65536", -1);
	check_port("-1", -1);
	check_port("4294967297", -1);
	check_port("99999999999999999999999999999999", -1);
	check_port("\"0x50\"", -1);
	check_port("\"080\"", -1);
	check_port("\"+80\"", -1);
	check_port("\"8e3\"", -1);
	check_port("\"80.0\"", -1);
	check_port("\"80abc\"", -1);
	check_port("\"\"", -1);
	parse_err("tftp:\n  port: 70000\n", "t.yaml:2: tftp.port: 70000 is not a port (1-65535)");
	parse_err("dhcp: {pxe_port: 1_000}",
	    "t.yaml:1: dhcp.pxe_port: \"1_000\" is not a port (1-65535)");
	parse_err("dhcp: {port: ' 67'}", "t.yaml:1: dhcp.port: \" 67\" is not a port (1-65535)");
}

static void
test_ranges(void)
{
	struct config *c = parse_ok("tftp: {max_blksize: 8, max_windowsize: 65535, timeout: 255, "
	                            "retries: 255, max_sessions: 65535}\n"
	                            "http: {max_connections: 1, timeout: 1}\n");

	if (c != NULL) {
		CHECK_EQ_INT(c->tftp.max_blksize, 8);
		CHECK_EQ_INT(c->tftp.max_windowsize, 65535);
		CHECK_EQ_INT(c->tftp.timeout, 255);
		CHECK_EQ_INT(c->tftp.retries, 255);
		CHECK_EQ_INT(c->tftp.max_sessions, 65535);
		CHECK_EQ_INT(c->http.max_connections, 1);
		CHECK_EQ_INT(c->http.timeout, 1);
	}
	config_free(c);
	c = parse_ok("tftp: {max_blksize: 65464}");
	if (c != NULL)
		CHECK_EQ_INT(c->tftp.max_blksize, 65464);
	config_free(c);
	parse_err(
	    "tftp: {max_blksize: 7}", "t.yaml:1: tftp.max_blksize: 7 is out of range (8-65464)");
	parse_err("tftp: {max_blksize: 65465}",
	    "t.yaml:1: tftp.max_blksize: 65465 is out of range (8-65464)");
	parse_err("tftp: {max_windowsize: 0}",
	    "t.yaml:1: tftp.max_windowsize: 0 is out of range (1-65535)");
	parse_err("tftp: {max_windowsize: 65536}",
	    "t.yaml:1: tftp.max_windowsize: 65536 is out of range (1-65535)");
	parse_err("tftp: {timeout: 0}", "t.yaml:1: tftp.timeout: 0 is out of range (1-255)");
	parse_err("tftp: {timeout: 256}", "t.yaml:1: tftp.timeout: 256 is out of range (1-255)");
	parse_err("tftp: {retries: -1}", "t.yaml:1: tftp.retries: -1 is out of range (0-255)");
	parse_err(
	    "tftp: {max_sessions: 0}", "t.yaml:1: tftp.max_sessions: 0 is out of range (1-65535)");
	parse_err("http: {max_connections: 18446744073709551616}",
	    "t.yaml:1: http.max_connections: 18446744073709551616 is out of range (1-65535)");
	parse_err("http: {timeout: 3601}", "t.yaml:1: http.timeout: 3601 is out of range (1-3600)");
	parse_err("http: {header_timeout: 0}",
	    "t.yaml:1: http.header_timeout: 0 is out of range (1-3600)");
	parse_err("http: {max_connections_per_address: 0}",
	    "t.yaml:1: http.max_connections_per_address: 0 is out of range (1-65535)");
	parse_err(
	    "http: {timeout: 1.5}", "t.yaml:1: http.timeout: \"1.5\" is not a decimal number");
	parse_err(
	    "http: {timeout: 010}", "t.yaml:1: http.timeout: \"010\" is not a decimal number");
	parse_err(
	    "http: {timeout: 0x10}", "t.yaml:1: http.timeout: \"0x10\" is not a decimal number");
	parse_err(
	    "http: {timeout: 10s}", "t.yaml:1: http.timeout: \"10s\" is not a decimal number");
	parse_err("http: {timeout: -}", "t.yaml:1: http.timeout: \"-\" is not a decimal number");
}

static void
test_unknown_keys(void)
{
	parse_err("dhcp:\n  prot: 67\n", "t.yaml:2: unknown key dhcp.prot");
	parse_err("# comment\n\nfoo: 1\n", "t.yaml:3: unknown key foo");
	parse_err("tftp: {port: 69, Port: 70}", "t.yaml:1: unknown key tftp.Port");
	parse_err("\"\": 1", "t.yaml:1: unknown key \"\"");
	parse_err("\"a\\tb\": 1", "t.yaml:1: unknown key a\\x09b");
	parse_err("\"a\\0b\": 1", "t.yaml:1: unknown key a\\x00b");
	parse_err("default: {cmdline: x, kernel: y}", "t.yaml:1: unknown key default.kernel");
	/* long keys are cut in the message */
	parse_err(
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa: 1",
	    "t.yaml:1: unknown key "
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa...");
}

static void
test_duplicates(void)
{
	parse_err("dhcp: {}\ntftp: {}\ndhcp: {}\n", "t.yaml:3: duplicate key dhcp");
	parse_err(
	    "http:\n  port: 1\n  timeout: 2\n  port: 3\n", "t.yaml:4: duplicate key http.port");
	parse_err("state_dir: /a\nstate_dir: /a\n", "t.yaml:2: duplicate key state_dir");
	parse_err("ipxe: {efi32: null, efi32: a.efi}", "t.yaml:1: duplicate key ipxe.efi32");
}

static void
test_wrong_types(void)
{
	parse_err("- a\n- b\n", "t.yaml:1: the top level must be a mapping, not a list");
	parse_err("hello\n", "t.yaml:1: the top level must be a mapping, not a scalar");
	parse_err("\"\"\n", "t.yaml:1: the top level must be a mapping, not a scalar");
	parse_err("dhcp: yes\n", "t.yaml:1: dhcp: expected a mapping, not a scalar");
	parse_err("dhcp: [67]\n", "t.yaml:1: dhcp: expected a mapping, not a list");
	parse_err("http:\n  port:\n    a: 1\n",
	    "t.yaml:3: http.port: expected a port number, not a mapping");
	parse_err(
	    "state_dir: [/a]\n", "t.yaml:1: state_dir: expected an absolute path, not a list");
	parse_err(
	    "dhcp: {enabled: [yes]}", "t.yaml:1: dhcp.enabled: expected a boolean, not a list");
	parse_err("default: {cmdline: {a: b}}",
	    "t.yaml:1: default.cmdline: expected a string, not a mapping");
	parse_err("interfaces: eth0\n",
	    "t.yaml:1: interfaces: expected a list of interface names, not a scalar");
	parse_err("interfaces:\n  - eth0\n  - [eth1]\n",
	    "t.yaml:3: interfaces: expected an interface name, not a list");
	parse_err("? [a]\n: 1\n", "t.yaml:1: a key must be a string, not a list");
	parse_err("tftp: {{a: 1}: 2}", "t.yaml:1: tftp: a key must be a string, not a mapping");
	parse_err("advertise: {}", "t.yaml:1: advertise: expected an IPv4 address, not a mapping");
	parse_err("ipxe: {bios: []}", "t.yaml:1: ipxe.bios: expected a file name, not a list");
}

static void
test_yaml_features(void)
{
	parse_err("state_dir: &d /srv\n", "t.yaml:1: YAML anchors are not supported");
	parse_err("http:\n  port: *p\n", "t.yaml:2: YAML aliases are not supported");
	parse_err("dhcp: &a {}\ntftp: *a\n", "t.yaml:1: YAML anchors are not supported");
	parse_err("interfaces: [a, &b b]\n", "t.yaml:1: YAML anchors are not supported");
	parse_err("dhcp: !!map {}", "t.yaml:1: YAML tags are not supported");
	parse_err("http: {port: !!int 80}", "t.yaml:1: YAML tags are not supported");
	parse_err("---\ndhcp: {}\n---\ntftp: {}\n", "t.yaml:3: only one YAML document is allowed");
	parse_err("dhcp: {}\n...\n---\n", "t.yaml:3: only one YAML document is allowed");
	/* "<<" merge keys are not special: an unknown key */
	parse_err("dhcp:\n  <<: {port: 1}\n", "t.yaml:2: unknown key dhcp.<<");
}

static void
test_syntax_errors(void)
{
	parse_err("dhcp:\n\tport: 1\n", "t.yaml:2: invalid YAML: found character that cannot start "
	                                "any token while scanning for the next token");
	parse_err("http: {port: 1\n", "t.yaml:2: invalid YAML: did not find expected ',' or '}' "
	                              "while parsing a flow mapping");
	parse_err("dhcp:\n  port: 1\n pxe_port: 2\n",
	    "t.yaml:3: invalid YAML: did not find expected key while parsing a block mapping");
	parse_err("state_dir: \"/a\n", "t.yaml:2: invalid YAML: found unexpected end of stream "
	                               "while scanning a quoted scalar");
	parse_err("http: {port: 80}}\n",
	    "t.yaml:1: invalid YAML: did not find expected key while parsing a block mapping");
}

static void
test_bad_bytes(void)
{
	parse_err("\xff\xfe\x00\x00", "t.yaml:1: invalid YAML: invalid leading UTF-8 octet");
	parse_err("dhcp: {}\n\nstate_dir: /a\xc3\n",
	    "t.yaml:3: invalid YAML: invalid trailing UTF-8 octet");
	parse_err(
	    "state_dir: /a\x01\n", "t.yaml:1: invalid YAML: control characters are not allowed");
	parse_err_len(
	    "dhcp: {}\n\0", 10, "t.yaml:2: invalid YAML: control characters are not allowed");
	parse_err("state_dir: \"/a\\0b\"\n", "t.yaml:1: state_dir: contains a NUL character");
	parse_err("state_dir: \"/a\\x01\"\n",
	    "t.yaml:1: state_dir: \"/a\\x01\" contains a control character");
	/* valid UTF-8 in a path is fine */
	struct config *c = parse_ok("state_dir: /srv/n\xc3\xa9tboot\n");
	if (c != NULL)
		CHECK_EQ_STR(c->state_dir, "/srv/n\xc3\xa9tboot");
	config_free(c);
}

static void
test_size_cap(void)
{
	size_t len = CONFIG_MAX_FILE_SIZE + 1;
	char *big = malloc(len), msg[128];

	CHECK(big != NULL);
	if (big == NULL)
		return;
	memset(big, '#', len);
	snprintf(msg, sizeof(msg), "t.yaml: too large (%zu bytes, at most %d)", len,
	    CONFIG_MAX_FILE_SIZE);
	parse_err_len(big, len, msg);
	big[0] = '\n';
	{
		struct config *c = NULL;
		char *error = NULL;

		CHECK_EQ_INT(config_parse(big, len - 1, "t.yaml", &c, &error), 0);
		config_free(c);
		free(error);
	}
	free(big);
}

static void
test_loaders(void)
{
	struct config *c = parse_ok("ipxe: {bios: \"\", efi64: null, efi32: ~, arm64: snp.efi}");

	if (c != NULL) {
		CHECK(c->ipxe.bios == NULL);
		CHECK(c->ipxe.efi64 == NULL);
		CHECK(c->ipxe.efi32 == NULL);
		CHECK_EQ_STR(c->ipxe.arm64, "snp.efi");
	}
	config_free(c);
	c = parse_ok("ipxe: {efi64: \"null\"}");
	if (c != NULL)
		CHECK_EQ_STR(c->ipxe.efi64, "null");
	config_free(c);
	parse_err("ipxe: {bios: ../undionly.kpxe}",
	    "t.yaml:1: ipxe.bios: \"../undionly.kpxe\" is "
	    "not a plain file name in ipxe.dir (use \"\" or "
	    "null for none)");
	parse_err("ipxe: {efi64: /usr/lib/ipxe/ipxe.efi}",
	    "t.yaml:1: ipxe.efi64: \"/usr/lib/ipxe/ipxe.efi\" is not a plain file name in ipxe.dir "
	    "(use \"\" or null for none)");
	parse_err("ipxe: {arm64: ..}", "t.yaml:1: ipxe.arm64: \"..\" is not a plain file name in "
	                               "ipxe.dir (use \"\" or null for none)");
	parse_err("ipxe: {efi32: .}", "t.yaml:1: ipxe.efi32: \".\" is not a plain file name in "
	                              "ipxe.dir (use \"\" or null for none)");
	parse_err(
	    "ipxe: {dir: lib/ipxe}", "t.yaml:1: ipxe.dir: \"lib/ipxe\" is not an absolute path");
}

static void
test_image(void)
{
	struct config *c = parse_ok("default: {image: a.B_c-9}");

	if (c != NULL)
		CHECK_EQ_STR(c->def.image, "a.B_c-9");
	config_free(c);
	c = parse_ok("default: {image: "
	             "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa}");
	config_free(c);
	parse_err("default: {image: "
	          "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa}",
	    "t.yaml:1: default.image: "
	    "\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa...\" is not an "
	    "image name (1-64 of A-Z a-z 0-9 . _ -, not starting with .)");
	parse_err("default:\n  image: .hidden\n", "t.yaml:2: default.image: \".hidden\" is not an "
	                                          "image name (1-64 of A-Z a-z 0-9 . _ -, not "
	                                          "starting with .)");
	parse_err("default: {image: a/b}", "t.yaml:1: default.image: \"a/b\" is not an image name "
	                                   "(1-64 of A-Z a-z 0-9 . _ -, not starting with .)");
	parse_err("default: {image: \"\"}", "t.yaml:1: default.image: \"\" is not an image name "
	                                    "(1-64 of A-Z a-z 0-9 . _ -, not starting with .)");
	CHECK(name_valid("kairos"));
	CHECK(!name_valid(".."));
	CHECK(!name_valid("a b"));
}

static void
test_cmdline(void)
{
	char *yaml = malloc(CONFIG_MAX_CMDLINE + 64), msg[128];
	struct config *c = parse_ok("default: {cmdline: \"\"}");

	if (c != NULL)
		CHECK_EQ_STR(c->def.cmdline, "");
	config_free(c);
	c = parse_ok("default: {cmdline: \"a={{ b}} c={mac}{image}\"}");
	config_free(c);
	parse_err("default:\n  cmdline: root={rootfs}\n",
	    "t.yaml:2: default.cmdline: unknown placeholder \"{rootfs}\"");
	parse_err("default: {cmdline: \"x {mac\"}",
	    "t.yaml:1: default.cmdline: unterminated placeholder \"{mac\"");
	parse_err("default: {cmdline: \"x {}\"}",
	    "t.yaml:1: default.cmdline: unknown placeholder \"{}\"");
	parse_err("default: {cmdline: \"x {MAC}\"}",
	    "t.yaml:1: default.cmdline: unknown placeholder \"{MAC}\"");
	parse_err("default: {cmdline: \"a\\nb\"}",
	    "t.yaml:1: default.cmdline: contains a newline or control character");
	parse_err("default:\n  cmdline: |\n    a\n",
	    "t.yaml:2: default.cmdline: contains a newline "
	    "or control character");
	CHECK(yaml != NULL);
	if (yaml == NULL)
		return;
	strcpy(yaml, "default: {cmdline: ");
	memset(yaml + strlen(yaml), 'x', CONFIG_MAX_CMDLINE);
	strcpy(yaml + strlen("default: {cmdline: ") + CONFIG_MAX_CMDLINE, "}");
	c = parse_ok(yaml);
	config_free(c);
	strcpy(yaml + strlen("default: {cmdline: ") + CONFIG_MAX_CMDLINE, "y}");
	snprintf(msg, sizeof(msg), "t.yaml:1: default.cmdline: too long (%d bytes, at most %d)",
	    CONFIG_MAX_CMDLINE + 1, CONFIG_MAX_CMDLINE);
	parse_err(yaml, msg);
	free(yaml);
}

static void
test_paths(void)
{
	char yaml[256];
	struct config *c;

	parse_err(
	    "state_dir: var/lib\n", "t.yaml:1: state_dir: \"var/lib\" is not an absolute path");
	parse_err("state_dir: \"\"\n", "t.yaml:1: state_dir: \"\" is not an absolute path");
	parse_err(
	    "tftp: {root: ./tftp}", "t.yaml:1: tftp.root: \"./tftp\" is not an absolute path");
	parse_err("default: {cloud_config: cc.yaml}",
	    "t.yaml:1: default.cloud_config: \"cc.yaml\" is not an absolute path");
	/* a socket path must fit sun_path: 107 bytes */
	snprintf(yaml, sizeof(yaml), "control: {socket: /%0106d}", 0);
	c = parse_ok(yaml);
	config_free(c);
	snprintf(yaml, sizeof(yaml), "control: {socket: /%0107d}", 0);
	parse_err(yaml, "t.yaml:1: control.socket: path is too long (108 bytes, at most 107)");
	/* control.group: a plain group name */
	parse_err("control: {group: \"-wheel\"}",
	    "t.yaml:1: control.group: \"-wheel\" is not a "
	    "group name (1-32 of A-Z a-z 0-9 . _ -, not starting "
	    "with -)");
	parse_err("control: {group: \"a b\"}",
	    "t.yaml:1: control.group: \"a b\" is not a group "
	    "name (1-32 of A-Z a-z 0-9 . _ -, not starting with -)");
	parse_err(
	    "control: {group: [x]}", "t.yaml:1: control.group: expected a group name, not a list");
	c = parse_ok("control: {group: wheel}");
	if (c != NULL)
		CHECK_EQ_STR(c->control.group, "wheel");
	config_free(c);
}

static void
test_advertise(void)
{
	struct config *c = parse_ok("advertise: 127.0.0.1");

	if (c != NULL) {
		CHECK(c->has_advertise);
		CHECK_EQ_INT(c->advertise.s_addr, htonl(0x7f000001));
	}
	config_free(c);
	check_is_default("advertise: ~\n");
	parse_err("advertise: 1.2.3", "t.yaml:1: advertise: \"1.2.3\" is not an IPv4 address");
	parse_err(
	    "advertise: 1.2.3.256", "t.yaml:1: advertise: \"1.2.3.256\" is not an IPv4 address");
	parse_err(
	    "advertise: 01.2.3.4", "t.yaml:1: advertise: \"01.2.3.4\" is not an IPv4 address");
	parse_err("advertise: ::1", "t.yaml:1: advertise: \"::1\" is not an IPv4 address");
	parse_err("advertise: host.example",
	    "t.yaml:1: advertise: \"host.example\" is not an IPv4 address");
	parse_err("advertise: 0.0.0.0",
	    "t.yaml:1: advertise: \"0.0.0.0\" cannot be advertised to clients");
	parse_err("advertise: 255.255.255.255",
	    "t.yaml:1: advertise: \"255.255.255.255\" cannot be advertised to clients");
	parse_err("advertise: 224.0.0.1",
	    "t.yaml:1: advertise: \"224.0.0.1\" cannot be advertised to clients");
}

static void
test_interfaces(void)
{
	char yaml[1024];
	size_t n;
	struct config *c = parse_ok("interfaces: [lo]");

	if (c != NULL) {
		CHECK_EQ_INT(c->n_interfaces, 1);
		CHECK_EQ_STR(c->interfaces[0], "lo");
		CHECK(c->interfaces[1] == NULL);
	}
	config_free(c);
	c = parse_ok("interfaces: [abcdefghijklmno]");
	config_free(c);
	parse_err("interfaces: [abcdefghijklmnop]",
	    "t.yaml:1: interfaces: \"abcdefghijklmnop\" is not an interface name (1-15 characters, "
	    "no '/', ':' or spaces)");
	parse_err("interfaces:\n  - eth0\n  - eth0:1\n",
	    "t.yaml:3: interfaces: \"eth0:1\" is not an interface name (1-15 characters, no '/', "
	    "':' or spaces)");
	parse_err("interfaces: [a/b]", "t.yaml:1: interfaces: \"a/b\" is not an interface name "
	                               "(1-15 characters, no '/', ':' or spaces)");
	parse_err("interfaces: ['a b']", "t.yaml:1: interfaces: \"a b\" is not an interface name "
	                                 "(1-15 characters, no '/', ':' or spaces)");
	parse_err("interfaces: ['..']", "t.yaml:1: interfaces: \"..\" is not an interface name "
	                                "(1-15 characters, no '/', ':' or spaces)");
	parse_err("interfaces: [~]", "t.yaml:1: interfaces: \"~\" is not an interface name "
	                             "(1-15 characters, no '/', ':' or spaces)");
	parse_err("interfaces: [eth0, '']", "t.yaml:1: interfaces: \"\" is not an interface name "
	                                    "(1-15 characters, no '/', ':' or spaces)");
	parse_err(
	    "interfaces: [eth0, eth1, eth0]", "t.yaml:1: interfaces: \"eth0\" is listed twice");
	n = (size_t)snprintf(yaml, sizeof(yaml), "interfaces: [");
	for (int i = 0; i < CONFIG_MAX_INTERFACES; i++)
		n += (size_t)snprintf(yaml + n, sizeof(yaml) - n, "e%d, ", i);
	snprintf(yaml + n, sizeof(yaml) - n, "]");
	c = parse_ok(yaml);
	if (c != NULL)
		CHECK_EQ_INT(c->n_interfaces, CONFIG_MAX_INTERFACES);
	config_free(c);
	snprintf(yaml + n, sizeof(yaml) - n, "x]");
	parse_err(yaml, "t.yaml:1: interfaces: more than 64 interfaces");
}

static void
check_max_size(const char *value, uint64_t want)
{
	char yaml[128];
	struct config *c;

	snprintf(yaml, sizeof(yaml), "images: {max_size: %s}\n", value);
	c = parse_ok(yaml);
	CHECK(c != NULL && c->images.max_size == want);
	config_free(c);
}

static void
test_images(void)
{
	struct config *c = config_new();

	CHECK(c != NULL && c->images.max_size == 16ull << 30);
	config_free(c);
	check_max_size("16M", 16ull << 20);
	check_max_size("1048576", 1ull << 20);
	check_max_size("2GiB", 2ull << 30);
	check_max_size("3g", 3ull << 30);
	check_max_size("1T", 1ull << 40);
	check_max_size("\"512MB\"", 512ull << 20);
	check_is_default("images: {max_size: ~}\n");
	parse_err("images:\n  max_size: 1023K\n",
	    "t.yaml:2: images.max_size: \"1023K\" is not a size of at least 1M (bytes, or with K, "
	    "M, G, T)");
	parse_err("images: {max_size: 16X}",
	    "t.yaml:1: images.max_size: \"16X\" is not a size of at least 1M (bytes, or with K, M, "
	    "G, T)");
	parse_err("images: {max_size: 99999999999E}",
	    "t.yaml:1: images.max_size: \"99999999999E\" is not a size of at least 1M (bytes, or "
	    "with K, M, G, T)");
	parse_err("images: {max_size: -1}",
	    "t.yaml:1: images.max_size: \"-1\" is not a size of at least 1M (bytes, or with K, M, "
	    "G, T)");
	parse_err("images: {max_size: [1]}",
	    "t.yaml:1: images.max_size: expected a size like 16G, not a list");
	parse_err("images: {cap: 1}", "t.yaml:1: unknown key images.cap");
}

/* The import child's limits: defaults, values, the minimum named. */
static void
test_import_limits(void)
{
	struct config *c = config_new();

	CHECK(c != NULL && c->images.import_memory == 4ull << 30 && c->images.import_cpu == 7200);
	config_free(c);
	c = parse_ok("images: {import_memory: 256M, import_cpu: 2}\n");
	CHECK(c != NULL && c->images.import_memory == 256ull << 20 && c->images.import_cpu == 2);
	config_free(c);
	parse_err("images: {import_memory: 255M}",
	    "t.yaml:1: images.import_memory: \"255M\" is not a size of at least 256M (bytes, or "
	    "with K, M, G, T)");
	parse_err(
	    "images: {import_cpu: 0}", "t.yaml:1: images.import_cpu: 0 is out of range (1-604800)");
}

static void
test_syslog(void)
{
	struct config *c = parse_ok("syslog: {enabled: true, port: 5514, ring_lines: 10000, "
	                            "max_line: 64}\n");

	if (c != NULL) {
		CHECK(c->syslog.enabled);
		CHECK_EQ_INT(c->syslog.port, 5514);
		CHECK_EQ_INT(c->syslog.ring_lines, 10000);
		CHECK_EQ_INT(c->syslog.max_line, 64);
	}
	config_free(c);
	check_is_default("syslog: {}\n");
	check_is_default("syslog: {enabled: false, port: 514, ring_lines: 500, max_line: 1024}\n");
	parse_err("syslog:\n  ring_lines: 0\n",
	    "t.yaml:2: syslog.ring_lines: 0 is out of range (1-10000)");
	parse_err("syslog:\n  ring_lines: 10001\n",
	    "t.yaml:2: syslog.ring_lines: 10001 is out of range (1-10000)");
	parse_err(
	    "syslog: {max_line: 63}", "t.yaml:1: syslog.max_line: 63 is out of range (64-8192)");
	parse_err("syslog: {max_line: 8193}",
	    "t.yaml:1: syslog.max_line: 8193 is out of range (64-8192)");
	parse_err("syslog: {port: 0}", "t.yaml:1: syslog.port: 0 is not a port (1-65535)");
	parse_err("syslog: {rate: 5}", "t.yaml:1: unknown key syslog.rate");
	/* UDP: it may not share a port with TFTP or ProxyDHCP, when enabled */
	parse_err("syslog: {enabled: true, port: 69}\n",
	    "t.yaml:1: syslog.port: 69 is already used by tftp.port");
	c = parse_ok("syslog: {port: 69}\n");
	config_free(c);
}

static void
test_port_conflicts(void)
{
	struct config *c;

	parse_err(
	    "dhcp:\n  port: 4011\n", "t.yaml:2: dhcp.port: 4011 is already used by dhcp.pxe_port");
	parse_err(
	    "dhcp:\n  pxe_port: 67\n", "t.yaml:2: dhcp.pxe_port: 67 is already used by dhcp.port");
	parse_err("tftp:\n  port: 67\n", "t.yaml:2: tftp.port: 67 is already used by dhcp.port");
	parse_err("tftp: {port: 5000}\ndhcp: {pxe_port: 5000}\n",
	    "t.yaml:2: dhcp.pxe_port: 5000 is already used by tftp.port");
	parse_err("dhcp: {pxe_port: 5000}\ntftp: {port: 5000}\n",
	    "t.yaml:2: tftp.port: 5000 is already used by dhcp.pxe_port");
	/* only enabled services count; HTTP is TCP */
	c = parse_ok("dhcp: {enabled: false}\ntftp: {port: 67}\n");
	config_free(c);
	c = parse_ok("tftp: {enabled: false, port: 4011}\n");
	config_free(c);
	c = parse_ok("http: {port: 69}\n");
	config_free(c);
}

static void
test_tftp_root(void)
{
	struct config *c = config_new();
	char *s;

	if (c == NULL)
		return;
	s = config_tftp_root(c);
	CHECK_EQ_STR(s, "/var/lib/netbootd/tftp");
	free(s);
	free(c->state_dir);
	c->state_dir = strdup("/srv/nb//");
	s = config_tftp_root(c);
	CHECK_EQ_STR(s, "/srv/nb/tftp");
	free(s);
	free(c->state_dir);
	c->state_dir = strdup("/");
	s = config_tftp_root(c);
	CHECK_EQ_STR(s, "/tftp");
	free(s);
	c->tftp.root = strdup("/srv/tftp");
	s = config_tftp_root(c);
	CHECK_EQ_STR(s, "/srv/tftp");
	free(s);
	config_free(c);
}

/* The example conffile, found from SRCDIR or from this source file's path. */
static void
test_example_config(void)
{
	const char *srcdir = getenv("SRCDIR");
	char path[4096], here[4096];
	struct config *c = NULL, *d = config_new();
	char *error = NULL;
	int r;

	snprintf(here, sizeof(here), "%s", __FILE__);
	if (srcdir != NULL)
		snprintf(path, sizeof(path), "%s/systemd/netbootd.yaml", srcdir);
	else
		snprintf(path, sizeof(path), "%s/../../systemd/netbootd.yaml", dirname(here));
	r = config_load(path, &c, &error);
	if (r < 0)
		fprintf(stderr, "%s: %s\n", path, error ? error : strerror(-r));
	CHECK_EQ_INT(r, 0);
	if (c != NULL && d != NULL) {
		CHECK(config_equal(c, d));
		CHECK_EQ_STR(c->path, path);
	}
	free(error);
	config_free(c);
	config_free(d);
}

static void
test_load(void)
{
	char dir[] = "/tmp/test-config.XXXXXX", path[64], *error = NULL;
	struct config *c = NULL;
	FILE *f;

	CHECK(mkdtemp(dir) != NULL);
	snprintf(path, sizeof(path), "%s/missing.yaml", dir);
	CHECK_EQ_INT(config_load(path, &c, &error), -ENOENT);
	CHECK(c == NULL);
	CHECK(error != NULL && strstr(error, "missing.yaml: No such file or directory") != NULL);
	free(error);
	error = NULL;
	CHECK_EQ_INT(config_load(dir, &c, &error), -EINVAL);
	CHECK(error != NULL && strstr(error, ": not a regular file") != NULL);
	free(error);
	error = NULL;

	snprintf(path, sizeof(path), "%s/bad.yaml", dir);
	f = fopen(path, "w");
	CHECK(f != NULL);
	if (f != NULL) {
		fputs("http:\n  port: 0\n", f);
		fclose(f);
	}
	CHECK_EQ_INT(config_load(path, &c, &error), -EINVAL);
	{
		char expected[128];

		snprintf(
		    expected, sizeof(expected), "%s:2: http.port: 0 is not a port (1-65535)", path);
		CHECK_EQ_STR(error, expected);
	}
	free(error);
	error = NULL;

	f = fopen(path, "w");
	if (f != NULL) {
		fputs("http: {port: 8091}\n", f);
		fclose(f);
	}
	CHECK_EQ_INT(config_load(path, &c, &error), 0);
	CHECK(error == NULL);
	if (c != NULL) {
		CHECK_EQ_STR(c->path, path);
		CHECK_EQ_INT(c->http.port, 8091);
	}
	config_free(c);
	c = NULL;

	CHECK(truncate(path, CONFIG_MAX_FILE_SIZE + 1) == 0);
	CHECK_EQ_INT(config_load(path, &c, &error), -EFBIG);
	CHECK(error != NULL && strstr(error, "too large (1048577 bytes, at most 1048576)") != NULL);
	free(error);
	unlink(path);
	rmdir(dir);
}

static void
test_registry(void)
{
	struct config *c = config_new();

	if (c != NULL) { /* defaults */
		CHECK_EQ_INT(c->registry.n_insecure, 0);
		CHECK(c->registry.insecure != NULL && c->registry.insecure[0] == NULL);
		CHECK_EQ_STR(c->registry.auth_file, "/etc/netbootd/auth.json");
		CHECK_EQ_STR(c->registry.platform, "linux/amd64");
		CHECK_EQ_STR(c->registry.compression, "gzip");
	}
	config_free(c);
	c = parse_ok("registry:\n  insecure: [127.0.0.1:5000, reg.lan, \"[::1]:5000\"]\n"
	             "  auth_file: /srv/auth.json\n  platform: linux/arm64/v8\n"
	             "  compression: zstd\n");
	if (c != NULL) {
		CHECK_EQ_INT(c->registry.n_insecure, 3);
		CHECK_EQ_STR(c->registry.insecure[0], "127.0.0.1:5000");
		CHECK_EQ_STR(c->registry.insecure[1], "reg.lan");
		CHECK_EQ_STR(c->registry.insecure[2], "[::1]:5000");
		CHECK(c->registry.insecure[3] == NULL);
		CHECK_EQ_STR(c->registry.auth_file, "/srv/auth.json");
		CHECK_EQ_STR(c->registry.platform, "linux/arm64/v8");
		CHECK_EQ_STR(c->registry.compression, "zstd");
	}
	config_free(c);
	c = parse_ok("registry: {compression: xz}\n"); /* partial: the rest keeps its default */
	if (c != NULL) {
		CHECK_EQ_STR(c->registry.compression, "xz");
		CHECK_EQ_STR(c->registry.platform, "linux/amd64");
		CHECK_EQ_STR(c->registry.auth_file, "/etc/netbootd/auth.json");
	}
	config_free(c);
	check_is_default("registry: {insecure: []}\n");
	check_is_default("registry: {insecure: null}\n");
	check_is_default("registry:\n");
	parse_err("registry: {insecure: reg:5000}\n",
	    "t.yaml:1: registry.insecure: expected a list of HOST[:PORT], not a scalar");
	parse_err("registry:\n  insecure:\n    - ok:1\n    - \"a b\"\n",
	    "t.yaml:4: registry.insecure: \"a b\" is not HOST[:PORT]");
	parse_err("registry: {insecure: [reg:0]}\n",
	    "t.yaml:1: registry.insecure: \"reg:0\" is not HOST[:PORT]");
	parse_err("registry: {insecure: [\"::1\"]}\n",
	    "t.yaml:1: registry.insecure: \"::1\" is not HOST[:PORT]");
	parse_err("registry: {insecure: [[a]]}\n",
	    "t.yaml:1: registry.insecure: expected HOST[:PORT], not a list");
	parse_err("registry: {auth_file: auth.json}\n",
	    "t.yaml:1: registry.auth_file: \"auth.json\" is not an absolute path");
	parse_err("registry: {platform: amd64}\n",
	    "t.yaml:1: registry.platform: \"amd64\" is not a platform like linux/amd64 or "
	    "linux/arm64");
	parse_err("registry: {compression: lz4}\n",
	    "t.yaml:1: registry.compression: \"lz4\" is not gzip, zstd or xz");
	parse_err("registry: {mirror: x}\n", "t.yaml:1: unknown key registry.mirror");
}

static void
test_store(void)
{
	struct config *c = config_new();

	CHECK(c != NULL && c->store.backend == CONFIG_STORE_LOCAL && c->store.n_endpoints == 0);
	CHECK_EQ_STR(c->store.prefix, "/netbootd/");
	config_free(c);
	c = parse_ok(
	    "store:\n"
	    "  backend: etcd\n"
	    "  endpoints: [http://127.0.0.1:2379, 'https://[::1]:2379', https://etcd-2]\n"
	    "  prefix: /site-a/netbootd/\n"
	    "  instance: rack-7\n"
	    "  tls: {ca: /etc/netbootd/ca.pem, cert: /etc/netbootd/c.pem, key: /etc/netbootd/k.pem}\n"
	    "  username: netbootd\n"
	    "  password: 's3cret with spaces'\n");
	if (c != NULL) {
		CHECK_EQ_INT(c->store.backend, CONFIG_STORE_ETCD);
		CHECK_EQ_INT(c->store.n_endpoints, 3);
		CHECK_EQ_STR(c->store.endpoints[1], "https://[::1]:2379");
		CHECK(c->store.endpoints[3] == NULL);
		CHECK_EQ_STR(c->store.prefix, "/site-a/netbootd/");
		CHECK_EQ_STR(c->store.instance, "rack-7");
		CHECK_EQ_STR(c->store.tls.key, "/etc/netbootd/k.pem");
		CHECK_EQ_STR(c->store.password, "s3cret with spaces");
	}
	config_free(c);
	config_free(parse_ok("store: {backend: local}\n"));
	parse_err("store: {backend: etcd}\n",
	    "t.yaml:1: store.endpoints: is needed with store.backend etcd (the etcd members' URLs)");
	parse_err("store: {endpoints: [http://a:1]}\n",
	    "t.yaml:1: store.endpoints: is set, but store.backend is local (say backend: etcd)");
	parse_err("store: {backend: zookeeper}\n",
	    "t.yaml:1: store.backend: \"zookeeper\" is not local or etcd");
	parse_err("store: {backend: etcd, endpoints: [ftp://a:1]}\n",
	    "t.yaml:1: store.endpoints: \"ftp://a:1\" is not http(s)://HOST:PORT");
	parse_err("store: {backend: etcd, endpoints: [http://a:1/v3]}\n",
	    "t.yaml:1: store.endpoints: \"http://a:1/v3\" is not http(s)://HOST:PORT");
	parse_err("store: {backend: etcd, endpoints: http://a:1}\n",
	    "t.yaml:1: store.endpoints: expected a list of http(s)://HOST:PORT, not a scalar");
	parse_err("store: {prefix: netbootd}\n",
	    "t.yaml:1: store.prefix: \"netbootd\" is not a key prefix (starting and ending with /, "
	    "at most 128 printable characters)");
	parse_err("store:\n  backend: etcd\n  endpoints: [http://a:1]\n  tls: {cert: /c}\n",
	    "t.yaml:4: store.tls: needs both cert and key, or neither");
	parse_err("store:\n  backend: etcd\n  endpoints: [http://a:1]\n  username: u\n",
	    "t.yaml:4: store: needs both username and password, or neither");
	parse_err("store: {instance: ../x}\n",
	    "t.yaml:1: store.instance: \"../x\" is not an instance name (1-64 of A-Z a-z 0-9 . _ -, "
	    "not starting with .)");
	parse_err("store: {tls: {ca: relative.pem}}\n",
	    "t.yaml:1: store.tls.ca: \"relative.pem\" is not an absolute path");
}

static bool
allowed(const struct config *c, const char *addr)
{
	struct in_addr a;

	CHECK(inet_pton(AF_INET, addr, &a) == 1);
	return config_ui_allowed(c, a);
}

/* http.ui and http.ui_allow: the status page and who may see it. */
static void
test_ui(void)
{
	struct config *c = config_new();
	struct in_addr net;
	unsigned prefix = 99;

	CHECK(c != NULL && c->http.ui && c->http.n_ui_allow == 0);
	CHECK(c != NULL && c->http.ui_allow != NULL && c->http.ui_allow[0] == NULL);
	CHECK(c != NULL && allowed(c, "192.0.2.7"));
	config_free(c);
	c = parse_ok("http:\n  ui: false\n  ui_allow: [10.0.0.0/8, 192.168.1.0/24, 127.0.0.1, "
	             "0.0.0.0/0]\n");
	if (c != NULL) {
		CHECK(!c->http.ui);
		CHECK_EQ_INT(c->http.n_ui_allow, 4);
		CHECK_EQ_STR(c->http.ui_allow[2], "127.0.0.1");
		CHECK(c->http.ui_allow[4] == NULL);
	}
	config_free(c);
	c = parse_ok("http: {ui_allow: [10.1.0.0/16, 127.0.0.1/32]}\n");
	if (c != NULL) {
		CHECK(c->http.ui);
		CHECK(allowed(c, "10.1.255.3") && allowed(c, "127.0.0.1"));
		CHECK(
		    !allowed(c, "10.2.0.1") && !allowed(c, "127.0.0.2") && !allowed(c, "0.0.0.0"));
	}
	config_free(c);
	c = parse_ok("http: {ui_allow: [0.0.0.0/0]}\n");
	CHECK(c != NULL && allowed(c, "203.0.113.9"));
	config_free(c);
	c = parse_ok("http: {ui_allow: []}\n");
	CHECK(c != NULL && c->http.n_ui_allow == 0 && allowed(c, "203.0.113.9"));
	config_free(c);
	CHECK_EQ_INT(config_cidr_parse("10.0.0.0/24", &net, &prefix), 0);
	CHECK_EQ_INT(prefix, 24);
	CHECK(net.s_addr == htonl(0x0a000000));
	CHECK_EQ_INT(config_cidr_parse("10.0.0.1/24", &net, &prefix), -EINVAL);
	CHECK_EQ_INT(config_cidr_parse("10.0.0.0/33", &net, &prefix), -EINVAL);
	CHECK_EQ_INT(config_cidr_parse("10.0.0.0/", &net, &prefix), -EINVAL);
	CHECK_EQ_INT(config_cidr_parse("10.0.0.0/08", &net, &prefix), -EINVAL);
	CHECK_EQ_INT(config_cidr_parse("10.0.0.0/-1", &net, &prefix), -EINVAL);
	CHECK_EQ_INT(config_cidr_parse("/8", &net, &prefix), -EINVAL);
	CHECK_EQ_INT(config_cidr_parse("::1/128", &net, &prefix), -EINVAL);
	CHECK_EQ_INT(config_cidr_parse("10.0.0/8", &net, &prefix), -EINVAL);
	parse_err("http: {ui: maybe}",
	    "t.yaml:1: http.ui: \"maybe\" is not a boolean (true/false, yes/no, on/off)");
	parse_err("http: {ui_allow: [10.0.0.1/24]}",
	    "t.yaml:1: http.ui_allow: \"10.0.0.1/24\" is not an IPv4 network like 10.0.0.0/24");
	parse_err("http: {ui_allow: [fe80::/10]}",
	    "t.yaml:1: http.ui_allow: \"fe80::/10\" is not an IPv4 network like 10.0.0.0/24");
	parse_err("http: {ui_allow: [\"\"]}",
	    "t.yaml:1: http.ui_allow: \"\" is not an IPv4 network like 10.0.0.0/24");
	parse_err("http: {ui_allow: 10.0.0.0/8}",
	    "t.yaml:1: http.ui_allow: expected a list of IPv4 networks like 10.0.0.0/24, not a "
	    "scalar");
	parse_err("http: {ui_allow: [[10.0.0.0/8]]}",
	    "t.yaml:1: http.ui_allow: expected an IPv4 network like 10.0.0.0/24, not a list");
}

TEST_MAIN(TEST(test_ui), TEST(test_store), TEST(test_defaults), TEST(test_empty),
    TEST(test_full_block), TEST(test_full_flow), TEST(test_partial), TEST(test_booleans),
    TEST(test_ports), TEST(test_ranges), TEST(test_unknown_keys), TEST(test_duplicates),
    TEST(test_wrong_types), TEST(test_yaml_features), TEST(test_syntax_errors),
    TEST(test_bad_bytes), TEST(test_size_cap), TEST(test_loaders), TEST(test_image),
    TEST(test_cmdline), TEST(test_paths), TEST(test_advertise), TEST(test_interfaces),
    TEST(test_port_conflicts), TEST(test_tftp_root), TEST(test_example_config), TEST(test_load),
    TEST(test_registry), TEST(test_syslog), TEST(test_images), TEST(test_import_limits))
