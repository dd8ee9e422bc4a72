#include "lifecycle.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "util.h"

static const char *const state_names[_LIFECYCLE_MAX] = {
    [LIFECYCLE_NEW] = "new",
    [LIFECYCLE_BOOTING] = "booting",
    [LIFECYCLE_INSTALLING] = "installing",
    [LIFECYCLE_INSTALLED] = "installed",
    [LIFECYCLE_FAILED] = "failed",
};

const char *
lifecycle_state_name(enum lifecycle_state s)
{
	return (unsigned)s < _LIFECYCLE_MAX ? state_names[s] : "unknown";
}

int
lifecycle_state_parse(const char *s, enum lifecycle_state *ret)
{
	for (int i = 0; s != NULL && i < _LIFECYCLE_MAX; i++)
		if (strcmp(s, state_names[i]) == 0) {
			*ret = (enum lifecycle_state)i;
			return 0;
		}
	return -EINVAL;
}

bool
lifecycle_token_valid(const char *s)
{
	size_t i = 0;

	for (; s != NULL && i < LIFECYCLE_TOKEN_LEN; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return s != NULL && s[i] == '\0';
}

static void
enter(struct lifecycle_record *r, enum lifecycle_state s, int64_t now_ms)
{
	r->state = s;
	r->since_ms = now_ms;
}

void
lifecycle_on_dhcp(int64_t *dhcp_ms, int64_t now_ms)
{
	if (*dhcp_ms == 0 || now_ms - *dhcp_ms > LIFECYCLE_BOOT_WINDOW_MS || now_ms < *dhcp_ms)
		*dhcp_ms = now_ms;
}

bool
lifecycle_on_boot(struct lifecycle_record *r, const char *token, int64_t now_ms)
{
	bool failed = r->state == LIFECYCLE_INSTALLING;

	if (failed)
		snprintf(r->error, sizeof(r->error),
		    "netbooted again while installing, without reporting installed");
	snprintf(r->token, sizeof(r->token), "%s", token);
	r->install_ms = 0;
	r->boots++;
	if (r->state != LIFECYCLE_INSTALLED) /* after_install netboot: installed, live again */
		enter(r, LIFECYCLE_BOOTING, now_ms);
	return failed;
}

bool
lifecycle_on_config(struct lifecycle_record *r, int64_t now_ms, int64_t *ret_ms)
{
	bool known = r->dhcp_ms != 0 && now_ms >= r->dhcp_ms;

	if (known)
		*ret_ms = now_ms - r->dhcp_ms;
	r->dhcp_ms = 0;
	if (r->state == LIFECYCLE_BOOTING && r->install_ms == 0)
		r->install_ms = now_ms;
	return known;
}

/* Compare without stopping at the first difference. */
static bool
token_equal(const char *a, const char *b)
{
	unsigned diff = 0;

	if (!lifecycle_token_valid(a) || !lifecycle_token_valid(b))
		return false;
	for (size_t i = 0; i < LIFECYCLE_TOKEN_LEN; i++)
		diff |= (unsigned char)(a[i] ^ b[i]);
	return diff == 0;
}

int
lifecycle_report(struct lifecycle_record *r, const char *token, enum lifecycle_state to,
    const char *error, int64_t now_ms, int64_t *ret_install_ms)
{
	if (to != LIFECYCLE_INSTALLING && to != LIFECYCLE_INSTALLED && to != LIFECYCLE_FAILED)
		return -EINVAL;
	if (r->token[0] == '\0' || !token_equal(r->token, token))
		return -EACCES;
	if (r->state != LIFECYCLE_BOOTING && r->state != LIFECYCLE_INSTALLING &&
	    r->state != LIFECYCLE_INSTALLED)
		return -EPERM;
	if (to == LIFECYCLE_INSTALLING) {
		if (r->state == LIFECYCLE_INSTALLING)
			return 1;
		r->install_ms = now_ms;
	}
	*ret_install_ms =
	    r->install_ms != 0 && now_ms >= r->install_ms ? now_ms - r->install_ms : -1;
	enter(r, to, now_ms);
	if (to == LIFECYCLE_INSTALLING)
		return 0;
	r->token[0] = '\0';
	if (to == LIFECYCLE_INSTALLED) {
		r->installed_ms = now_ms;
		r->installs++;
		r->error[0] = '\0';
	} else
		snprintf(r->error, sizeof(r->error), "%s",
		    error != NULL && error[0] != '\0' ? error : "the machine reported failed");
	return 0;
}

void
lifecycle_reset(struct lifecycle_record *r, int64_t now_ms)
{
	*r = (struct lifecycle_record){.since_ms = now_ms};
}
