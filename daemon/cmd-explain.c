/*
 * explain: the boot decision for a MAC as a person reads it.  The same
 * boot_explain() that serves the machine (lib/boot/boot-policy.h), with its
 * trace: the machine entry, every group and why it won or lost, and the
 * plan with its URLs and expanded command line.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "boot-view.h"
#include "cmd.h"
#include "iface.h"
#include "ipxe-script.h"
#include "lifecycle-table.h"
#include "manifest.h"
#include "pe-sign.h"
#include "store.h"
#include "util.h"

/* Option 93 of firmware of each platform, to ask which loader it gets. */
static const uint16_t option93[_BOOT_ARCH_MAX] = {
    [BOOT_ARCH_BIOS] = 0,
    [BOOT_ARCH_EFI_IA32] = 6,
    [BOOT_ARCH_EFI_X86_64] = 7,
    [BOOT_ARCH_EFI_ARM64] = 11,
    [BOOT_ARCH_HTTP_X86_64] = 16,
    [BOOT_ARCH_HTTP_ARM64] = 19,
};

/* The client the arguments describe; -EBADMSG (err filled) for bad values. */
static int
explain_client(const cJSON *args, struct boot_client *ret, struct control_status *err)
{
	const char *arch = control_json_string(args, "arch"),
	           *uuid = control_json_string(args, "uuid"),
	           *iface = control_json_string(args, "interface");
	struct boot_client c = {.firmware = BOOT_FIRMWARE_IPXE, .has_mac = true};

	if (mac_parse(control_json_string(args, "mac"), c.mac) < 0)
		return control_fail(err, CONTROL_ERR_BAD_ARGS, "Bad MAC address.");
	if (arch != NULL && boot_arch_from_name(arch, &c.platform) < 0)
		return control_fail(err, CONTROL_ERR_BAD_ARGS,
		    "arch must be bios, efi-ia32, efi-x86_64, efi-arm64, http-x86_64 or http-arm64.");
	if (uuid != NULL && fleet_uuid_parse(uuid, c.uuid) < 0)
		return control_fail(err, CONTROL_ERR_BAD_ARGS,
		    "uuid must look like "
		    "8c2f6b1e-0000-4a5b-9c1d-0123456789ab.");
	c.has_uuid = uuid != NULL;
	if (iface != NULL && inet_pton(AF_INET, iface, &c.relay) == 1)
		c.addr = c.relay; /* an address: as a relay or the client's, for subnet selectors */
	else if (iface != NULL && fleet_interface_check(iface) == 0 && strchr(iface, '/') == NULL)
		snprintf(c.ifname, sizeof(c.ifname), "%s", iface);
	else if (iface != NULL)
		return control_fail(err, CONTROL_ERR_BAD_ARGS,
		    "interface must be an interface name or an IPv4 address.");
	*ret = c;
	return 0;
}

static bool
add_str(cJSON *o, const char *key, const char *v)
{
	return cJSON_AddItemToObject(o, key, cmd_json_str_or_null(v));
}

/* {"name","profile","priority","specificity","verdict","selector"} per group. */
static cJSON *
groups_to_json(const struct boot_trace *t)
{
	cJSON *a = cJSON_CreateArray();

	for (size_t i = 0; a != NULL && i < t->n; i++) {
		const struct boot_candidate *k = &t->candidates[i];
		cJSON *o = cJSON_CreateObject();

		if (o == NULL || !cJSON_AddItemToArray(a, o) ||
		    !add_str(o, "name", k->group->name) ||
		    !add_str(o, "profile", k->group->profile) ||
		    !cJSON_AddNumberToObject(o, "priority", k->group->priority) ||
		    !cJSON_AddNumberToObject(
		        o, "specificity", fleet_match_specificity(&k->group->match)) ||
		    !add_str(o, "verdict", boot_verdict_name(k->verdict)) ||
		    !add_str(
		        o, "selector", k->verdict == BOOT_GROUP_NO_MATCH ? k->selector : NULL)) {
			cJSON_Delete(a);
			return NULL;
		}
	}
	return a;
}

static const char *
action_name(enum boot_action a)
{
	static const char *const names[_BOOT_ACTION_MAX] = {
	    [BOOT_IGNORE] = "ignore",
	    [BOOT_NETBOOT] = "netboot",
	    [BOOT_WAIT] = "wait",
	    [BOOT_LOCAL] = "local",
	};

	return names[a];
}

/* The URLs of the plan and its expanded command line, as the script says them. */
static bool
urls_to_json(struct server *srv, const struct boot_client *c, const struct boot_plan *p, cJSON *o)
{
	char server[64], query[BOOT_VIEW_QUERY_MAX], url[512], a[INET_ADDRSTRLEN] = "SERVER";
	struct in_addr addr;
	struct ipxe_vars v = {.server = server,
	    .image = p->image,
	    .query = query,
	    .syslog_addr = srv->cfg->syslog.enabled ? a : NULL,
	    .syslog_port = srv->cfg->syslog.enabled ? srv->cfg->syslog.port : 0};
	_cleanup_free_ char *cmdline = NULL;
	bool boots = p->action == BOOT_NETBOOT;
	char mac[MAC_STRLEN];

	if (iface_any_address(srv->cfg, &addr) == 0)
		inet_ntop(AF_INET, &addr, a, sizeof(a));
	snprintf(server, sizeof(server), "http://%s:%u", a, srv->cfg->http.port);
	boot_view_query(c, query, sizeof(query));
	memcpy(v.mac, c->mac, MAC_LEN);
	mac_format(c->mac, '-', mac);
	snprintf(url, sizeof(url), "%s/ipxe/%s%s", server, mac, query);
	if (!add_str(o, "script_url", url))
		return false;
	if (boots && p->efi_image[0] != '\0') { /* its script chains or sanboots it */
		snprintf(url, sizeof(url), "%s/images/%s/%s", server, p->image,
		    p->efi_iso ? "boot.iso" : "boot.efi");
		boots = false;
	}
	if (!add_str(o, "efi", boots || p->efi_image[0] == '\0' ? NULL : url))
		return false;
	if (boots && ipxe_cmdline_expand(p->cmdline, &v, &cmdline) < 0)
		cmdline = NULL;
	for (int f = 0; f < MANIFEST_N_FILES; f++) {
		snprintf(
		    url, sizeof(url), "%s/images/%s/%s", server, p->image, manifest_file_names[f]);
		if (!add_str(o, f == MANIFEST_ROOTFS ? "squashfs" : manifest_file_names[f],
		        boots ? url : NULL))
			return false;
	}
	return add_str(o, "cmdline", cmdline);
}

/* Who signed the image's kernel, for shim-grub: shim's GRUB refuses unsigned kernels. */
static const char *
kernel_signature(struct server *srv, const char *image, char *buf, size_t size)
{
	_cleanup_free_ char *error = NULL;
	struct pe_signature sig;
	off_t len;
	int fd, r;

	if (image == NULL || image[0] == '\0')
		return NULL;
	if ((fd = store_image_open(srv->store, image, MANIFEST_KERNEL, &len)) < 0)
		return NULL;
	r = pe_signature_read_fd(fd, &sig, &error);
	close(fd);
	if (r < 0)
		snprintf(buf, size, "cannot tell: %s", error != NULL ? error : strerror(-r));
	else if (!sig.is_pe)
		snprintf(buf, size, "not an EFI image: shim refuses it");
	else if (!sig.signed_)
		snprintf(buf, size, "unsigned: shim refuses it (\"bad shim signature\")");
	else
		snprintf(buf, size,
		    "signed by \"%s\" (issuer \"%s\"); Debian's shim trusts keys under \"Debian Secure "
		    "Boot CA\" and the machine's MOK",
		    sig.subject, sig.issuer);
	return buf;
}

/* For GRUB loaders: where its configuration is, and what Secure Boot needs. */
static bool
grub_to_json(struct server *srv, const struct boot_client *c, const struct boot_plan *dhcp,
    const struct boot_plan *p, cJSON *o)
{
	char a[INET_ADDRSTRLEN] = "SERVER", mac[MAC_STRLEN], url[256], site[160], sig[512];
	bool grub = dhcp->loader != NULL && dhcp->loader_kind != BOOT_LOADER_IPXE;
	bool shim = grub && dhcp->loader_kind == BOOT_LOADER_SHIM_GRUB;
	struct in_addr addr;

	if (iface_any_address(srv->cfg, &addr) == 0)
		inet_ntop(AF_INET, &addr, a, sizeof(a));
	mac_format(c->mac, ':', mac);
	if (shim)
		snprintf(url, sizeof(url), "tftp://%s/grub/netbootd/%s/%s", a,
		    boot_arch_name(c->platform), mac);
	else
		snprintf(url, sizeof(url), "http://%s:%u/grub/netbootd/%s/%s", a,
		    srv->cfg->http.port, boot_arch_name(c->platform), mac);
	snprintf(site, sizeof(site),
	    "must give next-server (siaddr) %s: Debian's signed GRUB reads grub/grub.cfg from the "
	    "site DHCP server's next-server, not from a ProxyDHCP",
	    a);
	return add_str(o, "loader_kind",
	           dhcp->loader != NULL ? boot_loader_kind_name(dhcp->loader_kind) : NULL) &&
	       add_str(o, "grub_config", grub ? url : NULL) &&
	       add_str(o, "site_dhcp", shim ? site : NULL) &&
	       add_str(o, "kernel_signature",
	           shim && p->action == BOOT_NETBOOT
	               ? kernel_signature(srv, p->image, sig, sizeof(sig))
	               : NULL);
}

/* The plan's loader; for an EFI image its file: the URL for HTTP Boot, else the TFTP name. */
static const char *
dhcp_loader(struct server *srv, const struct boot_client *fw, const struct boot_plan *p, char *buf,
    size_t size)
{
	char name[BOOT_PLAN_LOADER_MAX], a[INET_ADDRSTRLEN] = "SERVER";
	const char *l = boot_plan_loader(p, name);
	struct in_addr addr;

	if (p->action == BOOT_IGNORE || p->efi_image[0] == '\0')
		return p->loader;
	if (fw->firmware != BOOT_FIRMWARE_HTTP) {
		snprintf(buf, size, "%s", l);
		return buf;
	}
	if (iface_any_address(srv->cfg, &addr) == 0)
		inet_ntop(AF_INET, &addr, a, sizeof(a));
	snprintf(buf, size, "http://%s:%u/%s", a, srv->cfg->http.port, l);
	return buf;
}

/* What firmware of the client's platform gets from ProxyDHCP: its loader, or why nothing. */
static bool
dhcp_to_json(struct server *srv, const struct boot_view *v, const struct boot_client *c,
    const struct boot_plan *script, cJSON *o)
{
	struct boot_client fw = *c;
	struct boot_plan p;
	char loader[BOOT_PLAN_LOADER_MAX + 64];
	bool ok;

	if (c->platform == BOOT_ARCH_UNKNOWN)
		return add_str(o, "loader", NULL) && add_str(o, "firmware", NULL) &&
		       add_str(o, "loader_kind", NULL) && add_str(o, "grub_config", NULL) &&
		       add_str(o, "site_dhcp", NULL) && add_str(o, "kernel_signature", NULL);
	fw.firmware = c->platform == BOOT_ARCH_HTTP_X86_64 || c->platform == BOOT_ARCH_HTTP_ARM64
	                  ? BOOT_FIRMWARE_HTTP
	                  : BOOT_FIRMWARE_PXE;
	fw.has_arch = true;
	fw.arch = option93[c->platform];
	if (boot_decide(v, &fw, BOOT_SERVICE_DHCP, &p) < 0)
		return false;
	ok = add_str(o, "loader", dhcp_loader(srv, &fw, &p, loader, sizeof(loader))) &&
	     add_str(o, "firmware",
	         p.action == BOOT_IGNORE ? boot_reason_name(p.reason) : "answered") &&
	     grub_to_json(srv, c, &p, script, o);
	boot_plan_done(&p);
	return ok;
}

/* The machine entry: known, labels, profile, assignment. */
static cJSON *
entry_to_json(const struct boot_view *v, const struct boot_client *c)
{
	struct boot_machine m = {.image = NULL};
	bool known = v->machine(v->userdata, c->mac, &m) == 0;
	cJSON *o = cJSON_CreateObject(), *labels = cJSON_CreateObject();
	bool ok = o != NULL && labels != NULL && cJSON_AddItemToObject(o, "labels", labels);

	if (!ok)
		cJSON_Delete(labels);
	for (size_t i = 0; ok && m.labels != NULL && i < m.labels->n; i++)
		ok = add_str(labels, m.labels->v[i].key, m.labels->v[i].value);
	if (!ok || !cJSON_AddBoolToObject(o, "known", known) || !add_str(o, "profile", m.profile) ||
	    !add_str(o, "image", m.image)) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

/* What became of the profile's netconsole; NULL when it asks for none. */
static const char *
netconsole_text(const struct boot_plan *p)
{
	if (p->action != BOOT_NETBOOT)
		return NULL;
	return p->netconsole == BOOT_NETCONSOLE_ADDED ? "added to the command line"
	       : p->netconsole == BOOT_NETCONSOLE_NO_SYSLOG
	           ? "not added: syslog is not enabled in netbootd.yaml"
	           : NULL;
}

/* Its lifecycle state and what follows from it, as a phrase. */
static const char *
lifecycle_text(struct server *srv, const struct boot_client *c, const struct boot_plan *p,
    char *buf, size_t size)
{
	const struct lifecycle_record *r = lifecycle_get(srv->lifecycle, c->mac);
	const char *state = lifecycle_state_name(r != NULL ? r->state : LIFECYCLE_NEW);
	char failure[LIFECYCLE_ERROR_MAX + 24] = "";

	if (r != NULL && r->error[0] != '\0')
		snprintf(failure, sizeof(failure), " (last failure: %s)", r->error);
	if (!p->report)
		snprintf(
		    buf, size, "%s; not reporting back (its profile has report: false)", state);
	else
		snprintf(buf, size, "%s%s; reports back; once installed: %s", state, failure,
		    fleet_after_install_name(p->after_install));
	return buf;
}

/* The plan: action, why, profile, group, URLs, netconsole, lifecycle, cloud-config. */
static cJSON *
plan_to_json(struct server *srv, const struct boot_view *v, const struct boot_client *c,
    const struct boot_plan *p, const struct boot_plan *cfg)
{
	cJSON *o = cJSON_CreateObject();
	const char *config = cfg->config_source == BOOT_CONFIG_STORED ? cfg->config : "default";
	char lc[LIFECYCLE_ERROR_MAX + 128];

	if (o == NULL || !add_str(o, "action", action_name(p->action)) ||
	    !add_str(o, "reason", boot_reason_name(p->reason)) ||
	    !add_str(o, "profile", p->profile) || !add_str(o, "group", p->group) ||
	    !add_str(o, "image", p->image[0] ? p->image : NULL) ||
	    !add_str(o, "missing", p->missing[0] ? p->missing : NULL) ||
	    !urls_to_json(srv, c, p, o) || !add_str(o, "netconsole", netconsole_text(p)) ||
	    !add_str(o, "lifecycle", lifecycle_text(srv, c, cfg, lc, sizeof(lc))) ||
	    !dhcp_to_json(srv, v, c, p, o) ||
	    !add_str(o, "cloud_config", p->action == BOOT_IGNORE ? NULL : config)) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

static cJSON *
explain_to_json(struct server *srv, const struct boot_view *v, const struct boot_client *c,
    const struct boot_plan *p, const struct boot_trace *t, const struct boot_plan *cfg)
{
	cJSON *o = cJSON_CreateObject();
	char mac[MAC_STRLEN], uuid[37];

	mac_format(c->mac, ':', mac);
	fleet_uuid_format(c->uuid, uuid);
	if (o == NULL || !add_str(o, "mac", mac) ||
	    !add_str(o, "arch", boot_arch_name(c->platform)) ||
	    !add_str(o, "uuid", c->has_uuid ? uuid : NULL) ||
	    !cJSON_AddItemToObject(o, "machine", entry_to_json(v, c)) ||
	    !cJSON_AddItemToObject(o, "groups", groups_to_json(t)) ||
	    !cJSON_AddItemToObject(o, "plan", plan_to_json(srv, v, c, p, cfg))) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

static int
cmd_explain(struct control_client *c, const cJSON *args, cJSON **ret, struct control_status *err)
{
	struct server *srv = control_client_server(c);
	_cleanup_(boot_plan_done) struct boot_plan plan = {.cmdline = NULL},
	                                           cfg = {.cmdline = NULL};
	_cleanup_(boot_trace_done) struct boot_trace trace = {.n = 0};
	struct boot_client client;
	struct boot_view view;
	int r;

	if ((r = explain_client(args, &client, err)) < 0)
		return r;
	boot_view_init(srv, &view);
	if (boot_explain(&view, &client, BOOT_SERVICE_SCRIPT, &plan, &trace) < 0 ||
	    boot_decide(&view, &client, BOOT_SERVICE_CONFIG, &cfg) < 0)
		return cmd_oom(err);
	*ret = explain_to_json(srv, &view, &client, &plan, &trace, &cfg);
	return *ret != NULL ? 0 : cmd_oom(err);
}

const struct cmd_handler cmd_explain_handlers[] = {
    {"explain", cmd_explain},
    {NULL, NULL},
};
