/*
 * Prometheus text format 0.0.4: "# HELP" and "# TYPE" before the samples of
 * each family, counters end in _total, sizes in _bytes, times in _seconds.
 */
#include "metrics.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lifecycle-table.h"
#include "log.h"
#include "proxydhcp.h"
#include "stats.h"
#include "store.h"
#include "util.h"

#ifndef NETBOOTD_VERSION
#define NETBOOTD_VERSION "0"
#endif

/* Labels of enum pxe_client. */
static const char *const client_kinds[PROXYDHCP_KINDS] = {"none", "pxe", "ipxe", "http"};

struct metrics_out {
	struct evbuffer *buf;
	int error;
};

static void __attribute__((format(printf, 2, 3)))
out_printf(struct metrics_out *o, const char *fmt, ...)
{
	va_list ap;

	if (o->error != 0)
		return;
	va_start(ap, fmt);
	if (evbuffer_add_vprintf(o->buf, fmt, ap) < 0)
		o->error = -ENOMEM;
	va_end(ap);
}

static void
family(struct metrics_out *o, const char *name, const char *type, const char *help)
{
	out_printf(o, "# HELP netbootd_%s %s\n# TYPE netbootd_%s %s\n", name, help, name, type);
}

/* A family with one unlabelled sample. */
static void
single(struct metrics_out *o, const char *name, const char *type, const char *help, uint64_t v)
{
	family(o, name, type, help);
	out_printf(o, "netbootd_%s %" PRIu64 "\n", name, v);
}

static void
render_process(struct server *srv, struct metrics_out *o)
{
	family(o, "build_info", "gauge", "Always 1; the version is in the label.");
	out_printf(o, "netbootd_build_info{version=\"%s\"} 1\n", NETBOOTD_VERSION);
	single(o, "start_time_seconds", "gauge", "Start time of the daemon since the Unix epoch.",
	    (uint64_t)srv->started);
	single(o, "uptime_seconds", "gauge", "Seconds since the daemon started.",
	    (uint64_t)(time(NULL) - srv->started));
}

static void
render_answers(struct metrics_out *o, const char *name, const char *help,
    const uint64_t by[PROXYDHCP_KINDS][PROXYDHCP_ARCH_SLOTS])
{
	family(o, name, "counter", help);
	for (size_t k = 0; k < PROXYDHCP_KINDS; k++)
		for (size_t a = 0; a < PROXYDHCP_ARCH_SLOTS; a++)
			if (by[k][a] != 0)
				out_printf(o,
				    "netbootd_%s{client=\"%s\",arch=\"%s\"} %" PRIu64 "\n", name,
				    client_kinds[k], proxydhcp_arch_name(a), by[k][a]);
}

static void
render_dhcp(const struct proxydhcp_stats *d, struct metrics_out *o)
{
	const struct {
		const char *reason;
		uint64_t v;
	} ignored[] = {
	    {"interface", d->ignored_iface},
	    {"not_boot_client", d->ignored_not_pxe},
	    {"message_type", d->ignored_msg_type},
	    {"unsupported_arch", d->unsupported_arch},
	    {"no_address", d->no_address},
	    {"refused", d->refused},
	};

	render_answers(o, "dhcp_offers_total",
	    "ProxyDHCP offers sent, by client kind and architecture.", d->offers_by);
	render_answers(o, "dhcp_acks_total",
	    "ProxyDHCP acks sent (PXE port), by client kind and architecture.", d->acks_by);
	family(o, "dhcp_ignored_total", "counter", "DHCP packets not answered, by reason.");
	for (size_t i = 0; i < ELEMENTSOF(ignored); i++)
		out_printf(o, "netbootd_dhcp_ignored_total{reason=\"%s\"} %" PRIu64 "\n",
		    ignored[i].reason, ignored[i].v);
	single(
	    o, "dhcp_malformed_total", "counter", "DHCP packets that did not parse.", d->malformed);
	single(o, "dhcp_send_errors_total", "counter",
	    "DHCP replies that could not be built or sent.", d->send_errors);
}

static void
render_tftp(const struct tftp_stats *t, struct metrics_out *o)
{
	single(o, "tftp_transfers_total", "counter", "TFTP transfers completed.", t->transfers);
	single(o, "tftp_retransmits_total", "counter", "TFTP DATA or OACK packets sent again.",
	    t->retransmits);
	single(o, "tftp_timeouts_total", "counter", "TFTP sessions given up after the retry cap.",
	    t->timeouts);
	single(o, "tftp_errors_total", "counter", "TFTP ERROR packets sent.", t->errors_sent);
	single(o, "tftp_sessions", "gauge", "TFTP transfers in progress.", t->active);
}

static void
render_http(const struct http_stats *h, struct metrics_out *o)
{
	family(o, "http_responses_total", "counter", "HTTP responses, by status class.");
	for (size_t i = 0; i < ELEMENTSOF(h->responses); i++)
		out_printf(o, "netbootd_http_responses_total{code=\"%zuxx\"} %" PRIu64 "\n", i + 1,
		    h->responses[i]);
	single(
	    o, "http_connections_total", "counter", "HTTP connections accepted.", h->connections);
	single(o, "http_connections", "gauge", "HTTP connections open.", h->active);
	single(o, "http_accept_paused", "gauge",
	    "1 while accepting is paused at http.max_connections.", h->paused);
	single(o, "http_grub_resets_total", "counter",
	    "GRUB connections closed with a reset once their response was acknowledged.",
	    h->grub_resets);
	single(o, "http_header_timeouts_total", "counter",
	    "HTTP connections closed for sending no whole request within http.header_timeout.",
	    h->header_timeouts);
	family(o, "http_refused_total", "counter",
	    "HTTP connections refused with a 503 at the accept, by reason: the address held "
	    "http.max_connections_per_address, or the slots left are kept for addresses that "
	    "hold none.");
	out_printf(o, "netbootd_http_refused_total{reason=\"per_address\"} %" PRIu64 "\n",
	    h->refused_per_address);
	out_printf(o, "netbootd_http_refused_total{reason=\"reserved\"} %" PRIu64 "\n",
	    h->refused_reserved);
}

static void
render_syslog(const struct syslog_stats *sl, struct metrics_out *o)
{
	const struct {
		const char *reason;
		uint64_t v;
	} dropped[] = {
	    {"rate_limited", sl->rate_limited},
	    {"interface", sl->ignored_iface},
	    {"empty", sl->empty},
	};

	single(o, "syslog_messages_total", "counter", "Syslog datagrams received.", sl->received);
	family(o, "syslog_lines_total", "counter",
	    "Syslog lines by sender: a known machine (kept) or an unknown address (counted only).");
	out_printf(o, "netbootd_syslog_lines_total{sender=\"machine\"} %" PRIu64 "\n", sl->lines);
	out_printf(o, "netbootd_syslog_lines_total{sender=\"unknown\"} %" PRIu64 "\n", sl->unknown);
	family(o, "syslog_dropped_total", "counter", "Syslog datagrams dropped, by reason.");
	for (size_t i = 0; i < ELEMENTSOF(dropped); i++)
		out_printf(o, "netbootd_syslog_dropped_total{reason=\"%s\"} %" PRIu64 "\n",
		    dropped[i].reason, dropped[i].v);
	single(o, "syslog_truncated_total", "counter", "Syslog lines cut at syslog.max_line.",
	    sl->truncated);
	single(o, "syslog_escaped_total", "counter",
	    "Syslog lines with bytes that were not UTF-8, or control characters, shown escaped.",
	    sl->escaped);
	single(o, "syslog_evicted_total", "counter",
	    "Kept syslog lines dropped early, for the memory cap.", sl->evicted);
	single(o, "syslog_machines", "gauge", "Machines with kept syslog lines.", sl->machines);
	single(o, "syslog_bytes", "gauge", "Memory of the kept syslog lines.", sl->bytes);
}

/* The per-protocol families every dashboard starts from. */
static void
render_protocols(const struct proxydhcp_stats *d, const struct tftp_stats *t,
    const struct http_stats *h, struct metrics_out *o)
{
	uint64_t http_requests = 0;

	for (size_t i = 0; i < ELEMENTSOF(h->responses); i++)
		http_requests += h->responses[i];
	family(o, "requests_total", "counter",
	    "Requests received: DHCP datagrams, TFTP read requests, HTTP requests answered.");
	out_printf(o, "netbootd_requests_total{protocol=\"dhcp\"} %" PRIu64 "\n", d->received);
	out_printf(o, "netbootd_requests_total{protocol=\"tftp\"} %" PRIu64 "\n", t->requests);
	out_printf(o, "netbootd_requests_total{protocol=\"http\"} %" PRIu64 "\n", http_requests);
	family(o, "sent_bytes_total", "counter",
	    "File and body bytes sent (TFTP retransmits included, HTTP when complete).");
	out_printf(o, "netbootd_sent_bytes_total{protocol=\"tftp\"} %" PRIu64 "\n", t->bytes_sent);
	out_printf(o, "netbootd_sent_bytes_total{protocol=\"http\"} %" PRIu64 "\n", h->bytes_sent);
}

static void
render_state(const struct server *srv, const struct stats_state *st, struct metrics_out *o)
{
	const struct import_stats *is = &srv->stats.imports;
	struct log_counts lc;

	single(o, "images", "gauge", "Images in the store.", st->images);
	single(o, "machines", "gauge", "Machines in the fleet (registered in the store).",
	    st->machines);
	single(o, "machines_seen", "gauge",
	    "Machines seen booting that are not in the fleet (netbootctl machines lists both).",
	    st->machines_seen);
	single(o, "boot_progress_machines", "gauge", "Machines with recent boot progress events.",
	    st->progress_machines);
	single(o, "control_clients", "gauge", "Connections on the control socket.",
	    st->control_clients);
	single(o, "imports_running", "gauge", "add-image imports in progress.", is->running);
	family(o, "imports_total", "counter", "Finished add-image imports by result.");
	out_printf(o, "netbootd_imports_total{result=\"completed\"} %" PRIu64 "\n", is->completed);
	out_printf(o, "netbootd_imports_total{result=\"failed\"} %" PRIu64 "\n", is->failed);
	out_printf(o, "netbootd_imports_total{result=\"cancelled\"} %" PRIu64 "\n", is->cancelled);
	log_get_counts(&lc);
	family(o, "log_messages_total", "counter", "Errors and warnings logged.");
	out_printf(o, "netbootd_log_messages_total{level=\"error\"} %" PRIu64 "\n", lc.errors);
	out_printf(o, "netbootd_log_messages_total{level=\"warning\"} %" PRIu64 "\n", lc.warnings);
}

/* A number member of the shared store's status. */
static uint64_t
status_num(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	return cJSON_IsNumber(v) && v->valuedouble > 0 ? (uint64_t)v->valuedouble : 0;
}

/* A shared store (netbootd(8) CLUSTER): nothing for the local one. */
static void
render_store(struct server *srv, struct metrics_out *o)
{
	cJSON *st = store_status_json(srv->store);
	const cJSON *up = cJSON_GetObjectItemCaseSensitive(st, "etcd");

	if (st == NULL)
		return;
	single(o, "store_etcd_up", "gauge", "1 while etcd answers.",
	    cJSON_IsString(up) && strcmp(up->valuestring, "up") == 0);
	single(o, "store_synchronised", "gauge", "1 once the desired state was read from etcd.",
	    cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(st, "synchronised")));
	single(o, "store_revision", "gauge", "The etcd revision this instance serves.",
	    status_num(st, "revision"));
	single(o, "store_instances", "gauge", "Instances sharing the store, this one included.",
	    (uint64_t)cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(st, "instances")));
	single(o, "store_waiting_for_image", "gauge",
	    "1 while the newest fleet waits for an image to arrive here.",
	    cJSON_GetObjectItemCaseSensitive(st, "waiting_for_image") != NULL);
	single(o, "images_fetching", "gauge", "Images being fetched from peers or an origin.",
	    status_num(st, "fetching"));
	family(o, "store_commits_total", "counter", "Changes sent to etcd, by outcome.");
	out_printf(o, "netbootd_store_commits_total{result=\"committed\"} %" PRIu64 "\n",
	    status_num(st, "commits"));
	out_printf(o, "netbootd_store_commits_total{result=\"conflict\"} %" PRIu64 "\n",
	    status_num(st, "commits_conflict"));
	out_printf(o, "netbootd_store_commits_total{result=\"unconfirmed\"} %" PRIu64 "\n",
	    status_num(st, "commits_unconfirmed"));
	family(o, "image_fetches_total", "counter", "Image fetches by digest, by outcome.");
	out_printf(o, "netbootd_image_fetches_total{result=\"fetched\"} %" PRIu64 "\n",
	    status_num(st, "images_fetched"));
	out_printf(o, "netbootd_image_fetches_total{result=\"failed\"} %" PRIu64 "\n",
	    status_num(st, "image_fetches_failed"));
	cJSON_Delete(st);
}

static void
histogram(struct metrics_out *o, const char *name, const char *help, const struct histogram *h,
    const double *bounds, size_t n)
{
	family(o, name, "histogram", help);
	for (size_t i = 0; i < n; i++)
		out_printf(o, "netbootd_%s_bucket{le=\"%g\"} %" PRIu64 "\n", name, bounds[i],
		    h->bucket[i]);
	out_printf(o, "netbootd_%s_bucket{le=\"+Inf\"} %" PRIu64 "\n", name, h->count);
	out_printf(o, "netbootd_%s_sum %.3f\nnetbootd_%s_count %" PRIu64 "\n", name, h->sum, name,
	    h->count);
}

static void
render_lifecycle(struct server *srv, const struct lifecycle_stats *l, struct metrics_out *o)
{
	size_t counts[_LIFECYCLE_MAX];

	lifecycle_counts(srv->lifecycle, counts);
	family(o, "lifecycle_machines", "gauge",
	    "Machines by lifecycle state (new: seen at DHCP or reinstalled, not booted since).");
	for (int s = 0; s < _LIFECYCLE_MAX; s++)
		out_printf(o, "netbootd_lifecycle_machines{state=\"%s\"} %zu\n",
		    lifecycle_state_name((enum lifecycle_state)s), counts[s]);
	single(o, "lifecycle_reports_total", "counter", "Lifecycle reports accepted.", l->reports);
	single(o, "lifecycle_reports_refused_total", "counter",
	    "Lifecycle reports refused (wrong or spent token, or not what the state allows).",
	    l->reports_refused);
	single(o, "lifecycle_failed_installs_total", "counter",
	    "Installs that failed: reported failed, or netbooted again while installing.",
	    l->failed_installs);
	single(o, "lifecycle_persist_errors_total", "counter", "Failures to write lifecycle.json.",
	    l->persist_errors);
	histogram(o, "boot_duration_seconds",
	    "From a machine's first DHCP request to its cloud-config fetched.", &l->boot,
	    stats_boot_bounds, STATS_BOOT_BUCKETS);
	histogram(o, "install_duration_seconds",
	    "From the installing report (or the cloud-config fetched) to the installed report.",
	    &l->install, stats_install_bounds, STATS_INSTALL_BUCKETS);
}

int
metrics_render(struct server *srv, struct evbuffer *out)
{
	const struct server_stats *s = &srv->stats;
	struct metrics_out o = {.buf = out};
	struct stats_state st;

	stats_state(srv, &st);
	render_process(srv, &o);
	render_protocols(&s->dhcp, &s->tftp, &s->http, &o);
	render_dhcp(&s->dhcp, &o);
	render_tftp(&s->tftp, &o);
	render_http(&s->http, &o);
	render_syslog(&s->syslog, &o);
	render_lifecycle(srv, &s->lifecycle, &o);
	render_state(srv, &st, &o);
	render_store(srv, &o);
	return o.error;
}

int
metrics_http(struct evbuffer *body, const char **ret_ctype, void *userdata)
{
	*ret_ctype = METRICS_CONTENT_TYPE;
	return metrics_render(userdata, body);
}

static const char *
plural(size_t n, const char *one, const char *many)
{
	return n == 1 ? one : many;
}

void
metrics_status_line(struct server *srv, char *buf, size_t len)
{
	const struct tftp_stats *t = &srv->stats.tftp;
	const struct http_stats *h = &srv->stats.http;
	const struct import_stats *is = &srv->stats.imports;
	struct stats_state st;
	int n;

	stats_state(srv, &st);
	n = snprintf(buf, len, "%zu %s, %zu %s, %u TFTP %s, %u HTTP %s", st.images,
	    plural(st.images, "image", "images"), st.machines + st.machines_seen,
	    plural(st.machines + st.machines_seen, "machine", "machines"), t->active,
	    plural(t->active, "session", "sessions"), h->active,
	    plural(h->active, "connection", "connections"));
	if (is->running > 0 && n > 0 && (size_t)n < len)
		snprintf(buf + n, len - (size_t)n, ", %u %s running", is->running,
		    plural(is->running, "import", "imports"));
}
