/*
 * What each path of the URL space (lib/http-path.h) answers: loaders, image
 * files (by image name, or by digest for peers), and the iPXE scripts and cloud-configs of the boot decision
 * (lib/boot-policy.h).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/bufferevent.h>
#include <event2/http.h>

#include "boot-view.h"
#include "cloud-config-stages.h"
#include "cloud-config.h"
#include "http-internal.h"
#include "grub.h"
#include "iface.h"
#include "lifecycle-table.h"
#include "ipxe-script.h"
#include "loader.h"
#include "log.h"
#include "store.h"
#include "ui.h"
#include "util.h"

static void
http_route_boot(struct http_req *c, const struct http_route *rt)
{
	const struct config *cfg = c->s->srv->cfg;
	off_t size;
	int fd;

	if (!loader_known(c->s->srv, rt->name)) {
		http_reply_error(c, 404, "Not Found");
		return;
	}
	fd = loader_open(c->s->srv, rt->name, &size);
	if (fd < 0) {
		log_warn(NULL, "Cannot open the loader \"%s\" in \"%s\": %s, answering 404",
		    rt->name, cfg->ipxe.dir ? cfg->ipxe.dir : CONFIG_DEFAULT_IPXEDIR,
		    strerror(-fd));
		http_reply_error(c, 404, "Not Found");
		return;
	}
	http_reply_xfer_new(c, PROGRESS_LOADER, rt->name, NULL);
	http_reply_file(c, fd, CTYPE_BINARY);
}

static int
http_image_file(const char *file, enum manifest_file *ret_f, enum progress_kind *ret_kind)
{
	/* An EFI application or an ISO holds the kernel: its download is the kernel's event. */
	static const enum progress_kind kinds[MANIFEST_N_IDS] = {
	    [MANIFEST_KERNEL] = PROGRESS_KERNEL,
	    [MANIFEST_INITRD] = PROGRESS_INITRD,
	    [MANIFEST_ROOTFS] = PROGRESS_ROOTFS,
	    [MANIFEST_EFI] = PROGRESS_KERNEL,
	    [MANIFEST_ISO] = PROGRESS_KERNEL,
	};

	for (int f = 0; f < MANIFEST_N_IDS; f++)
		if (strcmp(file, manifest_file_names[f]) == 0) {
			*ret_f = (enum manifest_file)f;
			*ret_kind = kinds[f];
			return 0;
		}
	return -ENOENT;
}

/* Through the store: the fd stays valid if the image is removed or replaced meanwhile. */
static void
http_route_image(struct http_req *c, const struct http_route *rt)
{
	enum manifest_file f;
	enum progress_kind kind;
	off_t size;
	int fd;

	if (http_image_file(rt->file, &f, &kind) < 0) {
		http_reply_error(c, 404, "Not Found");
		return;
	}
	fd = store_image_open(c->s->srv->store, rt->name, f, &size);
	if (fd < 0) {
		if (fd != -ENOENT)
			log_debug(NULL, "Cannot open \"%s/%s\" of the images: %s", rt->name,
			    rt->file, strerror(-fd));
		http_reply_error(c, 404, "Not Found");
		return;
	}
	http_reply_xfer_new(c, kind, rt->name, rt->name);
	http_reply_file(c, fd,
	    f == MANIFEST_EFI   ? CTYPE_EFI
	    : f == MANIFEST_ISO ? CTYPE_EFI_ISO
	                        : CTYPE_BINARY);
}

/*
 * An image file by its digest, for the other instances of a cluster
 * (daemon/replicate.h): the same file path as /images/, so Range and
 * sendfile work alike.  No boot progress event: a peer is not a machine.
 */
static void
http_route_blob(struct http_req *c, const struct http_route *rt)
{
	off_t size;
	int fd = store_blob_open(c->s->srv->store, rt->sha256, &size);

	if (fd < 0) {
		if (fd != -ENOENT)
			log_debug(
			    NULL, "Cannot open the blob sha256:%s: %s", rt->sha256, strerror(-fd));
		http_reply_error(c, 404, "Not Found");
		return;
	}
	http_reply_file(c, fd, CTYPE_BINARY);
}

/* Our address on the request's connection, 0.0.0.0 if unknown (asked once per request). */
static struct in_addr
http_local_addr(struct http_req *c)
{
	struct evhttp_connection *evcon = c->req ? evhttp_request_get_connection(c->req) : NULL;
	struct sockaddr_in sin = {0};
	socklen_t sl = sizeof(sin);
	int fd = c->fast ? http_fast_fd(c->fast)
	         : evcon ? bufferevent_getfd(evhttp_connection_get_bufferevent(evcon))
	                 : -1;

	if (c->has_local)
		return c->local;
	c->local.s_addr = htonl(INADDR_ANY);
	if (fd >= 0 && getsockname(fd, (struct sockaddr *)&sin, &sl) == 0 &&
	    sin.sin_family == AF_INET)
		c->local = sin.sin_addr;
	c->has_local = true;
	return c->local;
}

static int
http_server_url(struct http_req *c, char *buf, size_t len, char a[static INET_ADDRSTRLEN])
{
	struct in_addr addr;
	int r;

	r = iface_advertise(c->s->srv->cfg, 0, http_local_addr(c), &addr);
	if (r < 0)
		return r;
	inet_ntop(AF_INET, &addr, a, INET_ADDRSTRLEN);
	snprintf(buf, len, "http://%s:%u", a, c->s->srv->cfg->http.port);
	return 0;
}

/* What HTTP knows of the client: its MAC, what the URL says, its address, our interface. */
static void
http_client(struct http_req *c, const struct http_route *rt, struct boot_client *ret)
{
	*ret =
	    (struct boot_client){.firmware = BOOT_FIRMWARE_IPXE, .has_mac = true, .addr = c->addr};
	memcpy(ret->mac, rt->mac, MAC_LEN);
	if (boot_arch_from_name(rt->arch, &ret->platform) < 0)
		ret->platform = boot_arch_from_ipxe(rt->platform, rt->buildarch);
	ret->has_uuid = fleet_uuid_parse(rt->uuid, ret->uuid) == 0;
	if (iface_name_of(http_local_addr(c), ret->ifname) < 0)
		ret->ifname[0] = '\0';
}

/* Ask the boot decision about the client of this request. */
static int
http_decide(struct http_req *c, const struct boot_client *client, enum boot_service service,
    struct boot_plan *ret)
{
	struct boot_view view;

	boot_view_init(c->s->srv, &view);
	return boot_decide(&view, client, service, ret);
}

static void
http_warn_noimage(const struct http_req *c, const uint8_t mac[MAC_LEN], const char *missing)
{
	char fields[256], m[MAC_STRLEN], what[128];
	int prio;

	mac_format(mac, ':', m);
	snprintf(fields, sizeof(fields), "NETBOOT_MAC=%s\nCLIENT=%s\nNETBOOT_IMAGE=%s", m,
	    c->client, missing ? missing : "");
	snprintf(what, sizeof(what), "noimage %s %s", m, missing ? missing : "");
	prio = http_summary_once(c->s, c->addr, what) ? LOG_WARNING : LOG_DEBUG;
	if (missing != NULL)
		log_msg(prio, fields,
		    "No image to boot for %s: its image \"%s\" does not exist, serving a "
		    "script that waits",
		    m, missing);
	else
		log_msg(prio, fields,
		    "No image to boot for %s: set default.image or keep exactly one image in "
		    "\"%s/images\", serving a script that waits",
		    m, c->s->srv->cfg->state_dir);
}

static void
http_refuse(struct http_req *c, const uint8_t mac[MAC_LEN], enum boot_reason why)
{
	char fields[128], m[MAC_STRLEN], what[64];
	int prio;

	mac_format(mac, ':', m);
	snprintf(fields, sizeof(fields), "NETBOOT_MAC=%s\nCLIENT=%s\nNETBOOT_EVENT=refused", m,
	    c->client);
	snprintf(what, sizeof(what), "refused %s %d", m, (int)why);
	prio = http_summary_once(c->s, c->addr, what) ? LOG_INFO : LOG_DEBUG;
	if (why == BOOT_REASON_DEFAULT_BOOT_OFF)
		log_msg(prio, fields,
		    "Not serving a script to unknown machine %s: default boot disabled", m);
	else
		log_msg(prio, fields, "Not serving a script to %s: %s", m, boot_reason_name(why));
	http_reply_error(c, 404, "Not Found");
}

/* Its profile asks for netconsole, but there is no syslog receiver to send to. */
static void
http_warn_netconsole(struct http_req *c, const uint8_t mac[MAC_LEN])
{
	char fields[128], m[MAC_STRLEN], what[64];

	mac_format(mac, ':', m);
	snprintf(fields, sizeof(fields), "NETBOOT_MAC=%s\nCLIENT=%s", m, c->client);
	snprintf(what, sizeof(what), "netconsole %s", m);
	log_msg(http_summary_once(c->s, c->addr, what) ? LOG_INFO : LOG_DEBUG, fields,
	    "Not adding netconsole= to the command line of %s: syslog is not enabled in "
	    "netbootd.yaml",
	    m);
}

/* Render the script of the plan: its image, one that waits, or one that exits. */
static int
http_render_script(
    struct http_req *c, const struct boot_client *client, const struct boot_plan *p, char **ret)
{
	char server[64], query[BOOT_VIEW_QUERY_MAX], addr[INET_ADDRSTRLEN];
	const struct config *cfg = c->s->srv->cfg;
	struct ipxe_vars v = {.server = server,
	    .syslog_addr = cfg->syslog.enabled ? addr : NULL,
	    .syslog_port = cfg->syslog.enabled ? cfg->syslog.port : 0,
	    .image = p->action == BOOT_NETBOOT ? p->image : NULL,
	    .missing = p->reason == BOOT_REASON_IMAGE_MISSING ? p->missing : NULL,
	    .query = query,
	    .local = p->action == BOOT_LOCAL,
	    .efi = p->action == BOOT_NETBOOT && p->efi_image[0] != '\0',
	    .iso = p->action == BOOT_NETBOOT && p->efi_image[0] != '\0' && p->efi_iso};
	char urls[MANIFEST_N_FILES][BOOT_VIEW_URL_MAX];
	int r;

	memcpy(v.mac, c->mac, MAC_LEN);
	boot_view_query(client, query, sizeof(query));
	boot_view_file_urls(c->s->srv, v.image, urls, v.file_url);
	r = http_server_url(c, server, sizeof(server), addr);
	if (r >= 0)
		r = ipxe_script_render(p->cmdline, &v, ret);
	return r;
}

static void
http_route_ipxe(struct http_req *c, const struct http_route *rt)
{
	_cleanup_free_ char *script = NULL;
	struct progress_event ev;
	_cleanup_(boot_plan_done) struct boot_plan plan = {.cmdline = NULL};
	struct boot_client client;
	const char *image;
	int r;

	if (c->s->srv->progress != NULL && c->addr.s_addr != htonl(INADDR_ANY))
		progress_learn(c->s->srv->progress, c->addr, rt->mac);
	http_client(c, rt, &client);
	r = http_decide(c, &client, BOOT_SERVICE_SCRIPT, &plan);
	if (r >= 0 && plan.action == BOOT_IGNORE) {
		http_refuse(c, rt->mac, plan.reason);
		return;
	}
	if (r >= 0 && plan.action == BOOT_WAIT)
		http_warn_noimage(
		    c, rt->mac, plan.reason == BOOT_REASON_IMAGE_MISSING ? plan.missing : NULL);
	if (r >= 0)
		r = http_render_script(c, &client, &plan, &script);
	if (r < 0) {
		log_err(NULL, "Cannot generate the iPXE script for %s: %s", c->path,
		    r == -EINVAL ? "bad kernel command line or image name" : strerror(-r));
		http_reply_error(c, 500, "Internal Server Error");
		return;
	}
	http_reply_text(c, 200, "OK", CTYPE_TEXT, script, strlen(script));
	if (plan.action == BOOT_NETBOOT && plan.netconsole == BOOT_NETCONSOLE_NO_SYSLOG)
		http_warn_netconsole(c, rt->mac);
	if (plan.action == BOOT_NETBOOT && plan.report && !c->head)
		lifecycle_booted(c->s->srv->lifecycle, rt->mac, plan.group);
	if (c->head)
		return; /* a HEAD is not a boot step: no event */
	image = plan.action == BOOT_NETBOOT ? plan.image : NULL;
	http_reply_event_init(c, PROGRESS_SCRIPT,
	    image != NULL               ? image
	    : plan.action == BOOT_LOCAL ? "local"
	                                : "none",
	    &ev);
	ev.bytes = ev.total = strlen(script);
	ev.complete = true; /* sent whole, as the cloud-config */
	http_reply_progress(c->s, &ev, image);
}

/* The built-in cloud-config, when none is configured anywhere. */
static const char http_config_none[] =
    "#cloud-config\n"
    "# netbootd: no cloud-config is configured (default.cloud_config)\n";

/* Read the YAML default.cloud_config file (at most CLOUD_CONFIG_MAX bytes). */
static int
http_read_config_file(const char *file, char **ret, size_t *ret_len)
{
	_cleanup_close_ int fd = open(file, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	_cleanup_free_ char *buf = NULL;
	size_t len = 0;
	ssize_t n;

	if (fd < 0)
		return -errno;
	if ((buf = malloc(CLOUD_CONFIG_MAX + 1)) == NULL)
		return -ENOMEM;
	while (
	    len <= CLOUD_CONFIG_MAX && (n = read(fd, buf + len, CLOUD_CONFIG_MAX + 1 - len)) != 0) {
		if (n < 0 && errno != EINTR)
			return -errno;
		if (n > 0)
			len += (size_t)n;
	}
	if (len > CLOUD_CONFIG_MAX)
		return -EFBIG;
	*ret = TAKE_PTR(buf);
	*ret_len = len;
	return 0;
}

/* The cloud-config the plan names ("default" for the file and the built-in one). */
static int
http_config_template(struct http_req *c, const struct boot_plan *p, char **ret, size_t *ret_len,
    const char **ret_name)
{
	*ret_name = "default";
	switch (p->config_source) {
	case BOOT_CONFIG_STORED:
		*ret_name = p->config;
		return store_config_get(c->s->srv->store, p->config, ret, ret_len);
	case BOOT_CONFIG_FILE:
		return http_read_config_file(c->s->srv->cfg->def.cloud_config, ret, ret_len);
	default:
		if ((*ret = strdup(http_config_none)) == NULL)
			return -ENOMEM;
		*ret_len = sizeof(http_config_none) - 1;
		return 0;
	}
}

#define HTTP_REPORT_CMD_MAX 512

/*
 * The command that reports 'state' (self-contained: sh with curl or wget).
 * Not wget -T, nor an empty --post-data=: busybox 1.35's wget crashes on them.
 */
static void
report_command(char *buf, size_t size, const char *server, const char *mac, const char *token,
    const char *state)
{
	snprintf(buf, size,
	    "sh -c 'u=%s/report/%s/%s/%s; curl -fsS -m 10 -d report -o /dev/null \"$u\" || "
	    "wget -q -O /dev/null --post-data=report \"$u\"'",
	    server, mac, token, state);
}

/* The command that forwards the installer's journal to netbootd's syslog receiver. */
static void
journal_command(char *buf, size_t size, const char *addr, unsigned port)
{
	snprintf(buf, size,
	    "sh -c 'command -v journalctl >/dev/null && command -v logger >/dev/null || exit 0; "
	    "(journalctl -f -n 200 -o short | logger -d -n %s -P %u -t kairos-install) "
	    ">/dev/null 2>&1 &'",
	    addr, port);
}

/*
 * cloud_config_add_steps() parses the cloud-config and writes it again
 * (libyaml): most of a cloud-config request's time.  Its answer depends on
 * its arguments only, and a machine asks again with the same (a retry, the
 * installer and the booted system): the last CONFIG_MEMO_SLOTS answers are
 * kept, keyed by all the arguments, byte for byte.  Loop thread only.
 */
#define CONFIG_MEMO_SLOTS 16
#define CONFIG_MEMO_MAX   (16 * 1024) /* larger cloud-configs are not kept */

static struct {
	char *key, *out;
	size_t key_len, out_len;
} config_memo[CONFIG_MEMO_SLOTS];
static unsigned config_memo_next;

/* The arguments as one string of NUL-separated fields; NULL when too long. */
static char *
config_memo_key(const char *in, size_t len, const struct cloud_config_step *steps, size_t n,
    size_t max, size_t *ret_len)
{
	size_t cap = len + 32, at = 0;
	char *k;

	for (size_t i = 0; i < n; i++) {
		cap += strlen(steps[i].stage) + strlen(steps[i].name) + 3;
		for (size_t j = 0; j < CLOUD_CONFIG_STEP_COMMANDS && steps[i].commands[j]; j++)
			cap += strlen(steps[i].commands[j]) + 1;
	}
	if (cap > CONFIG_MEMO_MAX || (k = malloc(cap)) == NULL)
		return NULL;
	at = (size_t)snprintf(k, cap, "%zu", max) + 1;
	memcpy(k + at, in, len), at += len, k[at++] = '\0';
	for (size_t i = 0; i < n; i++) {
		at +=
		    (size_t)snprintf(k + at, cap - at, "%s%c%s", steps[i].stage, 0, steps[i].name) +
		    1;
		for (size_t j = 0; j < CLOUD_CONFIG_STEP_COMMANDS && steps[i].commands[j]; j++)
			at += (size_t)snprintf(k + at, cap - at, "%s", steps[i].commands[j]) + 1;
		k[at++] = '\n'; /* end of a step */
	}
	*ret_len = at;
	return k;
}

static int
config_add_steps(const char *in, size_t len, const struct cloud_config_step *steps, size_t n,
    size_t max, char **ret, size_t *ret_len, char **ret_error)
{
	size_t klen = 0;
	char *key = config_memo_key(in, len, steps, n, max, &klen), *out;
	unsigned slot;
	int r;

	for (size_t i = 0; key != NULL && i < CONFIG_MEMO_SLOTS; i++)
		if (config_memo[i].key_len == klen && memcmp(config_memo[i].key, key, klen) == 0) {
			free(key);
			if ((*ret = malloc(config_memo[i].out_len + 1)) == NULL)
				return -ENOMEM;
			memcpy(*ret, config_memo[i].out, config_memo[i].out_len + 1);
			*ret_len = config_memo[i].out_len;
			return 0;
		}
	r = cloud_config_add_steps(in, len, steps, n, max, ret, ret_len, ret_error);
	if (r < 0 || key == NULL || (out = malloc(*ret_len + 1)) == NULL) {
		free(key);
		return r;
	}
	memcpy(out, *ret, *ret_len + 1);
	slot = config_memo_next++ % CONFIG_MEMO_SLOTS;
	free(config_memo[slot].key);
	free(config_memo[slot].out);
	config_memo[slot].key = key, config_memo[slot].key_len = klen;
	config_memo[slot].out = out, config_memo[slot].out_len = *ret_len;
	return 0;
}

/*
 * The steps that make the machine report back (and forward its journal
 * while syslog is on), added to the cloud-config in *out.  When they cannot
 * be added, the cloud-config goes out as it is and the log says why.
 */
static void
http_config_report(struct http_req *c, const uint8_t mac[MAC_LEN], const struct boot_plan *plan,
    const char *name, char **out, size_t *olen)
{
	char server[64], addr[INET_ADDRSTRLEN], m[MAC_STRLEN], token[LIFECYCLE_TOKEN_LEN + 1];
	char cmds[3][HTTP_REPORT_CMD_MAX];
	const struct config *cfg = c->s->srv->cfg;
	_cleanup_free_ char *why = NULL;
	char *res = NULL;
	size_t len = 0;
	int r;

	mac_format(mac, '-', m);
	r = http_server_url(c, server, sizeof(server), addr);
	if (r >= 0)
		r = lifecycle_config(c->s->srv->lifecycle, mac, plan->group, token);
	if (r >= 0) {
		struct cloud_config_step steps[] = {
		    {"before-install", "netbootd reports installing", {cmds[0], NULL}},
		    {"after-install", "netbootd reports installed", {cmds[1], NULL}},
		};

		report_command(cmds[0], sizeof(cmds[0]), server, m, token, "installing");
		report_command(cmds[1], sizeof(cmds[1]), server, m, token, "installed");
		if (cfg->syslog.enabled) {
			journal_command(cmds[2], sizeof(cmds[2]), addr, cfg->syslog.port);
			steps[0].commands[0] = cmds[2], steps[0].commands[1] = cmds[0];
		}
		r = config_add_steps(*out, *olen, steps, ELEMENTSOF(steps), CLOUD_CONFIG_RENDER_MAX,
		    &res, &len, &why);
	}
	if (r < 0) {
		log_warn(NULL,
		    "Cannot add the lifecycle report to the cloud-config \"%s\" for %s: %s; it is "
		    "served as it is and the machine will not report back",
		    name, c->client, why != NULL ? why : strerror(-r));
		return;
	}
	free(*out);
	*out = res, *olen = len;
}

static void
http_route_config(struct http_req *c, const struct http_route *rt)
{
	_cleanup_free_ char *tmpl = NULL, *out = NULL;
	struct cloud_config_vars vars = {.image = NULL};
	_cleanup_(boot_plan_done) struct boot_plan plan = {.cmdline = NULL};
	struct progress_event ev;
	struct boot_client client;
	const char *name = "default";
	size_t tlen = 0, olen = 0;
	int r;

	http_client(c, rt, &client);
	r = http_decide(c, &client, BOOT_SERVICE_CONFIG, &plan);
	if (r >= 0)
		r = http_config_template(c, &plan, &tmpl, &tlen, &name);
	if (r < 0) {
		const char *file = c->s->srv->cfg->def.cloud_config;

		log_warn(NULL, "Cannot read the cloud-config \"%s\" for %s: %s, answering 404",
		    strcmp(name, "default") != 0 || file == NULL ? name : file, c->client,
		    strerror(-r));
		http_reply_error(c, 404, "Not Found");
		return;
	}
	memcpy(vars.mac, rt->mac, MAC_LEN);
	vars.image = plan.image[0] != '\0' ? plan.image : NULL;
	vars.group = plan.group, vars.profile = plan.profile, vars.labels = plan.labels;
	r = cloud_config_render(tmpl, tlen, &vars, CLOUD_CONFIG_RENDER_MAX, &out, &olen);
	if (r < 0) {
		log_err(NULL, "Cannot render the cloud-config \"%s\": %s", name, strerror(-r));
		http_reply_error(c, 500, "Internal Server Error");
		return;
	}
	if (plan.report && !c->head)
		http_config_report(c, rt->mac, &plan, name, &out, &olen);
	http_reply_text(c, 200, "OK", CTYPE_TEXT, out, olen);
	if (c->head)
		return;
	http_reply_event_init(c, PROGRESS_CONFIG, name, &ev);
	ev.bytes = ev.total = olen;
	ev.complete = true;
	http_reply_progress(c->s, &ev, vars.image);
}

/* A failed report's body: why, printable ASCII only, "" when none. */
static void
report_reason(struct http_req *c, char *buf, size_t size)
{
	struct evbuffer *in = evhttp_request_get_input_buffer(c->req);
	size_t n = 0, len = in != NULL ? evbuffer_get_length(in) : 0;
	unsigned char *p = len > 0 ? evbuffer_pullup(in, (ev_ssize_t)len) : NULL;

	for (size_t i = 0; p != NULL && i < len && n + 1 < size; i++)
		if (p[i] >= ' ' && p[i] < 0x7f)
			buf[n++] = (char)p[i];
		else if (p[i] == '\n' || p[i] == '\t')
			buf[n++] = ' ';
	while (n > 0 && buf[n - 1] == ' ')
		n--;
	buf[n] = '\0';
}

/* POST /report/<mac>/<token>/<state>: 204 when accepted, 403 when not. */
static void
http_route_report(struct http_req *c, const struct http_route *rt)
{
	char m[MAC_STRLEN], fields[128], why[LIFECYCLE_ERROR_MAX] = "";
	enum lifecycle_state to;
	int r;

	mac_format(rt->mac, ':', m);
	if (lifecycle_state_parse(rt->state, &to) < 0) {
		http_reply_error(c, 404, "Not Found");
		return;
	}
	if (to == LIFECYCLE_FAILED)
		report_reason(c, why, sizeof(why));
	r = lifecycle_reported(c->s->srv->lifecycle, rt->mac, rt->token, to, why);
	if (r >= 0) {
		http_reply_send(c, 204, "No Content", NULL, 0);
		return;
	}
	snprintf(fields, sizeof(fields), "NETBOOT_MAC=%s\nCLIENT=%s\nNETBOOT_EVENT=report-refused",
	    m, c->client);
	log_warn(fields, "Refused a report \"%s\" for %s from %s: %s", rt->state, m, c->client,
	    r == -EACCES  ? "not the token of its current boot (forged, or replayed after a new "
	                    "boot, a reinstall or its last report)"
	    : r == -EPERM ? "not what its state allows"
	                  : strerror(-r));
	http_reply_error(c, 403, "Forbidden");
}

/* A file of loaders.dir (daemon/loader.h); netbootd's GRUB patched with this address. */
static void
http_route_loader(struct http_req *c, const struct http_route *rt)
{
	char url[64], addr[INET_ADDRSTRLEN], server[INET_ADDRSTRLEN + 8];
	off_t size;
	int fd = -ENOENT;

	if (http_server_url(c, url, sizeof(url), addr) == 0) {
		snprintf(server, sizeof(server), "%s:%u", addr, c->s->srv->cfg->http.port);
		fd = loader_open_dir(c->s->srv, rt->path, server, true, &size);
	}
	if (fd < 0) {
		if (fd != -ENOENT)
			log_warn(NULL,
			    "Cannot open the loader \"%s\" in loaders.dir: %s, answering 404",
			    rt->path, strerror(-fd));
		http_reply_error(c, 404, "Not Found");
		return;
	}
	http_reply_xfer_new(c, PROGRESS_LOADER, rt->path, NULL);
	http_reply_file(c, fd, CTYPE_BINARY);
}

/* GRUB's configurations (daemon/grub.h). */
static void
http_route_grub(struct http_req *c, const struct http_route *rt)
{
	_cleanup_free_ char *text = NULL;
	struct grub_request rq = {.path = rt->path,
	    .client = c->addr,
	    .local = http_local_addr(c),
	    .http = true,
	    .head = c->head,
	    .peer = c->client};
	size_t len;
	int r = grub_serve(c->s->srv, &rq, &text, &len);

	if (r == -ENOENT)
		http_reply_error(c, 404, "Not Found");
	else if (r < 0)
		http_reply_error(c, 500, "Internal Server Error");
	else
		http_reply_text(c, 200, "OK", CTYPE_TEXT, text, len);
}

void
http_route_dispatch(struct http_req *c, const struct http_route *rt)
{
	switch (rt->kind) {
	case HTTP_ROUTE_HEALTHZ:
		http_reply_text(c, 200, "OK", CTYPE_TEXT, "ok\n", 3);
		break;
	case HTTP_ROUTE_BOOT:
		http_route_boot(c, rt);
		break;
	case HTTP_ROUTE_IPXE:
		c->mac = rt->mac;
		http_route_ipxe(c, rt);
		break;
	case HTTP_ROUTE_IMAGE:
		http_route_image(c, rt);
		break;
	case HTTP_ROUTE_CONFIG:
		c->mac = rt->mac;
		http_route_config(c, rt);
		break;
	case HTTP_ROUTE_BLOB:
		http_route_blob(c, rt);
		break;
	case HTTP_ROUTE_REPORT:
		c->mac = rt->mac;
		http_route_report(c, rt);
		break;
	case HTTP_ROUTE_LOADER:
		http_route_loader(c, rt);
		break;
	case HTTP_ROUTE_GRUB:
		http_route_grub(c, rt);
		break;
	case HTTP_ROUTE_UI_REDIRECT:
	case HTTP_ROUTE_UI_FILE:
	case HTTP_ROUTE_UI_STATE:
	case HTTP_ROUTE_UI_EVENTS:
		ui_route(c, rt);
		break;
	}
}

/* A handler's path, with or without a query string. */