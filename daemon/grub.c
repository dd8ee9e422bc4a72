#include "grub.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "boot-view.h"
#include "grub-cfg.h"
#include "iface.h"
#include "lifecycle-table.h"
#include "log.h"
#include "progress.h"
#include "server.h"
#include "util.h"

bool
grub_path(const char *path)
{
	while (*path == '/')
		path++;
	return strcmp(path, "grub/grub.cfg") == 0 || strncmp(path, "grub/netbootd/", 14) == 0;
}

static void
refused(const struct grub_request *rq, const char *mac, const struct boot_plan *p)
{
	char fields[128];

	snprintf(fields, sizeof(fields), "NETBOOT_MAC=%s\nCLIENT=%s\nNETBOOT_EVENT=refused", mac,
	    rq->peer);
	log_info(
	    fields, "Not serving a GRUB configuration to %s: %s", mac, boot_reason_name(p->reason));
}

static void
waits(const struct grub_request *rq, const char *mac, const struct boot_plan *p)
{
	char fields[256];
	bool missing = p->reason == BOOT_REASON_IMAGE_MISSING;

	snprintf(fields, sizeof(fields), "NETBOOT_MAC=%s\nCLIENT=%s\nNETBOOT_IMAGE=%s", mac,
	    rq->peer, missing ? p->missing : "");
	log_warn(fields, "No image to boot for %s%s%s%s, serving a GRUB configuration that waits",
	    mac, missing ? ": its image \"" : "", missing ? p->missing : "",
	    missing ? "\" does not exist" : "");
}

/* The script event, as /ipxe/ records it: complete, with the configuration's size. */
static void
record(struct server *srv, const struct grub_request *rq, const uint8_t mac[MAC_LEN],
    const struct boot_plan *p, size_t size)
{
	const char *image = p->action == BOOT_NETBOOT ? p->image : NULL;
	struct progress_event ev = {.kind = PROGRESS_SCRIPT, .has_mac = true, .client = rq->client};
	char fields[256], m[MAC_STRLEN];

	memcpy(ev.mac, mac, MAC_LEN);
	snprintf(ev.detail, sizeof(ev.detail), "%s",
	    image != NULL             ? image
	    : p->action == BOOT_LOCAL ? "local"
	                              : "none");
	ev.complete = true;
	ev.bytes = ev.total = size;
	if (srv->progress != NULL)
		progress_record(srv->progress, &ev);
	mac_format(mac, ':', m);
	snprintf(fields, sizeof(fields),
	    "NETBOOT_MAC=%s\nNETBOOT_EVENT=script\nNETBOOT_IMAGE=%s\nCLIENT=%s", m,
	    image != NULL ? image : "", rq->peer);
	log_info(fields, "Boot progress of %s: GRUB configuration \"%s\" over %s", m, ev.detail,
	    rq->http ? "HTTP" : "TFTP");
}

/* Render the plan's configuration for the server the request came to. */
static int
render(struct server *srv, const struct grub_request *rq, const struct boot_client *client,
    const struct boot_plan *p, char **ret)
{
	const struct config *cfg = srv->cfg;
	char server[64], device[GRUB_DEVICE_MAX], query[BOOT_VIEW_QUERY_MAX], addr[INET_ADDRSTRLEN];
	char urls[MANIFEST_N_FILES][BOOT_VIEW_URL_MAX];
	struct in_addr a;
	struct grub_vars v = {
	    .ipxe = {.server = server,
	        .syslog_addr = cfg->syslog.enabled ? addr : NULL,
	        .syslog_port = cfg->syslog.enabled ? cfg->syslog.port : 0,
	        .image = p->action == BOOT_NETBOOT ? p->image : NULL,
	        .missing = p->reason == BOOT_REASON_IMAGE_MISSING ? p->missing : NULL,
	        .query = query,
	        .local = p->action == BOOT_LOCAL},
	    .device = device};
	int r;

	if ((r = iface_advertise(cfg, rq->ifindex, rq->local, &a)) < 0)
		return r;
	inet_ntop(AF_INET, &a, addr, sizeof(addr));
	snprintf(server, sizeof(server), "http://%s:%u", addr, cfg->http.port);
	if (rq->http)
		snprintf(device, sizeof(device), "(http,%s:%u)", addr, cfg->http.port);
	else
		snprintf(device, sizeof(device), "(tftp,%s)", addr);
	memcpy(v.ipxe.mac, client->mac, MAC_LEN);
	boot_view_query(client, query, sizeof(query));
	boot_view_file_urls(srv, v.ipxe.image, urls, v.ipxe.file_url);
	return grub_cfg_render(p->cmdline, &v, ret);
}

/* A machine's own configuration. */
static int
serve_machine(struct server *srv, const struct grub_request *rq, char **ret)
{
	_cleanup_(boot_plan_done) struct boot_plan plan = {.cmdline = NULL};
	struct boot_client client = {.has_mac = true, .addr = rq->client};
	struct boot_view view;
	char mac[MAC_STRLEN];
	int r;

	if (grub_cfg_path_parse(rq->path, &client.platform, client.mac) < 0)
		return -ENOENT;
	client.firmware =
	    client.platform == BOOT_ARCH_HTTP_X86_64 || client.platform == BOOT_ARCH_HTTP_ARM64
	        ? BOOT_FIRMWARE_HTTP
	        : BOOT_FIRMWARE_PXE;
	mac_format(client.mac, ':', mac);
	if (srv->progress != NULL && rq->client.s_addr != htonl(INADDR_ANY))
		progress_learn(srv->progress, rq->client, client.mac);
	if (iface_name_of(rq->local, client.ifname) < 0)
		client.ifname[0] = '\0';
	boot_view_init(srv, &view);
	if ((r = boot_decide(&view, &client, BOOT_SERVICE_SCRIPT, &plan)) < 0)
		return r;
	if (plan.action == BOOT_IGNORE) {
		refused(rq, mac, &plan);
		return -ENOENT;
	}
	if (plan.action == BOOT_WAIT)
		waits(rq, mac, &plan);
	if ((r = render(srv, rq, &client, &plan, ret)) < 0) {
		log_err(NULL, "Cannot generate the GRUB configuration of %s: %s", mac,
		    r == -EINVAL ? "bad kernel command line or image name" : strerror(-r));
		return r;
	}
	if (rq->head)
		return 0;
	if (plan.action == BOOT_NETBOOT && plan.report)
		lifecycle_booted(srv->lifecycle, client.mac, plan.group);
	record(srv, rq, client.mac, &plan, strlen(*ret));
	return 0;
}

int
grub_serve(struct server *srv, const struct grub_request *rq, char **ret, size_t *ret_len)
{
	const char *path = rq->path;
	char *s = NULL;
	int r;

	while (*path == '/')
		path++;
	if (strcmp(path, "grub/grub.cfg") == 0)
		r = (s = strdup(GRUB_CFG_DISPATCHER)) != NULL ? 0 : -ENOMEM;
	else
		r = serve_machine(srv, rq, &s);
	if (r < 0)
		return r;
	*ret = s;
	*ret_len = strlen(s);
	return 0;
}
