#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "grub-cfg.h"
#include "test.h"

static struct grub_vars
vars(const char *device)
{
	struct grub_vars v = {.ipxe = {.server = "http://10.0.0.2:8090",
	                          .image = "kairos",
	                          .mac = {0x52, 0x54, 0x00, 0xab, 0xcd, 0xef},
	                          .query = "?arch=efi-arm64"},
	    .device = device};

	return v;
}

static void
test_boot(void)
{
	struct grub_vars v = vars("(http,10.0.0.2:8090)");
	char *out = NULL;

	CHECK_EQ_INT(
	    grub_cfg_render("root=live:{squashfs_url} config_url={config_url}  quiet", &v, &out),
	    0);
	CHECK_EQ_STR(out,
	    "# netbootd: 52:54:00:ab:cd:ef boots image kairos\n"
	    "set timeout=0\n"
	    "echo \"netbootd: booting image kairos on 52:54:00:ab:cd:ef\"\n"
	    "if linux \"(http,10.0.0.2:8090)/images/kairos/kernel\" "
	    "'root=live:http://10.0.0.2:8090/images/kairos/rootfs.squashfs' "
	    "'config_url=http://10.0.0.2:8090/config/52-54-00-ab-cd-ef?arch=efi-arm64' 'quiet'; then\n"
	    "\tif initrd \"(http,10.0.0.2:8090)/images/kairos/initrd\"; then\n"
	    "\t\tboot\n"
	    "\tfi\n"
	    "fi\n"
	    "echo \"netbootd: could not boot image kairos (see above), going on to the next boot "
	    "device in 30 s\"\n"
	    "sleep 30\n"
	    "exit\n");
	free(out);
	/* TFTP, a quote in the template, an origin over HTTP and one GRUB cannot reach */
	v = vars("(tftp,10.0.0.2)");
	v.ipxe.file_url[0] = "http://origin:8090/blobs/sha256:aa";
	CHECK_EQ_INT(grub_cfg_render("a='b c'", &v, &out), 0);
	CHECK(strstr(out,
	          "if linux \"(tftp,10.0.0.2)/images/kairos/kernel\" 'a='\\''b' 'c'\\'''") != NULL);
	free(out);
	v = vars("(http,10.0.0.2:8090)");
	v.ipxe.file_url[0] = "http://origin:8090/blobs/sha256:aa";
	v.ipxe.file_url[1] = "https://origin/blobs/sha256:bb";
	CHECK_EQ_INT(grub_cfg_render("quiet", &v, &out), 0);
	CHECK(strstr(out, "linux \"(http,origin:8090)/blobs/sha256:aa\" 'quiet'") != NULL);
	CHECK(strstr(out, "initrd \"(http,10.0.0.2:8090)/images/kairos/initrd\"") != NULL);
	free(out);
}

static void
test_local_and_wait(void)
{
	struct grub_vars v = vars("(tftp,10.0.0.2)");
	char *out = NULL;

	v.ipxe.local = true;
	CHECK_EQ_INT(grub_cfg_render(NULL, &v, &out), 0);
	CHECK(strstr(out, "local disk\"\nexit\n") != NULL);
	CHECK(strstr(out, "linux") == NULL);
	free(out);
	v.ipxe.local = false;
	v.ipxe.image = NULL;
	v.ipxe.missing = "gone";
	CHECK_EQ_INT(grub_cfg_render(NULL, &v, &out), 0);
	CHECK(
	    strstr(out, "its image gone is missing") != NULL && strstr(out, "\nreboot\n") != NULL);
	free(out);
	v.ipxe.missing = NULL;
	CHECK_EQ_INT(grub_cfg_render(NULL, &v, &out), 0);
	CHECK(strstr(out, "set default.image") != NULL);
	free(out);
}

static void
test_errors(void)
{
	struct grub_vars v = vars("(http,10.0.0.2:8090)");
	char *out = (char *)"untouched";

	CHECK_EQ_INT(grub_cfg_render("{nope}", &v, &out), -EINVAL);
	v.device = "(http,\"x)";
	CHECK_EQ_INT(grub_cfg_render(NULL, &v, &out), -EINVAL);
	v.device = "";
	CHECK_EQ_INT(grub_cfg_render(NULL, &v, &out), -EINVAL);
	v = vars("(http,10.0.0.2:8090)");
	v.ipxe.image = "ka$root";
	CHECK_EQ_INT(grub_cfg_render(NULL, &v, &out), -EINVAL);
	v = vars("(http,10.0.0.2:8090)");
	v.ipxe.file_url[0] = "http://host-without-path";
	CHECK_EQ_INT(grub_cfg_render(NULL, &v, &out), -EINVAL);
	CHECK_EQ_STR(out, "untouched");
}

static void
test_paths(void)
{
	enum boot_arch a;
	uint8_t mac[MAC_LEN];

	CHECK_EQ_INT(grub_cfg_path_parse("grub/netbootd/efi-arm64/52:54:00:ab:cd:ef", &a, mac), 0);
	CHECK_EQ_INT(a, BOOT_ARCH_EFI_ARM64);
	CHECK_EQ_INT(mac[5], 0xef);
	CHECK_EQ_INT(
	    grub_cfg_path_parse("/grub/netbootd/http-x86_64/52-54-00-ab-cd-ef", &a, mac), 0);
	CHECK_EQ_INT(a, BOOT_ARCH_HTTP_X86_64);
	CHECK_EQ_INT(grub_cfg_path_parse("grub/netbootd/bios/52:54:00:ab:cd:ef", &a, mac), -ENOENT);
	CHECK_EQ_INT(
	    grub_cfg_path_parse("grub/netbootd/efi-arm64/52:54:00:ab:cd", &a, mac), -ENOENT);
	CHECK_EQ_INT(grub_cfg_path_parse("grub/netbootd/efi-arm64", &a, mac), -ENOENT);
	CHECK_EQ_INT(grub_cfg_path_parse("grub/grub.cfg", &a, mac), -ENOENT);
	CHECK_EQ_INT(grub_cfg_path_parse("grub/netbootd/x/52:54:00:ab:cd:ef/x", &a, mac), -ENOENT);
	CHECK(strstr(GRUB_CFG_DISPATCHER,
	          "source \"$prefix/netbootd/$netbootd_arch/$netbootd_mac\"") != NULL);
}

TEST_MAIN(TEST(test_boot), TEST(test_local_and_wait), TEST(test_errors), TEST(test_paths))
