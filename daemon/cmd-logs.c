/*
 * logs: the lines a machine sent to the syslog receiver (syslog-recv.h),
 * as "log" events, then (with follow) every new one until the client
 * closes, else a reply with their number.  A replay sends the newest lines
 * that fit in CMD_LOGS_REPLAY_MAX bytes of JSON, so that a large ring stays
 * under the client's output cap; a "logs" event says how many older ones
 * were left out.
 */
#include <arpa/inet.h>
#include <string.h>

#include "cmd.h"
#include "syslog-recv.h"

#define CMD_LOGS_REPLAY_MAX (2 * 1024 * 1024)

struct logs_ctx {
	struct control_client *client;
	size_t bytes;   /* pass 1: the JSON of every line; pass 2: what is left */
	size_t skipped; /* lines left out of the replay */
	size_t sent;
};

static cJSON *
str_or_null(const char *s)
{
	return cmd_json_str_or_null(s[0] != '\0' ? s : NULL);
}

static const char *const formats[] = {"raw", "rfc3164", "rfc5424"};

static cJSON *
line_to_json(const struct syslog_line *l)
{
	const struct syslog_msg *m = &l->m;
	cJSON *o = cJSON_CreateObject();
	char mac[MAC_STRLEN], addr[INET_ADDRSTRLEN];
	bool ok;

	if (o == NULL)
		return NULL;
	mac_format(l->mac, ':', mac);
	inet_ntop(AF_INET, &l->client, addr, sizeof(addr));
	ok = cJSON_AddNumberToObject(o, "time", (double)l->time_ms) &&
	     cJSON_AddStringToObject(o, "mac", mac) && cJSON_AddStringToObject(o, "client", addr) &&
	     cJSON_AddStringToObject(o, "format", formats[m->format]) &&
	     cJSON_AddStringToObject(o, "facility", syslog_facility_name(m->facility)) &&
	     cJSON_AddStringToObject(o, "severity", syslog_severity_name(m->severity)) &&
	     cJSON_AddItemToObject(o, "timestamp", str_or_null(m->timestamp)) &&
	     cJSON_AddItemToObject(o, "hostname", str_or_null(m->hostname)) &&
	     cJSON_AddItemToObject(o, "app", str_or_null(m->app)) &&
	     cJSON_AddItemToObject(o, "procid", str_or_null(m->procid)) &&
	     cJSON_AddItemToObject(o, "msgid", str_or_null(m->msgid)) &&
	     cJSON_AddStringToObject(o, "msg", m->msg) &&
	     cJSON_AddBoolToObject(o, "truncated", m->truncated);
	if (!ok) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

/* At most what a line's JSON takes: \u00XX for every byte, and the other members. */
static size_t
json_size(const struct syslog_line *l)
{
	return 6 * l->m.msg_len + 6 * sizeof(l->m) + 128;
}

static void
logs_send(const struct syslog_line *l, void *userdata)
{
	struct control_client *c = userdata;
	cJSON *data = line_to_json(l);

	if (data != NULL)
		control_client_send_event(c, "log", data);
	cJSON_Delete(data);
}

static void
logs_measure(const struct syslog_line *l, void *userdata)
{
	struct logs_ctx *x = userdata;

	x->bytes += json_size(l);
}

/* The newest lines that fit: older ones are skipped while the rest is too large. */
static void
logs_replay(const struct syslog_line *l, void *userdata)
{
	struct logs_ctx *x = userdata;

	if (x->bytes > CMD_LOGS_REPLAY_MAX) {
		x->bytes -= json_size(l);
		x->skipped++;
		return;
	}
	if (x->skipped > 0 && x->sent == 0) {
		cJSON *note = cJSON_CreateObject();

		if (note != NULL && cJSON_AddNumberToObject(note, "skipped", (double)x->skipped))
			control_client_send_event(x->client, "logs", note);
		cJSON_Delete(note);
	}
	logs_send(l, x->client);
	x->sent++;
}

static int
cmd_logs(struct control_client *c, const cJSON *args, cJSON **ret, struct control_status *err)
{
	struct server *srv = control_client_server(c);
	const cJSON *since = cJSON_GetObjectItemCaseSensitive(args, "since");
	int64_t since_ms = cJSON_IsNumber(since) ? (int64_t)since->valuedouble : 0;
	struct logs_ctx x = {.client = c};
	struct cmd_state *st;
	uint8_t mac[MAC_LEN];

	if (mac_parse(control_json_string(args, "mac"), mac) < 0)
		return control_fail(err, CONTROL_ERR_BAD_ARGS, "Bad MAC address.");
	if (!syslog_listening(srv->syslog))
		return control_fail(err, CONTROL_ERR_UNSUPPORTED,
		    "The syslog receiver is off (syslog.enabled in netbootd.yaml).");
	syslog_foreach(srv->syslog, mac, since_ms, logs_measure, &x);
	syslog_foreach(srv->syslog, mac, since_ms, logs_replay, &x);
	if (!cmd_arg_true(args, "follow")) {
		*ret = cJSON_CreateObject();
		if (*ret == NULL || !cJSON_AddNumberToObject(*ret, "lines", (double)x.sent) ||
		    !cJSON_AddNumberToObject(*ret, "skipped", (double)x.skipped))
			return cmd_oom(err);
		return 0;
	}
	st = cmd_state(c);
	if (st == NULL || syslog_subscribe(srv->syslog, mac, logs_send, c, &st->logs) < 0)
		return cmd_oom(err);
	return CONTROL_PENDING; /* never answers: lines until the client closes */
}

const struct cmd_handler cmd_logs_handlers[] = {
    {"logs", cmd_logs},
    {NULL, NULL},
};
