/*
 * A machine's lifecycle: what it told us about installing itself.  Pure
 * code: the record of one machine and how events and reports change it; the
 * daemon keeps the records, persists them and gives the tokens
 * (daemon/lifecycle.h).
 *
 *   new         no record (never booted from us, or put back by reinstall)
 *   booting     it was served a script that boots an image; a new token
 *               is made for this boot, and the reports must carry it
 *   installing  it reported "installing" (its installer started)
 *   installed   it reported "installed"; the token is spent
 *   failed      it reported "failed", or netbooted again while installing
 *
 * Reports: "installing" is accepted in booting (and again in installing,
 * unchanged); "installed" and "failed" in booting and installing.  After
 * installed or failed, and after a new boot or a reinstall, the old token
 * is refused: a report replayed later changes nothing.  An installed
 * machine that netboots again (its profile's after_install is netboot)
 * stays installed, with a new token: if it installs again, it may report.
 */
#ifndef NETBOOTD_LIFECYCLE_H
#define NETBOOTD_LIFECYCLE_H

#include <stdbool.h>
#include <stdint.h>

#define LIFECYCLE_TOKEN_LEN 32 /* lowercase hex digits */
#define LIFECYCLE_ERROR_MAX 128
/* A boot's first DHCP older than this starts a new boot (for the boot duration). */
#define LIFECYCLE_BOOT_WINDOW_MS (30 * 60 * 1000)

enum lifecycle_state {
	LIFECYCLE_NEW,
	LIFECYCLE_BOOTING,
	LIFECYCLE_INSTALLING,
	LIFECYCLE_INSTALLED,
	LIFECYCLE_FAILED,
	_LIFECYCLE_MAX,
};

struct lifecycle_record {
	enum lifecycle_state state;
	int64_t since_ms;                    /* when it entered the state (CLOCK_REALTIME ms) */
	int64_t installed_ms;                /* when it last reported installed, 0: never */
	char token[LIFECYCLE_TOKEN_LEN + 1]; /* this boot's, "" when none is valid */
	char error[LIFECYCLE_ERROR_MAX];     /* why it last failed, "" */
	uint32_t boots;                      /* boots served an image since the record began */
	uint32_t installs;                   /* installed reports accepted */
	char group[64 + 1];                  /* the group its last boot went through, "" */
	/* not persisted: for the durations */
	int64_t dhcp_ms;    /* first DHCP of the current boot, 0: none */
	int64_t install_ms; /* when the install began (installing, else config), 0 */
};

/* "new", "booting", ...; parse: -EINVAL. */
const char *lifecycle_state_name(enum lifecycle_state s);
int lifecycle_state_parse(const char *s, enum lifecycle_state *ret);
/* Whether 's' is 32 lowercase hex digits. */
bool lifecycle_token_valid(const char *s);

/*
 * A DHCP request of the machine: the first of a boot starts the boot
 * duration (*dhcp_ms, r->dhcp_ms or wherever the caller keeps it).
 */
void lifecycle_on_dhcp(int64_t *dhcp_ms, int64_t now_ms);
/*
 * It was served a script that boots an image: booting with 'token' (an
 * installed machine stays installed, with the new token).
 * true when this ends an install that never reported (it was installing:
 * r->error says so).
 */
bool lifecycle_on_boot(struct lifecycle_record *r, const char *token, int64_t now_ms);
/* Its cloud-config was fetched: the boot's duration in *ret_ms (false: not known). */
bool lifecycle_on_config(struct lifecycle_record *r, int64_t now_ms, int64_t *ret_ms);

/*
 * A report of state 'to' with 'token'.  0: accepted and changed; 1:
 * accepted, nothing to change (installing again); -EACCES: wrong or spent
 * token; -EINVAL: 'to' cannot be reported; -EPERM: not in a state where
 * 'to' may follow.  On "installed", *ret_install_ms is the install's
 * duration when known (else -1).
 */
int lifecycle_report(struct lifecycle_record *r, const char *token, enum lifecycle_state to,
    const char *error, int64_t now_ms, int64_t *ret_install_ms);
/* Put the machine back to new (reinstall): the token is spent. */
void lifecycle_reset(struct lifecycle_record *r, int64_t now_ms);

#endif
