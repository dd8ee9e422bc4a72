#include <stdlib.h>

#include "ipxe-script.h"
#include "test.h"

static const struct ipxe_vars vars = {
    .server = "http://10.0.0.2:8090",
    .image = "kairos",
    .mac = {0x52, 0x54, 0x00, 0xab, 0xcd, 0xef},
};

static void
check_expand(const char *tmpl, const char *want)
{
	char *out = NULL;

	CHECK_EQ_INT(ipxe_cmdline_expand(tmpl, &vars, &out), 0);
	CHECK_EQ_STR(out, want);
	free(out);
}

static void
test_expand(void)
{
	check_expand("", "");
	check_expand("console=ttyS0", "console=ttyS0");
	check_expand("{server}", "http://10.0.0.2:8090");
	check_expand("{image} {mac}", "kairos 52:54:00:ab:cd:ef");
	check_expand("k={kernel_url} i={initrd_url}",
	    "k=http://10.0.0.2:8090/images/kairos/kernel i=http://10.0.0.2:8090/images/kairos/initrd");
	check_expand("root=live:{squashfs_url}",
	    "root=live:http://10.0.0.2:8090/images/kairos/rootfs.squashfs");
	check_expand(
	    "config_url={config_url}", "config_url=http://10.0.0.2:8090/config/52-54-00-ab-cd-ef");
	check_expand("a{{b}c", "a{b}c");
	check_expand("{{server}", "{server}");
	check_expand("x}", "x}");
}

static void
test_expand_default(void)
{
	char *out = NULL;

	CHECK_EQ_INT(ipxe_cmdline_expand(NULL, &vars, &out), 0);
	CHECK(out != NULL &&
	      strstr(out, "root=live:http://10.0.0.2:8090/images/kairos/rootfs.squashfs ") != NULL);
	CHECK(out != NULL &&
	      strstr(out, "config_url=http://10.0.0.2:8090/config/52-54-00-ab-cd-ef ") != NULL);
	CHECK(out != NULL && strchr(out, '{') == NULL);
	free(out);
	CHECK_EQ_INT(ipxe_cmdline_validate(IPXE_DEFAULT_CMDLINE), 0);
}

static void
test_bad_templates(void)
{
	static const char *const bad[] = {"{", "{server", "{}", "{nope}", "{Server}", "a\nb",
	    "a\rb", "{server }", "{ server}", "{squashfs_url_}", "x{image"};
	char *out = (char *)"untouched";

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CHECK_EQ_INT(ipxe_cmdline_validate(bad[i]), -EINVAL);
		CHECK_EQ_INT(ipxe_cmdline_expand(bad[i], &vars, &out), -EINVAL);
	}
	CHECK_EQ_STR(out, "untouched");
	CHECK_EQ_INT(ipxe_cmdline_validate("tab\tis-a-control"), -EINVAL);
}

static void
test_bad_values(void)
{
	struct ipxe_vars v = vars;
	char *out = NULL, *big = malloc(IPXE_CMDLINE_MAX + 2);

	v.image = "has space";
	CHECK_EQ_INT(ipxe_cmdline_expand("{image}", &v, &out), -EINVAL);
	CHECK_EQ_INT(ipxe_cmdline_expand("{kernel_url}", &v, &out), -EINVAL);
	v.image = "new\nline";
	CHECK_EQ_INT(ipxe_cmdline_expand("{squashfs_url}", &v, &out), -EINVAL);
	v.image = NULL;
	CHECK_EQ_INT(ipxe_cmdline_expand("{image}", &v, &out), -EINVAL);
	CHECK_EQ_INT(ipxe_cmdline_expand("{config_url}", &v, &out), 0); /* needs no image */
	free(out);
	out = NULL;
	v = vars;
	v.server = "http://a b";
	CHECK_EQ_INT(ipxe_cmdline_expand("x", &v, &out), -EINVAL);
	CHECK(out == NULL);
	/* Length caps: the template, and the expansion. */
	memset(big, 'a', IPXE_CMDLINE_MAX + 1);
	big[IPXE_CMDLINE_MAX + 1] = '\0';
	CHECK_EQ_INT(ipxe_cmdline_validate(big), -EINVAL);
	big[IPXE_CMDLINE_MAX] = '\0';
	CHECK_EQ_INT(ipxe_cmdline_validate(big), 0);
	memcpy(big, "{squashfs_url}", 14);
	CHECK_EQ_INT(ipxe_cmdline_expand(big, &vars, &out), -EINVAL);
	free(big);
}

static void
test_script(void)
{
	char *s = NULL;

	CHECK_EQ_INT(ipxe_script_render("console=ttyS0 root=live:{squashfs_url}", &vars, &s), 0);
	if (s == NULL)
		return;
	fputs(s, stdout);
	CHECK(strncmp(s, "#!ipxe\n", 7) == 0);
	CHECK(strstr(s, "\nkernel http://10.0.0.2:8090/images/kairos/kernel console=ttyS0 "
	                "root=live:http://10.0.0.2:8090/images/kairos/rootfs.squashfs "
	                "initrd=initrd && goto initrd ||\n") != NULL);
	CHECK(strstr(s, "\ninitrd --name initrd http://10.0.0.2:8090/images/kairos/initrd && goto "
	                "boot ||\n") != NULL);
	CHECK(strstr(s, "\n:boot\nboot ||\n") != NULL);
	CHECK(strstr(s, "\niseq ${netbootd_try} 3 && goto failed ||\n") != NULL);
	CHECK(strstr(s, "\nsleep 30\ndhcp ||\nchain --replace "
	                "http://10.0.0.2:8090/ipxe/52-54-00-ab-cd-ef || goto failed\n") != NULL);
	CHECK(strstr(s, "52:54:00:ab:cd:ef") != NULL);
	/* Every label that is jumped to exists. */
	CHECK(strstr(s, "\n:kernel\nset netbootd_try:int32 0\n:kernel_retry\n") != NULL);
	CHECK(strstr(s, "\n:initrd\nset netbootd_try:int32 0\n:initrd_retry\n") != NULL);
	CHECK(strstr(s, "\ngoto kernel_retry\n") && strstr(s, "\ngoto initrd_retry\n"));
	CHECK(strstr(s, "\n:failed\n") != NULL);
	CHECK(s[strlen(s) - 1] == '\n');
	free(s);
}

static void
test_script_efi(void)
{
	struct ipxe_vars v = vars;
	char *s = NULL;

	v.efi = true;
	CHECK_EQ_INT(ipxe_script_render("{squashfs_url}", &v, &s), 0);
	if (s == NULL)
		return;
	fputs(s, stdout);
	CHECK(strncmp(s, "#!ipxe\n", 7) == 0);
	CHECK(
	    strstr(s, "\nchain http://10.0.0.2:8090/images/kairos/boot.efi && goto failed ||\n") !=
	    NULL);
	CHECK(strstr(s, "kernel ") == NULL && strstr(s, "initrd") == NULL);
	CHECK(strstr(s, "\n:failed\n") != NULL);
	free(s);
}

static void
test_script_iso(void)
{
	struct ipxe_vars v = vars;
	char *s = NULL;

	v.efi = v.iso = true;
	CHECK_EQ_INT(ipxe_script_render("{squashfs_url}", &v, &s), 0);
	if (s == NULL)
		return;
	fputs(s, stdout);
	CHECK(strstr(s, "\nsanboot --no-describe http://10.0.0.2:8090/images/kairos/boot.iso && "
	                "goto failed ||\n") != NULL);
	CHECK(strstr(s, "booting ISO image kairos") != NULL);
	CHECK(strstr(s, "chain http") == NULL && strstr(s, "kernel ") == NULL);
	free(s);
}

static void
test_script_noimage(void)
{
	struct ipxe_vars v = vars;
	char *s = NULL;

	v.image = NULL;
	CHECK_EQ_INT(ipxe_script_render("{squashfs_url}", &v, &s), 0);
	if (s == NULL)
		return;
	fputs(s, stdout);
	CHECK(strncmp(s, "#!ipxe\n", 7) == 0);
	CHECK(strstr(s, "no image") != NULL);
	CHECK(
	    strstr(s, "\nsleep 60\nchain --replace http://10.0.0.2:8090/ipxe/52-54-00-ab-cd-ef || "
	              "goto retry\n") != NULL);
	CHECK(strstr(s, "kernel") == NULL);
	free(s);
}

static void
test_script_errors(void)
{
	struct ipxe_vars v = vars;
	char *s = (char *)"untouched";

	CHECK_EQ_INT(ipxe_script_render("{bogus}", &v, &s), -EINVAL);
	v.image = "a b";
	CHECK_EQ_INT(ipxe_script_render(NULL, &v, &s), -EINVAL);
	CHECK_EQ_STR(s, "untouched");
}

/* The query ProxyDHCP saw rides along; local: a script that exits, nothing else. */
static void
test_script_query_and_local(void)
{
	struct ipxe_vars v = vars;
	char *s = NULL, *out = NULL;

	v.query = "?arch=efi-x86_64&uuid=10111213-1415-1617-1819-1a1b1c1d1e1f";
	CHECK_EQ_INT(ipxe_cmdline_expand("config_url={config_url}", &v, &out), 0);
	CHECK_EQ_STR(out, "config_url=http://10.0.0.2:8090/config/52-54-00-ab-cd-ef"
	                  "?arch=efi-x86_64&uuid=10111213-1415-1617-1819-1a1b1c1d1e1f");
	free(out);
	CHECK_EQ_INT(ipxe_script_render("{squashfs_url}", &v, &s), 0);
	CHECK(s != NULL && strstr(s, "chain --replace http://10.0.0.2:8090/ipxe/52-54-00-ab-cd-ef"
	                             "?arch=efi-x86_64&uuid=") != NULL);
	free(s);
	v.query = "?arch=a b"; /* a space would end the iPXE word */
	CHECK_EQ_INT(ipxe_script_render("{squashfs_url}", &v, &s), -EINVAL);
	v.query = "";
	v.local = true;
	s = NULL;
	CHECK_EQ_INT(ipxe_script_render("{bogus}", &v, &s), 0); /* no command line in it */
	CHECK_EQ_STR(
	    s, "#!ipxe\necho netbootd: 52:54:00:ab:cd:ef boots from its local disk\nexit\n");
	free(s);
}

/* An image booted from its origin: its URLs in the script and the placeholders. */
static void
test_file_urls(void)
{
	struct ipxe_vars v = vars;
	char *s = NULL, *line = NULL;

	v.file_url[0] = "https://cdn.example/k/aa";
	v.file_url[1] = "https://cdn.example/i/bb";
	v.file_url[2] = "https://cdn.example/r/cc";
	CHECK_EQ_INT(ipxe_script_render("root=live:{squashfs_url} k={kernel_url}", &v, &s), 0);
	CHECK(s != NULL &&
	      strstr(s, "kernel https://cdn.example/k/aa root=live:https://cdn.example/r/cc "
	                "k=https://cdn.example/k/aa") != NULL);
	CHECK(s != NULL && strstr(s, "initrd --name initrd https://cdn.example/i/bb") != NULL);
	CHECK(s != NULL && strstr(s, "/images/") == NULL);
	free(s);
	v.file_url[0] = "https://cdn.example/with space";
	CHECK_EQ_INT(ipxe_script_render(NULL, &v, &s), -EINVAL);
	CHECK_EQ_INT(ipxe_cmdline_expand("{kernel_url}", &v, &line), -EINVAL);
}

/* {netconsole}: "@/,PORT@ADDR/" with the syslog receiver, an error without; in the script too. */
static void
test_netconsole(void)
{
	struct ipxe_vars v = vars;
	char *out = (char *)"untouched";

	CHECK_EQ_INT(ipxe_cmdline_validate("netconsole={netconsole}"), 0);
	CHECK_EQ_INT(ipxe_cmdline_expand("netconsole={netconsole}", &v, &out), -EINVAL);
	CHECK_EQ_STR(out, "untouched");
	v.syslog_addr = "10.0.0.2";
	CHECK_EQ_INT(
	    ipxe_cmdline_expand("netconsole={netconsole}", &v, &out), -EINVAL); /* port 0 */
	v.syslog_port = 5514;
	CHECK_EQ_INT(ipxe_cmdline_expand("quiet netconsole={netconsole}", &v, &out), 0);
	CHECK_EQ_STR(out, "quiet netconsole=@/,5514@10.0.0.2/");
	free(out);
	CHECK_EQ_INT(ipxe_script_render("netconsole={netconsole}", &v, &out), 0);
	CHECK(out != NULL && strstr(out, " netconsole=@/,5514@10.0.0.2/") != NULL);
	free(out);
	v.syslog_addr = "10.0.0.2 x"; /* would break the iPXE line */
	CHECK_EQ_INT(ipxe_cmdline_expand("{netconsole}", &v, &out), -EINVAL);
}

TEST_MAIN(TEST(test_expand), TEST(test_file_urls), TEST(test_script_query_and_local),
    TEST(test_expand_default), TEST(test_bad_templates), TEST(test_bad_values), TEST(test_script),
    TEST(test_script_noimage), TEST(test_script_efi), TEST(test_script_iso),
    TEST(test_script_errors), TEST(test_netconsole))
