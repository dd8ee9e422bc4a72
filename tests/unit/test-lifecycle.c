/* lib/boot/lifecycle.c and lib/boot/cloud-config-stages.c. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cloud-config-stages.h"
#include "lifecycle.h"
#include "test.h"

static const char tok1[] = "0123456789abcdef0123456789abcdef";
static const char tok2[] = "fedcba9876543210fedcba9876543210";

static void
test_names(void)
{
	enum lifecycle_state s;

	for (int i = 0; i < _LIFECYCLE_MAX; i++) {
		CHECK_EQ_INT(lifecycle_state_parse(lifecycle_state_name(i), &s), 0);
		CHECK_EQ_INT(s, i);
	}
	CHECK_EQ_INT(lifecycle_state_parse("done", &s), -EINVAL);
	CHECK_EQ_INT(lifecycle_state_parse(NULL, &s), -EINVAL);
	CHECK(lifecycle_token_valid(tok1));
	CHECK(!lifecycle_token_valid("0123456789ABCDEF0123456789abcdef"));
	CHECK(!lifecycle_token_valid("0123456789abcdef0123456789abcde"));
	CHECK(!lifecycle_token_valid("0123456789abcdef0123456789abcdef0"));
	CHECK(!lifecycle_token_valid(""));
}

static void
test_install(void)
{
	struct lifecycle_record r = {0};
	int64_t ms = 0, d;

	lifecycle_on_dhcp(&r.dhcp_ms, 1000);
	lifecycle_on_dhcp(&r.dhcp_ms, 2000); /* the same boot */
	CHECK(!lifecycle_on_boot(&r, tok1, 3000));
	CHECK_EQ_INT(r.state, LIFECYCLE_BOOTING);
	CHECK_EQ_INT(r.boots, 1);
	CHECK(lifecycle_on_config(&r, 11000, &ms));
	CHECK_EQ_INT(ms, 10000);                     /* from the first DHCP */
	CHECK(!lifecycle_on_config(&r, 12000, &ms)); /* once per boot */
	CHECK_EQ_INT(lifecycle_report(&r, tok2, LIFECYCLE_INSTALLING, NULL, 13000, &d), -EACCES);
	CHECK_EQ_INT(lifecycle_report(&r, tok1, LIFECYCLE_NEW, NULL, 13000, &d), -EINVAL);
	CHECK_EQ_INT(lifecycle_report(&r, tok1, LIFECYCLE_BOOTING, NULL, 13000, &d), -EINVAL);
	CHECK_EQ_INT(lifecycle_report(&r, tok1, LIFECYCLE_INSTALLING, NULL, 20000, &d), 0);
	CHECK_EQ_INT(r.state, LIFECYCLE_INSTALLING);
	CHECK_EQ_INT(lifecycle_report(&r, tok1, LIFECYCLE_INSTALLING, NULL, 21000, &d), 1);
	CHECK_EQ_INT(r.since_ms, 20000);
	CHECK_EQ_INT(lifecycle_report(&r, tok1, LIFECYCLE_INSTALLED, NULL, 80000, &d), 0);
	CHECK_EQ_INT(d, 60000); /* from installing */
	CHECK_EQ_INT(r.state, LIFECYCLE_INSTALLED);
	CHECK_EQ_INT(r.installed_ms, 80000);
	CHECK_EQ_INT(r.installs, 1);
	CHECK_EQ_STR(r.token, "");
	/* Replayed: refused, nothing changes. */
	CHECK_EQ_INT(lifecycle_report(&r, tok1, LIFECYCLE_INSTALLED, NULL, 90000, &d), -EACCES);
	CHECK_EQ_INT(lifecycle_report(&r, tok1, LIFECYCLE_FAILED, NULL, 90000, &d), -EACCES);
	CHECK_EQ_INT(r.state, LIFECYCLE_INSTALLED);
	/* Netbooted again (after_install netboot): installed still, a new token. */
	CHECK(!lifecycle_on_boot(&r, tok2, 100000));
	CHECK_EQ_INT(r.state, LIFECYCLE_INSTALLED);
	CHECK_EQ_STR(r.token, tok2);
	lifecycle_reset(&r, 110000);
	CHECK_EQ_INT(r.state, LIFECYCLE_NEW);
	CHECK_EQ_STR(r.token, "");
	CHECK_EQ_INT(lifecycle_report(&r, tok2, LIFECYCLE_INSTALLED, NULL, 120000, &d), -EACCES);
}

static void
test_failed_installs(void)
{
	struct lifecycle_record r = {0};
	int64_t d;

	CHECK(!lifecycle_on_boot(&r, tok1, 1000));
	CHECK_EQ_INT(lifecycle_report(&r, tok1, LIFECYCLE_INSTALLING, NULL, 2000, &d), 0);
	CHECK(lifecycle_on_boot(&r, tok2, 3000)); /* again while installing: that one failed */
	CHECK(strstr(r.error, "netbooted again while installing") != NULL);
	CHECK_EQ_INT(r.state, LIFECYCLE_BOOTING);
	CHECK_EQ_INT(lifecycle_report(&r, tok1, LIFECYCLE_INSTALLED, NULL, 4000, &d), -EACCES);
	CHECK_EQ_INT(lifecycle_report(&r, tok2, LIFECYCLE_FAILED, "no disk", 5000, &d), 0);
	CHECK_EQ_INT(r.state, LIFECYCLE_FAILED);
	CHECK_EQ_STR(r.error, "no disk");
	CHECK_EQ_INT(lifecycle_report(&r, tok2, LIFECYCLE_INSTALLED, NULL, 6000, &d), -EACCES);
	CHECK(!lifecycle_on_boot(&r, tok1, 7000));
	CHECK_EQ_INT(lifecycle_report(&r, tok1, LIFECYCLE_FAILED, "", 8000, &d), 0);
	CHECK_EQ_STR(r.error, "the machine reported failed");
	/* Installed straight from booting: the install counted from the cloud-config. */
	CHECK(!lifecycle_on_boot(&r, tok2, 10000));
	CHECK(!lifecycle_on_config(&r, 12000, &d)); /* no DHCP seen: no boot duration */
	CHECK_EQ_INT(lifecycle_report(&r, tok2, LIFECYCLE_INSTALLED, NULL, 15000, &d), 0);
	CHECK_EQ_INT(d, 3000);
	CHECK_EQ_STR(r.error, "");
	/* A DHCP long ago does not count for the next boot. */
	lifecycle_on_dhcp(&r.dhcp_ms, 20000);
	lifecycle_on_dhcp(&r.dhcp_ms, 20000 + LIFECYCLE_BOOT_WINDOW_MS + 1);
	CHECK_EQ_INT(r.dhcp_ms, 20000 + LIFECYCLE_BOOT_WINDOW_MS + 1);
}

static const struct cloud_config_step steps[] = {
    {"before-install", "netbootd reports installing", {"sh -c 'echo a'", NULL}},
    {"after-install", "netbootd reports installed", {"sh -c 'echo b'", "x: y", NULL}},
};

static int
add(const char *in, char **out, char **err)
{
	size_t len;

	*out = NULL, *err = NULL;
	return cloud_config_add_steps(in, strlen(in), steps, 2, 1 << 20, out, &len, err);
}

static void
test_stages(void)
{
	char *out, *err;

	CHECK_EQ_INT(add("#cloud-config\n# only a comment\n", &out, &err), 0);
	CHECK_EQ_STR(out,
	    "#cloud-config\n# only a comment\nstages:\n  before-install:\n  - name: netbootd reports "
	    "installing\n    commands:\n    - sh -c 'echo a'\n  after-install:\n  - "
	    "name: netbootd reports installed\n    commands:\n    - sh -c 'echo b'\n"
	    "    - 'x: y'\n");
	free(out);
	CHECK_EQ_INT(add("#cloud-config\nhostname: \"a\"\nstages:\n  after-install:\n  - name: "
	                 "mine\n    commands: [echo 1]\n  boot: []\nk: &x {a: 1}\nj: *x\n",
	                 &out, &err),
	    0);
	CHECK(strncmp(out,
	          "#cloud-config\nhostname: \"a\"\nstages:\n  after-install:\n  - name: "
	          "mine\n    commands: [echo 1]\n  - name: netbootd reports installed\n",
	          101) == 0);
	CHECK(strstr(out, "  boot: []\n  before-install:\n") != NULL);
	CHECK(strstr(out, "k: &id001 {a: 1}\nj: *id001\n") != NULL);
	free(out);
	CHECK_EQ_INT(add("stages:\nx: 1\n", &out, &err), 0); /* a null stages */
	CHECK(strstr(out, "stages:\n  before-install:") != NULL);
	free(out);
	CHECK_EQ_INT(add("stages:\n  before-install: ~\n", &out, &err), 0);
	free(out);
	CHECK_EQ_INT(add("- a list\n", &out, &err), -EBADMSG);
	CHECK_EQ_STR(err, "line 1: the cloud-config is not a mapping");
	free(err);
	CHECK_EQ_INT(add("a: 1\nstages: 3\n", &out, &err), -EBADMSG);
	CHECK_EQ_STR(err, "line 2: \"stages\" is not a mapping");
	free(err);
	CHECK_EQ_INT(add("stages:\n  after-install: {a: 1}\n", &out, &err), -EBADMSG);
	CHECK_EQ_STR(err, "stages.after-install is not a list");
	free(err);
	CHECK_EQ_INT(add("a: 1\n---\nb: 2\n", &out, &err), -EBADMSG);
	CHECK_EQ_STR(err, "more than one YAML document");
	free(err);
	CHECK_EQ_INT(add("a: [\n", &out, &err), -EBADMSG);
	CHECK(err != NULL && strncmp(err, "line 2: ", 8) == 0);
	free(err);
	CHECK_EQ_INT(add("a: *nope\n", &out, &err), -EBADMSG);
	free(err);
	{
		size_t len;

		CHECK_EQ_INT(
		    cloud_config_add_steps("a: 1\n", 5, steps, 2, 40, &out, &len, &err), -E2BIG);
	}
}

TEST_MAIN(TEST(test_names), TEST(test_install), TEST(test_failed_installs), TEST(test_stages))
