/* watch: the recent boot events, then every new one, until the client closes. */
#include <string.h>

#include "cmd.h"
#include "progress.h"

struct watch_ctx {
	struct control_client *client;
	const uint8_t *mac; /* NULL: all */
};

static void
watch_send(const struct progress_event *ev, void *userdata)
{
	struct control_client *c = userdata;
	cJSON *data = cmd_event_to_json(ev);

	if (data != NULL)
		control_client_send_event(c, "boot", data);
	cJSON_Delete(data);
}

static void
watch_replay(const struct progress_event *ev, void *userdata)
{
	struct watch_ctx *w = userdata;

	if (w->mac == NULL || (ev->has_mac && memcmp(ev->mac, w->mac, MAC_LEN) == 0))
		watch_send(ev, w->client);
}

static int
cmd_watch(struct control_client *c, const cJSON *args, cJSON **ret, struct control_status *err)
{
	struct server *srv = control_client_server(c);
	struct cmd_state *st = cmd_state(c);
	const char *s = control_json_string(args, "mac");
	uint8_t mac[MAC_LEN];
	struct watch_ctx w = {.client = c, .mac = s != NULL ? mac : NULL};

	(void)ret;
	if (st == NULL)
		return cmd_oom(err);
	if (s != NULL && mac_parse(s, mac) < 0)
		return control_fail(err, CONTROL_ERR_BAD_ARGS, "Bad MAC address.");
	progress_foreach(srv->progress, watch_replay, &w);
	if (progress_subscribe(srv->progress, w.mac, watch_send, c, &st->watch) < 0)
		return cmd_oom(err);
	return CONTROL_PENDING; /* never answers: events until the client closes */
}

const struct cmd_handler cmd_watch_handlers[] = {
    {"watch", cmd_watch},
    {NULL, NULL},
};
