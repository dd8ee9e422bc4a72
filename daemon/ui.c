/*
 * The status page's routes (ui.h): access by http.ui and http.ui_allow,
 * the built-in files (ui-files.c, generated from daemon/ui/ by
 * tools/embed-files.sh), the snapshot, and the stream (ui-stream.c).
 */
#include "ui.h"

#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/http.h>

#include "http-internal.h"
#include "log.h"
#include "ui-files.h"
#include "util.h"

/* The page loads nothing from elsewhere, runs no inline script and is never framed. */
#define UI_CSP "default-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"

static void
ui_headers(struct http_req *c, bool page)
{
	http_req_add_header(c, "X-Content-Type-Options", "nosniff");
	http_req_add_header(c, "Referrer-Policy", "no-referrer");
	if (page) {
		http_req_add_header(c, "Content-Security-Policy", UI_CSP);
		http_req_add_header(c, "X-Frame-Options", "DENY");
	}
}

static void
ui_redirect(struct http_req *c)
{
	http_req_add_header(c, "Location", "/ui/");
	http_reply_text(c, 302, "Found", CTYPE_TEXT, "/ui/\n", 5);
}

static const struct embedded_file *
ui_file_find(const char *name)
{
	for (const struct embedded_file *f = ui_files; f->name != NULL; f++)
		if (strcmp(f->name, name) == 0)
			return f;
	return NULL;
}

static void
ui_file(struct http_req *c, const char *name)
{
	const struct embedded_file *f = ui_file_find(name);
	struct evbuffer *body;

	if (f == NULL) {
		http_reply_error(c, 404, "Not Found");
		return;
	}
	body = evbuffer_new();
	if (body == NULL || evbuffer_add_reference(body, f->data, f->len, NULL, NULL) < 0) {
		if (body != NULL)
			evbuffer_free(body);
		http_reply_error(c, 500, "Internal Server Error");
		return;
	}
	ui_headers(c, true);
	http_req_add_header(c, "Content-Type", f->ctype);
	http_req_add_header(c, "Cache-Control", "no-cache");
	http_reply_send(c, 200, "OK", body, f->len);
	evbuffer_free(body);
}

static void
ui_state(struct http_req *c)
{
	cJSON *o = ui_state_json(c->s->srv);
	char *json = o != NULL ? cJSON_PrintUnformatted(o) : NULL;

	cJSON_Delete(o);
	if (json == NULL) {
		http_reply_error(c, 500, "Internal Server Error");
		return;
	}
	ui_headers(c, false);
	http_req_add_header(c, "Cache-Control", "no-store");
	http_reply_text(c, 200, "OK", "application/json", json, strlen(json));
	free(json);
}

void
ui_route(struct http_req *c, const struct http_route *rt)
{
	const struct config *cfg = c->s->srv->cfg;

	if (!cfg->http.ui) {
		http_reply_error(c, 404, "Not Found");
		return;
	}
	if (!config_ui_allowed(cfg, c->addr)) {
		log_debug(NULL, "Refusing the status page to %s: not in http.ui_allow", c->client);
		http_reply_error(c, 403, "Forbidden");
		return;
	}
	switch (rt->kind) {
	case HTTP_ROUTE_UI_REDIRECT:
		ui_redirect(c);
		break;
	case HTTP_ROUTE_UI_FILE:
		ui_file(c, rt->name);
		break;
	case HTTP_ROUTE_UI_STATE:
		ui_state(c);
		break;
	case HTTP_ROUTE_UI_EVENTS:
		ui_stream_start(c);
		break;
	default:
		http_reply_error(c, 404, "Not Found");
		break;
	}
}
